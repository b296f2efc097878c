#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Access control on a real secured broker (issue 7): kafka.sh start
--secure on ports and a data directory of this test's own, wiped at the
start and stopped at the end.

Broker: XW_KAFKA_ACL_PORT (default 19392; its controller port is one
above) and XW_KAFKA_ACL_DATA (default /var/lib/xdpwatch/kafka-acl-test),
through lab.Broker(secure=True). Clients use kafka.sh credentials USER:
librdkafka (Debian's 2.0.2, in confluent-kafka and the daemons) gets
PLAIN inside TLS, Java gets SCRAM-SHA-512 (see kafka.sh --help).

  Refused      a wrong password, TLS without SASL, plaintext to the TLS
               port, and the right password with a broker certificate the
               client does not trust
  Scram        a Java client (kafka.sh tool topics) logs in with
               SCRAM-SHA-512 as collector and sees only its three topics
  Matrix       every user (collector, detector, soc, reader) x every
               topic x write/read with confluent-kafka: exactly what the
               ACL table allows succeeds, everything else fails with
               TOPIC_AUTHORIZATION_FAILED (writes, reads) or
               GROUP_AUTHORIZATION_FAILED (a group outside the user's
               prefix); `xdpwatch verdict add` with the collector's
               credentials is refused by the broker
  Daemons      a collector (user collector) and a detector (user
               detector), each configured by a config file whose kafka { }
               group holds security.protocol = SASL_SSL and the rest: a
               real SYN flood is detected from the collector's features,
               the detector's signed verdict reaches the collector, the
               attacker is dropped; the alert is read back as reader
  Compromised  with admin credentials, as a compromised broker could, a
               verdict signed by an untrusted key and a soc-signed
               verdict re-aimed at the legitimate client are published:
               the collector refuses both (unknown_key, bad_signature),
               no rule reaches the maps, the client still gets through
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor

try:
    import confluent_kafka
    import google.protobuf  # noqa: F401  (what the generated code needs)
except ImportError:
    # Debian's python3-confluent-kafka and python3-protobuf live in the
    # system interpreter's dist-packages.
    if os.path.exists("/usr/bin/python3") and \
            os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import BUILD, CLI, KAFKA_SH, ROOT, Broker, Collector, cli_json, run  # noqa: E402
import attacks as A  # noqa: E402

DETECTOR = os.environ.get("XW_DETECTOR", os.path.join(BUILD, "detector", "xdpwatch-detector"))
FEATURES, VERDICTS, ALERTS, RULESTATS = ("xdpwatch.features.v1", "xdpwatch.verdicts.v1",
                                         "xdpwatch.alerts.v1", "xdpwatch.rulestats.v1")
TOPICS = (FEATURES, VERDICTS, ALERTS, RULESTATS)
USERS = ("collector", "detector", "soc", "reader")
# What the ACL table in scripts/kafka.sh allows; everything else is denied.
MAY_WRITE = {"collector": {FEATURES, RULESTATS}, "detector": {VERDICTS, ALERTS},
             "soc": {VERDICTS}, "reader": set()}
MAY_READ = {"collector": {VERDICTS}, "detector": {FEATURES},
            "soc": {VERDICTS}, "reader": {FEATURES, ALERTS, RULESTATS}}
# Consumer groups each user may use (a prefix).
GROUP = {"collector": "xdpwatch-reader-", "detector": "xdpwatch-detector",
         "soc": "xdpwatch-reader-", "reader": "xdpwatch-reader-", "admin": "any-"}
VERDICT_BASE = 65536
HOST_ID = "acl-victim"
MARKER = b"acl-marker"

BROKER = None
PB = None
KEYS = None  # soc-test, rogue-test, detector-test .key/.pub; KEYS/trusted: soc + detector
_pb_dir = None


def setUpModule():
    global BROKER, PB, KEYS, _pb_dir
    BROKER = Broker(port=int(os.environ.get("XW_KAFKA_ACL_PORT", "19392")),
                    data=os.environ.get("XW_KAFKA_ACL_DATA", "/var/lib/xdpwatch/kafka-acl-test"),
                    secure=True)
    # TLS handshakes (the broker's own, to its controller, too) are slow
    # on a loaded two-core machine: more than the script's default 60 s.
    BROKER.env.setdefault("XW_KAFKA_START_TIMEOUT", "180")
    # This test owns its data directory: a fresh CA, users and topics.
    BROKER.sh("reset", timeout=120)
    BROKER.ensure()
    _pb_dir = tempfile.mkdtemp(prefix="xw-pb2-")
    run(["protoc", "-I", os.path.join(ROOT, "proto"), "--python_out", _pb_dir,
         os.path.join(ROOT, "proto", "xdpwatch", "v1", "verdicts.proto")])
    sys.path.insert(0, _pb_dir)
    from xdpwatch.v1 import verdicts_pb2
    PB = verdicts_pb2
    KEYS = tempfile.mkdtemp(prefix="xw-aclkeys-")
    os.mkdir(os.path.join(KEYS, "trusted"))
    for key_id in ("soc-test", "rogue-test", "detector-test"):
        run([CLI, "keygen", "--key-id", key_id, "--key-dir", KEYS])
    for key_id in ("soc-test", "detector-test"):
        shutil.copy(os.path.join(KEYS, key_id + ".pub"), os.path.join(KEYS, "trusted"))
    # One marker message per topic, as admin, for the read checks.
    p = confluent_kafka.Producer(client("admin"))
    for t in TOPICS:
        p.produce(t, key=MARKER, value=None if t == VERDICTS else b"marker")
    assert p.flush(30) == 0, "markers not delivered"


def tearDownModule():
    if BROKER:
        BROKER.close()
    for d in (_pb_dir, KEYS):
        if d:
            shutil.rmtree(d, ignore_errors=True)


def unique(prefix):
    return "%s%s" % (prefix, uuid.uuid4().hex[:10])


def client(user, **extra):
    """confluent-kafka settings for user on the secured broker."""
    conf = dict(BROKER.credentials(user), **{"bootstrap.servers": BROKER.bootstrap, "log_level": 2})
    conf.update(extra)
    return conf


def kafka_group(user):
    """The config file's kafka { } group for user: librdkafka's names,
    one nested group per dot (bootstrap = { servers = ...; })."""
    tree = {}
    props = dict(BROKER.credentials(user), **{"bootstrap.servers": BROKER.bootstrap})
    for k, v in props.items():
        node = tree
        parts = k.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v

    def emit(node, indent):
        out = []
        for k, v in node.items():
            if isinstance(v, dict):
                out.append("%s%s = {\n%s%s};" % (indent, k, emit(v, indent + "  "), indent))
            else:
                out.append('%s%s = "%s";' % (indent, k, v))
        return "\n".join(out) + "\n"
    return "kafka = {\n" + emit(tree, "  ") + "};\n"


def errors_of(conf):
    """conf with an error_cb that records errors; returns (conf, list)."""
    errs = []
    conf = dict(conf, error_cb=lambda e: errs.append(e))
    return conf, errs


def try_write(user, topic):
    """None when the broker took one message from user, else the error."""
    p = confluent_kafka.Producer(client(user, **{"message.timeout.ms": 15000, "acks": "all"}))
    res = []
    p.produce(topic, key=b"acl-matrix", value=None if topic == VERDICTS else b"acl-matrix",
              on_delivery=lambda err, msg: res.append(err))
    p.flush(30)
    assert len(res) == 1, "no delivery report from %s to %s" % (user, topic)
    return res[0]


def try_read(user, topic, group=None, timeout=20):
    """None when user read the marker of topic (assigned partitions, from
    the start, a group of the user's own prefix), else the error."""
    c = confluent_kafka.Consumer(client(user, **{"group.id": group or unique(GROUP[user]),
                                                 "enable.auto.commit": False}))
    try:
        md = c.list_topics(topic, timeout=10).topics[topic]
        if md.error:
            return md.error
        c.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                  for p in md.partitions])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    continue
                return m.error()
            if m.key() == MARKER:
                return None
        raise AssertionError("%s: neither the marker of %s nor an error in %d s" % (user, topic, timeout))
    finally:
        c.close()


