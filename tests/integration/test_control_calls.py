"""Offer/answer/re-offer/forking/delete/query/list/statistics over the ng protocol,
against the real rtprelayd, over every transport (UDP bencode, UDP JSON, TCP, unix)."""

import time

import pytest

from ngclient import sdp_offer, sdp_media_ports, sdp_conn_addr

TRANSPORTS = ["udp-bencode", "udp-json", "tcp", "unix"]


def client(daemon, kind):
    if kind == "udp-bencode":
        return daemon.ng()
    if kind == "udp-json":
        return daemon.ng("json")
    if kind == "tcp":
        return daemon.tcp()
    return daemon.unix()


def in_range(daemon, port):
    return daemon.port_min <= port <= daemon.port_max


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_ping_every_transport(daemon, kind):
    with client(daemon, kind) as ng:
        assert ng.ping() == {"result": "pong"}
        # several messages on one stream connection
        assert ng.ping() == {"result": "pong"}


def test_tcp_pipelined_messages_in_one_write(daemon):
    with daemon.tcp() as ng:
        data = ng.encode({"command": "ping"}, "a1") + ng.encode({"command": "ping"}, "a2")
        ng.send_raw(data)
        got = [ng.parse_reply(ng.recv_raw()) for _ in range(2)]
        assert got == [("a1", {"result": "pong"}), ("a2", {"result": "pong"})]
        # one message split across writes
        raw = ng.encode({"command": "ping"}, "a3")
        ng.send_raw(raw[:5])
        time.sleep(0.05)
        ng.send_raw(raw[5:])
        assert ng.parse_reply(ng.recv_raw()) == ("a3", {"result": "pong"})


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_offer_answer_rewrites_sdp(daemon, kind):
    with client(daemon, kind) as ng:
        r = ng.offer("call-oa-" + kind, "ft", sdp_offer(port=5000))
        assert r["result"] == "ok", r
        (mtype, port_b), = sdp_media_ports(r["sdp"])
        assert mtype == "audio" and port_b % 2 == 0 and in_range(daemon, port_b)
        assert set(sdp_conn_addr(r["sdp"])) == {"127.0.0.1"}
        assert "a=rtcp:%d" % (port_b + 1) in r["sdp"]
        assert "a=rtpmap:8 PCMA/8000" in r["sdp"]      # lines we do not own stay

        r2 = ng.answer("call-oa-" + kind, "ft", "tt", sdp_offer(port=6000, sess_id=77))
        assert r2["result"] == "ok", r2
        (_, port_a), = sdp_media_ports(r2["sdp"])
        assert port_a % 2 == 0 and in_range(daemon, port_a) and port_a != port_b
        assert "o=- 77 1 IN IP4" in r2["sdp"]


def test_reoffer_keeps_ports_and_new_media_gets_new(ng, daemon):
    r1 = ng.offer("c-re", "ft", sdp_offer(port=5000))
    ng.answer("c-re", "ft", "tt", sdp_offer(port=6000))
    r2 = ng.offer("c-re", "ft", sdp_offer(port=5000, version=2), **{"to-tag": "tt"})
    assert sdp_media_ports(r2["sdp"]) == sdp_media_ports(r1["sdp"])
    # re-INVITE adding video: audio keeps its port, video gets a new pair
    r3 = ng.offer("c-re", "ft", sdp_offer(port=5000, version=3,
                                          media=(("audio", (0,)), ("video", (96,)))))
    ports = sdp_media_ports(r3["sdp"])
    assert ports[0] == sdp_media_ports(r1["sdp"])[0]
    assert ports[1][0] == "video" and ports[1][1] not in (ports[0][1], ports[0][1] + 1)
    # the answer side keeps its port too
    a2 = ng.answer("c-re", "ft", "tt", sdp_offer(port=6000, version=2,
                                                media=(("audio", (0,)), ("video", (96,)))))
    q = ng.query("c-re")
    assert q["tags"]["ft"]["medias"][0]["streams"][0]["local port"] == \
        sdp_media_ports(a2["sdp"])[0][1]


