"""test_transcode_sdp.py: the ng `codec` options and the transcoding decision, as the
SDP on each side shows them, plus one packet each way to see forward vs transcode.

    A --offer(codec: strip/mask/offer/except/transcode, ptime)--> relay --> B
    B --answer--> relay --> A
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transcode_media import (Pcmu, phone_sdp, rtp_packet, rtp_parse, sdp_media,  # noqa: E402
                             udp_socket, voice)

A_FORMATS = [(0, "PCMU/8000", None), (8, "PCMA/8000", None),
             (101, "telephone-event/8000", "0-16")]


def offer(ng, cid, codec=None, formats=A_FORMATS, port=5000, **kw):
    extra = {"codec": codec} if codec else {}
    extra.update(kw)
    r = ng.offer(cid, "a", phone_sdp(port, formats), **extra)
    assert r["result"] == "ok", r
    return r["sdp"]


def test_transcode_adds_codecs_with_their_own_pt(ng):
    sdp = offer(ng, "sdp-1", {"transcode": ["opus", "G722", "G729", "PCMA", "speex"]})
    _, _, pts, rtpmap, fmtp, _ = sdp_media(sdp)
    # offered ones first, untouched; then ours: static PTs where free, else dynamic
    assert pts[:3] == [0, 8, 101]
    # PCMA already there, speex unknown; opus's clock gets its own telephone-event
    assert set(pts[3:]) == {96, 9, 18, 97}, pts
    assert rtpmap[96] == "opus/48000/2" and fmtp[96] == "useinbandfec=1"
    assert rtpmap[9] == "G722/8000" and rtpmap[18] == "G729/8000"
    assert rtpmap[97] == "telephone-event/48000" and fmtp[97] == "0-16"


def test_event_clock_added_only_when_needed(ng):
    """G.722's RTP clock is 8000, like A's telephone-event: nothing to add; without
    telephone-event from A, none is invented for opus either."""
    _, _, pts, rtpmap, _, _ = sdp_media(offer(ng, "sdp-te1", {"transcode": ["G722"]}))
    assert [rtpmap.get(pt, "") for pt in pts].count("telephone-event/8000") == 1
    assert "telephone-event/48000" not in rtpmap.values()
    _, _, pts, rtpmap, _, _ = sdp_media(offer(ng, "sdp-te2", {"transcode": ["opus"]},
                                              formats=A_FORMATS[:2]))
    assert pts == [0, 8, 96] and "telephone-event/48000" not in rtpmap.values()


def test_opus_answer_with_event_clock_48000(ng):
    """B answers opus + telephone-event/48000: A is answered with its own PCMU and
    telephone-event/8000 (the PT A offered), never with a format A did not offer."""
    to_b = offer(ng, "sdp-te3", {"transcode": ["opus"]})
    _, _, pts, rtpmap, _, _ = sdp_media(to_b)
    te48 = [pt for pt in pts if rtpmap.get(pt) == "telephone-event/48000"][0]
    r = ng.answer("sdp-te3", "a", "b", phone_sdp(5002, [(96, "opus/48000/2", None),
                                                        (te48, "telephone-event/48000", "0-16")]))
    assert r["result"] == "ok", r
    _, _, pts, rtpmap, _, _ = sdp_media(r["sdp"])
    assert pts == [0, 101] and rtpmap[101] == "telephone-event/8000"


def test_strip_mask_except_offer(ng):
    sdp = offer(ng, "sdp-2", {"strip": ["all"], "except": ["PCMA", "telephone-event"]})
    assert sdp_media(sdp)[2] == [8, 101]
    sdp = offer(ng, "sdp-3", {"offer": ["PCMA"]})
    assert sdp_media(sdp)[2] == [8, 0, 101]	# reordered, nothing dropped
    sdp = offer(ng, "sdp-4", {"mask": ["PCMU"], "transcode": ["G722"]})
    assert sdp_media(sdp)[2] == [8, 101, 9]


def test_ptime_option(ng):
    sdp = offer(ng, "sdp-5", {"transcode": ["G722"]}, ptime=30)
    assert sdp_media(sdp)[5] == 30


def exchange(ng, cid, codec, b_formats):
    """Offer from A (PCMU, PCMA, events) with `codec`, answer from B; returns sockets,
    relay targets and the SDP A got back."""
    sa, pa = udp_socket()
    sb, pb = udp_socket()
    to_b = offer(ng, cid, codec, port=pa)
    r = ng.answer(cid, "a", "b", phone_sdp(pb, b_formats))
    assert r["result"] == "ok", r
    to_a = r["sdp"]
    ta = sdp_media(to_a)
    tb = sdp_media(to_b)
    return sa, sb, (ta[0], ta[1]), (tb[0], tb[1]), to_a


def test_shared_codec_is_forwarded_not_transcoded(ng):
    """B picks PCMA, which A offered: the answer to A is B's, minus codecs A never
    offered, and packets go through byte for byte."""
    sa, sb, for_a, for_b, to_a = exchange(
        ng, "sdp-6", {"transcode": ["opus", "G722"]},
        [(8, "PCMA/8000", None), (96, "opus/48000/2", None), (101, "telephone-event/8000", None)])
    try:
        assert sdp_media(to_a)[2] == [8, 101]
        pkt = rtp_packet(8, 1, 160, 0x1234, bytes(range(160)))
        for _ in range(3):
            sa.sendto(pkt, for_a)
            time.sleep(0.02)
        sb.settimeout(2)
        assert sb.recv(2048) == pkt
    finally:
        sa.close()
        sb.close()


def test_answer_with_added_codec_is_bridged(ng):
    """B answers G.722 only, without telephone-event: A is answered with its own PCMU
    at 20 ms and no telephone-event (B could not receive events), and what A sends
    arrives at B as G.722 with the relay's own SSRC."""
    sa, sb, for_a, for_b, to_a = exchange(ng, "sdp-7", {"transcode": ["G722"]},
                                          [(9, "G722/8000", None)])
    try:
        _, _, pts, rtpmap, _, ptime = sdp_media(to_a)
        assert pts == [0] and ptime == 20
        pcm = voice(160 * 10)
        for i in range(10):
            sa.sendto(rtp_packet(0, 100 + i, 160 * i, 0xA, Pcmu().encode(pcm[160 * i:160 * (i + 1)])),
                      for_a)
            time.sleep(0.02)
        sb.settimeout(2)
        h = rtp_parse(sb.recv(2048))
        assert h[0] == 9 and len(h[5]) == 160 and h[4] != 0xA
        # and the events A might still send are dropped, not forwarded raw
        sa.sendto(rtp_packet(101, 110, 1600, 0xA, bytes([5, 10, 0, 160])), for_a)
        sb.settimeout(0.3)
        try:
            while True:
                assert rtp_parse(sb.recv(2048))[0] == 9
        except OSError:
            pass
    finally:
        sa.close()
        sb.close()


