"""BUNDLE offered to a party that does not bundle (RFC 9143 7.3.3; rtpengine's
docs/ng_control_protocol.md, "bundle": require lists every section "with the same port
instead of a zero port, enabling connectivity with peers not supporting bundled SDPs").

rtprelay offers audio and video on one port (bundle=require: video a=bundle-only,
bundle=offer: without). A plain answerer (RTP/AVP, no ICE, no a=group:BUNDLE) answers
each section with a port of its own. The call stays: each section is sent to the
answerer's own address for it, from the one bundle port, and what arrives there is told
apart by its source (then by payload type when two sections share an address); latching
works per section, and a party that does not multiplex RTCP has its RTCP taken from
its RTCP port. With bundle=strict the answerer rejects the port-0 section and only
audio flows. A later re-offer that the party answers bundled goes back to one address;
one from the party itself gets a port per section. The WebRTC flag (which implies
require) answered by a plain party works alike. An unbundled section with ICE of its
own, or an SRTP-keyed answer, is refused with a reason (one ICE agent and one SRTP
context serve the bundle port).
"""

import socket

import pytest

from dp_media import Phone, parse_rtp, relay_targets
from test_bundle_media import recv_all, rtcp_sr, rtp_mid
from test_bundle_sdp import FINGERPRINT, groups, sections

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

TO_BUNDLER = {"ICE": "force", "rtcp-mux": ["offer", "require"]}
TO_PHONE = {"ICE": "remove", "rtcp-mux": ["demux"]}


def port(sec):
    return int(sec[0].split()[1])


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def plain_answer(audio_port, video_port, mids=("0", "1"), extra=()):
    """A party without BUNDLE: no group, no ICE, a port per section (0 = rejected)."""
    lines = ["v=0", "o=- 5 1 IN IP4 127.0.0.1", "s=-", "t=0 0"] + list(extra)
    for kind, p, fmt, mid in (("audio", audio_port, "0", mids[0]),
                              ("video", video_port, "96", mids[1])):
        lines += ["m=%s %d RTP/AVP %s" % (kind, p, fmt), "c=IN IP4 127.0.0.1",
                  "a=mid:" + mid, "a=rtcp-mux", "a=sendrecv"]
        if kind == "video":
            lines.append("a=rtpmap:96 VP8/90000")
    return "\r\n".join(lines) + "\r\n"


def bundled_answer(port_, mids=("0", "1")):
    """The same party, now bundling: one port, one group."""
    lines = ["v=0", "o=- 5 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
             "a=group:BUNDLE " + " ".join(mids)]
    for kind, fmt, mid in (("audio", "0", mids[0]), ("video", "96", mids[1])):
        lines += ["m=%s %d RTP/AVP %s" % (kind, port_, fmt), "c=IN IP4 127.0.0.1",
                  "a=mid:" + mid, "a=rtcp-mux", "a=sendrecv"]
        if kind == "video":
            lines.append("a=rtpmap:96 VP8/90000")
    return "\r\n".join(lines) + "\r\n"


def offer(ng, cid, phone, bundle, **extra):
    r = ng.offer(cid, "ph", phone.sdp(), bundle=bundle, **TO_BUNDLER, **extra)
    assert r["result"] == "ok", r
    return r["sdp"]


def kinds(got):
    return sorted((parse_rtp(p)[0], parse_rtp(p)[2]) for p, _ in got)


def web_to_phone(phone, bundle, aud, vid, n=5, first=0):
    """The answerer's audio (PT 0, SSRC 1111) from @aud and video (PT 96, SSRC 2222)
    from @vid, all to the bundle port; returns what each phone media received."""
    for s in range(first, first + n):
        aud.sendto(rtp_mid(s, 1111, 0), bundle)
        vid.sendto(rtp_mid(s, 2222, 96), bundle)
    return (kinds(recv_all(phone.rtp_socks[0])), kinds(recv_all(phone.rtp_socks[1])))


