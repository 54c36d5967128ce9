"""SDES-SRTP over ng, the SDP side (daemon/sdes.c): rtprelay terminates SRTP on each leg
with keys of its own, offers the suites libsrtp does, answers with exactly one a=crypto
line on an offered tag, and refuses what it cannot do (DTLS-SRTP, bad a=crypto lines)
with a clear error and nothing left allocated. Media through it: test_srtp_media.py."""

import pytest

from ngclient import sdp_offer
from srtp_peer import DEFAULT_SUITES, crypto_line, crypto_lines, new_key

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

KEY = new_key("AES_CM_128_HMAC_SHA1_80")
CRYPTO = crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY)


def savp_sdp(port=5000, proto="RTP/SAVP", lines=(CRYPTO,), **kw):
    return sdp_offer(port=port, extra_media_lines=lines, **kw).replace("RTP/AVP", proto)


def m_proto(sdp):
    return [l for l in sdp.split("\r\n") if l.startswith("m=")][0].split()[2]


def nothing_allocated(ng):
    assert ng.request({"command": "list"})["calls"] == []
    assert ng.request({"command": "statistics"})["ports"]["used"] == 0


@pytest.mark.parametrize("tp", ["UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"])
def test_dtls_transport_protocol_offers_dtls(ng, tp):
    """A UDP/TLS profile towards the receiver: DTLS-SRTP with rtprelay's
    certificate (a=setup:actpass as offerer, a=fingerprint sha-256), no SDES."""
    for how in ({"transport-protocol": tp}, {"flags": [tp]},
                {"flags": ["transport-protocol-" + tp]}, {"flags": ["transport-protocol=" + tp]}):
        r = ng.offer("tp", "A", sdp_offer(), **how)
        assert r["result"] == "ok", (how, r)
        sdp = r["sdp"]
        assert "m=audio %s " % sdp.split("m=audio ")[1].split()[0] + tp + " " in sdp, sdp
        assert "a=setup:actpass" in sdp and "a=fingerprint:sha-256 " in sdp, sdp
        assert "a=crypto" not in sdp, sdp
        ng.delete("tp", **{"delete-delay": 0})
        nothing_allocated(ng)


def test_dtls_media_without_fingerprint_is_refused(ng):
    r = ng.offer("dtls", "A", savp_sdp(proto="UDP/TLS/RTP/SAVPF", lines=()))
    assert r == {"result": "error", "error-reason":
                 "DTLS-SRTP: UDP/TLS media without a=fingerprint"}
    nothing_allocated(ng)


def test_dtls_keys(ng):
    """DTLS-fingerprint picks the hash of rtprelay's a=fingerprint; an offer says
    a=setup:actpass whatever DTLS / DTLS-reverse / the DTLS- flags say (as
    rtpengine's: the answer picks the role, test_dtls_setup.py); DTLS=off with a
    UDP/TLS profile is an error."""
    for val, want in (("sha-1", "sha-1"), ("SHA-384", "sha-384"), ("sha-512", "sha-512")):
        r = ng.offer("fp-" + val, "A", sdp_offer(), **{"transport-protocol": "UDP/TLS/RTP/SAVPF",
                                                       "DTLS-fingerprint": val})
        assert "a=fingerprint:%s " % want in r["sdp"], r
    for val, want in (("passive", "actpass"), ("active", "actpass")):
        for how in ({"DTLS": val}, {"DTLS-reverse": val}, {"flags": ["DTLS-" + val]}):
            r = ng.offer("st-" + val, "A", sdp_offer(),
                         **dict(how, **{"transport-protocol": "UDP/TLS/RTP/SAVPF"}))
            assert [ln for ln in r["sdp"].splitlines() if ln.startswith("a=setup:")] == [
                "a=setup:" + want], (how, r)
            ng.delete("st-" + val)
    r = ng.offer("off", "A", sdp_offer(), DTLS="off", **{"transport-protocol": "UDP/TLS/RTP/SAVP"})
    assert r == {"result": "error", "error-reason":
                 "DTLS=off, but the media's transport-protocol is UDP/TLS (DTLS-SRTP)"}
    r = ng.offer("badfp", "A", savp_sdp(proto="UDP/TLS/RTP/SAVPF",
                                        lines=("a=fingerprint:sha-256 00:11",)))
    assert r["result"] == "error" and r["error-reason"].startswith(
        "DTLS-SRTP: bad a=fingerprint: "), r


