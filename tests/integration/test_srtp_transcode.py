"""Transcoding across an SRTP bridge: SRTP phone A (PCMU) -> decrypt -> transcoder ->
plain phone B (G.722), and back: G.722 from B -> transcoder -> encrypt -> A.
The audio that comes out is compared with what went in (transcode_media.quality),
decoded and decrypted by test-side code (numpy G.711, spandsp G.722, pylibsrtp)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srtp_peer import Srtp, crypto_line, crypto_lines, new_key  # noqa: E402
from transcode_media import (CODECS, RATE, Pcmu, Stream, decode_stream, phone_sdp,  # noqa: E402
                             pt_of, quality, receive_all, sdp_media, send_all, to_8k,
                             udp_pair, ulaw_decode, ulaw_encode, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")
SECONDS = 3
SUITE = "AES_CM_128_HMAC_SHA1_80"


def test_srtp_pcmu_to_plain_g722_and_back(daemon):
    ng = daemon.ng()
    sa, ca, a_port = udp_pair()
    sb, cb, b_port = udp_pair()
    try:
        ka = new_key(SUITE)
        a_sdp = phone_sdp(a_port, [(0, "PCMU/8000", None)]).replace(
            "RTP/AVP", "RTP/SAVP").replace("a=sendrecv", crypto_line(1, SUITE, ka) +
                                           "\r\na=sendrecv")
        r = ng.offer("sx", "A", a_sdp, codec={"transcode": ["G722"]},
                     **{"transport-protocol": "RTP/AVP"})
        assert r["result"] == "ok", r
        assert "a=crypto" not in r["sdp"]
        pt_g722 = pt_of(r["sdp"], "G722")
        r2 = ng.answer("sx", "A", "B", phone_sdp(b_port, [(pt_g722, "G722/8000", None)]))
        assert r2["result"] == "ok", r2
        (tag, suite, kr, _), = crypto_lines(r2["sdp"])
        assert (tag, suite) == (1, SUITE)
        relay_for_a = sdp_media(r2["sdp"])[:2]
        relay_for_b = sdp_media(r["sdp"])[:2]
        a_tx, a_rx = Srtp(SUITE, ka, True), Srtp(SUITE, kr, False)

        a_pcm = voice(RATE * SECONDS)
        g722 = CODECS["G722"]
        b_pcm = voice(g722.pcm_rate * SECONDS, rate=g722.pcm_rate)
        a_pkts = [(t, a_tx.protect(p)) for t, p in Stream(Pcmu, 0, a_pcm).packets]
        b_pkts = Stream(g722, pt_g722, b_pcm).packets
        send_all([(sa, relay_for_a, a_pkts), (sb, relay_for_b, b_pkts)])
        got_b = receive_all(sb)
        got_a = [a_rx.unprotect(p) for p in receive_all(sa)]

        # A -> B: decrypted, transcoded to G.722
        out_b, _ = decode_stream(got_b, g722, pt_g722)
        q_ab = quality(ulaw_decode(ulaw_encode(a_pcm).tobytes()), to_8k(out_b, g722.pcm_rate))
        # B -> A: transcoded to PCMU, encrypted (every packet decrypted above)
        out_a, heads_a = decode_stream(got_a, Pcmu, 0)
        q_ba = quality(to_8k(b_pcm, g722.pcm_rate), out_a)
        print("SRTP<->G.722: A->B corr %.3f, B->A corr %.3f, packets %d/%d" %
              (q_ab, q_ba, len(got_b), len(got_a)))
        assert len(got_b) >= SECONDS * 50 * 0.9 and len(heads_a) >= SECONDS * 50 * 0.9
        assert q_ab > 0.7 and q_ba > 0.7
        st = ng.query("sx")["tags"]["A"]["medias"][0]["streams"][0]
        assert st["crypto suite"] == SUITE and st["stats"]["SRTP auth failed"] == 0
    finally:
        for s in (sa, ca, sb, cb):
            s.close()
