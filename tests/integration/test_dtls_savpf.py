"""DTLS-SRTP on the plain RTP/SAVP[F] profile, as rtpengine configs for browsers
use it (`ICE=force DTLS=passive RTP/SAVPF`, with or without `SDES-off`): the
receiver of such an offer gets a=fingerprint and a=setup beside the a=crypto
lines (SDES-off: instead of them) and its answer picks the keying: a WebRTC
stack (python3-aiortc) answering a=fingerprint gets DTLS-SRTP, an SDES phone
(pylibsrtp, tests/integration/srtp_peer.py) answering a=crypto gets SDES. An
offer on RTP/SAVPF with a=fingerprint only is answered with DTLS; an offer with
both a=crypto and a=fingerprint is answered with DTLS, or with SDES under
SDES-prefer. Media both ways in every case, checked packet by packet or by
its energy."""

import pytest

pytest.importorskip("aiortc")

from dp_media import Phone, drain, relay_targets  # noqa: E402
from srtp_peer import Srtp, crypto_line, crypto_lines, new_key  # noqa: E402
from test_dtls_webrtc import WebRtcPeer, dtls_of, media_of, phone_media, run  # noqa: E402
from test_srtp_media import SrtpPhone  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

CLASSIC = {"ICE": "force", "DTLS": "passive", "flags": ["RTP/SAVPF"]}
# aiortc refuses an offer whose a=setup is not actpass ("DTLS setup attribute must
# be 'actpass' for an offer"); rtprelay offers actpass under DTLS=passive too, as
# rtpengine does, so the classic flags go to aiortc unchanged
TO_AIORTC = CLASSIC


def m_proto(sdp):
    return [ln for ln in sdp.split("\r\n") if ln.startswith("m=")][0].split()[2]


def classic_to_aiortc(ng, cid, sdes_off):
    """A plain phone's offer made with the classic flags goes to aiortc, which
    answers a=fingerprint and a=setup:active: DTLS-SRTP, rtprelay the server."""
    async def go():
        w = WebRtcPeer()
        phone = Phone(mux=False, pts=(0,))
        try:
            # aiortc reads a=rtcp only with an address and always muxes RTCP:
            # rtcp-mux-offer and no-rtcp-attribute, as browser configs have
            flags = TO_AIORTC["flags"] + ["rtcp-mux-offer", "no-rtcp-attribute"] + (
                ["SDES-off"] if sdes_off else [])
            r = ng.offer(cid, "ph", phone.sdp(), **{**TO_AIORTC, "flags": flags})
            assert r["result"] == "ok", r
            sdp = r["sdp"]
            assert m_proto(sdp) == "RTP/SAVPF", sdp
            for want in ("a=setup:actpass", "a=fingerprint:sha-256 ", "a=tls-id:",
                         "a=ice-ufrag:", "a=candidate:"):
                assert want in sdp, (want, sdp)
            assert bool(crypto_lines(sdp)) != sdes_off, sdp
            ans = await w.answer(sdp)
            assert "a=fingerprint:" in ans and "a=crypto" not in ans
            a = ng.answer(cid, "ph", "web", ans, ICE="remove")
            assert a["result"] == "ok", a
            assert m_proto(a["sdp"]) == "RTP/AVP" and "a=fingerprint" not in a["sdp"], a
            got, loud = await phone_media(phone, tuple(relay_targets(a["sdp"])[0][:2]), 6)
            assert got >= 100 and loud >= 50, (got, loud)
            assert w.frames >= 100 and w.loud >= 50, (w.frames, w.loud)
            q = ng.query(cid)
            d = dtls_of(q, "web")
            assert d["state"] == "connected" and d["role"] == "passive (server)", d
            assert d["SRTP profile"] and d["handshakes"] == 1, d
            assert "DTLS-SRTP" in media_of(q, "web")["flags"]
        finally:
            await w.close()
            phone.close()
    run(go())


def test_classic_webrtc_flags_dtls_both_ways(ng):
    """ICE=force RTP/SAVPF: a=crypto and a=fingerprint offered, aiortc answers
    DTLS, tone both ways."""
    classic_to_aiortc(ng, "sv-1", sdes_off=False)


def test_classic_webrtc_flags_sdes_off_dtls_only(ng):
    """The same with SDES-off: RTP/SAVPF with a=fingerprint and no a=crypto (what
    a browser accepts), DTLS, tone both ways."""
    classic_to_aiortc(ng, "sv-2", sdes_off=True)


