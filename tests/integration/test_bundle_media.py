"""BUNDLE with audio and video on one 5-tuple towards a WebRTC party, with real
packets through the daemon; the SIP side is a plain RTP phone with two m= lines
(audio and video on ports of their own).

A hand-made bundling party (RTP/AVP with ICE credentials, so rtprelay is ICE-lite
towards it and accepts its SDP address before any nomination) proves the
demultiplexing rules exactly: by the MID header extension (RFC 8843 15.1), by a=ssrc,
by an SSRC learned from a MID, by a unique payload type; RTCP by sender SSRC and by
the SSRC a report block is about; a packet with an unknown MID, or an unknown SSRC and
a payload type no media (or every media) has, and RTCP no media claims, are dropped and
counted, never misrouted. The phone's audio and video both reach the party from the one
bundle port.

aiortc (python3-aiortc: ICE, DTLS-SRTP, BUNDLE, VP8) then calls the phone with audio and
video in both call directions: aiortc offers its bundle and rtprelay answers it bundled;
the phone offers audio+video with bundle=offer and aiortc answers the bundle. One DTLS
association keys both media; each arrives at the right port of the phone with the right
payload type, and the phone's audio and video reach aiortc (its inbound-rtp counters)."""

import asyncio
import fractions
import math
import struct
import time

import pytest

from dp_media import Phone, parse_rtp, relay_targets

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

MID_EXT = "urn:ietf:params:rtp-hdrext:sdes:mid"


def web_sdp(port, group=("a", "v"), audio_ssrc=1111):
    """A bundling party: both sections on @port, mids @group, a=ssrc for audio only,
    the MID header extension as id 3, PT 0 (PCMU) audio and PT 96 (VP8) video."""
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0",
             "a=group:BUNDLE " + " ".join(group)]
    for kind, mid, fmt in (("audio", group[0], "0"), ("video", group[1], "96")):
        lines += ["m=%s %d RTP/AVP %s" % (kind, port, fmt), "c=IN IP4 127.0.0.1",
                  "a=mid:" + mid, "a=rtcp-mux", "a=ice-ufrag:HmAd",
                  "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y", "a=extmap:3 " + MID_EXT]
        if kind == "audio":
            lines.append("a=ssrc:%d cname:web" % audio_ssrc)
        else:
            lines.append("a=rtpmap:96 VP8/90000")
        lines.append("a=sendrecv")
    return "\r\n".join(lines) + "\r\n"


def rtp_mid(seq, ssrc, pt, mid=None, size=100):
    """An RTP packet, with a one-byte-header MID element (id 3) when @mid is given."""
    hdr = struct.pack("!BBHII", 0x90 if mid else 0x80, pt, seq & 0xffff, seq * 160, ssrc)
    if mid:
        ext = bytes([(3 << 4) | (len(mid) - 1)]) + mid.encode()
        ext += b"\0" * (-len(ext) % 4)
        hdr += struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext
    return hdr + bytes([seq & 0xff]) * size


def rtcp_sr(ssrc):
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, 0, 0, 0, 0, 0)


def rtcp_rr(ssrc, about=None):
    if about is None:
        return struct.pack("!BBHI", 0x80, 201, 1, ssrc)
    return struct.pack("!BBHII", 0x81, 201, 7, ssrc, about) + b"\0" * 20


def recv_all(sock, quiet=0.3, limit=3.0):
    got, end = [], time.monotonic() + limit
    sock.settimeout(quiet)
    while time.monotonic() < end:
        try:
            got.append(sock.recvfrom(4096))
        except (TimeoutError, OSError):
            break
    return got


def stream(q, tag, i):
    return q["tags"][tag]["medias"][i]["streams"][0]


