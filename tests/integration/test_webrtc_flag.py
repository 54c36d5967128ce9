"""rtpengine's `WebRTC` flag is an alias for the options a WebRTC party needs.
rtpengine's docs/ng_control_protocol.md lists transport-protocol=UDP/TLS/RTP/SAVPF,
ICE=force, trickle-ICE, rtcp-mux-offer, rtcp-mux-require, no-rtcp-attribute,
SDES-off and generate-mid; its WebRTC template (etc/rtpengine.conf) and its code add
bundle=[require] (bundle offer + a=bundle-only on the bundled sections but the first,
on the bundle's port). Each implied option is checked in the SDP rtprelay writes, and
that bundle=require is remembered for a re-offer like an explicit one.
"""

import pytest

from test_bundle_sdp import TO_WEBRTC, attrs, groups, plain_offer, sections, webrtc_answer

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

TO_SIP = {"ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"]}


def port(sec):
    return int(sec[0].split()[1])


def test_webrtc_flag_implies_each_documented_option(ng):
    r = ng.offer("wf-1", "a", plain_offer(), flags=["WebRTC"])
    assert r["result"] == "ok", r
    sdp = r["sdp"]
    audio, video = sections(sdp)
    for sec in (audio, video):
        # transport-protocol=UDP/TLS/RTP/SAVPF (DTLS-SRTP) and SDES-off
        assert sec[0].split()[2] == "UDP/TLS/RTP/SAVPF", sdp
        assert attrs(sec, "a=fingerprint:") and attrs(sec, "a=setup:"), sdp
        assert not attrs(sec, "a=crypto:"), sdp
        # generate-mid
        assert len(attrs(sec, "a=mid:")) == 1, sdp
        # rtcp-mux-offer (+ require: no separate RTCP port) and no-rtcp-attribute
        assert "a=rtcp-mux" in sec and not attrs(sec, "a=rtcp:"), sdp
    # ICE=force and trickle-ICE: candidates and a=ice-options:trickle
    assert attrs(audio, "a=candidate:") and attrs(audio, "a=ice-ufrag:"), sdp
    assert "a=ice-options:trickle" in sdp, sdp
    # bundle=require: one group, one port, a=bundle-only on all but the first
    mids = [attrs(s, "a=mid:")[0][6:] for s in (audio, video)]
    assert groups(sdp) == ["a=group:BUNDLE " + " ".join(mids)], sdp
    assert port(audio) == port(video) != 0, sdp
    assert "a=bundle-only" not in audio and "a=bundle-only" in video, sdp


def test_webrtc_flag_bundle_require_is_remembered(ng):
    r = ng.offer("wf-2", "a", plain_offer(), flags=["WebRTC"])
    assert r["result"] == "ok", r
    to_b = r["sdp"]
    r = ng.answer("wf-2", "a", "b", webrtc_answer(to_b, True), **TO_SIP)
    assert r["result"] == "ok", r
    assert groups(r["sdp"]) == [] and "bundle-only" not in r["sdp"], r["sdp"]
    # a re-offer to the WebRTC party without the flag (nor a bundle key) keeps
    # a=bundle-only (require is remembered per party) on the same bundle port
    r = ng.offer("wf-2", "a", plain_offer(), **{"to-tag": "b"}, **TO_WEBRTC)
    assert r["result"] == "ok", r
    audio, video = sections(r["sdp"])
    assert "a=bundle-only" in video and port(video) == port(audio), r["sdp"]
    assert port(audio) == port(sections(to_b)[0]), (r["sdp"], to_b)


def test_webrtc_flag_with_bundle_reject_stays_unbundled(ng):
    """An explicit bundle=reject next to the flag breaks up any bundle: one port per
    section and no a=bundle-only (reject wins, as in test_bundle_strict)."""
    r = ng.offer("wf-3", "a", plain_offer(), flags=["WebRTC"], bundle=["reject"])
    assert r["result"] == "ok", r
    assert groups(r["sdp"]) == [] and "bundle-only" not in r["sdp"], r["sdp"]
    assert len({port(s) for s in sections(r["sdp"])}) == 2, r["sdp"]