def try_subscribe(user, topic, group, timeout=20):
    """None once a subscribed consumer in group reads the marker, else the
    error (e.g. GROUP_AUTHORIZATION_FAILED)."""
    c = confluent_kafka.Consumer(client(user, **{"group.id": group, "enable.auto.commit": False,
                                                 "auto.offset.reset": "earliest"}))
    try:
        c.subscribe([topic])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                return m.error()
            if m.key() == MARKER:
                return None
        raise AssertionError("%s in %s: no marker and no error in %d s" % (user, group, timeout))
    finally:
        c.close()


def verdict_cli(user, *args, check=True):
    sets = []
    for k, v in BROKER.credentials(user).items():
        sets += ["--set", "kafka.%s=%s" % (k, v)]
    return run([CLI, "verdict"] + list(args) + ["--bootstrap", BROKER.bootstrap] + sets,
               check=check, timeout=60)


class Refused(unittest.TestCase):
    """Who cannot talk to the broker at all."""

    def assert_refused(self, conf, want):
        conf, errs = errors_of(dict(conf, **{"bootstrap.servers": BROKER.bootstrap, "log_level": 0}))
        p = confluent_kafka.Producer(conf)
        with self.assertRaises(confluent_kafka.KafkaException):
            p.list_topics(timeout=6)
        p.poll(0.5)
        codes = {e.code() for e in errs}
        self.assertTrue(codes & want, "errors %s, expected one of %s" % (errs, want))
        return errs

    def test_wrong_password(self):
        conf = BROKER.credentials("collector")
        conf["sasl.password"] = "not-" + conf["sasl.password"]
        errs = self.assert_refused(conf, {confluent_kafka.KafkaError._AUTHENTICATION})
        self.assertIn("Invalid username or password", str(errs))

    def test_unknown_user(self):
        conf = dict(BROKER.credentials("collector"), **{"sasl.username": "mallory"})
        self.assert_refused(conf, {confluent_kafka.KafkaError._AUTHENTICATION})

    def test_tls_without_sasl(self):
        conf = BROKER.credentials("collector")
        conf = {"security.protocol": "SSL", "ssl.ca.location": conf["ssl.ca.location"]}
        self.assert_refused(conf, {confluent_kafka.KafkaError._TRANSPORT,
                                   confluent_kafka.KafkaError._ALL_BROKERS_DOWN,
                                   confluent_kafka.KafkaError._TIMED_OUT})

    def test_plaintext_to_the_tls_port(self):
        self.assert_refused({"security.protocol": "PLAINTEXT"},
                            {confluent_kafka.KafkaError._TRANSPORT,
                             confluent_kafka.KafkaError._ALL_BROKERS_DOWN,
                             confluent_kafka.KafkaError._TIMED_OUT})

    def test_broker_certificate_not_trusted(self):
        # The right password, but the system's CAs: the run's CA is not
        # among them, so the client will not talk (nor send a password).
        conf = BROKER.credentials("collector")
        del conf["ssl.ca.location"]
        errs = self.assert_refused(conf, {confluent_kafka.KafkaError._SSL,
                                          confluent_kafka.KafkaError._TRANSPORT,
                                          confluent_kafka.KafkaError._ALL_BROKERS_DOWN})
        self.assertIn("certificate verify failed", str(errs))


