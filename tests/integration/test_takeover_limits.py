"""Takeover (daemon/takeover.h) of what a plain hand-over of sockets and call records
does not carry by itself:

- SRTCP: the successor's SRTCP to an SDES party continues the old process's SRTCP
  index (the party's libsrtp, pylibsrtp here, accepts it; a successor starting again
  at index 1 would be dropped as a replay), and an SRTCP packet the old process had
  accepted long before is refused as a replay by the successor.
- ng TCP and unix-stream connections: a proxy's persistent connection stays open
  across the hand-over, a request sent before and one sent after (or half of one
  sent before, the rest after) are answered on the same connection.
- DTLS handshakes in flight: the old daemon lets a handshake under way finish before
  it hands over (no handshake state can go to another process), so the party (a
  pyOpenSSL client; aiortc as the server) completes it and media flows through the
  successor; one stuck past the bound
  (TAKEOVER_DTLS_WAIT_MS) holds the hand-over up no longer, and the successor answers
  the party's new handshake at once.
"""

import os
import select
import socket
import struct
import tempfile
import time

import pytest

from dp_media import Phone, relay_targets, rtcp_rr
from srtp_peer import Srtp, crypto_line, crypto_lines, new_key
from test_takeover import Successor

SUITE = "AES_CM_128_HMAC_SHA1_80"


def srtcp_index(pkt):
    """The SRTCP index of an AES_CM_*_HMAC_SHA1_80 packet without MKI: the 31 bits
    in front of the 10-byte tag (RFC 3711 3.4)."""
    return struct.unpack("!I", pkt[-14:-10])[0] & 0x7fffffff


def recv_all(sock, quiet=0.3, limit=3.0):
    out, end = [], time.monotonic() + limit
    while time.monotonic() < end:
        r, _, _ = select.select([sock], [], [], quiet)
        if not r:
            break
        out.append(sock.recv(4096))
    return out


def takeover(old, path, tmp):
    succ = Successor(old, path, tmp)
    assert old.wait_exit(15) == 0, old.log_text()[-3000:]
    assert succ.proc.poll() is None, succ.log_text()[-3000:]
    return succ


def stop(succ):
    rc = succ.stop()
    log = succ.log_text()
    assert rc == 0, log[-3000:]
    assert "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]


def test_srtcp_index_continues_across_takeover(daemon_factory):
    """A: SDES-SRTP phone, B: plain. 200 RTCP each way before the hand-over, 60
    after. What A receives (the relay's SRTCP from B's RTCP) authenticates every time
    and its indexes run 1, 2, ... 260 without a restart; what A sent first (index 1),
    replayed after the hand-over, does not reach B."""
    tmp = tempfile.mkdtemp(prefix="rtprelay-tkl-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info")
    a, b = Phone(), Phone()
    succ = None
    try:
        key = new_key(SUITE)
        sdp = a.sdp().replace("RTP/AVP", "RTP/SAVP").replace(
            "a=sendrecv", crypto_line(1, SUITE, key) + "\r\na=sendrecv")
        with old.ng() as ng:
            r = ng.offer("srtcp", "A", sdp, **{"transport-protocol": "RTP/AVP"})
            assert r["result"] == "ok", r
            r2 = ng.answer("srtcp", "A", "B", b.sdp())
            assert r2["result"] == "ok", r2
        (_, _, relay_key, _), = crypto_lines(r2["sdp"])
        a_tx, a_rx = Srtp(SUITE, key, outbound=True), Srtp(SUITE, relay_key, outbound=False)
        a_to = relay_targets(r2["sdp"])[0]  # where A sends: (addr, rtp, rtcp)
        b_to = relay_targets(r["sdp"])[0]
        a_rtcp, b_rtcp = a.rtcp_socks[0], b.rtcp_socks[0]
        got_idx, a_sent = [], []

        def exchange(n):
            """n RTCP each way, 2 ms apart; what A and B received."""
            got_b = 0
            for _ in range(n):
                b_rtcp.sendto(rtcp_rr(b.ssrc[0]), (b_to[0], b_to[2]))
                p = a_tx.protect_rtcp(rtcp_rr(a.ssrc[0]))
                a_sent.append(p)
                a_rtcp.sendto(p, (a_to[0], a_to[2]))
                time.sleep(0.002)
            for pkt in recv_all(a_rtcp):
                idx = srtcp_index(pkt)
                a_rx.unprotect_rtcp(pkt)  # raises if refused (a replay)
                got_idx.append(idx)
            got_b += len(recv_all(b_rtcp))
            return got_b

        assert exchange(200) == 200
        assert got_idx == list(range(1, 201)), got_idx[:5]
        succ = takeover(old, path, tmp)
        assert "took over 1 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        assert exchange(60) == 60
        # the relay's SRTCP to A continued: 201.. (a restart at 1 raises above)
        assert got_idx == list(range(1, 261)), got_idx[195:210]
        # A's first SRTCP again: the old process accepted it, so the successor must
        # refuse it (without the index it would be new to a fresh replay window)
        a_rtcp.sendto(a_sent[0], (a_to[0], a_to[2]))
        assert recv_all(b_rtcp, limit=1.0) == []
        with old.ng() as ng:
            q = ng.query("srtcp")
            assert q["result"] == "ok", q
    finally:
        a.close()
        b.close()
        if succ:
            stop(succ)