def test_reinvite_keeps_bridging(ng):
    """A re-INVITE (same offer and answer again, as session timers do) negotiates
    afresh and the call stays transcoded; a re-offer without the option falls back
    to what the two sides share (nothing here: the answerer's codec goes through)."""
    sa, sb, for_a, for_b, to_a = exchange(ng, "sdp-8", {"transcode": ["G722"]},
                                          [(9, "G722/8000", None)])
    try:
        for _ in range(2):
            to_b = offer(ng, "sdp-8", {"transcode": ["G722"]}, port=sa.getsockname()[1])
            assert 9 in sdp_media(to_b)[2]
            r = ng.answer("sdp-8", "a", "b", phone_sdp(sb.getsockname()[1],
                                                        [(9, "G722/8000", None)]))
            assert r["result"] == "ok" and sdp_media(r["sdp"])[2] == [0]
        pcm = voice(160 * 10)
        for i in range(10):
            sa.sendto(rtp_packet(0, 200 + i, 160 * i, 0xB,
                                 Pcmu().encode(pcm[160 * i:160 * (i + 1)])), for_a)
            time.sleep(0.02)
        sb.settimeout(2)
        h = rtp_parse(sb.recv(2048))
        assert h[0] == 9 and len(h[5]) == 160
        # without the option: no transcoding, G.722 reaches A as G.722 would
        to_b = offer(ng, "sdp-8", None, port=sa.getsockname()[1])
        assert 9 not in sdp_media(to_b)[2]
        r = ng.answer("sdp-8", "a", "b", phone_sdp(sb.getsockname()[1], [(0, "PCMU/8000", None)]))
        assert r["result"] == "ok" and sdp_media(r["sdp"])[2] == [0]
        pkt = rtp_packet(0, 300, 48000, 0xB, bytes(160))
        sb.settimeout(0.3)
        try:	# drain what the old transcoder still had
            while True:
                sb.recv(2048)
        except OSError:
            pass
        for _ in range(3):
            sa.sendto(pkt, for_a)
            time.sleep(0.02)
        sb.settimeout(2)
        assert sb.recv(2048) == pkt	# forwarded untouched
    finally:
        sa.close()
        sb.close()


