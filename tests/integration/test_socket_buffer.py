"""socket-buffer: the receive buffer of every media socket (daemon/sockbuf.c).

- The kernel reports (ss -m, "rb") twice the size a socket was given; a media port
  of a call shows 2 * socket-buffer, the kernel's default (net.core.rmem_default)
  with socket-buffer = 0, and past net.core.rmem_max the asked size too when the
  daemon may use SO_RCVBUFFORCE (root).
- Without CAP_NET_ADMIN (the daemon run as nobody) a size past rmem_max is capped
  there, and the log says so once, with what the kernel gave.
- `rtprelay-ctl reload` applies a new value to sockets opened after it; the old
  call's sockets keep theirs.
- A burst while the daemon cannot read (SIGSTOP: deterministic, nothing else
  drains the socket) of 600 RTP packets into one stream: with socket-buffer = 0 the
  kernel drops part of it, with the default (1 MiB) the callee gets every packet.
"""

import os
import re
import signal
import socket
import struct
import subprocess
import time

import pytest

from dp_media import relay_targets
from ngclient import sdp_offer
from test_operate import ctl

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

RMEM_DEFAULT = int(open("/proc/sys/net/core/rmem_default").read())
RMEM_MAX = int(open("/proc/sys/net/core/rmem_max").read())


