"""a=group:BUNDLE (RFC 9143) through the relay, as the SDP on each side shows it.

A WebRTC party offers with a BUNDLE group:
  - the offer to a plain SIP party (ICE=remove, RTP/AVP) carries no group, and one
    port per section;
  - the answer back to the WebRTC party names the group: one section alone, or two
    (audio+video, max-bundle) sharing one port, one set of ICE credentials and
    candidate and one DTLS fingerprint/setup; none when the offerer had no group or
    bundle=reject was given.
A plain SIP party offers audio+video with bundle=offer to a WebRTC party: the offer
names both mids in one group on one port; without the key it stays unbundled.
"""

FINGERPRINT = ("sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:"
               "34:8E:5E:EA:6F:AF:52:CE:E6:0F")


def webrtc_offer(group, sections=("audio",)):
    lines = ["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    if group is not None:
        lines.append("a=group:BUNDLE %s" % group)
    for mid, kind in enumerate(sections):
        port = 50000 + 2 * mid
        lines += ["m=%s %d UDP/TLS/RTP/SAVPF %s" % (kind, port,
                                                    "111" if kind == "audio" else "96"),
                  "c=IN IP4 127.0.0.1",
                  "a=candidate:1 1 udp 2122260223 127.0.0.1 %d typ host" % port,
                  "a=ice-ufrag:EsAw", "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
                  "a=fingerprint:" + FINGERPRINT, "a=setup:actpass", "a=mid:%d" % mid,
                  "a=sendrecv", "a=rtcp-mux",
                  "a=rtpmap:111 opus/48000/2" if kind == "audio" else "a=rtpmap:96 VP8/90000"]
    return "\r\n".join(lines) + "\r\n"


def plain_answer(sections=("audio",)):
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0"]
    for i, kind in enumerate(sections):
        lines += ["m=%s %d RTP/AVP %s" % (kind, 6000 + 2 * i, "111" if kind == "audio" else "96"),
                  "a=rtpmap:111 opus/48000/2" if kind == "audio" else "a=rtpmap:96 VP8/90000",
                  "a=sendrecv"]
    return "\r\n".join(lines) + "\r\n"


TO_SIP = {"ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"],
          "DTLS-reverse": "passive"}
TO_WEBRTC = {"ICE": "force", "DTLS": "passive", "transport-protocol": "UDP/TLS/RTP/SAVPF",
             "rtcp-mux": ["offer", "require"], "SDES": ["off"]}


def call(ng, cid, group, sections=("audio",)):
    r = ng.offer(cid, "a", webrtc_offer(group, sections), **TO_SIP)
    assert r["result"] == "ok", r
    to_b = r["sdp"]
    r = ng.answer(cid, "a", "b", plain_answer(sections), **TO_WEBRTC)
    assert r["result"] == "ok", r
    return to_b, r["sdp"]


def groups(sdp):
    return [l for l in sdp.splitlines() if l.startswith("a=group:")]


def test_one_bundled_section_is_answered_with_its_group(ng):
    to_b, to_a = call(ng, "bundle-1", "0")
    assert groups(to_b) == [], to_b
    assert groups(to_a) == ["a=group:BUNDLE 0"], to_a
    # the group is a session-level line, and the section carries the mid it names
    assert to_a.index("a=group:BUNDLE 0") < to_a.index("m=audio")
    assert "\r\na=mid:0\r\n" in to_a and "a=ice-ufrag:" in to_a, to_a


def test_offer_without_group_gets_none(ng):
    to_b, to_a = call(ng, "bundle-2", None)
    assert groups(to_b) == [] and groups(to_a) == [], (to_b, to_a)


