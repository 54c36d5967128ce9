"""test_offload_daemon.py: rtprelayd with `offload = yes` hands settled calls to
the eBPF fast path; offer/answer/delete and query work as in user space.

Topology (namespaces rtpd<pid>-*, made and deleted by the module fixture):

    caller ns                 relay ns (rtprelayd)               callee ns
    10.63.1.2  vc0 ====== vr0 10.63.1.1 (media address)
                              10.63.2.1 vr1 ====== ve1           10.63.2.2
    third ns   vt0 ====== vr2 10.63.3.1
    10.63.3.2

IP forwarding is off in the relay ns. The daemon listens for ng on a unix
socket (reachable from this process in any namespace). Proof that the kernel
forwards: the daemon is frozen with SIGSTOP and the media keeps flowing;
with offload off the same freeze stops it.

Needs root; skipped otherwise.
"""

import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ngclient import NgClient, sdp_media_ports  # noqa: E402
from test_offload_netns import drain, ns_socket, send_burst, sh  # noqa: E402

BUILD = os.environ.get("RTPRELAY_BUILD", "/work/main/build")
DAEMON = os.path.join(BUILD, "daemon", "rtprelayd")
CLI = os.path.join(BUILD, "tests", "tools", "offload-cli")
TAG = "rtpd%d" % (os.getpid() % 100000)
NS = {n: "%s-%s" % (TAG, n) for n in ("caller", "relay", "callee", "third")}
RELAY_IP, CALLER_IP, CALLEE_IP, THIRD_IP = "10.63.1.1", "10.63.1.2", "10.63.2.2", "10.63.3.2"
SETTLE = 5.5  # learning window (3 s) + margin + one 1 s tick + slack

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
        for peer, pif, rif, i in (("caller", "vc0", "vr0", 1), ("callee", "ve1", "vr1", 2),
                                  ("third", "vt0", "vr2", 3)):
            sh("ip", "link", "add", pif, "netns", NS[peer], "type", "veth", "peer", "name", rif,
               "netns", NS["relay"])
            sh("ip", "addr", "add", "10.63.%d.2/24" % i, "dev", pif, ns=NS[peer])
            sh("ip", "addr", "add", "10.63.%d.1/24" % i, "dev", rif, ns=NS["relay"])
            sh("ip", "link", "set", pif, "up", ns=NS[peer])
            sh("ip", "link", "set", rif, "up", ns=NS["relay"])
            sh("ip", "route", "add", "default", "via", "10.63.%d.1" % i, ns=NS[peer])
        yield NS
    finally:
        for ns in NS.values():
            sh("ip", "netns", "del", ns, check=False)


class RelayDaemon:
    def __init__(self, offload, timeout=60, extra=()):
        self.tmp = tempfile.TemporaryDirectory(prefix="rtprelay-offload-")
        self.sock = os.path.join(self.tmp.name, "ng.sock")
        self.log = open(os.path.join(self.tmp.name, "log"), "w+")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS["relay"], DAEMON, "--foreground",
             "--interface=" + RELAY_IP, "--listen-ng=127.0.0.1:2223",
             "--listen-unix=" + self.sock, "--port-min=30000", "--port-max=31999",
             "--num-threads=1", "--log-level=debug", "--timeout=%d" % timeout, "--delete-delay=0",
             "--offload=" + ("yes" if offload else "no")] + list(extra),
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_text()
            if os.path.exists(self.sock):
                try:
                    with NgClient.unix(self.sock, timeout=0.5) as ng:
                        if ng.ping().get("result") == "pong":
                            return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("rtprelayd not ready:\n" + self.log_text())

    def ng(self):
        return NgClient.unix(self.sock)

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        """SIGTERM; returns the exit status and the log."""
        if self.proc.poll() is None:
            self.thaw()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        text = self.log_text() if not self.log.closed else ""
        if not self.log.closed:
            self.log.close()
            self.tmp.cleanup()
        return self.proc.returncode, text


def sdp(addr, port, version=1):
    return ("v=0\r\no=- 1 %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
            % (version, addr, addr, port))


def setup_call(ng, call_id, caller_port=5000, version=1, flags=()):
    kw = {"flags": list(flags)} if flags else {}
    r = ng.offer(call_id, "from1", sdp(CALLER_IP, caller_port, version), **kw)
    assert r["result"] == "ok", r
    to_callee = sdp_media_ports(r["sdp"])[0][1]
    r = ng.answer(call_id, "from1", "to1", sdp(CALLEE_IP, 6000, version), **kw)
    assert r["result"] == "ok", r
    to_caller = sdp_media_ports(r["sdp"])[0][1]
    return to_caller, to_callee


