#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The detector end to end: real floods in namespaces, a real broker, the
victim's collector shipping features and applying the verdicts the
detector signs.

Broker: scripts/kafka.sh on XW_KAFKA_PORT / XW_KAFKA_DATA through
lab.Broker (started if needed, stopped at the end only if this run started
it). Each class makes its own features, verdicts (compacted) and alerts
topics and deletes them at the end. The lab is attacks.AttackLab: attackers
and a legitimate client behind a router, one victim interface watched by
one collector.

  Classes    every attack class of attacks.py, IPv4 and IPv6 where the
             tool can, one after another: the detector must start an
             attack of the expected class; where a verdict can stop it, the
             victim's XDP must drop it; the time from the flood's first
             packet to detection and to the first drop is printed. Between
             floods every attack must end and its verdicts be withdrawn.
             Before any flood, a legitimate busy mix raises nothing.
  Sampled    the collector at 1:100: SYN and UDP floods still detected,
             with estimates within a factor of the 1:1 truth.
  Scaleout   two detectors in one group; the one that owns the victim's
             partition is stopped mid-attack: the other takes the
             partition, detection goes on, the attack stays mitigated, and
             the verdict topic holds one rule id for it, not two.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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
import attacks as A  # noqa: E402
from kafka_util import admin_client, delete_topics, read_to_watermarks, unique  # noqa: E402
from lab import BUILD, CLI, Broker, Collector, cli_json, run  # noqa: E402

DETECTOR = os.environ.get("XW_DETECTOR", os.path.join(BUILD, "detector", "xdpwatch-detector"))
THRESHOLD = 5000  # packets/s per class in these tests; floods run at 20k+
REFLECTION_THRESHOLD = 2000

BROKER = None
KEYS = None
_topics = []


def setUpModule():
    global BROKER, KEYS
    BROKER = Broker()
    BROKER.ensure()
    KEYS = tempfile.mkdtemp(prefix="xw-detkeys-")
    os.mkdir(os.path.join(KEYS, "trusted"))
    run([CLI, "keygen", "--key-id", "detector-test", "--key-dir", KEYS])
    shutil.copy(os.path.join(KEYS, "detector-test.pub"), os.path.join(KEYS, "trusted"))


def tearDownModule():
    if _topics:
        delete_topics(BROKER.bootstrap, _topics, "test_detector")
    shutil.rmtree(KEYS, ignore_errors=True)
    BROKER.close()


def make_topics():
    """features (6 partitions), verdicts (compacted), alerts: names of
    this run's own."""
    names = {"features": unique("xw-det-features"), "verdicts": unique("xw-det-verdicts"),
             "alerts": unique("xw-det-alerts")}
    topics = [NewTopic(names["features"], num_partitions=6, replication_factor=1),
              NewTopic(names["verdicts"], num_partitions=1, replication_factor=1,
                       config={"cleanup.policy": "compact"}),
              NewTopic(names["alerts"], num_partitions=3, replication_factor=1)]
    admin = admin_client(BROKER.bootstrap)  # alive until the futures are done
    for t, f in admin.create_topics(topics).items():
        f.result(timeout=60)
        _topics.append(t)
    # Metadata for a new topic reaches every broker thread a moment later.
    c = confluent_kafka.Consumer({"bootstrap.servers": BROKER.bootstrap, "group.id": unique("xw-meta")})
    deadline = time.time() + 30
    while time.time() < deadline:
        md = c.list_topics(timeout=5)
        if all(n in md.topics and not md.topics[n].error for n in names.values()):
            break
        time.sleep(0.2)
    c.close()
    return names


