"""conftest.py: start the real rtprelayd for integration tests.

Fixtures (reusable by every integration test file):

    def test_x(daemon):                 # a daemon with defaults (loopback, 1 worker)
        ng = daemon.ng()                # NgClient over UDP/bencode ("json" for JSON)
        ng = daemon.tcp(); ng = daemon.unix()

    def test_y(daemon_factory):         # several daemons or extra options
        d = daemon_factory("--max-sessions=1", "--port-min=40000", "--port-max=40003")
        d = daemon_factory(config="[rtprelay]\\ntimeout = 5\\n")   # a config file
        d = daemon_factory("--max-load=2", env={"RTPRELAY_PROC_DIR": path})  # environment

The binary is $RTPRELAY_BUILD/daemon/rtprelayd (default /work/main/build). Control
ports are picked free; each daemon gets its own media port range (daemon.port_min /
daemon.port_max) unless the test passes --port-min/--port-max. Daemons are stopped by
PID (SIGTERM, then SIGKILL) at teardown; their stderr is in daemon.log_text().
"""

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ngclient import NgClient, NgError  # noqa: E402

BUILD = os.environ.get("RTPRELAY_BUILD", "/work/main/build")
DAEMON_BIN = os.path.join(BUILD, "daemon", "rtprelayd")


def free_port(kind=socket.SOCK_DGRAM, host="127.0.0.1"):
    """A port free for both UDP and TCP right now."""
    for _ in range(100):
        s = socket.socket(socket.AF_INET, kind)
        s.bind((host, 0))
        port = s.getsockname()[1]
        s.close()
        other = socket.socket(socket.AF_INET,
                              socket.SOCK_STREAM if kind == socket.SOCK_DGRAM
                              else socket.SOCK_DGRAM)
        try:
            other.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            other.close()
    raise RuntimeError("no free port")


def media_range(size=200, low=20000, high=60000):
    """A random even-aligned media port range in [low, high) that is currently unused
    (best effort: a small range is checked port by port, a large one at three points)."""
    for _ in range(50):
        base = random.randrange(low, high - size) & ~1
        ok = True
        probe = range(base, base + size) if size <= 32 else \
            (base, base + size // 2, base + size - 1)
        for p in probe:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return base, base + size - 1
    raise RuntimeError("no free media range")


class Daemon:
    def __init__(self, args=(), config=None, num_threads=1, expect_fail=False,
                 unix=True, tcp=True, ready_via_unix=False, env=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="rtprelay-test-")
        self.ng_port = free_port()
        self.tcp_port = free_port(socket.SOCK_STREAM) if tcp else None
        self.unix_path = os.path.join(self.tmp.name, "ng.sock") if unix else None
        self.port_min, self.port_max = media_range()
        argv = [DAEMON_BIN, "--foreground"]
        if config is not None:
            cfg = os.path.join(self.tmp.name, "rtprelay.conf")
            with open(cfg, "w") as f:
                f.write(config)
            argv.append("--config=" + cfg)
        joined = " ".join(args)
        if "--interface" not in joined and (config is None or "interface" not in config):
            argv.append("--interface=127.0.0.1")
        if "--listen-ng" not in joined:
            argv.append("--listen-ng=127.0.0.1:%d" % self.ng_port)
        if tcp:
            argv.append("--listen-tcp=127.0.0.1:%d" % self.tcp_port)
        if unix:
            argv.append("--listen-unix=" + self.unix_path)
        if "--port-min" not in joined:
            argv.append("--port-min=%d" % self.port_min)
        if "--port-max" not in joined:
            argv.append("--port-max=%d" % self.port_max)
        if "--num-threads" not in joined:
            argv.append("--num-threads=%d" % num_threads)
        if "--log-level" not in joined and (config is None or "log-level" not in config):
            argv.append("--log-level=debug")
        argv.extend(args)
        for a in args:
            if a.startswith("--port-min="):
                self.port_min = int(a.split("=", 1)[1])
            if a.startswith("--port-max="):
                self.port_max = int(a.split("=", 1)[1])
        self.argv = argv
        self.log_path = os.path.join(self.tmp.name, "stderr.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     env=dict(os.environ, **env) if env else None)
        self.ready_via_unix = ready_via_unix
        if not expect_fail:
            self.wait_ready()

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("rtprelayd exited with %d:\n%s"
                                   % (self.proc.returncode, self.log_text()))
            try:
                if self.ready_via_unix:
                    ng = NgClient.unix(self.unix_path, timeout=0.2)
                else:
                    ng = NgClient.udp(("127.0.0.1", self.ng_port), timeout=0.2)
                with ng:
                    if ng.ping().get("result") == "pong":
                        return
            except (OSError, NgError):
                pass
            time.sleep(0.05)
        raise RuntimeError("rtprelayd not ready:\n" + self.log_text())

    @staticmethod
    def free_v6_port():
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def ng(self, encoding="bencode", timeout=5.0):
        return NgClient.udp(("127.0.0.1", self.ng_port), encoding, timeout)

    def tcp(self, encoding="bencode", timeout=5.0):
        return NgClient.tcp(("127.0.0.1", self.tcp_port), encoding, timeout)

    def unix(self, encoding="bencode", timeout=5.0):
        return NgClient.unix(self.unix_path, encoding, timeout)

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_exit(self, timeout=10.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Stop by PID; returns the exit code (None if it had to be killed)."""
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                rc = None
        self._log.close()
        return rc

    def cleanup(self):
        self.stop()
        self.tmp.cleanup()


@pytest.fixture
def daemon_factory():
    started = []

    def make(*args, **kw):
        d = Daemon(args, **kw)
        started.append(d)
        return d

    yield make
    bad = []
    for d in started:
        was_running = d.alive()
        rc = d.stop()
        if was_running and rc != 0:
            # a clean SIGTERM shutdown exits 0; sanitizer reports end up here too
            bad.append("rtprelayd exit %s:\n%s" % (rc, d.log_text()[-4000:]))
        d.tmp.cleanup()
    if bad:
        pytest.fail("\n".join(bad))


@pytest.fixture
def daemon(daemon_factory):
    d = daemon_factory()
    yield d
    assert d.alive(), "rtprelayd died during the test:\n" + d.log_text()


@pytest.fixture
def no_sanitizer_report(daemon):
    """Fails the test when the daemon's log shows a sanitizer report (a test
    module opts in with pytestmark = pytest.mark.usefixtures(...))."""
    yield
    log = daemon.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]


@pytest.fixture
def ng(daemon):
    with daemon.ng() as c:
        yield c
