#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Real traffic over a veth pair into the attached collector.

Lab: host "src" (192.0.2.10 and .11, 2001:db8::10 and ::11) sends to host
"dst" (192.0.2.1, 2001:db8::1), where xdpwatch-collector runs on dst's veth
at sampling 1. Traffic comes from hping3, ping, and nc.

Checks: records and counters match what was sent, exactly; a rule added
with `xdpwatch rule add` drops that source (v4 and v6) and its hit counter
matches; other sources still pass; after the TTL packets pass again; a
monitor rule counts without dropping; a second collector is refused; a
collector killed with SIGKILL leaves its rules enforced and the next one
takes the link over.
"""
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import Collector, Lab, cli, cli_json, run, traffic  # noqa: E402

DST4, SRC4, OTHER4 = "192.0.2.1", "192.0.2.10", "192.0.2.11"
DST6, SRC6, OTHER6 = "2001:db8::1", "2001:db8::10", "2001:db8::11"


def count(records, **match):
    return sum(1 for r in records if all(r.get(k) == v for k, v in match.items()))


class PacketPath(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        lab = cls.lab = Lab()
        lab.add_host("src")
        lab.add_host("dst")
        cls.sif, cls.dif = lab.tag + "s", lab.tag + "d"
        lab.link("src", cls.sif, "dst", cls.dif)
        for cidr in (SRC4 + "/24", OTHER4 + "/24", SRC6 + "/64", OTHER6 + "/64"):
            lab.addr("src", cls.sif, cidr)
        for cidr in (DST4 + "/24", DST6 + "/64"):
            lab.addr("dst", cls.dif, cidr)
        cls.collector = Collector(lab, "dst", cls.dif, sample_rate=1).start()
        # Resolve neighbours before anything is counted exactly.
        lab.sh("src", ["ping", "-c", "1", "-W", "2", DST4])
        lab.sh("src", ["ping", "-6", "-c", "1", "-W", "2", DST6])

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def quiet_snapshot(self):
        """Counters and the number of records, taken together: stray
        packets (ARP, ND) may come at any time, so retry until the counters
        did not move while the records were read."""
        for _ in range(20):
            counters, _ = traffic(self.lab, self.collector.key)
            n = len(self.collector.records())
            again, _ = traffic(self.lab, self.collector.key)
            if again == counters:
                return counters, n
        self.fail("the counters never stood still")

    def ping(self, src, dst, n, v6=False, check=True):
        args = ["ping"] + (["-6"] if v6 else []) + ["-c", str(n), "-i", "0.01", "-W", "1", "-I", src, dst]
        return self.lab.sh("src", args, check=check)

    def hping(self, *args):
        self.lab.sh("src", ["hping3", "-q"] + list(args), check=False, timeout=60)

    def test_1_records_and_counters_match_traffic(self):
        before, n_before = self.quiet_snapshot()

        self.hping("-S", "-p", "80", "-c", "200", "-i", "u2000", "-a", SRC4, DST4)
        self.hping("--udp", "-p", "53", "-s", "3000", "-k", "-c", "100", "-i", "u2000", "-a", SRC4, DST4)
        self.ping(SRC4, DST4, 50)
        self.ping(SRC6, DST6, 30, v6=True)
        # A real TCP conversation: nc listens on dst, the client sends a line.
        # -d: the server never reads stdin, so it ends when the client
        # closes (-N), not when some stdin runs dry.
        server = self.lab.popen("dst", ["timeout", "20", "nc", "-l", "-d", "-p", "5001"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(0.3)
        self.lab.sh("src", ["sh", "-c", "echo hello-xdpwatch | nc -N -w 5 -s %s %s 5001" % (OTHER4, DST4)])
        self.assertEqual(server.communicate(timeout=10)[0].strip(), "hello-xdpwatch")

        recs = self.collector.records()[n_before:]
        syn = [r for r in recs if r["src"] == SRC4 and r["l4_proto"] == 6 and r.get("dport") == 80]
        self.assertEqual(len(syn), 200, "one record per SYN sent")
        self.assertTrue(all(r["tcp_flags"] == 0x02 and r["ttl"] == 64 and r["dst"] == DST4 for r in syn))
        self.assertTrue(all(r["action"] == "pass" and r["sample_rate"] == 1 for r in syn))
        udp = [r for r in recs if r["src"] == SRC4 and r["l4_proto"] == 17 and r.get("dport") == 53]
        self.assertEqual(len(udp), 100)
        self.assertTrue(all(r["sport"] == 3000 and r["ip_len"] == 28 and r["l4_payload_len"] == 0 for r in udp))
        self.assertEqual(count(recs, src=SRC4, l4_proto=1, icmp_type=8), 50)
        self.assertEqual(count(recs, src=SRC6, dst=DST6, l4_proto=58, icmp_type=128), 30)
        tcp = [r for r in recs if r["src"] == OTHER4 and r.get("dport") == 5001]
        self.assertTrue(any(r["tcp_flags"] == 0x02 for r in tcp), "handshake SYN seen")
        self.assertTrue(any(r["tcp_flags"] & 0x08 and r["l4_payload_len"] == len("hello-xdpwatch\n") for r in tcp),
                        "the data segment seen with its payload length")

        # Counters are exact: every counted packet has its record at 1:1.
        after, n_after = self.quiet_snapshot()
        _, events = traffic(self.lab, self.collector.key)
        all_recs = self.collector.records()[n_before:n_after]
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        fam = {4: "ipv4", 6: "ipv6", 0: "non_ip"}
        l4 = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}
        by_key = {}
        for r in all_recs:
            key = (fam[r["ip_version"]], l4.get(r["l4_proto"], "other") if r["ip_version"] else "other", r["action"])
            by_key[key] = by_key.get(key, 0) + 1
        self.assertEqual(events["records_lost_ringbuf_full"], 0)
        self.assertEqual({k: v for k, v in delta.items() if v}, by_key, "records == counted packets at 1:1")
        self.assertGreaterEqual(delta[("ipv4", "tcp", "pass")], 200 + len(tcp))
        self.assertEqual(delta[("ipv4", "udp", "pass")], 100)
        self.assertEqual(events["records_lost_ringbuf_full"], 0)

    def test_2_rule_drops_source_and_counts_hits(self):
        cli(self.lab, "rule", "add", SRC4 + "/32", "--ttl", "6s")
        cli(self.lab, "rule", "add", SRC6, "--ttl", "6s")
        added = time.monotonic()
        before, _ = traffic(self.lab, self.collector.key)

        self.hping("-S", "-p", "80", "-c", "150", "-i", "u2000", "-a", SRC4, DST4)
        r = self.ping(SRC6, DST6, 20, v6=True, check=False)
        self.assertIn("100% packet loss", r.stdout)
        # Other sources are untouched.
        self.assertIn(" 0% packet loss", self.ping(OTHER4, DST4, 20).stdout)
        self.assertIn(" 0% packet loss", self.ping(OTHER6, DST6, 20, v6=True).stdout)

        rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
        self.assertEqual(rules[SRC4 + "/32"]["hit_packets"], 150)
        self.assertEqual(rules[SRC6 + "/128"]["hit_packets"], 20)
        after, _ = traffic(self.lab, self.collector.key)
        self.assertEqual(after.get(("ipv4", "tcp", "drop"), 0) - before.get(("ipv4", "tcp", "drop"), 0), 150)
        self.assertEqual(after.get(("ipv6", "icmpv6", "drop"), 0) - before.get(("ipv6", "icmpv6", "drop"), 0), 20)
        dropped = [x for x in self.collector.records() if x["action"] == "drop" and x["src"] == SRC4]
        self.assertEqual(len(dropped), 150, "dropped packets are still sampled")
        self.assertTrue(all(x["rule_id"] == rules[SRC4 + "/32"]["rule_id"] for x in dropped))

        # After the TTL the kernel lets them through, whoever is running.
        time.sleep(max(0, 6.5 - (time.monotonic() - added)))
        self.assertIn(" 0% packet loss", self.ping(SRC4, DST4, 10).stdout)
        self.assertIn(" 0% packet loss", self.ping(SRC6, DST6, 10, v6=True).stdout)

    def test_3_monitor_rule_counts_without_dropping(self):
        cli(self.lab, "rule", "add", "192.0.2.0/24", "--ttl", "60", "--monitor")
        try:
            self.assertIn(" 0% packet loss", self.ping(SRC4, DST4, 25).stdout)
            rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
            self.assertEqual(rules["192.0.2.0/24"]["action"], "monitor")
            self.assertEqual(rules["192.0.2.0/24"]["hit_packets"], 25)
        finally:
            cli(self.lab, "rule", "del", "192.0.2.0/24")

    def test_3a_nested_prefixes_coexist(self):
        """A one-address rule inside a ruled prefix, added in either order,
        for both families: longest prefix wins, each rule with its own id
        and hits. (An LPM lookup used to read the covering rule as the
        narrow prefix's own: the CLI gave the narrow rule the wide one's id,
        and a verdict was refused as prefix_taken.)"""
        for wide, narrow, src, other, v6 in (("192.0.2.8/29", SRC4 + "/32", SRC4, OTHER4, False),
                                             ("2001:db8::/120", SRC6 + "/128", SRC6, OTHER6, True)):
            for order in ((wide, "--ttl", "60"), (narrow, "--ttl", "60", "--monitor")), \
                         ((narrow, "--ttl", "60", "--monitor"), (wide, "--ttl", "60")):
                for args in order:
                    cli(self.lab, "rule", "add", *args)
                try:
                    rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
                    self.assertEqual((rules[wide]["action"], rules[narrow]["action"]), ("drop", "monitor"))
                    self.assertIn(" 0% packet loss", self.ping(src, DST6 if v6 else DST4, 10, v6=v6).stdout)
                    self.assertIn(" 100% packet loss", self.ping(other, DST6 if v6 else DST4, 10, v6=v6,
                                                                  check=False).stdout)
                    rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
                    # 10 echo requests each, and for IPv6 maybe a neighbour solicitation.
                    self.assertTrue(10 <= rules[narrow]["hit_packets"] <= 11 and 10 <= rules[wide]["hit_packets"] <= 11,
                                    (rules[narrow], rules[wide]))
                finally:
                    cli(self.lab, "rule", "del", narrow, check=False)
                    cli(self.lab, "rule", "del", wide, check=False)

    def test_4_l4_qualified_rule(self):
        cli(self.lab, "rule", "add", SRC4, "--ttl", "60", "--proto", "udp", "--sport", "123")
        try:
            self.hping("--udp", "-s", "123", "-k", "-p", "4444", "-c", "40", "-i", "u2000", "-a", SRC4, DST4)
            self.assertIn(" 0% packet loss", self.ping(SRC4, DST4, 10).stdout, "ICMP from the source passes")
            rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
            self.assertEqual(rules[SRC4 + "/32"]["hit_packets"], 40)
        finally:
            cli(self.lab, "rule", "del", SRC4)

    def test_4a_tcp_flags_rule(self):
        # SYNs (SYN set, ACK clear) from the source are dropped; its ACKs,
        # to the same port, pass and never touch the rule.
        cli(self.lab, "rule", "add", SRC4, "--ttl", "60", "--proto", "tcp", "--dport", "80",
            "--tcp-flags", "syn")
        try:
            rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
            self.assertEqual((rules[SRC4 + "/32"]["tcp_flags_mask"], rules[SRC4 + "/32"]["tcp_flags_value"]),
                             (0x12, 0x02))
            self.assertIn("tcp dport 80 flags syn,ack/syn", cli(self.lab, "rule", "list").stdout)
            before, _ = self.quiet_snapshot()
            self.hping("-S", "-p", "80", "-c", "30", "-i", "u2000", "-a", SRC4, DST4)
            self.hping("-A", "-p", "80", "-c", "20", "-i", "u2000", "-a", SRC4, DST4)
            after, _ = self.quiet_snapshot()
            rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
            self.assertEqual(rules[SRC4 + "/32"]["hit_packets"], 30, "the SYNs, not the ACKs")
            self.assertEqual(after.get(("ipv4", "tcp", "drop"), 0) - before.get(("ipv4", "tcp", "drop"), 0), 30)
            self.assertEqual(after.get(("ipv4", "tcp", "pass"), 0) - before.get(("ipv4", "tcp", "pass"), 0), 20)
        finally:
            cli(self.lab, "rule", "del", SRC4)
        p = cli(self.lab, "rule", "add", SRC4, "--ttl", "60", "--tcp-flags", "syn", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--tcp-flags syn needs --proto tcp", p.stderr)

    def test_5_second_collector_refused(self):
        second = Collector(self.lab, "dst", self.dif)
        p = subprocess.run(second.args, capture_output=True, text=True, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("already watched by another xdpwatch-collector", p.stderr)

    def test_6_rules_survive_sigkill_and_link_is_taken_over(self):
        cli(self.lab, "rule", "add", SRC4, "--ttl", "120")
        try:
            self.collector.stop(signal.SIGKILL)
            # No collector runs now: the pinned link keeps the program on.
            self.assertIn("100% packet loss", self.ping(SRC4, DST4, 10, check=False).stdout)
            self.collector.start(expect="took over the pinned link")
            self.assertIn("100% packet loss", self.ping(SRC4, DST4, 10, check=False).stdout)
            rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
            self.assertEqual(rules[SRC4 + "/32"]["hit_packets"], 20)
        finally:
            cli(self.lab, "rule", "del", SRC4)
        self.assertIn(" 0% packet loss", self.ping(SRC4, DST4, 5).stdout)

    def test_7_clean_stop_detaches(self):
        self.assertEqual(self.collector.stop(), 0)
        out = self.lab.sh("dst", ["ip", "-d", "link", "show", self.dif]).stdout
        self.assertNotIn("prog/xdp", out)
        # The maps stay pinned for the next collector.
        self.assertTrue(os.path.exists(os.path.join(self.lab.pin_root, self.collector.key, "xw_deny_v4")))
        self.assertFalse(os.path.exists(os.path.join(self.lab.pin_root, self.collector.key, "link")))

    def test_8_pins_of_another_layout_refused(self):
        # As an xdpwatch of another XW_ABI_VERSION would have left it: a
        # deny trie whose rules are 24 bytes. The CLI must not write its
        # rules into it, truncated; it names the way out.
        path = os.path.join(self.lab.pin_root, self.collector.key, "xw_deny_v4")
        os.unlink(path)
        run(["bpftool", "map", "create", path, "type", "lpm_trie", "key", "8", "value", "24",
             "entries", "16", "name", "xw_deny_v4", "flags", "1"])
        p = cli(self.lab, "rule", "add", SRC4, "--ttl", "60", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("another layout", p.stderr)
        self.assertIn("'xdpwatch unpin %s'" % self.collector.key, p.stderr)
        # A collector refuses them as well (libbpf compares sizes).
        p = subprocess.run(self.collector.args, capture_output=True, text=True, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("xdpwatch unpin %s" % self.collector.key, p.stderr)
        cli(self.lab, "unpin", self.collector.key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