@pytest.mark.parametrize("tp", ["RTP/SAVP", "RTP/SAVPF"])
def test_secure_transport_protocol_offers_every_suite(ng, tp):
    r = ng.offer("tp-" + tp, "A", sdp_offer(), **{"transport-protocol": tp})
    assert r["result"] == "ok", r
    assert m_proto(r["sdp"]) == tp
    lines = crypto_lines(r["sdp"])
    assert [l[1] for l in lines] == DEFAULT_SUITES
    assert [l[0] for l in lines] == list(range(1, len(DEFAULT_SUITES) + 1))
    assert all(l[3] == [] for l in lines)  # no session parameters unless asked
    assert len({l[2] for l in lines}) == len(lines)  # a fresh key per suite
    # another call gets other keys
    r2 = ng.offer("tp2-" + tp, "A", sdp_offer(port=6000), **{"transport-protocol": tp})
    assert not {l[2] for l in lines} & {l[2] for l in crypto_lines(r2["sdp"])}


def test_sdes_offer_is_terminated_not_passed_through(ng):
    r = ng.offer("sec", "A", savp_sdp(port=5000))
    assert r["result"] == "ok", r
    assert m_proto(r["sdp"]) == "RTP/SAVP" and CRYPTO not in r["sdp"]
    lines = crypto_lines(r["sdp"])
    # the offerer's suite first on its tag, then the others; never its key
    assert (lines[0][0], lines[0][1]) == (1, "AES_CM_128_HMAC_SHA1_80")
    assert [l[1] for l in lines] == DEFAULT_SUITES
    assert KEY not in [l[2] for l in lines]
    b_key = new_key("AES_256_CM_HMAC_SHA1_80")
    tag = [l[0] for l in lines if l[1] == "AES_256_CM_HMAC_SHA1_80"][0]
    a = ng.answer("sec", "A", "B", savp_sdp(port=6000, lines=(
        crypto_line(tag, "AES_256_CM_HMAC_SHA1_80", b_key),)))
    assert a["result"] == "ok", a
    assert m_proto(a["sdp"]) == "RTP/SAVP"
    # exactly one line to the offerer, on its tag and suite, with the relay's key
    ans = crypto_lines(a["sdp"])
    assert len(ans) == 1 and (ans[0][0], ans[0][1]) == (1, "AES_CM_128_HMAC_SHA1_80")
    assert ans[0][2] not in (KEY, b_key)
    q = ng.query("sec")["tags"]
    assert q["A"]["medias"][0]["streams"][0]["crypto suite"] == "AES_CM_128_HMAC_SHA1_80"
    assert q["B"]["medias"][0]["streams"][0]["crypto suite"] == "AES_256_CM_HMAC_SHA1_80"


def test_secure_media_to_plain_and_back(ng):
    r = ng.offer("relabel", "A", savp_sdp(), **{"transport-protocol": "RTP/AVP"})
    assert r["result"] == "ok", r
    assert m_proto(r["sdp"]) == "RTP/AVP" and "a=crypto" not in r["sdp"]
    a = ng.answer("relabel", "A", "B", sdp_offer(port=6000))
    assert a["result"] == "ok", a
    assert m_proto(a["sdp"]) == "RTP/SAVP" and len(crypto_lines(a["sdp"])) == 1


def test_answers_that_do_not_fit_the_offer(ng):
    # secure offer to a secure callee, answered plain: the offer required SRTP
    assert ng.offer("x1", "A", savp_sdp(port=5000))["result"] == "ok"
    r = ng.answer("x1", "A", "B", sdp_offer(port=6000))
    assert r == {"result": "error",
                 "error-reason": "SRTP: plain RTP answer to an SRTP (RTP/SAVP) offer"}
    # plain offer, answered with a=crypto nobody offered
    assert ng.offer("x2", "A", sdp_offer(port=5000))["result"] == "ok"
    r = ng.answer("x2", "A", "B", savp_sdp(port=6000, proto="RTP/SAVPF"))
    assert r == {"result": "error",
                 "error-reason": "SRTP: a=crypto in an answer to an offer without SDES"}
    # an answer on a tag (or suite) that was not offered
    for n, line in enumerate((crypto_line(7, "AES_CM_128_HMAC_SHA1_80", KEY),
                              crypto_line(1, "AES_CM_128_HMAC_SHA1_32", KEY))):
        cid = "x3-%d" % n
        assert ng.offer(cid, "A", savp_sdp(port=5000), flags=[
            "SDES-only-AES_CM_128_HMAC_SHA1_80"])["result"] == "ok"
        r = ng.answer(cid, "A", "B", savp_sdp(port=6000, lines=(line,)))
        assert r == {"result": "error", "error-reason": "SRTP: no a=crypto line in the answer "
                     "matches an offered tag and suite"}, line


