"""bundle=require and bundle=strict (rtpengine's docs/ng_control_protocol.md, "bundle";
RFC 9143 where it is silent), as the SDP on each side shows it and with real packets.

rtprelay offering to a bundling (ICE) party:
  - require: every bundled section but the first carries a=bundle-only, all on the
    bundle's port; remembered in later offers to that party (reject ends it);
  - strict: those sections also get port 0 and no candidates of their own, in this
    offer only (a later offer without it is require's);
  - require/strict towards a party rtprelay cannot bundle (no ICE, SDES) is an error;
  - the answer: a party without BUNDLE rejects the bundle-only sections (port 0) and
    the rest stays a plain media; one that accepts a bundle-only section outside a
    BUNDLE group with ICE of its own, or rejects the bundle's first section and
    accepts the others, is refused with a reason (a plain one is taken, each section
    at its own address: test_bundle_split.py).
rtprelay answering a bundling party whose offer has port-0 a=bundle-only sections
(another rtpengine with strict, RFC 9143 6): they are taken into their group, the
other side gets a port for them, the answer bundles them; bundle=reject leaves them
rejected.
With real stacks: aiortc answers a strict offer and carries audio and video over the
bundle; Chromium applies a strict offer and answers the port-0 section bundled.
"""

import os
import socket

import pytest

from dp_media import Phone, parse_rtp, relay_targets
from test_bundle_media import recv_all, rtp_mid, web_sdp
from test_bundle_sdp import (FINGERPRINT, TO_SIP, TO_WEBRTC, attrs, groups, plain_offer,
                             sections, webrtc_answer)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def port(sec):
    return int(sec[0].split()[1])


def offer_to_webrtc(ng, cid, bundle):
    r = ng.offer(cid, "a", plain_offer(), bundle=bundle, **TO_WEBRTC)
    assert r["result"] == "ok", r
    return r["sdp"]


def test_require_marks_bundle_only_on_the_bundles_port(ng):
    to_b = offer_to_webrtc(ng, "bs-1", ["require"])
    assert groups(to_b) == ["a=group:BUNDLE 0 1"], to_b
    audio, video = sections(to_b)
    # same port, not zero: rtpengine's require ("contrary to the RFC")
    assert port(audio) == port(video) != 0, to_b
    assert "a=bundle-only" not in audio and "a=bundle-only" in video, to_b
    assert attrs(video, "a=candidate:") == attrs(audio, "a=candidate:") != [], to_b
    r = ng.answer("bs-1", "a", "b", webrtc_answer(to_b, True), **TO_SIP)
    assert r["result"] == "ok", r
    assert "bundle-only" not in r["sdp"] and groups(r["sdp"]) == [], r["sdp"]
    # require is remembered: a re-offer without the key keeps a=bundle-only
    r = ng.offer("bs-1", "a", plain_offer(), **{"to-tag": "b"}, **TO_WEBRTC)
    assert r["result"] == "ok", r
    audio2, video2 = sections(r["sdp"])
    assert "a=bundle-only" in video2 and port(video2) == port(audio2) == port(audio), r["sdp"]
    # ... until bundle=reject breaks the bundle up
    r = ng.offer("bs-1", "a", plain_offer(), bundle=["reject"], **{"to-tag": "b"}, **TO_WEBRTC)
    assert r["result"] == "ok", r
    assert "bundle-only" not in r["sdp"] and groups(r["sdp"]) == [], r["sdp"]
    assert len({port(s) for s in sections(r["sdp"])}) == 2, r["sdp"]


def test_offer_alone_writes_no_bundle_only(ng):
    to_b = offer_to_webrtc(ng, "bs-2", ["offer"])
    assert groups(to_b) == ["a=group:BUNDLE 0 1"] and "bundle-only" not in to_b, to_b


