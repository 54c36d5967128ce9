"""DTLS-SRTP towards a WebRTC peer, against an independent WebRTC stack
(python3-aiortc: ICE full agent, DTLS, SRTP) on one side and a plain RTP phone
(Python sockets) on the other. Both call directions: aiortc offers and rtprelay
answers as the DTLS client; a plain caller's offer goes to aiortc with the WebRTC
flag and rtprelay is the DTLS server. Audio flows both ways (a tone, checked for
its energy on arrival) and query shows the DTLS state, role and SRTP profile. Also
Opus on the WebRTC side to PCMU on the plain side (transcoded). Bad input: a
fingerprint that does not match makes the handshake fail and no media flow;
malformed DTLS datagrams and datagrams from a wrong address are dropped and
counted."""

import asyncio
import fractions
import math
import random
import socket
import struct
import time

import pytest

aiortc = pytest.importorskip("aiortc")
import aioice  # noqa: E402
import av  # noqa: E402
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription  # noqa: E402

from dp_media import Phone, parse_rtp, relay_targets  # noqa: E402
from ngclient import sdp_offer  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

# aiortc's ICE agent gathers host candidates on loopback only (the same patch as
# test_ice.py's, which runs in the same session)
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: (
    (["127.0.0.1"] if use_ipv4 else []) + (["::1"] if use_ipv6 else []))


def ulaw(x):
    """G.711 mu-law of one 16-bit sample."""
    s = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 132
    e = 7
    while e > 0 and not x & (0x4000 >> (7 - e)) << (7 - e) >> (7 - e) and x < (0x84 << e):
        e -= 1
    m = (x >> (e + 3)) & 0x0f
    return ~(s | (e << 4) | m) & 0xff


def unulaw(b):
    b = ~b & 0xff
    t = ((b & 0x0f) << 3) + 0x84
    t <<= (b & 0x70) >> 4
    return (0x84 - t) if b & 0x80 else (t - 0x84)


def tone_pcmu(seq, n=160, freq=1000, amp=8000):
    return bytes(ulaw(int(amp * math.sin(2 * math.pi * freq * (seq * n + i) / 8000)))
                 for i in range(n))


def rms(samples):
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


class Tone(MediaStreamTrack):
    """A 440 Hz tone, 20 ms frames at 48 kHz mono (aiortc encodes it)."""
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.n = 0
        self.t0 = None

    async def recv(self):
        if self.t0 is None:
            self.t0 = time.monotonic()
        due = self.t0 + self.n * 0.02
        await asyncio.sleep(max(0, due - time.monotonic()))
        rate, k = 48000, 960
        f = av.AudioFrame(format="s16", layout="mono", samples=k)
        data = struct.pack("<%dh" % k, *(int(8000 * math.sin(2 * math.pi * 440 * (self.n * k + i)
                                                             / rate)) for i in range(k)))
        f.planes[0].update(data)
        f.sample_rate = rate
        f.pts = self.n * k
        f.time_base = fractions.Fraction(1, rate)
        self.n += 1
        return f


class WebRtcPeer:
    """aiortc with a tone track; counts what it receives and its energy."""

    def __init__(self, codecs=None):
        self.pc = RTCPeerConnection()
        self.tr = self.pc.addTransceiver(Tone(), direction="sendrecv")
        if codecs:
            caps = aiortc.RTCRtpSender.getCapabilities("audio")
            self.tr.setCodecPreferences([c for c in caps.codecs if c.mimeType in codecs])
        self.frames, self.loud = 0, 0
        self.pc.on("track", self.on_track)

    def on_track(self, track):
        async def pull():
            while True:
                try:
                    f = await track.recv()
                except Exception:
                    return
                self.frames += 1
                s = struct.unpack("<%dh" % (len(bytes(f.planes[0])) // 2), bytes(f.planes[0]))
                if rms(s) > 500:
                    self.loud += 1
        asyncio.ensure_future(pull())

    async def offer(self):
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, sdp, kind="answer"):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))

    async def answer(self, offer_sdp):
        await self.accept(offer_sdp, "offer")
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def close(self):
        await self.pc.close()