def streams(ng, cid, tag):
    return [m["streams"][0] for m in ng.query(cid)["tags"][tag]["medias"]]


@pytest.mark.parametrize("value,group", [("require", None), ("offer", None),
                                         ("require", "a=group:BUNDLE 1")])
def test_unbundled_answer_each_section_to_its_own_address(ng, value, group):
    """@group: a group in the answer that leaves out the bundle's first section,
    so the video is still outside rtprelay's bundle."""
    cid = "bsplit-1-%s-%s" % (value, bool(group))
    aud, vid = udp(), udp()
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        to_web = offer(ng, cid, phone, [value])
        audio, video = sections(to_web)
        assert port(audio) == port(video) != 0, to_web
        assert ("a=bundle-only" in video) == (value == "require"), to_web
        bundle = tuple(relay_targets(to_web)[0][:2])
        a = ng.answer(cid, "ph", "web",
                      plain_answer(aud.getsockname()[1], vid.getsockname()[1],
                                   extra=[group] if group else []), **TO_PHONE)
        assert a["result"] == "ok", a
        # towards the phone the answer keeps its shape: a port per section, no group
        to_phone = relay_targets(a["sdp"])
        assert groups(a["sdp"]) == [] and "bundle-only" not in a["sdp"], a["sdp"]
        assert len({t[1] for t in to_phone}) == 2 and 0 not in {t[1] for t in to_phone}

        # answerer -> phone: each section by its source, nothing crosses over
        ga, gv = web_to_phone(phone, bundle, aud, vid)
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)

        # phone -> answerer: each section to its own address, from the bundle port
        phone.send_rtp(0, tuple(to_phone[0][:2]), n=4)
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=3, pt=96)
        ra, rv = recv_all(aud), recv_all(vid)
        assert {src for _, src in ra + rv} == {bundle}, (ra, rv)
        assert kinds(ra) == [(0, phone.ssrc[0])] * 4, ra
        assert kinds(rv) == [(96, phone.ssrc[1])] * 3, rv

        # query: both on the bundle port, each with its own peer
        web = streams(ng, cid, "web")
        assert [s["bundle port"] for s in web] == [bundle[1]] * 2, web
        assert [s["endpoint"]["port"] for s in web] == [aud.getsockname()[1],
                                                        vid.getsockname()[1]], web
        assert "bundle split" not in web[0] and web[1]["bundle split"] == 1, web
        assert web[0]["stats"]["packets"] == 5 and web[1]["stats"]["packets"] == 5, web
        assert web[0]["stats"]["bundle unknown"] == 0, web
    finally:
        for s in (aud, vid):
            s.close()
        phone.close()


def port_pair():
    """Two sockets on ports P (even) and P + 1: a party's RTP and RTCP."""
    for _ in range(100):
        rtp_ = udp()
        p = rtp_.getsockname()[1]
        if p % 2 == 0:
            rtcp_ = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtcp_.bind(("127.0.0.1", p + 1))
                return rtp_, rtcp_
            except OSError:
                rtcp_.close()
        rtp_.close()
    raise RuntimeError("no free port pair")


