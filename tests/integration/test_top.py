#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""`xdpwatch top` against real traffic, a real collector and a real broker.

Lab: host "a" (192.0.2.10) and host "b" (198.51.100.11), each on its own
veth pair into host "dst" (192.0.2.1 on one link, 198.51.100.1 on the
other), where one xdpwatch-collector watches both links at sampling 1:2
and ships its records to the lab's broker (lab.Broker: XW_KAFKA_PORT,
started if needed, stopped again only if this run started it) on a
feature topic of this test's own, with its own host id. A local rule
drops 198.51.100.11/32.

Traffic with known counts: hping3 TCP SYN from a (passes), ping from b
(dropped by the rule). The known rates are what each sender's veth
transmitted (its tx counter, read before and after top runs) over the
time top ran; asked-for rates are not used, since hping3 and ping reach
only part of them on a loaded machine.

Checks:
  - `top --once --json`: per interface and in total, packets/s of
    ipv4/tcp/pass and ipv4/icmp/drop within 15% of the senders' rates,
    bits/s = packets/s x frame size x 8; nothing else moves; the rule with
    its hits and hits/s, its TTL, origin local, action drop; no Kafka:
    heavy hitters and attacks null.
  - after the traffic, the counters and the rule's hits in the JSON equal
    the counts sent, exactly.
  - a text frame: the sections, the rule, "no Kafka: heavy hitters off";
    with --width no line is longer, nothing wraps.
  - with --kafka: the top source is a's address and the top destination
    dst's, at the exact rate of a's flow within 20% (1:2 samples scaled
    by the sample rate); --host of another host shows none.
  - live, on a pseudo-terminal of 60 columns and 12 rows: frames drawn
    in place (home, clear to end of line) on the alternate screen, no line
    over 60 columns, no more than 12 rows; "q" quits at once, and the
    terminal is as it was (line mode and echo back, main screen, cursor
    shown); SIGINT (Ctrl-C) does the same.
  - a verdict signed by a trusted key: its rule on both links, origin
    verdict, named by the verdict's rule id, with its TTL.
  - alerts (Alert messages produced here, encoded with protoc's Python
    classes from proto/): a start shows as a current attack with its
    class, victim, rate and verdicts; its end shows it ended.
