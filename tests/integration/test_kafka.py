#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The collector's Kafka path against a real broker, read back by a
consumer that is not ours.

Broker: scripts/kafka.sh on XW_KAFKA_PORT / XW_KAFKA_DATA (lab.Broker:
started if needed, stopped at the end only if this run started it). Every
class produces to topics of its own, created here with a unique name; they
are deleted at the end.

The independent consumer is confluent-kafka (Debian's python3-confluent-
kafka) and the protobuf classes protoc generates from
proto/xdpwatch/v1/features.proto into a temporary directory: nothing of
ours decodes what they check. `xdpwatch tail` is then held to agree.

  RecordsEndToEnd  hping3/ping into XDP on a veth, sampling 1: the consumer
                   sees every record the collector wrote locally, field by
                   field; key, headers, sequence 1..N, per-batch losses,
                   cumulative counters equal to `xdpwatch stats --json`,
                   per-record sample_rate after `xdpwatch sample 2`.
  BrokerOutage     steady traffic while `kafka.sh stop` keeps the broker
                   away for 30 s: two collectors ride it out, one with room
                   to queue everything (no loss at all), one whose small
                   queue overflows (every record delivered or counted);
                   RSS sampled every second stays under a bound derived
                   from each one's queue and ring sizes.
  BadKafkaConfig   an unknown librdkafka property, no broker answering, an
                   invalid topic name, a missing topic: each refused
                   quickly, by name, with nothing attached and nothing
                   pinned.
