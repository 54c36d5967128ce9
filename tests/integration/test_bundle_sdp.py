"""a=group:BUNDLE (RFC 9143) through the relay, as the SDP on each side shows it.

A WebRTC party offers with a BUNDLE group; the relay gives each section its own port:
  - the offer to a plain SIP party (ICE=remove, RTP/AVP) carries no group;
  - the answer back to the WebRTC party names the group when exactly one accepted
    section was bundled (a browser running bundlePolicy max-bundle rejects an answer
    without it), and none when two bundled sections sit on two ports, or when the
    offerer had no group.
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


def test_two_bundled_sections_on_two_ports_get_no_group(ng):
    to_b, to_a = call(ng, "bundle-3", "0 1", ("audio", "video"))
    assert groups(to_b) == [] and groups(to_a) == [], (to_b, to_a)


def test_group_naming_one_of_two_sections(ng):
    to_b, to_a = call(ng, "bundle-4", "1", ("audio", "video"))
    assert groups(to_b) == [], to_b
    assert groups(to_a) == ["a=group:BUNDLE 1"], to_a