def test_ng_stream_connections_stay_open_across_takeover(daemon_factory):
    """A proxy's persistent ng connections, TCP and unix: a command before the
    hand-over, the first half of one sent before and the rest after, and a command
    after, all on the same connection, each answered; the connections were handed
    over (the successor counts them), not reconnected."""
    from ngclient import NgClient

    tmp = tempfile.mkdtemp(prefix="rtprelay-tkl-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info")
    succ = None
    tcp = NgClient.tcp(("127.0.0.1", old.tcp_port))
    unix = NgClient.unix(old.unix_path)
    try:
        a = Phone()
        for c in (tcp, unix):
            assert c.ping()["result"] == "pong"
        tcp_local = tcp.sock.getsockname()
        r = tcp.offer("over-tcp", "A", a.sdp())
        assert r["result"] == "ok", r
        # half a request in each connection's buffer when the hand-over starts
        halves = {}
        for name, c in (("tcp", tcp), ("unix", unix)):
            msg = c.encode({"command": "query", "call-id": "over-tcp"}, "half-" + name)
            c.send_raw(msg[:len(msg) // 2])
            halves[name] = msg[len(msg) // 2:]
        time.sleep(0.3)  # the old daemon has read the halves
        succ = takeover(old, path, tmp)
        log = succ.log_text()
        assert "took over 1 calls (0 refused)" in log and "2 ng connections" in log, log[-3000:]
        for name, c in (("tcp", tcp), ("unix", unix)):
            c.send_raw(halves[name])
            cookie, rep = c.parse_reply(c.recv_raw())
            assert cookie == "half-" + name and rep["result"] == "ok", rep
            assert rep["created"] > 0, rep
            assert c.ping()["result"] == "pong"
        # the same TCP connection (not a new one): same local port, and the call
        # made before the hand-over is deleted through it after
        assert tcp.sock.getsockname() == tcp_local
        assert tcp.delete("over-tcp", **{"delete-delay": 0})["result"] == "ok"
        assert unix.query("over-tcp")["result"] == "error"
        a.close()
    finally:
        tcp.close()
        unix.close()
        if succ:
            stop(succ)


def dtls_out(c):
    """Every datagram the pyOpenSSL endpoint has ready."""
    from OpenSSL import SSL
    out = []
    try:
        while True:
            out.append(c.conn.bio_read(4096))
    except SSL.WantReadError:
        pass
    return out


def dtls_step(c):
    """Run the handshake on what was fed; True once it is complete."""
    from OpenSSL import SSL
    try:
        c.conn.do_handshake()
        return True
    except SSL.WantReadError:
        return False


def test_dtls_handshake_in_flight_finishes_before_the_handover(daemon_factory):
    """A DTLS-SRTP party (pyOpenSSL client, the same OpenSSL as aiortc's; rtprelay the
    server) sends its ClientHello; rtprelay's answer (flight 2) is held back from it
    while a successor asks to take over. No handshake state can go to another process,
    and an OpenSSL peer in the middle of a handshake ignores a new hello, so the old
    daemon lets the handshake finish first: it keeps running (media and commands too)
    until the held flight is released and the party's last flight arrives, then hands
    over at once; the keys go along and SRTP flows both ways through the successor.
    Measured: from the release to the old daemon's exit."""
    pytest.importorskip("OpenSSL")
    from test_dtls_assoc import dtls_of, party_sdp
    from test_dtls_webrtc import DtlsClient
    from test_takeover import Stream, pump

    tmp = tempfile.mkdtemp(prefix="rtprelay-tkl-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info")
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    phone = Phone(pts=(0,))
    succ = None
    try:
        c = DtlsClient(party)
        with old.ng() as ng:
            r = ng.offer("dtls-flight", "web",
                         party_sdp(party.getsockname()[1], c.fingerprint, "t" * 20, 1),
                         flags=["RTP/AVP"])
            assert r["result"] == "ok", r
            a = ng.answer("dtls-flight", "web", "ph", phone.sdp(), DTLS="passive")
            assert a["result"] == "ok", a
        to_relay = tuple(relay_targets(a["sdp"])[0][:2])
        assert not dtls_step(c)
        for p in dtls_out(c):  # ClientHello
            party.sendto(p, to_relay)
        held = recv_all(party, quiet=0.5)  # flight 2, held back from the party
        assert held
        succ = Successor(old, path, tmp)
        end = time.monotonic() + 5
        while "DTLS handshake(s) in flight" not in old.log_text() and time.monotonic() < end:
            time.sleep(0.05)
        assert "takes over once 1 DTLS handshake(s) in flight" in old.log_text(), \
            old.log_text()[-2000:]
        time.sleep(0.5)
        assert old.alive()  # still waiting, still serving
        with old.ng() as ng:
            assert ng.ping()["result"] == "pong"
        released = time.monotonic()
        # the party's retransmission timer ran meanwhile: its ClientHello again,
        # held back too (pyOpenSSL over memory BIOs retransmits when it runs next)
        assert not dtls_step(c)
        dtls_out(c)
        for p in held:
            c.conn.bio_write(p)
        assert not dtls_step(c)
        flight3 = dtls_out(c)
        for p in flight3:  # the party's last flight
            party.sendto(p, to_relay)
        fin = recv_all(party, quiet=0.1)  # rtprelay's CCS and Finished
        for p in fin:
            c.conn.bio_write(p)
        assert dtls_step(c), (len(held), len(fin), len(flight3))
        assert old.wait_exit(10) == 0, old.log_text()[-3000:]
        delay = time.monotonic() - released
        print("DTLS handshake in flight: hand-over %.0f ms after the release" % (delay * 1000))
        assert delay < 1.5, delay
        assert "took over 1 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        m = c.conn.export_keying_material(b"EXTRACTOR-dtls_srtp", 60)
        local, remote = m[0:16] + m[32:46], m[16:32] + m[46:60]
        to_phone_side = relay_targets(r["sdp"])[0]
        s1 = Stream("web->phone", party, to_relay, phone.rtp_socks[0], 0x1234,
                    protect=Srtp(SUITE, local, outbound=True).protect)
        s2 = Stream("phone->web", phone.rtp_socks[0], (to_phone_side[0], to_phone_side[1]),
                    party, phone.ssrc[0], unprotect=Srtp(SUITE, remote, outbound=False).unprotect)
        pump([s1, s2], 1.0)
        for s in (s1, s2):
            assert s.got == s.sent and len(s.sent) >= 40, (s.name, len(s.sent), len(s.got))
        with old.ng() as ng:
            d = dtls_of(ng.query("dtls-flight"), "web")
            assert d["state"] == "connected", d
    finally:
        party.close()
        phone.close()
        if succ:
            stop(succ)


def test_dtls_handshake_stuck_past_the_bound_starts_again_in_successor(daemon_factory):
    """The bound: a party that stops answering in the middle of its handshake holds
    the hand-over up only TAKEOVER_DTLS_WAIT_MS (3 s); then the old daemon says so and
    hands over. The successor answers a new handshake of the party at once (its
    certificate is the old one's, so the a=fingerprint the party has still fits), and
    SRTP flows with the new keys."""
    pytest.importorskip("OpenSSL")
    from test_dtls_assoc import dtls_of, party_sdp
    from test_dtls_webrtc import DtlsClient
    from test_takeover import Stream, pump

    tmp = tempfile.mkdtemp(prefix="rtprelay-tkl-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info")
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    phone = Phone(pts=(0,))
    succ = None
    try:
        c = DtlsClient(party)
        with old.ng() as ng:
            r = ng.offer("dtls-stuck", "web",
                         party_sdp(party.getsockname()[1], c.fingerprint, "t" * 20, 1),
                         flags=["RTP/AVP"])
            assert r["result"] == "ok", r
            a = ng.answer("dtls-stuck", "web", "ph", phone.sdp(), DTLS="passive")
            assert a["result"] == "ok", a
        to_relay = tuple(relay_targets(a["sdp"])[0][:2])
        assert not dtls_step(c)
        for p in dtls_out(c):  # ClientHello; the party then goes quiet
            party.sendto(p, to_relay)
        assert recv_all(party, quiet=0.3)
        asked = time.monotonic()
        succ = Successor(old, path, tmp)
        assert old.wait_exit(15) == 0, old.log_text()[-3000:]
        waited = time.monotonic() - asked
        assert "1 DTLS handshake(s) still in flight after 3000 ms" in old.log_text(), \
            old.log_text()[-2000:]
        assert 3.0 <= waited < 8.0, waited
        assert "took over 1 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        recv_all(party, quiet=0.2)  # the old process's retransmissions
        # the party starts again: a new handshake with the same certificate
        c2 = DtlsClient(party, same_cert_as=c)
        started = time.monotonic()
        local, remote = c2.handshake(to_relay)
        print("DTLS handshake with the successor: %.0f ms" % ((time.monotonic() - started) * 1000))
        to_phone_side = relay_targets(r["sdp"])[0]
        s1 = Stream("web->phone", party, to_relay, phone.rtp_socks[0], 0x4321,
                    protect=Srtp(SUITE, local, outbound=True).protect)
        s2 = Stream("phone->web", phone.rtp_socks[0], (to_phone_side[0], to_phone_side[1]),
                    party, phone.ssrc[0], unprotect=Srtp(SUITE, remote, outbound=False).unprotect)
        pump([s1, s2], 1.0)
        for s in (s1, s2):
            assert s.got == s.sent and len(s.sent) >= 40, (s.name, len(s.sent), len(s.got))
        with old.ng() as ng:
            d = dtls_of(ng.query("dtls-stuck"), "web")
            assert d["state"] == "connected", d
    finally:
        party.close()
        phone.close()
        if succ:
            stop(succ)


class HoldingProxy:
    """A UDP relay between aiortc and rtprelay's media port (the answer's candidate
    and m= port point here), in a thread: forwards both ways, and while `hold` is
    set keeps rtprelay's DTLS datagrams (first byte 20..63, RFC 7983) back from
    aiortc; release() sends what it kept, in order. Bounded: it stops with stop()
    or after `limit` seconds."""

    def __init__(self, relay_addr, limit=60.0):
        import threading
        self.relay_addr = relay_addr
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.peer = None
        self.hold, self.kept, self.held_count = True, [], 0
        self.lock = threading.Lock()
        self.running = True
        self.end = time.monotonic() + limit
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while self.running and time.monotonic() < self.end:
            r, _, _ = select.select([self.sock], [], [], 0.05)
            if not r:
                continue
            data, src = self.sock.recvfrom(4096)
            if src == self.relay_addr:
                with self.lock:
                    if self.hold and 20 <= data[0] <= 63:
                        self.kept.append(data)
                        self.held_count += 1
                        continue
                if self.peer:
                    self.sock.sendto(data, self.peer)
            else:
                self.peer = src
                self.sock.sendto(data, self.relay_addr)

    def release(self):
        with self.lock:
            self.hold = False
            for d in self.kept:
                self.sock.sendto(d, self.peer)
            self.kept = []

    def stop(self):
        self.running = False
        self.th.join(2)
        self.sock.close()


def test_aiortc_dtls_handshake_held_across_takeover_request(daemon_factory):
    """aiortc offers (actpass); rtprelay answers active and is the DTLS client. Its
    ClientHello is held back from aiortc (a proxy between them) while a successor asks
    to take over: the old daemon waits for the handshake; once the proxy lets the
    hellos through, aiortc completes it with the old daemon, the hand-over follows,
    and the tone flows both ways through the successor. Measured: release to the old
    daemon's exit."""
    pytest.importorskip("aiortc")
    import asyncio
    from test_dtls_webrtc import WebRtcPeer, dtls_of, phone_media

    tmp = tempfile.mkdtemp(prefix="rtprelay-tkl-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory("--takeover-socket=" + path, "--log-level=info")
    state = {}

    async def go():
        w = WebRtcPeer()
        phone = Phone(mux=False, pts=(0,))
        proxy = None
        try:
            with old.ng() as ng:
                r = ng.offer("dtls-aio", "web", await w.offer(),
                             ICE="remove", flags=["RTP/AVP"], **{"rtcp-mux": ["demux"]})
                assert r["result"] == "ok", r
                relay_to_phone = tuple(relay_targets(r["sdp"])[0][:2])
                a = ng.answer("dtls-aio", "web", "ph", phone.sdp(),
                              flags=["no-rtcp-attribute"])
                assert a["result"] == "ok", a
            assert "a=setup:active" in a["sdp"]
            rport = relay_targets(a["sdp"])[0][1]
            proxy = HoldingProxy(("127.0.0.1", rport))
            sdp = a["sdp"].replace("m=audio %d " % rport, "m=audio %d " % proxy.port)
            sdp = sdp.replace(" 127.0.0.1 %d typ host" % rport,
                              " 127.0.0.1 %d typ host" % proxy.port)
            assert str(proxy.port) in sdp
            await w.accept(sdp)
            end = time.monotonic() + 10
            while not proxy.held_count and time.monotonic() < end:
                await asyncio.sleep(0.05)
            assert proxy.held_count, "rtprelay sent no ClientHello"
            succ = state["succ"] = Successor(old, path, tmp)
            end = time.monotonic() + 5
            while "DTLS handshake(s) in flight" not in old.log_text() and \
                    time.monotonic() < end:
                await asyncio.sleep(0.05)
            assert "takes over once 1 DTLS handshake(s) in flight" in old.log_text(), \
                old.log_text()[-2000:]
            await asyncio.sleep(0.3)
            assert old.alive()
            released = time.monotonic()
            proxy.release()
            frames0 = w.frames
            end = time.monotonic() + 10
            while old.alive() and time.monotonic() < end:
                await asyncio.sleep(0.01)
            state["handover"] = time.monotonic() - released
            assert not old.alive(), old.log_text()[-2000:]
            got, loud = await phone_media(phone, relay_to_phone, 3)
            assert w.frames - frames0 >= 50 and w.loud >= 25, (w.frames, w.loud)
            assert got >= 50 and loud >= 25, (got, loud)
            with NgClient.udp(("127.0.0.1", old.ng_port)) as ng:
                d = dtls_of(ng.query("dtls-aio"), "web")
                assert d["state"] == "connected" and d["role"] == "active (client)", d
        finally:
            await w.close()
            phone.close()
            if proxy:
                proxy.stop()

    from ngclient import NgClient
    try:
        asyncio.run(asyncio.wait_for(go(), 40))
        assert old.wait_exit(5) == 0, old.log_text()[-3000:]
        assert "took over 1 calls (0 refused)" in state["succ"].log_text()
        print("aiortc DTLS in flight: hand-over %.0f ms after the release"
              % (state["handover"] * 1000))
        assert state["handover"] < 1.0, state["handover"]
    finally:
        if "succ" in state:
            stop(state["succ"])