class Scram(unittest.TestCase):
    def test_java_client_scram_sha_512(self):
        conf = BROKER.credentials("collector", "java")
        self.assertEqual(conf["sasl.mechanism"], "SCRAM-SHA-512")
        with tempfile.NamedTemporaryFile("w", suffix=".properties") as f:
            f.write("".join("%s=%s\n" % kv for kv in conf.items()))
            f.flush()
            out = run([KAFKA_SH, "tool", "topics", "--bootstrap-server", BROKER.bootstrap,
                       "--command-config", f.name, "--list"], env=BROKER.env, timeout=120).stdout
        self.assertEqual(sorted(out.split()), sorted([FEATURES, RULESTATS, VERDICTS]),
                         "the collector describes only the topics it may use")


class Matrix(unittest.TestCase):
    def test_every_user_topic_and_operation(self):
        cases = [(u, t, op) for u in USERS for t in TOPICS for op in ("write", "read")]
        with ThreadPoolExecutor(4) as ex:
            got = list(ex.map(lambda c: (try_write if c[2] == "write" else try_read)(c[0], c[1]), cases))
        rows, bad = [], []
        for (u, t, op), err in zip(cases, got):
            allowed = t in (MAY_WRITE if op == "write" else MAY_READ)[u]
            ok = err is None if allowed else (
                err is not None and err.code() == confluent_kafka.KafkaError.TOPIC_AUTHORIZATION_FAILED)
            rows.append("%-9s %-5s %-22s %-8s %s" % (u, op, t, "allow" if allowed else "deny",
                                                    "ok" if err is None else err.name()))
            if not ok:
                bad.append(rows[-1])
        print("\n" + "\n".join(rows), file=sys.stderr)
        self.assertEqual(bad, [], "outcomes that differ from the ACL table")

    def test_groups_outside_the_prefix(self):
        err = try_subscribe("reader", FEATURES, unique("xdpwatch-reader-"))
        self.assertIsNone(err, "reader in its own group prefix")
        for user, topic in (("reader", FEATURES), ("detector", FEATURES), ("soc", VERDICTS)):
            err = try_subscribe(user, topic, unique("xdpwatch-elsewhere-"))
            self.assertIsNotNone(err, "%s joined a group outside its prefix" % user)
            self.assertEqual(err.code(), confluent_kafka.KafkaError.GROUP_AUTHORIZATION_FAILED, err)
        # The collector may look its reader group up, never join one.
        err = try_subscribe("collector", VERDICTS, unique("xdpwatch-reader-"))
        self.assertEqual(err.code(), confluent_kafka.KafkaError.GROUP_AUTHORIZATION_FAILED, err)

    def test_cli_verdict_add_as_collector(self):
        p = verdict_cli("collector", "add", "198.51.100.99", "--ttl", "1m",
                        "--key", os.path.join(KEYS, "soc-test.key"), check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Topic authorization failed", p.stderr)
        p = verdict_cli("soc", "add", "198.51.100.99", "--ttl", "1m", "--hosts", "nobody",
                        "--key", os.path.join(KEYS, "soc-test.key"))
        self.assertRegex(p.stdout, r"rule \S+ version \d+")


STATS = re.compile(r"stats verdicts: (\d+) live, (\d+) received, (\d+) applied, (\d+) withdrawn, "
                   r"(\d+) expired, (\d+) not for this host, refused:(.*)$", re.M)


def verdict_stats(col):
    m = STATS.findall(col.log_text())
    if not m:
        return None
    received, refused = int(m[-1][1]), m[-1][6].strip()
    return received, {} if refused == "none" else {k: int(v) for k, v in (x.split("=") for x in refused.split())}


def wait_for(pred, timeout, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def verdict_rules(al):
    return [r for r in cli_json(al.lab, "-i", al.collector.key, "rule", "list") if r["rule_id"] >= VERDICT_BASE]


def read_all(user, topic, timeout=20):
    """Every message of topic up to its end now, read as user."""
    c = confluent_kafka.Consumer(client(user, **{"group.id": unique(GROUP[user]), "enable.auto.commit": False,
                                                 "enable.partition.eof": True}))
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        c.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in parts])
        out, eof = [], set()
        deadline = time.monotonic() + timeout
        while len(eof) < len(parts) and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                raise AssertionError("%s reading %s: %s" % (user, topic, m.error()))
            out.append(m)
        return out
    finally:
        c.close()