def test_reverse_reoffer_from_callee(ng):
    r1 = ng.offer("c-rev", "A", sdp_offer(port=5000))
    a1 = ng.answer("c-rev", "A", "B", sdp_offer(port=6000))
    # callee re-INVITEs: from-tag B, to-tag A; A's view keeps the port it had
    r2 = ng.offer("c-rev", "B", sdp_offer(port=6000, version=2), **{"to-tag": "A"})
    assert sdp_media_ports(r2["sdp"]) == sdp_media_ports(a1["sdp"])
    a2 = ng.answer("c-rev", "B", "A", sdp_offer(port=5000, version=2))
    assert sdp_media_ports(a2["sdp"]) == sdp_media_ports(r1["sdp"])
    assert sorted(ng.query("c-rev")["tags"]) == ["A", "B"]


def test_forking_several_to_tags(ng):
    r = ng.offer("c-fork", "A", sdp_offer(port=5000))
    a1 = ng.answer("c-fork", "A", "B1", sdp_offer(port=6000))
    a2 = ng.answer("c-fork", "A", "B2", sdp_offer(port=7000))
    assert a1["result"] == a2["result"] == "ok"
    # every fork got the same offer, so A keeps one port towards all of them
    assert sdp_media_ports(a1["sdp"]) == sdp_media_ports(a2["sdp"])
    tags = ng.query("c-fork")["tags"]
    assert {"A", "B1", "B2"} <= set(tags)
    assert tags["A"]["in dialogue with"] in ("B1", "B2")
    # the latest answer's address is where A's media goes
    ep = tags["B2"]["medias"][0]["streams"][0]["advertised endpoint"]
    assert ep["port"] == 7000
    # one fork ends (BYE/CANCEL of that branch): the call stays
    assert ng.delete("c-fork", **{"from-tag": "A", "to-tag": "B1",
                                  "delete-delay": 0})["result"] == "ok"
    tags = ng.query("c-fork")["tags"]
    assert "B1" not in tags and "B2" in tags
    assert r["result"] == "ok"


def test_delete_by_call_id_from_tag_via_branch(ng):
    for cid in ("d1", "d2", "d3"):
        assert ng.offer(cid, "ft-" + cid, sdp_offer(), **{"via-branch": "z9hG4bK-" + cid})[
            "result"] == "ok"
    assert sorted(ng.request({"command": "list"})["calls"]) == ["d1", "d2", "d3"]
    assert ng.delete("d1", **{"delete-delay": 0})["result"] == "ok"
    assert ng.delete("d2", **{"from-tag": "ft-d2", "delete-delay": 0})["result"] == "ok"
    r = ng.delete("d3", **{"via-branch": "wrong", "delete-delay": 0})
    assert r["result"] == "ok" and "not found" in r["warning"]    # rtpengine: no "fatal"
    assert "d3" in ng.request({"command": "list"})["calls"]
    assert ng.delete("d3", **{"via-branch": "z9hG4bK-d3", "delete-delay": 0})[
        "result"] == "ok"
    assert ng.request({"command": "list"})["calls"] == []
    # a second delete of the same call: a warning (an error with "fatal")
    r = ng.delete("d1", **{"delete-delay": 0})
    assert r["result"] == "ok" and "not found" in r["warning"]
    r = ng.delete("d1", **{"from-tag": "nope", "flags": ["fatal"]})
    assert r["result"] == "error" and "not found" in r["error-reason"]


def test_delete_delay(daemon_factory):
    d = daemon_factory()
    with d.ng() as ng:
        ng.offer("dd", "ft", sdp_offer())
        assert ng.delete("dd", **{"delete-delay": 1})["result"] == "ok"
        assert ng.request({"command": "list"})["calls"] == ["dd"]   # still there
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and ng.request({"command": "list"})["calls"]:
            time.sleep(0.2)
        assert ng.request({"command": "list"})["calls"] == []
        # flag spelling of the key as a Kamailio flag: "delete-delay=0" via key with space
        ng.offer("dd2", "ft", sdp_offer())
        assert ng.request({"command": "delete", "call-id": "dd2", "delete delay": 0})[
            "result"] == "ok"
        assert ng.request({"command": "list"})["calls"] == []


