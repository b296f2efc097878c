#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Faults, each with the pass criterion it asserts (issue 7). What other
suites already cover is not repeated here: test_kafka's BrokerOutage (a
clean `kafka.sh stop`), test_packet_path's and test_verdicts' collector
SIGKILL, takeover and restart, test_detector's Scaleout (a detector
stopped with SIGTERM).

Broker: scripts/kafka.sh on XW_KAFKA_PORT / XW_KAFKA_DATA through
lab.Broker (started if needed, stopped at the end only if this run started
it). Every class makes topics of its own and they are deleted at the end;
every lab (namespaces, pins, processes) is closed also when a test fails.

  BrokerKilled     `kafka.sh kill` (SIGKILL, no clean shutdown) during a
                   steady ~700 pps, back OUTAGE_S later with the same data:
                   delivered + failed + queue-full = sampled, and with an
                   outage shorter than message.timeout.ms nothing is lost
                   at all (no gap, no repeat in the batch sequence); RSS,
                   sampled every second, under queue + 2 x ring + allowance.
  DetectorKilled   two detectors in one group (session.timeout.ms 6000, the
                   broker's minimum); the owner of the victim's partition
                   is SIGKILLed mid-attack: the victim's exact drop counter
                   grows in every second from the kill until the survivor
                   has taken the attack over and 2 s after; the survivor
                   starts the same attack id with the same rule ids; the
                   verdict topic holds exactly those keys.
  VerdictReplay    100,000 signed messages on a fresh compacted topic
                   (adds, updates, replayed older versions, withdrawals,
                   verdicts for another host, unknown and forged
                   signatures); a collector started afterwards catches up
                   to exactly the rule set the topic implies, rule by rule
                   (prefix, protocol, ports, action, rate, expiry within
                   3 s); the catch-up time is printed.
  RingbufOverflow  ringbuf_kib=64 at 1:1 and an unpaced trafgen flood: the
                   kernel counts records lost to the full ring, records
                   written (the collector's file) = records sampled, written
                   + lost = packets, and the exact counters equal what the
                   sender's veth transmitted.
"""
import ipaddress
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

try:
    import confluent_kafka  # noqa: F401
    import google.protobuf  # noqa: F401
    import nacl.signing  # noqa: F401
except ImportError:
    if os.path.exists("/usr/bin/python3") and \
            os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attacks as A  # noqa: E402
import test_detector as TD  # noqa: E402  (modules, not classes: unittest runs none of theirs)
import test_kafka as TK  # noqa: E402
import test_verdicts as TV  # noqa: E402
from kafka_util import delete_topics, read_to_watermarks, unique  # noqa: E402
from lab import CLI, ROOT, Collector, Lab, cli_json, run  # noqa: E402

BROKER = None


def setUpModule():
    """One broker, one key folder and one folder of generated protobuf
    classes for the helpers of the three suites this one reuses."""
    global BROKER
    TV.setUpModule()  # broker, verdicts_pb2, keys soc-test (trusted) and rogue-test
    BROKER = TV.BROKER
    # features_pb2 beside verdicts_pb2: one xdpwatch.v1 package.
    run(["protoc", "-I", os.path.join(ROOT, "proto"), "--python_out", TV._pb_dir,
         os.path.join(ROOT, "proto", "xdpwatch", "v1", "features.proto")])
    from xdpwatch.v1 import features_pb2
    TK.BROKER, TK.PB = BROKER, features_pb2
    run([CLI, "keygen", "--key-id", "detector-test", "--key-dir", TV.KEYS])
    os.link(os.path.join(TV.KEYS, "detector-test.pub"), os.path.join(TV.KEYS, "trusted", "detector-test.pub"))
    TD.BROKER, TD.KEYS = BROKER, TV.KEYS


def tearDownModule():
    if BROKER:
        delete_topics(BROKER.bootstrap, TK._topics + TD._topics, "test_faults")
    TV.tearDownModule()  # its topics, the broker (if this run started it), the folders


def close_log(proc):
    """A Collector's or Detector's log file, also when a test failed
    before stopping it (cleanups run after the lab's, in reverse)."""
    if getattr(proc, "log", None) and not proc.log.closed:
        proc.log.close()


def drops(lab, key, with_total=False):
    """Packets the victim's XDP dropped (and, with_total, all it saw),
    from the exact counters."""
    stats = cli_json(lab, "-i", key, "stats")[0]
    dropped = sum(t["packets"] for t in stats["traffic"] if t["action"] == "drop")
    return (dropped, sum(t["packets"] for t in stats["traffic"])) if with_total else dropped


class BrokerKilled(unittest.TestCase):
    """Host "cl" sends a steady UDP stream to "dst"; the collector on
    dst's link queues up to QUEUE_KIB with message.timeout.ms TIMEOUT_MS.
    The broker is SIGKILLed (its page cache survives, as after a JVM
    crash, not a power cut) and started again OUTAGE_S later."""

    OUTAGE_S = 15
    TIMEOUT_MS = 90000
    QUEUE_KIB = 16384
    RINGBUF_KIB = 1024
    RSS_ALLOWANCE_KIB = TK.BrokerOutage.RSS_ALLOWANCE_KIB
    NET = "198.51.100"

    def setUp(self):
        lab = self.lab = Lab()
        self.addCleanup(lab.close)
        # A failure half-way must not leave the broker down for the rest.
        self.addCleanup(lambda: BROKER.running() or BROKER.start())
        lab.add_host("cl")
        lab.add_host("dst")
        cif, self.dif = lab.tag + "c", lab.tag + "d"
        lab.link("cl", cif, "dst", self.dif)
        lab.addr("cl", cif, self.NET + ".10/24")
        lab.addr("dst", self.dif, self.NET + ".1/24")
        self.topic = TK.create_topic(unique("xw-test-brokerkill"))
        self.col = Collector(lab, "dst", self.dif, sample_rate=1, extra=TK.kafka_args(
            self.topic, unique("xw-test-kill"), "output=none",
            "ringbuf_kib=%d" % self.RINGBUF_KIB,
            "kafka.queue.buffering.max.kbytes=%d" % self.QUEUE_KIB,
            "kafka.message.timeout.ms=%d" % self.TIMEOUT_MS)).start()
        self.addCleanup(close_log, self.col)
        lab.sh("cl", ["ping", "-c", "1", "-W", "2", self.NET + ".1"])

    def test_broker_sigkill_mid_production(self):
        lab, col = self.lab, self.col
        bound_kib = self.QUEUE_KIB + 2 * self.RINGBUF_KIB + self.RSS_ALLOWANCE_KIB
        sampler = TK.RssSampler({"collector": col.proc})
        sampler.start()
        # About 700 pps (hping3 -i u1000 reaches ~70%), ending by itself.
        sender = lab.popen("cl", ["hping3", "-q", "--udp", "-p", "9", "-k", "-s", "4000", "-i", "u1000",
                                  "-c", "100000", self.NET + ".1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        timeline = {}
        try:
            time.sleep(5)
            t = time.monotonic()
            BROKER.sh("kill")
            timeline["killed_at_s"] = 5
            time.sleep(self.OUTAGE_S)
            BROKER.start()
            timeline["outage_s"] = round(time.monotonic() - t, 1)
            self.assertLess(timeline["outage_s"] * 1000, self.TIMEOUT_MS, "outage longer than message.timeout.ms")
            time.sleep(8)
        finally:
            if sender.poll() is None:
                sender.send_signal(signal.SIGINT)
            sender.wait(timeout=10)
            time.sleep(0.5)
            sampler.stop()
        self.assertEqual(sampler.died, {}, "the collector exited during the outage (time, exit code)")
        rc = col.stop(timeout=60)
        log = col.log_text()
        self.assertEqual(rc, 0, log[-3000:])
        stats = cli_json(lab, "-i", col.key, "stats")[0]
        msgs = TK.in_log_order(TK.consume(self.topic))
        seen = sum(len(m.batch.records) for m in msgs)
        ks = TK.final_kafka_stats(log)
        rss = sampler.samples["collector"]
        r = dict(sampled=stats["events"]["records_sampled"], seen=seen, delivered=ks["delivered"],
                 failed=ks["failed"], queue_full=ks["queue_full"], restarts=ks["restarts"],
                 possibly_persisted=ks["possibly_persisted"], batches=len(msgs),
                 ringbuf_lost=stats["events"]["records_lost_ringbuf_full"],
                 rss_start_kib=rss[0] if rss else None, rss_max_kib=max(rss) if rss else None,
                 rss_bound_kib=bound_kib, **timeline)
        print("\nbroker SIGKILL: %s" % r, file=sys.stderr)
        what = "%s" % r
        self.assertGreater(r["sampled"], 300 * (self.OUTAGE_S + 10), "traffic ran: " + what)
        # Every record sampled is delivered or counted.
        self.assertEqual(r["delivered"] + r["failed"] + r["queue_full"], r["sampled"], what)
        self.assertEqual(ks["queued"], 0, what)
        # Shorter than message.timeout.ms and the queue holds it: nothing lost.
        self.assertEqual((r["seen"], r["delivered"], r["failed"], r["queue_full"]),
                         (r["sampled"], r["sampled"], 0, 0), "nothing lost: " + what)
        TK.check_sequences(self, msgs, "broker SIGKILL")
        self.assertEqual(r["ringbuf_lost"], 0, what)
        self.assertGreaterEqual(len(rss), self.OUTAGE_S, what)
        # Under ASan (build-asan) the sanitizer's own shadow and quarantine
        # make any bound from the queue settings meaningless, as in
        # test_kafka.
        if not TK.SANITIZED:
            self.assertLess(max(rss), bound_kib, "RSS over its bound: %s; samples %s" % (what, rss))
        # The log says the broker went and came back.
        self.assertRegex(log, r"(?i)(disconnect|connection refused|down|transport)", "no outage in the log")


class DetectorKilled(unittest.TestCase):
    """The Scaleout lab of test_detector, with SIGKILL instead of SIGTERM
    and the drops watched second by second."""

    FLOOD_S = 30.0

    def test_owner_sigkilled_mid_attack(self):
        topics = TD.make_topics()
        al = A.AttackLab(collector=False)
        self.addCleanup(al.close)
        col = TD.start_collector(al, topics, 1)
        self.addCleanup(close_log, col)
        dets = [TD.Detector(al.lab.tmp, n, topics).start(al.lab) for n in ("det-k1", "det-k2")]
        for d in dets:
            self.addCleanup(d.stop, signal.SIGKILL)
        self.assertTrue(TD.wait_for(lambda: all(d.log_text().count("partitions assigned") for d in dets), 30))
        time.sleep(3)
        flood = A.in_background(A.syn_flood, al, 4, spoofed=True, rate=20000, count=700000,
                                duration=self.FLOOD_S)
        owner = TD.wait_for(lambda: [d for d in dets if any(a["phase"] == "start" for a in d.alerts())], 10)
        self.assertTrue(owner, "no instance detected the flood")
        owner = owner[0]
        other = [d for d in dets if d is not owner][0]
        a1 = [a for a in owner.alerts() if a["phase"] == "start"][0]
        self.assertTrue(a1["rule_ids"], "the owner published no verdict: %s" % a1["mitigation"])
        # Mitigated before the fault: drops are already climbing.
        d0 = drops(al.lab, col.key)
        self.assertTrue(TD.wait_for(lambda: drops(al.lab, col.key) > d0, 5), "no drop before the kill")

        series = []  # (seconds since the kill, exact drops, all packets)
        t_kill = time.monotonic()
        series.append((0.0,) + drops(al.lab, col.key, True))
        owner.proc.kill()
        owner.proc.wait(timeout=10)
        took_at = None
        while time.monotonic() - t_kill < 25:
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t_kill) % 1.0))
            series.append((round(time.monotonic() - t_kill, 2),) + drops(al.lab, col.key, True))
            if took_at is None and any(a["phase"] == "start" for a in other.alerts()):
                took_at = series[-1][0]
            if took_at is not None and series[-1][0] >= took_at + 2:
                break
        f = flood.result(timeout=self.FLOOD_S + 60)
        print("\ndetector SIGKILL: %s killed, %s took over after %s s; (s, dropped, received) since the kill %s; "
              "flood %s pps" % (owner.name, other.name, took_at,
                                [(t, d - series[0][1], n - series[0][2]) for t, d, n in series],
                 round(f.sent / max(f.t1 - f.t0, 0.1))), file=sys.stderr)
        self.assertIsNotNone(took_at, "the survivor never took the attack over:\n" + other.log_text()[-3000:])
        for (ta, da, _), (tb, db, _) in zip(series, series[1:]):
            self.assertGreater(db, da, "no drop between %.2f s and %.2f s after the kill: %s" % (ta, tb, series))
        a2 = [a for a in other.alerts() if a["phase"] == "start"][0]
        self.assertEqual((a2["attack_id"], a2["rule_ids"]), (a1["attack_id"], a1["rule_ids"]),
                         "the survivor's attack and rules vs the killed owner's")
        self.assertTrue(TD.wait_for(lambda: not TD.open_attacks(other.alerts()), 40), "the attack never ended")
        keys = {m.key() for m in read_to_watermarks(BROKER.bootstrap, topics["verdicts"], 30)}
        self.assertEqual(keys, {r.encode() for r in a1["rule_ids"]},
                         "one attack, one set of rule ids on the verdict topic")


def _net(rng, used, v6):  # used: {"nets": set(), "v4": count}
    """A source prefix no other verdict of the replay uses: IPv4 from the
    three documentation /24s while they last (about 1,100 prefixes), then
    IPv6 from 2001:db8::/32."""
    for _ in range(1000):
        if v6 or used["v4"] >= 1000:
            v6 = True
            n = ipaddress.ip_network("2001:db8:%x:%x::%x/%d" % (rng.randrange(1 << 16), rng.randrange(1 << 16),
                                                               rng.randrange(1, 1 << 16), 128), strict=False)
            if rng.random() < 0.2:
                n = n.supernet(new_prefix=rng.choice((48, 56, 64)))
        else:
            base = rng.choice(("192.0.2.", "198.51.100.", "203.0.113."))
            n = ipaddress.ip_network(base + "%d/32" % rng.randrange(256))
            if rng.random() < 0.2:
                n = n.supernet(new_prefix=rng.choice((28, 29, 30)))
        if n not in used["nets"]:
            used["nets"].add(n)
            used["v4"] += n.version == 4
            return n
    raise AssertionError("no free prefix")


class VerdictReplay(unittest.TestCase):
    """100,000 messages; the expected rule set is computed here, from what
    was published, by the rules verdicts.proto states."""

    N_MESSAGES = 100000
    BUDGET = 65536  # the most rule_budget allows
    TTL_TOLERANCE_S = 3

    def test_replay_100k(self):
        pb, topic = TV.PB, TV.create_topics((unique("xw-test-replay"), 1))[0]
        rng = random.Random(7)
        used = {"nets": set(), "v4": 0}
        now = time.time_ns()
        host = unique("replay-host")
        t_gen = time.monotonic()
        msgs, want = [], {}  # want: rule_id -> expected rule (dict) or None

        def match(v6):
            m = dict(src=_net(rng, used, v6), l4=0, sport=0, dport=0, action=pb.VERDICT_DROP, rate=0,
                     ttl=rng.randrange(600, 86400))
            r = rng.random()
            if r < 0.3:
                m["l4"] = 17
                m["sport"] = rng.choice((53, 123, 1900, 11211, 389, 19))
            elif r < 0.5:
                m["l4"] = 6
                m["dport"] = rng.choice((80, 443, 22))
            a = rng.random()
            if a < 0.15:
                m["action"] = pb.VERDICT_MONITOR
            elif a < 0.3:
                m["action"], m["rate"] = pb.VERDICT_RATE_LIMIT, rng.randrange(10, 100000)
            return m

        def verdict(rule_id, version, m, hosts=(), signer=None, forge=False):
            created = now - rng.randrange(0, 60 * 10**9)  # up to a minute ago
            body = TV.verdict_body(rule_id, version, str(m["src"]), m["ttl"], created, hosts=hosts,
                                   l4_proto=m["l4"], sport=m["sport"], dport=m["dport"], action=m["action"],
                                   rate_pps=m["rate"])
            env = TV.seal(topic, rule_id, version, body, signer or TV.SOC)
            if forge:  # flip a bit of the signature
                e = pb.SignedEnvelope.FromString(env)
                e.signature = bytes([e.signature[0] ^ 1]) + e.signature[1:]
                env = e.SerializeToString()
            msgs.append((rule_id.encode(), env))
            return dict(m, expires_s=created / 1e9 + m["ttl"])

        def withdraw(rule_id, version):
            body = pb.Withdraw(rule_id=rule_id, version=version, issuer="test:faults", reason="replay",
                               created_unix_ns=now).SerializeToString()
            msgs.append((rule_id.encode(), TV.seal(topic, rule_id, version, body, TV.SOC, kind=2)))

        counts = dict(added=0, updated=0, replayed_older=0, withdrawn=0, other_host=0, unknown_key=0, forged=0)
        i = 0
        while len(msgs) < self.N_MESSAGES:
            i += 1
            rid, v6, kind = "rp-%06d" % i, rng.random() < 0.99, rng.random()
            left = self.N_MESSAGES - len(msgs)
            if kind < 0.50 or left < 4:
                want[rid] = verdict(rid, 1, match(v6))
                counts["added"] += 1
            elif kind < 0.65:  # updated twice, then the middle version replayed: refused as older
                verdict(rid, 1, match(v6))
                want[rid] = verdict(rid, 3, match(v6))
                verdict(rid, 2, match(v6))
                counts["updated"] += 1
                counts["replayed_older"] += 1
            elif kind < 0.78:
                verdict(rid, 1, match(v6))
                withdraw(rid, 2)
                counts["withdrawn"] += 1
            elif kind < 0.86:
                verdict(rid, 1, match(v6), hosts=["someone-else"])
                counts["other_host"] += 1
            elif kind < 0.93:
                verdict(rid, 1, match(v6), signer=TV.ROGUE)
                counts["unknown_key"] += 1
            else:
                verdict(rid, 1, match(v6), forge=True)
                counts["forged"] += 1
        gen_s = time.monotonic() - t_gen
        self.assertEqual(len(msgs), self.N_MESSAGES)
        self.assertLessEqual(len(want), self.BUDGET)
        t_prod = time.monotonic()
        TV.produce_many(topic, msgs)
        prod_s = time.monotonic() - t_prod

        lab = Lab()
        self.addCleanup(lab.close)
        lab.add_host("a")
        lab.add_host("v")
        vif = lab.tag + "v"
        lab.link("a", lab.tag + "a", "v", vif)
        col = TV.verdict_collector(lab, "v", vif, topic, host, "rule_budget=%d" % self.BUDGET,
                                   "output=none")
        t_start = time.monotonic()
        col.start()
        self.addCleanup(close_log, col)
        n_read, catch_s, live, refused = TV.wait_caught_up(col, timeout=300)
        wall_s = time.monotonic() - t_start
        stats = TV.wait_stats(col, self.N_MESSAGES, timeout=30)
        # Listing 45,000 rules takes seconds on a loaded machine: each
        # rule's TTL left was read somewhere between these two times.
        t_list0 = time.time()
        got = {str(ipaddress.ip_network(r["src"])): r for r in TV.verdict_rules(lab, col).values()}
        t_list1 = time.time()
        print("\nverdict replay: %d messages (%s), signed in %.1f s, produced in %.1f s; collector caught up "
              "in %.2f s (its count; %.1f s from start), %d rules live, %d refused (%s); rules listed in %.1f s"
              % (len(msgs), counts, gen_s, prod_s, catch_s, wall_s, live, refused, stats["refused"],
                 t_list1 - t_list0),
              file=sys.stderr)
        self.assertEqual(n_read, self.N_MESSAGES, "messages read before caught up")
        self.assertEqual(live, len(want), "rules live")
        self.assertEqual(stats["refused"], {"unknown_key": counts["unknown_key"],
                                            "bad_signature": counts["forged"],
                                            "replayed_version": counts["replayed_older"]}, "refusals by reason")
        self.assertEqual(stats["not_targeted"], counts["other_host"])
        expected = {str(m["src"]): m for m in want.values()}
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        self.assertEqual((missing[:5], extra[:5], len(missing), len(extra)), ([], [], 0, 0),
                         "rule set vs the topic's")
        actions = {pb.VERDICT_DROP: "drop", pb.VERDICT_MONITOR: "monitor", pb.VERDICT_RATE_LIMIT: "rate-limit"}
        bad = []
        for src, m in expected.items():
            r = got[src]
            if (r["l4_proto"], r["sport"], r["dport"], r["action"], r["rate_pps"], r["dst"], r["expired"]) != \
                    (m["l4"], m["sport"], m["dport"], actions[m["action"]], m["rate"], "", False) or \
                    not (m["expires_s"] - t_list1 - self.TTL_TOLERANCE_S <= r["ttl_left_s"] <=
                         m["expires_s"] - t_list0 + self.TTL_TOLERANCE_S):
                bad.append((src, r, m))
        self.assertEqual(bad[:3], [], "%d rules differ from their verdict" % len(bad))
        col.stop()


class RingbufOverflow(unittest.TestCase):
    """Host "s" floods "d" with trafgen over one veth; the collector on
    d's end samples 1:1 into a 64 KiB ring and writes JSON lines, which a
    flood far outruns."""

    PACKETS = 300000

    def test_overflow_counted(self):
        lab = Lab()
        self.addCleanup(lab.close)
        lab.add_host("s")
        lab.add_host("d")
        sif, dif = lab.tag + "s", lab.tag + "d"
        lab.link("s", sif, "d", dif)
        lab.addr("s", sif, "192.0.2.10/24")
        lab.addr("d", dif, "192.0.2.1/24")
        lab.sh("s", ["ping", "-c", "1", "-W", "2", "192.0.2.1"])
        col = Collector(lab, "d", dif, sample_rate=1, extra=["--set", "ringbuf_kib=64"]).start()
        self.addCleanup(close_log, col)
        mac = json.loads(lab.sh("d", ["ip", "-j", "link", "show", "dev", dif]).stdout)[0]["address"]

        def tx():
            st = json.loads(lab.sh("s", ["ip", "-j", "-s", "link", "show", "dev", sif]).stdout)[0]["stats64"]["tx"]
            return st["packets"], st["dropped"]

        def counted():
            stats = cli_json(lab, "-i", col.key, "stats")[0]
            return sum(t["packets"] for t in stats["traffic"]), stats["events"]

        time.sleep(0.5)
        (tx0, txd0), (pk0, ev0) = tx(), counted()
        conf = os.path.join(lab.tmp, "flood.cfg")
        with open(conf, "w") as f:
            f.write("{ eth(da=%s), ipv4(sa=192.0.2.10, da=192.0.2.1, ttl=64), "
                    "udp(sp=drnd(1024, 65535), dp=9), fill(0x55, 18) }\n" % mac)
        out = lab.sh("s", ["timeout", "-s", "INT", "30", "trafgen", "-o", sif, "-i", conf,
                           "-n", str(self.PACKETS), "--cpus", "1", "--no-sock-mem", "-Q"], timeout=60)
        m = re.findall(r"(\d+) packets outgoing", out.stdout + out.stderr)
        time.sleep(1)
        (tx1, txd1), (pk1, ev1) = tx(), counted()
        col.stop()
        written = len(col.records())
        sent, sender_dropped = tx1 - tx0, txd1 - txd0
        sampled = ev1["records_sampled"] - ev0.get("records_sampled", 0)
        lost = ev1["records_lost_ringbuf_full"] - ev0.get("records_lost_ringbuf_full", 0)
        r = dict(trafgen=int(m[-1]) if m else None, veth_tx=sent, veth_tx_dropped=sender_dropped,
                 counted=pk1 - pk0, records_sampled=sampled, lost_ringbuf_full=lost, written=written,
                 before_flood_records=ev0.get("records_sampled", 0))
        print("\nring buffer overflow: %s" % r, file=sys.stderr)
        self.assertGreater(lost, 0, "the 64 KiB ring never filled: %s" % r)
        self.assertEqual(written, ev1["records_sampled"], "records written vs the kernel's sampled: %s" % r)
        self.assertEqual(sampled + lost, pk1 - pk0, "1:1: every packet sampled or counted lost: %s" % r)
        self.assertEqual(pk1 - pk0, sent, "exact counters vs the sender's veth: %s" % r)
        if m:
            self.assertEqual(int(m[-1]), self.PACKETS, r)


if __name__ == "__main__":
    unittest.main(verbosity=2)