def test_classic_flags_sdes_phone_answers_crypto(ng):
    """An SDES phone answers the same offer with a=crypto (no a=fingerprint): its
    leg is keyed by SDES, DTLS is dropped, SRTP both ways packet for packet."""
    a = Phone(mux=False, pts=(0,))
    r = ng.offer("sv-3", "A", a.sdp(), **CLASSIC)
    assert r["result"] == "ok", r
    assert "a=fingerprint:" in r["sdp"] and "a=setup:actpass" in r["sdp"], r["sdp"]
    offered = crypto_lines(r["sdp"])
    tag, suite, key, _ = [o for o in offered if o[1] == "AES_CM_128_HMAC_SHA1_80"][0]
    b = SrtpPhone(suite, tag=tag)
    b.rx = Srtp(suite, key, outbound=False)
    ans = b.sdp_savp("RTP/SAVPF")
    assert "a=fingerprint" not in ans
    r2 = ng.answer("sv-3", "A", "B", ans, ICE="remove")
    assert r2["result"] == "ok", r2
    assert "a=crypto" not in r2["sdp"] and "a=fingerprint" not in r2["sdp"], r2["sdp"]
    addr_a, rtp_a, _ = relay_targets(r2["sdp"])[0]
    addr_b, rtp_b, _ = relay_targets(r["sdp"])[0]
    sent = a.send_rtp(0, (addr_a, rtp_a), 10)
    assert b.recv_plain() == sent
    back = b.send_srtp((addr_b, rtp_b), 12)
    assert [d for d, _ in drain(a.rtp_socks[0])] == back
    q = ng.query("sv-3")
    assert media_of(q, "B")["streams"][0]["crypto suite"] == suite
    assert dtls_of(q, "B") is None
    assert "DTLS-SRTP" not in media_of(q, "B")["flags"]
    a.close()
    b.close()


def test_savpf_offer_with_fingerprint_answered_dtls(ng):
    """aiortc's offer on RTP/SAVPF (a=fingerprint, no a=crypto) to a plain phone:
    rtprelay answers on RTP/SAVPF with its own a=fingerprint as the DTLS client,
    tone both ways. With DTLS=off no keying is left: an error."""
    async def go():
        w = WebRtcPeer()
        phone = Phone(mux=False, pts=(0,))
        try:
            off = (await w.offer()).replace("UDP/TLS/RTP/SAVPF", "RTP/SAVPF")
            bad = ng.offer("sv-4x", "web", off, ICE="remove", DTLS="off", flags=["RTP/AVP"])
            assert bad == {"result": "error", "error-reason":
                           "SRTP: RTP/SAVP media without a=crypto and DTLS=off"}, bad
            r = ng.offer("sv-4", "web", off, ICE="remove", flags=["RTP/AVP"],
                         **{"rtcp-mux": ["demux"]})
            assert r["result"] == "ok", r
            assert "a=fingerprint" not in r["sdp"] and m_proto(r["sdp"]) == "RTP/AVP", r
            a = ng.answer("sv-4", "web", "ph", phone.sdp(), flags=["no-rtcp-attribute"])
            assert a["result"] == "ok", a
            assert m_proto(a["sdp"]) == "RTP/SAVPF", a["sdp"]
            assert "a=setup:active" in a["sdp"] and "a=fingerprint:sha-256 " in a["sdp"]
            assert "a=crypto" not in a["sdp"]
            await w.accept(a["sdp"])
            got, loud = await phone_media(phone, tuple(relay_targets(r["sdp"])[0][:2]), 6)
            assert got >= 100 and loud >= 50, (got, loud)
            assert w.frames >= 100 and w.loud >= 50, (w.frames, w.loud)
            d = dtls_of(ng.query("sv-4"), "web")
            assert d["state"] == "connected" and d["role"] == "active (client)", d
        finally:
            await w.close()
            phone.close()
    run(go())


def both_keyings_offer(b, proto):
    """b's offer with its a=crypto line and an a=fingerprint (a browser of old
    that offered both)."""
    fp = ":".join("%02X" % x for x in new_key("AES_256_CM_HMAC_SHA1_80")[:32])
    return b.sdp_savp(proto).replace(
        "a=sendrecv", "a=setup:actpass\r\na=fingerprint:sha-256 %s\r\na=sendrecv" % fp)