def test_strict_gives_port_zero_in_this_offer_only(ng):
    to_b = offer_to_webrtc(ng, "bs-3", ["strict"])
    assert groups(to_b) == ["a=group:BUNDLE 0 1"], to_b
    audio, video = sections(to_b)
    assert port(audio) != 0 and port(video) == 0, to_b
    assert "a=bundle-only" in video and "a=bundle-only" not in audio, to_b
    # RFC 9143 7.2.1: the transport is the first section's; no candidates of its own
    assert attrs(video, "a=candidate:") == [] and attrs(audio, "a=candidate:"), to_b
    assert attrs(video, "a=ice-ufrag:") == attrs(audio, "a=ice-ufrag:"), to_b
    assert attrs(video, "a=mid:") == ["a=mid:1"] and "a=rtcp-mux" in video, to_b
    # a bundling answer: both sections on its one port, one group
    r = ng.answer("bs-3", "a", "b", webrtc_answer(to_b, True), **TO_SIP)
    assert r["result"] == "ok", r
    assert len({port(s) for s in sections(r["sdp"])}) == 2, r["sdp"]
    assert 0 not in {port(s) for s in sections(r["sdp"])}, r["sdp"]
    q = ng.query("bs-3")
    b = q["tags"]["b"]["medias"]
    assert {m["streams"][0]["bundle port"] for m in b} == {port(audio)}, b
    # strict is not remembered: the re-offer is require's (bundle-only, shared port)
    r = ng.offer("bs-3", "a", plain_offer(), **{"to-tag": "b"}, **TO_WEBRTC)
    assert r["result"] == "ok", r
    audio2, video2 = sections(r["sdp"])
    assert port(video2) == port(audio2) == port(audio) and "a=bundle-only" in video2, r["sdp"]
    # strict again: port 0 again
    r = ng.offer("bs-3", "a", plain_offer(), bundle=["strict"], **{"to-tag": "b"},
                 **TO_WEBRTC)
    assert r["result"] == "ok", r
    assert [port(s) for s in sections(r["sdp"])] == [port(audio), 0], r["sdp"]


@pytest.mark.parametrize("value", ["require", "strict"])
def test_require_towards_a_party_without_ice_is_an_error(ng, value):
    cid = "bs-4-" + value
    r = ng.offer(cid, "a", plain_offer(), bundle=[value], ICE="remove",
                 **{"rtcp-mux": ["offer", "require"]})
    assert r["result"] == "error", r
    assert r["error-reason"] == "bundle=%s: media 1 cannot be bundled: it gets no ICE" % value, r
    assert ng.query(cid)["result"] == "error"  # the offer left no call behind


def test_require_towards_an_sdes_party_is_an_error(ng):
    r = ng.offer("bs-5", "a", plain_offer(), bundle=["require"], ICE="force",
                 **{"transport-protocol": "RTP/SAVPF", "rtcp-mux": ["offer", "require"]})
    assert r["result"] == "error", r
    assert r["error-reason"].endswith("media 1 cannot be bundled: it is keyed by SDES"), r
    # without rtcp-mux towards the party
    r = ng.offer("bs-5b", "a", plain_offer(), bundle=["strict"], ICE="force",
                 **{"rtcp-mux": ["demux"]})
    assert r["result"] == "error", r
    assert r["error-reason"].endswith("it gets no rtcp-mux"), r


def unbundled_answer(to_b, video_port):
    """A WebRTC answer without BUNDLE: a port per section, video at @video_port."""
    ans = webrtc_answer(to_b, False)
    return ans.replace("m=video 52002 ", "m=video %d " % video_port)


def test_strict_answered_without_bundle_rejecting_the_video(ng):
    """RFC 9143 7.3.3: a party without BUNDLE rejects the bundle-only sections; the
    first stays a media of its own, the video is rejected towards the offerer."""
    to_b = offer_to_webrtc(ng, "bs-6", ["strict"])
    r = ng.answer("bs-6", "a", "b", unbundled_answer(to_b, 0), **TO_SIP)
    assert r["result"] == "ok", r
    assert [port(s) != 0 for s in sections(r["sdp"])] == [True, False], r["sdp"]
    q = ng.query("bs-6")
    b = q["tags"]["b"]["medias"]
    assert "BUNDLE" not in b[0]["streams"][0]["flags"], b
    assert "bundle port" not in b[0]["streams"][0], b


@pytest.mark.parametrize("value", ["require", "strict"])
def test_answer_accepting_bundle_only_outside_a_group_with_ice_is_refused(ng, value):
    """A WebRTC answer without BUNDLE: the bundle-only video accepted on a port of its
    own, with ICE and DTLS of its own, which the bundle port's one ICE agent and DTLS
    association cannot serve (a plain party without BUNDLE is taken:
    test_bundle_split.py)."""
    cid = "bs-7-" + value
    to_b = offer_to_webrtc(ng, cid, [value])
    r = ng.answer(cid, "a", "b", unbundled_answer(to_b, 52002), **TO_SIP)
    assert r["result"] == "error", r
    assert r["error-reason"] == ("the answer takes media 2 out of its BUNDLE group with ICE "
                                 "of its own: rtprelay's bundle port runs one ICE agent, "
                                 "for the group"), r
    # the call is still there, unanswered: a good answer is taken afterwards
    r = ng.answer(cid, "a", "b", webrtc_answer(to_b, True), **TO_SIP)
    assert r["result"] == "ok", r


def test_answer_rejecting_the_bundles_first_section_is_refused(ng):
    to_b = offer_to_webrtc(ng, "bs-8", ["require"])
    ans = webrtc_answer(to_b, True).replace("m=audio 52000 ", "m=audio 0 ")
    r = ng.answer("bs-8", "a", "b", ans, **TO_SIP)
    assert r["result"] == "error", r
    assert r["error-reason"] == ("the answer rejects media 1, the first of its BUNDLE "
                                 "group, but accepts media 2 of the group"), r


