#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Signed verdicts from the compacted topic into the collectors' drop maps,
with real traffic and a real broker.

Broker: scripts/kafka.sh on XW_KAFKA_PORT / XW_KAFKA_DATA (and
XW_KAFKA_CONTROLLER_PORT) through lab.Broker: started if needed, stopped at
the end only if this run started it. Every class reads a verdict topic of
its own (compacted, created here with `kafka.sh tool topics`, deleted at
the end). Verdicts are published with `xdpwatch verdict add|withdraw`;
what the CLI will not publish (expired, 0.0.0.0/0, tampered, fuzzed) is
produced with confluent-kafka, signed where it has to be in Python
(python3-nacl, over the signing input verdicts.proto spells out; checked
to give the CLI's signature byte for byte).

  Delivery   two attacker/victim pairs, a collector per victim (host ids
             h1, h2; groups edge, core). A verdict for h1 drops on h1 and
             not on h2, publish-to-first-drop measured from the sampled
             records (printed; must be under 2 s); withdraw restores; a
             5 s TTL expires with the collector SIGKILLed; monitor counts
             without dropping; groups; all hosts by default; a bare
             tombstone removes nothing; a destination-qualified verdict
             drops toward that destination only; a 10 pps rate limit;
             a `--proto tcp --tcp-flags syn` verdict on the victim, any
             source, drops exactly an hping3 spoofed SYN flood and new
             connections while an established connection to the same
             port keeps moving data.
  Refusals   each refusal reason, one at a time: the collector's stats
             line counts exactly that reason once, nothing reaches the
             maps (no rule id >= 65536), TCP flags without TCP or
             outside their mask, then 200 fuzzed envelopes.
  Restart    a collector SIGKILLed under a live verdict: no attacker
             packet passes while it is down or after; while down one
             verdict is withdrawn and one added; the restarted collector
             adopts the live rule under the same id without writing it
             again, removes the withdrawn one and applies the new one. On
             a 1-partition and a 3-partition topic. A collector restarted
             with one more interface writes the adopted verdict there too.
"""
import ipaddress
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

try:
    import confluent_kafka
    import google.protobuf  # noqa: F401  (what the generated code needs)
    import nacl.signing
except ImportError:
    # Debian's python3-confluent-kafka, python3-protobuf and python3-nacl
    # live in the system interpreter's dist-packages; a python3 found
    # earlier on PATH (pyenv, a venv) does not see them.
    if os.path.exists("/usr/bin/python3") and \
            os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import CLI, ROOT, Broker, Collector, Lab, cli, cli_json, run  # noqa: E402
from kafka_util import delete_topics, read_to_watermarks, unique  # noqa: E402

VIC, VIC2, ATK, OTHER, THIRD = "192.0.2.1", "192.0.2.2", "192.0.2.10", "192.0.2.11", "192.0.2.12"
VERDICT_BASE = 65536  # XW_RULE_ID_VERDICT_BASE
LATENCY_LIMIT_S = 2.0  # generous; the goal is 1 s

BROKER = None
PB = None  # generated verdicts_pb2
KEYS = None  # temp dir: <id>.key/.pub; KEYS/trusted holds only the trusted .pub
SOC = ROGUE = None  # signing keys (Signer)
_pb_dir = None
_topics = []


class Signer:
    """An xdpwatch key file (hex of libsodium's 64-byte secret key) as a
    nacl signing key: the first 32 bytes are the seed."""

    def __init__(self, key_id):
        self.key_id = key_id
        self.path = os.path.join(KEYS, key_id + ".key")
        with open(self.path) as f:
            sk = bytes.fromhex(f.read().strip())
        self.nacl = nacl.signing.SigningKey(sk[:32])
        assert bytes(self.nacl.verify_key) == sk[32:], "seed and public half disagree"

    def sign(self, data):
        return self.nacl.sign(data).signature


def signing_input(kind, topic, rule_id, version, body):
    """verdicts.proto: domain, kind, topic, rule id, version, body."""
    def lp(b):
        return struct.pack(">I", len(b)) + b
    return (b"xdpwatch-verdict-v1\x00" + bytes([kind]) + lp(topic.encode()) + lp(rule_id.encode()) +
            struct.pack(">Q", version) + lp(body))


def seal(topic, rule_id, version, body, signer, kind=1):
    """A SignedEnvelope over body (serialized Verdict or Withdraw bytes)."""
    env = PB.SignedEnvelope(schema_version=1, topic=topic, rule_id=rule_id, version=version,
                            key_id=signer.key_id)
    if kind == 1:
        env.verdict = body
    else:
        env.withdraw = body
    env.signature = signer.sign(signing_input(kind, topic, rule_id, version, body))
    return env.SerializeToString()


def verdict_body(rule_id, version, src, ttl_s, created_ns, hosts=(), **kw):
    net = ipaddress.ip_network(src)
    v = PB.Verdict(rule_id=rule_id, version=version,
                   src=PB.Prefix(addr=net.network_address.packed, len=net.prefixlen),
                   ttl_s=ttl_s, issuer="test:verdicts", reason="crafted by test_verdicts.py",
                   created_unix_ns=created_ns, all_hosts=not hosts, **kw)
    v.hosts.extend(hosts)
    return v.SerializeToString()


def setUpModule():
    global BROKER, PB, KEYS, SOC, ROGUE, _pb_dir
    BROKER = Broker().ensure()
    _pb_dir = tempfile.mkdtemp(prefix="xw-pb2-")
    run(["protoc", "-I", os.path.join(ROOT, "proto"), "--python_out", _pb_dir,
         os.path.join(ROOT, "proto", "xdpwatch", "v1", "verdicts.proto")])
    sys.path.insert(0, _pb_dir)
    from xdpwatch.v1 import verdicts_pb2
    PB = verdicts_pb2
    KEYS = tempfile.mkdtemp(prefix="xw-keys-")
    os.mkdir(os.path.join(KEYS, "trusted"))
    for key_id in ("soc-test", "rogue-test"):
        run([CLI, "keygen", "--key-id", key_id, "--key-dir", KEYS])
    shutil.copy(os.path.join(KEYS, "soc-test.pub"), os.path.join(KEYS, "trusted"))
    SOC, ROGUE = Signer("soc-test"), Signer("rogue-test")


def tearDownModule():
    if BROKER:
        delete_topics(BROKER.bootstrap, _topics, "test_verdicts")
    if BROKER:
        BROKER.close()
    for d in (_pb_dir, KEYS):
        if d:
            shutil.rmtree(d, ignore_errors=True)


def create_topics(*specs):
    """Compacted topics, (name, partitions) each, with kafka.sh's own tool,
    in parallel (each is a JVM start)."""
    procs = []
    for name, partitions in specs:
        procs.append((name, subprocess.Popen(
            [os.path.join(ROOT, "scripts", "kafka.sh"), "tool", "topics", "--bootstrap-server",
             BROKER.bootstrap, "--create", "--topic", name, "--partitions", str(partitions),
             "--replication-factor", "1", "--config", "cleanup.policy=compact"],
            env=BROKER.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    for name, p in procs:
        out = p.communicate(timeout=120)[0]
        if p.returncode:
            raise RuntimeError("creating topic %s failed:\n%s" % (name, out))
        _topics.append(name)
    # The broker answers metadata for a new topic a moment after creating it.
    c = confluent_kafka.Consumer({"bootstrap.servers": BROKER.bootstrap, "group.id": unique("xw-meta")})
    try:
        for name, partitions in specs:
            deadline = time.monotonic() + 30
            while True:
                t = c.list_topics(name, timeout=10).topics[name]
                if not t.error and len(t.partitions) == partitions and \
                        all(p.leader >= 0 for p in t.partitions.values()):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("topic %s not ready: %s" % (name, t.error))
                time.sleep(0.2)
    finally:
        c.close()
    return [name for name, _ in specs]


def consume(topic, timeout=60):
    """Every message of topic up to the high watermarks taken now:
    [(partition, offset, key, value)] in log order per partition."""
    out = [(m.partition(), m.offset(), m.key(), m.value())
           for m in read_to_watermarks(BROKER.bootstrap, topic, timeout)]
    return sorted(out, key=lambda x: (x[0], x[1]))


def produce(topic, key, value):
    """One message as it is (value None: a tombstone), acknowledged."""
    p = confluent_kafka.Producer({"bootstrap.servers": BROKER.bootstrap, "enable.idempotence": True})
    errors = []
    p.produce(topic, key=key, value=value, on_delivery=lambda err, msg: errors.append(err))
    p.flush(30)
    if errors != [None]:
        raise AssertionError("produce to %s: %s" % (topic, errors))


def produce_many(topic, messages):
    p = confluent_kafka.Producer({"bootstrap.servers": BROKER.bootstrap, "enable.idempotence": True})
    errors = []
    for key, value in messages:
        p.produce(topic, key=key, value=value, on_delivery=lambda err, msg: errors.append(err))
        p.poll(0)
    p.flush(60)
    if errors != [None] * len(messages):
        raise AssertionError("produce to %s: %s" % (topic, [e for e in errors if e][:5]))


def verdict_cli(topic, *args, check=True):
    return run([CLI, "verdict"] + list(args) + ["--topic", topic, "--bootstrap", BROKER.bootstrap],
               check=check, timeout=60)


def verdict_add(topic, src, *extra, ttl="5m", rule_id=None, key=None):
    """Publish with the CLI; returns (rule_id, version)."""
    args = ["add", src, "--ttl", ttl, "--key", (key or SOC).path, "--rule-id", rule_id or unique("r")]
    p = verdict_cli(topic, *(args + list(extra)))
    m = re.search(r"^rule (\S+) version (\d+): ", p.stdout, re.M)
    if not m:
        raise AssertionError("verdict add printed no rule and version:\n" + p.stdout + p.stderr)
    return m.group(1), int(m.group(2))


def verdict_withdraw(topic, rule_id):
    verdict_cli(topic, "withdraw", rule_id, "--key", SOC.path)


STATS = re.compile(r"stats verdicts: (\d+) live, (\d+) received, (\d+) applied, (\d+) withdrawn, "
                   r"(\d+) expired, (\d+) not for this host, refused:(.*)$", re.M)


def verdict_stats(col):
    """The collector's last 'stats verdicts' line as a dict, or None."""
    m = STATS.findall(col.log_text())
    if not m:
        return None
    live, received, applied, withdrawn, expired, not_here, refused = m[-1]
    refused = refused.strip()
    return dict(live=int(live), received=int(received), applied=int(applied), withdrawn=int(withdrawn),
                expired=int(expired), not_targeted=int(not_here),
                refused={} if refused == "none" else
                {k: int(v) for k, v in (x.split("=") for x in refused.split())})


def wait_stats(col, received, timeout=20):
    """The first stats line that counts `received` messages or more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = verdict_stats(col)
        if s and s["received"] >= received:
            return s
        if col.proc.poll() is not None:
            raise AssertionError("collector exited %d:\n%s" % (col.proc.returncode, col.log_text()[-3000:]))
        time.sleep(0.1)
    raise AssertionError("no stats line with %d messages received within %d s:\n%s"
                         % (received, timeout, col.log_text()[-3000:]))


def delta(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def verdict_rules(lab, col):
    """{src: rule} of the verdict range (rule id >= XW_RULE_ID_VERDICT_BASE)."""
    return {r["src"]: r for r in cli_json(lab, "-i", col.key, "rule", "list") if r["rule_id"] >= VERDICT_BASE}


def wait_rules(lab, col, cond, what, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        rules = verdict_rules(lab, col)
        if cond(rules):
            return rules
        if time.monotonic() > deadline:
            raise AssertionError("%s: not within %d s; verdict rules: %s\n%s"
                                 % (what, timeout, rules, col.log_text()[-2000:]))
        time.sleep(0.02)


PING_STATS = re.compile(r"(\d+) packets transmitted, (\d+) received")


def ping_counts(out):
    m = PING_STATS.search(out)
    if not m:
        raise AssertionError("no ping summary in:\n" + out)
    return int(m.group(1)), int(m.group(2))


def verdict_collector(lab, host, ifname, topic, host_id, *extra, sample_rate=0):
    sets = ["kafka.bootstrap.servers=" + BROKER.bootstrap, "trusted_keys=" + os.path.join(KEYS, "trusted"),
            "verdicts_topic=" + topic, "host_id=" + host_id, "batch_linger_ms=50"] + list(extra)
    args = []
    for s in sets:
        args += ["--set", s]
    return Collector(lab, host, ifname, sample_rate=sample_rate, extra=args)


def wait_caught_up(col, since=0, timeout=20):
    """The 'verdicts: read N messages ...' line a start prints once caught
    up, after offset `since` of the log."""
    deadline = time.monotonic() + timeout
    pat = re.compile(r"verdicts: read (\d+) messages in ([\d.]+) s; (\d+) rules live, (\d+) refused")
    while time.monotonic() < deadline:
        m = pat.search(col.log_text()[since:])
        if m:
            return tuple(int(x) if i != 1 else float(x) for i, x in enumerate(m.groups()))
        if col.proc.poll() is not None:
            raise AssertionError("collector exited:\n" + col.log_text()[-3000:])
        time.sleep(0.05)
    raise AssertionError("collector did not catch up:\n" + col.log_text()[-3000:])


def add_pair(lab, i):
    """Host a<i> (ATK, OTHER, THIRD) linked to host v<i> (VIC); returns
    the victim's interface name."""
    a, v = "a%d" % i, "v%d" % i
    lab.add_host(a)
    lab.add_host(v)
    aif, vif = "%sa%d" % (lab.tag, i), "%sv%d" % (lab.tag, i)
    lab.link(a, aif, v, vif)
    for ip in (ATK, OTHER, THIRD):
        lab.addr(a, aif, ip + "/24")
    lab.addr(v, vif, VIC + "/24")
    lab.addr(v, vif, VIC2 + "/24")
    # Resolve the neighbour both ways before anything is measured.
    for ip in (ATK, OTHER, THIRD):
        lab.sh(a, ["ping", "-c", "1", "-W", "2", "-I", ip, VIC])
    return vif


class VerdictLab(unittest.TestCase):
    """A lab torn down at the end of the class, also when setUp fails.
    Verdicts published through self.add() that a failed test left in
    force are withdrawn after it, so one failure does not cascade."""

    collectors = ()

    def setUp(self):
        self.published = []
        self.addCleanup(self._withdraw_leftovers)

    def add(self, topic, src, *extra, **kw):
        rule_id, version = verdict_add(topic, src, *extra, **kw)
        self.published.append((topic, rule_id))
        return rule_id, version

    def _withdraw_leftovers(self):
        cols = [c for c in self.collectors if c.proc and c.proc.poll() is None]
        if not any(verdict_rules(self.lab, c) for c in cols):
            return
        for topic, rule_id in self.published:
            verdict_cli(topic, "withdraw", rule_id, "--key", SOC.path, check=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(verdict_rules(self.lab, c) for c in cols):
            time.sleep(0.1)

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab()
        try:
            cls._setup()
        except BaseException:
            cls.lab.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def ping(self, pair, src, n=20, interval="0.01", dst=VIC):
        """(transmitted, received) of n echo requests from src to dst."""
        p = self.lab.sh("a%d" % pair, ["ping", "-q", "-c", str(n), "-i", interval, "-W", "1", "-I", src, dst],
                        check=False)
        return ping_counts(p.stdout)

    def assert_passes(self, pair, src, n=20, dst=VIC):
        self.assertEqual(self.ping(pair, src, n, dst=dst), (n, n), "from %s to %s, pair %d" % (src, dst, pair))

    def assert_dropped(self, pair, src, n=20, dst=VIC):
        self.assertEqual(self.ping(pair, src, n, dst=dst), (n, 0), "from %s to %s, pair %d" % (src, dst, pair))


class Delivery(VerdictLab):
    """Pairs 1 and 2; collector c1 (host h1, group edge) on v1, c2 (host
    h2, group core) on v2, both reading one verdict topic, c1 writing every
    packet's record (sample 1) for the timing."""

    @classmethod
    def _setup(cls):
        lab = cls.lab
        (cls.topic,) = create_topics((unique("xw-test-verdicts"), 1))
        cls.h1, cls.h2 = unique("h1"), unique("h2")
        vif1, vif2 = add_pair(lab, 1), add_pair(lab, 2)
        cls.c1 = verdict_collector(lab, "v1", vif1, cls.topic, cls.h1, "host_groups=edge", sample_rate=1)
        cls.c2 = verdict_collector(lab, "v2", vif2, cls.topic, cls.h2, "host_groups=core")
        cls.collectors = (cls.c1, cls.c2)
        cls.c1.start()
        cls.c2.start()
        for c in (cls.c1, cls.c2):
            wait_caught_up(c)

    def test_1_targeted_verdict_latency_and_withdraw(self):
        lab, c1, c2 = self.lab, self.c1, self.c2
        self.assert_passes(1, ATK)
        self.assert_passes(2, ATK)
        # A steady, bounded stream on both pairs: 100 packets/s for 6 s.
        streams = [lab.popen("a%d" % i, ["ping", "-q", "-c", "600", "-i", "0.01", "-I", ATK, VIC],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in (1, 2)]
        time.sleep(1.0)
        t_cmd = time.time_ns()
        rule_id, version = self.add(self.topic, ATK + "/32", "--hosts", self.h1)
        t_acked = time.time_ns()
        rules = wait_rules(lab, c1, lambda r: r.get(ATK + "/32", {}).get("hit_packets", 0) > 0,
                           "first hit of the verdict rule on h1", timeout=5)
        t_seen = time.time_ns()
        outs = [p.communicate(timeout=30)[0] for p in streams]
        slot = rules[ATK + "/32"]["rule_id"]

        drops = sorted(r["ts_ns"] for r in c1.records()
                       if r["src"] == ATK and r["action"] == "drop" and r["rule_id"] == slot)
        self.assertTrue(drops, "no dropped packet in h1's records")
        passed_after = [r for r in c1.records() if r["src"] == ATK and r["action"] == "pass"
                        and r["ts_ns"] > drops[0]]
        self.assertEqual(passed_after, [], "an attacker packet passed after the first drop")
        latency = (drops[0] - version) / 1e9
        print("\npublish-to-first-drop: %.3f s from signing (created_unix_ns), %.3f s from the CLI start, "
              "%.3f s after the broker acknowledged; seen in the hit counter %.3f s after signing"
              % (latency, (drops[0] - t_cmd) / 1e9, (drops[0] - t_acked) / 1e9, (t_seen - version) / 1e9),
              file=sys.stderr)
        self.assertGreater(latency, 0)
        self.assertLess(latency, LATENCY_LIMIT_S, "publish to first drop")

        sent1, recv1 = ping_counts(outs[0])
        sent2, recv2 = ping_counts(outs[1])
        self.assertEqual(sent1, 600)
        self.assertEqual(verdict_rules(lab, c1)[ATK + "/32"]["hit_packets"], sent1 - recv1,
                         "every echo request lost on h1 was dropped by the verdict rule")
        self.assertEqual(len(drops), sent1 - recv1)
        self.assertEqual((sent2, recv2), (600, 600), "h2 is not targeted: nothing lost")
        self.assertEqual(verdict_rules(lab, c2), {}, "no verdict rule on h2")
        self.assertIn("verdict %s version %d applied as rule %d" % (rule_id, version, slot), c1.log_text())
        s2 = wait_stats(c2, 1)
        self.assertEqual((s2["live"], s2["applied"], s2["not_targeted"], s2["refused"]), (0, 0, 1, {}))
        rule = verdict_rules(lab, c1)[ATK + "/32"]
        self.assertEqual((rule["action"], rule["l4_proto"], rule["expired"]), ("drop", 0, False))
        left = 300 - (time.time_ns() - version) / 1e9
        self.assertTrue(left - 2 <= rule["ttl_left_s"] <= left + 1, "TTL left %s, about %.1f expected"
                        % (rule["ttl_left_s"], left))
        self.assert_passes(1, OTHER)

        verdict_withdraw(self.topic, rule_id)
        wait_rules(lab, c1, lambda r: ATK + "/32" not in r, "withdrawal on h1")
        self.assert_passes(1, ATK)
        self.assertIn("verdict %s: rule removed (withdrawn)" % rule_id, c1.log_text())
        s1 = wait_stats(c1, 2)
        self.assertEqual((s1["live"], s1["applied"], s1["withdrawn"], s1["refused"]), (0, 1, 1, {}))

    def test_2_ttl_expires_in_the_kernel_with_the_collector_killed(self):
        lab, c1 = self.lab, self.c1
        rule_id, version = self.add(self.topic, ATK + "/32", ttl="5s", rule_id=unique("ttl"))
        rules = wait_rules(lab, c1, lambda r: ATK + "/32" in r, "5 s verdict applied")
        slot = rules[ATK + "/32"]["rule_id"]
        self.assert_dropped(1, ATK, 10)
        self.assertEqual(c1.stop(signal.SIGKILL), -signal.SIGKILL)
        try:
            # Down, and the pinned link keeps the program and its rule.
            self.assert_dropped(1, ATK, 10)
            rules = verdict_rules(lab, c1)
            self.assertEqual(rules[ATK + "/32"]["rule_id"], slot)
            time.sleep(max(0.0, (version + 5.3e9 - time.time_ns()) / 1e9))
            # Nobody removed the rule: the kernel ignores it past its TTL.
            self.assert_passes(1, ATK)
            rule = verdict_rules(lab, c1)[ATK + "/32"]
            self.assertEqual((rule["rule_id"], rule["expired"], rule["hit_packets"]), (slot, True, 20))
        finally:
            since = len(c1.log_text())
            c1.start(expect="took over the pinned link")
            wait_caught_up(c1, since)
        # Back: the expired rule is gone, and nothing was applied again.
        wait_rules(lab, c1, lambda r: ATK + "/32" not in r, "expired rule removed after restart")
        self.assertNotIn("applied as rule", c1.log_text()[since:])
        self.assert_passes(1, ATK)

    def test_3_monitor_only_counts_without_dropping(self):
        lab = self.lab
        rule_id, _ = self.add(self.topic, OTHER + "/32", "--monitor")  # all hosts by default
        for i, c in ((1, self.c1), (2, self.c2)):
            wait_rules(lab, c, lambda r: OTHER + "/32" in r, "monitor verdict on h%d" % i)
            self.assert_passes(i, OTHER, 25)
            rule = verdict_rules(lab, c)[OTHER + "/32"]
            self.assertEqual((rule["action"], rule["hit_packets"]), ("monitor", 25), "h%d" % i)
        verdict_withdraw(self.topic, rule_id)
        for c in (self.c1, self.c2):
            wait_rules(lab, c, lambda r: OTHER + "/32" not in r, "monitor verdict withdrawn")

    def test_4_groups_and_all_hosts(self):
        lab = self.lab
        edge, _ = self.add(self.topic, ATK + "/32", "--groups", "edge,elsewhere")
        core, _ = self.add(self.topic, OTHER + "/32", "--groups", "core")
        every, _ = self.add(self.topic, THIRD + "/32")
        wait_rules(lab, self.c1, lambda r: set(r) == {ATK + "/32", THIRD + "/32"}, "h1: edge and all hosts")
        wait_rules(lab, self.c2, lambda r: set(r) == {OTHER + "/32", THIRD + "/32"}, "h2: core and all hosts")
        self.assert_dropped(1, ATK)
        self.assert_passes(2, ATK)
        self.assert_passes(1, OTHER)
        self.assert_dropped(2, OTHER)
        self.assert_dropped(1, THIRD)
        self.assert_dropped(2, THIRD)
        for r in (edge, core, every):
            verdict_withdraw(self.topic, r)
        for c in (self.c1, self.c2):
            wait_rules(lab, c, lambda r: r == {}, "every group verdict withdrawn")
        self.assert_passes(1, ATK)
        self.assert_passes(2, OTHER)

    def test_5_bare_tombstone_removes_nothing(self):
        lab, c1 = self.lab, self.c1
        rule_id, version = self.add(self.topic, ATK + "/32", "--hosts", self.h1)
        slot = wait_rules(lab, c1, lambda r: ATK + "/32" in r, "verdict applied")[ATK + "/32"]["rule_id"]
        received = len(consume(self.topic))  # c1 has read the topic from its start
        before = wait_stats(c1, received)
        self.assertEqual(before["received"], received)
        produce(self.topic, rule_id.encode(), None)
        after = wait_stats(c1, received + 1)
        self.assertEqual((after["live"], after["withdrawn"], after["refused"]),
                         (before["live"], before["withdrawn"], before["refused"]))
        time.sleep(0.5)
        self.assertEqual(verdict_rules(lab, c1)[ATK + "/32"]["rule_id"], slot, "the rule stays as it was")
        self.assert_dropped(1, ATK)
        self.assertNotIn("verdict %s: rule removed" % rule_id, c1.log_text())
        verdict_withdraw(self.topic, rule_id)
        wait_rules(lab, c1, lambda r: r == {}, "withdrawn after the tombstone")
        self.assert_passes(1, ATK)

    def test_6_destination_qualified_verdict(self):
        # The attacker is dropped on its way to VIC2 only.
        lab, c1 = self.lab, self.c1
        rule_id, _ = self.add(self.topic, ATK + "/32", "--dst", VIC2 + "/32", "--hosts", self.h1)
        rule = wait_rules(lab, c1, lambda r: ATK + "/32" in r, "destination verdict")[ATK + "/32"]
        self.assertEqual((rule["dst"], rule["action"]), (VIC2 + "/32", "drop"))
        self.assert_passes(1, ATK, dst=VIC)
        self.assert_dropped(1, ATK, dst=VIC2)
        self.assert_passes(1, OTHER, dst=VIC2)
        self.assertEqual(verdict_rules(lab, c1)[ATK + "/32"]["hit_packets"], 20)
        self.assertEqual(verdict_rules(lab, self.c2), {})
        verdict_withdraw(self.topic, rule_id)
        wait_rules(lab, c1, lambda r: r == {}, "destination verdict withdrawn")
        self.assert_passes(1, ATK, dst=VIC2)

    def test_7_rate_limit_verdict(self):
        lab, c1 = self.lab, self.c1
        rule_id, _ = self.add(self.topic, OTHER + "/32", "--proto", "icmp", "--rate-limit", "10",
                              "--hosts", self.h1)
        rule = wait_rules(lab, c1, lambda r: OTHER + "/32" in r, "rate-limit verdict")[OTHER + "/32"]
        self.assertEqual((rule["action"], rule["rate_pps"], rule["l4_proto"]), ("rate-limit", 10, 1))
        t = time.monotonic()
        sent, received = self.ping(1, OTHER, 100)
        took = time.monotonic() - t
        # A bucket one second deep: 10 at once, then 10 per second.
        self.assertEqual(sent, 100)
        self.assertTrue(10 <= received <= 10 + int(10 * took) + 1,
                        "%d of 100 passed in %.2f s at 10/s" % (received, took))
        self.assertEqual(verdict_rules(lab, c1)[OTHER + "/32"]["hit_packets"], 100)
        self.assert_passes(1, ATK)
        verdict_withdraw(self.topic, rule_id)
        wait_rules(lab, c1, lambda r: r == {}, "rate-limit verdict withdrawn")
        self.assert_passes(1, OTHER, 50)

    def test_7a_rate_limit_renewals_keep_the_bucket(self):
        """A renewal (same rule, same rate, new version) must not refill
        the bucket: the detector renews every few seconds, and each refill
        used to let another second's worth of the flood through."""
        lab, c1 = self.lab, self.c1
        rid = unique("rl-renew")
        self.add(self.topic, OTHER + "/32", "--proto", "icmp", "--rate-limit", "10", "--hosts", self.h1,
                 rule_id=rid)
        wait_rules(lab, c1, lambda r: OTHER + "/32" in r, "rate-limit verdict")
        since = len(c1.log_text())
        p = lab.popen("a1", ["ping", "-q", "-c", "300", "-i", "0.01", "-W", "1", "-I", OTHER, VIC],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t = time.monotonic()
        while p.poll() is None:
            self.add(self.topic, OTHER + "/32", "--proto", "icmp", "--rate-limit", "10", "--hosts", self.h1,
                     rule_id=rid)
            time.sleep(0.3)
        took = time.monotonic() - t
        sent, received = ping_counts(p.communicate()[0])
        renewals = len(re.findall(r"verdict %s version \d+ applied" % re.escape(rid), c1.log_text()[since:]))
        self.assertGreaterEqual(renewals, 3, "renewals applied while the ping ran")
        self.assertEqual(sent, 300)
        self.assertTrue(received <= 10 + int(10 * took) + 1,
                        "%d of 300 passed in %.2f s at 10/s across %d renewals" % (received, took, renewals))
        verdict_withdraw(self.topic, rid)
        wait_rules(lab, c1, lambda r: r == {}, "rate-limit verdict withdrawn")

    def test_8_rule_stats_on_the_rulestats_topic(self):
        """Each collector publishes RuleStats (default topic, every 10 s):
        the verdict's rule by its rule id, with the packets it dropped."""
        lab, c1 = self.lab, self.c1
        rule_id, version = self.add(self.topic, THIRD + "/32", "--hosts", self.h1)
        wait_rules(lab, c1, lambda r: THIRD + "/32" in r, "verdict for the rule stats")
        sent, received = self.ping(1, THIRD, 20)
        self.assertEqual((sent, received), (20, 0))
        deadline, found = time.monotonic() + 30, None
        while time.monotonic() < deadline and not found:
            for _, _, key, value in consume("xdpwatch.rulestats.v1"):
                if key != self.h1.encode() or value is None:
                    continue
                msg = PB.RuleStats()
                msg.ParseFromString(value)
                for r in msg.rules:
                    if r.rule_id == rule_id and r.packets_total == 20:
                        found = (msg, r)
            if not found:
                time.sleep(1)
        self.assertIsNotNone(found, "no RuleStats from %s with rule %s at 20 packets" % (self.h1, rule_id))
        msg, r = found
        self.assertEqual(msg.host_id, self.h1)
        self.assertEqual(r.version, version)
        self.assertEqual(r.action, PB.VERDICT_DROP)
        self.assertGreater(r.bytes_total, 20 * 84 - 1)
        self.assertGreater(msg.interval_end_unix_ns, msg.interval_start_unix_ns)
        verdict_withdraw(self.topic, rule_id)
        wait_rules(lab, c1, lambda r: THIRD + "/32" not in r, "rule-stats verdict withdrawn")

    def test_9_syn_flood_verdict_spares_established_connections(self):
        """The answer to a spoofed SYN flood: the victim's SYNs (SYN set,
        ACK clear), any source. The flood's every SYN is dropped, and a
        new connection cannot start, while a connection established
        before keeps exchanging data with the same port throughout."""
        lab, c1 = self.lab, self.c1
        port, nsyn = 8080, 200
        stop = os.path.join(lab.tmp, "syn-client-stop")
        server = lab.popen("v1", ["/usr/bin/python3", "-c", ECHO_SERVER, VIC, str(port)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(server.stdout.readline().strip(), "listening")
        client = lab.popen("a1", ["/usr/bin/python3", "-c", ECHO_CLIENT, ATK, VIC, str(port), stop],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            self.assertEqual(client.stdout.readline().strip(), "connected")
            rule_id, _ = self.add(self.topic, "0.0.0.0/0", "--dst", VIC + "/32", "--proto", "tcp",
                                  "--tcp-flags", "syn", "--hosts", self.h1)
            rule = wait_rules(lab, c1, lambda r: "0.0.0.0/0" in r, "SYN verdict")["0.0.0.0/0"]
            self.assertEqual((rule["dst"], rule["action"], rule["l4_proto"], rule["tcp_flags_mask"],
                              rule["tcp_flags_value"], rule["tcp_flags"]),
                             (VIC + "/32", "drop", 6, 0x12, 0x02, "syn,ack/syn"))
            slot = rule["rule_id"]
            text = cli(lab, "-i", c1.key, "rule", "list").stdout
            self.assertIn("tcp flags syn,ack/syn", text)
            applied_ns = time.time_ns()
            # The flood, from random sources, bounded: 200 SYNs in 0.4 s.
            lab.sh("a1", ["hping3", "-q", "-S", "-p", str(port), "-c", str(nsyn), "-i", "u2000",
                          "--rand-source", VIC], check=False, timeout=60)
            time.sleep(0.3)  # a few more round trips on the connection
            self.assertIsNone(client.poll(), "the established connection is still up")
        finally:
            open(stop, "w").close()
            out = client.communicate(timeout=30)[0]
        self.assertEqual(client.returncode, 0, out)
        m = re.match(r"ok (\d+)", out.strip())
        self.assertIsNotNone(m, out)
        self.assertEqual(verdict_rules(lab, c1)["0.0.0.0/0"]["hit_packets"], nsyn,
                         "exactly the flood's SYNs hit the rule")
        recs = [r for r in c1.records() if r["dst"] == VIC and r.get("dport") == port
                and r["ts_ns"] > applied_ns]
        syns = [r for r in recs if r["tcp_flags"] & 0x12 == 0x02]
        conn = [r for r in recs if r["src"] == ATK]
        self.assertEqual(len(syns), nsyn)
        self.assertTrue(all(r["action"] == "drop" and r["rule_id"] == slot for r in syns))
        self.assertGreater(len(conn), 0, "the connection moved data during the flood")
        self.assertEqual([r for r in conn if r["action"] != "pass" or r["rule_id"]], [],
                         "no packet of the established connection met the rule")
        print("\nSYN verdict: %d flood SYNs dropped, %d exchanges on the established connection, "
              "%d of its packets to the victim passed after the rule was in place"
              % (len(syns), int(m.group(1)), len(conn)), file=sys.stderr)

        # A new connection's SYN is dropped too; once withdrawn it gets in.
        probe = ["/usr/bin/python3", "-c", CONNECT_PROBE, OTHER, VIC, str(port)]
        p = lab.sh("a1", probe, check=False)
        self.assertEqual(p.stdout.strip(), "timeout", p.stdout + p.stderr)
        verdict_withdraw(self.topic, rule_id)
        wait_rules(lab, c1, lambda r: r == {}, "SYN verdict withdrawn")
        p = lab.sh("a1", probe, check=False)
        self.assertEqual(p.stdout.strip(), "connected", p.stdout + p.stderr)
        server.kill()
        server.wait()


# One connection at a time, echoed back until it closes.
ECHO_SERVER = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(8)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
"""

# Connects from argv[1], then sends 1000 bytes and reads them back every
# 20 ms until the file argv[4] exists; any stall over 3 s fails it.
ECHO_CLIENT = """
import os, socket, sys, time
c = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=3, source_address=(sys.argv[1], 0))
print("connected", flush=True)
n, msg = 0, b"x" * 1000
while not os.path.exists(sys.argv[4]):
    c.sendall(msg)
    got = b""
    while len(got) < len(msg):
        d = c.recv(65536)
        if not d:
            sys.exit("closed by the server after %d exchanges" % n)
        got += d
    n += 1
    time.sleep(0.02)
c.close()
print("ok", n, flush=True)
"""

# One connection attempt with a 1.5 s timeout: "connected" or "timeout".
CONNECT_PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=1.5,
                             source_address=(sys.argv[1], 0)).close()
    print("connected")
except socket.timeout:
    print("timeout")
"""


class Refusals(VerdictLab):
    """Pair 1; one collector, rule_budget 2, verdict_max_ttl_s 300. Each
    test checks that its case bumps exactly its own refusal counter and
    that no verdict rule reaches the maps."""

    @classmethod
    def _setup(cls):
        lab = cls.lab
        cls.topic, cls.scratch = create_topics((unique("xw-test-refusals"), 1), (unique("xw-test-scratch"), 1))
        cls.host = unique("h")
        vif = add_pair(lab, 1)
        cls.col = verdict_collector(lab, "v1", vif, cls.topic, cls.host, "rule_budget=2", "verdict_max_ttl_s=300")
        cls.collectors = (cls.col,)
        cls.col.start()
        wait_caught_up(cls.col)
        cls.produced = 0  # messages on the topic, for the stats' received

    def expect_refused(self, action, reason, n=1, produced=1):
        """Run action (which puts `produced` messages on the topic); the
        collector must count them, refuse n for `reason` and nothing
        else, apply nothing and keep no verdict rule."""
        before = wait_stats(self.col, self.produced)
        action()
        type(self).produced += produced
        after = wait_stats(self.col, self.produced)
        self.assertEqual(after["received"], self.produced)
        self.assertEqual(delta(after["refused"], before["refused"]), {reason: n} if n else {},
                         "refusals counted for %s" % reason)
        self.assertEqual((after["applied"], after["live"]), (before["applied"], before["live"]))
        self.assertEqual(verdict_rules(self.lab, self.col), {}, "nothing reached the maps")
        self.assertIsNone(self.col.proc.poll(), "the collector runs")
        return after

    def scratch_envelope(self, *extra, src=ATK + "/32"):
        """A verdict the CLI signs for the scratch topic, read back:
        (rule_id, version, envelope bytes)."""
        rule_id, version = verdict_add(self.scratch, src, *extra, "--hosts", self.host)
        for _, _, key, value in consume(self.scratch):
            if key == rule_id.encode():
                return rule_id, version, value
        self.fail("the CLI's verdict is not on the scratch topic")

    def resealed_for_topic(self, envelope, topic=None):
        """The scratch envelope's own body, signed in Python for `topic`."""
        env = PB.SignedEnvelope.FromString(envelope)
        return seal(topic or self.topic, env.rule_id, env.version, env.verdict, SOC)

    def test_00_python_signature_equals_the_clis(self):
        # Ed25519 is deterministic: the same input gives the same 64 bytes.
        _, _, value = self.scratch_envelope()
        env = PB.SignedEnvelope.FromString(value)
        self.assertEqual((env.schema_version, env.topic, env.key_id), (1, self.scratch, "soc-test"))
        mine = PB.SignedEnvelope.FromString(seal(self.scratch, env.rule_id, env.version, env.verdict, SOC))
        self.assertEqual(mine.signature, env.signature)
        self.assertEqual(mine.SerializeToString(), value, "the whole envelope, byte for byte")

    def test_01_unknown_key(self):
        self.expect_refused(lambda: self.add(self.topic, ATK + "/32", "--hosts", self.host, key=ROGUE),
                            "unknown_key")
        self.assertIn("signed with key rogue-test, which is not trusted here", self.col.log_text())

    def test_02_bad_signature(self):
        _, _, value = self.scratch_envelope()
        env = PB.SignedEnvelope.FromString(self.resealed_for_topic(value))
        sig = bytearray(env.signature)
        sig[17] ^= 0x01
        env.signature = bytes(sig)
        self.expect_refused(lambda: produce(self.topic, env.rule_id.encode(), env.SerializeToString()),
                            "bad_signature")

    def test_03_wrong_topic(self):
        rule_id, _, value = self.scratch_envelope()
        self.expect_refused(lambda: produce(self.topic, rule_id.encode(), value), "wrong_topic")
        self.assertIn("signed for topic %s, read from another" % self.scratch, self.col.log_text())

    def test_04_key_mismatch(self):
        _, _, value = self.scratch_envelope()
        valid = self.resealed_for_topic(value)
        self.expect_refused(lambda: produce(self.topic, b"another-rule", valid), "key_mismatch")

    def test_05_replayed_older_version(self):
        lab, col = self.lab, self.col
        rule_id = unique("replay")
        _, v1 = self.add(self.topic, ATK + "/32", "--monitor", "--hosts", self.host, rule_id=rule_id)
        _, v2 = self.add(self.topic, ATK + "/32", "--hosts", self.host, rule_id=rule_id)
        type(self).produced += 2
        rules = wait_rules(lab, col, lambda r: r.get(ATK + "/32", {}).get("action") == "drop", "version 2")
        slot = rules[ATK + "/32"]["rule_id"]
        old = [v for _, _, k, v in consume(self.topic)
               if k == rule_id.encode() and PB.SignedEnvelope.FromString(v).version == v1]
        self.assertEqual(len(old), 1)
        before = wait_stats(col, self.produced)
        produce(self.topic, rule_id.encode(), old[0])
        type(self).produced += 1
        after = wait_stats(col, self.produced)
        self.assertEqual(delta(after["refused"], before["refused"]), {"replayed_version": 1})
        self.assertEqual(after["applied"], before["applied"])
        rule = verdict_rules(lab, col)[ATK + "/32"]
        self.assertEqual((rule["rule_id"], rule["action"]), (slot, "drop"), "version 2 stays in force")
        self.assertIn("version %d is not newer than %d" % (v1, v2), col.log_text())
        self.assert_dropped(1, ATK)
        verdict_withdraw(self.topic, rule_id)
        type(self).produced += 1
        wait_rules(lab, col, lambda r: r == {}, "withdrawn")

    def test_06_expired(self):
        created = time.time_ns() - 120 * 10**9
        rule_id = unique("expired")
        env = seal(self.topic, rule_id, created,
                   verdict_body(rule_id, created, ATK + "/32", 60, created, hosts=[self.host]), SOC)
        self.expect_refused(lambda: produce(self.topic, rule_id.encode(), env), "expired")

    def test_07_ttl_over_the_maximum(self):
        self.expect_refused(lambda: self.add(self.topic, ATK + "/32", "--hosts", self.host, ttl="301s"),
                            "bad_ttl")
        self.assertIn("TTL 301s: must be 1..300s", self.col.log_text())

    def test_08_everything_without_protocol(self):
        # The CLI will not publish it ...
        p = verdict_cli(self.topic, "add", "0.0.0.0/0", "--ttl", "1m", "--key", SOC.path, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("verdict refused before publishing", p.stderr)
        # ... so it is signed here; the collector refuses it too.
        now = time.time_ns()
        rule_id = unique("all")
        env = seal(self.topic, rule_id, now, verdict_body(rule_id, now, "0.0.0.0/0", 60, now), SOC)
        self.expect_refused(lambda: produce(self.topic, rule_id.encode(), env), "drops_everything")
        self.assertIn("0.0.0.0/0 without a protocol would match everything", self.col.log_text())

    def test_09_inside_the_allowlist(self):
        lab, col = self.lab, self.col
        cli(lab, "-i", col.key, "allow", "add", "192.0.2.0/24")
        try:
            self.expect_refused(lambda: self.add(self.topic, ATK + "/32", "--hosts", self.host),
                                "allowlisted")
        finally:
            # `allow del` exits non-zero even when it removed the prefix
            # (cli/xdpwatch.c allow_one): check the list instead.
            cli(lab, "-i", col.key, "allow", "del", "192.0.2.0/24", check=False)
        self.assertEqual(cli_json(lab, "-i", col.key, "allow", "list"), [])
        self.assertIn("lies inside allowlisted 192.0.2.0/24", col.log_text())
        self.assert_passes(1, ATK)

    def test_10_tcp_flags_refused(self):
        # The CLI refuses --tcp-flags without --proto tcp ...
        p = verdict_cli(self.topic, "add", ATK + "/32", "--ttl", "1m", "--key", SOC.path,
                        "--tcp-flags", "syn", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--tcp-flags syn needs --proto tcp", p.stderr)
        # ... so these are signed here: flags on UDP, a value outside
        # its mask. Each would match nothing the verdict meant.
        for what, kw, why in (("udp", dict(l4_proto=17, tcp_flags_mask=0x12, tcp_flags_value=0x02),
                               "TCP flags need protocol tcp (6), not 17"),
                              ("outside", dict(l4_proto=6, tcp_flags_mask=0x12, tcp_flags_value=0x06),
                               "TCP flag value 0x06 names flags outside its mask 0x12")):
            now = time.time_ns()
            rule_id = unique("flags-" + what)
            env = seal(self.topic, rule_id, now,
                       verdict_body(rule_id, now, ATK + "/32", 60, now, hosts=[self.host], **kw), SOC)
            self.expect_refused(lambda: produce(self.topic, rule_id.encode(), env), "bad_match")
            self.assertIn(why, self.col.log_text())

    def test_11_fuzzed_envelopes(self):
        lab, col = self.lab, self.col
        # A valid verdict, applied and then withdrawn: whatever of it a
        # mutation leaves valid is a replay; nothing else may verify.
        rule_id, version = self.add(self.topic, ATK + "/32", "--hosts", self.host, rule_id=unique("fuzz"))
        type(self).produced += 1
        wait_rules(lab, col, lambda r: ATK + "/32" in r, "the fuzz base applied")
        verdict_withdraw(self.topic, rule_id)
        type(self).produced += 1
        wait_rules(lab, col, lambda r: r == {}, "the fuzz base withdrawn")
        (base,) = [v for _, _, k, v in consume(self.topic) if k == rule_id.encode() and
                   PB.SignedEnvelope.FromString(v).version == version]
        seed = int(os.environ.get("XW_FUZZ_SEED", str(random.randrange(1 << 30))))
        rng = random.Random(seed)
        print("\nfuzz seed %d (XW_FUZZ_SEED to repeat)" % seed, file=sys.stderr)
        msgs = []
        for i in range(200):
            b = bytearray(base)
            for _ in range(rng.randint(1, 4)):
                op = rng.randrange(6)
                at = rng.randrange(len(b))
                if op == 0:
                    b[at] ^= 1 << rng.randrange(8)
                elif op == 1:
                    b[at] = rng.randrange(256)
                elif op == 2:
                    b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
                elif op == 3 and len(b) > 8:
                    del b[at:at + rng.randint(1, 8)]
                elif op == 4:
                    b = b[:max(1, at)]
                else:
                    b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            if bytes(b) == base:
                b[0] ^= 0x80
            key = rule_id.encode() if i % 10 else unique("fuzzkey").encode()
            msgs.append((key, bytes(b)))
        before = wait_stats(col, self.produced)
        produce_many(self.topic, msgs)
        type(self).produced += len(msgs)
        after = wait_stats(col, self.produced, timeout=30)
        refused = delta(after["refused"], before["refused"])
        print("fuzz: 200 envelopes refused as %s" % refused, file=sys.stderr)
        self.assertEqual(sum(refused.values()), 200, refused)
        self.assertEqual((after["applied"], after["live"], after["withdrawn"]),
                         (before["applied"], before["live"], before["withdrawn"]))
        self.assertEqual(verdict_rules(lab, col), {})
        self.assertIsNone(col.proc.poll())
        self.assert_passes(1, ATK)

    def test_99_over_the_rule_budget(self):
        lab, col = self.lab, self.col
        before = wait_stats(col, self.produced)
        ids = [self.add(self.topic, ip + "/32", "--hosts", self.host)[0] for ip in (ATK, OTHER, THIRD)]
        type(self).produced += 3
        after = wait_stats(col, self.produced)
        self.assertEqual(delta(after["refused"], before["refused"]), {"over_rule_budget": 1})
        self.assertEqual((after["applied"] - before["applied"], after["live"]), (2, 2))
        self.assertEqual(set(verdict_rules(lab, col)), {ATK + "/32", OTHER + "/32"})
        self.assertIn("verdict %s refused (over_rule_budget): the rule budget is spent" % ids[2],
                      col.log_text())
        self.assert_passes(1, THIRD)
        for r in ids:
            verdict_withdraw(self.topic, r)
        wait_rules(lab, col, lambda r: r == {}, "all withdrawn")


class Restart(VerdictLab):
    """One pair per test; a collector SIGKILLed under live verdicts."""

    @classmethod
    def _setup(cls):
        cls.topics = dict(zip(("1", "3", "ifaces"), create_topics(
            (unique("xw-test-restart1"), 1), (unique("xw-test-restart3"), 3), (unique("xw-test-ifaces"), 1))))
        cls.pairs = 0

    def scenario(self, partitions):
        lab = self.lab
        type(self).pairs += 1
        pair = self.pairs
        topic = self.topics[str(partitions)]
        host = unique("h")
        vif = add_pair(lab, pair)
        col = verdict_collector(lab, "v%d" % pair, vif, topic, host)
        self.collectors = (col,)
        col.start()
        wait_caught_up(col)

        # Rule ids spread over the partitions (librdkafka: crc32 of the key).
        def rid(name, part):
            while True:
                r = unique(name)
                if zlib.crc32(r.encode()) % partitions == part % partitions:
                    return r
        keep, old, new = rid("keep", 0), rid("old", 1), rid("new", 2)
        self.add(topic, ATK + "/32", rule_id=keep)
        self.add(topic, OTHER + "/32", rule_id=old)
        rules = wait_rules(lab, col, lambda r: set(r) == {ATK + "/32", OTHER + "/32"}, "both applied")
        slot = rules[ATK + "/32"]["rule_id"]
        hits0 = rules[ATK + "/32"]["hit_packets"]
        stream = lab.popen("a%d" % pair, ["ping", "-q", "-c", "3000", "-i", "0.01", "-I", ATK, VIC],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1)
            self.assertEqual(col.stop(signal.SIGKILL), -signal.SIGKILL)
            verdict_withdraw(topic, old)
            _, new_version = self.add(topic, THIRD + "/32", rule_id=new)
            # Down: nothing removes or adds rules, the kernel still drops.
            self.assert_dropped(pair, OTHER, 10)
            self.assert_passes(pair, THIRD, 10)
            self.assertEqual({r: x["rule_id"] for r, x in verdict_rules(lab, col).items()}.get(ATK + "/32"), slot)
            time.sleep(1)
            since = len(col.log_text())
            col.start(expect="took over the pinned link")
            n, _, live, refused = wait_caught_up(col, since)
            self.assertEqual((n, live, refused), (4, 2, 0), "messages read, rules live, refused")
            rules = wait_rules(lab, col, lambda r: set(r) == {ATK + "/32", THIRD + "/32"}, "after the restart")
            time.sleep(1)
        finally:
            stream.send_signal(signal.SIGINT)
            out = stream.communicate(timeout=20)[0]
        sent, received = ping_counts(out)
        print("\n%d partition(s): %d attacker packets across the kill and restart, %d passed"
              % (partitions, sent, received), file=sys.stderr)
        self.assertGreater(sent, 200)
        self.assertEqual(received, 0, "no attacker packet passes, down or back")
        log = col.log_text()[since:]
        rules = verdict_rules(lab, col)
        self.assertEqual(rules[ATK + "/32"]["rule_id"], slot, "the live rule keeps its id")
        self.assertEqual(rules[ATK + "/32"]["hit_packets"] - hits0, sent, "every attacker packet hit it")
        self.assertNotIn("verdict %s version" % keep, log, "the live rule is adopted, not applied again")
        self.assertRegex(log, r"verdict %s version %d applied as rule \d+" % (new, new_version))
        self.assertIn("verdicts: removed 1 rules the topic no longer wants", log)
        self.assert_passes(pair, OTHER, 10)
        self.assert_dropped(pair, THIRD, 10)
        self.assertEqual({p for p, _, _, _ in consume(topic)}, set(range(partitions)),
                         "the verdicts used every partition")
        self.assertEqual(col.stop(), 0)

    def test_1_partition(self):
        self.scenario(1)

    def test_2_interface_added_across_a_restart(self):
        """A collector restarted with one more interface adopts the live
        verdict on the old one and writes it to the new one as well."""
        lab = self.lab
        type(self).pairs += 1
        pair = self.pairs
        topic = self.topics["ifaces"]
        vif = add_pair(lab, pair)
        # A second attacker host b<pair> on a second link into the victim.
        b, bif, vif2 = "b%d" % pair, "%sb%d" % (lab.tag, pair), "%sw%d" % (lab.tag, pair)
        lab.add_host(b)
        lab.link(b, bif, "v%d" % pair, vif2)
        atk2, vic2 = "198.51.100.10", "198.51.100.1"
        lab.addr(b, bif, atk2 + "/24")
        lab.addr("v%d" % pair, vif2, vic2 + "/24")
        lab.sh(b, ["ping", "-c", "1", "-W", "2", vic2])
        col = verdict_collector(lab, "v%d" % pair, vif, topic, unique("h"))
        self.collectors = (col,)
        col.start()
        wait_caught_up(col)
        rule_id, _ = self.add(topic, atk2 + "/32", rule_id=unique("two"))
        slot = wait_rules(lab, col, lambda r: atk2 + "/32" in r, "applied")[atk2 + "/32"]["rule_id"]
        self.assertEqual(col.stop(), 0)
        col.args += ["-i", vif2]
        since = len(col.log_text())
        col.start()
        wait_caught_up(col, since)
        key2 = "%s@%s" % (vif2, lab.ns("v%d" % pair))
        on2 = {r["src"]: r for r in cli_json(lab, "-i", key2, "rule", "list") if r["rule_id"] >= VERDICT_BASE}
        self.assertEqual(verdict_rules(lab, col)[atk2 + "/32"]["rule_id"], slot, "adopted on the first")
        self.assertEqual({k: v["rule_id"] for k, v in on2.items()}, {atk2 + "/32": slot},
                         "written on the interface added since")
        p = lab.sh(b, ["ping", "-q", "-c", "10", "-i", "0.01", "-W", "1", vic2], check=False)
        self.assertEqual(ping_counts(p.stdout), (10, 0), "the attacker on the new interface is dropped")
        verdict_withdraw(topic, rule_id)
        wait_rules(lab, col, lambda r: r == {}, "withdrawn")
        on2 = [r for r in cli_json(lab, "-i", key2, "rule", "list") if r["rule_id"] >= VERDICT_BASE]
        self.assertEqual(on2, [], "withdrawn from both interfaces")
        self.assertEqual(col.stop(), 0)

    def test_3_partitions(self):
        self.scenario(3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