class Detector:
    """xdpwatch-detector with alerts as JSON lines in a file."""

    def __init__(self, tmp, name, topics, extra=()):
        self.name = name
        self.alerts_path = os.path.join(tmp, "alerts-%s.jsonl" % name)
        self.log_path = os.path.join(tmp, "detector-%s.log" % name)
        sets = ["kafka.bootstrap.servers=" + BROKER.bootstrap,
                "features_topic=" + topics["features"], "verdicts_topic=" + topics["verdicts"],
                "alerts_topic=" + topics["alerts"], "group_id=" + topics["features"] + "-group",
                "detector_id=" + name, "signing_key=" + os.path.join(KEYS, "detector-test.key"),
                "alerts_json=" + self.alerts_path, "stats_interval_s=2",
                "detect.end_hold_ms=1500", "verdict.renew_s=2", "verdict.ttl_s=30",
                "learn.enabled=false", "table.watch_pps=500",
                # Rebalances within seconds when an instance goes.
                "kafka.session.timeout.ms=6000", "kafka.heartbeat.interval.ms=500"]
        for cls in ("syn_flood", "udp_flood", "icmp_flood", "icmpv6_flood", "tcp_ack_flood",
                    "tcp_rst_flood", "fragment_flood"):
            sets.append("thresholds.%s=%d" % (cls, THRESHOLD))
        # attacks.reflection() spreads its replies over the victim's four
        # addresses, and a reply over the MTU leaves only its first
        # fragment in the reflection class (the rest are fragments).
        for svc in ("dns", "ntp", "ssdp", "memcached", "cldap", "chargen"):
            sets.append("thresholds.%s_reflection=%d" % (svc, REFLECTION_THRESHOLD))
        self.args = [DETECTOR]
        for s in sets + list(extra):
            self.args += ["--set", s]
        self.proc = None

    def start(self, lab):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log)
        lab.procs.append(self.proc)
        deadline = time.time() + 60
        while time.time() < deadline:
            if "partitions assigned" in self.log_text():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("detector exited %d:\n%s" % (self.proc.returncode, self.log_text()))
            time.sleep(0.1)
        raise RuntimeError("detector joined no group:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path, errors="backslashreplace") as f:
            return f.read()

    def alerts(self):
        if not os.path.exists(self.alerts_path):
            return []
        with open(self.alerts_path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.log.close()


def start_collector(al, topics, sample_rate):
    col = Collector(al.lab, "victim", al.vif, sample_rate=sample_rate, extra=[
        "--set", "kafka.bootstrap.servers=" + BROKER.bootstrap,
        "--set", "kafka_topic=" + topics["features"],
        "--set", "verdicts_topic=" + topics["verdicts"],
        "--set", "trusted_keys=" + os.path.join(KEYS, "trusted"),
        "--set", "host_id=victim-host", "--set", "batch_linger_ms=50",
        "--set", "counters_interval_ms=500", "--set", "rulestats_interval_s=0"]).start()
    al.collector = col
    return col


def wait_for(pred, timeout, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def open_attacks(alerts):
    """Attack ids started and not yet ended, by alert order."""
    live = {}
    for a in alerts:
        if a["phase"] == "start":
            live[a["attack_id"]] = a
        elif a["phase"] == "end":
            live.pop(a["attack_id"], None)
    return live


def verdict_rules(lab):
    """The verdict rules (ids >= 65536) in the collector's maps."""
    return [r for r in cli_json(lab.lab, "-i", lab.collector.key, "rule", "list")
            if r.get("rule_id", 0) >= 65536]


def dropped(al, family):
    fam = "ipv4" if family == 4 else "ipv6"
    return sum(v for (f, _, act), v in al.counters()[0].items() if f == fam and act == "drop")


# name in attacks.CLASSES, family, expected attack class (the alert's
# "class"), expected vector, whether a verdict can drop it.
CASES = [
    ("syn_spoofed", 4, "syn_flood", "syn_flood", True),
    ("syn_spoofed", 6, "syn_flood", "syn_flood", True),
    ("syn_real", 4, "syn_flood", "syn_flood", True),
    ("udp", 4, "udp_flood", "udp_flood", True),
    ("udp", 6, "udp_flood", "udp_flood", True),
    ("icmp", 4, "icmp_flood", "icmp_flood", True),
    ("icmpv6", 6, "icmpv6_flood", "icmpv6_flood", True),
    ("ack", 4, "tcp_ack_flood", "tcp_ack_flood", True),
    ("ack", 6, "tcp_ack_flood", "tcp_ack_flood", True),
    ("rst", 4, "tcp_rst_flood", "tcp_rst_flood", True),
    ("rst", 6, "tcp_rst_flood", "tcp_rst_flood", True),
    # Spoofed fragments carry no ports: an alert, no verdict (said so).
    ("frag", 4, "fragment_flood", "fragment_flood", False),
    ("frag", 6, "fragment_flood", "fragment_flood", False),
    ("carpet", 4, "carpet_bombing", "udp_flood", True),
    ("carpet", 6, "carpet_bombing", "udp_flood", True),
] + [(svc, fam, svc + "_reflection", svc + "_reflection", True)
     for svc in ("dns", "ntp", "ssdp", "memcached", "cldap", "chargen") for fam in (4, 6)]
# For development: XW_DETECTOR_CASES=syn_spoofed,dns runs only those floods.
if os.environ.get("XW_DETECTOR_CASES"):
    CASES = [c for c in CASES if c[0] in os.environ["XW_DETECTOR_CASES"].split(",")]


class Classes(unittest.TestCase):
    """One lab, a 1:1 collector, one detector; every class in turn."""

    @classmethod
    def setUpClass(cls):
        cls.topics = make_topics()
        cls.al = A.AttackLab(collector=False)
        try:
            start_collector(cls.al, cls.topics, 1)
            cls.det = Detector(cls.al.lab.tmp, "det-a", cls.topics).start(cls.al.lab)
        except BaseException:
            cls.al.close()
            raise
        cls.table = []

    @classmethod
    def tearDownClass(cls):
        if cls.table:
            print("\n%-10s %-3s %-22s %9s %10s %11s  %s" % (
                "flood", "fam", "detected as", "pps seen", "detect s", "1st drop s", "mitigation"))
            for row in cls.table:
                print("%-10s v%-2d %-22s %9.0f %10s %11s  %s" % row)
        cls.det.stop()
        cls.al.collector.stop()
        cls.al.close()

    def settle(self):
        """Every attack ended and every verdict withdrawn."""
        ok = wait_for(lambda: not open_attacks(self.det.alerts()) and not verdict_rules(self.al), 30)
        self.assertTrue(ok, "attacks still open: %s; rules: %s" % (
            list(open_attacks(self.det.alerts())), verdict_rules(self.al)))

    def test_0_legit_mix_raises_nothing(self):
        for fam in (4, 6):
            n0 = len(self.det.alerts())
            flood = A.legit_mix(self.al, fam, duration=5.0)
            time.sleep(2)
            self.assertGreater(flood.done["tcp"], 0, "the legit mix completed no TCP exchange")
            self.assertEqual(self.det.alerts()[n0:], [], "legitimate traffic raised alerts")
        msgs = read_to_watermarks(BROKER.bootstrap, self.topics["verdicts"], 30)
        self.assertEqual(msgs, [], "legitimate traffic led to verdicts")

    def test_1_every_class(self):
        for name, fam, want_cls, want_vec, can_drop in CASES:
            with self.subTest(flood=name, family=fam):
                self.settle()
                self.al.reset_records()
                n0 = len(self.det.alerts())
                drop0 = dropped(self.al, fam)
                before = self.al.counters()[0]
                flood = A.CLASSES[name][1](self.al, fam, rate=30000, count=150000, duration=4.0)
                started = wait_for(lambda: [a for a in self.det.alerts()[n0:] if a["phase"] == "start"], 10)
                starts = [a for a in self.det.alerts()[n0:] if a["phase"] == "start"]
                classes = {(a["class"], a["vector"]) for a in starts}
                self.assertIn((want_cls, want_vec), classes,
                              "%s v%d: started %s\n%s" % (name, fam, classes, self.det.log_text()[-3000:]))
                first = min((a for a in starts if a["class"] == want_cls), key=lambda a: a["detected_unix_ns"])
                detect_s = first["detected_unix_ns"] / 1e9 - flood.t0
                fam_key = "ipv4" if fam == 4 else "ipv6"
                seen = sum(v - before.get(k, 0) for k, v in self.al.counters()[0].items() if k[0] == fam_key)
                drop_s = "-"
                if can_drop:
                    self.assertTrue(first["rule_ids"], "no verdict for %s: %s" % (want_cls, first["mitigation"]))
                    self.assertGreater(dropped(self.al, fam), drop0, "%s v%d: nothing dropped" % (name, fam))
                    drops = [r["ts_ns"] for r in self.al.collector.records()
                             if r["action"] == "drop" and r["ts_ns"] >= flood.t0 * 1e9]
                    self.assertTrue(drops, "no dropped record")
                    drop_s = "%.3f" % (min(drops) / 1e9 - flood.t0)
                else:
                    self.assertIn("no verdict", first["mitigation"])
                self.table.append((name, fam, "%s/%s" % (want_cls, want_vec) if want_cls != want_vec else want_cls,
                                   seen / max(flood.t1 - flood.t0, 0.1), "%.3f" % detect_s, drop_s,
                                   first["mitigation"]))
                # Lasting only while the flood did: it ends, its rules go.
                ended = wait_for(lambda: not open_attacks(self.det.alerts()), 20)
                self.assertTrue(ended, "attacks never ended: %s" % list(open_attacks(self.det.alerts())))


    def test_2_alerts_topic_matches_json(self):
        """The alerts topic (decoded by `xdpwatch tail`) says what the
        JSON lines say."""
        out = run([CLI, "tail", "--bootstrap", BROKER.bootstrap, "--topic", self.topics["alerts"],
                   "--from-beginning", "--idle-timeout", "5"], timeout=120).stdout
        topic = sorted((a["attack_id"], a["phase"], a["class"]) for a in map(json.loads, out.splitlines()))
        lines = sorted((a["attack_id"], a["phase"], a["class"]) for a in self.det.alerts())
        self.assertTrue(lines, "no alerts at all")
        self.assertEqual(topic, lines)


class Sampled(unittest.TestCase):
    """The collector at 1:100: the same floods, the same answer."""

    def test_sampled_1_in_100(self):
        topics = make_topics()
        al = A.AttackLab(collector=False)
        try:
            start_collector(al, topics, 100)
            det = Detector(al.lab.tmp, "det-s", topics).start(al.lab)
            for name, fam, want in (("syn_spoofed", 4, "syn_flood"), ("udp", 6, "udp_flood")):
                n0 = len(det.alerts())
                before = al.counters()[0]
                flood = A.CLASSES[name][1](al, fam, rate=30000, count=150000, duration=4.0)
                fam_key = "ipv4" if fam == 4 else "ipv6"
                truth = sum(v - before.get(k, 0) for k, v in al.counters()[0].items() if k[0] == fam_key)
                truth_pps = truth / max(flood.t1 - flood.t0, 0.1)
                starts = wait_for(lambda: [a for a in det.alerts()[n0:] if a["phase"] == "start"
                                           and a["class"] == want], 10)
                self.assertTrue(starts, "%s at 1:100 not detected:\n%s" % (name, det.log_text()[-2000:]))
                wait_for(lambda: not open_attacks(det.alerts()), 20)
                peak = max(a["peak_pps"] for a in det.alerts()[n0:] if a["class"] == want)
                print("\n1:100 %s v%d: peak estimate %.0f pps, exact %.0f pps over the flood" %
                      (name, fam, peak, truth_pps))
                # A one-second window and bursty senders: within a factor 2.
                self.assertLess(abs(peak - truth_pps), truth_pps, "estimate %.0f vs %.0f" % (peak, truth_pps))
            det.stop()
            al.collector.stop()
        finally:
            al.close()


class Scaleout(unittest.TestCase):
    """Two instances in one group; the owner of the victim's partition
    goes away mid-attack."""

    def test_owner_stops_mid_attack(self):
        topics = make_topics()
        al = A.AttackLab(collector=False)
        try:
            start_collector(al, topics, 1)
            dets = [Detector(al.lab.tmp, n, topics).start(al.lab) for n in ("det-1", "det-2")]
            # Both members before the flood: the group has settled.
            wait_for(lambda: all(d.log_text().count("partitions assigned") for d in dets), 30)
            time.sleep(3)
            # A 20 s spoofed SYN flood, run in the background.
            result = {}
            t = threading.Thread(target=lambda: result.update(f=A.syn_flood(
                al, 4, spoofed=True, rate=20000, count=400000, duration=20.0)))
            t.start()
            owner = wait_for(lambda: [d for d in dets if any(a["phase"] == "start" for a in d.alerts())], 10)
            self.assertTrue(owner, "no instance detected the flood")
            owner = owner[0]
            other = [d for d in dets if d is not owner][0]
            drop0 = dropped(al, 4)
            owner.stop(signal.SIGTERM)
            took = wait_for(lambda: any(a["phase"] == "start" for a in other.alerts()), 20)
            t.join()
            self.assertTrue(took, "the other instance never took the attack over:\n" + other.log_text()[-3000:])
            self.assertGreater(dropped(al, 4), drop0, "drops stopped during the handover")
            a1 = [a for a in owner.alerts() if a["phase"] == "start"][0]
            a2 = [a for a in other.alerts() if a["phase"] == "start"][0]
            self.assertEqual(a1["attack_id"], a2["attack_id"])
            self.assertEqual(a1["rule_ids"], a2["rule_ids"])
            wait_for(lambda: not open_attacks(other.alerts()), 20)
            keys = {m.key() for m in read_to_watermarks(BROKER.bootstrap, topics["verdicts"], 30)}
            self.assertEqual(keys, {r.encode() for r in a1["rule_ids"]},
                             "one attack, one set of rule ids on the verdict topic")
            print("\nhandover: %s stopped, %s took %s over; verdict topic keys %s" %
                  (owner.name, other.name, a1["attack_id"], sorted(keys)))
            other.stop()
            al.collector.stop()
        finally:
            al.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
