"""test_control_codecopts.py: rtpengine's codec `set`, `consume` and `ignore`, the
`TOS` key (checked on the packets that arrive), `generate-mid`, `original-sendrecv`,
and T.38: refused with an error when asked for, an m=image udptl line relayed as
rtpengine relays it without T.38 flags.

    A --offer(options)--> relay --> B
    B --answer--> relay --> A
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcode_media import (Pcmu, phone_sdp, rtp_packet, rtp_parse,  # noqa: E402
                             receive_all, sdp_media, udp_socket, voice)

IP_RECVTOS = getattr(socket, "IP_RECVTOS", 13)
IP_TOS = getattr(socket, "IP_TOS", 1)


def offer_ok(ng, cid, sdp, **kw):
    r = ng.offer(cid, "a", sdp, **kw)
    assert r["result"] == "ok", r
    return r["sdp"]


def answer_ok(ng, cid, sdp, **kw):
    r = ng.answer(cid, "a", "b", sdp, **kw)
    assert r["result"] == "ok", r
    return r["sdp"]


def send_pcmu(sock, dest, n, ssrc=0xA, seq0=100):
    pcm = voice(160 * n)
    for i in range(n):
        sock.sendto(rtp_packet(0, seq0 + i, 160 * i, ssrc,
                               Pcmu().encode(pcm[160 * i:160 * (i + 1)])), dest)
        time.sleep(0.02)


# --- T.38 -----------------------------------------------------------------------

def test_t38_request_is_an_error_not_a_warning(ng):
    sdp = phone_sdp(5000, [(0, "PCMU/8000", None)])
    for extra in ({"T.38": ["decode"]}, {"T.38": "force"}, {"flags": ["T.38=decode"]},
                  {"flags": ["T38-force"]}, {"flags": ["T.38"]}):
        r = ng.offer("t38-1", "a", sdp, **extra)
        assert r["result"] == "error", (extra, r)
        assert "T.38 is not supported" in r["error-reason"], r
        assert "warning" not in r
    # nothing was set up for the refused offer
    assert "t38-1" not in ng.call_ids()
    # rtpengine reads T.38 flags in offers only: an answer carrying them goes through
    offer_ok(ng, "t38-2", sdp)
    assert answer_ok(ng, "t38-2", phone_sdp(5002, [(0, "PCMU/8000", None)]),
                     **{"T.38": ["decode"]})


T38_SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=image %d udptl t38\r\n"
           "a=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\na=T38FaxRateManagement:transferredTCF\r\n"
           "a=T38FaxMaxDatagram:400\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n")


def test_image_udptl_is_relayed_untouched_but_for_address_and_port(ng):
    """Without T.38 flags rtpengine relays an image/udptl stream as opaque UDP: the
    m= line keeps "udptl t38", every T38 attribute stays, only address and port
    become the relay's, and UDPTL datagrams go through byte for byte."""
    sa, pa = udp_socket()
    sb, pb = udp_socket()
    try:
        to_b = offer_ok(ng, "t38-img", T38_SDP % pa)
        m = [ln for ln in to_b.splitlines() if ln.startswith("m=")]
        assert len(m) == 1 and m[0].split()[0] == "m=image" and m[0].split()[2:] == ["udptl", "t38"]
        relay_b = int(m[0].split()[1])
        assert relay_b != pa
        for attr in ("a=T38FaxVersion:0", "a=T38MaxBitRate:14400",
                     "a=T38FaxRateManagement:transferredTCF", "a=T38FaxMaxDatagram:400",
                     "a=T38FaxUdpEC:t38UDPRedundancy"):
            assert attr in to_b.splitlines()
        assert not any(ln.startswith("a=rtpmap") for ln in to_b.splitlines())
        to_a = answer_ok(ng, "t38-img", T38_SDP % pb)
        relay_a = int([ln for ln in to_a.splitlines() if ln.startswith("m=")][0].split()[1])
        udptl = bytes([0x00, 0x01, 0x06, 0x00, 0x00, 0x00, 0x00])  # not RTP: opaque
        for _ in range(3):
            sa.sendto(udptl, ("127.0.0.1", relay_a))
            time.sleep(0.02)
        sb.settimeout(2)
        assert sb.recv(2048) == udptl
    finally:
        sa.close()
        sb.close()


