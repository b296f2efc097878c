#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""xdpwatch's main job, end to end, in a lab of network namespaces.

A victim host sits behind a router with a legitimate client and an
attacker (tests/integration/attacks.py's AttackLab). The victim's
xdpwatch-collector counts every packet in XDP and ships its records to a
local Kafka broker; xdpwatch-detector reads them, finds attacks and
publishes verdicts signed with a key made for this run; the collector
verifies them and writes them into its XDP drop maps.

The run, about a minute after the build (--quick: about 40 s):

  1. legitimate traffic only: TCP request/response exchanges, DNS-style
     queries and a paced bulk upload from the client's 13 addresses;
  2. the same traffic goes on while the attacker sends a spoofed TCP SYN
     flood, then, after a pause, a DNS reflection flood over IPv6; each
     flood is bounded in packets and seconds;
  3. quiet, until the detector has ended both attacks and withdrawn their
     verdicts.

Meanwhile a thread reads the victim's exact XDP counters every 150 ms.
At the end it prints a summary (packets seen and dropped per phase and
protocol; per attack its class, detection and first-drop times, the
mitigation and its rules, peak rate and end; whether the legitimate
client noticed; what reached Kafka) and draws the timeline as a PNG.

The broker is scripts/kafka.sh's, on XW_KAFKA_PORT / XW_KAFKA_DATA (its
defaults 19092 and /var/lib/xdpwatch/kafka): started if none runs and
stopped again at the end only then. The run makes its own features,
verdicts and alerts topics and deletes them; namespaces, processes,
pins and the run's keys go too, on success, failure or Ctrl-C.

Run as root with Debian's python3 (scapy, confluent-kafka, matplotlib);
scripts/demo.sh installs what is missing, builds, and runs this.
"""
import argparse
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

THRESHOLD = 5000             # packets/s toward one address, per flood class
REFLECTION_THRESHOLD = 2000  # reflection replies spread over 4 addresses
SYN_RATE = 60000             # asked of trafgen; it reaches 50-85% here
LEGIT_RATE = 400             # TCP + DNS exchanges/s of the legitimate client
DNS_RATE = 20000             # tcpreplay keeps its rate
SAMPLE_PERIOD = 0.15         # seconds between counter samples
BIN = 0.25                   # seconds per bin of a flood's own packets

# Phase lengths in seconds: legitimate only, SYN flood, pause, reflection.
PLANS = {
    "full": dict(legit=6.0, syn=6.0, pause=3.5, dns=6.0),
    "quick": dict(legit=3.0, syn=4.0, pause=3.5, dns=4.0),
}


def say(text):
    print("\n== " + text, flush=True)


def note(text):
    print("   " + text, flush=True)


def fmt_n(n):
    return "{:,}".format(int(n))


def fmt_pps(x):
    return "%.1fk" % (x / 1000) if x >= 1000 else "%.0f" % x


def wait_for(pred, timeout, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


# -- Kafka --------------------------------------------------------------------

def make_topics(bootstrap, tag):
    """The run's own features (6 partitions), verdicts (compacted) and
    alerts topics; returns {role: name}."""
    import confluent_kafka
    from confluent_kafka.admin import NewTopic
    from kafka_util import admin_client, unique
    names = {"features": unique(tag + "-features"), "verdicts": unique(tag + "-verdicts"),
             "alerts": unique(tag + "-alerts")}
    topics = [NewTopic(names["features"], num_partitions=6, replication_factor=1),
              NewTopic(names["verdicts"], num_partitions=1, replication_factor=1,
                       config={"cleanup.policy": "compact"}),
              NewTopic(names["alerts"], num_partitions=3, replication_factor=1)]
    admin = admin_client(bootstrap)
    created = []
    try:
        for t, f in admin.create_topics(topics).items():
            f.result(timeout=60)
            created.append(t)
    except BaseException:
        from kafka_util import delete_topics
        delete_topics(bootstrap, created, "demo")
        raise
    c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": unique("xwdemo-meta"),
                                  "log_level": 2})
    try:
        wait_for(lambda: all(n in md.topics and not md.topics[n].error
                             for md in [c.list_topics(timeout=5)] for n in names.values()), 30)
    finally:
        c.close()
    return names


def topic_messages(bootstrap, topic):
    """Messages in a topic: the sum of its partitions' high watermarks."""
    import confluent_kafka
    from kafka_util import unique
    c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": unique("xwdemo-wm"),
                                  "log_level": 2})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        total = 0
        for p in parts:
            lo, hi = c.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=10)
            total += hi - lo
        return total
    finally:
        c.close()


# -- the processes ------------------------------------------------------------

