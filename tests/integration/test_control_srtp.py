"""rtprelay has no SRTP: it never advertises a secure profile for media it relays in
plain, nor a plain one for media the endpoints encrypt. Asking for a secure
transport-protocol, changing the profile between plain and secure, or transcoding
secure media is refused with an error; secure media the endpoints keyed themselves
(a=crypto in their SDP) is relayed untouched under the profile they chose."""

import pytest

from ngclient import sdp_offer

SECURE = ["RTP/SAVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"]
CRYPTO = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"


def savp_sdp(port=5000, proto="RTP/SAVP", **kw):
    return sdp_offer(port=port, extra_media_lines=(CRYPTO,), **kw).replace("RTP/AVP", proto)


def m_lines(sdp):
    return [l for l in sdp.split("\r\n") if l.startswith("m=")]


def nothing_allocated(ng):
    assert ng.request({"command": "list"})["calls"] == []
    assert ng.request({"command": "statistics"})["ports"]["used"] == 0


@pytest.mark.parametrize("tp", SECURE)
def test_secure_transport_protocol_is_refused(ng, tp):
    for how in ({"transport-protocol": tp}, {"flags": [tp]},
                {"flags": ["transport-protocol-" + tp]}, {"flags": ["transport-protocol=" + tp]}):
        r = ng.offer("tp", "A", sdp_offer(), **how)
        assert r == {"result": "error",
                     "error-reason": "SRTP is not supported: transport-protocol " + tp}, (how, r)
        nothing_allocated(ng)
    # a plain profile still converts
    r = ng.offer("tp", "A", sdp_offer(), **{"transport-protocol": "RTP/AVPF"})
    assert r["result"] == "ok" and m_lines(r["sdp"])[0].split()[2] == "RTP/AVPF"


def test_endpoint_keyed_srtp_passes_through(ng):
    r = ng.offer("sec", "A", savp_sdp(port=5000))
    assert r["result"] == "ok", r
    assert m_lines(r["sdp"])[0].split()[2] == "RTP/SAVP" and CRYPTO in r["sdp"]
    a = ng.answer("sec", "A", "B", savp_sdp(port=6000))
    assert a["result"] == "ok", a
    assert m_lines(a["sdp"])[0].split()[2] == "RTP/SAVP" and CRYPTO in a["sdp"]


def test_secure_media_relabelled_plain_is_refused(ng):
    r = ng.offer("relabel", "A", savp_sdp(), **{"transport-protocol": "RTP/AVP"})
    assert r["result"] == "error", r
    assert r["error-reason"] == ("SRTP is not supported: RTP/SAVP media cannot be relayed "
                                 "as RTP/AVP")
    nothing_allocated(ng)


def test_answer_of_the_other_kind_is_refused(ng):
    # secure offer, plain answer: the offerer must not be told RTP/SAVP for plain media
    assert ng.offer("x1", "A", savp_sdp(port=5000))["result"] == "ok"
    r = ng.answer("x1", "A", "B", sdp_offer(port=6000))
    assert r["result"] == "error", r
    assert r["error-reason"] == ("SRTP is not supported: RTP/AVP media cannot be relayed "
                                 "as RTP/SAVP")
    # plain offer, secure answer: nor RTP/AVP for encrypted media
    assert ng.offer("x2", "A", sdp_offer(port=5000))["result"] == "ok"
    r = ng.answer("x2", "A", "B", savp_sdp(port=6000, proto="RTP/SAVPF"))
    assert r["result"] == "error", r
    assert r["error-reason"] == ("SRTP is not supported: RTP/SAVPF media cannot be relayed "
                                 "as RTP/AVP")


def test_secure_media_is_not_transcoded(ng):
    r = ng.offer("xc", "A", savp_sdp(), flags=["codec-transcode-G722"])
    assert r["result"] == "error", r
    assert r["error-reason"] == "SRTP is not supported: RTP/SAVP media cannot be transcoded"
    nothing_allocated(ng)
    # a plain offer that will transcode, answered with secure media
    assert ng.offer("xc2", "A", sdp_offer(), flags=["codec-transcode-G722"])["result"] == "ok"
    r = ng.answer("xc2", "A", "B", savp_sdp(port=6000, media=(("audio", (9,)),)))
    assert r["result"] == "error", r