def test_unbundled_answer_without_rtcp_mux(ng):
    """A plain phone without BUNDLE nor rtcp-mux: RTP as above; its RTCP comes from
    its port + 1 to the bundle port (the offer's a=rtcp) and reaches the phone's RTCP
    port of its section; the phone's RTCP goes to its port + 1, from the bundle port."""
    (aud, audc), (vid, vidc) = port_pair(), port_pair()
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        to_web = offer(ng, "bsplit-7", phone, ["require"])
        bundle = tuple(relay_targets(to_web)[0][:2])
        ans = plain_answer(aud.getsockname()[1], vid.getsockname()[1])
        a = ng.answer("bsplit-7", "ph", "web", ans.replace("a=rtcp-mux\r\n", ""), **TO_PHONE)
        assert a["result"] == "ok", a
        ga, gv = web_to_phone(phone, bundle, aud, vid)
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)
        audc.sendto(rtcp_sr(1111), bundle)
        vidc.sendto(rtcp_sr(2222), bundle)
        ca = [p for p, _ in recv_all(phone.rtcp_socks[0])]
        cv = [p for p, _ in recv_all(phone.rtcp_socks[1])]
        assert ca == [rtcp_sr(1111)] and cv == [rtcp_sr(2222)], (ca, cv)
        to_phone = relay_targets(a["sdp"])
        phone.rtcp_socks[0].sendto(rtcp_sr(phone.ssrc[0]), (to_phone[0][0], to_phone[0][2]))
        phone.rtcp_socks[1].sendto(rtcp_sr(phone.ssrc[1]), (to_phone[1][0], to_phone[1][2]))
        ra, rv = recv_all(audc), recv_all(vidc)
        assert [p for p, _ in ra] == [rtcp_sr(phone.ssrc[0])], ra
        assert [p for p, _ in rv] == [rtcp_sr(phone.ssrc[1])], rv
        assert {src for _, src in ra + rv} == {bundle}, (ra, rv)
        assert recv_all(aud, limit=0.5) == [] and recv_all(vid, limit=0.5) == []
        web = streams(ng, "bsplit-7", "web")
        assert [s["stats"]["dropped source"] for s in web] == [0, 0], web
    finally:
        for s in (aud, audc, vid, vidc):
            s.close()
        phone.close()


def test_equal_sources_are_told_apart_by_payload_type(ng):
    """Both sections answered at one address without a group: the source names both,
    the payload type decides; a payload type neither has is dropped and counted."""
    web = udp()
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        to_web = offer(ng, "bsplit-2", phone, ["require"])
        bundle = tuple(relay_targets(to_web)[0][:2])
        wp = web.getsockname()[1]
        a = ng.answer("bsplit-2", "ph", "web", plain_answer(wp, wp), **TO_PHONE)
        assert a["result"] == "ok", a
        ga, gv = web_to_phone(phone, bundle, web, web)
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)
        web.sendto(rtp_mid(9, 7777, 127), bundle)
        assert recv_all(phone.rtp_socks[0]) == [] and recv_all(phone.rtp_socks[1]) == []
        assert streams(ng, "bsplit-2", "web")[0]["stats"]["bundle unknown"] == 1
    finally:
        web.close()
        phone.close()


def test_each_section_latches_its_own_source(ng):
    """Behind a NAT the answerer's media come from other ports than its SDP says:
    each section learns its own real source (by payload type, as no address is known
    yet), and the phone's media go there, each to its own."""
    aud, vid = udp(), udp()
    gone_a, gone_v = udp(), udp()  # the SDP's addresses: bound, never sending
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        to_web = offer(ng, "bsplit-3", phone, ["require"])
        bundle = tuple(relay_targets(to_web)[0][:2])
        a = ng.answer("bsplit-3", "ph", "web",
                      plain_answer(gone_a.getsockname()[1], gone_v.getsockname()[1]),
                      **TO_PHONE)
        assert a["result"] == "ok", a
        to_phone = relay_targets(a["sdp"])
        ga, gv = web_to_phone(phone, bundle, aud, vid)
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)
        phone.send_rtp(0, tuple(to_phone[0][:2]), n=3)
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=2, pt=96)
        assert kinds(recv_all(aud)) == [(0, phone.ssrc[0])] * 3
        assert kinds(recv_all(vid)) == [(96, phone.ssrc[1])] * 2
        assert recv_all(gone_a, limit=0.5) == [] and recv_all(gone_v, limit=0.5) == []
        web = streams(ng, "bsplit-3", "web")
        assert [s["endpoint"]["port"] for s in web] == [aud.getsockname()[1],
                                                        vid.getsockname()[1]], web
        assert all("confirmed" in s["flags"] for s in web), web
        # a latched section keeps its source: the audio port sending video-like
        # packets of another SSRC is not taken for the video
        for s in range(4):
            aud.sendto(rtp_mid(s, 3333, 96), bundle)
        assert recv_all(phone.rtp_socks[1]) == []
    finally:
        for s in (aud, vid, gone_a, gone_v):
            s.close()
        phone.close()


