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
