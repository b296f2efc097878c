#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""xdpwatch beside another XDP program: xdp-filter (xdp-tools) on the same
interface.

Lab: host "src" (192.0.2.10, .11 and .66; 2001:db8::10) sends to host "dst"
(192.0.2.1, 2001:db8::1). xdp-filter is loaded on dst's veth first, with
192.0.2.66 on its deny list; then the collector comes.

Always:
  - attach_mode = "link" on the taken interface is refused with a message
    that names the program there (id, name) and hints at
    attach_mode = "libxdp" and xdp-loader; xdp-filter keeps running.
On a kernel that allows freplace programs (libxdp's dispatcher):
  - attach_mode = "libxdp" joins the dispatcher: xdp-filter at its priority
    10, xdpwatch at 20. xdp-filter drops .66 (xdpwatch never sees it);
    xdpwatch records everything else at 1:1, including IPv6 with an
    extension header (its global parser, running inside an freplace
    extension), and applies its own rule to .11.
  - SIGKILL leaves our program in the dispatcher, enforcing; the next
    collector replaces it (one xdpwatch program after, rule still on).
  - a clean stop takes only our program out: xdp-filter still drops .66.
Where the kernel refuses freplace programs (lockdown or an LSM, as on the
VM these tests were written on, where xdp-loader itself falls back to a
lone program), attach_mode = "libxdp" is refused with that reason, and the
dispatcher tests are skipped, saying why.

LIBXDP_BPFFS points libxdp (ours, xdp-filter's, xdp-loader's) at the lab's
own bpffs directory, so the dispatcher's pins and lock are the lab's.
xdp-filter keeps its maps in <bpffs>/xdp-filter and takes a host-wide lock
(/run/xdp-filter.lck): calls retry while another run holds it.
"""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import Collector, Lab, cli, cli_json, run  # noqa: E402

DST4, SRC4, OTHER4, BAD4 = "192.0.2.1", "192.0.2.10", "192.0.2.11", "192.0.2.66"
DST6, SRC6 = "2001:db8::1", "2001:db8::10"


def ext_supported():
    """Can this kernel load freplace (BPF_PROG_TYPE_EXT) programs?"""
    p = run(["bpftool", "feature", "probe", "kernel"], check=False)
    return "program_type ext is available" in p.stdout


EXT = ext_supported()
EXT_WHY = "the kernel refuses freplace (BPF_PROG_TYPE_EXT) programs: no libxdp dispatcher here"


class Coexist(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        lab = cls.lab = Lab()
        os.environ["LIBXDP_BPFFS"] = lab.pin_root
        os.makedirs(lab.pin_root, exist_ok=True)
        lab.add_host("src")
        lab.add_host("dst")
        cls.sif, cls.dif = lab.tag + "s", lab.tag + "d"
        lab.link("src", cls.sif, "dst", cls.dif)
        for cidr in (SRC4 + "/24", OTHER4 + "/24", BAD4 + "/24", SRC6 + "/64"):
            lab.addr("src", cls.sif, cidr)
        for cidr in (DST4 + "/24", DST6 + "/64"):
            lab.addr("dst", cls.dif, cidr)
        lab.sh("src", ["ping", "-c", "1", "-W", "2", DST4])
        lab.sh("src", ["ping", "-6", "-c", "1", "-W", "2", DST6])
        cls.filter_loaded = False
        cls.xdp_filter("load", "-f", "ipv4,ipv6,tcp,udp", cls.dif)
        cls.filter_loaded = True
        cls.xdp_filter("ip", "-m", "src", BAD4)

    @classmethod
    def tearDownClass(cls):
        try:
            for p in cls.lab.procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
                    p.wait(timeout=10)
            if cls.filter_loaded:
                cls.xdp_filter("unload", cls.dif, check=False)
        finally:
            cls.lab.close()

    @classmethod
    def xdp_filter(cls, *args, check=True):
        """xdp-filter in dst's namespace; retried while another xdp-filter
        anywhere on the host holds its lock."""
        for _ in range(50):
            p = cls.lab.sh("dst", ["xdp-filter"] + list(args), check=False)
            if p.returncode == 0 or "Unable to get program lock" not in p.stderr + p.stdout:
                break
            time.sleep(0.2)
        if check and p.returncode != 0:
            raise RuntimeError("xdp-filter %s failed:\n%s%s" % (" ".join(args), p.stdout, p.stderr))
        return p

    def xdp_prog_id(self):
        out = self.lab.sh("dst", ["ip", "-d", "link", "show", self.dif]).stdout
        m = re.search(r"prog/xdp id (\d+)", out)
        return int(m.group(1)) if m else None

    def loader_status(self):
        """(name, priority) of every program xdp-loader lists on dst's veth."""
        out = self.lab.sh("dst", ["xdp-loader", "status", self.dif]).stdout
        progs = []
        for line in out.splitlines():
            f = line.split()
            # "     => 10   xdpfilt_alw_all  6702  2d85...  XDP_PASS" inside a
            # dispatcher; "<if> <name> <mode> <id> <tag>" for a lone program.
            if f and f[0] == "=>":
                progs.append((f[2], int(f[1])))
            elif f and f[0] == self.dif and len(f) >= 2 and not f[1].startswith("<"):
                progs.append((f[1] if not f[1].isdigit() else f[2], None))
        return progs

    def ping(self, src, dst, n, v6=False):
        args = ["ping"] + (["-6"] if v6 else []) + ["-c", str(n), "-i", "0.01", "-W", "1", "-I", src, dst]
        return self.lab.sh("src", args, check=False).stdout

    def collector(self, mode, **kw):
        return Collector(self.lab, "dst", self.dif, sample_rate=1,
                         extra=["--set", "attach_mode=" + mode], **kw)

    def test_1_link_mode_refused_with_what_is_there(self):
        prog_id = self.xdp_prog_id()
        self.assertIsNotNone(prog_id, "xdp-filter is attached")
        c = self.collector("link")
        p = subprocess.run(c.args, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("already carries", p.stderr)
        self.assertIn("id %d" % prog_id if not EXT else "libxdp's dispatcher (id %d" % prog_id, p.stderr)
        self.assertIn("xdpfilt_", p.stderr, "the program is named")
        self.assertRegex(p.stderr, r"tag [0-9a-f]{16}")
        self.assertIn('attach_mode = "libxdp"', p.stderr)
        self.assertIn("xdp-loader unload " + self.dif, p.stderr)
        self.assertNotIn("Device or resource busy", p.stderr, "not a bare EBUSY")
        # Nothing changed: xdp-filter still drops its source.
        self.assertEqual(self.xdp_prog_id(), prog_id)
        self.assertIn("100% packet loss", self.ping(BAD4, DST4, 5))

    @unittest.skipIf(EXT, "the kernel allows freplace programs")
    def test_2_libxdp_refused_without_freplace(self):
        c = self.collector("libxdp")
        p = subprocess.run(c.args, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("BPF_PROG_TYPE_EXT", p.stderr)
        self.assertIn("xdpfilt_", p.stderr, "what holds the interface is named")
        self.assertIn("100% packet loss", self.ping(BAD4, DST4, 5))
        self.assertIn(" 0% packet loss", self.ping(SRC4, DST4, 5))

    @unittest.skipUnless(EXT, EXT_WHY)
    def test_3_libxdp_runs_beside_xdp_filter(self):
        c = self.__class__.coll = self.collector("libxdp").start()
        self.assertIn("joining libxdp's dispatcher", c.log_text())
        status = self.loader_status()
        self.assertIn(("xdpwatch_main", 20), status)
        self.assertTrue(any(n.startswith("xdpfilt_") and prio == 10 for n, prio in status), status)
        n0 = len(c.records())

        self.assertIn("100% packet loss", self.ping(BAD4, DST4, 20), "xdp-filter drops its source")
        self.assertIn(" 0% packet loss", self.ping(SRC4, DST4, 30))
        # IPv6 with a destination-options header: our global parser, inside
        # the freplace extension.
        self.lab.sh("src", ["python3", "-c",
                            "from scapy.all import IPv6, IPv6ExtHdrDestOpt, UDP, send; "
                            "send(IPv6(src='%s', dst='%s')/IPv6ExtHdrDestOpt()/UDP(sport=1234, dport=9)/b'x', "
                            "count=20, verbose=0)" % (SRC6, DST6)])
        cli(self.lab, "rule", "add", OTHER4, "--ttl", "120")
        self.assertIn("100% packet loss", self.ping(OTHER4, DST4, 15), "xdpwatch applies its rule")

        recs = c.records()[n0:]
        self.assertEqual(sum(1 for r in recs if r["src"] == BAD4), 0,
                         "what xdp-filter dropped never reached xdpwatch (priority 10 < 20)")
        self.assertEqual(sum(1 for r in recs if r["src"] == SRC4 and r["l4_proto"] == 1
                             and r.get("icmp_type") == 8), 30)
        self.assertEqual(sum(1 for r in recs if r["src"] == SRC6 and r["l4_proto"] == 17
                             and r.get("dport") == 9 and r["action"] == "pass"), 20)
        self.assertEqual(sum(1 for r in recs if r["src"] == OTHER4 and r["action"] == "drop"), 15)
        rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
        self.assertEqual(rules[OTHER4 + "/32"]["hit_packets"], 15)

    @unittest.skipUnless(EXT, EXT_WHY)
    def test_4_sigkill_leaves_ours_enforcing_and_the_next_replaces_it(self):
        c = self.__class__.coll
        c.stop(signal.SIGKILL)
        self.assertIn(("xdpwatch_main", 20), self.loader_status(), "still in the dispatcher")
        self.assertIn("100% packet loss", self.ping(OTHER4, DST4, 5), "rule still enforced")
        c.start(expect="replaced the program left by an earlier run")
        names = [n for n, _ in self.loader_status()]
        self.assertEqual(names.count("xdpwatch_main"), 1, names)
        self.assertIn("100% packet loss", self.ping(OTHER4, DST4, 5))
        self.assertIn("100% packet loss", self.ping(BAD4, DST4, 5))
        rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
        self.assertEqual(rules[OTHER4 + "/32"]["hit_packets"], 25)

    @unittest.skipUnless(EXT, EXT_WHY)
    def test_5_clean_stop_leaves_xdp_filter(self):
        c = self.__class__.coll
        self.assertEqual(c.stop(), 0)
        status = self.loader_status()
        self.assertNotIn("xdpwatch_main", [n for n, _ in status])
        self.assertTrue(any(n.startswith("xdpfilt_") for n, _ in status), status)
        self.assertIn("100% packet loss", self.ping(BAD4, DST4, 5), "xdp-filter still drops")
        self.assertIn(" 0% packet loss", self.ping(OTHER4, DST4, 5), "our rule left with our program")
        # The maps stay pinned, as in link mode.
        self.assertTrue(os.path.exists(os.path.join(self.lab.pin_root, c.key, "xw_deny_v4")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