def test_handmade_bundle_demux_both_ways(ng):
    import socket
    web = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    web.bind(("127.0.0.1", 0))
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        wport = web.getsockname()[1]
        r = ng.offer("bav-1", "web", web_sdp(wport), ICE="remove",
                     **{"rtcp-mux": ["demux"]})
        assert r["result"] == "ok", r
        to_phone = relay_targets(r["sdp"])
        assert len(to_phone) == 2 and to_phone[0][1] != to_phone[1][1], r["sdp"]
        assert "a=group:" not in r["sdp"], r["sdp"]
        a = ng.answer("bav-1", "web", "ph", phone.sdp(), ICE="force")
        assert a["result"] == "ok", a
        assert "a=group:BUNDLE a v" in a["sdp"], a["sdp"]
        to_web = relay_targets(a["sdp"])
        assert to_web[0][1] == to_web[1][1], a["sdp"]
        bundle = tuple(to_web[0][:2])

        # web -> phone: audio by a=ssrc, video by MID (then by the learned SSRC),
        # and video of a second SSRC by its unique payload type
        for s in range(5):
            web.sendto(rtp_mid(s, 1111, 0), bundle)
            web.sendto(rtp_mid(s, 2222, 96, "v" if s < 2 else None), bundle)
            web.sendto(rtp_mid(s, 3333, 96), bundle)
        # dropped: an unknown MID (its payload type is audio's: not guessed), an
        # unknown SSRC with a payload type nobody has
        web.sendto(rtp_mid(9, 4444, 0, "zz"), bundle)
        web.sendto(rtp_mid(9, 5555, 127), bundle)
        aud = [parse_rtp(p) for p, _ in recv_all(phone.rtp_socks[0])]
        vid = [parse_rtp(p) for p, _ in recv_all(phone.rtp_socks[1])]
        assert sorted(x[2] for x in aud) == [1111] * 5, aud
        assert all(x[0] == 0 for x in aud), aud
        assert sorted(x[2] for x in vid) == [2222] * 5 + [3333] * 5, vid
        assert all(x[0] == 96 for x in vid), vid

        # phone -> web: both media leave the one bundle port
        phone.send_rtp(0, tuple(to_phone[0][:2]), n=4)
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=4, pt=96)
        got = recv_all(web)
        assert {src for _, src in got} == {bundle}, got
        kinds = sorted((parse_rtp(p)[0], parse_rtp(p)[2]) for p, _ in got)
        assert kinds == [(0, phone.ssrc[0])] * 4 + [(96, phone.ssrc[1])] * 4, kinds

        # RTCP on the bundle port: by sender SSRC (learned video SSRC), by the
        # SSRC of the report block (the phone's video), unclaimed is dropped
        web.sendto(rtcp_sr(2222), bundle)
        web.sendto(rtcp_rr(9999, about=phone.ssrc[1]), bundle)
        web.sendto(rtcp_rr(8888), bundle)
        assert recv_all(phone.rtcp_socks[0]) == []
        vr = [p for p, _ in recv_all(phone.rtcp_socks[1])]
        assert sorted(p[1] for p in vr) == [200, 201], vr
        # the phone's video RTCP reaches the web party at the bundle port
        phone.send_rtcp(1, (to_phone[1][0], to_phone[1][2]))
        got = recv_all(web)
        assert [(p[1], src) for p, src in got] == [(201, bundle)], got

        q = ng.query("bav-1")
        assert q["result"] == "ok", q
        lead, member = stream(q, "web", 0), stream(q, "web", 1)
        assert lead["stats"]["bundle unknown"] == 3, lead
        assert lead["stats"]["packets"] == 5, lead
        assert member["stats"]["packets"] == 10 + 2, member  # RTP, and RTCP muxed
        assert member["bundle port"] == bundle[1] and "BUNDLE" in member["flags"], member
    finally:
        web.close()
        phone.close()


def test_bundle_packets_from_elsewhere_are_not_taken(ng):
    """Only the party's address (ICE: the SDP address until a nomination) may use
    the bundle port: another source is dropped as a source drop, for every MID."""
    import socket
    web = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    web.bind(("127.0.0.1", 0))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        r = ng.offer("bav-2", "web", web_sdp(web.getsockname()[1]), ICE="remove",
                     **{"rtcp-mux": ["demux"]})
        assert r["result"] == "ok", r
        a = ng.answer("bav-2", "web", "ph", phone.sdp(), ICE="force")
        bundle = tuple(relay_targets(a["sdp"])[0][:2])
        for s in range(5):
            other.sendto(rtp_mid(s, 1111, 0), bundle)
            other.sendto(rtp_mid(s, 2222, 96, "v"), bundle)
        assert recv_all(phone.rtp_socks[0]) == [] and recv_all(phone.rtp_socks[1]) == []
        lead = stream(ng.query("bav-2"), "web", 0)
        assert lead["stats"]["dropped source"] == 10, lead
    finally:
        web.close()
        other.close()
        phone.close()


# ---- aiortc: a real WebRTC stack (ICE, DTLS-SRTP, BUNDLE, VP8) ----

def ulaw(x):
    """G.711 mu-law of one 16-bit sample."""
    s = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 132
    e = 7
    while e > 0 and not x & (0x4000 >> (7 - e)) << (7 - e) >> (7 - e) and x < (0x84 << e):
        e -= 1
    return ~(s | (e << 4) | ((x >> (e + 3)) & 0x0f)) & 0xff


TONE = bytes(ulaw(int(8000 * math.sin(2 * math.pi * 1000 * i / 8000))) for i in range(160))