class Daemons(unittest.TestCase):
    """The real collector and detector, each with its own user, set up by
    their config files."""

    @classmethod
    def setUpClass(cls):
        cls.al = A.AttackLab(collector=False)
        try:
            tmp = cls.al.lab.tmp
            ccfg = os.path.join(tmp, "collector-acl.cfg")
            with open(ccfg, "w") as f:
                f.write(kafka_group("collector") + 'trusted_keys = "%s";\nhost_id = "%s";\n'
                        % (os.path.join(KEYS, "trusted"), HOST_ID))
            cls.col = Collector(cls.al.lab, "victim", cls.al.vif, sample_rate=1, extra=[
                "-c", ccfg, "--set", "batch_linger_ms=50", "--set", "counters_interval_ms=500",
                "--set", "rulestats_interval_s=1"])
            cls.al.collector = cls.col
            cls.col.start()
            wait_for(lambda: "verdicts: read" in cls.col.log_text(), 20)
            dcfg = os.path.join(tmp, "detector-acl.cfg")
            with open(dcfg, "w") as f:
                f.write(kafka_group("detector") + 'signing_key = "%s";\ndetector_id = "det-acl";\n'
                        % os.path.join(KEYS, "detector-test.key"))
            cls.det_log = os.path.join(tmp, "detector.log")
            cls.alerts_path = os.path.join(tmp, "alerts.jsonl")
            args = [DETECTOR, "-c", dcfg]
            for s in ("alerts_json=" + cls.alerts_path, "stats_interval_s=2", "detect.end_hold_ms=1500",
                      "verdict.renew_s=2", "verdict.ttl_s=30", "learn.enabled=false",
                      "table.watch_pps=500", "thresholds.syn_flood=5000"):
                args += ["--set", s]
            cls.det_logf = open(cls.det_log, "a")
            cls.det = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=cls.det_logf)
            cls.al.lab.procs.append(cls.det)
            if not wait_for(lambda: "partitions assigned" in cls.det_text() or cls.det.poll() is not None, 60) \
                    or cls.det.poll() is not None:
                raise RuntimeError("detector did not join its group:\n" + cls.det_text())
        except BaseException:
            cls.al.close()
            raise

    @classmethod
    def det_text(cls):
        with open(cls.det_log, errors="backslashreplace") as f:
            return f.read()

    @classmethod
    def tearDownClass(cls):
        if cls.det.poll() is None:
            cls.det.terminate()
            cls.det.wait(timeout=30)
        cls.det_logf.close()
        cls.col.stop()
        cls.al.close()

    def test_1_flood_detected_and_dropped_through_the_secured_broker(self):
        al = self.al
        for log in (self.col.log_text(), self.det_text()):
            self.assertNotRegex(log, r"(?i)authori[sz]ation failed|authentication",
                                "a daemon hit an ACL or a login failure")
        t0 = time.time()
        fut = A.in_background(A.syn_flood, al, 4, spoofed=False, rate=20000, count=240000, duration=12.0)

        def drops():
            return sum(v for (f, _, act), v in al.counters()[0].items() if act == "drop")
        dropping = wait_for(lambda: drops() > 0 and verdict_rules(al), 15)
        t_drop = time.time() - t0
        rules = verdict_rules(al)
        flood = fut.result(60)
        dropped = drops()
        print("\nSYN flood over SASL_SSL: %s sent, %d dropped, first drop within %.1f s, verdicts %s"
              % (flood.get("sent", "?"), dropped, t_drop, [r["src"] for r in rules]), file=sys.stderr)
        self.assertTrue(dropping, "the flood was not dropped while it lasted\n--- detector:\n%s\n"
                        "--- collector:\n%s" % (self.det_text()[-3000:], self.col.log_text()[-3000:]))
        attackers = set(A.attacker_addrs(0)[1])
        self.assertTrue({r["src"].split("/")[0] for r in rules} <= attackers, rules)
        # The collector's own account: every batch delivered, none refused.
        kstats = re.findall(r"stats kafka: (\d+) records in (\d+) batches produced, (\d+) delivered, "
                            r"(\d+) failed", self.col.log_text())
        self.assertTrue(kstats, "no kafka stats line")
        _, _, delivered, failed = map(int, kstats[-1])
        self.assertGreater(delivered, 0)
        self.assertEqual(failed, 0, "feature batches refused by the broker")
        # Written by the detector (user detector), read back as reader.
        alerts = [m for m in read_all("reader", ALERTS) if m.key() != MARKER and m.key() != b"acl-matrix"]
        self.assertTrue(alerts, "no alert on %s" % ALERTS)
        stats = [m for m in read_all("reader", RULESTATS) if m.key() not in (MARKER, b"acl-matrix")]
        self.assertTrue(stats, "no rule stats from the collector on %s" % RULESTATS)
        self.assertNotRegex(self.col.log_text() + self.det_text(), r"(?i)authori[sz]ation failed")
        wait_for(lambda: not verdict_rules(al), 40)

    def test_2_compromised_broker_cannot_forge_verdicts(self):
        al, col = self.al, self.col
        client4 = A.CLIENT4[0]
        base = wait_for(lambda: verdict_stats(col), 10)
        self.assertIsNotNone(base, col.log_text()[-2000:])
        # A genuine soc verdict for another host, the tamper's raw material.
        rule_id = unique("soc-acl-")
        verdict_cli("soc", "add", "198.51.100.77/32", "--ttl", "5m", "--hosts", "elsewhere",
                    "--rule-id", rule_id, "--key", os.path.join(KEYS, "soc-test.key"))
        (orig,) = [m.value() for m in read_all("admin", VERDICTS) if m.key() == rule_id.encode()]
        # 1. Signed by a key no collector trusts, published as admin.
        verdict_cli("admin", "add", client4 + "/32", "--ttl", "5m", "--hosts", HOST_ID,
                    "--key", os.path.join(KEYS, "rogue-test.key"))
        # 2. The soc's verdict re-aimed at the legitimate client, for
        # every host, signature kept.
        env = PB.SignedEnvelope.FromString(orig)
        v = PB.Verdict.FromString(env.verdict)
        v.src.addr = bytes(int(x) for x in client4.split("."))
        v.src.len = 32
        del v.hosts[:]
        v.all_hosts = True
        env.verdict = v.SerializeToString()
        p = confluent_kafka.Producer(client("admin"))
        p.produce(VERDICTS, key=rule_id.encode(), value=env.SerializeToString())
        self.assertEqual(p.flush(30), 0)
        _, refused0 = base

        def delta():
            s = verdict_stats(col)
            return {k: n - refused0.get(k, 0) for k, n in s[1].items() if n != refused0.get(k, 0)}
        wait_for(lambda: sum(delta().values()) >= 2, 20)
        time.sleep(1.5)  # anything more would show in the next stats line
        delta = delta()
        self.assertEqual(delta, {"unknown_key": 1, "bad_signature": 1}, col.log_text()[-3000:])
        self.assertEqual([r for r in verdict_rules(al) if r["src"].startswith(client4)], [],
                         "a forged verdict reached the maps")
        p = al.lab.sh("client", ["ping", "-c", "5", "-i", "0.05", "-W", "1", "-I", client4, A.VICTIM4[0]],
                      check=False)
        self.assertIn(" 5 received", p.stdout, "the legitimate client is cut off")


if __name__ == "__main__":
    unittest.main(verbosity=2)
