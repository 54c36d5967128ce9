"""A real browser through the relay: headless Chromium running JsSIP (npm, pinned)
registers to Kamailio over WebSocket and calls a baresip phone, and is called by it
(auto-answer in the page). Kamailio runs the ```kamailio-webrtc block of
docs/kamailio.md: the relay gives the browser ICE, DTLS-SRTP and rtcp-mux, the phone
plain RTP/AVP.

A case passes when: the browser's getStats() shows inbound-rtp packetsReceived growing
and audioLevel > 0 with its remote track playing, and the page's analyser hears the
phone's 1000 Hz; the relay counts packets from both parties; the phone's recording holds
the browser's 600 Hz; the hang-up (from the browser in one case, from the phone in the
other) leaves no call in the relay's `list`. A screenshot of the page mid-call is saved
under build/interop-artefacts/ (or $INTEROP_ARTEFACTS) and its path printed.

A video call (Chromium's fake camera, max-bundle) to a phone with VP8 passes when, on
top of that, the browser decodes the phone's video and sends its own, and the relay
answered the browser with audio and video on one port (one BUNDLE) while the phone got a
port per m= line, each counting packets.

The same two calls run with the phone behind the masquerading NAT of the plain-phone
world (WebRtcWorld(nat="bob")): on top of the checks above, the relay's `query` must show
the phone's RTP coming from the NAT's public address with a port the NAT remapped
(never the LAN address the phone wrote in its SDP), and Kamailio must have told the
relay `SIP-source-address` for the phone's side with the NAT's address as
`received-from`, as the documented config does for a phone whose SDP is private.

The same two calls run with the classic rtpengine flags towards the browser
(`ICE=force DTLS=passive RTP/SAVPF SDES-off rtcp-mux-offer`, the documented
```kamailio-webrtc-classic block in place of the webrtc block's TO_WEBRTC line): the
browser must get RTP/SAVPF (an answer: the profile it offered) keyed by a=fingerprint
with a=setup:actpass in an offer (a=setup:passive in an answer) and no a=crypto. Without SDES-off (```kamailio-webrtc-classic-sdes)
the relay offers a=crypto beside a=fingerprint, as rtpengine does; Chromium must take
it and answer with DTLS-SRTP only, which the relay's `query` must show.
"""
import os
import time

import pytest
from ngclient import bdecode

from interop_lib import checks
from interop_lib.relay import relay_kind
from interop_lib.phone import parse_sdp, received_sdps
from interop_lib.topology import CALLEE_TONE, CALLER_TONE, NAT_PORTS, NAT_PUBLIC
from interop_lib.webrtc import LAN_ADDR, WEB_USER, WebRtcWorld

EVENT_TIMEOUT = 20
MEDIA_TIMEOUT = 20
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def artefact_path(name):
    folder = os.environ.get("INTEROP_ARTEFACTS") or os.path.join(ROOT, "build",
                                                                 "interop-artefacts")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, "%s-%s.png" % (name, relay_kind()))


def wait_browser_audio(world):
    """Wait until the browser decodes audio from the phone: packets growing and a
    non-zero audioLevel; return two stats samples a second apart."""
    deadline = time.monotonic() + MEDIA_TIMEOUT
    first = None
    while True:
        st = world.browser.stats()
        inb = st.get("inbound") or {}
        if inb.get("packetsReceived", 0) >= 25 and inb.get("audioLevel", 0) > 0:
            if first is None:
                first = st
            elif inb["packetsReceived"] > first["inbound"]["packetsReceived"] + 20:
                return first, st
        if time.monotonic() >= deadline:
            raise AssertionError("browser received no audible audio within %ds: last stats %r"
                                 "\npage log:\n%s" % (MEDIA_TIMEOUT, st,
                                                      "\n".join(world.browser.page_log())))
        time.sleep(0.5 if first is None else 1.2)