def aiortc_peer():
    """An aiortc peer with a tone and a small video track, sendrecv; None without
    aiortc."""
    aiortc = pytest.importorskip("aiortc")
    import aioice
    import av
    from aiortc import MediaStreamTrack, RTCPeerConnection

    # aiortc's ICE agent gathers host candidates on loopback only (as test_ice.py)
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: (
        (["127.0.0.1"] if use_ipv4 else []) + (["::1"] if use_ipv6 else []))

    class Tone(MediaStreamTrack):
        kind = "audio"

        def __init__(self):
            super().__init__()
            self.n, self.t0 = 0, None

        async def recv(self):
            if self.t0 is None:
                self.t0 = time.monotonic()
            await asyncio.sleep(max(0, self.t0 + self.n * 0.02 - time.monotonic()))
            f = av.AudioFrame(format="s16", layout="mono", samples=960)
            f.planes[0].update(struct.pack("<960h", *(
                int(8000 * math.sin(2 * math.pi * 440 * (self.n * 960 + i) / 48000))
                for i in range(960))))
            f.sample_rate, f.pts = 48000, self.n * 960
            f.time_base = fractions.Fraction(1, 48000)
            self.n += 1
            return f

    class Video(MediaStreamTrack):
        """160x120 frames at 15 fps: small enough for VP8 in a shared CI core."""
        kind = "video"

        def __init__(self):
            super().__init__()
            self.n, self.t0 = 0, None

        async def recv(self):
            if self.t0 is None:
                self.t0 = time.monotonic()
            await asyncio.sleep(max(0, self.t0 + self.n / 15 - time.monotonic()))
            f = av.VideoFrame(width=160, height=120, format="yuv420p")
            for p in f.planes:
                p.update(bytes([(self.n * 7) & 0xff]) * p.buffer_size)
            f.pts, f.time_base = self.n * 6000, fractions.Fraction(1, 90000)
            self.n += 1
            return f

    class Peer:
        def __init__(self):
            self.pc = RTCPeerConnection()
            self.audio = self.pc.addTransceiver(Tone(), direction="sendrecv")
            self.video = self.pc.addTransceiver(Video(), direction="sendrecv")

        async def inbound(self, tr):
            rep = await tr.receiver.getStats()
            return sum(s.packetsReceived for s in rep.values() if s.type == "inbound-rtp")

        async def offer(self):
            await self.pc.setLocalDescription(await self.pc.createOffer())
            return self.pc.localDescription.sdp

        async def accept(self, sdp, kind="answer"):
            await self.pc.setRemoteDescription(aiortc.RTCSessionDescription(sdp=sdp, type=kind))

        async def answer(self, sdp):
            await self.accept(sdp, "offer")
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            return self.pc.localDescription.sdp

    return Peer()


def vp8_pt(sdp):
    for line in sdp.splitlines():
        if line.startswith("a=rtpmap:") and " VP8/90000" in line:
            return int(line[9:].split()[0])
    raise AssertionError("no VP8 in " + sdp)


def phone_sdp(port_a, port_v, vp8):
    """A plain phone: PCMU audio and VP8 video on ports of their own, RTCP on +1."""
    return "\r\n".join([
        "v=0", "o=- 5 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
        "m=audio %d RTP/AVP 0" % port_a, "a=rtpmap:0 PCMU/8000", "a=sendrecv",
        "m=video %d RTP/AVP %d" % (port_v, vp8), "a=rtpmap:%d VP8/90000" % vp8,
        "a=sendrecv", ""])


async def phone_media(phone, to_audio, to_video, vp8, seconds):
    """The phone sends a PCMU tone to @to_audio and echoes the VP8 it receives (under
    its own SSRC) to @to_video, for @seconds; what arrived on each of its sockets,
    as {socket index: [payload types]}."""
    socks = phone.rtp_socks
    for s in socks:
        s.setblocking(False)
    got = {0: [], 1: []}
    seq_a = seq_v = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        socks[0].sendto(struct.pack("!BBHII", 0x80, 0, seq_a & 0xffff, seq_a * 160,
                                    phone.ssrc[0]) + TONE, to_audio)
        seq_a += 1
        await asyncio.sleep(0.02)
        for i in (0, 1):
            while True:
                try:
                    p = socks[i].recv(4096)
                except BlockingIOError:
                    break
                h = parse_rtp(p)
                if not h:
                    continue
                got[i].append(h[0])
                if i == 1 and h[0] == vp8:  # the same frames back, as the phone's
                    hdr = bytearray(p[:12])
                    struct.pack_into("!HI", hdr, 2, seq_v & 0xffff, 0)
                    struct.pack_into("!I", hdr, 8, phone.ssrc[1])
                    struct.pack_into("!I", hdr, 4, struct.unpack("!I", p[4:8])[0])
                    hdr[0] &= 0xe0  # no CSRC, extension or padding in the copy
                    h_len = 12 + 4 * (p[0] & 0x0f)
                    if p[0] & 0x10:
                        h_len += 4 + 4 * struct.unpack("!H", p[h_len + 2:h_len + 4])[0]
                    body = p[h_len:]
                    if p[0] & 0x20:
                        body = body[:-body[-1]]
                    socks[1].sendto(bytes(hdr) + body, to_video)
                    seq_v += 1
    return got