def talk(caller, callee, pa, pb, seconds, first_seq=0):
    """Both sides send 50 packets/s for `seconds`; returns what each received."""
    got_callee, got_caller = [], []
    n = int(seconds * 50)
    for i in range(n):
        caller.sendto(rtp_pkt(first_seq + i, 0x1111), (RELAY_IP, pa))
        callee.sendto(rtp_pkt(first_seq + i, 0x2222), (RELAY_IP, pb))
        time.sleep(0.02)
        got_callee += take(callee)
        got_caller += take(caller)
    got_callee += [x for x, _ in drain(callee, 1.0)]
    got_caller += [x for x, _ in drain(caller, 1.0)]
    return got_caller, got_callee


def take(sock):
    """What sock holds right now, without waiting."""
    got = []
    while True:
        try:
            got.append(sock.recvfrom(2048)[0])
        except BlockingIOError:
            return got


def rtp_pkt(seq, ssrc):
    return struct.pack("!BBHII", 0x80, 0, seq & 0xffff, seq * 160, ssrc) + b"\xd5" * 160


def stream_packets(q, tag):
    """Packets counted on the RTP stream that party `tag` sends into."""
    media = q["tags"][tag]["medias"][0]
    return media["streams"][0]["stats"]["packets"]


def kernel_forwards(daemon, caller, callee, pa, n=20):
    """With the daemon frozen, do the caller's packets still reach the callee?"""
    drain(callee, 0.1)
    daemon.freeze()
    try:
        sent = send_burst(caller, (RELAY_IP, pa), n, first_seq=5000, ssrc=0x1111)
        got = [d for d, _ in drain(callee, 0.5)]
    finally:
        daemon.thaw()
    drain(callee, 0.5)  # whatever user space sends after the thaw
    return got == sent


def wait_kernel_forwards(daemon, caller, callee, pa, tries=5):
    """kernel_forwards, retried a second apart (a loaded machine may run the
    daemon's offload tick late). Returns how many packets it sent."""
    for i in range(tries):
        if kernel_forwards(daemon, caller, callee, pa):
            return 20 * (i + 1)
        time.sleep(1)
    raise AssertionError("the kernel did not take over the stream")


def test_daemon_offloads_settled_call(topo):
    d = RelayDaemon(offload=True, timeout=3)
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    caller2 = ns_socket(topo["caller"], CALLER_IP, 5002)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    third = ns_socket(topo["third"], THIRD_IP, 5000)
    try:
        assert "handle 0x7274" in sh("tc", "filter", "show", "dev", "vr0", "ingress",
                                     ns=topo["relay"]).stdout
        assert sh("nft", "list", "table", "inet", "rtprelay", ns=topo["relay"]).returncode == 0
        with d.ng() as ng:
            pa, pb = setup_call(ng, "call-1", flags=["strict-source"])
            # user space first; the kernel takes over once latching settled
            got_caller, got_callee = talk(caller, callee, pa, pb, SETTLE)
            assert len(got_callee) >= SETTLE * 50 * 0.9
            assert len(got_caller) >= SETTLE * 50 * 0.9
            probes = wait_kernel_forwards(d, caller, callee, pa)

            # more traffic, longer than the 3 s timeout: the kernel's
            # counters keep the call alive and show up in query
            got_caller, got_callee = talk(caller, callee, pa, pb, 4, first_seq=1000)
            assert len(got_callee) == 200 and len(got_caller) == 200
            q = ng.query("call-1")
            assert q["result"] == "ok", q
            total_from_caller = int(SETTLE * 50) + probes + 200
            assert stream_packets(q, "from1") == total_from_caller
            assert stream_packets(q, "to1") == int(SETTLE * 50) + 200
            # statistics counts the kernel's packets too
            st = ng.request({"command": "statistics"})
            assert st["totalstatistics"]["packets"] >= total_from_caller + int(SETTLE * 50) + 200

            # strict source: a third host gets nothing through
            send_burst(third, (RELAY_IP, pa), 10)
            assert drain(callee, 0.3) == []

            # re-offer: the caller moved to port 5002; the kernel entry goes,
            # user space re-learns, and the kernel follows the new endpoint
            pa2, pb2 = setup_call(ng, "call-1", caller_port=5002, version=2)
            assert (pa2, pb2) == (pa, pb)
            got_caller, _ = talk(caller2, callee, pa, pb, SETTLE, first_seq=2000)
            assert len(got_caller) >= SETTLE * 50 * 0.9
            assert drain(caller, 0.1) == []
            wait_kernel_forwards(d, caller2, callee, pa)
            wait_kernel_forwards(d, callee, caller2, pb)

            # delete: nothing is forwarded any more, by kernel or user space
            assert ng.delete("call-1")["result"] == "ok"
            time.sleep(0.2)
            drain(callee, 0.1)
            send_burst(caller2, (RELAY_IP, pa), 10)
            assert drain(callee, 0.3) == []
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
        assert "offload: eBPF fast path on" in log
        assert "bpf" not in sh("tc", "filter", "show", "dev", "vr0", "ingress",
                               ns=topo["relay"]).stdout
        assert sh("nft", "list", "table", "inet", "rtprelay", check=False,
                  ns=topo["relay"]).returncode != 0
    finally:
        d.stop()
        for s in (caller, caller2, callee, third):
            s.close()