"""
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

try:
    import confluent_kafka  # noqa: F401  (kafka_util needs it)
    from confluent_kafka.admin import NewTopic
    import google.protobuf  # noqa: F401  (what the generated code needs)
except ImportError:
    # Debian's python3-confluent-kafka and python3-protobuf live in the
    # system interpreter's dist-packages; a python3 found earlier on PATH
    # (pyenv, a venv) does not see them.
    if os.path.exists("/usr/bin/python3") and \
            os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import CLI, ROOT, Broker, Collector, Lab, cli, cli_json, run  # noqa: E402
from kafka_util import admin_client, delete_topics, read_to_watermarks, unique  # noqa: E402

DST4, SRC4, OTHER4 = "192.0.2.1", "192.0.2.10", "192.0.2.11"
DST6, SRC6 = "2001:db8::1", "2001:db8::10"
SCHEMA_HEADERS = {"schema": b"xdpwatch.v1.FeatureBatch", "schema_version": b"1"}

BROKER = None
PB = None  # the generated features_pb2 module
_pb_dir = None
_topics = []


def setUpModule():
    global BROKER, PB, _pb_dir
    BROKER = Broker().ensure()
    _pb_dir = tempfile.mkdtemp(prefix="xw-pb2-")
    run(["protoc", "-I", os.path.join(ROOT, "proto"), "--python_out", _pb_dir,
         os.path.join(ROOT, "proto", "xdpwatch", "v1", "features.proto")])
    sys.path.insert(0, _pb_dir)
    from xdpwatch.v1 import features_pb2
    PB = features_pb2


def tearDownModule():
    if BROKER:
        delete_topics(BROKER.bootstrap, _topics, "test_kafka")
    if BROKER:
        BROKER.close()
    if _pb_dir:
        shutil.rmtree(_pb_dir, ignore_errors=True)


def create_topic(name, partitions=3):
    admin = admin_client(BROKER.bootstrap)
    fut = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                              operation_timeout=20)
    fut[name].result(timeout=60)
    _topics.append(name)
    return name


# Set by CMake for a tree built with -DXW_SANITIZE (build-asan).
SANITIZED = bool(os.environ.get("XW_SANITIZE"))


class Message:
    """One Kafka message, decoded by the generated classes."""

    def __init__(self, m):
        self.partition, self.offset = m.partition(), m.offset()
        self.key = m.key()
        self.headers = dict(m.headers() or [])
        self.timestamp_ms = m.timestamp()[1]
        self.size = len(m.value())
        self.batch = PB.FeatureBatch.FromString(m.value())


def consume(topic, timeout=90):
    """Every message of topic, from the start up to the high watermarks
    taken now, decoded."""
    return [Message(m) for m in read_to_watermarks(BROKER.bootstrap, topic, timeout)]


def ifindex(lab, host, ifname):
    return json.loads(lab.sh(host, ["ip", "-j", "link", "show", "dev", ifname]).stdout)[0]["ifindex"]


def addr(b):
    return str(ipaddress.ip_address(bytes(b))) if b else ""


def record_key(r, batch_rate):
    """What both decoders must agree on, from the generated classes."""
    return (addr(r.src), addr(r.dst), r.ip_version, r.l4_proto, r.sport, r.dport, r.tcp_flags, r.ttl,
            r.ip_len, r.l4_payload_len, r.pkt_len, r.ifindex, r.action, r.rule_id,
            r.sample_rate or batch_rate)


ACTIONS = {"pass": 0, "drop": 1, "monitor": 2, "allow": 3}


def json_record_key(r):
    """The same from a JSON record (the collector's -o file, xdpwatch tail)."""
    icmp = r["l4_proto"] in (1, 58)
    return (r["src"], r["dst"], r["ip_version"], r["l4_proto"],
            r.get("icmp_type", 0) if icmp else r.get("sport", 0),
            r.get("icmp_code", 0) if icmp else r.get("dport", 0),
            r.get("tcp_flags", 0), r["ttl"], r["ip_len"], r["l4_payload_len"], r["pkt_len"], r["ifindex"],
            ACTIONS[r["action"]], r["rule_id"], r["sample_rate"])


def multiset(keys):
    out = {}
    for k in keys:
        out[k] = out.get(k, 0) + 1
    return out


def multiset_diff(a, b):
    """A short description of how two multisets differ, for messages."""
    only_a = {k: v - b.get(k, 0) for k, v in a.items() if v > b.get(k, 0)}
    only_b = {k: v - a.get(k, 0) for k, v in b.items() if v > a.get(k, 0)}
    return "only left %d kinds %s; only right %d kinds %s" % (
        len(only_a), list(only_a.items())[:5], len(only_b), list(only_b.items())[:5])


STATS_KAFKA = re.compile(r"stats kafka: (\d+) records in (\d+) batches produced, (\d+) delivered, (\d+) failed "
                         r"\((\d+) batches possibly persisted\), (\d+) lost to a full queue, (\d+) in queue, "
                         r"(\d+) producer restarts")


def final_kafka_stats(log):
    """The collector's last 'stats kafka' line (printed after its flush)."""
    m = STATS_KAFKA.findall(log)
    if not m:
        raise AssertionError("no 'stats kafka' line in the collector's log:\n" + log[-3000:])
    keys = ("produced", "batches", "delivered", "failed", "possibly_persisted", "queue_full", "queued",
            "restarts")
    return dict(zip(keys, map(int, m[-1])))


def check_sequences(test, msgs, what):
    """One collector_id; sequences 1..N in log order, no gap, no repeat."""
    ids = {m.batch.collector_id for m in msgs}
    test.assertEqual(len(ids), 1, "%s: one collector, one collector_id; saw %s" % (what, ids))
    (cid,) = ids
    test.assertRegex(cid, r"^[0-9a-f]{32}$", "collector_id: 16 random bytes in hex")
    seqs = [m.batch.sequence for m in msgs]
    if seqs != list(range(1, len(seqs) + 1)):
        s = set(seqs)
        missing = sorted(set(range(1, max(s) + 1)) - s)
        repeats = sorted(x for x in s if seqs.count(x) > 1)
        test.fail("%s: sequences are not 1..%d in order: missing %s, repeated %s, first out of order at index %s"
                  % (what, len(seqs), missing[:20], repeats[:20],
                     next((i for i, x in enumerate(seqs) if x != i + 1), None)))


def in_log_order(msgs):
    return sorted(msgs, key=lambda m: (m.partition, m.offset))


def kafka_args(topic, host_id, *extra):
    args = ["--set", "kafka.bootstrap.servers=" + BROKER.bootstrap,
            "--set", "kafka_topic=" + topic,
            "--set", "host_id=" + host_id]
    for e in extra:
        args += ["--set", e]
    return args


class RecordsEndToEnd(unittest.TestCase):
    """Lab: host "src" (SRC4, OTHER4, SRC6) sends to host "dst" (DST4,
    DST6); the collector watches dst's veth at sampling 1 and writes both
    to Kafka and to its local JSON file, which is the reference."""

    COUNTERS_MS = 300

    @classmethod
    def setUpClass(cls):
        lab = cls.lab = Lab()
        try:
            cls._setup()
        except BaseException:
            lab.close()
            raise

    @classmethod
    def _setup(cls):
        lab = cls.lab
        lab.add_host("src")
        lab.add_host("dst")
        cls.sif, cls.dif = lab.tag + "s", lab.tag + "d"
        lab.link("src", cls.sif, "dst", cls.dif)
        for cidr in (SRC4 + "/24", OTHER4 + "/24", SRC6 + "/64"):
            lab.addr("src", cls.sif, cidr)
        for cidr in (DST4 + "/24", DST6 + "/64"):
            lab.addr("dst", cls.dif, cidr)
        cls.ifindex = ifindex(lab, "dst", cls.dif)
        cls.topic = create_topic(unique("xw-test-records"))
        cls.host_id = unique("xw-test-host")
        cls.collector = Collector(lab, "dst", cls.dif, sample_rate=1, extra=kafka_args(
            cls.topic, cls.host_id, "counters_interval_ms=%d" % cls.COUNTERS_MS, "batch_linger_ms=50"))
        cls.t0_ns = time.time_ns()
        cls.collector.start()

        sh = lambda *a: lab.sh("src", list(a), timeout=60)  # noqa: E731
        # Resolve neighbours first (these echo requests are counted too).
        sh("ping", "-c", "1", "-W", "2", "-I", SRC4, DST4)
        sh("ping", "-6", "-c", "1", "-W", "2", "-I", SRC6, DST6)
        sh("hping3", "-q", "-S", "-p", "80", "-c", "200", "-i", "u2000", "-a", SRC4, DST4)
        sh("hping3", "-q", "--udp", "-p", "53", "-s", "3000", "-k", "-c", "100", "-i", "u2000", "-a", SRC4, DST4)
        sh("ping", "-q", "-c", "50", "-i", "0.01", "-I", SRC4, DST4)
        sh("ping", "-6", "-q", "-c", "30", "-i", "0.01", "-I", SRC6, DST6)
        # From here on the program samples 1 in 2 while the batches still
        # say 1: these records carry their own sample_rate.
        cli(lab, "-i", cls.collector.key, "sample", "2")
        sh("ping", "-q", "-c", "100", "-i", "0.01", "-I", OTHER4, DST4)
        time.sleep(2 * cls.COUNTERS_MS / 1000)  # counters go out while idle too

        cls.stop_rc = cls.collector.stop(timeout=20)
        cls.t1_ns = time.time_ns()
        cls.stats = cli_json(lab, "-i", cls.collector.key, "stats")[0]
        cls.local = cls.collector.records()
        cls.log = cls.collector.log_text()
        cls.msgs = in_log_order(consume(cls.topic))
        cls.records = [(m, r) for m in cls.msgs for r in m.batch.records]

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def flow(self, src, proto, port_or_type):
        """Records of one flow: port_or_type is dport for TCP/UDP, the
        ICMP type (carried in sport) for ICMP and ICMPv6."""
        return [r for _, r in self.records if addr(r.src) == src and r.l4_proto == proto and
                (r.sport if proto in (1, 58) else r.dport) == port_or_type]

    def test_collector_stopped_cleanly(self):
        self.assertEqual(self.stop_rc, 0, self.log[-3000:])
        self.assertTrue(self.msgs, "no message reached the topic")

    def test_every_local_record_is_in_kafka(self):
        kafka = multiset(record_key(r, m.batch.sample_rate) for m, r in self.records)
        local = multiset(json_record_key(r) for r in self.local)
        self.assertEqual(len(self.records), len(self.local), "records in Kafka vs written locally")
        self.assertEqual(kafka, local, multiset_diff(kafka, local))
        self.assertEqual(len(self.records), self.stats["events"]["records_sampled"],
                         "every record the kernel sampled reached the consumer")
        self.assertEqual(self.stats["events"]["records_lost_ringbuf_full"], 0)

    def test_flows_counted_and_fields_exact(self):
        src4, dst4 = ipaddress.ip_address(SRC4).packed, ipaddress.ip_address(DST4).packed
        syn = self.flow(SRC4, 6, 80)
        self.assertEqual(len(syn), 200, "one record per SYN sent")
        for r in syn:
            self.assertEqual((r.src, r.dst, r.ip_version, r.tcp_flags, r.ttl, r.ip_len, r.l4_payload_len,
                              r.pkt_len, r.action, r.rule_id, r.sample_rate, r.ifindex, r.parse_error),
                             (src4, dst4, 4, 0x02, 64, 40, 0, 54, PB.ACTION_PASS, 0, 0, self.ifindex, False))
        self.assertGreater(len({r.sport for r in syn}), 100, "hping3 moves its source port per packet")
        udp = self.flow(SRC4, 17, 53)
        self.assertEqual(len(udp), 100)
        for r in udp:
            self.assertEqual((r.src, r.dst, r.sport, r.ttl, r.ip_len, r.l4_payload_len, r.tcp_flags,
                              r.sample_rate),
                             (src4, dst4, 3000, 64, 28, 0, 0, 0))
        echo = self.flow(SRC4, 1, 8)
        self.assertEqual(len(echo), 1 + 50, "the neighbour-resolving ping, then 50")
        for r in echo:
            self.assertEqual((r.dport, r.ip_version, r.ip_len, r.l4_payload_len, r.pkt_len, r.ttl),
                             (0, 4, 84, 56, 98, 64), "ICMP echo request: type 8 code 0, 56 bytes of data")
        echo6 = self.flow(SRC6, 58, 128)
        self.assertEqual(len(echo6), 1 + 30)
        for r in echo6:
            self.assertEqual((len(r.src), r.src, r.dst, r.ip_version, r.ip_len, r.ttl, r.dport),
                             (16, ipaddress.ip_address(SRC6).packed, ipaddress.ip_address(DST6).packed,
                              6, 104, 64, 0), "ICMPv6 echo request: addresses 16 raw bytes")
        # Reassembling arrival times: within the run, never before its start.
        for m, r in self.records:
            ts = m.batch.time_base_unix_ns + r.ts_offset_ns
            self.assertTrue(self.t0_ns - 10**9 <= ts <= self.t1_ns + 10**9,
                            "arrival %d outside the run [%d, %d]" % (ts, self.t0_ns, self.t1_ns))

    def test_sample_rate_zero_means_the_batchs(self):
        self.assertEqual({m.batch.sample_rate for m in self.msgs}, {1})
        before = self.flow(SRC4, 1, 8) + self.flow(SRC4, 6, 80) + self.flow(SRC6, 58, 128)
        self.assertEqual({r.sample_rate for r in before}, {0}, "sampled at the batch's rate: 0 on the wire")
        after = self.flow(OTHER4, 1, 8)
        self.assertEqual({r.sample_rate for r in after}, {2}, "sampled at 1:2 while the batch says 1")
        # 1 in 2 at random out of 100: P(outside 20..80) < 1e-9.
        self.assertTrue(20 <= len(after) <= 80, "%d of 100 pings sampled at 1:2" % len(after))
        ping = [r for r in self.local if r["src"] == OTHER4 and r["l4_proto"] == 1]
        self.assertEqual(len(after), len(ping))

    def test_key_headers_and_batch_fields(self):
        for m in self.msgs:
            where = "partition %d offset %d" % (m.partition, m.offset)
            self.assertEqual(m.key, self.host_id.encode(), where)
            self.assertEqual(m.headers, SCHEMA_HEADERS, where)
            self.assertEqual((m.batch.schema_version, m.batch.host_id), (1, self.host_id), where)
            self.assertEqual([(i.ifindex, i.ifname) for i in m.batch.interfaces],
                             [(self.ifindex, self.collector.key)], where)
            if m.batch.records:
                self.assertGreater(m.batch.time_base_unix_ns, 0, where)
        self.assertEqual(len({m.partition for m in self.msgs}), 1, "one key, one partition")

    def test_sequence_and_losses_per_batch(self):
        check_sequences(self, self.msgs, "records topic")
        produced = 0
        for m in self.msgs:
            lo = m.batch.losses
            # Cumulative up to, not including, this batch.
            self.assertEqual((lo.batches_produced, lo.records_produced), (m.batch.sequence - 1, produced),
                             "losses of batch %d" % m.batch.sequence)
            self.assertEqual((lo.records_lost_queue_full, lo.batches_lost_queue_full, lo.records_delivery_failed,
                              lo.batches_delivery_failed, lo.records_ringbuf_full), (0, 0, 0, 0, 0))
            produced += len(m.batch.records)
        ks = final_kafka_stats(self.log)
        self.assertEqual((ks["produced"], ks["batches"], ks["delivered"], ks["failed"], ks["queue_full"],
                          ks["queued"], ks["restarts"]),
                         (produced, len(self.msgs), produced, 0, 0, 0, 0), "the collector's final stats line")

    def test_counters_cumulative_and_equal_to_stats(self):
        snaps = [(m, m.batch.counters) for m in self.msgs if m.batch.counters]
        self.assertGreaterEqual(len(snaps), 3, "counters every %d ms over a run of seconds" % self.COUNTERS_MS)
        prev = {}
        for m, cs in snaps:
            self.assertEqual([(c.ifindex, c.ifname) for c in cs], [(self.ifindex, self.collector.key)])
            now = {(t.ip_version, t.l4, t.action): (t.packets, t.bytes) for t in cs[0].traffic}
            now.update({e.name: (e.count,) for e in cs[0].events})
            for k, v in prev.items():
                self.assertGreaterEqual(now.get(k, (0, 0)), v, "%s went down in batch %d" % (k, m.batch.sequence))
            prev = now
        # At most once per interval (the last, at shutdown, comes anyway).
        gaps = [b.timestamp_ms - a.timestamp_ms for (a, _), (b, _) in zip(snaps[:-2], snaps[1:-1])]
        self.assertGreaterEqual(min(gaps), self.COUNTERS_MS - 20, "counters more often than every %d ms: %s"
                                % (self.COUNTERS_MS, gaps))
        # The last snapshot, taken after the last packet, is exact.
        fam = {"ipv4": 4, "ipv6": 6, "non_ip": 0}
        want = {(fam[t["family"]], t["l4"], ACTIONS[t["action"]]): (t["packets"], t["bytes"])
                for t in self.stats["traffic"]}
        last = snaps[-1][1][0]
        got = {(t.ip_version, t.l4, t.action): (t.packets, t.bytes) for t in last.traffic}
        self.assertEqual(got, want, "last counters in Kafka vs xdpwatch stats --json")
        self.assertEqual({e.name: e.count for e in last.events},
                         {k: v for k, v in self.stats["events"].items() if v})
        self.assertEqual(sum(t.packets for t in last.traffic if t.l4 == "tcp" and t.ip_version == 4), 200)

    def test_tail_agrees_with_the_independent_decoder(self):
        n = len(self.msgs)
        p = run([CLI, "tail", "--from-beginning", "--bootstrap", BROKER.bootstrap, "--topic", self.topic,
                 "--max", str(n), "--idle-timeout", "15"], timeout=90)
        lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
        self.assertEqual(len(lines), n, "xdpwatch tail printed %d batches of %d\n%s" % (len(lines), n, p.stderr))
        by_seq = {m.batch.sequence: m for m in self.msgs}
        self.assertEqual(sorted(x["sequence"] for x in lines), sorted(by_seq))
        for x in lines:
            m = by_seq[x["sequence"]]
            self.assertEqual((x["host_id"], x["collector_id"], x["partition"], x["offset"], x["n_records"]),
                             (m.batch.host_id, m.batch.collector_id, m.partition, m.offset, len(m.batch.records)))
            ours = multiset(json_record_key(r) for r in x["records"])
            theirs = multiset(record_key(r, m.batch.sample_rate) for r in m.batch.records)
            self.assertEqual(ours, theirs, "batch %d: %s" % (m.batch.sequence, multiset_diff(ours, theirs)))
        self.assertEqual(sum(x["n_records"] for x in lines), len(self.records))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


class RssSampler(threading.Thread):
    """VmRSS of some processes once a second, and whether they still run."""

    def __init__(self, procs):
        super().__init__(daemon=True)
        self.procs = procs
        self.samples = {name: [] for name in procs}
        self.died = {}
        self.halt = threading.Event()

    def run(self):
        while not self.halt.wait(1.0):
            for name, p in self.procs.items():
                if p.poll() is not None:
                    self.died.setdefault(name, (time.monotonic(), p.returncode))
                    continue
                try:
                    self.samples[name].append(rss_kib(p.pid))
                except (OSError, AssertionError):
                    pass

    def stop(self):
        self.halt.set()
        self.join()


class BrokerOutage(unittest.TestCase):
    """Two clients send steady, bounded UDP floods to "dst" over links of
    their own, a collector on each link; `kafka.sh stop` keeps the broker
    away for OUTAGE_S, then `kafka.sh start` brings it back (same data).

    "roomy": about 1000 pps, queue.buffering.max.kbytes 16384 and
    message.timeout.ms 120000 hold the whole outage: nothing may be lost,
    not even across the idempotent producer's reconnect.
    "tight": as fast as hping3 goes at -i u100 (thousands of pps, batches
    of hundreds of records), queue.buffering.max.kbytes 1024: the queue
    overflows during the outage; every record lost so must be counted.

    RSS bound of each: queue.buffering.max.kbytes + 2 x ringbuf_kib (the
    ring's data pages are mapped twice, and all of it counts in VmRSS from
    the start) + RSS_ALLOWANCE_KIB for what does not grow with the backlog:
    code, libraries and librdkafka's threads (about 8 MiB measured at start
    with a 64 KiB ring), the batcher's buffers once touched (about 3 MiB),
    librdkafka's in-flight requests and per-message overhead after the
    reconnect. An unbounded queue would pass it: the tight collector's
    lost records alone are more than the headroom, which the test checks.
    """

    OUTAGE_S = 30
    RINGBUF_KIB = 1024
    RSS_ALLOWANCE_KIB = 12 * 1024
    CONFIGS = {
        # name: (client's /24, queue.buffering.max.kbytes, traffic to {dst});
        # each ends by itself (-c) should the test not stop it.
        "roomy": ("198.51.100", 16384, ["hping3", "-q", "--udp", "-p", "9", "-k", "-s", "4000",
                                        "-i", "u1000", "-c", "150000", "{dst}"]),
        "tight": ("203.0.113", 1024, ["hping3", "-q", "--udp", "-p", "9", "-k", "-s", "4000",
                                      "-i", "u100", "-c", "1000000", "{dst}"]),
    }

    @classmethod
    def setUpClass(cls):
        lab = cls.lab = Lab()
        try:
            cls._setup()
        except BaseException:
            lab.close()
            raise

    @classmethod
    def _setup(cls):
        lab = cls.lab
        lab.add_host("dst")
        cls.c = {}
        for i, name in enumerate(sorted(cls.CONFIGS)):
            net, queue_kib, _ = cls.CONFIGS[name]
            lab.add_host(name)
            cif, dif = "%s%d" % (lab.tag, 2 * i), "%s%d" % (lab.tag, 2 * i + 1)
            lab.link(name, cif, "dst", dif)
            lab.addr(name, cif, "%s.10/24" % net)
            lab.addr("dst", dif, "%s.1/24" % net)
            topic = create_topic(unique("xw-test-outage-" + name))
            col = Collector(lab, "dst", dif, sample_rate=1, extra=kafka_args(
                topic, unique("xw-test-" + name),
                "output=none",  # only Kafka: no JSON file of a million lines
                "ringbuf_kib=%d" % cls.RINGBUF_KIB,
                "kafka.queue.buffering.max.kbytes=%d" % queue_kib,
                "kafka.message.timeout.ms=120000"))
            cls.c[name] = {"net": net, "topic": topic, "collector": col, "queue_kib": queue_kib,
                           "bound_kib": queue_kib + 2 * cls.RINGBUF_KIB + cls.RSS_ALLOWANCE_KIB}
        for c in cls.c.values():
            c["collector"].start()
        for name, c in cls.c.items():
            lab.sh(name, ["ping", "-c", "1", "-W", "2", c["net"] + ".1"])

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()
        # A failure half-way must not leave the broker down for the rest.
        if not BROKER.running():
            BROKER.start()

    def test_outage(self):
        lab = self.lab
        sampler = RssSampler({n: c["collector"].proc for n, c in self.c.items()})
        sampler.start()
        senders = {}
        for name, c in self.c.items():
            cmd = [x.format(dst=c["net"] + ".1") for x in self.CONFIGS[name][2]]
            senders[name] = lab.popen(name, cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        timeline = {}
        try:
            time.sleep(5)
            t = time.monotonic()
            BROKER.stop()
            timeline["stop_s"] = round(time.monotonic() - t, 1)
            time.sleep(self.OUTAGE_S)
            t = time.monotonic()
            BROKER.start()
            timeline["start_s"] = round(time.monotonic() - t, 1)
            time.sleep(5)
        finally:
            for p in senders.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in senders.values():
                p.wait(timeout=10)
            time.sleep(0.5)
            sampler.stop()
        self.assertEqual(sampler.died, {}, "collectors exited during the outage (time, exit code)")
        rcs = {n: c["collector"].stop(timeout=30) for n, c in self.c.items()}

        report = {}
        for name, c in self.c.items():
            log = c["collector"].log_text()
            self.assertEqual(rcs[name], 0, "%s: SIGINT exit code\n%s" % (name, log[-3000:]))
            # The lab's maps were pinned by this collector: its counters
            # start from zero, and every record of the topic is its own.
            stats = cli_json(lab, "-i", c["collector"].key, "stats")[0]
            msgs = in_log_order(consume(c["topic"]))
            self.assertTrue(msgs, name + ": nothing reached the topic")
            seen = sum(len(m.batch.records) for m in msgs)
            last = max(msgs, key=lambda m: m.batch.sequence).batch.losses
            ks = final_kafka_stats(log)
            rss = sampler.samples[name]
            report[name] = r = dict(
                sampled=stats["events"]["records_sampled"], seen=seen, delivered=ks["delivered"],
                lost_queue_full=ks["queue_full"], failed=ks["failed"], batches=len(msgs),
                batches_lost_queue_full=last.batches_lost_queue_full,
                ringbuf_lost=stats["events"]["records_lost_ringbuf_full"], restarts=ks["restarts"],
                bytes_per_record=round(sum(m.size for m in msgs) / max(seen, 1), 1),
                rss_start_kib=rss[0] if rss else None, rss_max_kib=max(rss) if rss else None,
                rss_bound_kib=c["bound_kib"])
            print("\n%s: %s" % (name, r), file=sys.stderr)
            what = "%s: %s %s" % (name, r, timeline)

            check_sequences(self, msgs, name)
            self.assertGreaterEqual(len(rss), self.OUTAGE_S, what + ": RSS samples")
            # Under ASan the collector's RSS is the sanitizer's shadow and
            # quarantine more than the collector's: the bound says nothing.
            if not SANITIZED:
                self.assertLess(max(rss), c["bound_kib"],
                                what + ": RSS over its bound; samples %s" % rss)
            self.assertEqual(r["ringbuf_lost"], 0, what)
            self.assertEqual(ks["queued"], 0, what + ": nothing left queued after the SIGINT flush")
            # The flush's own batch is the last and was delivered, so what it
            # says was lost is all that was lost.
            self.assertEqual((last.records_lost_queue_full, last.records_delivery_failed),
                             (ks["queue_full"], ks["failed"]), what)
            self.assertEqual(seen + ks["queue_full"] + ks["failed"], r["sampled"],
                             what + ": every sampled record delivered or counted lost")
            self.assertEqual(ks["delivered"], seen, what + ": delivered as the collector counts it")
        roomy, tight = report["roomy"], report["tight"]
        self.assertGreater(roomy["sampled"], 100 * (self.OUTAGE_S + 10), "roomy: traffic ran: %s" % roomy)
        self.assertEqual((roomy["seen"], roomy["lost_queue_full"], roomy["failed"], roomy["restarts"]),
                         (roomy["sampled"], 0, 0, 0), "roomy: the queue held the whole outage: %s" % roomy)
        self.assertGreater(tight["lost_queue_full"], 0, "tight: the 1 MiB queue should overflow: %s" % tight)
        # The bound means something: without one, the tight collector would
        # have had to hold its queue plus what it lost.
        unbounded_kib = tight["lost_queue_full"] * tight["bytes_per_record"] / 1024 + self.c["tight"]["queue_kib"]
        if not SANITIZED:
            self.assertGreater(tight["rss_start_kib"] + unbounded_kib, tight["rss_bound_kib"],
                               "tight: the flood is too small to test the RSS bound: %s" % tight)


class BadKafkaConfig(unittest.TestCase):
    """Each bad setting stops the collector before it attaches anything."""

    @classmethod
    def setUpClass(cls):
        lab = cls.lab = Lab()
        try:
            lab.add_host("a")
            lab.add_host("dst")
            cls.dif = lab.tag + "d"
            lab.link("a", lab.tag + "a", "dst", cls.dif)
        except BaseException:
            lab.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def refused(self, args, message, within_s):
        col = Collector(self.lab, "dst", self.dif, extra=args)
        t = time.monotonic()
        p = subprocess.run(col.args, capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t
        self.assertNotEqual(p.returncode, 0, p.stderr)
        self.assertIn(message, p.stderr)
        self.assertIn("nothing was attached", p.stderr)
        self.assertLess(took, within_s, "took %.1f s to refuse:\n%s" % (took, p.stderr))
        link = self.lab.sh("dst", ["ip", "-d", "link", "show", self.dif]).stdout
        self.assertNotIn("prog/xdp", link, "an XDP program stayed attached")
        pins = os.path.join(self.lab.pin_root, col.key)
        self.assertFalse(os.path.exists(os.path.join(pins, "link")), "a link pin stayed")
        self.assertFalse(os.path.exists(pins), "pinned maps: %s" % (os.listdir(pins) if os.path.isdir(pins) else ""))
        return p.stderr, took

    def test_unknown_librdkafka_property(self):
        self.refused(kafka_args("xdpwatch.features.v1", "bad", "kafka.no.such=1"),
                     'kafka.no.such = "1": No such configuration property: "no.such"', 2)

    def test_no_broker_answers(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # closed: nothing listens there
        err, took = self.refused(["--set", "kafka.bootstrap.servers=127.0.0.1:%d" % port,
                                  "--set", "kafka_check_ms=2000"],
                                 "no broker of 127.0.0.1:%d answered within 2000 ms" % port, 5)
        self.assertGreaterEqual(took, 1.9, "gave up before kafka_check_ms")

    def test_invalid_topic_name(self):
        self.refused(kafka_args("bad/topic", "bad"), "'bad/topic' is not a valid Kafka topic name", 2)

    def test_missing_topic(self):
        topic = unique("xw-test-missing")
        self.refused(kafka_args(topic, "bad"), "topic %s: Broker: Unknown topic or partition" % topic, 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
