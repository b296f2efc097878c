# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A lab of network namespaces joined by veth pairs, and the xdpwatch
processes that run in it; shared by the integration tests and the demo.

Every name carries a per-run tag so two labs never collide, and close()
removes every namespace, link, pin directory and process the lab made,
also when a test fails or the run is interrupted.

Addresses come from the documentation ranges only, and no namespace gets a
default route: traffic never leaves the lab.
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("XW_BUILD_DIR", os.path.join(ROOT, "build"))
COLLECTOR = os.environ.get("XW_COLLECTOR", os.path.join(BUILD, "collector", "xdpwatch-collector"))
CLI = os.environ.get("XW_CLI", os.path.join(BUILD, "cli", "xdpwatch"))
KAFKA_SH = os.path.join(ROOT, "scripts", "kafka.sh")


def run(cmd, check=True, timeout=60, **kw):
    """Run a command; on failure raise with its output, so tests say why."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


class Lab:
    """Namespaces and veth pairs; hosts are namespaces named <tag>-<name>."""

    def __init__(self, tag=None):
        self.tag = tag or "xw%d" % os.getpid()
        self.namespaces = []
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix=self.tag + "-")
        self.pin_root = "/sys/fs/bpf/%s" % self.tag
        self.lock_dir = os.path.join(self.tmp, "lock")
        self._closed = False
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, frame):
        self.close()
        raise SystemExit(128 + signum)

    def ns(self, name):
        return "%s-%s" % (self.tag, name)

    def add_host(self, name):
        ns = self.ns(name)
        run(["ip", "netns", "add", ns])
        self.namespaces.append(ns)
        self.sh(name, ["ip", "link", "set", "lo", "up"])
        # No router lives in the lab: no router solicitations (by default
        # resent forever with backoff), so none lands in an exact count.
        self.sh(name, ["sysctl", "-qw", "net.ipv6.conf.default.router_solicitations=0"])
        return ns

    def link(self, a, a_if, b, b_if):
        """A veth pair between hosts a and b (interface names <= 15 chars)."""
        run(["ip", "link", "add", a_if, "netns", self.ns(a), "type", "veth",
             "peer", "name", b_if, "netns", self.ns(b)])
        for host, ifname in ((a, a_if), (b, b_if)):
            # No DAD: addresses are usable at once, and no stray NS packets
            # arrive in the middle of a count.
            self.sh(host, ["sysctl", "-qw", "net.ipv6.conf.%s.accept_dad=0" % ifname])
            self.sh(host, ["ip", "link", "set", ifname, "up"])

    def addr(self, host, ifname, cidr):
        extra = ["nodad"] if ":" in cidr else []
        self.sh(host, ["ip", "addr", "add", cidr, "dev", ifname] + extra)

    def sh(self, host, cmd, check=True, timeout=60):
        """Run cmd inside host's network namespace (mount namespace kept,
        so pins made there land in the host's bpffs)."""
        return run(["nsenter", "--net=/run/netns/" + self.ns(host)] + cmd,
                   check=check, timeout=timeout)

    def popen(self, host, cmd, **kw):
        p = subprocess.Popen(["nsenter", "--net=/run/netns/" + self.ns(host)] + cmd, **kw)
        self.procs.append(p)
        return p

    def close(self):
        if self._closed:
            return
        self._closed = True
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.pin_root, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Collector:
    """xdpwatch-collector for interfaces of a lab host, records to a file.

    It runs in our own network namespace and attaches inside the host's
    (--netns), as a host agent watching containers would: so it reaches a
    broker on 127.0.0.1. Its pins and CLI name are then <ifname>@<netns>.
    """

    def __init__(self, lab, host, ifname, sample_rate=1, extra=()):
        self.lab, self.host, self.ifname = lab, host, ifname
        self.key = "%s@%s" % (ifname, lab.ns(host))
        self.records_path = os.path.join(lab.tmp, "records-%s.json" % ifname)
        self.log_path = os.path.join(lab.tmp, "collector-%s.log" % ifname)
        self.args = [COLLECTOR, "--netns", lab.ns(host), "-i", ifname, "-s", str(sample_rate),
                     "-o", self.records_path,
                     "--set", "pin_root=" + lab.pin_root,
                     "--set", "lock_dir=" + lab.lock_dir,
                     "--set", "stats_interval_s=1",
                     "--set", "poll_timeout_ms=20"] + list(extra)
        self.proc = None

    def start(self, expect="watching ", timeout=20):
        """timeout: each interface's program is loaded and verified on
        its own, so a collector of several on a busy machine needs more."""
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log)
        self.lab.procs.append(self.proc)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if expect in self.log_text():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("collector exited %d:\n%s" % (self.proc.returncode, self.log_text()))
            time.sleep(0.05)
        raise RuntimeError("collector did not attach:\n" + self.log_text())

    def log_text(self):
        # A byte that is not UTF-8 must fail an assertion, not the reader.
        with open(self.log_path, errors="backslashreplace") as f:
            return f.read()

    def stop(self, sig=signal.SIGINT, timeout=10):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        self.log.close()
        self.check_sanitizers()
        return rc

    # What ASan, LSan and UBSan print (scripts/test.sh's build-asan run).
    # A test that only looks at the exit code of some stops, or none,
    # would otherwise pass with a report in the log.
    SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                         "runtime error:")

    def check_sanitizers(self):
        text = self.log_text()
        for mark in self.SANITIZER_REPORTS:
            if mark in text:
                raise AssertionError("collector sanitizer report (%s):\n%s"
                                     % (mark, text[max(0, text.index(mark) - 200):][:6000]))

    def records(self):
        """Every record written so far, parsed; waits until the file has not
        grown for 0.5 s (the drain writes within poll_timeout_ms = 20 ms,
        but a loaded machine can hold it back)."""
        last, still = -1, 0
        for _ in range(200):
            size = os.path.getsize(self.records_path) if os.path.exists(self.records_path) else 0
            still = still + 1 if size == last else 0
            if still >= 5:
                break
            last = size
            time.sleep(0.1)
        out = []
        with open(self.records_path) as f:
            for line in f:
                out.append(json.loads(line))
        return out


