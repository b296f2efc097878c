#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""An attack lab: a victim behind a router, attackers and a legitimate
client, one generator per attack class, and a self-check that proves from
the victim's collector what each generator really puts on the wire.

Run (as root, Debian's interpreter: it has scapy), from the repository:

    /usr/bin/python3 tests/integration/attacks.py --selfcheck            # every class
    /usr/bin/python3 tests/integration/attacks.py --selfcheck syn_spoofed dns
    /usr/bin/python3 tests/integration/attacks.py --list                 # class names

XW_BUILD_DIR picks the build (as lab.py). Not part of ctest: a full run
takes a few minutes and loads both cores.

Topology (all names carry lab.Lab's per-run tag; no default route anywhere):

    atk0 ─┐                                  victim (one interface, <tag>v,
    atk1 ─┼── router ──<tag>rv── <tag>v ──   XDP collector at sample 1)
    client┘      └──<tag>rm── <tag>fm  "mirror" host: a copy of everything
                                             the router sends the victim,
                                             taken before the victim's XDP
                                             (for a peer such as FastNetMon)

Address plan:

    victim prefixes       198.51.100.0/24  and  2001:db8:100::/64
      owned by victim     198.51.100.1-.4  and  2001:db8:100::1-::4
      the router routes the whole /24 and /64 via the victim's transit
      address, so every address of them (carpet bombing) reaches the
      victim's MAC and its one interface
    router - victim       192.0.2.252/30: router .253, victim .254
                          2001:db8:fffe::/64: router ::1, victim ::2
    router - client       192.0.2.224/28: router .225, client .226-.238 (13)
                          2001:db8:200::/64: router ::1, client ::10-::1c
    router - attacker i   203.0.113.(208+16i)/28: router .+1, attacker .+2-.+5
                          2001:db8:30i::/64: router ::1, attacker ::10-::13
                          (i < 3)
    router - mirror       no addresses: an L2 tap only
    spoofed sources       192.0.2.0-.199 and 203.0.113.0-.199 (400, routed
                          nowhere, so the victim's answers die at once);
                          2001:db8:f000::/96 for IPv6
    reflectors            64 addresses drawn from the spoofed pool

API (each generator takes the AttackLab first, is bounded by `count`
packets and `duration` seconds, takes `rate` in packets per second where
the tool can pace itself (None: as fast as it goes), and returns a
Flood: cls, family, tool, sent, t0, t1 (wall clock), cmd):

    AttackLab(n_attackers=1, collector=True, sample_rate=1, mirror=False,
              collector_extra=())   .lab .collector .counters() .close()
    syn_flood(al, family, spoofed=True)   udp_flood   icmp_flood(al)
    icmpv6_flood(al)   ack_flood   rst_flood   frag_flood
    reflection(al, service, family)       service in REFLECTION
    reflection_pcap(al, service, family)  its packets, built ahead (pcap=)
    carpet_bombing(al, family, proto="udp"|"syn")
    legit_mix(al, duration, rate=None)    completed TCP, DNS-like UDP, bulk
    measure(al, name, family, **kw)       run one class, return a Result
    in_background(gen, al, ...)           a Future whose .result() is the Flood
    CLASSES                               name -> (families, generator, check)

Tools: hping3 (IPv4 only) for floods from real sources (SYN from atk0's
four addresses, UDP, ICMP, ACK, RST); trafgen for spoofed floods (its
drnd() draws a source per packet from the pool), IPv6 floods and carpet
bombing; scapy writes a pcap and tcpreplay sends it for fragments and
reflection. hping3's --rand-source is not used: it draws from all of IPv4,
not from documentation addresses. Pacing is approximate: hping3 -i uN
reaches about 70% of the asked rate, trafgen -t about 85%, tcpreplay
--pps keeps it. Without a rate the default 100,000 packets take 0.5-3 s.
"""
import argparse
import ipaddress
import json
import os
import random
import re
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import Collector, Lab, cli_json  # noqa: E402

VICTIM_NET4 = ipaddress.ip_network("198.51.100.0/24")
VICTIM_NET6 = ipaddress.ip_network("2001:db8:100::/64")
VICTIM4 = ["198.51.100.%d" % i for i in range(1, 5)]
VICTIM6 = ["2001:db8:100::%d" % i for i in range(1, 5)]
R_VIC4, VIC_T4 = "192.0.2.253", "192.0.2.254"
R_VIC6, VIC_T6 = "2001:db8:fffe::1", "2001:db8:fffe::2"
R_CLI4, CLIENT4 = "192.0.2.225", ["192.0.2.%d" % i for i in range(226, 239)]  # .239: broadcast
R_CLI6, CLIENT6 = "2001:db8:200::1", ["2001:db8:200::%x" % i for i in range(0x10, 0x1d)]
MAX_ATTACKERS = 3
COUNT = 100000  # default packets per flood: a second or two at these rates
SPOOF4_NETS = ("192.0.2.", "203.0.113.")  # last byte 0-199
SPOOF6_BASE = "2001:db8:f000::"


def attacker_addrs(i):
    """(router v4, [attacker v4], router v6, [attacker v6]) of attacker i."""
    base = 208 + 16 * i
    return ("203.0.113.%d" % (base + 1), ["203.0.113.%d" % (base + k) for k in range(2, 6)],
            "2001:db8:30%d::1" % i, ["2001:db8:30%d::%x" % (i, k) for k in range(0x10, 0x14)])


def spoof4(rng, n):
    return ["%s%d" % (rng.choice(SPOOF4_NETS), rng.randrange(200)) for _ in range(n)]


def spoof6(rng, n):
    base = int(ipaddress.IPv6Address(SPOOF6_BASE))
    return [str(ipaddress.IPv6Address(base + rng.randrange(1, 1 << 32))) for _ in range(n)]


class Flood(dict):
    """What one generator did: cls, family, tool, sent, t0, t1, cmd."""
    __getattr__ = dict.get


class AttackLab:
    """The topology above on a lab.Lab; close() (or `with`) removes it."""

    def __init__(self, n_attackers=1, collector=True, sample_rate=1, mirror=False, tag=None, collector_extra=()):
        """collector_extra: more xdpwatch-collector arguments, e.g.
        ("--set", "kafka.bootstrap.servers=127.0.0.1:19092") for a detector test."""
        assert 1 <= n_attackers <= MAX_ATTACKERS
        self.lab = lab = Lab(tag)
        self.rng = random.Random(os.getpid())
        t = lab.tag
        self.vif, self.rvif = t + "v", t + "rv"
        self.cif, self.rcif = t + "c", t + "rc"
        self.attackers = ["atk%d" % i for i in range(n_attackers)]
        self.aif = {a: t + "a%d" % i for i, a in enumerate(self.attackers)}
        self.raif = {a: t + "ra%d" % i for i, a in enumerate(self.attackers)}
        self.mif, self.rmif = t + "fm", t + "rm"
        try:
            self._build(mirror)
            self.collector = None
            if collector:
                self.collector = Collector(lab, "victim", self.vif, sample_rate=sample_rate,
                                           extra=collector_extra).start()
            self._warm()
        except BaseException:
            lab.close()
            raise

    # -- topology ---------------------------------------------------------
    def _build(self, mirror):
        lab = self.lab
        for h in ["router", "victim", "client"] + self.attackers:
            lab.add_host(h)
        for k in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                  "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                  "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0",
                  "net.ipv4.icmp_ratelimit=1000", "net.ipv6.icmp.ratelimit=1000"):
            lab.sh("router", ["sysctl", "-qw", k])
        lab.link("router", self.rvif, "victim", self.vif)
        lab.addr("router", self.rvif, R_VIC4 + "/30")
        lab.addr("router", self.rvif, R_VIC6 + "/64")
        lab.addr("victim", self.vif, VIC_T4 + "/30")
        lab.addr("victim", self.vif, VIC_T6 + "/64")
        for a in VICTIM4:
            lab.addr("victim", self.vif, a + "/32")
        for a in VICTIM6:
            lab.addr("victim", self.vif, a + "/128")
        lab.sh("router", ["ip", "route", "add", str(VICTIM_NET4), "via", VIC_T4])
        lab.sh("router", ["ip", "-6", "route", "add", str(VICTIM_NET6), "via", VIC_T6])

        lab.link("router", self.rcif, "client", self.cif)
        lab.addr("router", self.rcif, R_CLI4 + "/28")
        lab.addr("router", self.rcif, R_CLI6 + "/64")
        for a in CLIENT4:
            lab.addr("client", self.cif, a + "/28")
        for a in CLIENT6:
            lab.addr("client", self.cif, a + "/64")
        self._routes_via("client", R_CLI4, R_CLI6)
        # The victim answers the client and the attackers' real addresses
        # only: answers to spoofed sources find no route and die there.
        lab.sh("victim", ["ip", "route", "add", "192.0.2.224/28", "via", R_VIC4])
        lab.sh("victim", ["ip", "-6", "route", "add", "2001:db8:200::/64", "via", R_VIC6])

        for i, a in enumerate(self.attackers):
            r4, a4, r6, a6 = attacker_addrs(i)
            lab.link("router", self.raif[a], a, self.aif[a])
            lab.addr("router", self.raif[a], r4 + "/28")
            lab.addr("router", self.raif[a], r6 + "/64")
            for x in a4:
                lab.addr(a, self.aif[a], x + "/28")
            for x in a6:
                lab.addr(a, self.aif[a], x + "/64")
            self._routes_via(a, r4, r6)
            lab.sh("victim", ["ip", "route", "add", "203.0.113.%d/28" % (208 + 16 * i), "via", R_VIC4])
            lab.sh("victim", ["ip", "-6", "route", "add", "2001:db8:30%d::/64" % i, "via", R_VIC6])
        for dev in [self.rvif, self.rcif] + list(self.raif.values()):
            lab.sh("router", ["sysctl", "-qw", "net.ipv4.conf.%s.rp_filter=0" % dev])

        self.mirror = None
        if mirror:
            self.add_mirror()

    def _routes_via(self, host, gw4, gw6):
        """Routes to the victim prefixes only, never a default route."""
        self.lab.sh(host, ["ip", "route", "add", str(VICTIM_NET4), "via", gw4])
        self.lab.sh(host, ["ip", "-6", "route", "add", str(VICTIM_NET6), "via", gw6])

    def add_mirror(self, host="mirror"):
        """A host whose interface (self.mif) receives a copy of every frame
        the router sends toward the victim: tc mirred on the router's egress,
        before the victim's XDP can drop anything. Returns the host name."""
        lab = self.lab
        lab.add_host(host)
        lab.link("router", self.rmif, host, self.mif)
        # The copy is a tap: nothing in the mirror host answers it.
        lab.sh(host, ["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.mif])
        lab.sh(host, ["ip", "link", "set", self.mif, "arp", "off"])
        lab.sh("router", ["tc", "qdisc", "add", "dev", self.rvif, "clsact"])
        # u32 matching everything, not matchall: kernels built without
        # CONFIG_NET_CLS_MATCHALL (this one) still have u32.
        lab.sh("router", ["tc", "filter", "add", "dev", self.rvif, "egress", "protocol", "all",
                          "u32", "match", "u32", "0", "0",
                          "action", "mirred", "egress", "mirror", "dev", self.rmif])
        self.mirror = host
        return host

    def mac(self, host, ifname):
        out = self.lab.sh(host, ["ip", "-j", "link", "show", "dev", ifname]).stdout
        return json.loads(out)[0]["address"]

    def _warm(self):
        """Resolve every neighbour before anything is counted."""
        lab = self.lab
        lab.sh("client", ["ping", "-c", "1", "-W", "2", "-I", CLIENT4[0], VICTIM4[0]])
        lab.sh("client", ["ping", "-6", "-c", "1", "-W", "2", "-I", CLIENT6[0], VICTIM6[0]])
        for i, a in enumerate(self.attackers):
            _, a4, _, a6 = attacker_addrs(i)
            lab.sh(a, ["ping", "-c", "1", "-W", "2", "-I", a4[0], VICTIM4[0]])
            lab.sh(a, ["ping", "-6", "-c", "1", "-W", "2", "-I", a6[0], VICTIM6[0]])
        self.gw_mac = {a: self.mac("router", self.raif[a]) for a in self.attackers}

    def close(self):
        self.lab.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- observation --------------------------------------------------------
    def counters(self):
        """{(family, l4, action): packets} from the collector's exact counters."""
        stats = cli_json(self.lab, "-i", self.collector.key, "stats")[0]
        return {(t["family"], t["l4"], t["action"]): t["packets"] for t in stats["traffic"]}, stats["events"]

    def reset_records(self):
        """Empty the collector's record file (it appends, so this is safe)."""
        self.collector.records()  # let the drain settle first
        open(self.collector.records_path, "w").close()

    # -- running tools --------------------------------------------------------
    def run_bounded(self, host, cmd, duration):
        """cmd in host, stopped with SIGINT after duration s (SIGKILL 3 s later).
        Returns (t0, t1, stdout + stderr)."""
        full = ["timeout", "-s", "INT", "-k", "3", "%.1f" % duration] + cmd
        t0 = time.time()
        p = self.lab.sh(host, full, check=False, timeout=duration + 30)
        t1 = time.time()
        return t0, t1, p.stdout + p.stderr

    def run_parallel(self, host, cmds, duration):
        full = [["timeout", "-s", "INT", "-k", "3", "%.1f" % duration] + c for c in cmds]
        t0 = time.time()
        procs = [self.lab.popen(host, c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for c in full]
        outs = [p.communicate(timeout=duration + 30)[0] for p in procs]
        return t0, time.time(), "\n".join(outs)

    def tmpfile(self, name):
        return os.path.join(self.lab.tmp, name)


# -- tool wrappers --------------------------------------------------------------

def _sent(out, regex, default):
    m = re.findall(regex, out)
    return sum(int(x) for x in m) if m else default


def _hping(al, cls, family, args, count, rate, duration, sources=None, attacker="atk0", dst=None):
    """hping3 from one attacker, one process per source address (-a), the
    count split between them. IPv4 only (hping3 has no IPv6)."""
    assert family == 4, "hping3 is IPv4 only"
    sources = sources or [None]
    per = max(1, count // len(sources))
    # Not --flood: it ignores -c. -i u1 keeps the count and still sends
    # some 60k pps per process here.
    pace = ["-i", "u%d" % max(1, int(1e6 * len(sources) / rate)) if rate else "u1"]
    cmds = []
    for s in sources:
        c = ["hping3", "-q", "-c", str(per)] + pace + args
        if s:
            c += ["-a", s]
        c.append(dst or VICTIM4[0])
        cmds.append(c)
    t0, t1, out = al.run_parallel(attacker, cmds, duration)
    sent = _sent(out, r"(\d+) packets transmitted", per * len(sources))
    return Flood(cls=cls, family=family, tool="hping3", sent=sent, t0=t0, t1=t1,
                 cmd=" | ".join(" ".join(shlex.quote(x) for x in c) for c in cmds))


def _trafgen(al, cls, family, packets, count, rate, duration, attacker="atk0"):
    """trafgen from one attacker with `packets`, a list of trafgen packet
    bodies (sent in turn); Ethernet to the router is added here."""
    da = al.gw_mac[attacker]
    conf = "".join("{ eth(da=%s), %s }\n" % (da, p) for p in packets)
    path = al.tmpfile("trafgen-%s-%d.cfg" % (cls, family))
    with open(path, "w") as f:
        f.write(conf)
    # --no-sock-mem -Q: leave the machine's socket memory and IRQ affinity alone.
    cmd = ["trafgen", "-o", al.aif[attacker], "-i", path, "-n", str(count), "--cpus", "1", "--no-sock-mem", "-Q"]
    if rate:
        # A gap per packet: -b sends each second's packets in one burst.
        cmd += ["-t", "%dns" % (1e9 / rate)]
    t0, t1, out = al.run_bounded(attacker, cmd, duration)
    sent = _sent(out, r"(\d+) packets outgoing", count)
    return Flood(cls=cls, family=family, tool="trafgen", sent=sent, t0=t0, t1=t1,
                 cmd=" ".join(cmd) + "  # " + conf.strip().replace("\n", " "))


def _write_pcap(al, cls, family, pkts, attacker="atk0"):
    """Scapy-built packets (IP layer up) into a pcap, with Ethernet from
    the attacker to the router; returns its path."""
    from scapy.all import Ether, wrpcap  # noqa: E402  (slow import: only when used)
    smac, dmac = al.mac(attacker, al.aif[attacker]), al.gw_mac[attacker]
    path = al.tmpfile("%s-%d.pcap" % (cls, family))
    wrpcap(path, [Ether(src=smac, dst=dmac) / p for p in pkts])
    return path


def _tcpreplay(al, cls, family, pkts, count, rate, duration, attacker="atk0", tool="scapy+tcpreplay", path=None):
    """Scapy-built frames (IP layer up) written to a pcap with Ethernet to
    the router (or the pcap at `path`, written before), replayed by
    tcpreplay in a loop up to count packets."""
    if path is None:
        path = _write_pcap(al, cls, family, pkts, attacker)
    cmd = ["tcpreplay", "-q", "-K", "-i", al.aif[attacker], "--limit=%d" % count, "--loop=0"]
    cmd += ["--pps=%d" % rate] if rate else ["--topspeed"]
    cmd.append(path)
    t0, t1, out = al.run_bounded(attacker, cmd, duration)
    sent = _sent(out, r"Actual: (\d+) packets", count)
    return Flood(cls=cls, family=family, tool=tool, sent=sent, t0=t0, t1=t1, cmd=" ".join(cmd))


def _tg_ip(family, spoofed, dst=None, attacker_idx=0, src=None):
    """The trafgen IP header for a flood: spoofed sources drawn at run time
    from the pool, or one fixed source."""
    if family == 4:
        dst = dst or VICTIM4[0]
        if spoofed:
            return ["ipv4(sa=%s1, sa[3]=drnd(0, 199), da=%s, ttl=64, id=drnd())" % (n, dst) for n in SPOOF4_NETS]
        return ["ipv4(sa=%s, da=%s, ttl=64, id=drnd())" % (src, dst)]
    dst = dst or VICTIM6[0]
    if spoofed:
        return ["ipv6(sa=%s1, sa[12:4]=drnd(), da=%s, hl=64)" % (SPOOF6_BASE, dst)]
    return ["ipv6(sa=%s, da=%s, hl=64)" % (src, dst)]


# -- generators ---------------------------------------------------------------

def syn_flood(al, family=4, spoofed=True, count=COUNT, rate=None, duration=4.0, dport=80):
    """SYN flood: spoofed from the pool (trafgen, v4 and v6), or from the
    four real addresses of atk0 (hping3 for v4, trafgen for v6)."""
    cls = "syn_spoofed" if spoofed else "syn_real"
    _, a4, _, a6 = attacker_addrs(0)
    if family == 4 and not spoofed:
        return _hping(al, cls, 4, ["-S", "-p", str(dport), "-w", "64240"], count, rate, duration, sources=a4)
    tcp = "tcp(sp=drnd(1024, 65535), dp=%d, seq=drnd(), syn, win=64240)" % dport
    ips = _tg_ip(family, True) if spoofed else [_tg_ip(family, False, src=s)[0] for s in (a4 if family == 4 else a6)]
    return _trafgen(al, cls, family, ["%s, %s" % (ip, tcp) for ip in ips], count, rate, duration)


def udp_flood(al, family=4, count=COUNT, rate=None, duration=4.0, size=64):
    """UDP flood to random high ports: hping3 from one real source for v4,
    trafgen from spoofed sources for v6."""
    if family == 4:
        _, a4, _, _ = attacker_addrs(0)
        return _hping(al, "udp", 4, ["--udp", "-p", "++1024", "-d", str(size)], count, rate, duration,
                      sources=[a4[0]])
    body = "udp(sp=drnd(1024, 65535), dp=drnd(1024, 65535)), fill(0x55, %d)" % size
    return _trafgen(al, "udp", 6, ["%s, %s" % (ip, body) for ip in _tg_ip(6, True)], count, rate, duration)


def icmp_flood(al, family=4, count=COUNT, rate=None, duration=4.0, size=56):
    """ICMP echo request flood (hping3, one real source)."""
    assert family == 4
    _, a4, _, _ = attacker_addrs(0)
    return _hping(al, "icmp", 4, ["--icmp", "-d", str(size)], count, rate, duration, sources=[a4[1]])


def icmpv6_flood(al, family=6, count=COUNT, rate=None, duration=4.0, size=56):
    """ICMPv6 echo request flood from spoofed sources (trafgen)."""
    assert family == 6
    # identifier, sequence, payload (a field function is refused after icmp6())
    body = "icmp6(echorequest), c16(0x1234), c16(1), fill(0x61, %d)" % size
    return _trafgen(al, "icmpv6", 6, ["%s, %s" % (ip, body) for ip in _tg_ip(6, True)], count, rate, duration)


def ack_flood(al, family=4, count=COUNT, rate=None, duration=4.0):
    """Bare ACKs to an open-looking port, no handshake (hping3 v4 from one
    real source, trafgen v6 spoofed)."""
    if family == 4:
        _, a4, _, _ = attacker_addrs(0)
        return _hping(al, "ack", 4, ["-A", "-p", "443", "-M", "12345", "-L", "67890"], count, rate, duration,
                      sources=[a4[2]])
    tcp = "tcp(sp=drnd(1024, 65535), dp=443, seq=drnd(), aseq=drnd(), ack, win=502)"
    return _trafgen(al, "ack", 6, ["%s, %s" % (ip, tcp) for ip in _tg_ip(6, True)], count, rate, duration)


def rst_flood(al, family=4, count=COUNT, rate=None, duration=4.0):
    """RSTs with random sequence numbers (hping3 v4 from one real source,
    trafgen v6 spoofed)."""
    if family == 4:
        _, a4, _, _ = attacker_addrs(0)
        return _hping(al, "rst", 4, ["-R", "-p", "443", "-M", "12345"], count, rate, duration, sources=[a4[3]])
    tcp = "tcp(sp=drnd(1024, 65535), dp=443, seq=drnd(), rst)"
    return _trafgen(al, "rst", 6, ["%s, %s" % (ip, tcp) for ip in _tg_ip(6, True)], count, rate, duration)


def frag_flood(al, family=4, count=COUNT, rate=None, duration=4.0, n_datagrams=300):
    """Fragments of large UDP datagrams that never reassemble into anything
    useful: every datagram split at 1280/1480 bytes, from spoofed sources
    (scapy builds, tcpreplay sends). IPv6 carries fragment headers."""
    from scapy.all import IP, UDP, IPv6, IPv6ExtHdrFragment, Raw, fragment, fragment6  # noqa: E402
    rng = al.rng
    pkts = []
    srcs = spoof4(rng, n_datagrams) if family == 4 else spoof6(rng, n_datagrams)
    for i, s in enumerate(srcs):
        size = rng.randrange(2000, 8000)
        payload = Raw(bytes(rng.getrandbits(8) for _ in range(64)) * (size // 64))
        l4 = UDP(sport=rng.randrange(1024, 65535), dport=rng.randrange(1024, 65535)) / payload
        if family == 4:
            pkts += fragment(IP(src=s, dst=VICTIM4[i % 4], id=rng.randrange(65536)) / l4, fragsize=1480)
        else:
            pkts += fragment6(IPv6(src=s, dst=VICTIM6[i % 4]) / IPv6ExtHdrFragment(id=rng.getrandbits(32)) / l4, 1280)
    return _tcpreplay(al, "frag", family, pkts, count, rate, duration)


# Reflection: well-known source port, response sizes as such responses are.
REFLECTION = {
    "dns": (53, (500, 3000)),        # EDNS0 ANY/TXT answers; > MTU ones fragment
    "ntp": (123, (468, 468)),        # monlist: 6 x 72 B entries, 468 B IP packets
    "ssdp": (1900, (300, 360)),      # HTTP/1.1 200 OK M-SEARCH answers
    "memcached": (11211, (1400, 3000)),  # "VALUE ..." stats/get answers, large
    "cldap": (389, (1400, 3000)),    # searchResEntry of rootDSE
    "chargen": (19, (500, 1100)),    # chargen lines, as much as fits
}


def _reflection_payload(service, rng, ip_size, ipv6):
    """A response payload of the service whose IP packet is ip_size bytes."""
    hdr = 48 if ipv6 else 28
    n = max(16, ip_size - hdr)
    if service == "dns":
        from scapy.all import DNS, DNSQR, DNSRR  # noqa: E402
        d = DNS(id=rng.randrange(65536), qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname="example.com", qtype="ANY"))
        base = len(bytes(d))
        rrs, left = [], n - base
        while left > 12 + 12:
            chunk = min(255, left - 12 - 12)
            rrs.append(DNSRR(rrname="example.com", type="TXT", ttl=3600, rdata=[b"v" * chunk]))
            left -= 12 + 1 + chunk + 12  # name, txt length byte, rdata, header
        d.an = rrs
        d.ancount = len(rrs)
        raw = bytes(d)
        return raw[:n] if len(raw) >= n else raw + b"\0" * (n - len(raw))
    if service == "ntp":
        # mode 7 response, implementation 3, MON_GETLIST_1, 6 items of 72 B
        body = bytes([0x97, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48])
        return (body + bytes(rng.getrandbits(8) for _ in range(72)) * 6)[:n]
    if service == "ssdp":
        txt = ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
               "LOCATION: http://192.0.2.%d:1900/rootDesc.xml\r\nSERVER: Linux/3.x UPnP/1.0 miniupnpd/1.9\r\n"
               "ST: upnp:rootdevice\r\nUSN: uuid:%08x-0000-0000-0000-000000000000::upnp:rootdevice\r\n\r\n"
               % (rng.randrange(200), rng.getrandbits(32))).encode()
        return (txt + b" " * n)[:n]
    if service == "memcached":
        frame = bytes([0, rng.randrange(256), 0, 0, 0, 1, 0, 0])
        return (frame + b"VALUE a 0 %d\r\n" % n + b"A" * n)[:n]
    if service == "cldap":
        return (bytes([0x30, 0x84, 0, 0, (n >> 8) & 0xff, n & 0xff, 0x02, 0x01, 0x01, 0x64]) + b"\x04" * n)[:n]
    if service == "chargen":
        line = bytes(range(33, 127)) * 2
        out = b""
        i = 0
        while len(out) < n:
            out += line[i % 95:i % 95 + 72] + b"\r\n"
            i += 1
        return out[:n]
    raise ValueError(service)


def reflection(al, service="dns", family=4, count=COUNT, rate=None, duration=4.0, n_reflectors=64, n_pkts=512,
               pcap=None):
    """Responses of `service` from n_reflectors reflectors (spoofed pool)
    to the victim's addresses, random destination ports, sizes as in
    REFLECTION; bigger than the MTU they are fragmented as a real
    reflector's kernel would (IPv6: fragment headers). scapy + tcpreplay.
    Building the packets takes seconds: pcap, from reflection_pcap() called
    earlier, lets the flood start at once."""
    if pcap is None:
        pcap = reflection_pcap(al, service, family, n_reflectors, n_pkts)
    return _tcpreplay(al, service, family, None, count, rate, duration, path=pcap)


def reflection_pcap(al, service="dns", family=4, n_reflectors=64, n_pkts=512):
    """The pcap reflection() replays; returns its path."""
    from scapy.all import IP, UDP, IPv6, IPv6ExtHdrFragment, Raw, fragment, fragment6  # noqa: E402
    port, (lo, hi) = REFLECTION[service]
    rng = al.rng
    refl = spoof4(rng, n_reflectors) if family == 4 else spoof6(rng, n_reflectors)
    pkts = []
    for i in range(n_pkts):
        size = rng.randrange(lo, hi + 1)
        pl = _reflection_payload(service, rng, size, family == 6)
        l4 = UDP(sport=port, dport=rng.randrange(1024, 65535)) / Raw(pl)
        if family == 4:
            p = IP(src=refl[i % n_reflectors], dst=VICTIM4[i % 4], ttl=rng.randrange(40, 60),
                   id=rng.randrange(65536)) / l4
            pkts += fragment(p, fragsize=1480) if len(p) > 1500 else [p]
        else:
            p = IPv6(src=refl[i % n_reflectors], dst=VICTIM6[i % 4], hlim=rng.randrange(40, 60)) / l4
            pkts += fragment6(IPv6(src=p.src, dst=p.dst, hlim=p.hlim) / IPv6ExtHdrFragment(id=rng.getrandbits(32)) /
                              l4, 1280) if len(p) > 1500 else [p]
    return _write_pcap(al, service, family, pkts)


def carpet_bombing(al, family=4, proto="udp", count=COUNT, rate=None, duration=4.0):
    """A flood spread over every address of the victim prefix, each a small
    share: trafgen with a random last byte of the destination, from one real
    source (v4) or spoofed sources (v6). (hping3 --rand-dest 198.51.100.x
    reached only ~170 of the 256 addresses in 100k packets.)"""
    l4 = ("udp(sp=drnd(1024, 65535), dp=drnd(1024, 65535)), fill(0x43, 32)" if proto == "udp"
          else "tcp(sp=drnd(1024, 65535), dp=80, seq=drnd(), syn, win=64240)")
    if family == 4:
        _, a4, _, _ = attacker_addrs(0)
        ip = "ipv4(sa=%s, da=%s, da[3]=drnd(), ttl=64, id=drnd())" % (a4[0], VICTIM4[0])
    else:
        ip = "ipv6(sa=%s1, sa[12:4]=drnd(), da=%s, da[15]=drnd(), hl=64)" % (SPOOF6_BASE, VICTIM6[0])
    return _trafgen(al, "carpet", family, ["%s, %s" % (ip, l4)], count, rate, duration)


# -- legitimate traffic ---------------------------------------------------------

_SERVER = r'''
import socket, socketserver, sys, threading
addrs4, addrs6 = sys.argv[1].split(","), sys.argv[2].split(",")
class H(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            n = int(self.rfile.readline().split()[1])
            if n < 0:                       # bulk upload: read until EOF
                while self.rfile.read(65536):
                    pass
                self.wfile.write(b"ok\n")
            else:
                self.wfile.write(b"x" * n)
        except Exception:
            pass
class T4(socketserver.ThreadingTCPServer):
    allow_reuse_address = True; daemon_threads = True; request_queue_size = 256
class T6(T4):
    address_family = socket.AF_INET6
def udp(fam, a):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((a, 53))
    while True:
        q, peer = s.recvfrom(2048)
        # a DNS answer: the query with QR set and one A record (16 B)
        s.sendto(q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00" + q[12:] +
                 b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc6\x33\x64\x01", peer)
for a in addrs4:
    threading.Thread(target=T4((a, 8080), H).serve_forever, daemon=True).start()
    threading.Thread(target=udp, args=(socket.AF_INET, a), daemon=True).start()
for a in addrs6:
    threading.Thread(target=T6((a, 8080), H).serve_forever, daemon=True).start()
    threading.Thread(target=udp, args=(socket.AF_INET6, a), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
'''

_CLIENT = r'''
import os, random, socket, struct, sys, time, json
srcs, dsts, dur, kind, seed = sys.argv[1].split(","), sys.argv[2].split(","), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
pace = float(sys.argv[6])   # s between exchanges (tcp, dns); 0: as fast as they go
rng = random.Random(seed)
fam = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET
end = time.time() + dur
n = {"tcp": 0, "dns": 0, "bulk_bytes": 0, "errors": 0}
due = time.time()
while time.time() < end:
    if pace and kind != "bulk":     # no catching up after a slow exchange
        due = max(due + pace, time.time() - pace)
        time.sleep(max(0.0, due - time.time()))
    s, d = rng.choice(srcs), rng.choice(dsts)
    try:
        if kind == "tcp":           # a short request/response over a full handshake
            c = socket.socket(fam(d), socket.SOCK_STREAM); c.settimeout(2); c.bind((s, 0))
            c.connect((d, 8080)); c.sendall(b"GET %d\n" % rng.choice((200, 1400, 6000, 20000)))
            while c.recv(65536):
                pass
            c.close(); n["tcp"] += 1
        elif kind == "dns":         # a DNS A query, answered small
            u = socket.socket(fam(d), socket.SOCK_DGRAM); u.settimeout(0.5); u.bind((s, 0))
            name = b"".join(bytes([len(p)]) + p for p in (b"www%d" % rng.randrange(1000), b"example", b"com")) + b"\0"
            u.sendto(struct.pack(">HHHHHH", rng.randrange(65536), 0x0100, 1, 0, 0, 0) + name + b"\0\1\0\1", (d, 53))
            u.recvfrom(2048); u.close(); n["dns"] += 1
        else:                       # bulk upload, paced to about 4 MB/s
            c = socket.socket(fam(d), socket.SOCK_STREAM); c.settimeout(5); c.bind((s, 0))
            c.connect((d, 8080)); c.sendall(b"PUT -1\n")
            chunk = os.urandom(16384)
            t = time.time()
            while time.time() < min(end, t + 2):
                c.sendall(chunk); n["bulk_bytes"] += len(chunk); time.sleep(0.004)
            c.shutdown(socket.SHUT_WR); c.recv(16); c.close()
    except OSError:
        n["errors"] += 1
print(json.dumps(n), flush=True)
'''


def legit_mix(al, family=4, duration=4.0, tcp_workers=3, dns_workers=2, bulk=True, count=None, rate=None):
    """Legitimate traffic from the client's 13 addresses (v4 or v6) to the
    victim's four: TCP connections that complete their handshake and carry
    a request and a 200 B-20 kB answer, DNS-style queries on UDP 53 with
    small answers, and one paced bulk upload; for `duration` seconds.
    rate: TCP and DNS exchanges per second over all their workers (None:
    each worker as fast as it goes, some thousands per second here).
    The server runs on the victim for the call only. Returns a Flood whose
    `sent` is None (the kernel sends; see `done` for completed exchanges)."""
    srcs, dsts = (CLIENT4, VICTIM4) if family == 4 else (CLIENT6, VICTIM6)
    pace = (tcp_workers + dns_workers) / rate if rate else 0.0
    py = "/usr/bin/python3"
    server = al.lab.popen("victim", [py, "-c", _SERVER, ",".join(VICTIM4), ",".join(VICTIM6)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError("legit server did not start")
        kinds = ["tcp"] * tcp_workers + ["dns"] * dns_workers + (["bulk"] if bulk else [])
        t0 = time.time()
        procs = [al.lab.popen("client", ["timeout", "-k", "3", "%.1f" % (duration + 10), py, "-c", _CLIENT,
                                         ",".join(srcs), ",".join(dsts), "%.1f" % duration, k, str(i), "%f" % pace],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for i, k in enumerate(kinds)]
        done = {"tcp": 0, "dns": 0, "bulk_bytes": 0, "errors": 0}
        for p in procs:
            out = p.communicate(timeout=duration + 20)[0].strip()
            for k, v in (json.loads(out.splitlines()[-1]) if out else {"errors": 1}).items():
                done[k] += v
        t1 = time.time()
    finally:
        server.terminate()
        server.wait(timeout=5)
    return Flood(cls="legit", family=family, tool="python sockets", sent=None, t0=t0, t1=t1, done=done,
                 cmd="client: %d tcp, %d dns, %d bulk workers, %s exchanges/s; server: python on victim "
                 ":8080/tcp :53/udp" % (tcp_workers, dns_workers, int(bulk), rate or "unpaced"))


def in_background(gen, *args, **kw):
    """Run a generator in a thread (a latency benchmark floods while it
    watches for the first drop); .result(timeout) joins and returns its
    Flood, or raises what the generator raised."""
    import concurrent.futures
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    fut = pool.submit(gen, *args, **kw)
    pool.shutdown(wait=False)
    return fut


# -- signatures the self-check asserts --------------------------------------------

def _in_victim(r):
    a = ipaddress.ip_address(r["dst"])
    return a in (VICTIM_NET4 if a.version == 4 else VICTIM_NET6)


def _tcp(r, flags, mask=0x3f):
    return r["l4_proto"] == 6 and (r.get("tcp_flags", 0) & mask) == flags


def _distinct(recs, key):
    return len({r[key] for r in recs})


def _check_syn(spoofed):
    def check(recs, fam):
        syn = [r for r in recs if _tcp(r, 0x02, 0x12)]
        assert len(syn) >= 0.99 * len(recs), "SYN without ACK: %d of %d" % (len(syn), len(recs))
        n = _distinct(syn, "src")
        if spoofed:
            assert n > 200, "spoofed: only %d distinct sources" % n
        else:
            assert n == 4, "four real sources expected, saw %d" % n
        return "SYN w/o ACK %d/%d, %d sources" % (len(syn), len(recs), n)
    return check


def _check_flags(flags, name):
    def check(recs, fam):
        ok = [r for r in recs if _tcp(r, flags)]
        assert len(ok) >= 0.99 * len(recs), "%s: %d of %d" % (name, len(ok), len(recs))
        return "%s %d/%d" % (name, len(ok), len(recs))
    return check


def _check_proto(proto, icmp_type=None):
    def check(recs, fam):
        ok = [r for r in recs if r["l4_proto"] == proto and (icmp_type is None or r.get("icmp_type") == icmp_type)]
        assert len(ok) >= 0.99 * len(recs), "proto %d: %d of %d" % (proto, len(ok), len(recs))
        return "proto %d%s %d/%d" % (proto, "" if icmp_type is None else " type %d" % icmp_type, len(ok), len(recs))
    return check


def _check_reflection(service):
    port, (lo, hi) = REFLECTION[service]

    def check(recs, fam):
        first = [r for r in recs if r["l4_proto"] == 17 and r.get("sport") == port]
        later = [r for r in recs if r["frag"] & 0x04]
        assert len(first) + len(later) == len(recs), "other traffic mixed in"
        assert first and all(r.get("dport", 0) >= 1024 for r in first)
        # The first fragment (or whole datagram) is at least `lo` bytes
        # unless the datagram was cut into smaller pieces.
        sizes = sorted(r["ip_len"] for r in first)  # the whole IP packet, v4 and v6
        med = sizes[len(sizes) // 2]
        assert med >= min(lo, 1200), "median response %d B, expected >= %d" % (med, lo)
        if hi > 1500:
            assert later, "large answers should fragment"
        return "sport %d %d, frags %d, median %d B" % (port, len(first), len(later), med)
    return check


def _check_frag(recs, fam):
    bit = 0x08 if fam == 6 else 0x06
    ok = [r for r in recs if r["frag"] & bit]
    assert len(ok) == len(recs), "fragment flags on %d of %d" % (len(ok), len(recs))
    later = sum(1 for r in recs if r["frag"] & 0x04)
    assert later > 0.3 * len(recs), "non-first fragments %d of %d" % (later, len(recs))
    return "frag flags %d/%d, non-first %d" % (len(ok), len(recs), later)


def _check_carpet(recs, fam):
    n = _distinct(recs, "dst")
    assert n > 200, "only %d destinations" % n
    per = len(recs) / n
    return "%d destinations, %.0f pkts each" % (n, per)


def _check_legit(recs, fam):
    tcp = [r for r in recs if r["l4_proto"] == 6]
    syn = sum(1 for r in tcp if _tcp(r, 0x02, 0x12))
    data = sum(1 for r in tcp if r["l4_payload_len"] > 0)
    dns = sum(1 for r in recs if r["l4_proto"] == 17 and r.get("dport") == 53)
    srcs = _distinct(recs, "src")
    assert syn and data > syn, "handshakes %d, data segments %d" % (syn, data)
    assert dns > 50, "DNS queries %d" % dns
    assert srcs >= 10, "sources %d" % srcs
    return "SYN %d, data segs %d, DNS q %d, %d sources" % (syn, data, dns, srcs)


def _flood_filter(name):
    """Which records belong to the flood (the rest is ND/ARP noise)."""
    if name == "legit":
        return lambda r: r["ip_version"] in (4, 6) and r["l4_proto"] in (6, 17) and _in_victim(r)
    return lambda r: r["ip_version"] in (4, 6) and _in_victim(r) and not (
        r["l4_proto"] == 58 and r.get("icmp_type", 0) >= 133)


CLASSES = {
    "syn_spoofed": ((4, 6), lambda al, f, **kw: syn_flood(al, f, spoofed=True, **kw), _check_syn(True)),
    "syn_real": ((4, 6), lambda al, f, **kw: syn_flood(al, f, spoofed=False, **kw), _check_syn(False)),
    "udp": ((4, 6), udp_flood, _check_proto(17)),
    "icmp": ((4,), icmp_flood, _check_proto(1, 8)),
    "icmpv6": ((6,), icmpv6_flood, _check_proto(58, 128)),
    "ack": ((4, 6), ack_flood, _check_flags(0x10, "ACK only")),
    "rst": ((4, 6), rst_flood, _check_flags(0x04, "RST")),
    "frag": ((4, 6), frag_flood, _check_frag),
    "carpet": ((4, 6), carpet_bombing, _check_carpet),
    "legit": ((4, 6), legit_mix, _check_legit),
}
for _svc in REFLECTION:
    CLASSES[_svc] = ((4, 6), (lambda s: lambda al, f, **kw: reflection(al, s, f, **kw))(_svc), _check_reflection(_svc))


class Result(dict):
    """One measured run: cls, family, tool, sent, seen (exact counter delta),
    records (the flood's records), pps (seen / active time), duration (first
    to last record of the flood), check (what the signature check found)."""
    __getattr__ = dict.get


def _counted(before, after, family):
    fam = "ipv4" if family == 4 else "ipv6"
    return sum(v - before.get(k, 0) for k, v in after.items() if k[0] == fam)


def measure(al, name, family, check=True, **kw):
    """Run class `name` for `family` against al's victim; return a Result."""
    families, gen, chk = CLASSES[name]
    assert family in families, "%s has no IPv%d variant" % (name, family)
    al.reset_records()
    before, ev0 = al.counters()
    flood = gen(al, family, **kw)
    recs = [r for r in al.collector.records() if _flood_filter(name)(r) and r["ip_version"] == family]
    after, ev1 = al.counters()
    seen = _counted(before, after, family)
    lost = ev1.get("records_lost_ringbuf_full", 0) - ev0.get("records_lost_ringbuf_full", 0)
    dur = (recs[-1]["ts_ns"] - recs[0]["ts_ns"]) / 1e9 if len(recs) > 1 else 0.0
    # Rate over the records' time span, scaled to every packet counted.
    pps = seen / dur if dur > 0 else 0.0
    res = Result(cls=name, family=family, tool=flood.tool, sent=flood.sent, seen=seen, records=len(recs),
                 lost=lost, pps=pps, duration=dur, wall=flood.t1 - flood.t0, cmd=flood.cmd, done=flood.done)
    if check:
        assert recs, "%s/v%d: no records" % (name, family)
        res["check"] = chk(recs, family)
        if flood.done:
            res["check"] += " (client: %s)" % ", ".join("%s %d" % kv for kv in flood.done.items())
    return res


def _print_table(results):
    print("\n%-12s %-4s %-16s %9s %9s %9s %10s %8s  %s" %
          ("class", "fam", "tool", "sent", "seen", "records", "pps seen", "dur s", "signature"))
    for r in results:
        print("%-12s v%-3d %-16s %9s %9d %9d %10.0f %8.2f  %s" %
              (r.cls, r.family, r.tool, "-" if r.sent is None else r.sent, r.seen, r.records, r.pps,
               r.duration, r.get("check") or r.get("error", "")))


def selfcheck(names, count=None, rate=None, duration=None, verbose=False):
    results, failed = [], []
    kw = {}
    if count:
        kw["count"] = count
    if rate:
        kw["rate"] = rate
    if duration:
        kw["duration"] = duration
    with AttackLab() as al:
        for name in names:
            for fam in CLASSES[name][0]:
                try:
                    r = measure(al, name, fam, **kw)
                except Exception as e:  # noqa: BLE001  (report every class)
                    r = Result(cls=name, family=fam, tool="?", sent=None, seen=0, records=0, pps=0,
                               duration=0, error="FAIL: %s" % e)
                    failed.append(r)
                if verbose:
                    print("  %s v%d: %s" % (name, fam, r.cmd), flush=True)
                results.append(r)
                print("%s v%d: seen %d, %.0f pps, %s" % (name, fam, r.seen, r.pps, r.get("check") or r.get("error")),
                      flush=True)
    _print_table(results)
    if failed:
        print("\n%d failed" % len(failed))
    return not failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--selfcheck", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--count", type=int)
    ap.add_argument("--rate", type=int)
    ap.add_argument("--duration", type=float)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("classes", nargs="*")
    a = ap.parse_args()
    if a.list:
        for n, (fams, _, _) in CLASSES.items():
            print(n, " ".join("v%d" % f for f in fams))
        return 0
    if not a.selfcheck:
        ap.print_help()
        return 2
    names = a.classes or list(CLASSES)
    bad = [n for n in names if n not in CLASSES]
    if bad:
        ap.error("unknown class: %s" % " ".join(bad))
    return 0 if selfcheck(names, a.count, a.rate, a.duration, a.verbose) else 1


if __name__ == "__main__":
    sys.exit(main())