class Detector:
    """xdpwatch-detector on this run's topics, alerts as JSON lines."""

    def __init__(self, binary, tmp, bootstrap, topics, key):
        self.alerts_path = os.path.join(tmp, "alerts.jsonl")
        self.log_path = os.path.join(tmp, "detector.log")
        sets = ["kafka.bootstrap.servers=" + bootstrap,
                "features_topic=" + topics["features"], "verdicts_topic=" + topics["verdicts"],
                "alerts_topic=" + topics["alerts"], "group_id=" + topics["features"] + "-group",
                "detector_id=demo-detector", "signing_key=" + key,
                "alerts_json=" + self.alerts_path, "stats_interval_s=5",
                # An attack ends 1.5 s after its rate falls under half the
                # threshold; verdicts live 30 s unless renewed (every 2 s).
                "detect.end_hold_ms=1500", "verdict.renew_s=2", "verdict.ttl_s=30",
                # The lab has no history to learn a baseline from.
                "learn.enabled=false", "table.watch_pps=500"]
        for cls in ("syn_flood", "udp_flood", "icmp_flood", "icmpv6_flood", "tcp_ack_flood",
                    "tcp_rst_flood", "fragment_flood"):
            sets.append("thresholds.%s=%d" % (cls, THRESHOLD))
        for svc in ("dns", "ntp", "ssdp", "memcached", "cldap", "chargen"):
            sets.append("thresholds.%s_reflection=%d" % (svc, REFLECTION_THRESHOLD))
        self.args = [binary]
        for s in sets:
            self.args += ["--set", s]
        self.proc = None

    def start(self, lab):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log)
        lab.procs.append(self.proc)  # lab.close() ends it whatever happens
        if not wait_for(lambda: "partitions assigned" in self.log_text() or self.proc.poll() is not None, 60, 0.1) \
                or self.proc.poll() is not None:
            raise RuntimeError("detector did not start:\n" + self.log_text()[-3000:])
        return self

    def log_text(self):
        with open(self.log_path, errors="backslashreplace") as f:
            return f.read()

    def alerts(self):
        if not os.path.exists(self.alerts_path):
            return []
        with open(self.alerts_path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self, timeout=15):
        """SIGTERM; SIGKILL after timeout s (a Ctrl-C has been seen to
        leave it closing its consumer for longer than 30 s)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                print("demo: the detector did not stop within %d s; killed" % timeout, file=sys.stderr)
                self.proc.kill()
                self.proc.wait()
            self.log.close()


def could_hit_client(r, client_nets):
    """Whether a rule (`rule list --json`) matches any packet the legitimate
    client sends: TCP to port 8080, UDP to port 53, from ephemeral ports,
    from client_nets to the victim."""
    src = ipaddress.ip_network(r["src"])
    if not any(src.overlaps(c) for c in client_nets):
        return False
    if r.get("sport") and r["sport"] < 32768:
        return False
    proto, dport = r.get("l4_proto", 0), r.get("dport", 0)
    return proto == 0 or (proto == 6 and dport in (0, 8080)) or (proto == 17 and dport in (0, 53))


def open_attacks(alerts):
    live = {}
    for a in alerts:
        if a["phase"] == "start":
            live[a["attack_id"]] = a
        elif a["phase"] == "end":
            live.pop(a["attack_id"], None)
    return live


class Sampler(threading.Thread):
    """The victim's exact counters every `period` s, its verdict rules every
    other time; both kept with wall-clock times for the timeline."""

    def __init__(self, al, period):
        super().__init__(daemon=True)
        self.al, self.period = al, period
        self.samples = []  # (unix s, {(family, l4, action): packets})
        self.rules = []    # (unix s, [verdict rules as `rule list --json`])
        self.errors = 0
        self.done = threading.Event()

    def run(self):
        from lab import cli_json
        lab, key = self.al.lab, self.al.collector.key
        n = 0
        while not self.done.is_set():
            t0 = time.time()
            try:
                st = cli_json(lab, "-i", key, "stats")[0]
                t = (t0 + time.time()) / 2
                self.samples.append((t, {(x["family"], x["l4"], x["action"]): x["packets"]
                                         for x in st["traffic"]}))
                if n % 2 == 0:
                    rules = cli_json(lab, "-i", key, "rule", "list")
                    self.rules.append((time.time(), [r for r in rules if r.get("origin") == "verdict"]))
            except Exception:  # noqa: BLE001  (a missed sample is a gap, not a failure)
                self.errors += 1
            n += 1
            self.done.wait(max(0.0, self.period - (time.time() - t0)))

    def stop(self):
        self.done.set()
        self.join(timeout=5)


# -- the run ------------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.args = args
        self.plan = PLANS["quick" if args.quick else "full"]
        self.broker = self.al = self.topics = self.det = self.sampler = None
        self.floods = []      # attacks: dict(name, flood, cls, ...)
        self.phases = []      # (name, unix start, counters at start)
        self.legit = {}       # phase -> Flood of legit_mix

    # The steps, in order; cleanup() undoes whatever of them ran.
    def setup(self):
        from lab import BUILD, CLI, Broker, Collector, run
        import attacks as A
        self.A = A
        say("Kafka: scripts/kafka.sh's broker (started here unless one runs)")
        self.broker = Broker()
        was = self.broker.running()
        self.broker.ensure()
        note("%s on %s" % ("already running, left running" if was else "started; stopped again at the end",
                           self.broker.bootstrap))
        tag = "xwdemo"
        self.topics = make_topics(self.broker.bootstrap, tag)
        note("this run's topics: " + ", ".join(self.topics[k] for k in ("features", "verdicts", "alerts")))

        # scapy builds the reflection's pcap; importing it takes seconds,
        # which would otherwise fall between the floods.
        import scapy.all  # noqa: F401
        say("lab: victim behind a router; a legitimate client (13 addresses) and an attacker")
        # A short tag: interface names are <tag>ra0 and the like (<= 15).
        self.al = A.AttackLab(collector=False, tag="xwd%d" % (os.getpid() % 100000))
        lab = self.al.lab
        note("victim %s and %s (+3 more of each), client %s..%s, attacker %s (spoofs too)"
             % (A.VICTIM4[0], A.VICTIM6[0], A.CLIENT4[0], A.CLIENT4[-1].split(".")[-1],
                A.attacker_addrs(0)[1][0]))
        self.dns_pcap = A.reflection_pcap(self.al, "dns", 6)
        note("the DNS reflection's packets built ahead (scapy): %s" % os.path.basename(self.dns_pcap))

        say("keys: an Ed25519 pair for this run; the detector signs, the collector trusts the public half")
        keys, trusted = os.path.join(lab.tmp, "keys"), os.path.join(lab.tmp, "trusted")
        os.makedirs(keys, mode=0o700)
        os.makedirs(trusted)
        run([CLI, "keygen", "--key-id", "demo-detector", "--key-dir", keys])
        shutil.copy(os.path.join(keys, "demo-detector.pub"), trusted)

        say("xdpwatch-collector on the victim (%s, every packet sampled 1:%d) -> Kafka; verdicts <- Kafka"
            % (self.al.vif, self.args.sample))
        self.al.collector = Collector(lab, "victim", self.al.vif, sample_rate=self.args.sample, extra=[
            "--set", "kafka.bootstrap.servers=" + self.broker.bootstrap,
            "--set", "kafka_topic=" + self.topics["features"],
            "--set", "verdicts_topic=" + self.topics["verdicts"],
            "--set", "trusted_keys=" + trusted,
            "--set", "host_id=victim", "--set", "batch_linger_ms=50",
            "--set", "counters_interval_ms=500", "--set", "rulestats_interval_s=0"]).start()
        line = [x for x in self.al.collector.log_text().splitlines() if "attached" in x]
        if line:
            note(line[0].split("info: ")[-1])

        say("xdpwatch-detector: thresholds %d pps per class (reflection %d), no learned baseline"
            % (THRESHOLD, REFLECTION_THRESHOLD))
        self.det = Detector(os.path.join(BUILD, "detector", "xdpwatch-detector"), lab.tmp,
                            self.broker.bootstrap, self.topics, os.path.join(keys, "demo-detector.key")).start(lab)
        note("joined its consumer group; alerts in %s" % self.topics["alerts"])

    def counters(self):
        return self.al.counters()[0]

    def phase(self, name):
        self.phases.append((name, time.time(), self.counters()))

    def traffic(self):
        A, p = self.A, self.plan
        self.sampler = Sampler(self.al, SAMPLE_PERIOD)
        self.sampler.start()
        time.sleep(0.5)
        self.t_origin = time.time()

        say("phase 1: legitimate traffic only, %.0f s" % p["legit"])
        self.phase("legitimate only")
        self.legit["before"] = A.legit_mix(self.al, 4, duration=p["legit"], tcp_workers=2, dns_workers=2, rate=LEGIT_RATE)
        note("client: " + self.legit_words(self.legit["before"]))
        note("alerts so far: %d" % len(self.det.alerts()))

        say("phase 2: the legitimate traffic goes on; the attacker floods")
        long = p["syn"] + p["pause"] + p["dns"] + 2.0
        bg = A.in_background(A.legit_mix, self.al, 4, duration=long, tcp_workers=2, dns_workers=2, rate=LEGIT_RATE)
        time.sleep(0.5)
        self.phase("spoofed SYN flood")
        note("spoofed TCP SYN flood on %s port 80 for %.0f s (trafgen, sources drawn from 400 addresses)"
             % (A.VICTIM4[0], p["syn"]))
        f = A.syn_flood(self.al, 4, spoofed=True, rate=SYN_RATE, count=int(SYN_RATE * p["syn"]), duration=p["syn"])
        self.floods.append(dict(name="spoofed SYN flood", flood=f, want="syn_flood", family=4, threshold=THRESHOLD))
        note("sent %s packets in %.1f s" % (fmt_n(f.sent), f.t1 - f.t0))
        time.sleep(p["pause"])
        self.phase("DNS reflection")
        note("DNS reflection over IPv6 for %.0f s: answers of 500-3000 B from 64 reflectors to %s-::4 "
             "(scapy + tcpreplay)" % (p["dns"], A.VICTIM6[0]))
        f = A.reflection(self.al, "dns", 6, rate=DNS_RATE, count=int(DNS_RATE * p["dns"]), duration=p["dns"],
                         pcap=self.dns_pcap)
        self.floods.append(dict(name="DNS reflection", flood=f, want="dns_reflection", family=6,
                                threshold=REFLECTION_THRESHOLD * 4))  # spread over 4 addresses
        note("sent %s packets in %.1f s" % (fmt_n(f.sent), f.t1 - f.t0))
        self.phase("after the floods")
        self.legit["during"] = bg.result(timeout=long + 60)
        note("client: " + self.legit_words(self.legit["during"]))

        say("phase 3: quiet until the detector ends the attacks and withdraws their verdicts")
        from lab import cli_json
        ok = wait_for(lambda: not open_attacks(self.det.alerts()) and not [
            r for r in cli_json(self.al.lab, "-i", self.al.collector.key, "rule", "list")
            if r.get("origin") == "verdict"], 30)
        self.t_quiet = time.time()
        note("all attacks ended and verdicts withdrawn %.1f s after the last flood" % (self.t_quiet - f.t1)
             if ok else "NOT settled within 30 s")
        self.settled = bool(ok)
        time.sleep(0.5)
        self.phase("end")
        self.sampler.stop()

    def legit_words(self, fl):
        d, s = fl.done, fl.t1 - fl.t0
        return ("%s TCP exchanges (%.0f/s), %s DNS answers (%.0f/s), %.1f MB uploaded, %d errors, in %.1f s"
                % (fmt_n(d["tcp"]), d["tcp"] / s, fmt_n(d["dns"]), d["dns"] / s, d["bulk_bytes"] / 1e6,
                   d["errors"], s))

    def stop_daemons(self):
        """Stop the collector (it flushes to Kafka), give the detector a
        moment to read the rest, stop it: their last stats lines count it all."""
        self.al.collector.stop()
        time.sleep(1.5)
        self.det.stop()

    # -- analysis --------------------------------------------------------------
    def analyse(self):
        A = self.A
        client_nets = [ipaddress.ip_network("192.0.2.224/28"), ipaddress.ip_network("2001:db8:200::/64")]
        self.client_addrs = set(A.CLIENT4) | set(A.CLIENT6)
        # One pass over the records (1:1 by default, so every packet): the
        # dropped ones (sources; first drop per flood) and each flood's own
        # packets, binned by BIN s for its exact rate.
        # Flood packets: SYNs to port 80 (the client never uses it); IPv6
        # from the spoofed reflector pool, fragments included.
        sig = {"syn_flood": ('"l4_proto":6,', '"dport":80,', '"tcp_flags":2,'),
               "dns_reflection": ('"src":"%s' % A.SPOOF6_BASE,)}
        first_drop = {}
        for fl in self.floods:
            fl["bins"] = {}
        self.client_drop_examples = []
        drops, client_drops = 0, 0
        n = 0
        ts_re = re.compile(r'"ts_ns":(\d+)')
        with open(self.al.collector.records_path) as fh:
            for line in fh:
                n += 1
                ts = None
                for fl in self.floods:
                    if all(x in line for x in sig[fl["want"]]):
                        ts = int(ts_re.search(line).group(1)) / 1e9
                        if fl["flood"].t0 - 0.5 <= ts <= fl["flood"].t1 + 2:
                            b = int((ts - self.t_origin) / BIN)
                            fl["bins"][b] = fl["bins"].get(b, 0) + 1
                            fl.setdefault("t_first", ts)
                        if '"action":"drop"' in line and fl["want"] not in first_drop and ts >= fl["flood"].t0:
                            first_drop[fl["want"]] = ts
                if '"action":"drop"' not in line:
                    continue
                drops += 1
                if '"src":"192.0.2.' in line or '"src":"2001:db8:200:' in line:
                    r = json.loads(line)
                    if r["src"] in self.client_addrs:
                        client_drops += 1
                        if len(self.client_drop_examples) < 5:
                            self.client_drop_examples.append(r)
        self.n_records, self.drops_recorded, self.client_drops = n, drops, client_drops
        self.alerts = alerts = self.det.alerts()
        ends = {a["attack_id"]: a for a in alerts if a["phase"] == "end"}
        for fl in self.floods:
            f = fl["flood"]
            fl.setdefault("t_first", f.t0)
            # The flood's attacks: its class, detected while it ran (a
            # reflection spread over four addresses is four attacks).
            mine = sorted((a for a in alerts if a["phase"] == "start" and a["class"] == fl["want"]
                           and f.t0 <= a["detected_unix_ns"] / 1e9 <= f.t1 + 3),
                          key=lambda x: x["detected_unix_ns"])
            fl["alerts"] = mine
            fl["t_drop"] = first_drop.get(fl["want"])
            # Exact peak over one second (the detector's window) of its packets.
            bins = fl["bins"]
            w = int(round(1.0 / BIN))
            fl["peak"] = self.args.sample * max([sum(bins.get(b + i, 0) for i in range(w)) for b in bins] or [0])
            if not mine:
                continue
            ids = [a["attack_id"] for a in mine]
            fl["alert"] = mine[0]
            fl["t_detect"] = mine[0]["detected_unix_ns"] / 1e9
            t_ends = [ends[i]["end_unix_ns"] / 1e9 for i in ids if i in ends]
            fl["t_end"] = max(t_ends) if len(t_ends) == len(ids) else None
            fl["peak_est"] = sum(max(a["peak_pps"] for a in alerts if a["attack_id"] == i) for i in ids)
            fl["rule_ids"] = sorted({r for a in alerts if a["attack_id"] in ids for r in a["rule_ids"]})
            fl["victims"] = [a["victim"] for a in mine]
            fl["mitigations"] = [a["mitigation"] for a in mine]
        # Verdict rules seen in the victim's maps, with their last hits and
        # the times they were there.
        seen = {}
        for t, rules in self.sampler.rules:
            for r in rules:
                # Ids are reused once a rule is gone: the match tells rules apart.
                k = tuple(r.get(x) for x in ("rule_id", "src", "dst", "l4_proto", "sport", "dport", "action"))
                s = seen.setdefault(k, dict(r, t_first=t))
                s.update(r)
                s["t_last"] = t
        self.map_rules = list(seen.values())
        times = [t for t, _ in self.sampler.rules]
        for r in self.map_rules:
            later = [t for t in times if t > r["t_last"]]
            r["t_gone"] = later[0] if later else None
        # A verdict naming a client address is a failure; a broad one that
        # the client's traffic would also match (say, all TCP to the
        # victim, rate-limited) is said, with whether it dropped any of it.
        self.rules_naming_client = [r for r in self.map_rules
                                    if ipaddress.ip_network(r["src"]).prefixlen > 0 and any(
                                        ipaddress.ip_network(r["src"]).overlaps(c) for c in client_nets)]
        self.rules_for_client = [r for r in self.map_rules if could_hit_client(r, client_nets)]
        for fl in self.floods:
            f = fl["flood"]
            here = [r for r in self.map_rules if r["t_first"] >= f.t0 and r["t_first"] <= f.t1 + 2]
            fl["map_rules"] = here
            gone = [r["t_gone"] for r in here]
            fl["t_withdrawn"] = max(gone) if gone and None not in gone else None
        # Kafka: the topic's length, the collector's and detector's last words.
        self.kafka_batches = topic_messages(self.broker.bootstrap, self.topics["features"])
        self.col_kafka = [x.split("info: ")[-1] for x in self.al.collector.log_text().splitlines()
                          if "stats kafka" in x][-1:]
        self.det_ingest = [x.split("info: ")[-1] for x in self.det.log_text().splitlines()
                           if "stats ingest" in x][-1:]

    def rates(self, pred):
        """[(t, packets/s)] over the samples for the counters matching pred."""
        out = []
        s = self.sampler.samples
        for (t0, c0), (t1, c1) in zip(s, s[1:]):
            d = sum(v - c0.get(k, 0) for k, v in c1.items() if pred(k))
            out.append(((t0 + t1) / 2, d / max(t1 - t0, 1e-3)))
        return out

    # -- the report ------------------------------------------------------------
    def summary(self):
        rel = lambda t: "+%.1f s" % (t - self.t_origin) if t else "-"  # noqa: E731
        say("summary")
        print("\npackets at the victim, exact XDP counters (seen / dropped):")
        keys = sorted({k[:2] for _, _, c in self.phases for k in c if k[0] != "non_ip"})
        names = [p[0] for p in self.phases[:-1]]
        w = max(16, max(len(x) for x in names) + 1)
        print("  %-13s" % "" + "".join("%*s" % (w + 2, n) for n in names))
        for fam, l4 in keys:
            cells = []
            for (_, _, c0), (_, _, c1) in zip(self.phases, self.phases[1:]):
                seen = sum(c1.get((fam, l4, a), 0) - c0.get((fam, l4, a), 0) for a in ("pass", "drop", "monitor",
                                                                                        "allow"))
                drop = c1.get((fam, l4, "drop"), 0) - c0.get((fam, l4, "drop"), 0)
                cells.append("%s / %s" % (fmt_n(seen), fmt_n(drop)))
            if any(c != "0 / 0" for c in cells):
                print("  %-13s" % ("%s %s" % (fam, l4)) + "".join("%*s" % (w + 2, c) for c in cells))
        spans = ["%s %.1f s" % (n, t1 - t0) for (n, t0, _), (_, t1, _) in zip(self.phases, self.phases[1:])]
        print("  (phases: %s)" % "; ".join(spans))
        if any(k == ("ipv6", "other") or k == ("ipv4", "other") for k in keys):
            print("  (\"other\": later fragments of the large DNS answers. They carry no UDP header, so no port\n"
                  "   to match, and pass; the victim's kernel discards them when their first fragment never comes.)")

        for i, fl in enumerate(self.floods, 1):
            f = fl["flood"]
            a = fl.get("alert")
            print("\nattack %d: %s" % (i, fl["name"]))
            print("  flood        %s, %s packets sent, %s .. %s (%s)" % (f.tool, fmt_n(f.sent), rel(f.t0), rel(f.t1),
                                                                        "IPv%d" % fl["family"]))
            if not a:
                print("  detected     NO (alerts: %s)" % sorted({x["class"] for x in self.alerts}))
                if self.starved(fl):
                    print("  why          " + self.starved(fl))
                continue
            more = len(fl["victims"]) - 1
            print("  detected     as %s on %s%s, %.2f s after its first packet%s"
                  % (a["class"], a["victim"], " and %d more address%s" % (more, "es" if more > 1 else "")
                     if more else "", fl["t_detect"] - fl["t_first"],
                     " (spoofed: %s sources)" % fmt_n(a["distinct_sources"]) if a["spoofed"] else ""))
            print("  first drop   %s" % ("%.2f s after its first packet" % (fl["t_drop"] - fl["t_first"])
                                        if fl["t_drop"] else "none recorded"))
            for i, m in enumerate(fl["mitigations"]):
                print("  %-12s %s" % ("mitigation" if not i else "", m))
            print("  rules        %s" % (", ".join(fl["rule_ids"]) or "none"))
            for r in fl["map_rules"]:
                match = r["src"] + (" -> " + r["dst"] if r.get("dst") else "")
                l4 = {6: "tcp", 17: "udp"}.get(r["l4_proto"], str(r["l4_proto"])) if r["l4_proto"] else "any"
                ports = "".join(" %s %d" % (n, r[n]) for n in ("sport", "dport") if r.get(n))
                act = "rate-limit %d/s" % r["rate_pps"] if r["action"] == "rate-limit" else r["action"]
                print("               in XDP as rule %d: %s %s%s, %s: %s packets dropped"
                      % (r["rule_id"], match, l4, ports, act, fmt_n(r["hit_packets"])))
            print("  peak         %s pps of its packets over 1 s (the collector's records x%d); the detector "
                  "estimated %s pps of %s" % (fmt_pps(fl["peak"]), self.args.sample, fmt_pps(fl["peak_est"]),
                                               a["class"]))
            print("  ended        flood stopped %s; attack%s ended %s; verdicts gone from XDP by %s"
                  % (rel(f.t1), "s" if more else "", rel(fl.get("t_end")), rel(fl.get("t_withdrawn"))))
        ours = {a["attack_id"] for fl in self.floods for a in fl["alerts"]}
        others = sorted({(x["class"], x["victim"]) for x in self.alerts
                         if x["phase"] == "start" and x["attack_id"] not in ours})
        if others:
            print("\nother alerts: " + ", ".join("%s on %s" % o for o in others))

        b, d = self.legit["before"].done, self.legit["during"].done
        sb = self.legit["before"].t1 - self.legit["before"].t0
        sd = self.legit["during"].t1 - self.legit["during"].t0
        print("\nlegitimate traffic (the client's 13 IPv4 addresses -> the victim's 4):")
        print("  %-22s %22s %22s" % ("", "before the attacks", "during the attacks"))
        for label, k, scale, unit in (("TCP exchanges", "tcp", 1, "/s"), ("DNS answers", "dns", 1, "/s"),
                                      ("bulk upload, MB", "bulk_bytes", 1e6, " MB/s")):
            print("  %-22s %22s %22s" % (label, "%s (%.1f%s)" % (fmt_n(b[k] / scale), b[k] / scale / sb, unit),
                                         "%s (%.1f%s)" % (fmt_n(d[k] / scale), d[k] / scale / sd, unit)))
        print("  %-22s %22d %22d" % ("errors (timeouts)", b["errors"], d["errors"]))
        print("  dropped from the client: %d of the %s dropped packets recorded (1 in %d sampled, %d lost)"
              % (self.client_drops, fmt_n(self.drops_recorded), self.args.sample, self.lost))
        print("  verdict rules naming a client address: %d of %d" % (len(self.rules_naming_client),
                                                                     len(self.map_rules)))
        for r in self.rules_for_client:
            print("  note: XDP rule %d (%s -> %s, %s, %s) also matched the client's TCP to 8080 or UDP to 53:\n"
                  "        the detector named no port for it; with the flood it shares the rate limit"
                  % (r["rule_id"], r["src"], r["dst"] or "any", {6: "tcp", 17: "udp"}.get(r["l4_proto"], "any"),
                     "rate-limit %d/s" % r["rate_pps"] if r["action"] == "rate-limit" else r["action"]))
        for r in self.client_drop_examples:
            print("    dropped: %s %s:%s -> %s:%s flags %s by rule %s" % (r["l4_proto_name"], r["src"], r.get("sport"),
                                                                    r["dst"], r.get("dport"), r.get("tcp_flags"),
                                                                    r["rule_id"]))

        print("\nKafka (%s):" % self.broker.bootstrap)
        print("  %s: %s batches in the log, %s records sampled by the collector"
              % (self.topics["features"], fmt_n(self.kafka_batches), fmt_n(self.n_records)))
        for x in self.col_kafka:
            print("  collector: " + x.replace("stats kafka: ", ""))
        for x in self.det_ingest:
            print("  detector:  " + x.replace("stats ingest: ", "read, when stopped, "))
        print("  %s: %d alerts; %s: %d verdict rules applied by the victim"
              % (self.topics["alerts"], len(self.alerts), self.topics["verdicts"], len(self.map_rules)))

    def starved(self, fl):
        """Why a flood could not be detected, if it never reached its
        threshold: the attacker got too little CPU."""
        f = fl["flood"]
        rate = f.sent / max(f.t1 - f.t0, 0.1)
        if rate >= fl["threshold"]:
            return None
        return ("the attacker sent only %s pps, under the %s pps to detect: the machine is too busy "
                "(load average %.1f on %d CPUs)" % (fmt_pps(rate), fmt_pps(fl["threshold"]), os.getloadavg()[0],
                                                   os.cpu_count()))

    def verdict(self):
        """(ok, one line)."""
        fails = []
        for fl in self.floods:
            if not fl.get("alert"):
                fails.append("%s not detected%s" % (fl["name"], " (%s)" % self.starved(fl) if self.starved(fl) else ""))
            elif not fl.get("t_drop"):
                fails.append("%s not dropped" % fl["name"])
        if self.client_drops or self.rules_naming_client:
            fails.append("legitimate traffic dropped")
        if not self.legit["during"].done["tcp"]:
            fails.append("no legitimate TCP exchange completed during the attacks")
        if not self.settled:
            fails.append("attacks or verdicts still open at the end")
        if fails:
            return False, "demo: FAILED: " + "; ".join(fails)
        det = sum(1 for fl in self.floods if fl.get("alert"))
        return True, ("demo: OK: %d of %d attacks detected and dropped, no legitimate packet dropped"
                      % (det, len(self.floods)))

    # -- the picture -----------------------------------------------------------
    def draw(self, path):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        t0 = self.t_origin
        seen = self.rates(lambda k: k[0] != "non_ip")
        drop = self.rates(lambda k: k[2] == "drop")
        passed = self.rates(lambda k: k[0] != "non_ip" and k[2] != "drop")
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(12, 6.5), sharex=True,
                                      gridspec_kw={"height_ratios": [4, 1]})
        x = [t - t0 for t, _ in seen]
        ax.plot(x, [max(v, 1) for _, v in seen], color="tab:blue", lw=1.6, label="seen (all packets)")
        ax.plot(x, [max(v, 1) for _, v in passed], color="tab:green", lw=1.2, label="passed to the victim's stack")
        ax.plot(x, [max(v, 1) for _, v in drop], color="tab:red", lw=1.6, label="dropped in XDP")
        ax.set_yscale("log")
        ax.set_ylim(50, max([v for _, v in seen] + [1000]) * 3)
        ax.set_ylabel("packets/s at the victim")
        ax.grid(True, which="both", alpha=0.25)
        ax.set_title("xdpwatch demo: legitimate traffic, then a spoofed SYN flood and a DNS reflection")
        marks = [("first packet", "t_first", "black", "-"), ("detected", "t_detect", "tab:orange", "--"),
                 ("first drop", "t_drop", "tab:red", ":"), ("attack ended", "t_end", "tab:purple", "-.")]
        used = set()
        top = ax.get_ylim()[1]
        for fl in self.floods:
            f = fl["flood"]
            for a_ in (ax, ax2):
                a_.axvspan(f.t0 - t0, f.t1 - t0, color="grey", alpha=0.12, lw=0)
            ax.text((f.t0 + f.t1) / 2 - t0, top / 1.6, fl["name"], ha="center", va="top", fontsize=9)
            for label, k, col, ls in marks:
                if fl.get(k):
                    for a_ in (ax, ax2):
                        a_.axvline(fl[k] - t0, color=col, ls=ls, lw=1.2,
                                   label=label if (label not in used and a_ is ax) else None)
                    used.add(label)
        ax.axvspan(self.phases[0][1] - t0, self.phases[1][1] - t0, color="tab:green", alpha=0.06, lw=0)
        ax.text((self.phases[0][1] + self.phases[1][1]) / 2 - t0, top / 1.6, "legitimate only",
                ha="center", va="top", fontsize=9)
        ax.legend(loc="lower left", fontsize=8, ncol=2, framealpha=0.9)
        rx = [t - t0 for t, _ in self.sampler.rules]
        ax2.step(rx, [len(r) for _, r in self.sampler.rules], where="post", color="tab:red")
        ax2.set_ylabel("verdict rules\nin XDP", fontsize=9)
        ax2.set_ylim(-0.2, max([len(r) for _, r in self.sampler.rules] + [1]) + 0.8)
        ax2.set_xlabel("seconds since the legitimate traffic started")
        ax2.grid(True, alpha=0.25)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)

    def cleanup(self):
        from kafka_util import delete_topics
        if self.sampler:
            self.sampler.stop()
        if self.al:
            try:
                if self.det:
                    self.det.stop(timeout=5)
                if self.al.collector and self.al.collector.proc and self.al.collector.proc.poll() is None:
                    self.al.collector.stop()
            except Exception as e:  # noqa: BLE001  (the lab goes whatever happened)
                print("demo: stopping the daemons: %s" % e, file=sys.stderr)
            if self.args.logs:
                os.makedirs(self.args.logs, exist_ok=True)
                for f in ("collector-%s.log" % self.al.vif, "detector.log", "alerts.jsonl"):
                    if os.path.exists(os.path.join(self.al.lab.tmp, f)):
                        shutil.copy(os.path.join(self.al.lab.tmp, f), self.args.logs)
            self.al.close()
        if self.topics:
            delete_topics(self.broker.bootstrap, list(self.topics.values()), "demo")
        if self.broker:
            self.broker.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter phases (about 40 s instead of 55 s)")
    ap.add_argument("--png", default=os.path.abspath("xdpwatch-demo.png"), metavar="PATH",
                    help="where the timeline goes (default ./xdpwatch-demo.png)")
    ap.add_argument("--sample", type=int, default=10, metavar="N",
                    help="the collector records 1 packet in N (default 10); its counters are exact "
                         "whatever N. 1 records every packet: the check that nothing from the client "
                         "was dropped is then exact, at a cost in CPU the lab's two cores feel")
    ap.add_argument("--logs", metavar="DIR",
                    help="keep the collector's and detector's logs and the alerts in DIR")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo: run as root (it creates namespaces and attaches XDP)")
    args.png = os.path.abspath(args.png)
    r = Run(args)
    t_start = time.time()
    ok = False
    try:
        r.setup()
        r.traffic()
        r.lost = r.al.counters()[1].get("records_lost_ringbuf_full", 0)
        r.stop_daemons()
        r.analyse()
        r.summary()
        r.draw(args.png)
        print("\ntimeline: %s" % args.png)
        ok, line = r.verdict()
        print("\n%s (%.0f s)" % (line, time.time() - t_start), flush=True)
    except KeyboardInterrupt:
        print("\ndemo: interrupted; cleaning up", file=sys.stderr)
        ok = None
    except Exception as e:  # noqa: BLE001  (said plainly, then everything goes)
        print("\ndemo: FAILED: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        ok = False
    finally:
        r.cleanup()
    return 0 if ok else 130 if ok is None else 1


if __name__ == "__main__":
    sys.exit(main())
