"""Bad input never kills rtprelayd: every error gets `result: error` + `error-reason`
(or a logged drop when there is nothing to reply to), and the daemon keeps serving.
Also the UDP reply cache: a retransmitted cookie is answered, never re-executed."""

import json
import socket
import time

from ngclient import NgClient, bencode, bdecode, sdp_offer, sdp_media_ports
from conftest import media_range


def assert_error(reply, *words):
    assert reply["result"] == "error", reply
    reason = reply["error-reason"]
    assert isinstance(reason, str) and reason
    for w in words:
        assert w.lower() in reason.lower(), reason


def test_malformed_bencode(daemon, ng):
    for body in (b"d7:command4:pinge_trailing", b"d7:command", b"i12", b"l4:pinge",
                 b"d7:command4:pinge" + b"x" * 10, b"d3:abc" + b"l" * 5000 + b"e" * 5000 + b"e"):
        cookie, r = ng.request_raw(b"c1 " + body)
        assert cookie == "c1"
        assert_error(r)
    assert ng.ping()["result"] == "pong"


def test_malformed_json(daemon):
    with daemon.ng("json") as ng:
        for body in (b'{"command": "ping"', b'{"command": 1.5}', b'{"a": [1,2,', b'{]',
                     b'{"command":' + b'[' * 3000 + b']' * 3000 + b'}'):
            cookie, r = ng.request_raw(b"j1 " + body)
            assert cookie == "j1"
            assert_error(r)
        # the error reply is JSON, like the request
        ng.send_raw(b'j2 {"command": "nonsense"}')
        raw = ng.recv_raw()
        assert raw.startswith(b"j2 {")
        assert_error(json.loads(raw[3:]), "command")


def test_no_cookie_is_dropped_not_fatal(daemon, ng):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.sendto(b"nocookie", ("127.0.0.1", daemon.ng_port))
    s.sendto(b"", ("127.0.0.1", daemon.ng_port))
    try:
        data = s.recv(65535)
    except socket.timeout:
        data = None
    assert data is None
    s.close()
    assert ng.ping()["result"] == "pong"


def test_missing_keys_and_unknown_command(ng):
    assert_error(ng.request({"foo": "bar"}), "command")
    assert_error(ng.request({"command": "frobnicate"}), "unknown")
    assert_error(ng.request({"command": "offer", "from-tag": "x", "sdp": sdp_offer()}),
                 "call-id")
    assert_error(ng.request({"command": "offer", "call-id": "x", "sdp": sdp_offer()}),
                 "from-tag")
    assert_error(ng.request({"command": "offer", "call-id": "x", "from-tag": "y"}), "sdp")
    assert_error(ng.request({"command": "answer", "call-id": "x", "from-tag": "y",
                             "sdp": sdp_offer()}), "to-tag")
    assert_error(ng.request({"command": "query"}), "call-id")
    assert ng.request({"command": "list"})["calls"] == []


def test_invalid_sdp(ng):
    for sdp in ("", "garbage", "v=0\r\nm=audio\r\n", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
                "c=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio notaport RTP/AVP 0\r\n",
                "\x00" * 100):
        r = ng.offer("bad-sdp", "ft", sdp)
        assert_error(r, "sdp")
    # nothing was left behind
    assert ng.request({"command": "list"})["calls"] == []


