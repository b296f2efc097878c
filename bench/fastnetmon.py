#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""FastNetMon as the peer for "attack start to first mitigation" latency.

FastNetMon (Debian's fastnetmon 1.2.4) runs in a namespace of the attack
lab (tests/integration/attacks.py) and captures, with AF_PACKET, a copy of
everything the router sends the victim: tc mirred on the router's egress
toward the victim copies each frame onto a second veth whose far end
FastNetMon reads. The copy is taken before the victim's XDP program, so
xdpwatch dropping a flood does not blind FastNetMon to it.

Its configuration, networks list, whitelist, log, stats files and ban
script live in a temporary directory (lab.tmp); the script records the ban
with `date +%s.%N`, so the ban time is wall clock to the nanosecond and can
be compared with the collector's record timestamps and with a detector's
verdicts on the same run.

Run by hand, as root, with Debian's interpreter (it has scapy), from the
repository (not a test: it times things and asserts nothing about times):

    /usr/bin/python3 bench/fastnetmon.py                 # 5 hping3 SYN floods
    /usr/bin/python3 bench/fastnetmon.py --runs 9 --threshold 20000

Or from a benchmark:

    sys.path.insert(0, "bench"); import fastnetmon
    with attacks.AttackLab(mirror=True) as al:
        fnm = fastnetmon.FastNetMon(al, threshold_pps=20000).start()
        flood = ...; t_ban = fnm.wait_ban("198.51.100.1", timeout=10)
        fnm.stop()

Each run restarts FastNetMon: its averages and ban list start empty, as
they would for an attack on a quiet network.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
import attacks  # noqa: E402

FASTNETMON = os.environ.get("XW_FASTNETMON", "/usr/sbin/fastnetmon")

# Every key FastNetMon 1.2.4 reads that matters here; the rest keep the
# defaults of the Debian package's /etc/fastnetmon.conf. Anything that
# would talk to the outside (usage reports, API, Prometheus, BGP, DBs) is off.
CONF = """\
logging_level = info
logging_local_syslog_logging = off
logging_remote_syslog_logging = off
disable_usage_report = on
enable_ban = on
enable_ban_ipv6 = on
process_incoming_traffic = on
process_outgoing_traffic = on
ban_details_records_count = 20
ban_time = 1900
unban_only_if_attack_finished = on
networks_list_path = {dir}/networks_list
white_list_path = {dir}/networks_whitelist
check_period = 1
enable_connection_tracking = on
ban_for_pps = on
ban_for_bandwidth = on
ban_for_flows = off
threshold_pps = {threshold_pps}
threshold_mbps = {threshold_mbps}
threshold_flows = 3500
ban_for_tcp_bandwidth = off
ban_for_udp_bandwidth = off
ban_for_icmp_bandwidth = off
ban_for_tcp_pps = off
ban_for_udp_pps = off
ban_for_icmp_pps = off
mirror_afpacket = on
mirror_afxdp = off
mirror_netmap = off
pcap = off
netflow = off
sflow = off
interfaces = {iface}
mirror_af_packet_custom_sampling_rate = 1
mirror_af_packet_fanout_mode = cpu
af_packet_read_packet_length_from_ip_header = off
average_calculation_time = {average_s}
speed_calculation_delay = {speed_delay_s}
notify_script_path = {dir}/notify.sh
collect_attack_pcap_dumps = off
redis_enabled = off
mongodb_enabled = off
exabgp = off
gobgp = off
influxdb = off
graphite = off
monitor_local_ip_addresses = off
monitor_openvz_vps_ip_addresses = off
my_hosts_enable_ban = off
pid_path = {dir}/fastnetmon.pid
cli_stats_file_path = {dir}/fastnetmon.dat
cli_stats_ipv6_file_path = {dir}/fastnetmon_ipv6.dat
enable_api = off
kafka_traffic_export = off
prometheus = off
sort_parameter = packets
max_ips_in_list = 7
"""

# FastNetMon runs it as "notify.sh IP DIRECTION PPS ACTION" (ACTION: ban,
# unban, attack_details) with details on stdin: read them, or its write
# gets SIGPIPE. The time is taken first, before anything else can lag.
NOTIFY = """#!/bin/sh
t=$(date +%s.%N)
echo "$t $1 $2 $3 $4" >> {dir}/bans.log
cat > /dev/null
"""


class FastNetMon:
    """FastNetMon on the AttackLab's mirror interface (made if missing), or,
    with capture="victim", on the victim's own interface as the reference
    figure was taken (there xdpwatch's XDP drops would blind it)."""

    def __init__(self, al, threshold_pps=20000, threshold_mbps=100000, average_s=5, speed_delay_s=1,
                 networks=(str(attacks.VICTIM_NET4), str(attacks.VICTIM_NET6)), capture="mirror"):
        self.al = al
        if capture == "victim":
            self.host, iface = "victim", al.vif
        else:
            if not al.mirror:
                al.add_mirror()
            self.host, iface = al.mirror, al.mif
        self.dir = os.path.join(al.lab.tmp, "fastnetmon")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "fastnetmon.conf")
        self.log_path = os.path.join(self.dir, "fastnetmon.log")
        self.bans_path = os.path.join(self.dir, "bans.log")
        with open(self.conf, "w") as f:
            f.write(CONF.format(dir=self.dir, threshold_pps=threshold_pps, threshold_mbps=threshold_mbps,
                                iface=iface, average_s=average_s, speed_delay_s=speed_delay_s))
        with open(os.path.join(self.dir, "networks_list"), "w") as f:
            f.write("".join(n + "\n" for n in networks))
        open(os.path.join(self.dir, "networks_whitelist"), "w").close()
        notify = os.path.join(self.dir, "notify.sh")
        with open(notify, "w") as f:
            f.write(NOTIFY.format(dir=self.dir))
        os.chmod(notify, 0o755)
        self.proc = None
        self.cmd = [FASTNETMON, "--configuration_file", self.conf, "--log_file", self.log_path,
                    "--disable_pid_logic"]

    def log_text(self):
        try:
            with open(self.log_path, errors="backslashreplace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, settle_s=2.5):
        """Start it and wait until AF_PACKET capture runs, then settle_s more
        so its first speed recalculations see a quiet network."""
        for p in (self.bans_path, self.log_path):
            if os.path.exists(p):
                os.unlink(p)
        self.out = open(os.path.join(self.dir, "stdout.log"), "a")
        self.proc = self.al.lab.popen(self.host, self.cmd, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("fastnetmon exited %d:\n%s" % (self.proc.returncode, self.log_text()))
            if "AF_PACKET" in self.log_text() and "fanout" in self.log_text().lower():
                time.sleep(settle_s)
                return self
            time.sleep(0.05)
        raise RuntimeError("fastnetmon did not start capturing:\n" + self.log_text())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.out.close()

    def bans(self):
        """[(wall time, ip, direction, pps, action)] the notify script saw."""
        out = []
        try:
            with open(self.bans_path) as f:
                for line in f:
                    t, ip, direction, pps, action = line.split()[:5]
                    out.append((float(t), ip, direction, int(pps), action))
        except FileNotFoundError:
            pass
        return out

    def wait_ban(self, ip, timeout=10.0, stop=None):
        """Wall time of the first ban of ip, or None after timeout s. stop(),
        when given, is called once the ban is seen (to end a flood early)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for t, bip, _, _, action in self.bans():
                if bip == ip and action == "ban":
                    if stop:
                        stop()
                    return t
            time.sleep(0.01)
        return None


def hping_syn_flood(al, dst, count=600000, duration=12.0, procs=4):
    """An hping3 SYN flood from atk0's first address to dst: `procs` hping3
    processes at -i u1, count/procs packets each (-i u1 keeps the count,
    --flood ignores it; one process sends some 60k pps here, four about
    100k+), stopped after duration s at the latest. Started in the
    background; returns (stop function, wall time of exec, one command)."""
    _, a4, _, _ = attacks.attacker_addrs(0)
    cmd = ["hping3", "-q", "-S", "-p", "80", "-i", "u1", "-c", str(count // procs), "-a", a4[0], dst]
    t0 = time.time()
    ps = [al.lab.popen("atk0", ["timeout", "-s", "INT", "%.1f" % duration] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(procs)]

    def stop():
        for p in ps:
            if p.poll() is None:
                p.send_signal(2)
        for p in ps:
            p.wait(timeout=15)
    return stop, t0, "%d x %s" % (procs, " ".join(cmd))


def trafgen_syn_flood(al, dst, count=600000, duration=12.0, rate=None):
    """The same SYN flood from trafgen's TX_RING (some 250k pps here, or
    `rate` pps), bounded by count and duration; same return as
    hping_syn_flood."""
    _, a4, _, _ = attacks.attacker_addrs(0)
    conf = al.tmpfile("fnm-syn.cfg")
    with open(conf, "w") as f:
        f.write("{ eth(da=%s), ipv4(sa=%s, da=%s, ttl=64, id=drnd()), "
                "tcp(sp=drnd(1024, 65535), dp=80, seq=drnd(), syn, win=64240) }\n" % (al.gw_mac["atk0"], a4[0], dst))
    cmd = ["trafgen", "-o", al.aif["atk0"], "-i", conf, "-n", str(count), "--cpus", "1", "--no-sock-mem", "-Q"]
    if rate:
        cmd += ["-t", "%dns" % (1e9 / rate)]  # -b would send a second's worth at once
    t0 = time.time()
    p = al.lab.popen("atk0", ["timeout", "-s", "INT", "%.1f" % duration] + cmd,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop():
        if p.poll() is None:
            p.send_signal(2)
        p.wait(timeout=15)
    return stop, t0, " ".join(cmd)


FLOODS = {"hping3": hping_syn_flood, "trafgen": trafgen_syn_flood}


def first_record_time(al, dst, after):
    """Wall time of the first SYN to dst the victim's collector recorded after
    `after` (seconds), or None."""
    for r in al.collector.records():
        if r["dst"] == dst and r["l4_proto"] == 6 and r["ts_ns"] / 1e9 >= after - 0.5:
            return r["ts_ns"] / 1e9
    return None


def measure(al, runs=5, threshold_pps=20000, dst=attacks.VICTIM4[0], timeout=12.0, flood="hping3", **kw):
    """runs x (start FastNetMon, flood, wait for its ban, stop both).
    Returns a list of dicts: t_exec (hping3 started), t_first (first SYN the
    victim's collector saw, when there is one), t_ban, from_exec, from_first."""
    out = []
    for i in range(runs):
        fnm = FastNetMon(al, threshold_pps=threshold_pps, **kw).start()
        if al.collector:
            al.reset_records()
            c0, _ = al.counters()
        stop, t0, cmd = FLOODS[flood](al, dst)
        t_ban = fnm.wait_ban(dst, timeout=timeout, stop=stop)
        stop()
        t_first = first_record_time(al, dst, t0) if al.collector else None
        seen = None
        if al.collector and t_ban:
            c1, _ = al.counters()
            # packets the victim counted over the flood (which stops at the ban)
            seen = sum(c1.values()) - sum(c0.values())
        fnm.stop()
        pps = [b[3] for b in fnm.bans() if b[4] == "ban"]
        r = dict(run=i + 1, t_exec=t0, t_first=t_first, t_ban=t_ban, cmd=cmd, pps_at_ban=pps[0] if pps else None,
                 victim_pps=seen / (t_ban - t_first) if seen and t_first and t_ban > t_first else None,
                 from_exec=(t_ban - t0) if t_ban else None,
                 from_first=(t_ban - t_first) if t_ban and t_first else None)
        print("run %d: ban %s s after the flood started, %s s after the first SYN reached the victim "
              "(FastNetMon's average at ban %s pps; victim saw %s pps)" %
              (i + 1, "%.3f" % r["from_exec"] if t_ban else "NONE",
               "%.3f" % r["from_first"] if r["from_first"] else "-", r["pps_at_ban"],
               "%.0f" % r["victim_pps"] if r["victim_pps"] else "-"), flush=True)
        out.append(r)
        time.sleep(1.0)
    return out


def summary(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
    return dict(n=len(v), min=v[0], median=statistics.median(v), p95=p95, max=v[-1])


def main():
    ap = argparse.ArgumentParser(description="FastNetMon 1.2.4: hping3 SYN flood start to ban")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threshold", type=int, default=20000, help="threshold_pps")
    ap.add_argument("--average", type=int, default=5, help="average_calculation_time (s)")
    ap.add_argument("--flood", choices=sorted(FLOODS), default="hping3")
    ap.add_argument("--capture", choices=("mirror", "victim"), default="mirror",
                    help="AF_PACKET on the tc mirror (default) or on the victim's interface")
    ap.add_argument("--sample", type=int, default=100, help="the victim collector's sampling 1:N")
    ap.add_argument("--no-collector", action="store_true", help="no xdpwatch collector on the victim")
    a = ap.parse_args()
    with attacks.AttackLab(mirror=a.capture == "mirror", collector=not a.no_collector, sample_rate=a.sample) as al:
        res = measure(al, runs=a.runs, threshold_pps=a.threshold, average_s=a.average, flood=a.flood,
                      capture=a.capture)
        print("\ncommand: %s" % res[0]["cmd"])
        print("FastNetMon %s, AF_PACKET on %s, threshold_pps %d, average_calculation_time %d s, "
              "victim collector %s" % (version(), "a tc mirror of the victim's link" if a.capture == "mirror"
                                       else "the victim's interface", a.threshold, a.average,
                                       "off" if a.no_collector else "1:%d" % a.sample))
        for key, what in (("from_exec", "%s exec -> ban" % a.flood), ("from_first", "first SYN at victim -> ban")):
            s = summary(r[key] for r in res)
            if s:
                print("%-28s n=%d  median %.3f s  p95 %.3f s  min %.3f  max %.3f" %
                      (what, s["n"], s["median"], s["p95"], s["min"], s["max"]))
        s = summary(r["victim_pps"] for r in res)
        if s:
            print("%-28s median %.0f pps  min %.0f  max %.0f  (the flood's rate decides the ban time: see "
                  "bench/README.md)" % ("victim saw", s["median"], s["min"], s["max"]))
        missed = sum(1 for r in res if r["t_ban"] is None)
        if missed:
            print("%d run(s) without a ban" % missed)
    return 0


def version():
    p = subprocess.run([FASTNETMON, "--version"], capture_output=True, text=True)
    return (p.stdout + p.stderr).strip().splitlines()[-1] if (p.stdout + p.stderr).strip() else "?"


if __name__ == "__main__":
    sys.exit(main())