async def phone_media(phone, target, seconds, pt=0):
    """The plain phone sends a 1 kHz PCMU tone to target for `seconds` and
    returns (packets received, loud packets received)."""
    sock = phone.rtp_socks[0]
    sock.setblocking(False)
    got = loud = 0
    ssrc, seq = random.getrandbits(32), 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        hdr = struct.pack("!BBHII", 0x80, pt, seq & 0xffff, seq * 160, ssrc)
        sock.sendto(hdr + tone_pcmu(seq), target)
        seq += 1
        await asyncio.sleep(0.02)
        while True:
            try:
                p = sock.recv(2048)
            except BlockingIOError:
                break
            h = parse_rtp(p)
            if h and h[0] == pt:
                got += 1
                if rms([unulaw(b) for b in p[12:]]) > 500:
                    loud += 1
    return got, loud


def media_of(q, tag):
    return q["tags"][tag]["medias"][0]


def dtls_of(q, tag):
    return media_of(q, tag)["streams"][0].get("DTLS")


def run(coro, timeout=35):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_aiortc_offers_relay_answers_as_client(ng):
    """WebRTC caller (aiortc offers actpass) to a plain phone: rtprelay answers
    a=setup:active and is the DTLS client; tone both ways; query shows it."""
    async def go():
        w = WebRtcPeer()
        phone = Phone(mux=False, pts=(0,))
        try:
            r = ng.offer("dtls-1", "web", await w.offer(),
                         ICE="remove", flags=["RTP/AVP"], **{"rtcp-mux": ["demux"]})
            assert r["result"] == "ok", r
            assert "UDP/TLS" not in r["sdp"] and "a=fingerprint" not in r["sdp"], r["sdp"]
            relay_to_phone = tuple(relay_targets(r["sdp"])[0][:2])
            a = ng.answer("dtls-1", "web", "ph", phone.sdp(), flags=["no-rtcp-attribute"])
            assert a["result"] == "ok", a
            assert "a=setup:active" in a["sdp"] and "a=fingerprint:sha-256 " in a["sdp"]
            assert "UDP/TLS/RTP/SAVPF" in a["sdp"] and "a=ice-lite" in a["sdp"]
            await w.accept(a["sdp"])
            got, loud = await phone_media(phone, relay_to_phone, 6)
            assert got >= 100 and loud >= 50, (got, loud)
            assert w.frames >= 100 and w.loud >= 50, (w.frames, w.loud)
            q = ng.query("dtls-1")
            d = dtls_of(q, "web")
            assert d["state"] == "connected" and d["role"] == "active (client)", d
            assert d["SRTP profile"] and d["handshakes"] == 1, d
            assert d["peer fingerprint hash"] == "sha-256"
            st = media_of(q, "web")["streams"][0]
            assert st["crypto suite"] and st["stats"]["packets"] >= 100, st
            assert "DTLS-SRTP" in media_of(q, "web")["flags"]
            assert dtls_of(q, "ph") is None
        finally:
            await w.close()
            phone.close()
    run(go())


def test_plain_offers_to_aiortc_webrtc_flag(ng):
    """A plain caller's offer goes to aiortc with the WebRTC flag: UDP/TLS/RTP/SAVPF,
    ICE, rtcp-mux, a=mid, a=setup:actpass; aiortc answers active, rtprelay is the
    DTLS server; tone both ways."""
    async def go():
        w = WebRtcPeer()
        phone = Phone(mux=False, pts=(0,))
        try:
            r = ng.offer("dtls-2", "ph", phone.sdp(), flags=["WebRTC"])
            assert r["result"] == "ok", r
            sdp = r["sdp"]
            for want in ("UDP/TLS/RTP/SAVPF", "a=setup:actpass", "a=fingerprint:sha-256 ",
                         "a=rtcp-mux", "a=mid:", "a=ice-ufrag:", "a=candidate:"):
                assert want in sdp, (want, sdp)
            assert "a=crypto" not in sdp  # SDES-off
            ans = await w.answer(sdp)
            a = ng.answer("dtls-2", "ph", "web", ans, ICE="remove")
            assert a["result"] == "ok", a
            assert "RTP/AVP" in a["sdp"] and "a=fingerprint" not in a["sdp"], a["sdp"]
            relay_to_phone = tuple(relay_targets(r["sdp"])[0][:2])
            relay_to_phone = tuple(relay_targets(a["sdp"])[0][:2])
            got, loud = await phone_media(phone, relay_to_phone, 6)
            assert got >= 100 and loud >= 50, (got, loud)
            assert w.frames >= 100 and w.loud >= 50, (w.frames, w.loud)
            d = dtls_of(ng.query("dtls-2"), "web")
            assert d["state"] == "connected" and d["role"] == "passive (server)", d
        finally:
            await w.close()
            phone.close()
    run(go())


