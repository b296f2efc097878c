#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Attack start to first drop on the victim: xdpwatch end to end through a
real broker, beside FastNetMon on a mirror of the same link, on the same
floods in the same run.

The attack lab of tests/integration/attacks.py with its mirror host; on the
victim a collector (sampling 1:N) shipping features to the broker and
applying the verdicts it trusts; one xdpwatch-detector (the wiring of
tests/integration/test_detector.py) with 20k pps thresholds for SYN and UDP
floods; FastNetMon 1.2.4 (bench/fastnetmon.py) on the mirror with
threshold_pps 20k. Then, --runs times, a spoofed SYN flood and a UDP flood
from one real source (both trafgen), one after the other, and for each:

  detect      first flood packet at the victim -> the alert's detected_unix_ns
  rule hit    first flood packet -> first packet that matched a verdict rule
  first drop  first flood packet -> first packet the victim's XDP dropped
  FNM ban     first flood packet -> FastNetMon's ban script (date +%s.%N)

"First flood packet" is the first record of the flood the victim's XDP
wrote (its timestamp, taken in XDP, as wall clock): the time the attack
reached the victim, which is what both systems are asked to react to. The
generator's exec time is printed beside it (trafgen needs some tens of ms
to set up its ring before the first packet leaves). At 1:1 every packet is
a record, so every time above is exact to the packet. Sampled, the first
record is within ~N packets of the first packet (N / rate: 1 ms at 1:100 and
100k pps), and the first drop is the earlier of the first sampled drop
record and the first poll (every --poll-ms) that saw the exact drop counter
move.

Between runs: the flood stops once both have reacted (or --max-flood-s);
then the detector must end the attack, the collector's maps must hold no
verdict rule, and FastNetMon is stopped; every run starts a fresh one.

Run as root with Debian's interpreter, from the repository:

    /usr/bin/python3 bench/detect_latency.py                 # 10 runs per flood at 1:1
    /usr/bin/python3 bench/detect_latency.py --sample 100 --runs 5

Broker: lab.Broker on XW_KAFKA_PORT / XW_KAFKA_DATA (started if needed,
stopped at the end only if this run started it); the run's topics are its
own and deleted at the end. XW_BUILD_DIR picks the build (XW_COLLECTOR
another collector, for an A/B); XW_LAT_KEEP_LOGS=DIR keeps the collector's
and the detector's logs there. Not a test: it times things and asserts
nothing about the times.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
sys.path.insert(0, HERE)
import attacks as A  # noqa: E402
import fastnetmon as F  # noqa: E402
import test_detector as T  # noqa: E402  (re-execs under /usr/bin/python3 for confluent_kafka)
from kafka_util import delete_topics  # noqa: E402
from lab import CLI, Broker, Collector, cli_json, run  # noqa: E402

VICTIM = A.VICTIM4[0]
KINDS = ("syn", "udp")
L4 = {"syn": 6, "udp": 17}
CLASS = {"syn": "syn_flood", "udp": "udp_flood"}
VERDICT_RULE_MIN = 65536  # collector/verdicts.c: verdict rule ids start here
SLOT_MS = 250  # detector/dtable.h XW_SLOT_MS

# What the benchmark reads of a record: the flood's and the drops' times.
REC = re.compile(r'^\{"ts_ns":(\d+),.*?"dst":"([^"]*)","l4_proto":(\d+),.*"action":"(\w+)","rule_id":(\d+),"sample_rate":(\d+),')


def flood_conf(kind):
    """trafgen packet bodies: a SYN flood from the spoofed pool (the
    detector plans a rate limit toward the victim: no source to name), or a
    UDP flood to random ports from atk0's first address (a per-source
    drop)."""
    if kind == "syn":
        tcp = "tcp(sp=drnd(1024, 65535), dp=80, seq=drnd(), syn, win=64240)"
        return ["%s, %s" % (ip, tcp) for ip in A._tg_ip(4, True, dst=VICTIM)]
    _, a4, _, _ = A.attacker_addrs(0)
    udp = "udp(sp=drnd(1024, 65535), dp=drnd(1024, 65535)), fill(0x55, 64)"
    return ["%s, %s" % (A._tg_ip(4, False, dst=VICTIM, src=a4[0])[0], udp)]