def test_secure_media_can_be_transcoded(ng):
    r = ng.offer("xc", "A", savp_sdp(), flags=["codec-transcode-G722"])
    assert r["result"] == "ok", r
    assert "G722/8000" in r["sdp"] and crypto_lines(r["sdp"])


BAD = [
    ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!notbase64!!!", "bad base64 in key"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY[:20]),
     "key length does not fit the crypto suite"),
    (crypto_line(1, "AES_256_CM_HMAC_SHA1_80", KEY), "key length does not fit the crypto suite"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY, "FEC_ORDER=FEC_SRTP"),
     "FEC_ORDER/FEC_KEY are not supported"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY, "KDR=12"), "KDR other than 0 is not supported"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY, "WSH=3"), "bad WSH (64..32767)"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY, "X" * 600), "crypto line too long"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY, "BOGUS_PARAM"), "unknown session parameter"),
    (crypto_line(0, "AES_CM_128_HMAC_SHA1_80", KEY), "bad crypto tag"),
    (crypto_line(1234567890, "AES_CM_128_HMAC_SHA1_80", KEY), "bad crypto tag"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY) + "|2^99", "bad key lifetime (2^1..2^48)"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY) + "|1:200", "bad MKI (value:length, "
     "length 1..128)"),
    (crypto_line(1, "AES_CM_128_HMAC_SHA1_80", KEY) + "|300:1", "MKI value does not fit its "
     "length"),
    ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + "A" * 40 + ";inline:" + "A" * 40,
     "more than one key on a crypto line"),
]


@pytest.mark.parametrize("line,why", BAD)
def test_bad_crypto_lines_are_errors(ng, line, why):
    r = ng.offer("bad", "A", savp_sdp(lines=(line,)))
    assert r == {"result": "error", "error-reason": "Bad a=crypto line in media 1: " + why}
    nothing_allocated(ng)


def test_unknown_suite_alone_is_no_usable_line(ng):
    """A suite name rtprelay does not know is ignored (RFC 4568 6.1), not malformed:
    alone it leaves nothing usable."""
    r = ng.offer("f8", "A", savp_sdp(lines=(crypto_line(1, "F8_128_HMAC_SHA1_80", KEY),)))
    assert r == {"result": "error", "error-reason":
                 "SRTP: no usable a=crypto line (unknown crypto suite)"}
    nothing_allocated(ng)


def test_unknown_suite_beside_a_known_one_is_skipped(ng):
    """rtpengine's default SDES offer lists F8_128_HMAC_SHA1_80/_32 among the others:
    the answer takes a suite rtprelay does."""
    lines = (crypto_line(1, "F8_128_HMAC_SHA1_80", KEY),
             crypto_line(2, "AES_CM_128_HMAC_SHA1_80", KEY))
    r = ng.offer("f8-skip", "A", savp_sdp(lines=lines), **{"transport-protocol": "RTP/AVP"})
    assert r["result"] == "ok", r
    a = ng.answer("f8-skip", "A", "B", sdp_offer(port=6000))
    assert a["result"] == "ok", a
    assert [(t, s) for t, s, _, _ in crypto_lines(a["sdp"])] == [(2, "AES_CM_128_HMAC_SHA1_80")]
    ng.delete("f8-skip")