def test_opus_webrtc_to_pcmu_phone_transcoded(ng):
    """aiortc offers Opus only; the phone does PCMU only: rtprelay transcodes,
    tone both ways."""
    async def go():
        w = WebRtcPeer(codecs=("audio/opus",))
        phone = Phone(mux=False, pts=(0,))
        try:
            off = await w.offer()
            assert "PCMU" not in off
            r = ng.offer("dtls-3", "web", off, ICE="remove", flags=["RTP/AVP"],
                         codec={"transcode": ["PCMU"]}, **{"rtcp-mux": ["demux"]})
            assert r["result"] == "ok" and "PCMU" in r["sdp"], r
            a = ng.answer("dtls-3", "web", "ph", phone.sdp(), flags=["no-rtcp-attribute"])
            assert a["result"] == "ok" and "opus" in a["sdp"], a
            await w.accept(a["sdp"])
            got, loud = await phone_media(phone, tuple(relay_targets(r["sdp"])[0][:2]), 6)
            assert got >= 100 and loud >= 50, (got, loud)
            assert w.frames >= 100 and w.loud >= 50, (w.frames, w.loud)
            assert dtls_of(ng.query("dtls-3"), "web")["state"] == "connected"
        finally:
            await w.close()
            phone.close()
    run(go())


def test_fingerprint_mismatch_no_media(ng):
    """aiortc's a=fingerprint altered: rtprelay's handshake fails (counted, error
    shown), nothing reaches the phone, the phone's media is not sent to aiortc."""
    async def go():
        w = WebRtcPeer()
        phone = Phone(mux=False, pts=(0,))
        try:
            off = await w.offer()
            lines = []
            for ln in off.split("\r\n"):
                if ln.startswith("a=fingerprint:"):
                    hexpart = ln.split(" ", 1)[1]
                    first = "00" if hexpart[:2] != "00" else "11"
                    ln = ln.split(" ", 1)[0] + " " + first + hexpart[2:]
                lines.append(ln)
            r = ng.offer("dtls-4", "web", "\r\n".join(lines), ICE="remove", flags=["RTP/AVP"],
                         **{"rtcp-mux": ["demux"]})
            assert r["result"] == "ok", r
            a = ng.answer("dtls-4", "web", "ph", phone.sdp(), flags=["no-rtcp-attribute"])
            await w.accept(a["sdp"])
            got, _ = await phone_media(phone, tuple(relay_targets(r["sdp"])[0][:2]), 5)
            assert got == 0
            q = ng.query("dtls-4")
            d = dtls_of(q, "web")
            assert d["state"] == "failed" and d["failures"] >= 1 and "error" in d, d
            assert "SRTP profile" not in d
            assert media_of(q, "ph")["streams"][0]["stats"]["forwarded"] == 0
        finally:
            await w.close()
            phone.close()
    run(go())


def dtls_failures_logged(daemon):
    return sum(1 for ln in daemon.log_text().splitlines()
               if ln.startswith("<4>media ") and "DTLS handshake" in ln)