def check_media(world, call_id, name, codec="audio/"):
    first, last = wait_browser_audio(world)
    assert last["inbound"]["audioLevel"] > 0, last
    assert last["codec"] and last["codec"].lower().startswith(codec.lower()), last
    assert last["dtls"] == "connected", last
    assert (last.get("outbound") or {}).get("packetsSent", 0) > 25, last
    # what the page plays: the phone's tone dominates the analyser
    tone = last["tone"]
    assert tone and abs(tone["hz"] - CALLEE_TONE) < 40, \
        "the browser should hear %d Hz, its analyser says %r" % (CALLEE_TONE, tone)
    # the relay's view: packets in from both parties
    counts, streams = checks.rtp_packets(world.ng, call_id)
    assert len(counts) == 2 and all(n >= 20 for n in counts.values()), \
        "relay should count RTP from the browser and the phone: %r\n%r" % (counts, streams)
    path = world.browser.screenshot(artefact_path(name))
    print("\nscreenshot of the page mid-call: %s" % path)
    return first, last


def browser_state(world, wanted, timeout=EVENT_TIMEOUT):
    """Wait for the page's call state `wanted`; a failed call fails at once."""
    state = world.browser.wait("['%s', 'failed'].includes(window.rtcTest.state.state) && "
                               "window.rtcTest.state.state" % wanted, timeout,
                               "page state %r" % wanted)
    assert state == wanted, "the browser's call failed: %s\npage log:\n%s" % (
        world.browser.js("return window.rtcTest.state.failed"),
        "\n".join(world.browser.page_log()))
    return state


def phone_side_command(world, call_id, command):
    """The ng `command` ("offer" or "answer") Kamailio sent the relay with the phone's
    SDP for the call (the phone's own tag is its from-tag in an offer, its to-tag in
    an answer): (the request, the phone's tag)."""
    msgs = [m for way, _, _, m in world.ng_capture.decoded(bdecode)
            if way == "proxy>relay" and m and m.get("command") == command
            and m.get("call-id") == call_id]
    assert msgs, "Kamailio sent the relay no %s for %s" % (command, call_id)
    tag = msgs[0].get("from-tag" if command == "offer" else "to-tag")
    return msgs[0], tag


def check_phone_behind_nat(world, call_id, phone_command, phone_sdp):
    """The phone behind the NAT wrote its LAN address into its SDP (`phone_sdp`: the
    'INVITE' or '200' it sent); Kamailio's `phone_command` for it carried
    SIP-source-address and the NAT's public address as received-from (the other
    party's command neither); the relay's `query` shows the phone's RTP stream latched
    onto the NAT's public address and a port the NAT remapped, with packets counted."""
    sent = received_sdps(world.bob, phone_sdp, received=False)
    assert sent, "bob sent no %s with SDP" % phone_sdp
    assert parse_sdp(sent[0])["addr"] == LAN_ADDR, sent[0]
    req, bob_tag = phone_side_command(world, call_id, phone_command)
    assert "SIP-source-address" in req.get("flags", []), \
        "the config should send SIP-source-address for the NATed phone's SDP: %r" % req
    assert list(req.get("received-from", [])) == ["IP4", NAT_PUBLIC], req
    other, _ = phone_side_command(world, call_id,
                                  "answer" if phone_command == "offer" else "offer")
    assert "SIP-source-address" not in other.get("flags", []), \
        "the browser's SDP must not get SIP-source-address: %r" % other
    _, streams = checks.rtp_packets(world.ng, call_id)
    bob_rtp = [s for s in streams if s["tag"] == bob_tag and not s["rtcp"]]
    assert bob_rtp, "query shows no RTP stream for bob's tag %s: %r" % (bob_tag, streams)
    for s in bob_rtp:
        addr, port = s["endpoint"]
        assert addr == NAT_PUBLIC and NAT_PORTS[0] <= port <= NAT_PORTS[1], \
            "bob's media should come from the NAT's public side %s:%d-%d, query shows " \
            "%s:%d: %r" % (NAT_PUBLIC, NAT_PORTS[0], NAT_PORTS[1], addr, port, streams)
        assert s["packets"] >= 20, streams
    lan = [s for s in streams if (s["endpoint"][0] or "").startswith("192.168.99.")]
    assert not lan, "no stream may point at the LAN behind the NAT: %r" % lan
    print("\nbob's RTP as the relay sees it: %s:%d (SDP said %s)"
          % (bob_rtp[0]["endpoint"] + (LAN_ADDR,)))