@pytest.mark.parametrize("suite", ["AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32"])
def test_aes_192_is_accepted_only_when_named(ng, suite):
    """libsrtp keys AES-192 unlike RFC 6188 (srtp/sr_rfc_keys.h): an offer of it alone is
    refused with the reason, unless SDES-only- names the suite (a deployment whose
    phones derive as libsrtp does); then it is answered with that suite."""
    line = crypto_line(1, suite, new_key(suite))
    r = ng.offer("a192", "A", savp_sdp(lines=(line,)), **{"transport-protocol": "RTP/AVP"})
    assert r == {"result": "error", "error-reason":
                 "SRTP: no usable a=crypto line (libsrtp's AES-192 session keys are not "
                 "RFC 6188's (used only when named by SDES-only-))"}
    nothing_allocated(ng)
    r = ng.offer("a192", "A", savp_sdp(lines=(line,)),
                 **{"transport-protocol": "RTP/AVP", "flags": ["SDES-only-" + suite]})
    assert r["result"] == "ok", r
    a = ng.answer("a192", "A", "B", sdp_offer(port=6000))
    assert a["result"] == "ok", a
    assert [(t, s) for t, s, _, _ in crypto_lines(a["sdp"])] == [(1, suite)]
    ng.delete("a192")


def test_savp_without_usable_crypto(ng):
    r = ng.offer("none", "A", savp_sdp(lines=()))
    assert r == {"result": "error", "error-reason":
                 "SRTP: RTP/SAVP media with neither a=crypto nor a=fingerprint"}
    nothing_allocated(ng)


def test_crypto_line_details_survive(ng):
    """Lifetime and MKI of the offerer's line parse; rtprelay's own lines take the
    session parameters the offerer asked for (rtpengine's default)."""
    line = crypto_line(3, "AES_CM_128_HMAC_SHA1_80", new_key("AES_CM_128_HMAC_SHA1_80"),
                       "UNENCRYPTED_SRTCP").replace(" UNENC", "|2^20|1:4 UNENC")
    r = ng.offer("det", "A", savp_sdp(lines=(line,)))
    assert r["result"] == "ok", r
    lines = crypto_lines(r["sdp"])
    assert (lines[0][0], lines[0][1]) == (3, "AES_CM_128_HMAC_SHA1_80")
    assert all(l[3] == ["UNENCRYPTED_SRTCP"] for l in lines)
    assert lines[1][0] == 4  # new suites numbered after the offerer's tags


def test_what_libsrtp_cannot_do_is_refused(ng):
    """An MKI behind a 32-bit SRTP tag: libsrtp 2.5 would reject every SRTCP packet.
    Alone it is an error naming why; beside a usable line it is skipped."""
    bad = crypto_line(1, "AES_CM_128_HMAC_SHA1_32", new_key("AES_CM_128_HMAC_SHA1_32")) + "|1:4"
    r = ng.offer("mki32", "A", savp_sdp(lines=(bad,)))
    assert r == {"result": "error", "error-reason": "SRTP: no usable a=crypto line (MKI with a "
                 "32-bit or no SRTP tag is not supported by libsrtp)"}
    nothing_allocated(ng)
    r = ng.offer("mki32b", "A", savp_sdp(lines=(bad, crypto_line(2, "AES_CM_128_HMAC_SHA1_80",
                                                                  KEY))))
    assert r["result"] == "ok", r
    assert (crypto_lines(r["sdp"])[0][0], crypto_lines(r["sdp"])[0][1]) == (
        2, "AES_CM_128_HMAC_SHA1_80")


