"""test_callctl_offload.py: call control on streams the kernel forwards
(`offload = yes`): block media, silence media and play DTMF take the stream
out of the eBPF fast path at once, act on it in user space, and the kernel
takes it back once the control is lifted.

Topology and daemon: tests/integration/test_offload_daemon.py (needs root).
"""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ngclient import sdp_media_ports  # noqa: E402
from test_offload_daemon import (CALLEE_IP, CALLER_IP, RELAY_IP, SETTLE, RelayDaemon,  # noqa: E402,F401
                                 pytestmark, talk, topo, wait_kernel_forwards)
from test_offload_netns import drain, ns_socket  # noqa: E402


def sdp(addr, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n" % (addr, addr, port))


def setup_call(ng, call_id):
    r = ng.offer(call_id, "from1", sdp(CALLER_IP, 5000))
    assert r["result"] == "ok", r
    to_callee = sdp_media_ports(r["sdp"])[0][1]
    r = ng.answer(call_id, "from1", "to1", sdp(CALLEE_IP, 6000))
    assert r["result"] == "ok", r
    return sdp_media_ports(r["sdp"])[0][1], to_callee


def ok(ng, command, **kw):
    d = {"command": command, "call-id": "cc-k", "from-tag": "from1",
         "flags": ["directional"]}
    d.update(kw)
    r = ng.request(d)
    assert r["result"] == "ok", r


def send_burst(sock, dst, n, first_seq, ssrc):
    """n PCMU packets (payload type 0, the one the SDP offers) at once."""
    sent = []
    for i in range(n):
        seq = first_seq + i
        p = struct.pack("!BBHII", 0x80, 0, seq & 0xffff, seq * 160, ssrc) + b"\x22" * 160
        sock.sendto(p, dst)
        sent.append(p)
    return sent


def paced(sock, dst, n, first_seq, ssrc=0x1111):
    """n PCMU packets 20 ms apart (timestamps follow the sequence)."""
    sent = []
    for i in range(n):
        seq = first_seq + i
        p = struct.pack("!BBHII", 0x80, 0, seq & 0xffff, seq * 160, ssrc) + b"\x11" * 160
        sock.sendto(p, dst)
        sent.append(p)
        time.sleep(0.02)
    return sent


def test_call_control_on_kernel_streams(topo):
    d = RelayDaemon(offload=True, timeout=60)
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        with d.ng() as ng:
            pa, pb = setup_call(ng, "cc-k")
            talk(caller, callee, pa, pb, SETTLE)
            wait_kernel_forwards(d, caller, callee, pa)

            # block: the caller's media is gone at once, the callee's still flows
            ok(ng, "block media")
            drain(callee, 0.2)
            send_burst(caller, (RELAY_IP, pa), 10, first_seq=7000, ssrc=0x1111)
            assert drain(callee, 0.4) == []
            back = send_burst(callee, (RELAY_IP, pb), 5, first_seq=7000, ssrc=0x2222)
            assert [x for x, _ in drain(caller, 0.4)] == back
            # unblock: user space forwards again, then the kernel takes over
            ok(ng, "unblock media")
            sent = send_burst(caller, (RELAY_IP, pa), 5, first_seq=7100, ssrc=0x1111)
            assert [x for x, _ in drain(callee, 0.4)] == sent
            talk(caller, callee, pa, pb, 1.5, first_seq=7200)
            wait_kernel_forwards(d, caller, callee, pa)

            # silence: PCMU payload becomes 0xff, the header stays
            ok(ng, "silence media")
            sent = send_burst(caller, (RELAY_IP, pa), 5, first_seq=7300, ssrc=0x1111)
            got = [x for x, _ in drain(callee, 0.4)]
            assert [g[:12] for g in got] == [s[:12] for s in sent]
            assert all(g[12:] == b"\xff" * 160 for g in got)
            ok(ng, "unsilence media")
            talk(caller, callee, pa, pb, 1.5, first_seq=7400)
            wait_kernel_forwards(d, caller, callee, pa)

            # play DTMF into the offloaded stream: events in its packets
            ok(ng, "play DTMF", code=7, duration=100, flags=[])
            sent = paced(caller, (RELAY_IP, pa), 15, first_seq=7500)
            got = [x for x, _ in drain(callee, 0.5)]
            assert [struct.unpack("!H", g[2:4])[0] for g in got] == \
                [struct.unpack("!H", s[2:4])[0] for s in sent]
            ev = [g for g in got if g[1] & 0x7f == 101]
            assert len(ev) == 7 and all(g[12] == 7 for g in ev)
            assert all(g[8:12] == b"\x00\x00\x11\x11" for g in ev)
            assert struct.unpack("!H", ev[-1][14:16])[0] == 800 and ev[-1][13] & 0x80
            # once the events are over, the kernel takes the stream back
            time.sleep(1.5)
            talk(caller, callee, pa, pb, 1.5, first_seq=7600)
            wait_kernel_forwards(d, caller, callee, pa)
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
    finally:
        d.stop()
        caller.close()
        callee.close()


def test_inband_dtmf_on_a_kernel_stream(topo):
    """No telephone-event: play DTMF takes the kernel stream to user space,
    writes the digit's tones into the caller's PCMU (headers untouched), and
    the kernel takes the stream back once the digit is over."""
    d = RelayDaemon(offload=True, timeout=60)
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    pcmu_only = lambda addr, port: sdp(addr, port).replace(" 0 101\r\n", " 0\r\n").replace(  # noqa: E731
        "a=rtpmap:101 telephone-event/8000\r\n", "")
    try:
        with d.ng() as ng:
            r = ng.offer("cc-ki", "from1", pcmu_only(CALLER_IP, 5000))
            assert r["result"] == "ok", r
            pb = sdp_media_ports(r["sdp"])[0][1]
            r = ng.answer("cc-ki", "from1", "to1", pcmu_only(CALLEE_IP, 6000))
            assert r["result"] == "ok", r
            pa = sdp_media_ports(r["sdp"])[0][1]
            talk(caller, callee, pa, pb, SETTLE)
            wait_kernel_forwards(d, caller, callee, pa)
            r = ng.request({"command": "play DTMF", "call-id": "cc-ki", "from-tag": "from1",
                            "code": 3, "duration": 200})
            assert r["result"] == "ok", r
            sent = paced(caller, (RELAY_IP, pa), 15, first_seq=8000)
            got = [x for x, _ in drain(callee, 0.5)]
            assert [g[:12] for g in got] == [s[:12] for s in sent]
            toned = [i for i, (g, s) in enumerate(zip(got, sent)) if g[12:] != s[12:]]
            assert toned == list(range(10)), toned      # 200 ms of the digit
            time.sleep(1.5)
            talk(caller, callee, pa, pb, 1.5, first_seq=8100)
            wait_kernel_forwards(d, caller, callee, pa)
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
    finally:
        d.stop()
        caller.close()
        callee.close()