def browser_calls_phone(world, name, phone_behind_nat=False, check_sdp=None):
    world.browser.js("window.rtcTest.call('sip:bob@127.0.0.1')")
    world.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    browser_state(world, "in call")
    call_id = checks.only_call(world.ng)
    check_media(world, call_id, name)
    if check_sdp is not None:
        check_sdp(call_id)
    if phone_behind_nat:
        check_phone_behind_nat(world, call_id, "answer", "200")
    world.browser.js("window.rtcTest.hangup()")
    world.bob.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    browser_state(world, "ended")
    checks.assert_call_gone(world.ng, call_id)
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)


def phone_calls_browser(world, name, phone_behind_nat=False, check_sdp=None):
    # the phone sends its INVITE to the Request-URI's host: Kamailio's SIP address
    reply = world.bob.command("dial", "sip:%s@%s" % (WEB_USER, world.sip_addr))
    assert reply.get("ok"), "dial failed: %r" % reply
    world.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    browser_state(world, "in call")
    call_id = checks.only_call(world.ng)
    check_media(world, call_id, name)
    if check_sdp is not None:
        check_sdp(call_id)
    if phone_behind_nat:
        check_phone_behind_nat(world, call_id, "offer", "INVITE")
    reply = world.bob.command("hangup")
    assert reply.get("ok"), "hangup failed: %r" % reply
    world.bob.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    browser_state(world, "ended")
    checks.assert_call_gone(world.ng, call_id)
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)


@pytest.mark.parametrize("bundle", ["balanced", "max-bundle"])
def test_browser_calls_phone_and_hangs_up(make_world, bundle):
    world = make_world(world_class=WebRtcWorld, bundle=bundle)
    browser_calls_phone(world, "browser-calls-phone-" + bundle)


def test_phone_calls_browser_and_hangs_up(make_world):
    world = make_world(world_class=WebRtcWorld)
    phone_calls_browser(world, "phone-calls-browser")


def test_browser_calls_phone_behind_nat(make_world):
    world = make_world(world_class=WebRtcWorld, nat="bob")
    browser_calls_phone(world, "browser-calls-phone-behind-nat", phone_behind_nat=True)


def test_phone_behind_nat_calls_browser(make_world):
    world = make_world(world_class=WebRtcWorld, nat="bob")
    phone_calls_browser(world, "phone-behind-nat-calls-browser", phone_behind_nat=True)


def test_opus_only_browser_calls_pcmu_only_phone(make_world):
    world = make_world(world_class=WebRtcWorld, browser_codecs="opus")
    world.browser.js("window.rtcTest.call('sip:bob@127.0.0.1')")
    world.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    browser_state(world, "in call")
    sent = world.browser.js("return window.rtcTest.state.localSdp[0]")
    offered = [l for l in sent.splitlines() if l.startswith("a=rtpmap:")]
    assert offered and all(("opus/" in l.lower() or "telephone-event/" in l) for l in offered), \
        offered
    call_id = checks.only_call(world.ng)
    check_media(world, call_id, "opus-browser-pcmu-phone", codec="audio/opus")
    world.browser.js("window.rtcTest.hangup()")
    world.bob.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    checks.assert_call_gone(world.ng, call_id)
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)


def wait_browser_video(world):
    """Wait until the browser decodes video from the phone and sends its own; the
    last stats."""
    deadline = time.monotonic() + MEDIA_TIMEOUT
    while True:
        st = world.browser.stats()
        v = st.get("video") or {}
        inb, out = v.get("inbound") or {}, v.get("outbound") or {}
        if inb.get("packetsReceived", 0) >= 50 and inb.get("framesDecoded", 0) >= 10 and \
                out.get("packetsSent", 0) >= 50:
            return st
        if time.monotonic() >= deadline:
            raise AssertionError("browser video did not flow both ways within %ds: %r"
                                 "\npage log:\n%s" % (MEDIA_TIMEOUT, st,
                                                      "\n".join(world.browser.page_log())))
        time.sleep(0.5)