def test_early_media_of_transcoding_offer_never_reaches_offerer_raw(ng):
    """A offers G.722 only, with transcode PCMU. B (PCMU only) starts sending as soon
    as it has the offer, before its answer reaches the relay (phones do this right
    after their 200 OK). A must never get PT 0, which it did not offer: those packets
    are dropped; after the answer B's PCMU arrives at A as G.722."""
    sa, pa = udp_socket()
    sb, pb = udp_socket()
    try:
        to_b = offer(ng, "sdp-early", {"transcode": ["PCMU"]}, port=pa,
                     formats=[(9, "G722/8000", None)])
        tb = sdp_media(to_b)
        assert 0 in tb[2]
        pcm = voice(160 * 20)
        frames = [Pcmu().encode(pcm[160 * i:160 * (i + 1)]) for i in range(20)]
        for i in range(5):
            sb.sendto(rtp_packet(0, 10 + i, 160 * i, 0xE, frames[i]), (tb[0], tb[1]))
            time.sleep(0.02)
        sa.settimeout(0.5)
        try:
            early = sa.recv(2048)
        except OSError:
            early = None
        assert early is None, rtp_parse(early)
        r = ng.answer("sdp-early", "a", "b", phone_sdp(pb, [(0, "PCMU/8000", None)]))
        assert r["result"] == "ok", r
        assert sdp_media(r["sdp"])[2] == [9]
        for i in range(5, 20):
            sb.sendto(rtp_packet(0, 10 + i, 160 * i, 0xE, frames[i]), (tb[0], tb[1]))
            time.sleep(0.02)
        sa.settimeout(2)
        got = [rtp_parse(sa.recv(2048)) for _ in range(5)]
        assert {h[0] for h in got} == {9}
        assert all(h[4] != 0xE for h in got)	# the relay's own SSRC
    finally:
        sa.close()
        sb.close()


def with_ssrc(sdp, ssrc):
    return sdp + "a=ssrc:%d cname:x\r\na=ssrc-group:FID %d %d\r\n" % (ssrc, ssrc, ssrc + 1)


def test_ssrc_lines_go_where_the_relay_transcodes(ng):
    """The relay's transcoder sends under its own SSRC: a side that receives transcoded
    media must not be told the other side's SSRC (a browser binds its track to a
    signalled SSRC and then plays silence). The offer that adds codecs drops A's
    a=ssrc lines; a transcoded answer drops B's; plain forwarding keeps both."""
    r = ng.offer("sdp-ssrc1", "a", with_ssrc(phone_sdp(5000, A_FORMATS[:1]), 1111),
                 codec={"transcode": ["opus"]})
    assert r["result"] == "ok", r
    assert "ssrc" not in r["sdp"], r["sdp"]
    r = ng.answer("sdp-ssrc1", "a", "b",
                  with_ssrc(phone_sdp(5002, [(96, "opus/48000/2", None)]), 2222))
    assert r["result"] == "ok", r
    assert "ssrc" not in r["sdp"] and sdp_media(r["sdp"])[2] == [0], r["sdp"]

    r = ng.offer("sdp-ssrc2", "a", with_ssrc(phone_sdp(5004, A_FORMATS[:1]), 3333))
    assert r["result"] == "ok", r
    assert "a=ssrc:3333 cname:x\r\na=ssrc-group:FID 3333 3334\r\n" in r["sdp"], r["sdp"]
    r = ng.answer("sdp-ssrc2", "a", "b", with_ssrc(phone_sdp(5006, A_FORMATS[:1]), 4444))
    assert r["result"] == "ok", r
    assert "a=ssrc:4444 cname:x\r\na=ssrc-group:FID 4444 4445\r\n" in r["sdp"], r["sdp"]