def test_sdp_without_media_or_address_is_refused(ng):
    """No m= line (a call without ports) or no c= line at session or media level
    (nowhere to send media): refused as rtpengine does, and no call is created."""
    no_c = sdp_offer(port=5000).replace("c=IN IP4 127.0.0.1\r\n", "")
    assert "c=" not in no_c
    no_m = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    # a media without c= while another media has its own: also incomplete
    two = sdp_offer(port=5000, media=(("audio", (0,)), ("video", (96,))))
    two = two.replace("c=IN IP4 127.0.0.1\r\n", "").replace(
        "m=video 5002 RTP/AVP 96\r\n", "m=video 5002 RTP/AVP 96\r\nc=IN IP4 127.0.0.1\r\n")
    for cid, sdp, word in (("no-c", no_c, "c= line"), ("no-m", no_m, "m= line"),
                           ("no-c2", two, "c= line")):
        assert_error(ng.offer(cid, "ft", sdp), "Incomplete SDP specification", word)
        assert_error(ng.query(cid), "call")
    assert ng.request({"command": "list"})["calls"] == []
    assert ng.request({"command": "statistics"})["currentstatistics"]["sessionsown"] == 0
    # a port-0 media needs no address when another one has it
    ok = sdp_offer(port=5000, media=(("audio", (0,)), ("video", (96,))))
    ok = ok.replace("c=IN IP4 127.0.0.1\r\n", "").replace(
        "m=audio 5000 RTP/AVP 0\r\n", "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n"
    ).replace("m=video 5002", "m=video 0")
    assert ng.offer("port0-no-c", "ft", ok)["result"] == "ok"
    # an answer is held to the same rule, and the call it answers stays
    assert_error(ng.answer("port0-no-c", "ft", "tt", no_m), "m= line")
    assert ng.request({"command": "list"})["calls"] == ["port0-no-c"]


def test_answer_for_unknown_call_or_tag(ng):
    assert_error(ng.answer("nope", "ft", "tt", sdp_offer()), "call")
    ng.offer("known", "ft", sdp_offer())
    assert_error(ng.answer("known", "other-ft", "tt", sdp_offer()), "tag")
    assert ng.request({"command": "list"})["calls"] == ["known"]


def test_oversize_messages(daemon):
    # over TCP: a message larger than the limit gets an error and the connection closes
    with daemon.tcp() as ng:
        big = b"big1 d7:command5:offer3:sdp%d:" % (300 * 1024) + b"x" * (300 * 1024) + b"e"
        ng.send_raw(big)
        cookie, r = ng.parse_reply(ng.recv_raw())
        assert cookie == "big1"
        assert_error(r, "large")
    # over UDP: the largest datagram with an oversized SDP
    with daemon.ng() as ng:
        r = ng.offer("big2", "ft", "v=0\r\n" + "a=x\r\n" * 12000)
        assert_error(r)
    with daemon.ng() as ng:
        assert ng.ping()["result"] == "pong"


def test_garbage_on_tcp_closes_only_that_connection(daemon):
    with daemon.tcp() as good, daemon.tcp() as bad:
        bad.send_raw(b"x1 q\x00\x01garbage")
        cookie, r = bad.parse_reply(bad.recv_raw())
        assert cookie == "x1"
        assert_error(r)
        assert good.ping()["result"] == "pong"
    with daemon.unix() as u:
        u.send_raw(b"\x00" * 200)      # no cookie at all: closed without reply
        u.sock.settimeout(2)
        assert u.sock.recv(100) == b""


def test_port_exhaustion_and_quarantine(daemon_factory):
    # 8 ports = 4 pairs: two single-media calls (one pair per side each); below the
    # kernel's ephemeral range (32768 up), so no client socket of this machine can take
    # one of them while the test counts on all eight
    lo, hi = media_range(8, high=32768)
    d = daemon_factory("--port-min=%d" % lo, "--port-max=%d" % hi)
    with d.ng() as ng:
        assert ng.offer("e1", "ft", sdp_offer())["result"] == "ok"
        assert ng.offer("e2", "ft", sdp_offer())["result"] == "ok"
        assert_error(ng.offer("e3", "ft", sdp_offer()), "ports")
        assert sorted(ng.request({"command": "list"})["calls"]) == ["e1", "e2"]  # e3 left nothing
        assert ng.delete("e2", **{"delete-delay": 0})["result"] == "ok"
        assert ng.delete("e1", **{"delete-delay": 0})["result"] == "ok"
        # released pairs rest in quarantine; with nothing else free the longest
        # resting ones are reused rather than refusing the call
        assert ng.offer("e4", "ft", sdp_offer())["result"] == "ok"
        assert ng.offer("e5", "ft", sdp_offer())["result"] == "ok"
        assert_error(ng.offer("e6", "ft", sdp_offer()), "ports")