def strict_webrtc_offer():
    """A bundling offerer as rtpengine's strict writes it: the video section has
    port 0 and a=bundle-only, every other line as the audio's."""
    lines = ["v=0", "o=- 99 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1"]
    for mid, (kind, p, fmt) in enumerate((("audio", 50000, "111"), ("video", 0, "96"))):
        lines += ["m=%s %d UDP/TLS/RTP/SAVPF %s" % (kind, p, fmt), "c=IN IP4 127.0.0.1",
                  "a=ice-ufrag:EsAw", "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
                  "a=fingerprint:" + FINGERPRINT, "a=setup:actpass", "a=mid:%d" % mid,
                  "a=sendrecv", "a=rtcp-mux",
                  "a=rtpmap:111 opus/48000/2" if kind == "audio" else "a=rtpmap:96 VP8/90000"]
        if p:
            lines.append("a=candidate:1 1 udp 2122260223 127.0.0.1 %d typ host" % p)
        else:
            lines.append("a=bundle-only")
    return "\r\n".join(lines) + "\r\n"


def test_answering_a_strict_offer_takes_the_bundle_only_section(ng):
    r = ng.offer("bs-9", "a", strict_webrtc_offer(), **TO_SIP)
    assert r["result"] == "ok", r
    to_b = r["sdp"]
    # the SIP side gets a port for each section and no bundle-only
    assert "bundle-only" not in to_b and groups(to_b) == [], to_b
    ports = [port(s) for s in sections(to_b)]
    assert 0 not in ports and len(set(ports)) == 2, to_b
    r = ng.answer("bs-9", "a", "b", plain_offer(), **TO_WEBRTC)
    assert r["result"] == "ok", r
    to_a = r["sdp"]
    assert groups(to_a) == ["a=group:BUNDLE 0 1"], to_a
    audio, video = sections(to_a)
    assert port(audio) == port(video) != 0 and "bundle-only" not in to_a, to_a


def test_bundle_reject_leaves_a_bundle_only_section_rejected(ng):
    r = ng.offer("bs-10", "a", strict_webrtc_offer(), bundle=["reject"], **TO_SIP)
    assert r["result"] == "ok", r
    assert [port(s) != 0 for s in sections(r["sdp"])] == [True, False], r["sdp"]


def test_strict_bundle_carries_media_both_ways(ng):
    """Real packets: a phone offers audio+video with bundle=strict to a hand-made
    bundling party (RTP/AVP with ICE credentials), which answers the bundle; the
    party's audio and video arrive at the phone's two ports, the phone's two media
    leave the one bundle port."""
    web = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    web.bind(("127.0.0.1", 0))
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        r = ng.offer("bs-11", "ph", phone.sdp(), bundle=["strict"], ICE="force",
                     **{"rtcp-mux": ["offer", "require"]})
        assert r["result"] == "ok", r
        to_web = r["sdp"]
        assert [port(s) == 0 for s in sections(to_web)] == [False, True], to_web
        bundle = tuple(relay_targets(to_web)[0][:2])
        a = ng.answer("bs-11", "ph", "web", web_sdp(web.getsockname()[1], group=("0", "1")),
                      ICE="remove", **{"rtcp-mux": ["demux"]})
        assert a["result"] == "ok", a
        to_phone = relay_targets(a["sdp"])
        for s in range(5):
            web.sendto(rtp_mid(s, 1111, 0), bundle)
            web.sendto(rtp_mid(s, 2222, 96, "1"), bundle)
        aud = [parse_rtp(p) for p, _ in recv_all(phone.rtp_socks[0])]
        vid = [parse_rtp(p) for p, _ in recv_all(phone.rtp_socks[1])]
        assert sorted((x[0], x[2]) for x in aud) == [(0, 1111)] * 5, aud
        assert sorted((x[0], x[2]) for x in vid) == [(96, 2222)] * 5, vid
        phone.send_rtp(0, tuple(to_phone[0][:2]), n=3)
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=3, pt=96)
        got = recv_all(web)
        assert {src for _, src in got} == {bundle}, got
        kinds = sorted((parse_rtp(p)[0], parse_rtp(p)[2]) for p, _ in got)
        assert kinds == sorted([(0, phone.ssrc[0])] * 3 + [(96, phone.ssrc[1])] * 3), kinds
    finally:
        web.close()
        phone.close()


