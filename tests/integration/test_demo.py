#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The README's demo, in its quick mode: scripts/demo.py --quick must exit
0, write its timeline PNG where --png says, and its summary must say that
both attacks were detected and dropped and that nothing from the
legitimate client was dropped. The broker is lab.Broker's (XW_KAFKA_PORT,
XW_KAFKA_DATA), as the demo itself picks it."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "scripts", "demo.py")


class Demo(unittest.TestCase):
    def test_quick(self):
        with tempfile.TemporaryDirectory(prefix="xw-demo-test-") as d:
            png = os.path.join(d, "timeline.png")
            p = subprocess.Popen(["/usr/bin/python3", DEMO, "--quick", "--png", png],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            out = p.communicate(timeout=600)[0]
            print(out)
            self.assertEqual(p.returncode, 0, "demo failed")
            with open(png, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", "not a PNG")
            self.assertGreater(os.path.getsize(png), 20000, "a suspiciously small picture")
            self.assertIn("timeline: " + png, out)
            self.assertRegex(out, r"demo: OK: 2 of 2 attacks detected and dropped, no legitimate packet dropped")
            for head, cls in (("attack 1: spoofed SYN flood", "syn_flood"),
                              ("attack 2: DNS reflection", "dns_reflection")):
                self.assertIn(head, out)
                block = out.split(head)[1]
                self.assertRegex(block, r"detected\s+as %s on " % cls)
                self.assertRegex(block, r"first drop\s+[0-9.]+ s after its first packet")
            self.assertRegex(out, r"dropped from the client: 0 of the [0-9,]+ dropped packets")
            self.assertRegex(out, r"verdict rules naming a client address: 0 of [1-9]")
        # Nothing left behind: no namespace of the run (lab tag xwd<pid>).
        tag = "xwd%d-" % (p.pid % 100000)
        ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        self.assertNotIn(tag, ns, "the demo left namespaces behind")


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("test_demo: run as root")
    unittest.main(verbosity=2)