def test_query_shape(ng):
    ng.offer("q1", "A", sdp_offer(port=5000), label="caller")
    a = ng.answer("q1", "A", "B", sdp_offer(port=6000))
    q = ng.query("q1")
    assert q["result"] == "ok"
    assert isinstance(q["created"], int) and isinstance(q["last signal"], int)
    a_tag = q["tags"]["A"]
    assert a_tag["tag"] == "A" and a_tag["label"] == "caller"
    assert a_tag["in dialogue with"] == "B"
    media = a_tag["medias"][0]
    assert media["index"] == 1 and media["type"] == "audio" and media["protocol"] == "RTP/AVP"
    rtp, rtcp = media["streams"]
    # A sends to the port it saw in the answer
    assert rtp["local port"] == sdp_media_ports(a["sdp"])[0][1]
    assert rtcp["local port"] == rtp["local port"] + 1
    assert rtp["advertised endpoint"] == {"family": "IPv4", "address": "127.0.0.1",
                                          "port": 5000}
    assert rtcp["advertised endpoint"]["port"] == 5001
    assert rtp["endpoint"]["address"] == "127.0.0.1"
    assert set(rtp["stats"]) >= {"packets", "bytes", "errors"}
    assert "last packet" in rtp
    assert q["totals"]["RTP"]["packets"] == 0
    r = ng.query("no-such-call")
    assert r["result"] == "error"


def test_list_and_statistics(ng):
    for i in range(3):
        ng.offer("ls%d" % i, "ft", sdp_offer())
    assert sorted(ng.request({"command": "list"})["calls"]) == ["ls0", "ls1", "ls2"]
    assert len(ng.request({"command": "list", "limit": 2})["calls"]) == 2
    s = ng.request({"command": "statistics"})
    assert s["result"] == "ok"
    assert s["currentstatistics"]["sessionsown"] == 3
    assert s["totalstatistics"]["managedsessions"] >= 3
    assert s["ports"]["used"] == 3 * 2 * 2     # 3 calls x 2 sides x RTP+RTCP


def test_warning_for_unimplemented_flag(ng):
    r = ng.offer("w1", "ft", sdp_offer(), flags=["discard-recording", "trust-address"])
    assert r["result"] == "ok"
    assert "discard-recording" in r.get("warning", "")
    r = ng.offer("w2", "ft", sdp_offer(), flags=["trust-address", "symmetric"])
    assert "warning" not in r


def test_flags_kamailio_spellings(ng):
    sdp = sdp_offer(port=5000, extra_media_lines=("a=ice-ufrag:abcd", "a=ice-pwd:x" * 3,
                                                  "a=candidate:1 1 UDP 1 10.0.0.1 5000 typ host"))
    r = ng.offer("k1", "ft", sdp, flags=["ICE-remove", "replace-origin",
                                         "replace-session-connection", "codec-strip-PCMA",
                                         "transport-protocol-RTP/AVPF", "no-rtcp-attribute"])
    assert r["result"] == "ok", r
    s = r["sdp"]
    assert "a=candidate" not in s and "a=ice-ufrag" not in s
    assert "PCMA" not in s and "RTP/AVPF" in s and "a=rtcp:" not in s
    # spaces instead of dashes, dictionary keys
    r = ng.offer("k2", "ft", sdp_offer(port=5000), ICE="remove",
                 replace=["origin", "session connection"],
                 codec={"strip": ["PCMU"]}, **{"transport-protocol": "RTP/AVPF"})
    assert r["result"] == "ok" and "RTP/AVPF" in r["sdp"] and " 0 8" not in r["sdp"]