"""
import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest

try:
    import confluent_kafka
    from confluent_kafka.admin import NewTopic
except ImportError:
    if os.path.exists("/usr/bin/python3") and \
            os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import CLI, ROOT, Broker, Collector, Lab, cli, run  # noqa: E402
from kafka_util import admin_client, delete_topics, unique  # noqa: E402

DST4, DSTB4, A4, B4 = "192.0.2.1", "198.51.100.1", "192.0.2.10", "198.51.100.11"
SYN_FRAME = 14 + 20 + 20          # hping3 -S, no payload
PING_FRAME = 14 + 20 + 8 + 56     # ping's default 56 bytes of data
INTERVAL = 3.0


def tx_packets(lab, host, ifname):
    out = lab.sh(host, ["ip", "-s", "-j", "link", "show", "dev", ifname]).stdout
    return json.loads(out)[0]["stats64"]["tx"]["packets"]


def alert_classes(tmp):
    """xdpwatch.v1.Alert as a Python class, compiled from proto/ by protoc."""
    out = os.path.join(tmp, "pb")
    os.makedirs(out, exist_ok=True)
    run(["protoc", "-I", os.path.join(ROOT, "proto"), "--python_out=" + out,
         "xdpwatch/v1/alerts.proto", "xdpwatch/v1/verdicts.proto"])
    sys.path.insert(0, out)
    from xdpwatch.v1 import alerts_pb2  # noqa: E402
    return alerts_pb2


class Top(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().ensure()
        cls.features = unique("xw-top-features")
        cls.alerts = unique("xw-top-alerts")
        cls.verdicts = unique("xw-top-verdicts")
        admin = admin_client(cls.broker.bootstrap)
        for f in admin.create_topics([NewTopic(cls.features, num_partitions=3, replication_factor=1),
                                      NewTopic(cls.alerts, num_partitions=3, replication_factor=1),
                                      NewTopic(cls.verdicts, num_partitions=1, replication_factor=1,
                                               config={"cleanup.policy": "compact"})]).values():
            f.result(timeout=60)
        lab = cls.lab = Lab()
        cls.keys = os.path.join(lab.tmp, "keys")
        os.makedirs(os.path.join(cls.keys, "trusted"))
        run([CLI, "keygen", "--key-id", "top-soc", "--key-dir", cls.keys])
        os.link(os.path.join(cls.keys, "top-soc.pub"), os.path.join(cls.keys, "trusted", "top-soc.pub"))
        for h in ("a", "b", "dst"):
            lab.add_host(h)
        cls.aif, cls.bif = lab.tag + "a", lab.tag + "b"
        cls.daif, cls.dbif = lab.tag + "da", lab.tag + "db"
        lab.link("a", cls.aif, "dst", cls.daif)
        lab.link("b", cls.bif, "dst", cls.dbif)
        lab.addr("a", cls.aif, A4 + "/24")
        lab.addr("b", cls.bif, B4 + "/24")
        lab.addr("dst", cls.daif, DST4 + "/24")
        lab.addr("dst", cls.dbif, DSTB4 + "/24")
        cls.host_id = unique("xw-top-host")
        cls.collector = Collector(lab, "dst", cls.daif, sample_rate=2, extra=[
            "-i", cls.dbif,
            "--set", "kafka.bootstrap.servers=" + cls.broker.bootstrap,
            "--set", "kafka_topic=" + cls.features, "--set", "host_id=" + cls.host_id,
            "--set", "batch_linger_ms=50", "--set", "verdicts_topic=" + cls.verdicts,
            "--set", "trusted_keys=" + os.path.join(cls.keys, "trusted")]).start(timeout=90)
        cls.akey = cls.collector.key
        cls.bkey = "%s@%s" % (cls.dbif, lab.ns("dst"))
        lab.sh("a", ["ping", "-c", "1", "-W", "2", DST4])
        lab.sh("b", ["ping", "-c", "1", "-W", "2", DSTB4])
        cli(lab, "rule", "add", B4 + "/32", "--ttl", "10m")

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()
        delete_topics(cls.broker.bootstrap, [cls.features, cls.alerts, cls.verdicts], "test_top")
        cls.broker.close()

    def top(self, *args, kafka=False, timeout=60):
        cmd = [CLI, "--pin-root", self.lab.pin_root, "top", "--once", "--interval", str(INTERVAL)] + list(args)
        if kafka:
            cmd += ["--kafka", self.broker.bootstrap, "--features-topic", self.features,
                    "--alerts-topic", self.alerts]
        p = run(cmd, timeout=timeout)
        return p.stdout

    def top_json(self, *args, **kw):
        return json.loads(self.top("--json", *args, **kw))

    def flows(self, syn, pings):
        """hping3 SYN from a and ping from b, in the background."""
        a = self.lab.popen("a", ["hping3", "-q", "-S", "-p", "80", "-c", str(syn), "-i", "u1000", DST4],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        b = self.lab.popen("b", ["ping", "-q", "-c", str(pings), "-i", "0.01", DSTB4],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return a, b

    def measured(self, fn):
        """Run fn while reading both senders' tx counters around it: its
        result and the senders' packets/s over the time it ran."""
        a0, b0, t0 = tx_packets(self.lab, "a", self.aif), tx_packets(self.lab, "b", self.bif), time.monotonic()
        out = fn()
        t1, a1, b1 = time.monotonic(), tx_packets(self.lab, "a", self.aif), tx_packets(self.lab, "b", self.bif)
        return out, (a1 - a0) / (t1 - t0), (b1 - b0) / (t1 - t0)

    @staticmethod
    def rate(scope, family, l4, action):
        for t in scope["traffic"]:
            if (t["family"], t["l4"], t["action"]) == (family, l4, action):
                return t
        return {"pps": 0.0, "bps": 0.0, "packets": 0, "bytes": 0}

    def assertNear(self, got, want, tol, what):
        self.assertTrue(abs(got - want) <= tol * want, "%s: %.1f, want %.1f within %d%%" % (what, got, want, tol * 100))

    def test_1_rates_rules_and_text(self):
        before = self.top_json()
        ifs = {i["name"]: i for i in before["interfaces"]}
        syn0 = self.rate(ifs[self.akey], "ipv4", "tcp", "pass")["packets"]
        drop0 = self.rate(ifs[self.bkey], "ipv4", "icmp", "drop")["packets"]
        hits0 = before["rules"][0]["hit_packets"]
        self.assertIsNone(before["heavy_hitters"])
        self.assertIsNone(before["attacks"])

        syn, pings = 12000, 900
        a, b = self.flows(syn, pings)
        try:
            time.sleep(1.5)
            doc, a_pps, b_pps = self.measured(self.top_json)
            frame = self.top("--width", "72")
            wide = self.top()
        finally:
            a.wait(timeout=120)
            b.wait(timeout=120)
        print("senders: a %.0f pkt/s, b %.0f pkt/s" % (a_pps, b_pps), file=sys.stderr)
        self.assertGreater(a_pps, 50, "hping3 sent too little to measure")
        self.assertGreater(b_pps, 20, "ping sent too little to measure")

        ifs = {i["name"]: i for i in doc["interfaces"]}
        self.assertEqual(set(ifs), {self.akey, self.bkey})
        ia, ib = ifs[self.akey], ifs[self.bkey]
        self.assertTrue(ia["rates_valid"] and ib["rates_valid"])
        self.assertNear(ia["seconds"], INTERVAL, 0.15, "interval")
        syn_r = self.rate(ia, "ipv4", "tcp", "pass")
        drop_r = self.rate(ib, "ipv4", "icmp", "drop")
        self.assertNear(syn_r["pps"], a_pps, 0.15, "a's SYN packets/s")
        self.assertNear(drop_r["pps"], b_pps, 0.15, "b's dropped pings/s")
        self.assertAlmostEqual(syn_r["bps"], syn_r["pps"] * SYN_FRAME * 8, delta=1)
        self.assertAlmostEqual(drop_r["bps"], drop_r["pps"] * PING_FRAME * 8, delta=1)
        # Nothing else moves (an ARP or two may: not IP).
        for i in (ia, ib):
            moving = {(t["family"], t["l4"], t["action"]) for t in i["traffic"]
                      if t["pps"] > 0 and t["family"] != "non_ip"}
            self.assertLessEqual(moving, {("ipv4", "tcp", "pass"), ("ipv4", "icmp", "drop")})
        tot = doc["total"]
        self.assertAlmostEqual(self.rate(tot, "ipv4", "tcp", "pass")["pps"], syn_r["pps"], delta=0.01)
        self.assertAlmostEqual(self.rate(tot, "ipv4", "icmp", "drop")["pps"], drop_r["pps"], delta=0.01)
        self.assertAlmostEqual(tot["pps"], ia["pps"] + ib["pps"], delta=0.01)

        rules = [r for r in doc["rules"] if r["src"] == B4 + "/32"]
        self.assertEqual(len(rules), 2, "the rule on each interface: %s" % doc["rules"])
        rb = [r for r in rules if r["interface"] == self.bkey][0]
        ra = [r for r in rules if r["interface"] == self.akey][0]
        self.assertEqual((rb["origin"], rb["action"]), ("local", "drop"))
        self.assertGreater(rb["hit_packets"], hits0)
        self.assertNear(rb["hits_pps"], drop_r["pps"], 0.02, "the rule's hits/s")
        self.assertEqual(ra["hits_pps"], 0.0)
        self.assertTrue(500 < rb["ttl_left_s"] <= 600, rb["ttl_left_s"])

        # The text frame: every section, the rule, cut to 72 columns.
        lines = frame.splitlines()
        self.assertTrue(all(len(line) <= 72 for line in lines), frame)
        for want in ("xdpwatch top", "TRAFFIC", "RULES", B4 + "/32", "no Kafka: heavy hitters off",
                     "no Kafka: attacks off"):
            self.assertIn(want, frame)
        self.assertRegex(wide, r"ipv4\s+tcp\s+pass\s+\d")
        self.assertRegex(wide, r"ipv4\s+icmp\s+drop\s+\d")
        self.assertRegex(wide, r"local\s+%s/32\s+any\s+drop\s+\d+\s+\d" % B4.replace(".", r"\."))
        self.assertGreater(max(len(line) for line in wide.splitlines()), 72)
        print("\n" + wide, file=sys.stderr)

        # After the traffic, the counts sent, exactly.
        after = self.top_json()
        ifs = {i["name"]: i for i in after["interfaces"]}
        self.assertEqual(self.rate(ifs[self.akey], "ipv4", "tcp", "pass")["packets"] - syn0, syn)
        self.assertEqual(self.rate(ifs[self.bkey], "ipv4", "icmp", "drop")["packets"] - drop0, pings)
        rb = [r for r in after["rules"] if r["interface"] == self.bkey][0]
        self.assertEqual(rb["hit_packets"] - hits0, pings)
        self.assertEqual(rb["hits_pps"], 0.0)

    def test_2_heavy_hitters_from_kafka(self):
        a, b = self.flows(8000, 600)
        try:
            time.sleep(1.5)
            doc, a_pps, _ = self.measured(lambda: self.top_json(kafka=True))
            frame = self.top("--host", self.host_id, kafka=True)
            other = self.top_json("--host", "no-such-host", kafka=True)
        finally:
            a.wait(timeout=120)
            b.wait(timeout=120)
        hh = doc["heavy_hitters"]
        self.assertIsNotNone(hh, doc)
        self.assertEqual(hh["late_records"], 0)
        ifs = {i["name"]: i for i in doc["interfaces"]}
        exact = self.rate(ifs[self.akey], "ipv4", "tcp", "pass")["pps"]
        print("a: %.0f pkt/s sent, %.0f exact, heavy hitters %s" % (a_pps, exact, hh["sources"][:3]),
              file=sys.stderr)
        self.assertGreater(hh["records"], 100)
        top_src, top_dst = hh["sources"][0], hh["destinations"][0]
        self.assertEqual(top_src["addr"], A4)
        self.assertEqual(top_dst["addr"], DST4)
        # 1:2 samples, each counted twice: the exact rate within 20%.
        self.assertNear(top_src["pps"], exact, 0.20, "a as a heavy hitter")
        self.assertNear(top_src["bps"], top_src["pps"] * SYN_FRAME * 8, 0.01, "a's bits/s")
        srcs = [s["addr"] for s in hh["sources"]]
        self.assertIn(B4, srcs, "dropped traffic is sampled too")
        self.assertEqual(other["heavy_hitters"]["sources"], [])
        self.assertRegex(frame, r"TOP SOURCES[^\n]*\n\s+%s\s" % A4.replace(".", r"\."))
        self.assertIn("host " + self.host_id, frame)
        self.assertEqual(doc["attacks"], [])

    def test_3_attacks_from_alerts(self):
        tmp = tempfile.mkdtemp(prefix="xw-top-pb-")
        pb = alert_classes(tmp)
        prod = confluent_kafka.Producer({"bootstrap.servers": self.broker.bootstrap})
        now = time.time_ns()

        def alert(phase, **kw):
            m = pb.Alert(schema_version=1, attack_id="syn_flood/%s/32" % DST4, phase=phase,
                         attack_class=pb.ATTACK_SYN_FLOOD, vector=pb.ATTACK_SYN_FLOOD,
                         start_unix_ns=now - 12 * 10**9, detected_unix_ns=now - 11 * 10**9,
                         pps=23456.0, bps=23456.0 * SYN_FRAME * 8, peak_pps=30000.0, threshold_pps=5000,
                         l4_proto=6, rule_ids=["xwd-syn_flood-0123456789ab"], detector="test",
                         mitigation="drop the top sources", **kw)
            m.victim.addr = bytes([192, 0, 2, 1])
            m.victim.len = 32
            prod.produce(self.alerts, key=m.attack_id, value=m.SerializeToString(),
                         headers=[("schema", "xdpwatch.v1.Alert"), ("schema_version", "1")])
            self.assertEqual(prod.flush(30), 0)

        alert(pb.ALERT_START, time_unix_ns=now)
        doc = self.top_json(kafka=True)
        self.assertEqual(len(doc["attacks"]), 1, doc["attacks"])
        at = doc["attacks"][0]
        self.assertEqual((at["phase"], at["class"], at["victim"]), ("start", "syn_flood", DST4 + "/32"))
        self.assertEqual(at["pps"], 23456.0)
        self.assertEqual(at["rule_ids"], ["xwd-syn_flood-0123456789ab"])
        frame = self.top(kafka=True)
        self.assertRegex(frame, r"syn_flood\s+192\.0\.2\.1/32\s+23\.5k\s+\S+\s+30\.0k\s+\d+s\s+start\s+"
                                r"xwd-syn_flood-0123456789ab")

        alert(pb.ALERT_UPDATE, time_unix_ns=time.time_ns())
        alert(pb.ALERT_END, time_unix_ns=time.time_ns(), end_unix_ns=time.time_ns())
        doc = self.top_json(kafka=True)
        self.assertEqual([a["phase"] for a in doc["attacks"]], ["end"])
        self.assertIn("ended", self.top(kafka=True))

    def test_5_verdict_rule_named(self):
        out = run([CLI, "verdict", "add", "203.0.113.7", "--ttl", "5m", "--key",
                   os.path.join(self.keys, "top-soc.key"), "--bootstrap", self.broker.bootstrap,
                   "--topic", self.verdicts, "--hosts", self.host_id, "--reason", "test_top"]).stdout
        rule_id = out.split()[1]  # "rule <id> version ..."
        deadline = time.time() + 30
        while True:
            doc = self.top_json("--interval", "0.5")
            rules = [r for r in doc["rules"] if r["src"] == "203.0.113.7/32"]
            if len(rules) == 2 or time.time() > deadline:
                break
        self.assertEqual(len(rules), 2, doc["rules"])
        for r in rules:
            self.assertEqual((r["origin"], r["verdict"], r["action"]), ("verdict", rule_id, "drop"))
            self.assertTrue(200 < r["ttl_left_s"] <= 300, r)
        self.assertRegex(self.top("--interval", "0.5"),
                         r"verdict\s+203\.0\.113\.7/32\s+any\s+drop\s+0\s+0\s+\dm\d\ds\s+%s" % rule_id)

    def live(self, quit_with, *args, rows=12):
        """top on a 60x12 pseudo-terminal until it has drawn two frames,
        then quit_with(proc, master): its output, exit status and the
        terminal's modes after."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 60, 0, 0))
        before = termios.tcgetattr(slave)
        p = subprocess.Popen([CLI, "--pin-root", self.lab.pin_root, "top", "--interval", "0.5"] + list(args),
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        out = b""
        deadline = time.time() + 20
        try:
            while out.count(b"xdpwatch top") < 2 and time.time() < deadline:
                if select.select([master], [], [], 0.2)[0]:
                    out += os.read(master, 65536)
            quit_with(p, master)
            rc = p.wait(timeout=5)
            while select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            after = termios.tcgetattr(slave)
        finally:
            if p.poll() is None:
                p.kill()
            os.close(master)
            os.close(slave)
        return out.decode(errors="replace"), rc, before, after

    def check_live(self, out, rc, before, after, cols=60, rows=12):
        self.assertEqual(rc, 0, out)
        self.assertTrue(out.startswith("\x1b[?1049h\x1b[?25l"), repr(out[:40]))
        self.assertTrue(out.endswith("\x1b[?25h\x1b[?1049l"), repr(out[-40:]))
        self.assertGreaterEqual(out.count("xdpwatch top"), 2)
        self.assertEqual(before[3] & (termios.ICANON | termios.ECHO), after[3] & (termios.ICANON | termios.ECHO))
        frame = out.split("\x1b[H")[-1]
        lines = [r for r in frame.replace("\x1b[J", "").replace("\x1b[?25h\x1b[?1049l", "").split("\x1b[K") if r.strip("\r\n")]
        self.assertLessEqual(len(lines), rows, lines)
        for r in lines:
            self.assertLessEqual(len(r.strip("\r\n")), cols, repr(r))
        if rows == 12:
            self.assertIn("more lines", frame)

    def test_4_live_view_quits_and_restores_the_terminal(self):
        def press_q(p, master):
            os.write(master, b"q")
            t0 = time.time()
            p.wait(timeout=5)
            self.assertLess(time.time() - t0, 1.5, "q must quit at once")
        self.check_live(*self.live(press_q))
        self.check_live(*self.live(lambda p, master: p.send_signal(2)))

        # With Kafka, made narrower while it runs: redrawn to fit.
        def narrower_then_q(p, master):
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 40, 0, 0))
            p.send_signal(28)  # SIGWINCH: the pty's process group is not top's
            time.sleep(1.2)
            os.write(master, b"q")
        out, rc, before, after = self.live(narrower_then_q, "--kafka", self.broker.bootstrap,
                                           "--features-topic", self.features, "--alerts-topic", self.alerts,
                                           rows=40)
        self.check_live(out, rc, before, after, cols=40, rows=40)
        last = out.split("\x1b[H")[-1]
        self.assertIn("HEAVY HITTERS", last)
        self.assertIn("ATTACKS", last)


if __name__ == "__main__":
    unittest.main(verbosity=2)
