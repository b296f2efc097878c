#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The collector's Prometheus metrics, scraped by a real Prometheus.

Lab: host "src" (192.0.2.10, .11, 2001:db8::10) sends to host "dst"
(192.0.2.1, 2001:db8::1), where xdpwatch-collector runs at sampling 1 with
metrics.listen on a free loopback port. Debian's prometheus scrapes it every
second (its own free port, its storage in the lab's temporary folder).

Checks, through Prometheus' HTTP API (/api/v1/query): the target is up;
every packets/bytes series equals the pinned counters (read with the CLI);
the traffic sent (hping3 SYN and UDP, ping, ping -6, and UDP from a source
a rule drops) moves exactly the series it should, by exactly what was sent,
bytes included; records_sampled moves with the packets at 1:1 and nothing
is lost; the rule's gauge and hit counter show the rule and its drops. The
collector's own /metrics passes `promtool check metrics` (naming lint), and
names every metric deploy/grafana/xdpwatch.json queries (tests/deploy/
check_dashboard.py) apart from the detector's.

MetricsKafka, with the lab's broker (lab.Broker) and a verdict topic of its
own, scraped over IPv6 loopback: every sampled record is counted produced
and delivered on xdpwatch.features.v1 with none failed or lost to a full
queue, rule statistics are delivered, a verdict signed by a trusted key is
counted applied and live and its rule's hits equal the packets it dropped,
and one signed by an unknown key is counted refused as unknown_key.
"""
import json
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import BUILD, CLI, Broker, Collector, Lab, cli, cli_json, run  # noqa: E402
from kafka_util import delete_topics, unique  # noqa: E402

DST4, SRC4, OTHER4 = "192.0.2.1", "192.0.2.10", "192.0.2.11"
DST6, SRC6 = "2001:db8::1", "2001:db8::10"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
DETECTOR = os.environ.get("XW_DETECTOR", os.path.join(BUILD, "detector", "xdpwatch-detector"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


class Prometheus:
    """Debian's prometheus scraping one target every second, in our own
    network namespace (beside the collector's socket), on a free port,
    with everything it writes in the lab's folder (removed at close); the
    lab stops it."""

    def __init__(self, lab, target, more=()):
        """target: the collector's address; more: (job, address) pairs."""
        self.port = free_port()
        pdir = os.path.join(lab.tmp, "prometheus")
        os.makedirs(pdir)
        cfg = os.path.join(pdir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n")
            for job, addr in [("xdpwatch-collector", target)] + list(more):
                f.write("  - job_name: %s\n"
                        "    static_configs:\n"
                        "      - targets: ['%s']\n" % (job, addr))
        self.log_path = os.path.join(pdir, "prometheus.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(pdir, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT)
        lab.procs.append(self.proc)
        self.api = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 60
        while True:
            try:
                if http_get(self.api + "/-/ready")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("prometheus did not start:\n" + open(self.log_path).read())
            time.sleep(0.2)

    def query(self, expr):
        """The instant vector: [(labels, value)]."""
        url = self.api + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        doc = json.loads(http_get(url)[1])
        if doc["status"] != "success":
            raise AssertionError("query %s: %s" % (expr, doc))
        return [(r["metric"], float(r["value"][1])) for r in doc["data"]["result"]]

    def value(self, expr):
        """The single value of expr, or None when it has none."""
        r = self.query(expr)
        return r[0][1] if len(r) == 1 else None

    def wait_for(self, expr, want, timeout=20):
        """Poll until expr has exactly the value want (or want(value) is
        true, for a callable); return the last value."""
        ok = want if callable(want) else (lambda v: v == want)
        deadline = time.time() + timeout
        while True:
            v = self.value(expr)
            if ok(v) or time.time() > deadline:
                return v
            time.sleep(0.3)


@unittest.skipUnless(os.access(PROMETHEUS, os.X_OK), "prometheus is not installed (scripts/install-deps.sh)")
class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        lab = cls.lab = Lab()
        lab.add_host("src")
        lab.add_host("dst")
        cls.sif, cls.dif = lab.tag + "s", lab.tag + "d"
        lab.link("src", cls.sif, "dst", cls.dif)
        for cidr in (SRC4 + "/24", OTHER4 + "/24", SRC6 + "/64"):
            lab.addr("src", cls.sif, cidr)
        for cidr in (DST4 + "/24", DST6 + "/64"):
            lab.addr("dst", cls.dif, cidr)
        cls.metrics_port = free_port()
        cls.collector = Collector(lab, "dst", cls.dif, sample_rate=1, extra=[
            "--set", "metrics.listen=127.0.0.1:%d" % cls.metrics_port,
            "--set", "metrics.interval_ms=200"]).start()
        lab.sh("src", ["ping", "-c", "1", "-W", "2", DST4])
        lab.sh("src", ["ping", "-6", "-c", "1", "-W", "2", DST6])

        cls.prom = Prometheus(lab, "127.0.0.1:%d" % cls.metrics_port)

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def series(self, name, *keys):
        """{(label values in keys order): value} for the collector's
        interface in the latest scrape."""
        out = {}
        for m, v in self.prom.query('%s{interface="%s"}' % (name, self.collector.key)):
            out[tuple(m.get(k, "") for k in keys)] = int(v)
        return out

    def pinned(self):
        """Packets and bytes by (family, l4, action) and the events, from
        the pinned maps, read until they stand still."""
        def once():
            s = cli_json(self.lab, "-i", self.collector.key, "stats")[0]
            return ({(t["family"], t["l4"], t["action"]): (t["packets"], t["bytes"]) for t in s["traffic"]},
                    s["events"])
        for _ in range(20):
            a = once()
            time.sleep(0.3)
            b = once()
            if a == b:
                return b
        self.fail("the counters never stood still")

    def scraped(self, want_packets, timeout=20):
        """Wait until Prometheus' latest scrape shows want_packets (from
        the maps); return its packet and byte series."""
        deadline = time.time() + timeout
        keys = ("ip_version", "l4", "action")
        while True:
            pk = self.series("xdpwatch_collector_packets_total", *keys)
            by = self.series("xdpwatch_collector_bytes_total", *keys)
            nonzero = {k: v for k, v in pk.items() if v}
            if nonzero == {k: v[0] for k, v in want_packets.items() if v[0]}:
                return pk, by
            if time.time() > deadline:
                self.assertEqual(nonzero, {k: v[0] for k, v in want_packets.items() if v[0]},
                                 "Prometheus never showed the pinned counters")
            time.sleep(0.3)

    def hping(self, *args):
        self.lab.sh("src", ["hping3", "-q"] + list(args), check=False, timeout=60)

    def test_1_target_up_and_lint_clean(self):
        self.assertEqual(self.prom.wait_for('up{job="xdpwatch-collector"}', 1), 1, "target up")
        status, body = http_get("http://127.0.0.1:%d/metrics" % self.metrics_port)
        self.assertEqual(status, 200)
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # Every metric the Grafana dashboard queries is in this output
        # (the collector names all its metrics, configured or not) or is
        # one of the detector's.
        mfile = os.path.join(self.lab.tmp, "metrics.txt")
        with open(mfile, "w") as f:
            f.write(body)
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "deploy", "check_dashboard.py"),
                            os.path.join(ROOT, "deploy", "grafana", "xdpwatch.json"), "--metrics", mfile],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with self.assertRaises(urllib.error.HTTPError) as e:
            http_get("http://127.0.0.1:%d/" % self.metrics_port)
        self.assertEqual(e.exception.code, 404)

    def test_2_scraped_counters_equal_traffic_sent(self):
        before, ev_before = self.pinned()
        pk0, by0 = self.scraped(before)
        sampled0 = self.series("xdpwatch_collector_records_sampled_total")[()]

        cli(self.lab, "rule", "add", OTHER4 + "/32", "--ttl", "120")
        try:
            self.hping("-S", "-p", "80", "-c", "200", "-i", "u2000", "-a", SRC4, DST4)
            self.hping("--udp", "-p", "53", "-s", "3000", "-k", "-c", "100", "-i", "u2000", "-a", SRC4, DST4)
            self.lab.sh("src", ["ping", "-c", "50", "-i", "0.01", "-W", "1", "-I", SRC4, DST4])
            self.lab.sh("src", ["ping", "-6", "-c", "30", "-i", "0.01", "-W", "1", "-I", SRC6, DST6])
            self.hping("--udp", "-p", "123", "-s", "4000", "-k", "-c", "40", "-i", "u2000", "-a", OTHER4, DST4)

            after, ev_after = self.pinned()
            pk1, by1 = self.scraped(after)
            rules = {x["src"]: x for x in cli_json(self.lab, "rule", "list")}
            rule = "local:%d" % rules[OTHER4 + "/32"]["rule_id"]
            deadline = time.time() + 10
            while True:
                hits = self.series("xdpwatch_collector_rule_hit_packets_total", "rule", "action")
                if hits.get((rule, "drop")) == 40 or time.time() > deadline:
                    break
                time.sleep(0.3)
            live = self.series("xdpwatch_collector_rules", "origin", "action")
        finally:
            cli(self.lab, "rule", "del", OTHER4 + "/32")

        # Every series equals the pinned counters, packets and bytes.
        self.assertEqual({k: v for k, v in by1.items() if v}, {k: v[1] for k, v in after.items() if v[1]})
        delta = {k: pk1.get(k, 0) - pk0.get(k, 0) for k in pk1}
        dbytes = {k: by1.get(k, 0) - by0.get(k, 0) for k in by1}
        self.assertEqual(delta[("ipv4", "tcp", "pass")], 200)
        self.assertEqual(dbytes[("ipv4", "tcp", "pass")], 200 * (14 + 20 + 20))
        self.assertEqual(delta[("ipv4", "udp", "pass")], 100)
        self.assertEqual(dbytes[("ipv4", "udp", "pass")], 100 * (14 + 20 + 8))
        self.assertEqual(delta[("ipv4", "icmp", "pass")], 50)
        self.assertEqual(delta[("ipv4", "udp", "drop")], 40)
        self.assertEqual(dbytes[("ipv4", "udp", "drop")], 40 * (14 + 20 + 8))
        # Echo requests, and whatever neighbour discovery the kernel sent.
        self.assertGreaterEqual(delta[("ipv6", "icmpv6", "pass")], 30)
        self.assertLessEqual(delta[("ipv6", "icmpv6", "pass")], 34)
        moved = {k for k, v in delta.items() if v}
        self.assertLessEqual(moved - {("non_ip", "other", "pass")},
                             {("ipv4", "tcp", "pass"), ("ipv4", "udp", "pass"), ("ipv4", "icmp", "pass"),
                              ("ipv4", "udp", "drop"), ("ipv6", "icmpv6", "pass")})

        # Sampling 1:1: a record per packet, none lost.
        sampled1 = self.series("xdpwatch_collector_records_sampled_total")[()]
        self.assertEqual(sampled1 - sampled0, sum(delta.values()))
        self.assertEqual(sampled1, ev_after["records_sampled"])
        self.assertEqual(self.series("xdpwatch_collector_ringbuf_lost_records_total")[()], 0)
        self.assertEqual(sum(self.series("xdpwatch_collector_parse_errors_total", "reason").values()), 0)

        # The rule: one live local drop rule, its 40 hits.
        self.assertEqual(live[("local", "drop")], 1)
        self.assertEqual(hits.get((rule, "drop")), 40)

        # Written as JSON lines too: the output counter agrees with the file.
        n = len(self.collector.records())
        self.assertEqual(self.prom.wait_for("xdpwatch_collector_output_records_written_total", n), n)


@unittest.skipUnless(os.access(PROMETHEUS, os.X_OK), "prometheus is not installed (scripts/install-deps.sh)")
class MetricsKafka(unittest.TestCase):
    """Kafka delivery and verdicts as Prometheus sees them: the lab's
    broker (lab.Broker: XW_KAFKA_PORT, started if needed and stopped again
    only if this run started it), a compacted verdict topic of this test's
    own, verdicts signed by a trusted and by an unknown key."""

    @classmethod
    def setUpClass(cls):
        cls.lab = lab = Lab()
        cls.broker = Broker().ensure()
        cls.topic = unique("xw-metrics-verdicts")
        run([os.path.join(ROOT, "scripts", "kafka.sh"), "tool", "topics", "--bootstrap-server",
             cls.broker.bootstrap, "--create", "--topic", cls.topic, "--partitions", "1",
             "--replication-factor", "1", "--config", "cleanup.policy=compact"], env=cls.broker.env, timeout=120)
        keys = os.path.join(lab.tmp, "keys")
        trusted = os.path.join(keys, "trusted")
        os.makedirs(trusted)
        for key_id in ("metrics-soc", "metrics-rogue"):
            run([CLI, "keygen", "--key-id", key_id, "--key-dir", keys])
        os.link(os.path.join(keys, "metrics-soc.pub"), os.path.join(trusted, "metrics-soc.pub"))
        cls.keys = keys
        lab.add_host("src")
        lab.add_host("dst")
        cls.sif, cls.dif = lab.tag + "s", lab.tag + "d"
        lab.link("src", cls.sif, "dst", cls.dif)
        lab.addr("src", cls.sif, SRC4 + "/24")
        lab.addr("dst", cls.dif, DST4 + "/24")
        cls.host_id = unique("xw-metrics-host")
        port = free_port()
        cls.collector = Collector(lab, "dst", cls.dif, sample_rate=1, extra=[
            "--set", "metrics.listen=[::1]:%d" % port,
            "--set", "metrics.interval_ms=200",
            "--set", "kafka.bootstrap.servers=" + cls.broker.bootstrap,
            "--set", "trusted_keys=" + trusted, "--set", "verdicts_topic=" + cls.topic,
            "--set", "host_id=" + cls.host_id, "--set", "rulestats_interval_s=1"]).start()
        # The detector reading the same features, its metrics scraped too.
        dport = free_port()
        cls.detector_log = open(os.path.join(lab.tmp, "detector.log"), "w")
        cls.detector = subprocess.Popen(
            [DETECTOR, "--set", "kafka.bootstrap.servers=" + cls.broker.bootstrap,
             "--set", "group_id=" + unique("xw-metrics-det"), "--set", "alerts_json=none",
             "--set", "alerts_topic=", "--set", "metrics.listen=127.0.0.1:%d" % dport,
             "--set", "metrics.interval_ms=200"],
            stdout=subprocess.DEVNULL, stderr=cls.detector_log)
        lab.procs.append(cls.detector)
        deadline = time.time() + 60
        while "partitions assigned" not in open(cls.detector_log.name).read():
            if cls.detector.poll() is not None or time.time() > deadline:
                raise RuntimeError("detector did not join:\n" + open(cls.detector_log.name).read())
            time.sleep(0.2)
        # The collector over IPv6 loopback this time.
        cls.prom = Prometheus(lab, "[::1]:%d" % port, [("xdpwatch-detector", "127.0.0.1:%d" % dport)])

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()
        cls.detector_log.close()
        delete_topics(cls.broker.bootstrap, [cls.topic], "test_metrics")
        cls.broker.close()

    def verdict(self, key_id, src):
        out = run([CLI, "verdict", "add", src, "--ttl", "5m", "--key", os.path.join(self.keys, key_id + ".key"),
                   "--bootstrap", self.broker.bootstrap, "--topic", self.topic, "--hosts", self.host_id,
                   "--reason", "test_metrics"]).stdout
        return out.split()[1]  # "rule <id> version ..."

    def test_kafka_delivery_and_verdicts(self):
        self.lab.sh("src", ["ping", "-c", "20", "-i", "0.01", "-W", "1", DST4])
        P = self.prom
        feat = '{topic="xdpwatch.features.v1"}'
        sampled = 'sum(xdpwatch_collector_records_sampled_total)'
        deadline = time.time() + 30
        while True:
            n = P.value(sampled)
            d = P.value("xdpwatch_collector_kafka_delivered_records_total" + feat)
            if (n and n >= 20 and d == n) or time.time() > deadline:
                break
            time.sleep(0.3)
        self.assertGreaterEqual(n, 20)
        self.assertEqual(d, n, "every sampled record delivered to Kafka")
        self.assertEqual(P.value("xdpwatch_collector_kafka_produced_records_total" + feat), n)
        for m in ("failed_records_total", "queue_full_records_total", "producer_restarts_total"):
            self.assertEqual(P.value("xdpwatch_collector_kafka_%s%s" % (m, feat)), 0, m)
        # Rule statistics go out every second, on their own producer.
        self.assertGreater(P.wait_for('xdpwatch_collector_kafka_delivered_messages_total{topic="xdpwatch.rulestats.v1"}',
                                      lambda v: v and v > 0, timeout=10) or 0, 0)
        self.assertEqual(P.wait_for("xdpwatch_collector_verdicts_caught_up", 1), 1)

        rule = self.verdict("metrics-soc", SRC4)
        self.assertEqual(P.wait_for("xdpwatch_collector_verdicts_applied_total", 1), 1)
        self.assertEqual(P.wait_for("xdpwatch_collector_verdict_rules_live", 1), 1)
        self.assertEqual(P.value('xdpwatch_collector_rules{origin="verdict",action="drop"}'), 1)
        r = self.lab.sh("src", ["ping", "-c", "10", "-i", "0.01", "-W", "1", DST4], check=False)
        self.assertIn("100% packet loss", r.stdout)
        self.assertEqual(P.wait_for('xdpwatch_collector_rule_hit_packets_total{rule="%s"}' % rule, 10), 10)

        self.verdict("metrics-rogue", "198.51.100.7")
        self.assertEqual(P.wait_for('xdpwatch_collector_verdicts_refused_total{reason="unknown_key"}', 1), 1)
        self.assertEqual(P.value("xdpwatch_collector_verdicts_received_total"), 2)
        self.assertEqual(P.value("xdpwatch_collector_verdict_rules_live"), 1)

    def test_detector_scraped(self):
        """The detector's metrics through the same Prometheus: up, and
        its records read follow what this collector produced (the group
        starts at the end of the topic, so at most what was produced)."""
        P = self.prom
        self.assertEqual(P.wait_for('up{job="xdpwatch-detector"}', 1), 1)
        self.lab.sh("src", ["ping", "-c", "30", "-i", "0.01", "-W", "1", DST4], check=False)
        n = P.wait_for("xdpwatch_detector_records_total", lambda v: v and v >= 30, timeout=30)
        self.assertGreaterEqual(n or 0, 30, "the detector read the pings' records")
        # The two targets are scraped at different moments: wait for the
        # collector's count to catch up before comparing.
        produced = P.wait_for('xdpwatch_collector_kafka_produced_records_total{topic="xdpwatch.features.v1"}',
                              lambda v: v is not None and v >= n, timeout=15)
        self.assertLessEqual(n, produced or 0)
        self.assertGreaterEqual(P.value("xdpwatch_detector_hosts"), 1)
        self.assertEqual(P.value("xdpwatch_detector_bad_batches_total"), 0)
        self.assertEqual(P.value("xdpwatch_detector_attacks_active"), 0)
        self.assertIsNotNone(P.value("xdpwatch_detector_consumer_lag_records"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