LOSS_EVERY = 20  # the sequence numbers n with n % 20 == 7 are never sent: 5 % loss


def send_lossy(sock, port, first, count, late=0.0):
    """RTP seq first..first+count-1 at 50/s to the relay's port, every 20th
    missing; with `late`, every odd packet leaves that many seconds late (the
    RFC 3550 jitter then converges on it). Returns the seqs sent."""
    sent, t0 = [], time.monotonic()
    for seq in range(first, first + count):
        if seq % LOSS_EVERY == 7:
            continue
        delay = t0 + (seq - first) * 0.02 + (late if seq % 2 else 0.0) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock.sendto(rtp_pkt(seq, 0x1111), (RELAY_IP, port))
        sent.append(seq)
    return sent


def rfc3550(sent):
    """(expected, lost) per RFC 3550 A.1/A.3 for in-order seqs: the first
    packet only starts the source's probation."""
    expected = sent[-1] - sent[1] + 1
    return expected, expected - (len(sent) - 1)


def rtp_stats(ng, call_id, tag):
    r = ng.query(call_id)
    assert r["result"] == "ok", r
    return r["tags"][tag]["medias"][0]["streams"][0]["stats"]


def lossy_call(d, topo, kernel):
    """A call whose caller loses 5 %: first in user space, then (with
    `kernel`, the daemon frozen) through the kernel alone with a 10 ms jitter,
    then back in user space after a re-offer. Returns the caller's stream
    stats after the kernel phase and at the end, with the seqs sent by then."""
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        with d.ng() as ng:
            pa, _ = setup_call(ng, "lossy")
            sent = send_lossy(caller, pa, 0, int(SETTLE * 50))
            # until the kernel forwards alone (user space: at once)
            for _ in range(6):
                drain(callee, 0.1)
                if kernel:
                    d.freeze()
                try:
                    probe = send_lossy(caller, pa, sent[-1] + 1, 20)
                    got = drain(callee, 0.3)
                finally:
                    d.thaw()
                sent += probe
                if len(got) == len(probe):
                    break
                time.sleep(1)
            else:
                raise AssertionError("the kernel did not take over the stream")
            drain(callee, 0.3)
            if kernel:
                d.freeze()
            try:
                jittered = send_lossy(caller, pa, sent[-1] + 1, 200, late=0.01)
                got = drain(callee, 0.5)
            finally:
                d.thaw()
            assert len(got) == len(jittered)
            sent += jittered
            mid = (rtp_stats(ng, "lossy", "from1"), list(sent))
            # a re-offer gives the stream back to user space, which goes on
            setup_call(ng, "lossy", version=2)
            sent += send_lossy(caller, pa, sent[-1] + 1, 100)
            drain(callee, 0.5)
            end = (rtp_stats(ng, "lossy", "from1"), list(sent))
            assert ng.delete("lossy")["result"] == "ok"
        return mid, end
    finally:
        caller.close()
        callee.close()


def test_kernel_stream_reports_loss_and_jitter_as_user_space(topo):
    """RFC 3550 expected/lost/jitter go on in the kernel: a kernel-forwarded
    stream with 5 % loss shows it in query exactly as a user-space one, the
    jitter follows the kernel's arrival times, and user space continues from
    the kernel's figures when the stream comes back."""
    results = {}
    for kernel in (True, False):
        d = RelayDaemon(offload=kernel, timeout=60)
        try:
            results[kernel] = lossy_call(d, topo, kernel)
            status, log = d.stop()
            assert status == 0 and "Sanitizer" not in log, log
        finally:
            d.stop()
    for kernel, ((mid, sent_mid), (end, sent_end)) in results.items():
        where = "kernel" if kernel else "user space"
        assert (mid["expected"], mid["lost"]) == rfc3550(sent_mid), (where, mid)
        assert (end["expected"], end["lost"]) == rfc3550(sent_end), (where, end)
        assert abs(end["lost"] * LOSS_EVERY - end["expected"]) <= LOSS_EVERY, (where, end)
        # every other packet 10 ms late: |D| = 10 ms, which J approaches
        assert 6000 <= mid["jitter us"] <= 14000, (where, mid)