def test_browser_video_call_max_bundle(make_world):
    """Audio and video in one BUNDLE from the browser (max-bundle, Chromium's fake
    camera) to a baresip phone with VP8 (fakevideo): the relay answers the browser
    bundled on one port and gives the phone a port per m= line; the browser hears the
    phone's tone and decodes its video, the relay counts audio and video from both."""
    world = make_world(world_class=WebRtcWorld, bundle="max-bundle", video=True)
    world.browser.js("window.rtcTest.call('sip:bob@127.0.0.1')")
    world.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    browser_state(world, "in call")
    call_id = checks.only_call(world.ng)
    sent = world.browser.js("return window.rtcTest.state.localSdp[0]")
    assert "m=video " in sent and "a=group:BUNDLE 0 1" in sent, sent
    check_media(world, call_id, "browser-video-call")
    st = wait_browser_video(world)
    assert st["video"]["inbound"]["codec"].lower() == "video/vp8", st
    q = world.ng.command("query", call_id=call_id)
    web = [m for t, v in q["tags"].items() for m in [v] if len(v["medias"]) == 2]
    assert len(web) == 2, q
    bundled = [v for v in web if "BUNDLE" in v["medias"][1]["streams"][0]["flags"]]
    assert len(bundled) == 1, q
    b_media = [m["streams"][0] for m in bundled[0]["medias"]]
    assert b_media[1]["bundle port"] == b_media[0]["local port"], b_media
    assert all(s["stats"]["packets"] >= 50 for s in b_media), b_media
    assert b_media[0]["stats"]["bundle unknown"] == 0, b_media
    phone = [v for v in web if v is not bundled[0]][0]
    p_media = [m["streams"][0] for m in phone["medias"]]
    assert p_media[0]["local port"] != p_media[1]["local port"], p_media
    assert all(s["stats"]["packets"] >= 50 for s in p_media), p_media
    world.browser.js("window.rtcTest.hangup()")
    world.bob.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    checks.assert_call_gone(world.ng, call_id)


def check_classic_sdp(world, call_id, browser_command, sdes=False):
    """The classic flags of docs/kamailio.md's ```kamailio-webrtc-classic block: the
    ng `browser_command` (the offer or answer carrying the SDP that goes to the
    browser) asked for RTP/SAVPF with SDES off and DTLS passive, and the SDP the
    browser got is RTP/SAVPF (an answer: the browser's own UDP/TLS/RTP/SAVPF) with
    ICE, rtcp-mux, the relay's a=fingerprint, a=setup:actpass in an offer (rtprelay
    and rtpengine alike) and a=setup:passive in an answer (rtpengine's answer:
    RTP/SAVPF) and no a=crypto (with
    `sdes`: the flags leave SDES-off out and the SDP carries a=crypto lines too)."""
    msgs = [m for way, _, _, m in world.ng_capture.decoded(bdecode)
            if way == "proxy>relay" and m and m.get("command") == browser_command
            and m.get("call-id") == call_id
            and m.get("transport-protocol") in ("RTP/SAVPF", b"RTP/SAVPF")]
    assert msgs, "Kamailio sent the relay no %s with transport-protocol RTP/SAVPF for %s" % (
        browser_command, call_id)
    req = msgs[0]
    sdes_flags = req.get("SDES")
    sdes_flags = [sdes_flags] if isinstance(sdes_flags, str) else list(sdes_flags or [])
    sdes_off = "off" in sdes_flags or "SDES-off" in req.get("flags", [])
    assert sdes_off != sdes, "the %s should %scarry SDES-off: %r" % (
        browser_command, "not " if sdes else "", req)
    assert "passive" in repr(req.get("DTLS")), "the %s should carry DTLS=passive: %r" % (
        browser_command, req)
    sdp = world.browser.js("return window.rtcTest.state.remoteSdp[0]")
    assert sdp, "the browser received no SDP"
    lines = sdp.splitlines()
    audio = [l for l in lines if l.startswith("m=audio ")]
    # an offer is written on the profile the flags name; rtprelay's answer keeps the
    # profile the browser offered (RFC 3264 section 6), rtpengine's takes the flags'
    if browser_command == "offer" or relay_kind() == "rtpengine":
        profile = "RTP/SAVPF"
    else:
        offered = world.browser.js("return window.rtcTest.state.localSdp[0]")
        profile = [l for l in offered.splitlines() if l.startswith("m=audio ")][0].split()[2]
        assert profile == "UDP/TLS/RTP/SAVPF", offered
    assert audio and audio[0].split()[2] == profile, sdp
    # without SDES-off the relay's own a=crypto lines go beside a=fingerprint
    assert bool([l for l in lines if l.startswith("a=crypto:")]) == sdes, sdp
    assert [l for l in lines if l.startswith("a=fingerprint:sha-256 ")], sdp
    # DTLS=passive: an offer says actpass all the same (rtprelay as rtpengine, the
    # browser picks active); the answer to the browser's actpass says passive
    setup = "actpass" if browser_command == "offer" else "passive"
    assert "a=setup:" + setup in lines, sdp
    assert [l for l in lines if l.startswith("a=ice-ufrag:")], sdp
    assert [l for l in lines if l.startswith("a=candidate:")], sdp
    assert "a=rtcp-mux" in lines, sdp
    print("\nSDP the browser got (%s):\n%s" % (browser_command, sdp))