def sections(sdp):
    """The media sections of @sdp, each as its list of lines (m= first)."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            out.append([])
        if out:
            out[-1].append(line)
    return out


def attrs(sec, prefix):
    return [l for l in sec if l.startswith(prefix)]


def assert_one_transport(sdp, mids):
    """Every section of @sdp sits on one port with one transport's lines."""
    secs = sections(sdp)
    assert len(secs) == len(mids), sdp
    ports = {s[0].split()[1] for s in secs}
    assert len(ports) == 1 and "0" not in ports, sdp
    for key in ("a=ice-ufrag:", "a=ice-pwd:", "a=candidate:", "a=fingerprint:", "a=setup:"):
        vals = {tuple(attrs(s, key)) for s in secs}
        assert len(vals) == 1 and list(vals)[0], (key, sdp)
    for s, mid in zip(secs, mids):
        assert attrs(s, "a=mid:") == ["a=mid:%s" % mid], sdp
        assert "a=rtcp-mux" in s, sdp
    # the one candidate names the shared port (RTCP multiplexed: component 1 only)
    cands = attrs(secs[0], "a=candidate:")
    assert len(cands) == 1 and cands[0].split()[5] == secs[0][0].split()[1], sdp


def test_two_bundled_sections_share_one_port(ng):
    to_b, to_a = call(ng, "bundle-3", "0 1", ("audio", "video"))
    assert groups(to_b) == [], to_b
    # the SIP side: one port per section
    ports_b = [s[0].split()[1] for s in sections(to_b)]
    assert len(set(ports_b)) == 2, to_b
    assert groups(to_a) == ["a=group:BUNDLE 0 1"], to_a
    assert_one_transport(to_a, ["0", "1"])
    q = ng.query("bundle-3")
    assert q["result"] == "ok", q
    a_media = q["tags"]["a"]["medias"]
    assert all("BUNDLE" in m["streams"][0]["flags"] for m in a_media), a_media
    assert {m["streams"][0]["bundle port"] for m in a_media} == \
        {int(sections(to_a)[0][0].split()[1])}, a_media
    assert "bundle unknown" in a_media[0]["streams"][0]["stats"], a_media


def test_bundle_reject_answers_unbundled(ng):
    r = ng.offer("bundle-5", "a", webrtc_offer("0 1", ("audio", "video")), **TO_SIP)
    assert r["result"] == "ok", r
    r = ng.answer("bundle-5", "a", "b", plain_answer(("audio", "video")), bundle=["reject"],
                  **TO_WEBRTC)
    assert r["result"] == "ok", r
    assert groups(r["sdp"]) == [], r["sdp"]
    assert len({s[0].split()[1] for s in sections(r["sdp"])}) == 2, r["sdp"]


def plain_offer(sections_=("audio", "video")):
    return plain_answer(sections_)