def test_rtcp_mux(ng):
    # offerer offers mux; by default it is passed on
    r = ng.offer("m1", "A", sdp_offer(port=5000, rtcp_mux=True))
    port_b = sdp_media_ports(r["sdp"])[0][1]
    assert "a=rtcp-mux" in r["sdp"]
    a = ng.answer("m1", "A", "B", sdp_offer(port=6000, rtcp_mux=True))
    assert "a=rtcp-mux" in a["sdp"]
    port_a = sdp_media_ports(a["sdp"])[0][1]
    assert "a=rtcp:%d" % port_a in a["sdp"]
    # demux: B does not see it; accept: A still gets mux
    r = ng.offer("m2", "A", sdp_offer(port=5000, rtcp_mux=True),
                 **{"rtcp-mux": ["demux", "accept"]})
    assert "a=rtcp-mux" not in r["sdp"]
    a = ng.answer("m2", "A", "B", sdp_offer(port=6000))
    assert "a=rtcp-mux" in a["sdp"]
    # offer: mux offered to B although A did not; B accepts, A is not told
    r = ng.offer("m3", "A", sdp_offer(port=5000), flags=["rtcp-mux-offer"])
    assert "a=rtcp-mux" in r["sdp"]
    a = ng.answer("m3", "A", "B", sdp_offer(port=6000, rtcp_mux=True))
    assert "a=rtcp-mux" not in a["sdp"]
    # reject
    r = ng.offer("m4", "A", sdp_offer(port=5000, rtcp_mux=True), **{"rtcp-mux": ["reject"]})
    assert "a=rtcp-mux" not in r["sdp"]
    assert port_b


def test_disabled_media_stays_disabled(ng):
    sdp = sdp_offer(port=5000, media=(("audio", (0,)), ("video", (96,))))
    sdp = sdp.replace("m=video 5002", "m=video 0")
    r = ng.offer("dis", "ft", sdp)
    ports = sdp_media_ports(r["sdp"])
    assert ports[0][1] != 0 and ports[1] == ("video", 0)


def test_received_from_and_media_address(ng):
    r = ng.offer("rf", "ft", sdp_offer(addr="10.1.1.1", port=5000),
                 flags=["SIP-source-address"], **{"received-from": ["IP4", "127.0.0.5"]})
    assert r["result"] == "ok"
    ep = ng.query("rf")["tags"]["ft"]["medias"][0]["streams"][0]["advertised endpoint"]
    assert ep["address"] == "127.0.0.5"
    # without the flag the SDP address is trusted (rtpengine default)
    ng.offer("rf2", "ft", sdp_offer(addr="10.1.1.1", port=5000),
             **{"received-from": ["IP4", "127.0.0.5"]})
    ep = ng.query("rf2")["tags"]["ft"]["medias"][0]["streams"][0]["advertised endpoint"]
    assert ep["address"] == "10.1.1.1"
    # media-address is the address written into the SDP, not the sender's
    # (test_control_ngcompat.py)
    r = ng.offer("rf3", "ft", sdp_offer(addr="10.1.1.1", port=5000),
                 **{"media-address": "127.0.0.9"})
    assert set(sdp_conn_addr(r["sdp"])) == {"127.0.0.9"}
    ep = ng.query("rf3")["tags"]["ft"]["medias"][0]["streams"][0]["advertised endpoint"]
    assert ep["address"] == "10.1.1.1"


def test_direction_bridges_two_interfaces(daemon_factory):
    d = daemon_factory("--interface=priv/127.0.0.1", "--interface=pub/127.0.0.2!192.0.2.7")
    with d.ng() as ng:
        r = ng.offer("br", "A", sdp_offer(port=5000), direction=["priv", "pub"])
        assert r["result"] == "ok", r
        assert set(sdp_conn_addr(r["sdp"])) == {"192.0.2.7"}   # advertised address of pub
        a = ng.answer("br", "A", "B", sdp_offer(addr="127.0.0.2", port=6000))
        assert set(sdp_conn_addr(a["sdp"])) == {"127.0.0.1"}
        q = ng.query("br")["tags"]
        assert q["A"]["medias"][0]["streams"][0]["local address"] == "127.0.0.1"
        assert q["B"]["medias"][0]["streams"][0]["local address"] == "127.0.0.2"
        r = ng.offer("br2", "A", sdp_offer(), direction=["priv", "nonexistent"])
        assert r["result"] == "error"


def test_ipv6_interface_and_address_family(daemon_factory):
    d = daemon_factory("--interface=127.0.0.1", "--interface=::1")
    with d.ng() as ng:
        r = ng.offer("v6", "A", sdp_offer(port=5000), **{"address-family": "IP6"})
        assert r["result"] == "ok", r
        assert "c=IN IP6 ::1" in r["sdp"]
        a = ng.answer("v6", "A", "B", sdp_offer(addr="::1", port=6000))
        assert "c=IN IP4 127.0.0.1" in a["sdp"]
        r = ng.offer("v6b", "A", sdp_offer(addr="::1", port=5000))
        assert "c=IN IP6 ::1" in r["sdp"]