# --- TOS ------------------------------------------------------------------------

def tos_socket():
    s, port = udp_socket()
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)
    return s, port


def recv_tos(sock, timeout=2.0):
    """TOS byte of the next datagram on @sock."""
    sock.settimeout(timeout)
    _, anc, _, _ = sock.recvmsg(2048, socket.CMSG_SPACE(4))
    for level, typ, data in anc:
        if level == socket.IPPROTO_IP and typ == IP_TOS:
            return data[0]
    raise AssertionError("no IP_TOS control message")


def drain(sock):
    sock.settimeout(0.2)
    try:
        while True:
            sock.recv(2048)
    except OSError:
        pass


def tos_both_ways(ng, cid, sa, sb, for_a, for_b, seq):
    pkt_a = rtp_packet(0, seq, 160 * seq, 0x11, bytes(160))
    pkt_b = rtp_packet(0, seq, 160 * seq, 0x22, bytes(160))
    drain(sa)
    drain(sb)
    for _ in range(3):
        sa.sendto(pkt_a, for_a)
        sb.sendto(pkt_b, for_b)
        time.sleep(0.02)
    return recv_tos(sb), recv_tos(sa)


def test_tos_sets_the_traffic_class_of_the_relayed_packets(ng):
    """TOS=184 (DSCP EF) in offer and answer: both directions leave the relay with
    it; a negative TOS leaves it as it is; offer and answer without the key go back
    to the default (EF, 184, which every media socket starts with), as rtpengine
    documents."""
    sa, pa = tos_socket()
    sb, pb = tos_socket()
    fmt = [(0, "PCMU/8000", None)]
    try:
        to_b = offer_ok(ng, "tos-1", phone_sdp(pa, fmt), TOS=184)
        to_a = answer_ok(ng, "tos-1", phone_sdp(pb, fmt), TOS=184)
        for_a = ("127.0.0.1", sdp_media(to_a)[1])
        for_b = ("127.0.0.1", sdp_media(to_b)[1])
        assert tos_both_ways(ng, "tos-1", sa, sb, for_a, for_b, 1) == (184, 184)
        offer_ok(ng, "tos-1", phone_sdp(pa, fmt), TOS=-1)
        answer_ok(ng, "tos-1", phone_sdp(pb, fmt), TOS=-1)
        assert tos_both_ways(ng, "tos-1", sa, sb, for_a, for_b, 10) == (184, 184)
        offer_ok(ng, "tos-1", phone_sdp(pa, fmt), TOS=46)
        answer_ok(ng, "tos-1", phone_sdp(pb, fmt), flags=["TOS=46"])
        assert tos_both_ways(ng, "tos-1", sa, sb, for_a, for_b, 20) == (46, 46)
        offer_ok(ng, "tos-1", phone_sdp(pa, fmt), TOS=0)
        answer_ok(ng, "tos-1", phone_sdp(pb, fmt), TOS=0)
        assert tos_both_ways(ng, "tos-1", sa, sb, for_a, for_b, 25) == (0, 0)
        offer_ok(ng, "tos-1", phone_sdp(pa, fmt))
        answer_ok(ng, "tos-1", phone_sdp(pb, fmt))
        assert tos_both_ways(ng, "tos-1", sa, sb, for_a, for_b, 30) == (184, 184)
    finally:
        sa.close()
        sb.close()