def test_bad_dtls_datagrams_counted(ng, daemon):
    """A DTLS party without ICE (its SDP address is a socket of the test's):
    malformed DTLS datagrams from it are counted bad; a ClientHello-looking
    record from another address is counted as wrong source; neither keys or
    breaks anything. A flood from the right address is rate limited. The
    handshake that never completes fails after 20 s, logged once."""
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    port = party.getsockname()[1]
    fp = ":".join("%02X" % random.getrandbits(8) for _ in range(32))
    sdp = sdp_offer(port=port, media=(("audio", (0,)),), rtcp_mux=True,
                    extra_media_lines=("a=setup:actpass", "a=fingerprint:sha-256 " + fp))
    sdp = sdp.replace("RTP/AVP", "UDP/TLS/RTP/SAVPF")
    phone = Phone(mux=False, pts=(0,))
    try:
        r = ng.offer("dtls-5", "web", sdp, flags=["RTP/AVP"])
        assert r["result"] == "ok", r
        a = ng.answer("dtls-5", "web", "ph", phone.sdp(), DTLS="passive")
        assert a["result"] == "ok" and "a=setup:passive" in a["sdp"], a
        target = tuple(relay_targets(a["sdp"])[0][:2])
        hello = bytes([22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0])
        other.sendto(hello, target)
        party.sendto(bytes([22, 0xfe, 0xfd]) + b"\x00" * 8 + b"\xff\xff", target)  # long length
        party.sendto(bytes([63]) + b"x", target)
        for _ in range(100):  # well framed: queued until the budget runs out
            party.sendto(hello, target)
        time.sleep(0.5)
        d = dtls_of(ng.query("dtls-5"), "web")
        assert d["wrong source"] == 1 and d["bad datagrams"] == 2, d
        assert 40 <= d["datagrams"] <= 60 and d["rate limited"] >= 40, d
        # the garbled hellos broke the handshake: the server listened again, a
        # bounded number of times, then gave up; logged once
        assert d["state"] == "failed" and d["role"] == "passive (server)", d
        assert d["failures"] == 6 and "unexpected message" in d["error"], d
        assert dtls_failures_logged(daemon) == 1
        # a party that never sends a hello: the handshake times out after 20 s
        quiet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        quiet.bind(("127.0.0.1", 0))
        sdp = dtls_party_sdp(quiet.getsockname()[1], "sha-256 " + fp)
        r = ng.offer("dtls-7", "web", sdp, flags=["RTP/AVP"])
        a = ng.answer("dtls-7", "web", "ph2", Phone(pts=(0,)).sdp(), DTLS="passive")
        assert a["result"] == "ok", a
        d = dtls_of(ng.query("dtls-7"), "web")
        assert d["state"] == "handshaking", d
        end = time.monotonic() + 25
        while time.monotonic() < end and d["state"] != "failed":
            time.sleep(0.5)
            d = dtls_of(ng.query("dtls-7"), "web")
        assert d["state"] == "failed" and "timed out" in d["error"], d
        time.sleep(1)
        assert dtls_failures_logged(daemon) == 2
        quiet.close()
    finally:
        party.close()
        other.close()
        phone.close()


class DtlsClient:
    """A DTLS-SRTP client of the test's own (pyOpenSSL over memory BIOs, RSA
    certificate: a peer rtprelay's ECDSA does not have to match), on a plain
    UDP socket: no ICE, so rtprelay takes its SDP address."""

    def __init__(self, sock, same_cert_as=None):
        """same_cert_as: another DtlsClient whose certificate and key this one
        presents (a second association of the same party: the RTCP port, or
        a restart that keeps the fingerprint)."""
        from OpenSSL import SSL, crypto
        self.sock = sock
        if same_cert_as is not None:
            key, cert = same_cert_as.key, same_cert_as.cert
        else:
            key = crypto.PKey()
            key.generate_key(crypto.TYPE_RSA, 2048)
            cert = crypto.X509()
            cert.get_subject().CN = "test"
            cert.set_serial_number(random.getrandbits(63))
            cert.gmtime_adj_notBefore(-3600)
            cert.gmtime_adj_notAfter(3600)
            cert.set_issuer(cert.get_subject())
            cert.set_pubkey(key)
            cert.sign(key, "sha256")
        self.key, self.cert = key, cert
        self.fingerprint = "sha-256 " + cert.digest("sha256").decode()
        ctx = SSL.Context(SSL.DTLS_METHOD)
        ctx.use_certificate(cert)
        ctx.use_privatekey(key)
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *a: True)
        ctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
        self.SSL = SSL
        self.conn = SSL.Connection(ctx, None)
        self.conn.set_connect_state()

    def handshake(self, target, timeout=5.0):
        """Run the handshake against target; the SRTP keys (local, remote) as
        libsrtp master key+salt (RFC 5764 4.2: the client writes with its own)."""
        self.sock.settimeout(0.2)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                self.conn.do_handshake()
                break
            except self.SSL.WantReadError:
                pass
            try:
                while True:
                    self.sock.sendto(self.conn.bio_read(4096), target)
            except self.SSL.WantReadError:
                pass
            try:
                self.conn.bio_write(self.sock.recv(4096))
            except socket.timeout:
                pass
        else:
            raise AssertionError("DTLS handshake did not complete")
        try:  # the last flight
            while True:
                self.sock.sendto(self.conn.bio_read(4096), target)
        except self.SSL.WantReadError:
            pass
        m = self.conn.export_keying_material(b"EXTRACTOR-dtls_srtp", 60)
        ck, sk, cs, ss = m[0:16], m[16:32], m[32:46], m[46:60]
        return ck + cs, sk + ss


