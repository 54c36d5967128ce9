"""force transcoding (rtpengine: "it will always be transcoded, for example
between codecs G722 and G722") and always-transcode (rtpengine: the legacy
synonym of codec-accept=all), with real G.722 media both ways.

    phone A ──G.722──▶ relay (decode, encode) ──G.722──▶ phone B
"""

import numpy as np
import pytest

from transcode_media import (G722, Stream, decode_stream, phone_sdp, quality, receive_all,
                             rtp_parse, sdp_media, send_all, udp_pair, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

G722_FMT = [(9, "G722/8000", None)]


def call(ng, cid, a_port, b_port, **kw):
    """The flags go into the offer only (rtpengine's usual place)."""
    r = ng.offer(cid, "tagA", phone_sdp(a_port, G722_FMT), **kw)
    assert r["result"] == "ok", r
    assert "warning" not in r, r
    r2 = ng.answer(cid, "tagA", "tagB", phone_sdp(b_port, G722_FMT))
    assert r2["result"] == "ok", r2
    assert sdp_media(r2["sdp"])[2] == [9]
    return sdp_media(r2["sdp"])[:2], sdp_media(r["sdp"])[:2]


def run(ng, cid, **kw):
    """A and B share G.722: what B receives of 1.5 s of A's voice, A's packets."""
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        to_relay_a, to_relay_b = call(ng, cid, a_port, b_port, **kw)
        ref = voice(16000 * 3 // 2, rate=16000)
        st = Stream(G722, 9, ref)
        send_all([(sa, tuple(to_relay_a), st.packets)])
        got = receive_all(sb)
        # and B's way back
        back = Stream(G722, 9, voice(16000, rate=16000))
        send_all([(sb, tuple(to_relay_b), back.packets)])
        got_a = receive_all(sa)
        return ref, [p for _, p in st.packets], got, got_a
    finally:
        for s in (sa, ca, sb, cb):
            s.close()


def test_force_transcoding_decodes_a_shared_codec(daemon):
    with daemon.ng() as ng:
        ref, sent, got, got_a = run(ng, "ft-x", flags=["force transcoding"])
    assert len(got) >= 65 and len(got_a) >= 40
    heads_in = {rtp_parse(p)[4] for p in sent}
    heads_out = {rtp_parse(p)[4] for p in got}
    assert heads_in.isdisjoint(heads_out)       # the relay's own SSRC: a new stream
    # G.722 is lossy: a decode + encode gives other bytes for the same voice
    payloads_in = {rtp_parse(p)[5] for p in sent}
    differ = sum(rtp_parse(p)[5] not in payloads_in for p in got)
    assert differ >= len(got) - 3, differ
    pcm, _ = decode_stream(got, G722, 9)
    assert quality(ref, pcm[:len(ref)]) > 0.8   # and it is still A's voice


def test_always_transcode_is_accept_all_and_forwards_a_shared_codec(daemon):
    """rtpengine documents always-transcode as codec-accept=all: with a codec
    both sides have, the packets pass unchanged."""
    with daemon.ng() as ng:
        _, sent, got, _ = run(ng, "ft-a", flags=["always-transcode"])
    assert [p for p in got] == sent[:len(got)] and len(got) >= 70