def test_sdes_options(ng):
    def offer(cid, **kw):
        r = ng.offer(cid, "A", savp_sdp(port=5000 + 2 * len(cid)), **kw)
        assert r["result"] == "ok", r
        return r["sdp"]

    sdp = offer("o1", flags=["SDES-no-AES_CM_128_HMAC_SHA1_80", "SDES-no-AEAD_AES_256_GCM"])
    assert [l[1] for l in crypto_lines(sdp)] == [
        s for s in DEFAULT_SUITES if s not in ("AES_CM_128_HMAC_SHA1_80", "AEAD_AES_256_GCM")]
    sdp = offer("o2", SDES=["only-AEAD_AES_128_GCM", "only-NULL_HMAC_SHA1_80"])
    assert [l[1] for l in crypto_lines(sdp)] == ["AEAD_AES_128_GCM", "NULL_HMAC_SHA1_80"]
    sdp = offer("o3", SDES=["nonew"])
    assert [l[1] for l in crypto_lines(sdp)] == ["AES_CM_128_HMAC_SHA1_80"]
    # AEAD_AES_128_GCM: 28 bytes of key and salt, base64 with one '=' of padding
    sdp = offer("o4", SDES=["only-AEAD_AES_128_GCM", "pad", "lifetime", "unencrypted_srtcp",
                            "UNENCRYPTED_SRTP"])
    line = [l for l in sdp.split("\r\n") if l.startswith("a=crypto:")][0]
    assert line.endswith("=|2^31 UNENCRYPTED_SRTP UNENCRYPTED_SRTCP"), line
    sdp = offer("o5", flags=["SDES-only-AEAD_AES_128_GCM", "pad-crypto"])
    line = [l for l in sdp.split("\r\n") if l.startswith("a=crypto:")][0]
    assert line.endswith("="), line
    sdp = offer("o9", flags=["SDES-only-AEAD_AES_128_GCM"])
    line = [l for l in sdp.split("\r\n") if l.startswith("a=crypto:")][0]
    assert "=" not in line.split("inline:")[1], line
    # SDES off: plain towards B is fine; a secure profile is keyed by DTLS-SRTP
    # alone, and without DTLS either no keying is left: an error
    sdp = offer("o6", flags=["SDES-off"], **{"transport-protocol": "RTP/AVP"})
    assert "a=crypto" not in sdp
    r = ng.offer("o7", "A", savp_sdp(port=7000), flags=["SDES-off"])
    assert r["result"] == "ok", r
    assert "a=crypto" not in r["sdp"] and "a=fingerprint:sha-256 " in r["sdp"], r["sdp"]
    assert "a=setup:actpass" in r["sdp"] and m_proto(r["sdp"]) == "RTP/SAVP"
    r = ng.offer("o7b", "A", savp_sdp(port=7050), flags=["SDES-off"], DTLS="off")
    assert r == {"result": "error", "error-reason":
                 "SDES=off and DTLS=off leave RTP/SAVP media without keying"}
    # recrypt: what rtprelay does anyway, no warning
    r = ng.offer("o8", "A", savp_sdp(port=7100), flags=["recrypt"])
    assert r["result"] == "ok" and "warning" not in r, r


def test_osrtp(ng):
    # OSRTP=offer: a plain offer goes out as RTP/AVP with a=crypto (RFC 8643)
    r = ng.offer("os1", "A", sdp_offer(port=5000), OSRTP=["offer"])
    assert r["result"] == "ok", r
    assert m_proto(r["sdp"]) == "RTP/AVP" and [l[1] for l in crypto_lines(r["sdp"])] == \
        DEFAULT_SUITES
    # callee takes it: its leg is SRTP, the caller's stays plain
    tag = crypto_lines(r["sdp"])[0][0]
    a = ng.answer("os1", "A", "B", sdp_offer(port=6000, extra_media_lines=(
        crypto_line(tag, "AES_CM_128_HMAC_SHA1_80", new_key("AES_CM_128_HMAC_SHA1_80")),)))
    assert a["result"] == "ok", a
    assert "a=crypto" not in a["sdp"]
    q = ng.query("os1")["tags"]
    assert q["B"]["medias"][0]["streams"][0]["crypto suite"] == "AES_CM_128_HMAC_SHA1_80"
    assert "crypto suite" not in q["A"]["medias"][0]["streams"][0]
    # an OSRTP offer answered plain: the caller is answered plain ...
    osrtp = sdp_offer(port=5100, extra_media_lines=(CRYPTO,))
    assert crypto_lines(ng.offer("os2", "A", osrtp)["sdp"])
    a = ng.answer("os2", "A", "B", sdp_offer(port=6100))
    assert a["result"] == "ok" and "a=crypto" not in a["sdp"], a
    # ... unless OSRTP=accept: then with SRTP
    assert crypto_lines(ng.offer("os3", "A", osrtp)["sdp"])
    a = ng.answer("os3", "A", "B", sdp_offer(port=6200), flags=["OSRTP-accept"])
    assert a["result"] == "ok" and len(crypto_lines(a["sdp"])) == 1, a
    assert m_proto(a["sdp"]) == "RTP/AVP"