def dtls_party_sdp(port, fingerprint, version=1):
    return sdp_offer(port=port, media=(("audio", (0,)),), rtcp_mux=True, version=version,
                     extra_media_lines=("a=setup:actpass", "a=fingerprint:" + fingerprint)
                     ).replace("RTP/AVP", "UDP/TLS/RTP/SAVPF")


def srtp_stream_to_phone(party, target, phone, key, n=20):
    """The DTLS party sends n SRTP packets with key; the RTP packets the phone got."""
    from srtp_peer import Srtp
    tx = Srtp("AES_CM_128_HMAC_SHA1_80", key, outbound=True)
    ssrc = random.getrandbits(32)
    seq0 = random.randrange(0, 30000)
    for i in range(n):
        pkt = struct.pack("!BBHII", 0x80, 0, seq0 + i, (seq0 + i) * 160, ssrc) + b"\xd5" * 160
        party.sendto(tx.protect(pkt), target)
        time.sleep(0.005)
    got = 0
    phone.rtp_socks[0].settimeout(0.3)
    try:
        while True:
            p = phone.rtp_socks[0].recv(2048)
            if parse_rtp(p) and p[12:] == b"\xd5" * 160:
                got += 1
    except socket.timeout:
        pass
    return got


def test_reoffer_keeps_keys_new_fingerprint_rekeys(ng):
    """A DTLS party of the test's own (rtprelay passive, the server): after the
    handshake its SRTP reaches the phone; a re-offer with the same SDP keeps the
    keys (no new handshake, media still passes); a re-offer with a new
    certificate's fingerprint is a DTLS restart: the new handshake re-keys, the
    old keys are refused from then on."""
    party = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    party.bind(("127.0.0.1", 0))
    port = party.getsockname()[1]
    phone = Phone(mux=False, pts=(0,))
    try:
        c1 = DtlsClient(party)
        r = ng.offer("dtls-6", "web", dtls_party_sdp(port, c1.fingerprint), flags=["RTP/AVP"])
        assert r["result"] == "ok", r
        a = ng.answer("dtls-6", "web", "ph", phone.sdp(), DTLS="passive")
        assert "a=setup:passive" in a["sdp"], a
        target = tuple(relay_targets(a["sdp"])[0][:2])
        local1, _ = c1.handshake(target)
        assert srtp_stream_to_phone(party, target, phone, local1) == 20
        d = dtls_of(ng.query("dtls-6"), "web")
        assert d["state"] == "connected" and d["handshakes"] == 1, d
        assert d["role"] == "passive (server)" and d["peer fingerprint hash"] == "sha-256"
        # re-offer, same SDP: same keys, same association
        r = ng.offer("dtls-6", "web", dtls_party_sdp(port, c1.fingerprint, 2),
                     flags=["RTP/AVP"])
        assert r["result"] == "ok", r
        a = ng.answer("dtls-6", "web", "ph", phone.sdp(), DTLS="passive")
        assert a["result"] == "ok", a
        assert srtp_stream_to_phone(party, target, phone, local1) == 20
        assert dtls_of(ng.query("dtls-6"), "web")["handshakes"] == 1
        # a new certificate: restart, new keys
        c2 = DtlsClient(party)
        r = ng.offer("dtls-6", "web", dtls_party_sdp(port, c2.fingerprint, 3),
                     flags=["RTP/AVP"])
        assert r["result"] == "ok", r
        a = ng.answer("dtls-6", "web", "ph", phone.sdp(), DTLS="passive")
        local2, _ = c2.handshake(target)
        assert local2 != local1
        assert srtp_stream_to_phone(party, target, phone, local2) == 20
        assert srtp_stream_to_phone(party, target, phone, local1) == 0
        q = ng.query("dtls-6")
        d = dtls_of(q, "web")
        assert d["state"] == "connected" and d["handshakes"] == 2, d
        assert media_of(q, "web")["streams"][0]["stats"]["SRTP auth failed"] >= 20
    finally:
        party.close()
        phone.close()
