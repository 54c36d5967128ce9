"""test_takeover_offload.py: kernel-offloaded streams keep forwarding in the kernel
throughout a takeover (docs/architecture.md, Takeover; kernel-offload/offload_adopt.h).

    caller ns 10.64.1.2 ── veth ── relay ns (old rtprelayd, then its successor) ── veth ── callee ns 10.64.2.2

The old daemon hands its eBPF maps (relay_streams, relay_stats) to the successor,
which loads its program on them and replaces the old one at the same tc handle.
A call carried by the kernel gets RTP at 50 packets/s each way while the old
daemon is frozen (SIGSTOP) with the successor already waiting for it, while the
hand-over runs, and afterwards: every packet arrives, in order; `query` says
"kernelized" before and after; the successor's packet counters continue the
kernel's (more than it could have counted itself since it took over).

Needs root; skipped otherwise.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ngclient import NgClient, sdp_media_ports  # noqa: E402
from test_offload_netns import drain, ns_socket, rtp, sh  # noqa: E402

BUILD = os.environ.get("RTPRELAY_BUILD", "/work/main/build")
DAEMON = os.path.join(BUILD, "daemon", "rtprelayd")
CLI = os.path.join(BUILD, "tests", "tools", "offload-cli")
TAG = "rtko%d" % (os.getpid() % 100000)
NS = {n: "%s-%s" % (TAG, n) for n in ("caller", "relay", "callee")}
RELAY_IP, CALLER_IP, CALLEE_IP = "10.64.1.1", "10.64.1.2", "10.64.2.2"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not os.path.exists(CLI), reason="built without offload"),
]


@pytest.fixture(scope="module")
def topo():
    for ns in NS.values():
        sh("ip", "netns", "del", ns, check=False)
    try:
        for ns in NS.values():
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        for peer, pif, rif, i in (("caller", "kc0", "kr0", 1), ("callee", "ke1", "kr1", 2)):
            sh("ip", "link", "add", pif, "netns", NS[peer], "type", "veth", "peer", "name", rif,
               "netns", NS["relay"])
            sh("ip", "addr", "add", "10.64.%d.2/24" % i, "dev", pif, ns=NS[peer])
            sh("ip", "addr", "add", "10.64.%d.1/24" % i, "dev", rif, ns=NS["relay"])
            sh("ip", "link", "set", pif, "up", ns=NS[peer])
            sh("ip", "link", "set", rif, "up", ns=NS["relay"])
            sh("ip", "route", "add", "default", "via", "10.64.%d.1" % i, ns=NS[peer])
        yield NS
    finally:
        for ns in NS.values():
            sh("ip", "netns", "del", ns, check=False)


class Relay:
    """rtprelayd in the relay namespace; `takeover_from` starts a successor."""

    def __init__(self, tmp, name, takeover_from=None, offload=True):
        self.sock = os.path.join(tmp, "ng.sock")
        self.tko = os.path.join(tmp, "takeover.sock")
        self.log_path = os.path.join(tmp, name + ".log")
        self.log = open(self.log_path, "wb")
        argv = ["ip", "netns", "exec", NS["relay"], DAEMON, "--foreground",
                "--interface=" + RELAY_IP, "--listen-unix=" + self.sock,
                "--port-min=30000", "--port-max=31999", "--num-threads=1",
                "--log-level=info", "--timeout=60", "--delete-delay=0",
                "--offload=" + ("yes" if offload else "no"), "--takeover-socket=" + self.tko]
        if takeover_from:
            argv.append("--takeover=" + takeover_from)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def wait_ready(self, needle="rtprelayd started", limit=10.0):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.log_text()
            if needle in self.log_text():
                return
            time.sleep(0.05)
        raise AssertionError("no %r in:\n%s" % (needle, self.log_text()))

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        return self.proc.returncode


def sdp(addr, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
            % (addr, addr, port))


def stream_info(ng, call_id, tag):
    """(flags, packets) of the RTP stream party `tag` sends into."""
    q = ng.query(call_id)
    assert q["result"] == "ok", q
    s = q["tags"][tag]["medias"][0]["streams"][0]
    return s["flags"], s["stats"]["packets"]


class Pump(threading.Thread):
    """RTP at 50 packets/s each way until stopped; records every sequence number
    each side sent and received, and the longest gap between two arrivals."""

    def __init__(self, caller, callee, pa, pb, first_seq):
        super().__init__(daemon=True)
        self.caller, self.callee, self.pa, self.pb = caller, callee, pa, pb
        self.seq = first_seq
        self.sent, self.got_callee, self.got_caller = [], [], []
        self.last = {}
        self.gap = 0.0
        self.halt = threading.Event()

    def _take(self, sock, got, key):
        while True:
            try:
                data = sock.recv(2048)
            except BlockingIOError:
                return
            now = time.monotonic()
            if key in self.last:
                self.gap = max(self.gap, now - self.last[key])
            self.last[key] = now
            got.append(int.from_bytes(data[2:4], "big"))

    def run(self):
        nxt = time.monotonic()
        for _ in range(50 * 120):  # at most two minutes
            if self.halt.is_set():
                break
            self.caller.sendto(rtp(self.seq, 0x1111), (RELAY_IP, self.pa))
            self.callee.sendto(rtp(self.seq, 0x2222), (RELAY_IP, self.pb))
            self.sent.append(self.seq & 0xffff)
            self.seq += 1
            nxt += 0.02
            while time.monotonic() < nxt:
                self._take(self.callee, self.got_callee, "callee")
                self._take(self.caller, self.got_caller, "caller")
                time.sleep(0.002)
        time.sleep(0.5)
        self._take(self.callee, self.got_callee, "callee")
        self._take(self.caller, self.got_caller, "caller")


def settle_in_kernel(ng, caller, callee, pa, pb, call_id):
    """Send until `query` says the kernel forwards both directions (latching
    settles after the 3 s learning window; the offload tick runs each second)."""
    for i in range(50 * 12):
        caller.sendto(rtp(i, 0x1111), (RELAY_IP, pa))
        callee.sendto(rtp(i, 0x2222), (RELAY_IP, pb))
        time.sleep(0.02)
        if i % 25 == 24:
            drain(caller, 0.01, 0.05)
            drain(callee, 0.01, 0.05)
            if all("kernelized" in stream_info(ng, call_id, t)[0] for t in ("from1", "to1")):
                return i + 1
    raise AssertionError("the streams never went to the kernel")


def test_kernel_stream_survives_takeover(topo):
    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-kernel-")
    old = Relay(tmp, "old")
    succ = None
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        old.wait_ready()
        with NgClient.unix(old.sock) as ng:
            r = ng.offer("k1", "from1", sdp(CALLER_IP, 5000))
            assert r["result"] == "ok", r
            pb = sdp_media_ports(r["sdp"])[0][1]
            r = ng.answer("k1", "from1", "to1", sdp(CALLEE_IP, 6000))
            assert r["result"] == "ok", r
            pa = sdp_media_ports(r["sdp"])[0][1]
            settle_in_kernel(ng, caller, callee, pa, pb, "k1")
            drain(caller, 0.3)
            drain(callee, 0.3)
            # 100 packets the old process's kernel entry counts
            for i in range(100):
                caller.sendto(rtp(10000 + i, 0x1111), (RELAY_IP, pa))
                time.sleep(0.002)
            assert len(drain(callee, 0.3)) == 100

        pump = Pump(caller, callee, pa, pb, first_seq=20000)
        pump.start()
        time.sleep(1.0)
        # the old daemon frozen, the successor started and waiting for it:
        # for this second no user space reads or forwards anything
        old.signal(signal.SIGSTOP)
        succ = Relay(tmp, "new", takeover_from=old.tko)
        time.sleep(1.0)
        sent_while_frozen = len(pump.sent)
        got_while_frozen = len(pump.got_callee)
        old.signal(signal.SIGCONT)
        assert old.proc.wait(timeout=20) == 0, old.log_text()[-3000:]
        succ.wait_ready()
        time.sleep(2.0)
        with NgClient.unix(succ.sock) as ng:
            flags_mid, _ = stream_info(ng, "k1", "from1")
            time.sleep(1.0)
            pump.halt.set()
            pump.join(10)
            flags, after = stream_info(ng, "k1", "from1")
            flags_back, _ = stream_info(ng, "k1", "to1")

        # every packet, in order, none twice, both ways
        assert len(pump.sent) >= 200
        assert pump.got_callee == pump.sent, sorted(set(pump.sent) - set(pump.got_callee))[:10]
        assert pump.got_caller == pump.sent, sorted(set(pump.sent) - set(pump.got_caller))[:10]
        # the kernel forwarded while the old daemon was stopped and the new
        # one not yet serving (allowing for the packets still on their way)
        assert got_while_frozen >= sent_while_frozen - 60 - 3
        assert pump.gap < 0.2, pump.gap
        # the successor says kernel, and its counters continue the kernel's:
        # it counts the 100 the old process's kernel entry forwarded too
        assert "kernelized" in flags_mid and "kernelized" in flags and "kernelized" in flags_back
        assert after >= len(pump.sent) + 100, (after, len(pump.sent))
        text = succ.log_text()
        assert "adopted the running daemon's kernel maps" in text, text[-3000:]
        assert "2 kernel stream(s) kept forwarding through the takeover, 0 left over" in text
        assert "took over 1 calls (0 refused)" in text
        assert "handle 0x7274" in sh("tc", "filter", "show", "dev", "kr0", "ingress",
                                     ns=topo["relay"]).stdout
    finally:
        old.stop()
        if succ:
            rc = succ.stop()
            text = succ.log_text()
            assert rc == 0, text[-3000:]
            assert "Sanitizer" not in text and "runtime error" not in text, text[-3000:]
        caller.close()
        callee.close()


def test_successor_offloads_restored_calls_without_adopting(topo):
    """The old daemon runs without offload (nothing to adopt); a successor with
    `offload = yes` still moves the restored call's streams into the kernel: its
    offload starts before the calls are restored, so it knows their endpoints."""
    tmp = tempfile.mkdtemp(prefix="rtprelay-tko-fresh-")
    old = Relay(tmp, "old", offload=False)
    succ = None
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        old.wait_ready()
        with NgClient.unix(old.sock) as ng:
            r = ng.offer("k2", "from1", sdp(CALLER_IP, 5000))
            assert r["result"] == "ok", r
            pb = sdp_media_ports(r["sdp"])[0][1]
            r = ng.answer("k2", "from1", "to1", sdp(CALLEE_IP, 6000))
            assert r["result"] == "ok", r
            pa = sdp_media_ports(r["sdp"])[0][1]
            for i in range(20):
                caller.sendto(rtp(i, 0x1111), (RELAY_IP, pa))
                callee.sendto(rtp(i, 0x2222), (RELAY_IP, pb))
                time.sleep(0.02)
            assert len(drain(callee, 0.3)) == 20 and len(drain(caller, 0.3)) == 20
            assert "kernelized" not in stream_info(ng, "k2", "from1")[0]
        succ = Relay(tmp, "new", takeover_from=old.tko)
        assert old.proc.wait(timeout=20) == 0, old.log_text()[-3000:]
        succ.wait_ready()
        with NgClient.unix(succ.sock) as ng:
            settle_in_kernel(ng, caller, callee, pa, pb, "k2")
            drain(caller, 0.3)
            drain(callee, 0.3)
            # and the kernel carries it: every packet arrives
            for i in range(50):
                caller.sendto(rtp(30000 + i, 0x1111), (RELAY_IP, pa))
                time.sleep(0.002)
            assert len(drain(callee, 0.3)) == 50
            assert "kernelized" in stream_info(ng, "k2", "from1")[0]
        assert "kernel maps not adopted" in succ.log_text()
    finally:
        old.stop()
        if succ:
            rc = succ.stop()
            text = succ.log_text()
            assert rc == 0, text[-3000:]
            assert "Sanitizer" not in text and "runtime error" not in text, text[-3000:]
        caller.close()
        callee.close()