def test_loop_protect(ng):
    """loop-protect (as rtpengine): the relay marks its SDP; an SDP that already
    carries the mark (the call spiralled back through the proxy) is passed on
    untouched and anchors nothing a second time."""
    r = ng.offer("lp-1", "ft", sdp_offer(), flags=["loop-protect"])
    assert r["result"] == "ok", r
    marked = r["sdp"]
    assert sum(line.startswith("a=rtpengine:") for line in marked.splitlines()) == 1
    r2 = ng.offer("lp-2", "ft", marked, flags=["loop-protect"])
    assert r2["result"] == "ok", r2
    assert r2["sdp"] == marked
    assert "lp-2" not in ng.request({"command": "list"})["calls"]
    # without the flag the mark is neither written nor honoured
    r3 = ng.offer("lp-3", "ft", sdp_offer())
    assert "a=rtpengine:" not in r3["sdp"]


def test_codec_strip_honours_clock_rate(ng):
    """codec-strip names a codec with an optional clock rate, matched as the
    transcoding options match it: opus/16000 is not the offered opus/48000."""
    sdp = sdp_offer(port=5000, media=(("audio", (111, 0)),))

    def pts(r):
        assert r["result"] == "ok", r
        return [line for line in r["sdp"].splitlines() if line.startswith("m=")][0].split()[3:]

    assert pts(ng.offer("cs1", "ft", sdp, codec={"strip": ["opus/16000"]})) == ["111", "0"]
    assert pts(ng.offer("cs2", "ft", sdp, flags=["codec-strip-opus/16000"])) == ["111", "0"]
    assert pts(ng.offer("cs3", "ft", sdp, codec={"strip": ["opus/48000"]})) == ["0"]
    assert pts(ng.offer("cs4", "ft", sdp, codec={"strip": ["opus"]})) == ["0"]
    assert pts(ng.offer("cs5", "ft", sdp, codec={"strip": ["OPUS/48000/2"]})) == ["0"]
    assert pts(ng.offer("cs6", "ft", sdp, codec={"mask": ["opus/16000"]})) == ["111", "0"]
    assert pts(ng.offer("cs7", "ft", sdp, codec={"mask": ["opus/48000"]})) == ["0"]


def test_statistics_counts_transcoded_media(ng):
    def transcoded():
        s = ng.request({"command": "statistics"})
        assert s["result"] == "ok", s
        return s["currentstatistics"]["transcodedmedia"]

    assert transcoded() == 0
    # B picks G.722, which only the relay offered: bridged, one transcoded media
    ng.offer("tc1", "A", sdp_offer(port=5000), codec={"transcode": ["G722"]})
    assert transcoded() == 0                      # not before the answer
    r = ng.answer("tc1", "A", "B", sdp_offer(port=6000, media=(("audio", (9,)),)))
    assert r["result"] == "ok", r
    assert transcoded() == 1
    # B picks PCMU, which A offered: forwarded, nothing transcoded
    ng.offer("tc2", "A", sdp_offer(port=5000), codec={"transcode": ["G722"]})
    ng.answer("tc2", "A", "B", sdp_offer(port=6000, media=(("audio", (0,)),)))
    # two media, both bridged
    two = (("audio", (0, 8)), ("audio", (0, 8)))
    ng.offer("tc3", "A", sdp_offer(port=5000, media=two), codec={"transcode": ["G722"]})
    ng.answer("tc3", "A", "B", sdp_offer(port=6000, media=(("audio", (9,)), ("audio", (9,)))))
    assert transcoded() == 3
    # a re-offer negotiates afresh: forwarded until its answer
    ng.offer("tc3", "A", sdp_offer(port=5000, media=two, version=2), **{"to-tag": "B"})
    assert transcoded() == 1
    assert ng.delete("tc1", **{"delete-delay": 0})["result"] == "ok"
    assert transcoded() == 0