def test_quarantined_ports_are_not_reused_while_others_are_free(daemon_factory):
    lo, hi = media_range(8, high=32768)   # below the ephemeral range, as above
    d = daemon_factory("--port-min=%d" % lo, "--port-max=%d" % hi)
    with d.ng() as ng:
        r = ng.offer("q1", "ft", sdp_offer())
        q1_ports = {p for _, p in sdp_media_ports(r["sdp"])}
        assert ng.delete("q1", **{"delete-delay": 0})["result"] == "ok"
        r = ng.offer("q2", "ft", sdp_offer())
        assert r["result"] == "ok", r
        assert not ({p for _, p in sdp_media_ports(r["sdp"])} & q1_ports)


def test_max_sessions(daemon_factory):
    d = daemon_factory("--max-sessions=2")
    with d.ng() as ng:
        assert ng.offer("s1", "ft", sdp_offer())["result"] == "ok"
        assert ng.offer("s2", "ft", sdp_offer())["result"] == "ok"
        assert_error(ng.offer("s3", "ft", sdp_offer()), "limit")
        # an existing call can still be re-offered
        assert ng.offer("s1", "ft", sdp_offer(version=2))["result"] == "ok"
        ng.delete("s2", **{"delete-delay": 0})
        assert ng.offer("s3", "ft", sdp_offer())["result"] == "ok"


def test_retransmission_answered_from_cache(daemon, ng):
    msg = ng.encode({"command": "offer", "call-id": "rt1", "from-tag": "ft",
                     "sdp": sdp_offer()}, "rtx-1")
    c1, r1 = ng.request_raw(msg)
    c2, r2 = ng.request_raw(msg)
    assert c1 == c2 == "rtx-1"
    assert r1 == r2                      # same ports: not allocated again
    s = ng.request({"command": "statistics"})
    assert s["controlstatistics"]["offers"] == 1
    assert s["controlstatistics"]["cachehits"] == 1
    assert s["ports"]["used"] == 4
    # the same cookie from another source port is another request
    with daemon.ng() as other:
        c3, r3 = other.request_raw(msg)
        assert r3["result"] == "ok" and r3["sdp"] == r1["sdp"]   # re-offer keeps ports
    s = ng.request({"command": "statistics"})
    assert s["controlstatistics"]["offers"] == 2
    # a retransmitted delete is not executed twice (second would be an error)
    dmsg = ng.encode({"command": "delete", "call-id": "rt1", "delete-delay": 0}, "rtx-2")
    assert ng.request_raw(dmsg)[1]["result"] == "ok"
    assert ng.request_raw(dmsg)[1]["result"] == "ok"


def test_bencode_reply_roundtrip_with_binary_call_id(ng):
    cid = "bin\xff\xfe-\u00e9id"      # not UTF-8 clean, but no control bytes
    r = ng.offer(cid, "ft", sdp_offer())
    assert r["result"] == "ok", r
    # control bytes in a call-id are refused (never reach logs or query output)
    r = ng.offer("bad\x01id", "ft", sdp_offer())
    assert r["result"] == "error"
    assert ng.request({"command": "list"})["calls"] == [cid]
    assert bdecode(bencode({"x": cid})) == {"x": cid}


def test_flood_of_bad_datagrams_daemon_survives(daemon):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    import random
    rnd = random.Random(7)
    for i in range(2000):
        n = rnd.randrange(1, 300)
        payload = bytes(rnd.randrange(256) for _ in range(n))
        if i % 3 == 0:
            payload = b"ck%d " % i + payload
        s.sendto(payload, ("127.0.0.1", daemon.ng_port))
    s.close()
    with NgClient.udp(("127.0.0.1", daemon.ng_port)) as ng:
        assert ng.ping()["result"] == "pong"
    assert daemon.alive()