def test_strict_offer_from_a_bundling_party_carries_media(ng):
    """Real packets the other way round: the bundling party offers with its video
    section at port 0 and a=bundle-only; rtprelay answers it bundled and the video
    reaches the phone's video port."""
    web = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    web.bind(("127.0.0.1", 0))
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        offer = web_sdp(web.getsockname()[1])
        head, video = offer.split("m=video ", 1)
        video = "m=video 0 " + video.split(" ", 1)[1] + "a=bundle-only\r\n"
        r = ng.offer("bs-12", "web", head + video, ICE="remove", **{"rtcp-mux": ["demux"]})
        assert r["result"] == "ok", r
        to_phone = relay_targets(r["sdp"])
        assert to_phone[1][1] != 0 and to_phone[0][1] != to_phone[1][1], r["sdp"]
        a = ng.answer("bs-12", "web", "ph", phone.sdp(), ICE="force")
        assert a["result"] == "ok", a
        assert "a=group:BUNDLE a v" in a["sdp"], a["sdp"]
        to_web = relay_targets(a["sdp"])
        assert to_web[0][1] == to_web[1][1] != 0, a["sdp"]
        bundle = tuple(to_web[0][:2])
        for s in range(4):
            web.sendto(rtp_mid(s, 2222, 96, "v"), bundle)
        vid = [parse_rtp(p) for p, _ in recv_all(phone.rtp_socks[1])]
        assert sorted((x[0], x[2]) for x in vid) == [(96, 2222)] * 4, vid
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=3, pt=96)
        got = recv_all(web)
        assert [(parse_rtp(p)[0], src) for p, src in got] == [(96, bundle)] * 3, got
    finally:
        web.close()
        phone.close()


def test_aiortc_answers_a_strict_offer(ng):
    """A real WebRTC stack (aiortc: ICE, DTLS-SRTP, BUNDLE) takes rtprelay's strict
    offer (video at port 0, a=bundle-only) into the bundle: one DTLS association
    keys both media and the phone's audio and video reach it, its own reach the
    phone's two ports."""
    from test_bundle_media import aiortc_peer, check_webrtc_bundle, phone_media, phone_sdp, run

    async def go():
        w = aiortc_peer()
        phone = Phone(nmedia=2, mux=False, pts=(0,))
        try:
            r = ng.offer("bs-13", "ph", phone_sdp(phone.port, phone.port + 2, 96),
                         flags=["WebRTC"], bundle=["strict"])
            assert r["result"] == "ok", r
            assert [port(s) == 0 for s in sections(r["sdp"])] == [False, True], r["sdp"]
            ans = await w.answer(r["sdp"])
            assert "a=group:BUNDLE 1 2" in ans, ans
            a = ng.answer("bs-13", "ph", "web", ans, ICE="remove")
            assert a["result"] == "ok", a
            to_phone = relay_targets(a["sdp"])
            got = await phone_media(phone, tuple(to_phone[0][:2]), tuple(to_phone[1][:2]),
                                    96, 8)
            assert len(got[0]) >= 100 and set(got[0]) == {0}, got[0][:20]
            assert len(got[1]) >= 20 and set(got[1]) == {96}, got[1][:20]
            assert await w.inbound(w.audio) >= 100
            assert await w.inbound(w.video) >= 20
            check_webrtc_bundle(ng, "bs-13", "web")
        finally:
            await w.pc.close()
            phone.close()
    run(go())


CHROMIUM = "/usr/lib/chromium/chromium"
CHROMEDRIVER = "/usr/lib/chromium/chromedriver"

ANSWER_JS = """
const done = arguments[arguments.length - 1];
(async () => {
  const pc = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
  try {
    await pc.setRemoteDescription({type: 'offer', sdp: arguments[0]});
    await pc.setLocalDescription(await pc.createAnswer());
    done({sdp: pc.localDescription.sdp});
  } catch (e) { done({err: String(e)}); }
  pc.close();
})();
"""


def test_chromium_takes_a_strict_offer_into_its_bundle(ng):
    """Chromium (max-bundle) applies rtprelay's strict offer and answers the port-0
    bundle-only video inside its BUNDLE group (port 9: bundled, not rejected). SDP
    only: the media path is the one aiortc proves above."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("no chromium/chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from test_bundle_media import phone_sdp

    r = ng.offer("bs-14", "ph", phone_sdp(40000, 40002, 96), flags=["WebRTC"],
                 bundle=["strict"])
    assert r["result"] == "ok", r
    assert [port(s) == 0 for s in sections(r["sdp"])] == [False, True], r["sdp"]
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        drv.set_script_timeout(20)
        res = drv.execute_async_script(ANSWER_JS, r["sdp"])
    finally:
        drv.quit()
    assert "sdp" in res, res
    ans = res["sdp"]
    assert groups(ans) == ["a=group:BUNDLE 1 2"], ans
    audio, video = sections(ans)
    assert port(video) != 0 and attrs(video, "a=mid:") == ["a=mid:2"], ans
    # rtprelay takes that answer: both sections in the browser's group
    a = ng.answer("bs-14", "ph", "web", ans, ICE="remove")
    assert a["result"] == "ok", a