def test_tos_absurd_values(ng):
    """256 and above mean the default (rtpengine); text is warned about, never an
    error: the call sends with the default TOS (EF, 184) as one without TOS does."""
    sa, pa = tos_socket()
    sb, pb = tos_socket()
    fmt = [(0, "PCMU/8000", None)]
    try:
        to_b = offer_ok(ng, "tos-2", phone_sdp(pa, fmt), TOS=100000)
        r = ng.answer("tos-2", "a", "b", phone_sdp(pb, fmt), TOS="lots")
        assert r["result"] == "ok" and "TOS" in r.get("warning", ""), r
        for_a = ("127.0.0.1", sdp_media(r["sdp"])[1])
        for_b = ("127.0.0.1", sdp_media(to_b)[1])
        assert tos_both_ways(ng, "tos-2", sa, sb, for_a, for_b, 1) == (184, 184)
    finally:
        sa.close()
        sb.close()


# --- generate-mid, original-sendrecv -------------------------------------------

def two_media_sdp(port, mid_first=None, session_dir=None, dirs=("a=sendrecv", "a=sendrecv"),
                  conn="127.0.0.1"):
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 %s" % conn, "t=0 0"]
    if session_dir:
        lines.append(session_dir)
    lines += ["m=audio %d RTP/AVP 0" % port, "a=rtpmap:0 PCMU/8000"]
    if mid_first:
        lines.append("a=mid:%s" % mid_first)
    if dirs[0]:
        lines.append(dirs[0])
    lines += ["m=video %d RTP/AVP 96" % (port + 2), "a=rtpmap:96 H264/90000"]
    if dirs[1]:
        lines.append(dirs[1])
    return "\r\n".join(lines) + "\r\n"


def media_attrs(sdp, prefix):
    """Per media section, the attribute lines starting with @prefix."""
    out = []
    for ln in sdp.splitlines():
        if ln.startswith("m="):
            out.append([])
        elif out and ln.startswith(prefix):
            out[-1].append(ln)
    return out


def test_generate_mid(ng):
    sdp = offer_ok(ng, "mid-1", two_media_sdp(6000), flags=["generate-mid"])
    assert media_attrs(sdp, "a=mid:") == [["a=mid:1"], ["a=mid:2"]]
    # a media that has its mid keeps it, alone; the other one gets its number
    sdp = offer_ok(ng, "mid-2", two_media_sdp(6010, mid_first="audio"),
                   flags=["generate mid"])
    assert media_attrs(sdp, "a=mid:") == [["a=mid:audio"], ["a=mid:2"]]
    # without the flag nothing is invented
    sdp = offer_ok(ng, "mid-3", two_media_sdp(6020))
    assert media_attrs(sdp, "a=mid:") == [[], []]
    # and the answer side too
    sdp = answer_ok(ng, "mid-3", two_media_sdp(6030), flags=["generate-mid"])
    assert media_attrs(sdp, "a=mid:") == [["a=mid:1"], ["a=mid:2"]]


def direction_lines(sdp):
    dirs = ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive")
    session, media, cur = [], [], None
    for ln in sdp.splitlines():
        if ln.startswith("m="):
            cur = []
            media.append(cur)
        elif ln in dirs:
            (session if cur is None else cur).append(ln)
    return session, media


def test_original_sendrecv_keeps_direction_attributes(ng):
    """Session-level direction, per-media directions, a missing one and a hold with
    c=0.0.0.0: with original-sendrecv every direction attribute goes out exactly as
    it came in, in the same place (rtprelay invents none and moves none)."""
    cases = [
        two_media_sdp(6100, session_dir="a=sendonly", dirs=(None, None)),
        two_media_sdp(6110, dirs=("a=recvonly", "a=inactive")),
        two_media_sdp(6120, dirs=("a=sendonly", None), conn="0.0.0.0"),
    ]
    for i, sdp in enumerate(cases):
        out = offer_ok(ng, "osr-%d" % i, sdp, flags=["original-sendrecv"])
        assert direction_lines(out) == direction_lines(sdp), (sdp, out)
        back = answer_ok(ng, "osr-%d" % i, sdp, flags=["original sendrecv"])
        assert direction_lines(back) == direction_lines(sdp)