def rcvbuf(pid, port):
    """The rb of the daemon's UDP socket bound to 127.0.0.1:@port (ss -m)."""
    out = subprocess.run(["ss", "-uamnp", "src", "127.0.0.1:%d" % port],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    assert "pid=%d," % pid in out, out
    m = re.search(r"\brb(\d+)\b", out)
    assert m, out
    return int(m.group(1))


def call(ng, cid, caller_port, callee_port):
    """A plain call caller -> callee; the relay's (port to caller, port to callee)."""
    r = ng.offer(cid, "A", sdp_offer(port=caller_port))
    assert r["result"] == "ok", r
    to_callee = relay_targets(r["sdp"])[0][1]
    r = ng.answer(cid, "A", "B", sdp_offer(port=callee_port))
    assert r["result"] == "ok", r
    return relay_targets(r["sdp"])[0][1], to_callee


def test_media_socket_gets_the_configured_buffer(daemon_factory):
    size = min(300000, RMEM_MAX)
    d = daemon_factory("--socket-buffer=%d" % size)
    with d.ng() as ng:
        to_a, to_b = call(ng, "sb-1", 41000, 41002)
        assert rcvbuf(d.proc.pid, to_a) == 2 * size
        assert rcvbuf(d.proc.pid, to_b) == 2 * size
        assert rcvbuf(d.proc.pid, to_a + 1) == 2 * size  # the RTCP socket too


def test_zero_leaves_the_kernels_default(daemon_factory):
    d = daemon_factory("--socket-buffer=0")
    with d.ng() as ng:
        to_a, _ = call(ng, "sb-2", 41000, 41002)
        assert rcvbuf(d.proc.pid, to_a) == RMEM_DEFAULT


@pytest.mark.skipif(os.geteuid() != 0, reason="SO_RCVBUFFORCE needs CAP_NET_ADMIN")
def test_above_rmem_max_as_root(daemon_factory):
    size = 2 * RMEM_MAX  # within the 256 MiB bound for any sane rmem_max
    if size > 268435456:
        pytest.skip("rmem_max is already huge")
    d = daemon_factory("--socket-buffer=%d" % size)
    with d.ng() as ng:
        to_a, _ = call(ng, "sb-3", 41000, 41002)
        assert rcvbuf(d.proc.pid, to_a) == 2 * size
    assert "socket-buffer: asked for" not in d.log_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to nobody needs root")
def test_capped_without_cap_net_admin_and_logged_once(daemon_factory, monkeypatch, tmp_path):
    import conftest
    if RMEM_MAX > 64 << 20:
        pytest.skip("rmem_max is already huge")
    # the daemon as nobody with no capabilities: SO_RCVBUFFORCE is refused
    wrapper = tmp_path / "as-nobody"
    wrapper.write_text("#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "
                       "--inh-caps=-all --bounding-set=-all %s \"$@\"\n" % conftest.DAEMON_BIN)
    wrapper.chmod(0o755)
    monkeypatch.setattr(conftest, "DAEMON_BIN", str(wrapper))
    size = 2 * RMEM_MAX
    d = daemon_factory("--socket-buffer=%d" % size, unix=False)
    with d.ng() as ng:
        to_a, to_b = call(ng, "sb-8", 41000, 41002)
        assert rcvbuf(d.proc.pid, to_a) == 2 * RMEM_MAX
        assert rcvbuf(d.proc.pid, to_b) == 2 * RMEM_MAX
    line = ("socket-buffer: asked for %d bytes per media socket, the kernel gives %d"
            % (size, RMEM_MAX))
    assert d.log_text().count(line) == 1, d.log_text()


def test_absurd_value_is_a_config_error(daemon_factory):
    d = daemon_factory("--socket-buffer=268435457", expect_fail=True)
    assert d.wait_exit(5) == 2
    assert "socket-buffer" in d.log_text() and "0..268435456" in d.log_text(), d.log_text()


CONF = "[rtprelay]\nsocket-buffer = %d\n"


def test_reload_applies_to_new_sockets(daemon_factory):
    first, second = min(200000, RMEM_MAX), min(400000, RMEM_MAX)
    d = daemon_factory(config=CONF % first)
    with d.ng() as ng:
        old, _ = call(ng, "sb-4", 41000, 41002)
        with open(os.path.join(d.tmp.name, "rtprelay.conf"), "w") as f:
            f.write(CONF % second)
        rc, out, err = ctl(d, "reload")
        assert rc == 0, err
        assert "reload: applied [socket-buffer]" in d.log_text()
        new, _ = call(ng, "sb-5", 41004, 41006)
        assert rcvbuf(d.proc.pid, new) == 2 * second
        assert rcvbuf(d.proc.pid, old) == 2 * first


def burst_delivered(d, cid, n=600):
    """Send @n RTP packets into one stream while the daemon is stopped; how many
    reach the callee."""
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    callee = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        callee.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        caller.bind(("127.0.0.1", 0))
        callee.bind(("127.0.0.1", 0))
        with d.ng() as ng:
            to_a, _ = call(ng, cid, caller.getsockname()[1], callee.getsockname()[1])
            dst = ("127.0.0.1", to_a)

            def pkt(seq):
                return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x1234) + bytes(160)

            # one packet first: the stream latches onto the caller and forwards
            caller.sendto(pkt(0), dst)
            callee.settimeout(2)
            callee.recv(2048)
            os.kill(d.proc.pid, signal.SIGSTOP)
            try:
                for seq in range(1, n + 1):
                    caller.sendto(pkt(seq), dst)
            finally:
                os.kill(d.proc.pid, signal.SIGCONT)
            got = 0
            callee.settimeout(0.5)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    callee.recv(2048)
                    got += 1
                except socket.timeout:
                    break
            return got
    finally:
        caller.close()
        callee.close()


def test_burst_is_kept_with_the_default_and_dropped_without(daemon_factory):
    if RMEM_DEFAULT >= 1 << 20:
        pytest.skip("this kernel's default buffer already holds the burst")
    d = daemon_factory("--socket-buffer=0")
    lost = 600 - burst_delivered(d, "sb-6")
    assert lost > 0, "the kernel's default buffer held 600 packets"
    if RMEM_MAX < 1 << 20 and os.geteuid() != 0:
        pytest.skip("1 MiB is above rmem_max and the daemon cannot force it")
    d2 = daemon_factory()  # socket-buffer's default: 1 MiB
    assert burst_delivered(d2, "sb-7") == 600