def test_strict_answered_by_a_party_without_bundle(ng):
    """bundle=strict: the video has port 0 and a=bundle-only; a party without BUNDLE
    rejects it (RFC 9143 7.3.3). The audio is a plain media both ways, the phone
    gets the video rejected, and nothing is sent for it."""
    aud = udp()
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        to_web = offer(ng, "bsplit-4", phone, ["strict"])
        assert [port(s) for s in sections(to_web)][1] == 0, to_web
        bundle = tuple(relay_targets(to_web)[0][:2])
        a = ng.answer("bsplit-4", "ph", "web", plain_answer(aud.getsockname()[1], 0),
                      **TO_PHONE)
        assert a["result"] == "ok", a
        assert [port(s) != 0 for s in sections(a["sdp"])] == [True, False], a["sdp"]
        to_phone = relay_targets(a["sdp"])
        for s in range(5):
            aud.sendto(rtp_mid(s, 1111, 0), bundle)
        assert kinds(recv_all(phone.rtp_socks[0])) == [(0, 1111)] * 5
        phone.send_rtp(0, tuple(to_phone[0][:2]), n=4)
        ra = recv_all(aud)
        assert kinds(ra) == [(0, phone.ssrc[0])] * 4 and {s for _, s in ra} == {bundle}, ra
        assert recv_all(phone.rtp_socks[1], limit=0.5) == []
        web = streams(ng, "bsplit-4", "web")
        assert "BUNDLE" not in web[0]["flags"] and "bundle split" not in web[0], web
    finally:
        aud.close()
        phone.close()


def test_reoffer_answered_bundled_leaves_the_split(ng):
    """After an unbundled answer, a re-offer the party now answers bundled: both
    sections go to its one address again, told apart by payload type there; the
    old per-section addresses get nothing more."""
    aud, vid, web = udp(), udp(), udp()
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        to_web = offer(ng, "bsplit-5", phone, ["require"])
        bundle = tuple(relay_targets(to_web)[0][:2])
        a = ng.answer("bsplit-5", "ph", "web",
                      plain_answer(aud.getsockname()[1], vid.getsockname()[1]), **TO_PHONE)
        assert a["result"] == "ok", a
        ga, gv = web_to_phone(phone, bundle, aud, vid)
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)

        r = ng.offer("bsplit-5", "ph", phone.sdp(version=2), **{"to-tag": "web"},
                     **TO_BUNDLER)
        assert r["result"] == "ok", r
        assert groups(r["sdp"]) == ["a=group:BUNDLE 0 1"], r["sdp"]
        assert tuple(relay_targets(r["sdp"])[0][:2]) == bundle, r["sdp"]
        a = ng.answer("bsplit-5", "ph", "web", bundled_answer(web.getsockname()[1]),
                      **TO_PHONE)
        assert a["result"] == "ok", a
        to_phone = relay_targets(a["sdp"])
        ga, gv = web_to_phone(phone, bundle, web, web, first=10)
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)
        phone.send_rtp(0, tuple(to_phone[0][:2]), n=3)
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=3, pt=96)
        got = recv_all(web)
        assert {s for _, s in got} == {bundle}, got
        assert kinds(got) == sorted([(0, phone.ssrc[0])] * 3 + [(96, phone.ssrc[1])] * 3)
        assert recv_all(aud, limit=0.5) == [] and recv_all(vid, limit=0.5) == []
        st = streams(ng, "bsplit-5", "web")
        assert all("bundle split" not in s for s in st), st
        assert [s["endpoint"]["port"] for s in st] == [web.getsockname()[1]] * 2, st
    finally:
        for s in (aud, vid, web):
            s.close()
        phone.close()