def start_flood(al, kind, rate, max_s):
    """trafgen in atk0, bounded by rate * max_s packets and max_s seconds
    (timeout SIGINT). Returns (stop(), t_exec, command)."""
    path = al.tmpfile("lat-%s.cfg" % kind)
    with open(path, "w") as f:
        f.write("".join("{ eth(da=%s), %s }\n" % (al.gw_mac["atk0"], p) for p in flood_conf(kind)))
    count = int(rate * max_s) if rate else 400000 * int(max_s)
    cmd = ["trafgen", "-o", al.aif["atk0"], "-i", path, "-n", str(count), "--cpus", "1", "--no-sock-mem", "-Q"]
    if rate:
        cmd += ["-t", "%dns" % (1e9 / rate)]  # a gap per packet, not -b's bursts
    t0 = time.time()
    p = al.lab.popen("atk0", ["timeout", "-s", "INT", "-k", "3", "%.1f" % max_s] + cmd,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop():
        if p.poll() is None:
            p.send_signal(2)
        p.wait(timeout=15)
    return stop, t0, " ".join(cmd)


def start_collector(al, topics, keys, sample, linger_ms):
    """The victim's collector as test_detector.py wires it, at the shipped
    defaults (poll_timeout_ms 100, counters every 1000 ms) but for the
    linger, which is an option here."""
    col = Collector(al.lab, "victim", al.vif, sample_rate=sample, extra=[
        "--set", "kafka.bootstrap.servers=" + T.BROKER.bootstrap,
        "--set", "kafka_topic=" + topics["features"],
        "--set", "verdicts_topic=" + topics["verdicts"],
        "--set", "trusted_keys=" + os.path.join(keys, "trusted"),
        "--set", "host_id=victim-host", "--set", "batch_linger_ms=%d" % linger_ms,
        "--set", "poll_timeout_ms=100", "--set", "rulestats_interval_s=0"]).start()
    al.collector = col
    return col


class DropWatch(threading.Thread):
    """Polls the victim's exact counters (`xdpwatch stats`) every poll_ms:
    the wall time of the first poll that saw the drop count grow."""

    def __init__(self, al, poll_ms):
        super().__init__(daemon=True)
        self.al, self.poll = al, poll_ms / 1000.0
        self.base = self.drops()
        self.t_drop = None
        self.done = threading.Event()

    def drops(self):
        stats = cli_json(self.al.lab, "-i", self.al.collector.key, "stats")[0]
        return sum(t["packets"] for t in stats["traffic"] if t["action"] == "drop")

    def run(self):
        while not self.done.is_set() and self.t_drop is None:
            try:
                if self.drops() > self.base:
                    self.t_drop = time.time()
            except Exception:  # noqa: BLE001  (a failed poll is a missed poll)
                pass
            self.done.wait(self.poll)


def scan_records(path, l4, after, threshold):
    """(first flood record, last flood record, first verdict-rule hit, first
    drop, first moment the detector's window could be over the threshold),
    wall seconds, over the collector's record file. The window is the
    detector's: four 250 ms slots numbered from the epoch, the newest one
    filling; at 1:N every record stands for N packets."""
    first = last = hit = drop = over = None
    slots = {}
    with open(path) as f:
        for line in f:
            m = REC.match(line)
            if not m or m.group(2) != VICTIM or int(m.group(3)) != l4:
                continue
            ns = int(m.group(1))
            t = ns / 1e9
            if t < after:
                continue
            if first is None:
                first = t
            last = t
            if hit is None and int(m.group(5)) >= VERDICT_RULE_MIN:
                hit = t
            if drop is None and m.group(4) == "drop":
                drop = t
            if over is None:
                slot = ns // (SLOT_MS * 1000000)
                slots[slot] = slots.get(slot, 0) + int(m.group(6))
                if sum(slots.get(slot - k, 0) for k in range(4)) >= threshold:
                    over = t
    return first, last, hit, drop, over


def wait_still(path, quiet_s=0.5, limit_s=20):
    """Until the record file stops growing (the drain has caught up)."""
    last, since = -1, time.time()
    deadline = time.time() + limit_s
    while time.time() < deadline:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if size != last:
            last, since = size, time.time()
        elif time.time() - since >= quiet_s:
            return
        time.sleep(0.1)


def traffic(al):
    stats = cli_json(al.lab, "-i", al.collector.key, "stats")[0]
    return {(t["family"], t["l4"], t["action"]): t["packets"] for t in stats["traffic"]}, stats["events"]


def settle(al, det, timeout=40):
    """Every attack ended and no verdict rule left in the victim's maps."""
    return T.wait_for(lambda: not T.open_attacks(det.alerts()) and not T.verdict_rules(al), timeout)


def one_run(al, det, kind, i, a):
    """One flood of `kind` watched by both; returns a row (dict)."""
    row = dict(kind=kind, run=i)
    if not settle(al, det):
        row["error"] = "not settled: attacks %s, rules %s" % (list(T.open_attacks(det.alerts())),
                                                             T.verdict_rules(al))
        return row
    fnm = F.FastNetMon(al, threshold_pps=a.threshold).start() if not a.no_fnm else None
    try:
        al.reset_records()
        n0 = len(det.alerts())
        c0, e0 = traffic(al)
        watch = DropWatch(al, a.poll_ms)
        watch.start()
        stop, t_exec, cmd = start_flood(al, kind, a.rate, a.max_flood_s)
        row["cmd"] = cmd
        t_ban = None
        deadline = t_exec + a.max_flood_s
        while time.time() < deadline:
            if fnm and t_ban is None:
                bans = [b for b in fnm.bans() if b[1] == VICTIM and b[4] == "ban"]
                t_ban = bans[0][0] if bans else None
            if watch.t_drop is not None and (t_ban is not None or not fnm):
                break
            time.sleep(0.02)
        # A little more flood after both reacted, so the rate below is
        # measured over more than the reaction.
        time.sleep(min(0.5, max(0.0, deadline - time.time())))
        stop()
        t_stop = time.time()
        watch.done.set()
        watch.join(timeout=5)
        if fnm:
            bans = [b for b in fnm.bans() if b[1] == VICTIM and b[4] == "ban"]
            t_ban = bans[0][0] if bans else None
            row["fnm_pps_at_ban"] = bans[0][3] if bans else None
    finally:
        if fnm:
            fnm.stop()
    wait_still(al.collector.records_path)
    c1, e1 = traffic(al)
    first, last, hit, drop_rec, over = scan_records(al.collector.records_path, L4[kind], t_exec - 0.5,
                                                    a.threshold)
    l4name = "tcp" if kind == "syn" else "udp"
    seen = sum(v - c0.get(k, 0) for k, v in c1.items() if k[0] == "ipv4" and k[1] == l4name)
    dropped = sum(v - c0.get(k, 0) for k, v in c1.items() if k[0] == "ipv4" and k[1] == l4name and k[2] == "drop")
    lost = e1.get("records_lost_ringbuf_full", 0) - e0.get("records_lost_ringbuf_full", 0)
    starts = [x for x in det.alerts()[n0:] if x["phase"] == "start" and x["class"] == CLASS[kind]]
    det_t = min(x["detected_unix_ns"] for x in starts) / 1e9 if starts else None
    drops = [t for t in (drop_rec, watch.t_drop if a.sample > 1 else None) if t is not None]
    t_drop = min(drops) if drops else None
    if a.sample == 1 and drop_rec is None and watch.t_drop is not None:
        t_drop = watch.t_drop  # records lost to a full ring: the poll is all there is
    row.update(t_exec=t_exec, t_first=first, seen=seen, dropped=dropped, lost=lost,
               pps=seen / (last - first) if first and last and last > first else None,
               mitigation=starts[0]["mitigation"] if starts else None,
               exec_to_first=(first - t_exec) if first else None)

    def since(t):
        return (t - first) if t is not None and first is not None else None
    # The earliest start start_slots allows: the window over, then the
    # start of the slot start_slots - 1 later. What the detection took
    # beyond it is the pipeline: linger, Kafka both ways, the 50 ms tick.
    earliest = over
    if over is not None and a.start_slots > 1:
        earliest = max(over, (int(over * 1000) // SLOT_MS + a.start_slots - 1) * SLOT_MS / 1000.0)
    row.update(over=since(over), earliest=since(earliest),
               pipe=(det_t - earliest) if det_t and earliest else None)
    row.update(detect=since(det_t), hit=since(hit), drop=since(t_drop), ban=since(t_ban),
               drop_poll=since(watch.t_drop), flood_s=t_stop - t_exec)
    return row


def pct(values, p):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def fmt(x, f="%.3f"):
    return "-" if x is None else f % x


def report(rows, a):
    print("\nxdpwatch: collector 1:%d (batch_linger_ms %d), detector start_slots %d, thresholds %d pps; "
          "FastNetMon %s on a tc mirror, threshold_pps %d, average_calculation_time 5 s" %
          (a.sample, a.linger_ms, a.start_slots, a.threshold, "off" if a.no_fnm else F.version(), a.threshold))
    print("times in s from the flood's first packet at the victim (its XDP timestamp)")
    for kind in a.kinds:
        rs = [r for r in rows if r["kind"] == kind and "error" not in r]
        print("\n%s flood (%s): %d runs%s" % (kind.upper(), "trafgen, spoofed sources" if kind == "syn"
                                             else "trafgen, one real source", len(rs),
                                             "" if len(rs) == a.runs else " of %d" % a.runs))
        print("%-26s %3s %8s %8s %8s %8s" % ("measure", "n", "median", "p95", "min", "max"))
        for key, what in (("over", "window over threshold"), ("earliest", "earliest start_slots allow"),
                          ("pipe", "detect - earliest (pipeline)"), ("detect", "xdpwatch detect"), ("hit", "xdpwatch verdict rule hit"),
                          ("drop", "xdpwatch first drop"), ("ban", "FastNetMon ban")):
            v = [r[key] for r in rs if r.get(key) is not None]
            if not v:
                continue
            print("%-26s %3d %8s %8s %8s %8s" % (what, len(v), fmt(med(v)), fmt(pct(v, 0.95)),
                                                fmt(min(v)), fmt(max(v))))
        # Ratios over the runs where both reacted, or a run one side
        # missed would move one median only.
        both = [r for r in rs if r.get("ban") and r.get("drop")]
        md, mb = med(r["drop"] for r in both), med(r["ban"] for r in both)
        mdet = med(r["detect"] for r in both if r.get("detect"))
        if md and mb:
            per = [r["ban"] / r["drop"] for r in rs if r.get("ban") and r.get("drop")]
            print("%-26s %12s   (median of per-run ratios %s; %d runs where both reacted)" % (
                "FastNetMon ban / xw drop", "%.2fx" % (mb / md), fmt(med(per), "%.2fx"), len(both)))
        if mdet and mb:
            print("%-26s %12s" % ("FastNetMon ban / xw detect", "%.2fx" % (mb / mdet)))
        pps = [r["pps"] for r in rs if r.get("pps")]
        if pps:
            print("%-26s %12s   (min %.0fk, max %.0fk)" % ("flood rate at the victim", "%.0fk pps" % (med(pps) / 1e3),
                                                           min(pps) / 1e3, max(pps) / 1e3))
    print("\n%-4s %3s %8s %8s %6s %6s %7s %7s %7s %7s %8s %7s %9s  %s" % (
        "kind", "run", "pps", "exec>1st", "over", "pipe", "detect", "rule", "drop", "ban", "FNM/xw", "fnm avg", "lost rec", "mitigation"))
    for r in rows:
        if "error" in r:
            print("%-4s %3d  %s" % (r["kind"], r["run"], r["error"]))
            continue
        ratio = r["ban"] / r["drop"] if r.get("ban") and r.get("drop") else None
        print("%-4s %3d %7sk %8s %6s %6s %7s %7s %7s %7s %8s %7s %9d  %s" % (
            r["kind"], r["run"], fmt(r["pps"] and r["pps"] / 1e3, "%.0f"), fmt(r["exec_to_first"]),
            fmt(r["over"]), fmt(r["pipe"]), fmt(r["detect"]), fmt(r["hit"]), fmt(r["drop"]), fmt(r["ban"]), fmt(ratio, "%.2fx"),
            fmt(r.get("fnm_pps_at_ban"), "%.0f"), r["lost"], r["mitigation"] or "NOT DETECTED"))
    cmds = {r["kind"]: r["cmd"] for r in rows if r.get("cmd")}
    for kind, cmd in cmds.items():
        print("%s: %s  # %s" % (kind, cmd, " ".join(flood_conf(kind))))


def main():
    ap = argparse.ArgumentParser(description="attack start to first drop: xdpwatch through Kafka beside FastNetMon")
    ap.add_argument("--runs", type=int, default=10, help="floods per kind (1-100)")
    ap.add_argument("--sample", type=int, default=1, help="the victim collector's sampling 1:N")
    ap.add_argument("--kinds", default="syn,udp", help="comma list of: " + ",".join(KINDS))
    ap.add_argument("--rate", type=int, default=0,
                    help="trafgen's pace, packets/s (default 0: as fast as its TX_RING goes; "
                    "a paced trafgen sends one packet a syscall and reaches far less here)")
    ap.add_argument("--threshold", type=int, default=20000, help="pps, both detectors")
    ap.add_argument("--start-slots", type=int, default=2, help="the detector's detect.start_slots")
    ap.add_argument("--linger-ms", type=int, default=100, help="the collector's batch_linger_ms")
    ap.add_argument("--max-flood-s", type=float, default=8.0, help="a flood's longest run")
    ap.add_argument("--poll-ms", type=int, default=50, help="drop counter poll period")
    ap.add_argument("--no-fnm", action="store_true", help="without FastNetMon")
    ap.add_argument("--json", help="write the per-run rows here too")
    a = ap.parse_args()
    a.kinds = a.kinds.split(",")
    if not 1 <= a.runs <= 100 or any(k not in KINDS for k in a.kinds) or not 1 <= a.max_flood_s <= 30:
        ap.error("--runs 1-100, --kinds from %s, --max-flood-s 1-30" % ",".join(KINDS))

    T.BROKER = Broker().ensure()
    T.KEYS = keys = tempfile.mkdtemp(prefix="xw-latkeys-")
    rows, al, det = [], None, None
    try:
        os.mkdir(os.path.join(keys, "trusted"))
        # The key test_detector's Detector signs with; the id is the name.
        run([CLI, "keygen", "--key-id", "detector-test", "--key-dir", keys])
        shutil.copy(os.path.join(keys, "detector-test.pub"), os.path.join(keys, "trusted"))
        topics = T.make_topics()
        al = A.AttackLab(collector=False, mirror=True)
        # FastNetMon 1.2.4 can dump core when stopped; let that land in
        # the lab's temp dir (removed with it), not in the caller's.
        os.chdir(al.lab.tmp)
        start_collector(al, topics, keys, a.sample, a.linger_ms)
        sets = ["thresholds.syn_flood=%d" % a.threshold, "thresholds.udp_flood=%d" % a.threshold,
                "detect.start_slots=%d" % a.start_slots]
        det = T.Detector(al.lab.tmp, "det-lat", topics, extra=sets).start(al.lab)
        print("detector: %s" % " ".join(det.args[1:]), file=sys.stderr)
        print("collector: %s" % " ".join(al.collector.args), file=sys.stderr)
        time.sleep(2)
        for i in range(1, a.runs + 1):
            for kind in a.kinds:
                r = one_run(al, det, kind, i, a)
                rows.append(r)
                print("%s %d: %s" % (kind, i, r.get("error") or
                                     "%s pps, detect %s, rule %s, drop %s, ban %s s" % (
                                         fmt(r["pps"], "%.0f"), fmt(r["detect"]), fmt(r["hit"]),
                                         fmt(r["drop"]), fmt(r["ban"]))), file=sys.stderr, flush=True)
        report(rows, a)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(rows, f, indent=1)
    except KeyboardInterrupt:
        print("interrupted; %d runs done" % len(rows), file=sys.stderr)
        if rows:
            report(rows, a)
        return 130
    finally:
        if det and det.proc:
            try:
                det.stop()
            except Exception:  # noqa: BLE001
                pass
        if al:
            if os.environ.get("XW_LAT_KEEP_LOGS") and al.collector:
                for p in (al.collector.log_path, det and det.log_path):
                    if p and os.path.exists(p):
                        shutil.copy(p, os.environ["XW_LAT_KEEP_LOGS"])
            os.chdir("/")
            al.close()
        if T._topics:
            delete_topics(T.BROKER.bootstrap, T._topics, "detect_latency")
        shutil.rmtree(keys, ignore_errors=True)
        T.BROKER.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