def cli(lab, *args, check=True):
    return run([CLI, "--pin-root", lab.pin_root, "--lock-dir", lab.lock_dir] + list(args), check=check)


def cli_json(lab, *args):
    out = cli(lab, *args, "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def traffic(lab, ifname):
    """{(family, l4, action): packets} from the pinned counters."""
    stats = cli_json(lab, "-i", ifname, "stats")[0]
    return {(t["family"], t["l4"], t["action"]): t["packets"] for t in stats["traffic"]}, stats["events"]


class Broker:
    """The single-node Kafka broker of scripts/kafka.sh, on 127.0.0.1 at
    XW_KAFKA_PORT with its data in XW_KAFKA_DATA (the script's defaults,
    19092 and /var/lib/xdpwatch/kafka, when unset), so a developer can run
    the tests against a broker of their own beside CI's.

    Policy: ensure() starts the broker when it is not running; close() stops
    it again only if ensure() found it stopped. A broker that was already
    running (a developer's, another suite's) is left running, and brought
    back up if a test stopped it; a run that started one leaves none behind.
    stop() and start() (data kept) are for outage tests.
    """

    def __init__(self, port=None, data=None, secure=False):
        """port, data: this broker's own (default: the environment's, then
        the script's defaults). secure: kafka.sh's secured mode (SASL_SSL,
        ACLs); credentials() gives a user's client properties."""
        self.port = int(port or os.environ.get("XW_KAFKA_PORT", "19092"))
        self.data = data or os.environ.get("XW_KAFKA_DATA", "/var/lib/xdpwatch/kafka")
        self.bootstrap = "127.0.0.1:%d" % self.port
        self.env = dict(os.environ, XW_KAFKA_PORT=str(self.port), XW_KAFKA_DATA=self.data)
        if port:
            # Its controller port follows its own client port.
            self.env.pop("XW_KAFKA_CONTROLLER_PORT", None)
        if secure:
            self.env["XW_KAFKA_SECURE"] = "1"
        self.was_running = None

    def credentials(self, user, flavour="librdkafka"):
        """A secured broker's client properties for user: {name: value},
        librdkafka's names (or the Java clients' with flavour "java")."""
        out = self.sh("credentials", user, flavour).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if line.strip())

    def sh(self, *args, check=True, timeout=120):
        return run([KAFKA_SH] + list(args), check=check, timeout=timeout, env=self.env)

    def running(self):
        return self.sh("status", check=False).returncode == 0

    def ensure(self):
        if self.was_running is None:
            self.was_running = self.running()
            atexit.register(self.close)
        # The first start on a machine fetches the jars: minutes.
        self.start()
        return self

    def start(self):
        self.sh("start", timeout=900)

    def stop(self):
        self.sh("stop", timeout=120)

    def close(self):
        if self.was_running is None:
            return
        was, self.was_running = self.was_running, None
        if was:
            if not self.running():
                self.start()
        else:
            self.stop()