# --- codec set / consume / ignore ---------------------------------------------

def opus_payload_sizes(ng, cid, codec):
    """A offers PCMU with `codec` (transcode opus), B answers opus; the sizes of the
    opus payloads B gets for 2 s of A's voice."""
    sa, pa = udp_socket()
    sb, pb = udp_socket()
    try:
        to_b = offer_ok(ng, cid, phone_sdp(pa, [(0, "PCMU/8000", None)]), codec=codec)
        opus_pt = [pt for pt, v in sdp_media(to_b)[3].items() if v.startswith("opus/")][0]
        to_a = answer_ok(ng, cid, phone_sdp(pb, [(opus_pt, "opus/48000/2", None)]))
        assert sdp_media(to_a)[2] == [0]
        send_pcmu(sa, ("127.0.0.1", sdp_media(to_a)[1]), 100)
        pkts = [rtp_parse(p) for p in receive_all(sb)]
        sizes = [len(p[5]) for p in pkts if p and p[0] == opus_pt]
        assert len(sizes) >= 80, len(sizes)
        return sizes[10:]  # past the encoder's start
    finally:
        sa.close()
        sb.close()


def test_codec_set_limits_the_opus_encoder(ng):
    """set: opus/48000/2///maxaveragebitrate=40000 (fmtp form) and opus/48000/2/40000
    (bitrate form) make the relay's Opus encoder spend 40 kbit/s (100 bytes per
    20 ms) where, for B's Opus without fmtp, it picks its own low rate for 8 kHz
    voice; a set for mono Opus does not match the stereo Opus rtprelay offers and
    changes nothing. The SDP is not changed by set (it is an encoder option)."""
    avg = lambda s: sum(s) / len(s)  # noqa: E731
    base = avg(opus_payload_sizes(ng, "set-0", {"transcode": ["opus"]}))
    fmtp = avg(opus_payload_sizes(ng, "set-1", {"transcode": ["opus"],
                                                "set": ["opus/48000/2///maxaveragebitrate=40000"]}))
    rate = avg(opus_payload_sizes(ng, "set-2", {"transcode": ["opus"],
                                                "set": ["opus/48000/2/40000"]}))
    other = avg(opus_payload_sizes(ng, "set-3", {"transcode": ["opus"],
                                                 "set": ["opus/48000/1/40000"]}))
    assert 75 <= fmtp <= 110 and 75 <= rate <= 110, (base, fmtp, rate)
    assert base < 0.6 * fmtp and other < 0.6 * rate, (base, fmtp, rate, other)
    # the option never shows in the SDP
    to_b = offer_ok(ng, "set-4", phone_sdp(7000, [(0, "PCMU/8000", None)]),
                    codec={"transcode": ["opus"], "set": ["opus/48000/2///maxaveragebitrate=40000"]})
    assert "maxaveragebitrate" not in to_b
    # a malformed set (not a full codec spec) is harmless
    to_b = offer_ok(ng, "set-5", phone_sdp(7002, [(0, "PCMU/8000", None)]),
                    codec={"transcode": ["opus"], "set": ["opus", "opus/x/y", "//////"]})
    assert "opus/48000/2" in sdp_media(to_b)[3].values()