@pytest.mark.parametrize("proto", ["UDP/TLS/RTP/SAVPF", "RTP/SAVPF"])
def test_sdes_prefer_picks_crypto_of_offer_with_both(ng, proto):
    """An offer with both a=crypto and a=fingerprint: by default answered with
    DTLS (a=fingerprint, no a=crypto); with SDES-prefer with SDES (one a=crypto
    line, no a=fingerprint), and SRTP flows both ways on the SDES keys."""
    b = SrtpPhone()
    a = Phone(mux=False, pts=(0,))
    r = ng.offer("sv-5d", "web", both_keyings_offer(b, proto), ICE="remove", flags=["RTP/AVP"])
    assert r["result"] == "ok", r
    r2 = ng.answer("sv-5d", "web", "ph", a.sdp())
    assert r2["result"] == "ok", r2
    assert "a=fingerprint:" in r2["sdp"] and "a=crypto" not in r2["sdp"], r2["sdp"]
    assert dtls_of(ng.query("sv-5d"), "web") is not None
    # that call's DTLS client hellos go on reaching b's port (delete-delay),
    # so the SDES call below gets a phone of its own
    b.close()
    b = SrtpPhone()

    r = ng.offer("sv-5", "web", both_keyings_offer(b, proto), ICE="remove",
                 flags=["RTP/AVP", "SDES-prefer"])
    assert r["result"] == "ok", r
    assert "a=fingerprint" not in r["sdp"] and "a=crypto" not in r["sdp"], r["sdp"]
    r2 = ng.answer("sv-5", "web", "ph", a.sdp())
    assert r2["result"] == "ok", r2
    assert m_proto(r2["sdp"]) == proto
    assert "a=fingerprint" not in r2["sdp"] and "a=setup" not in r2["sdp"], r2["sdp"]
    b.learn(r2["sdp"])
    addr_b, rtp_b, _ = relay_targets(r2["sdp"])[0]
    addr_a, rtp_a, _ = relay_targets(r["sdp"])[0]
    sent = b.send_srtp((addr_b, rtp_b), 10)
    assert [d for d, _ in drain(a.rtp_socks[0])] == sent
    back = a.send_rtp(0, (addr_a, rtp_a), 12)
    assert b.recv_plain() == back
    q = ng.query("sv-5")
    assert media_of(q, "web")["streams"][0]["crypto suite"] == b.suite
    assert dtls_of(q, "web") is None
    a.close()
    b.close()


def test_sdes_off_dtls_off_savpf_refused(ng):
    """RTP/SAVPF with SDES-off and DTLS=off leaves no keying: a clear error,
    nothing allocated; DTLS=off alone: SDES only (a=crypto, no a=fingerprint)."""
    sdp = Phone(mux=False, pts=(0,))
    try:
        r = ng.offer("sv-6", "A", sdp.sdp(), DTLS="off", flags=["RTP/SAVPF", "SDES-off"])
        assert r == {"result": "error", "error-reason":
                     "SDES=off and DTLS=off leave RTP/SAVP media without keying"}, r
        assert ng.request({"command": "list"})["calls"] == []
        r = ng.offer("sv-7", "A", sdp.sdp(), DTLS="off", flags=["RTP/SAVPF"])
        assert r["result"] == "ok", r
        assert crypto_lines(r["sdp"]) and "a=fingerprint" not in r["sdp"], r["sdp"]
        assert "a=setup" not in r["sdp"] and m_proto(r["sdp"]) == "RTP/SAVPF"
    finally:
        sdp.close()


def test_sdes_answer_to_dtls_only_offer_refused(ng):
    """SDES-off offered DTLS alone: an answer with a=crypto and no a=fingerprint
    is an error, not silently plain."""
    a = Phone(mux=False, pts=(0,))
    try:
        r = ng.offer("sv-8", "A", a.sdp(), **{**CLASSIC, "flags": ["RTP/SAVPF", "SDES-off"]})
        assert r["result"] == "ok", r
        ans = Phone(mux=False, pts=(0,))
        line = crypto_line(1, "AES_CM_128_HMAC_SHA1_80", new_key("AES_CM_128_HMAC_SHA1_80"))
        sdp = ans.sdp().replace("RTP/AVP", "RTP/SAVPF").replace("a=sendrecv",
                                                                line + "\r\na=sendrecv")
        r2 = ng.answer("sv-8", "A", "B", sdp)
        assert r2 == {"result": "error", "error-reason":
                      "SRTP: a=crypto in an answer to an offer without SDES"}, r2
        ans.close()
    finally:
        a.close()


def test_reset_flag_accepted_offer_decides_afresh(ng):
    """reset: nothing learned to undo; the re-offer with the same flags offers
    DTLS again after the callee answered SDES, and no warning."""
    a = Phone(mux=False, pts=(0,))
    r = ng.offer("sv-9", "A", a.sdp(), **CLASSIC)
    tag, suite, key, _ = crypto_lines(r["sdp"])[0]
    b = SrtpPhone(suite, tag=tag)
    assert ng.answer("sv-9", "A", "B", b.sdp_savp("RTP/SAVPF"))["result"] == "ok"
    r = ng.offer("sv-9", "A", a.sdp().replace("o=- 1234 1", "o=- 1234 2"),
                 **{**CLASSIC, "flags": ["RTP/SAVPF", "reset"]})
    assert r["result"] == "ok" and "warning" not in r, r
    assert "a=fingerprint:" in r["sdp"] and crypto_lines(r["sdp"]), r["sdp"]
    a.close()
    b.close()