def test_unbundled_answer_with_ice_or_srtp_is_refused(ng):
    """One ICE agent and one SRTP context serve the bundle port: a section taken out
    of the group with ICE of its own, or an answer keyed by SRTP, is refused with a
    reason, and the call waits for another answer."""
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        offer(ng, "bsplit-6", phone, ["require"])
        ice = plain_answer(50000, 50002, extra=["a=ice-ufrag:Wq8r",
                                                "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y"])
        r = ng.answer("bsplit-6", "ph", "web", ice, **TO_PHONE)
        assert r["result"] == "error", r
        assert r["error-reason"] == ("the answer takes media 2 out of its BUNDLE group with "
                                     "ICE of its own: rtprelay's bundle port runs one ICE "
                                     "agent, for the group"), r
        dtls = plain_answer(50000, 50002, extra=["a=fingerprint:" + FINGERPRINT,
                                                 "a=setup:active"])
        r = ng.answer("bsplit-6", "ph", "web", dtls.replace("RTP/AVP", "UDP/TLS/RTP/SAVP"),
                      **TO_PHONE)
        assert r["result"] == "error", r
        assert r["error-reason"].startswith("the answer takes media out of the BUNDLE group, "
                                            "keyed by SRTP"), r
        r = ng.answer("bsplit-6", "ph", "web", plain_answer(50000, 50002), **TO_PHONE)
        assert r["result"] == "ok", r
    finally:
        phone.close()


def test_reoffer_from_the_party_without_bundle(ng):
    """The party that answered without BUNDLE re-offers (still without it): rtprelay
    answers it with a port per section (nothing of the bundle is left towards it), and
    each section carries media both ways on those ports."""
    aud, vid = udp(), udp()
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        to_web = offer(ng, "bsplit-8", phone, ["require"])
        bundle = tuple(relay_targets(to_web)[0][:2])
        a = ng.answer("bsplit-8", "ph", "web",
                      plain_answer(aud.getsockname()[1], vid.getsockname()[1]), **TO_PHONE)
        assert a["result"] == "ok", a
        ga, gv = web_to_phone(phone, bundle, aud, vid)
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)

        reoffer = plain_answer(aud.getsockname()[1], vid.getsockname()[1])
        r = ng.offer("bsplit-8", "web", reoffer.replace("o=- 5 1 ", "o=- 5 2 "),
                     **{"to-tag": "ph"}, **TO_PHONE)
        assert r["result"] == "ok", r
        a = ng.answer("bsplit-8", "web", "ph", phone.sdp(version=2), **TO_BUNDLER)
        assert a["result"] == "ok", a
        assert groups(a["sdp"]) == [] and "bundle-only" not in a["sdp"], a["sdp"]
        to_web2 = relay_targets(a["sdp"])
        assert to_web2[0][1] != to_web2[1][1], a["sdp"]
        to_phone = relay_targets(r["sdp"])
        for s in range(10, 15):
            aud.sendto(rtp_mid(s, 1111, 0), tuple(to_web2[0][:2]))
            vid.sendto(rtp_mid(s, 2222, 96), tuple(to_web2[1][:2]))
        ga, gv = kinds(recv_all(phone.rtp_socks[0])), kinds(recv_all(phone.rtp_socks[1]))
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)
        phone.send_rtp(0, tuple(to_phone[0][:2]), n=3)
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=2, pt=96)
        ra, rv = recv_all(aud), recv_all(vid)
        assert kinds(ra) == [(0, phone.ssrc[0])] * 3, ra
        assert kinds(rv) == [(96, phone.ssrc[1])] * 2, rv
        assert [src for _, src in ra] == [tuple(to_web2[0][:2])] * 3, ra
        assert [src for _, src in rv] == [tuple(to_web2[1][:2])] * 2, rv
        st = streams(ng, "bsplit-8", "web")
        assert all("BUNDLE" not in s["flags"] and "bundle split" not in s for s in st), st
    finally:
        for s in (aud, vid):
            s.close()
        phone.close()