def check_webrtc_bundle(ng, cid, tag, q_lead_only=True):
    q = ng.query(cid)
    lead, member = stream(q, tag, 0), stream(q, tag, 1)
    # one DTLS association for the bundle: on the bundle socket only
    assert lead["DTLS"]["state"] == "connected" and lead["DTLS"]["handshakes"] == 1, lead
    assert "DTLS" not in member, member
    assert lead["crypto suite"] and "BUNDLE" in member["flags"], (lead, member)
    assert member["bundle port"] == lead["local port"], (lead, member)
    assert lead["stats"]["packets"] >= 100 and member["stats"]["packets"] >= 20, (lead, member)
    assert lead["stats"]["bundle unknown"] == 0, lead
    assert lead["stats"]["SRTP auth failed"] == 0, lead


def run(coro, timeout=40):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_aiortc_offers_audio_video_bundle(ng):
    """aiortc offers audio+video (one BUNDLE group); the phone gets two m= lines on
    ports of their own; rtprelay answers aiortc with both on one port."""
    async def go():
        w = aiortc_peer()
        phone = Phone(nmedia=2, mux=False, pts=(0,))
        try:
            off = await w.offer()
            assert "a=group:BUNDLE 0 1" in off, off
            vp8 = vp8_pt(off)
            r = ng.offer("bav-3", "web", off, ICE="remove", flags=["RTP/AVP"],
                         **{"rtcp-mux": ["demux"]})
            assert r["result"] == "ok", r
            to_phone = relay_targets(r["sdp"])
            assert "a=group" not in r["sdp"] and to_phone[0][1] != to_phone[1][1], r["sdp"]
            a = ng.answer("bav-3", "web", "ph",
                          phone_sdp(phone.port, phone.port + 2, vp8),
                          flags=["no-rtcp-attribute"])
            assert a["result"] == "ok", a
            assert "a=group:BUNDLE 0 1" in a["sdp"], a["sdp"]
            await w.accept(a["sdp"])
            got = await phone_media(phone, tuple(to_phone[0][:2]), tuple(to_phone[1][:2]),
                                    vp8, 8)
            assert len(got[0]) >= 100 and set(got[0]) == {0}, got[0][:20]
            assert len(got[1]) >= 20 and set(got[1]) == {vp8}, got[1][:20]
            assert await w.inbound(w.audio) >= 100
            assert await w.inbound(w.video) >= 20
            check_webrtc_bundle(ng, "bav-3", "web")
        finally:
            await w.pc.close()
            phone.close()
    run(go())


def test_phone_offers_audio_video_bundle_to_aiortc(ng):
    """The phone offers audio+video; with bundle=offer and WebRTC, aiortc gets one
    BUNDLE group on one port, answers it, and media flows both ways per media."""
    async def go():
        w = aiortc_peer()
        phone = Phone(nmedia=2, mux=False, pts=(0,))
        try:
            vp8 = 96
            r = ng.offer("bav-4", "ph", phone_sdp(phone.port, phone.port + 2, vp8),
                         flags=["WebRTC"], bundle=["offer"])
            assert r["result"] == "ok", r
            # the WebRTC flag generates the mids (rtpengine numbers them from 1)
            assert "a=group:BUNDLE 1 2" in r["sdp"], r["sdp"]
            targets = relay_targets(r["sdp"])
            assert targets[0][1] == targets[1][1], r["sdp"]
            ans = await w.answer(r["sdp"])
            assert "a=group:BUNDLE 1 2" in ans, ans
            a = ng.answer("bav-4", "ph", "web", ans, ICE="remove")
            assert a["result"] == "ok", a
            to_phone = relay_targets(a["sdp"])
            assert "a=group" not in a["sdp"] and to_phone[0][1] != to_phone[1][1], a["sdp"]
            got = await phone_media(phone, tuple(to_phone[0][:2]), tuple(to_phone[1][:2]),
                                    vp8, 8)
            assert len(got[0]) >= 100 and set(got[0]) == {0}, got[0][:20]
            assert len(got[1]) >= 20 and set(got[1]) == {vp8}, got[1][:20]
            assert await w.inbound(w.audio) >= 100
            assert await w.inbound(w.video) >= 20
            check_webrtc_bundle(ng, "bav-4", "web")
        finally:
            await w.pc.close()
            phone.close()
    run(go())