def test_codec_consume_masks_and_transcodes_from_the_consumed_codec(ng):
    """A offers G.722 and PCMA; consume G722, transcode PCMU: B is offered PCMA and
    PCMU only; B answers PCMU, A is answered with its G.722 and what A sends in
    G.722 reaches B as PCMU."""
    sa, pa = udp_socket()
    sb, pb = udp_socket()
    try:
        to_b = offer_ok(ng, "consume-1", phone_sdp(pa, [(9, "G722/8000", None),
                                                        (8, "PCMA/8000", None)]),
                        codec={"consume": ["G722"], "transcode": ["PCMU"]})
        assert sdp_media(to_b)[2] == [8, 0]
        to_a = answer_ok(ng, "consume-1", phone_sdp(pb, [(0, "PCMU/8000", None)]))
        assert sdp_media(to_a)[2] == [9]
        for i in range(10):
            sa.sendto(rtp_packet(9, 50 + i, 160 * i, 0xC, bytes(160)),
                      ("127.0.0.1", sdp_media(to_a)[1]))
            time.sleep(0.02)
        sb.settimeout(2)
        h = rtp_parse(sb.recv(2048))
        assert h[0] == 0 and len(h[5]) == 160 and h[4] != 0xC
    finally:
        sa.close()
        sb.close()
    # consume alone (flag form): masked like mask, the call still negotiates
    to_b = offer_ok(ng, "consume-2", phone_sdp(7010, [(0, "PCMU/8000", None),
                                                      (8, "PCMA/8000", None)]),
                    flags=["codec-consume-PCMU"])
    assert sdp_media(to_b)[2] == [8]
    assert sdp_media(answer_ok(ng, "consume-2", phone_sdp(7012, [(8, "PCMA/8000", None)])))[2] == [8]


def test_codec_ignore(ng):
    """A offers PCMU and PCMA with ignore PCMU: B still sees both. If B picks PCMU
    (which A 'never offered'), A is answered with PCMA and the relay transcodes;
    if B picks PCMA, it is forwarded as is."""
    fmts = [(0, "PCMU/8000", None), (8, "PCMA/8000", None)]
    sa, pa = udp_socket()
    sb, pb = udp_socket()
    try:
        to_b = offer_ok(ng, "ignore-1", phone_sdp(pa, fmts), codec={"ignore": ["PCMU"]})
        assert sdp_media(to_b)[2] == [0, 8]
        to_a = answer_ok(ng, "ignore-1", phone_sdp(pb, [(0, "PCMU/8000", None)]))
        assert sdp_media(to_a)[2] == [8]
        for i in range(10):
            sa.sendto(rtp_packet(8, 60 + i, 160 * i, 0xD, bytes([0xD5]) * 160),
                      ("127.0.0.1", sdp_media(to_a)[1]))
            time.sleep(0.02)
        sb.settimeout(2)
        h = rtp_parse(sb.recv(2048))
        assert h[0] == 0 and len(h[5]) == 160 and h[4] != 0xD
        # and B's PCMU reaches A as PCMA
        for i in range(10):
            sb.sendto(rtp_packet(0, 70 + i, 160 * i, 0xE, bytes([0xFF]) * 160),
                      ("127.0.0.1", sdp_media(to_b)[1]))
            time.sleep(0.02)
        sa.settimeout(2)
        h = rtp_parse(sa.recv(2048))
        assert h[0] == 8 and len(h[5]) == 160
    finally:
        sa.close()
        sb.close()
    # B picks PCMA: shared, forwarded byte for byte
    sa, pa = udp_socket()
    sb, pb = udp_socket()
    try:
        to_b = offer_ok(ng, "ignore-2", phone_sdp(pa, fmts), flags=["codec-ignore-PCMU"])
        to_a = answer_ok(ng, "ignore-2", phone_sdp(pb, [(8, "PCMA/8000", None)]))
        assert sdp_media(to_a)[2] == [8]
        pkt = rtp_packet(8, 1, 160, 0x1234, bytes(range(160)))
        for _ in range(3):
            sa.sendto(pkt, ("127.0.0.1", sdp_media(to_a)[1]))
            time.sleep(0.02)
        sb.settimeout(2)
        assert sb.recv(2048) == pkt
    finally:
        sa.close()
        sb.close()
    # ignore and strip together: gone from both sides
    to_b = offer_ok(ng, "ignore-3", phone_sdp(7020, fmts),
                    codec={"ignore": ["PCMU"], "strip": ["PCMU"]})
    assert sdp_media(to_b)[2] == [8]