def test_webrtc_flag_offer_answered_by_a_plain_party(ng):
    """The WebRTC flag implies bundle=require (with ICE and DTLS-SRTP offered): a plain
    RTP/AVP party without BUNDLE, ICE or DTLS answers each section at its own port;
    media flows in the clear, each section to its own address from the bundle port."""
    aud, vid = udp(), udp()
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        r = ng.offer("bsplit-9", "ph", phone.sdp(), flags=["WebRTC"])
        assert r["result"] == "ok", r
        audio, video = sections(r["sdp"])
        assert port(audio) == port(video) and "a=bundle-only" in video, r["sdp"]
        assert "UDP/TLS/RTP/SAVPF" in audio[0], r["sdp"]
        mids = [l[6:] for s in (audio, video) for l in s if l.startswith("a=mid:")]
        bundle = tuple(relay_targets(r["sdp"])[0][:2])
        a = ng.answer("bsplit-9", "ph", "web",
                      plain_answer(aud.getsockname()[1], vid.getsockname()[1], mids=mids),
                      **TO_PHONE)
        assert a["result"] == "ok", a
        ga, gv = web_to_phone(phone, bundle, aud, vid)
        assert ga == [(0, 1111)] * 5 and gv == [(96, 2222)] * 5, (ga, gv)
        to_phone = relay_targets(a["sdp"])
        phone.send_rtp(0, tuple(to_phone[0][:2]), n=4)
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=3, pt=96)
        ra, rv = recv_all(aud), recv_all(vid)
        assert kinds(ra) == [(0, phone.ssrc[0])] * 4, ra
        assert kinds(rv) == [(96, phone.ssrc[1])] * 3, rv
        assert {src for _, src in ra + rv} == {bundle}, (ra, rv)
    finally:
        for s in (aud, vid):
            s.close()
        phone.close()


def test_first_section_rejected_by_a_party_without_bundle(ng):
    """A party without BUNDLE rejects the audio (the bundle's first section, whose
    port is the bundle's) and takes the video at its own port: the call stays, the
    video flows both ways through the bundle port, the audio is rejected towards the
    phone and nothing of it passes."""
    vid, other = udp(), udp()
    phone = Phone(nmedia=2, mux=False, pts=(0,))
    try:
        to_web = offer(ng, "bsplit-10", phone, ["require"])
        bundle = tuple(relay_targets(to_web)[0][:2])
        a = ng.answer("bsplit-10", "ph", "web", plain_answer(0, vid.getsockname()[1]),
                      **TO_PHONE)
        assert a["result"] == "ok", a
        assert [port(s) != 0 for s in sections(a["sdp"])] == [False, True], a["sdp"]
        to_phone = relay_targets(a["sdp"])
        for s in range(5):
            vid.sendto(rtp_mid(s, 2222, 96), bundle)
            other.sendto(rtp_mid(s, 1111, 0), bundle)  # audio: rejected, nobody's
        assert kinds(recv_all(phone.rtp_socks[1])) == [(96, 2222)] * 5
        assert recv_all(phone.rtp_socks[0], limit=0.5) == []
        phone.send_rtp(1, tuple(to_phone[1][:2]), n=3, pt=96)
        rv = recv_all(vid)
        assert kinds(rv) == [(96, phone.ssrc[1])] * 3 and {s for _, s in rv} == {bundle}, rv
        web = streams(ng, "bsplit-10", "web")
        assert web[1]["bundle split"] == 1 and web[1]["bundle port"] == bundle[1], web
        assert web[1]["endpoint"]["port"] == vid.getsockname()[1], web
        assert web[0]["stats"]["bundle unknown"] == 5, web
    finally:
        vid.close()
        other.close()
        phone.close()
