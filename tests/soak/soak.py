#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Soak: the whole pipeline under steady, moderate load for a long time,
watched for memory growth and uncounted loss. Not part of ctest (it runs
20 minutes by default); run by hand, as root, with Debian's python3:

    /usr/bin/python3 tests/soak/soak.py                 # 20 minutes
    /usr/bin/python3 tests/soak/soak.py --minutes 5     # a shorter look

XW_BUILD_DIR picks the build; XW_KAFKA_PORT / XW_KAFKA_DATA the broker
(lab.Broker: started if needed, stopped at the end only if this run
started it). Its topics, lab, keys and processes are removed at the end,
also when it fails or is interrupted.

Load: attacks.AttackLab, one collector (1:1, Kafka, verdicts) on the
victim, one detector. A legitimate mix (completed TCP exchanges, DNS-like
UDP, a paced bulk upload) runs all the time; every --flood-every-s a
bounded flood (spoofed SYN and UDP, in turn, ~15k pps for --flood-s)
is detected, mitigated by a verdict and withdrawn after.

Every 10 s: RSS of the collector and the detector, and their loss
counters (ring buffer full, Kafka queue full, delivery failed; the
detector's missing batches, late and untracked records, lag).

Pass:
  - RSS: for each process, the largest sample after the warm-up is less
    than --rss-growth-pct (10) above the first sample after it. The
    warm-up (--warmup-minutes) lasts by default until each of the four
    flood kinds has run once (the detector's memory steps up the first
    time it sees each), or a fifth of the run if that is longer;
  - every loss counted: after the collector's flush, delivered + failed +
    queue-full = records the kernel sampled, and the detector read every
    delivered record (its records = the collector's delivered);
  - every flood detected.
Prints the samples as a table and a verdict line; exit status 0 on pass.
"""
import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

try:
    import confluent_kafka  # noqa: F401
except ImportError:
    if os.path.exists("/usr/bin/python3") and \
            os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import attacks as A  # noqa: E402
import test_detector as TD  # noqa: E402
import test_kafka as TK  # noqa: E402
from kafka_util import delete_topics  # noqa: E402
from lab import CLI, Broker, cli_json, run  # noqa: E402

INGEST = re.compile(r"stats ingest: (\d+) batches, (\d+) records from (\d+) hosts; (\d+) bad, (\d+) duplicate, "
                    r"(\d+) missing batches; (\d+) records late, (\d+) untracked; lag (-?\d+)")
ATTACKS = re.compile(r"stats attacks: (\d+) active, (\d+) started, (\d+) ended")
FIRST_FLOOD_S = 30
RINGBUF = re.compile(r"stats \S+: .* sampled (\d+) \([\d.]+/s\), lost to full ring buffer (\d+)")


def rss_kib(pid):
    try:
        return TK.rss_kib(pid)
    except (OSError, AssertionError):
        return None


def last(regex, text):
    m = regex.findall(text)
    return tuple(int(x) for x in m[-1]) if m else None


class Load(threading.Thread):
    """The legitimate mix without pause, and a flood every flood_every_s."""

    def __init__(self, al, flood_every_s, flood_s):
        super().__init__(daemon=True)
        self.al, self.every, self.flood_s = al, flood_every_s, flood_s
        self.halt = threading.Event()
        self.floods, self.legit, self.errors = [], {"tcp": 0, "dns": 0, "bulk_bytes": 0, "errors": 0}, []
        self.legit_thread = threading.Thread(target=self._legit, daemon=True)

    def _legit(self):
        fam = 4
        while not self.halt.is_set():
            try:
                f = A.legit_mix(self.al, fam, duration=20.0, tcp_workers=2, dns_workers=1)
                for k, v in f.done.items():
                    self.legit[k] += v
            except Exception as e:  # noqa: BLE001  (reported, not fatal)
                self.errors.append("legit: %s" % e)
                self.halt.wait(1)
            fam = 10 - fam  # 4, 6, 4, ...

    def run(self):
        self.legit_thread.start()
        n = 0
        while not self.halt.wait(self.every if n else FIRST_FLOOD_S):
            gen = (A.syn_flood, A.udp_flood)[n % 2]
            fam = (4, 6)[(n // 2) % 2]
            try:
                f = gen(self.al, fam, rate=15000, count=int(15000 * self.flood_s), duration=self.flood_s)
                self.floods.append(f)
            except Exception as e:  # noqa: BLE001
                self.errors.append("flood: %s" % e)
            n += 1

    def stop(self):
        self.halt.set()
        self.join(timeout=self.flood_s + 60)
        self.legit_thread.join(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--warmup-minutes", type=float, default=None)
    ap.add_argument("--rss-growth-pct", type=float, default=10.0)
    ap.add_argument("--flood-every-s", type=float, default=60)
    ap.add_argument("--flood-s", type=float, default=8)
    ap.add_argument("--sample-s", type=float, default=10)
    args = ap.parse_args()
    # Each flood kind (SYN/UDP, v4/v6) first seen costs the detector memory
    # once (sketches for a busy destination, its v6 tables): the warm-up
    # lasts until all four have run, or a fifth of the run if longer.
    cycle_s = FIRST_FLOOD_S + 4 * args.flood_every_s + args.flood_s
    warmup_s = 60 * args.warmup_minutes if args.warmup_minutes is not None else max(cycle_s, args.minutes * 12)

    broker = Broker().ensure()
    keys = tempfile.mkdtemp(prefix="xw-soak-keys-")
    os.mkdir(os.path.join(keys, "trusted"))
    TD.BROKER, TD.KEYS = broker, keys
    TK.BROKER = broker
    al = None
    procs = {}
    try:
        run([CLI, "keygen", "--key-id", "detector-test", "--key-dir", keys])
        shutil.copy(os.path.join(keys, "detector-test.pub"), os.path.join(keys, "trusted"))
        topics = TD.make_topics()
        al = A.AttackLab(collector=False)
        col = TD.start_collector(al, topics, 1)
        det = TD.Detector(al.lab.tmp, "det-soak", topics).start(al.lab)
        procs = {"collector": col, "detector": det}
        load = Load(al, args.flood_every_s, args.flood_s)
        t0 = time.monotonic()
        load.start()
        rows = []
        print("%7s %10s %10s %11s %9s %9s %9s %9s %8s %8s %8s %6s %7s" % (
            "t s", "col RSS", "det RSS", "sampled", "ring lost", "q full", "failed", "in queue",
            "det miss", "late", "untrack", "lag", "attacks"), flush=True)
        while time.monotonic() - t0 < args.minutes * 60:
            time.sleep(args.sample_s - (time.monotonic() - t0) % args.sample_s)
            for name, p in procs.items():
                if p.proc.poll() is not None:
                    raise SystemExit("%s exited %d:\n%s" % (name, p.proc.returncode, p.log_text()[-3000:]))
            clog, dlog = col.log_text(), det.log_text()
            ks = TK.STATS_KAFKA.findall(clog)
            ks = [int(x) for x in ks[-1]] if ks else [0] * 8
            rb = last(RINGBUF, clog) or (0, 0)
            ing = last(INGEST, dlog) or (0,) * 9
            att = last(ATTACKS, dlog) or (0, 0, 0)
            row = dict(t=round(time.monotonic() - t0), col_rss=rss_kib(col.proc.pid), det_rss=rss_kib(det.proc.pid),
                       sampled=rb[0], ring_lost=rb[1], queue_full=ks[5], failed=ks[3], in_queue=ks[6],
                       det_missing=ing[5], late=ing[6], untracked=ing[7], lag=ing[8], attacks=att[1])
            rows.append(row)
            print("%7d %7s KiB %7s KiB %11d %9d %9d %9d %9d %8d %8d %8d %6d %7d" % (
                row["t"], row["col_rss"], row["det_rss"], row["sampled"], row["ring_lost"], row["queue_full"],
                row["failed"], row["in_queue"], row["det_missing"], row["late"], row["untracked"], row["lag"],
                row["attacks"]), flush=True)
        load.stop()
        # Let the last attack end and the detector read everything.
        TD.wait_for(lambda: not TD.open_attacks(det.alerts()), 40)
        col_rc = col.stop(timeout=60)
        stats = cli_json(al.lab, "-i", col.key, "stats")[0]
        ks = TK.final_kafka_stats(col.log_text())
        time.sleep(2 * 2 + 1)  # two detector stats intervals
        ing = last(INGEST, det.log_text())
        det.stop()

        failures = []
        report = {}
        for name, key in (("collector", "col_rss"), ("detector", "det_rss")):
            after = [r[key] for r in rows if r["t"] >= warmup_s and r[key]]
            if len(after) < 2:
                failures.append("%s: fewer than two RSS samples after the warm-up" % name)
                continue
            growth = 100.0 * (max(after) - after[0]) / after[0]
            report[name] = (after[0], max(after), after[-1], growth)
            if growth >= args.rss_growth_pct:
                failures.append("%s: RSS grew %.1f%% after the warm-up (%d -> max %d KiB)"
                                % (name, growth, after[0], max(after)))
        sampled = stats["events"]["records_sampled"]
        ring_lost = stats["events"]["records_lost_ringbuf_full"]
        if col_rc != 0:
            failures.append("collector exit code %d" % col_rc)
        if ks["delivered"] + ks["failed"] + ks["queue_full"] != sampled or ks["queued"]:
            failures.append("collector: delivered %d + failed %d + queue-full %d != sampled %d (in queue %d)"
                            % (ks["delivered"], ks["failed"], ks["queue_full"], sampled, ks["queued"]))
        if not ing or ing[1] != ks["delivered"]:
            failures.append("detector read %s records, the collector delivered %d" % (ing and ing[1], ks["delivered"]))
        floods = load.floods
        alerts = [a for a in det.alerts() if a["phase"] == "start"]
        undetected = [f for f in floods if not any(f.t0 - 1 <= a["detected_unix_ns"] / 1e9 <= f.t1 + 3
                                                   for a in alerts)]
        if undetected:
            failures.append("%d of %d floods not detected: %s" % (
                len(undetected), len(floods), [(f.cls, f.family, round(f.t0)) for f in undetected]))
        print("\nsoak: %.1f minutes (warm-up %.0f s), %d floods (%d attacks started), legit mix %s, load errors %s"
              % (args.minutes, warmup_s, len(floods), len(alerts), load.legit, load.errors[:3]))
        for name, (first, peak, end, growth) in report.items():
            print("  %-9s RSS after warm-up: first %d KiB, max %d KiB, last %d KiB: %+.1f%% (bound %.0f%%)"
                  % (name, first, peak, end, growth, args.rss_growth_pct))
        print("  collector: sampled %d = delivered %d + failed %d + queue-full %d; ring-full lost %d (counted by "
              "the kernel); producer restarts %d" % (sampled, ks["delivered"], ks["failed"], ks["queue_full"],
                                                    ring_lost, ks["restarts"]))
        if ing:
            print("  detector: %d batches, %d records; %d missing batches, %d late, %d untracked, lag %d"
                  % (ing[0], ing[1], ing[5], ing[6], ing[7], ing[8]))
        print("soak: %s" % ("PASS" if not failures else "FAIL\n  " + "\n  ".join(failures)))
        return 0 if not failures else 1
    finally:
        for p in procs.values():
            if p.proc and p.proc.poll() is None:
                p.proc.send_signal(signal.SIGKILL)
        if al:
            al.close()
        delete_topics(broker.bootstrap, TD._topics, "soak")
        broker.close()
        shutil.rmtree(keys, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