def test_offload_off_stays_in_user_space(topo):
    d = RelayDaemon(offload=False)
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        assert "bpf" not in sh("tc", "filter", "show", "dev", "vr0", "ingress",
                               ns=topo["relay"]).stdout
        with d.ng() as ng:
            pa, pb = setup_call(ng, "call-2")
            got_caller, got_callee = talk(caller, callee, pa, pb, SETTLE)
            assert len(got_callee) >= SETTLE * 50 * 0.9
            assert not kernel_forwards(d, caller, callee, pa)
            q = ng.query("call-2")
            assert stream_packets(q, "from1") >= SETTLE * 50
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
        assert "offload:" not in log
    finally:
        d.stop()
        caller.close()
        callee.close()


def test_many_offloaded_calls_no_loss_no_spurious_timeout(topo):
    """500 one-way calls at 50 packets/s each, first in user space, then
    through the kernel, with a 6 s timeout: no call expires while its media
    flows (the kernel's packet times are newer than the daemon's tick clock;
    that once read as an expiry) and (nearly) every packet arrives."""
    n, secs = 500, 12
    blast = os.path.join(BUILD, "bench", "offload-blast")
    d = RelayDaemon(offload=True, timeout=6)
    tmp = tempfile.TemporaryDirectory(prefix="rtprelay-offload-ports-")
    try:
        ports = []
        with d.ng() as ng:
            for i in range(n):
                r = ng.offer("many-%d" % i, "a", sdp(CALLER_IP, 20000 + 2 * i))
                assert r["result"] == "ok", r
                r = ng.answer("many-%d" % i, "a", "b", sdp(CALLEE_IP, 7000 + 2 * i))
                assert r["result"] == "ok", r
                ports.append(sdp_media_ports(r["sdp"])[0][1])
        path = os.path.join(tmp.name, "ports")
        with open(path, "w") as f:
            f.write("\n".join(map(str, ports)) + "\n")
        sink = subprocess.Popen(["ip", "netns", "exec", topo["callee"], blast, "sink",
                                 "0.0.0.0", "7000", str(n), str(secs + 2)],
                                stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        gen = subprocess.Popen(["ip", "netns", "exec", topo["caller"], blast, "gen", CALLER_IP,
                                "20000", RELAY_IP, "@" + path, str(n), "50", str(secs)],
                               stdout=subprocess.PIPE, text=True)
        time.sleep(secs - 3)  # well into the kernel phase, media still flowing
        alive = 0
        with d.ng() as ng:
            for i in range(n):
                q = ng.query("many-%d" % i)
                alive += q["result"] == "ok" and stream_packets(q, "a") > 0
        during = d.log_text()
        sent = int(gen.communicate(timeout=60)[0].split()[1])
        got = int(sink.communicate(timeout=60)[0].split()[1])
        expired = [x for x in during.splitlines() if "timeout" in x]
        assert expired == [] and alive == n, "\n".join(expired[:20])
        assert sent >= n * 50 * secs * 0.1  # a loaded machine slows the generator
        assert got >= sent * 0.999
        status, log = d.stop()
        assert status == 0, log[-2000:]
    finally:
        d.stop()
        tmp.cleanup()


def test_load_failure_falls_back_to_user_space(tmp_path):
    """offload = yes without the right to load BPF (run as nobody): the daemon
    says why once and relays in user space."""
    from conftest import free_port, media_range
    import socket as so
    ctl = free_port()
    pmin, pmax = media_range()
    log = open(tmp_path / "log", "w+")
    proc = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             DAEMON, "--foreground", "--offload=yes", "--interface=127.0.0.1",
                             "--listen-ng=127.0.0.1:%d" % ctl, "--port-min=%d" % pmin,
                             "--port-max=%d" % pmax, "--num-threads=1"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    socks = []
    try:
        for _ in range(100):
            try:
                with NgClient.udp(("127.0.0.1", ctl), timeout=0.2) as probe:
                    if probe.ping().get("result") == "pong":
                        break
            except OSError:
                pass
            time.sleep(0.05)
        ng = NgClient.udp(("127.0.0.1", ctl))
        a, b = (so.socket(so.AF_INET, so.SOCK_DGRAM) for _ in range(2))
        socks = [a, b]
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        for s in socks:
            s.setblocking(False)
        r = ng.offer("fb", "x", sdp("127.0.0.1", a.getsockname()[1]))
        assert r["result"] == "ok", r
        to_b = sdp_media_ports(r["sdp"])[0][1]
        r = ng.answer("fb", "x", "y", sdp("127.0.0.1", b.getsockname()[1]))
        assert r["result"] == "ok", r
        to_a = sdp_media_ports(r["sdp"])[0][1]
        sent = send_burst(a, ("127.0.0.1", to_a), 20)
        assert [d for d, _ in drain(b)] == sent
        sent = send_burst(b, ("127.0.0.1", to_b), 20)
        assert [d for d, _ in drain(a)] == sent
        ng.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for s in socks:
            s.close()
    log.seek(0)
    text = log.read()
    assert text.count("offload: cannot load the eBPF program") == 1, text
    assert proc.returncode == 0, text