def test_phone_calls_browser_classic_savpf(make_world):
    """The classic rtpengine flags towards the browser (the documented
    ```kamailio-webrtc-classic block: `ICE=force DTLS=passive RTP/SAVPF SDES-off
    rtcp-mux-offer`): the phone's offer reaches the browser as RTP/SAVPF with DTLS-SRTP
    keying only; audio both ways as in the other cases."""
    world = make_world(world_class=WebRtcWorld, variant="classic")
    phone_calls_browser(world, "phone-calls-browser-classic-savpf",
                        check_sdp=lambda call_id: check_classic_sdp(world, call_id, "offer"))


def test_browser_calls_phone_classic_savpf(make_world):
    """The same flags on the answer towards the browser: the browser's
    UDP/TLS/RTP/SAVPF offer is answered on that profile with a=setup:passive (the
    browser is the DTLS client) and no a=crypto; audio both ways."""
    world = make_world(world_class=WebRtcWorld, variant="classic")
    browser_calls_phone(world, "browser-calls-phone-classic-savpf",
                        check_sdp=lambda call_id: check_classic_sdp(world, call_id, "answer"))



def test_phone_calls_browser_classic_savpf_without_sdes_off(make_world):
    """The classic flags without SDES-off (the documented ```kamailio-webrtc-classic-sdes
    block): the relay offers the browser its a=crypto lines beside a=fingerprint and
    a=setup:passive, as rtpengine does. Chromium takes that offer and answers with
    a=fingerprint and no a=crypto, so the call is keyed by DTLS-SRTP; audio both
    ways as in the other cases."""
    world = make_world(world_class=WebRtcWorld, variant="classic-sdes")

    def check_sdp(call_id):
        check_classic_sdp(world, call_id, "offer", sdes=True)
        answer = world.browser.js("return window.rtcTest.state.localSdp[0]")
        lines = answer.splitlines()
        assert not [l for l in lines if l.startswith("a=crypto:")], answer
        assert [l for l in lines if l.startswith("a=fingerprint:")], answer
        assert "a=setup:active" in lines, answer
        assert world.browser.js("return window.rtcTest.state.sdpErrors") == []
        if relay_kind() == "rtpengine":
            return   # its query shows no DTLS association state
        # the relay keys the browser's stream by DTLS (it is the server), not SDES
        q = world.ng.command("query", call_id=call_id)
        rtp = [s for p in q["tags"].values() for m in p["medias"] for s in m["streams"]
               if "RTP" in s.get("flags", [])]
        dtls = [s for s in rtp if s.get("DTLS")]
        assert len(dtls) == 1, rtp
        state = dtls[0]["DTLS"]
        assert state["state"] == "connected" and state["role"].startswith("passive"), state
        assert dtls[0]["crypto suite"] == state["SRTP profile"], dtls[0]
        assert dtls[0]["stats"]["SRTP auth failed"] == 0, dtls[0]
        assert all("crypto suite" not in s for s in rtp if s is not dtls[0]), rtp

    phone_calls_browser(world, "phone-calls-browser-classic-savpf-sdes", check_sdp=check_sdp)