def webrtc_answer(to_b, group):
    """A WebRTC answer to @to_b: its mids, one port for all when @group."""
    lines = ["v=0", "o=- 77 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    mids = [attrs(s, "a=mid:")[0][6:] for s in sections(to_b)]
    if group:
        lines.append("a=group:BUNDLE " + " ".join(mids))
    for i, (sec, mid) in enumerate(zip(sections(to_b), mids)):
        kind = sec[0].split()[0][2:]
        port = 52000 if group else 52000 + 2 * i
        lines += ["m=%s %d UDP/TLS/RTP/SAVPF %s" % (kind, port, sec[0].split()[3]),
                  "c=IN IP4 127.0.0.1", "a=ice-ufrag:Wq8r", "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
                  "a=fingerprint:" + FINGERPRINT, "a=setup:active", "a=mid:" + mid,
                  "a=sendrecv", "a=rtcp-mux"]
    return "\r\n".join(lines) + "\r\n"


def test_offer_to_webrtc_with_bundle_offer(ng):
    r = ng.offer("bundle-6", "a", plain_offer(), bundle=["offer"], **TO_WEBRTC)
    assert r["result"] == "ok", r
    to_b = r["sdp"]
    assert groups(to_b) == ["a=group:BUNDLE 0 1"], to_b
    assert_one_transport(to_b, ["0", "1"])
    r = ng.answer("bundle-6", "a", "b", webrtc_answer(to_b, True), **TO_SIP)
    assert r["result"] == "ok", r
    assert groups(r["sdp"]) == [], r["sdp"]
    assert len({s[0].split()[1] for s in sections(r["sdp"])}) == 2, r["sdp"]
    # a re-offer keeps the bundle without the key
    r = ng.offer("bundle-6", "a", plain_offer(), **{"to-tag": "b"}, **TO_WEBRTC)
    assert r["result"] == "ok", r
    assert groups(r["sdp"]) == ["a=group:BUNDLE 0 1"], r["sdp"]
    assert sections(r["sdp"])[0][0] == sections(to_b)[0][0], (r["sdp"], to_b)


def test_offer_to_webrtc_without_bundle_key_stays_unbundled(ng):
    r = ng.offer("bundle-7", "a", plain_offer(), **TO_WEBRTC)
    assert r["result"] == "ok", r
    assert groups(r["sdp"]) == [], r["sdp"]
    assert len({s[0].split()[1] for s in sections(r["sdp"])}) == 2, r["sdp"]


def test_group_naming_one_of_two_sections(ng):
    to_b, to_a = call(ng, "bundle-4", "1", ("audio", "video"))
    assert groups(to_b) == [], to_b
    assert groups(to_a) == ["a=group:BUNDLE 1"], to_a


def test_video_is_never_transcoded(ng):
    """Transcoding options act on audio only: a bundled audio+video offer with
    codec-transcode and force transcoding keeps its video formats as offered
    (nothing added), the answer's VP8 passes through unchanged while the audio is
    answered in the offerer's codec."""
    r = ng.offer("bundle-8", "a", webrtc_offer("0 1", ("audio", "video")), **TO_SIP,
                 codec={"transcode": ["PCMU", "VP9"]})
    assert r["result"] == "ok", r
    secs = sections(r["sdp"])
    assert secs[0][0].split()[3:] == ["111", "0"], secs[0]
    assert secs[1][0].split()[3:] == ["96"], secs[1]
    assert not [l for l in secs[1] if "PCMU" in l], secs[1]
    answer = plain_answer(("audio", "video")).replace("m=audio 6000 RTP/AVP 111",
                                                      "m=audio 6000 RTP/AVP 0") \
        .replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:0 PCMU/8000")
    r = ng.answer("bundle-8", "a", "b", answer, **TO_WEBRTC)
    assert r["result"] == "ok", r
    secs = sections(r["sdp"])
    assert secs[0][0].split()[3] == "111" and secs[1][0].split()[3:] == ["96"], r["sdp"]
    # the audio is transcoded (opus towards a, PCMU from b), the video is not
    assert not [l for l in secs[1] if "PCMU" in l or "VP9" in l], secs[1]


def test_sdes_party_gets_a_port_per_section(ng):
    """SDES keys each section on its own; the bundle socket has one SRTP context:
    a party rtprelay keys by SDES is not bundled, bundle=offer or not."""
    r = ng.offer("bundle-9", "a", plain_offer(), bundle=["offer"], ICE="force",
                 **{"transport-protocol": "RTP/SAVPF", "rtcp-mux": ["offer", "require"]})
    assert r["result"] == "ok", r
    assert "a=crypto:" in r["sdp"], r["sdp"]
    assert groups(r["sdp"]) == [], r["sdp"]
    assert len({s[0].split()[1] for s in sections(r["sdp"])}) == 2, r["sdp"]


def test_bundled_section_without_candidate_is_not_hold(ng):
    """A browser's max-bundle offer gives the second section port 9 and c=0.0.0.0
    (no candidate of its own, RFC 8839 4.2.1.1): not hold. The SIP side gets
    rtprelay's address in that section, as in the first."""
    off = webrtc_offer("0 1", ("audio", "video"))
    head, video = off.split("m=video ", 1)
    video = "m=video " + video.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0", 1)
    video = video.replace("m=video 50002 ", "m=video 9 ", 1)
    video = "\r\n".join(l for l in video.split("\r\n") if not l.startswith("a=candidate"))
    r = ng.offer("bundle-10", "a", head + video, **TO_SIP)
    assert r["result"] == "ok", r
    secs = sections(r["sdp"])
    conns = [[l for l in s if l.startswith("c=")] for s in secs]
    assert conns[1] and "0.0.0.0" not in conns[1][0], r["sdp"]
    assert conns[1] == conns[0], r["sdp"]
