"""test_control_ngcompat.py: ng keys and flags as rtpengine's docs/ng_control_protocol.md
describes them, seen in the SDP and replies rtprelay sends back: the `statistics`
reply's shape, `media-address`, `replace` = `zero-address` and `SDP-version`,
`single-codec`, `ptime-reverse`.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ngclient import sdp_conn_addr, sdp_offer  # noqa: E402
from transcode_media import phone_sdp, sdp_media  # noqa: E402

# The keys of rtpengine's documented `statistics` reply, section by section.
DOC_STATISTICS = {
    "currentstatistics": ["sessionsown", "sessionsforeign", "sessionstotal",
                          "transcodedmedia", "packetrate", "byterate", "errorrate"],
    "totalstatistics": ["uptime", "managedsessions", "rejectedsessions", "timeoutsessions",
                        "silenttimeoutsessions", "finaltimeoutsessions",
                        "offertimeoutsessions", "regularterminatedsessions",
                        "forcedterminatedsessions", "relayedpackets", "relayedpacketerrors",
                        "zerowaystreams", "onewaystreams", "avgcallduration"],
    "intervalstatistics": ["totalcallsduration", "minmanagedsessions", "maxmanagedsessions",
                           "minofferdelay", "maxofferdelay", "avgofferdelay",
                           "minanswerdelay", "maxanswerdelay", "avganswerdelay",
                           "mindeletedelay", "maxdeletedelay", "avgdeletedelay",
                           "minofferrequestrate", "maxofferrequestrate", "avgofferrequestrate",
                           "minanswerrequestrate", "maxanswerrequestrate",
                           "avganswerrequestrate", "mindeleterequestrate",
                           "maxdeleterequestrate", "avgdeleterequestrate"],
    "controlstatistics": ["proxies", "totalpingcount", "totaloffercount", "totalanswercount",
                          "totaldeletecount", "totalquerycount", "totallistcount",
                          "totalstartreccount", "totalstopreccount", "totalstartfwdcount",
                          "totalstopfwdcount", "totalblkdtmfcount", "totalunblkdtmfcount",
                          "totalblkmedia", "totalunblkmedia", "totalplaymedia",
                          "totalstopmedia", "totalplaydtmf", "totalstatistics",
                          "totalerrorcount"],
}
DOC_PROXY = ["proxy", "pingcount", "offercount", "answercount", "deletecount", "querycount",
             "listcount", "startreccount", "stopreccount", "startfwdcount", "stopfwdcount",
             "blkdtmfcount", "unblkdtmfcount", "blkmedia", "unblkmedia", "playmedia",
             "stopmedia", "playdtmf", "statistics", "errorcount"]
# rtpengine writes these as "%.6f" strings (bencode has no floats)
DOC_DECIMALS = {"avgcallduration", "totalcallsduration"}


def stats(ng):
    r = ng.request({"command": "statistics"})
    assert r["result"] == "ok", r
    return r


def test_statistics_rtpengine_shape_and_counts(ng):
    r0 = stats(ng)
    # the keys rtprelay had before stay where they were
    for k in ("currentstatistics", "totalstatistics", "controlstatistics", "ports"):
        assert k in r0
    st = r0["statistics"]
    assert set(DOC_STATISTICS) <= set(st)
    for section, keys in DOC_STATISTICS.items():
        missing = set(keys) - set(st[section])
        assert not missing, (section, missing)
    for k in DOC_DECIMALS:
        sect = "totalstatistics" if k == "avgcallduration" else "intervalstatistics"
        float(st[sect][k])
    assert int(st["totalstatistics"]["uptime"]) >= 0
    c0 = st["controlstatistics"]

    assert ng.offer("st-1", "A", sdp_offer(port=5000))["result"] == "ok"
    assert ng.answer("st-1", "A", "B", sdp_offer(port=6000))["result"] == "ok"
    assert ng.ping()["result"] == "pong"
    ng.query("st-1")
    ng.request({"command": "list"})
    assert ng.answer("st-nope", "A", "B", sdp_offer(port=6000))["result"] == "error"
    ng.request({"command": "start recording", "call-id": "st-1"})
    assert ng.delete("st-1", **{"delete-delay": 0})["result"] == "ok"

    st = stats(ng)["statistics"]
    c = st["controlstatistics"]
    assert c["totaloffercount"] == c0["totaloffercount"] + 1
    assert c["totalanswercount"] == c0["totalanswercount"] + 2     # the failed one too
    assert c["totalpingcount"] == c0["totalpingcount"] + 1
    assert c["totalquerycount"] == c0["totalquerycount"] + 1
    assert c["totallistcount"] == c0["totallistcount"] + 1
    assert c["totaldeletecount"] == c0["totaldeletecount"] + 1
    assert c["totalstatistics"] == c0["totalstatistics"] + 1      # the first statistics
    assert c["totalerrorcount"] == c0["totalerrorcount"] + 2      # answer, start recording
    # per-command durations: total/min/max/avg, in seconds
    for cmd in ("offer", "answer", "ping", "query", "list", "delete"):
        tot, mn, mx, avg = (float(c[k % cmd]) for k in
                            ("total%sduration", "min%sduration", "max%sduration",
                             "avg%sduration"))
        assert 0 < mn <= avg <= mx <= tot, (cmd, tot, mn, mx, avg)
    # the one proxy, this client, counted by command
    (px,) = c["proxies"]
    assert not set(DOC_PROXY) - set(px)
    assert px["proxy"] == "127.0.0.1"
    assert px["offercount"] == 1 and px["answercount"] == 2 and px["errorcount"] == 2
    assert float(px["offerduration"]) > 0
    # the interval since the first statistics reply
    iv = st["intervalstatistics"]
    assert iv["maxmanagedsessions"] == 1 and iv["minmanagedsessions"] == 0
    assert 0 < float(iv["minofferdelay"]) <= float(iv["avgofferdelay"]) <= \
        float(iv["maxofferdelay"])
    assert iv["maxofferrequestrate"] == 1 and iv["avgofferrequestrate"] <= 1
    assert float(iv["totalcallsduration"]) >= 0
    t = st["totalstatistics"]
    assert t["managedsessions"] == 1 and t["regularterminatedsessions"] == 1
    assert t["zerowaystreams"] == 1 and t["onewaystreams"] == 0
    assert st["currentstatistics"]["sessionsown"] == 0
    # a new interval starts with each statistics reply
    iv = stats(ng)["statistics"]["intervalstatistics"]
    assert iv["maxofferdelay"] == "0.000000" and iv["maxofferrequestrate"] == 0


def test_media_address_is_written_into_the_sdp(ng):
    """media-address (rtpengine): the address written into the SDP the receiver gets,
    in every c= line and, with replace=origin, o=; the sender's own address stays
    what its SDP says."""
    r = ng.offer("ma-1", "A", sdp_offer(addr="10.1.1.1", port=5000),
                 replace=["origin"], **{"media-address": "192.0.2.77"})
    assert r["result"] == "ok", r
    addrs = sdp_conn_addr(r["sdp"])
    assert addrs and set(addrs) == {"192.0.2.77"}, r["sdp"]
    assert "o=- 1234 1 IN IP4 192.0.2.77" in r["sdp"]
    ep = ng.query("ma-1")["tags"]["A"]["medias"][0]["streams"][0]["advertised endpoint"]
    assert ep["address"] == "10.1.1.1"
    # the answer's media-address goes into the SDP for the offerer
    a = ng.answer("ma-1", "A", "B", sdp_offer(port=6000), **{"media-address": "198.51.100.4"})
    assert a["result"] == "ok", a
    assert set(sdp_conn_addr(a["sdp"])) == {"198.51.100.4"}
    # without it, the interface's address
    r = ng.offer("ma-2", "A", sdp_offer(port=5000))
    assert set(sdp_conn_addr(r["sdp"])) == {"127.0.0.1"}


def test_media_address_checked(ng):
    for bad in ("not-an-address", "192.0.2.300", "192.0.2.1 IN"):
        r = ng.offer("ma-bad", "A", sdp_offer(), **{"media-address": bad})
        assert r["result"] == "error" and "media-address" in r["error-reason"], r
    # an IPv6 media-address for media on an IPv4-only relay
    r = ng.offer("ma-v6", "A", sdp_offer(), **{"media-address": "2001:db8::5"})
    assert r["result"] == "error" and "IPv6" in r["error-reason"], r
    r = ng.offer("ma-af", "A", sdp_offer(),
                 **{"media-address": "192.0.2.5", "address-family": "IP6"})
    assert r["result"] == "error" and "address-family" in r["error-reason"], r
    assert ng.query("ma-bad")["result"] == "error"      # no call left behind


def test_ipv6_media_address_picks_ipv6_socket(daemon_factory):
    d = daemon_factory("--interface=127.0.0.1", "--interface=::1")
    with d.ng() as ng:
        r = ng.offer("ma-6", "A", sdp_offer(port=5000), **{"media-address": "2001:db8::5"})
        assert r["result"] == "ok", r
        assert "c=IN IP6 2001:db8::5" in r["sdp"]
        tags = ng.query("ma-6")["tags"]
        (callee,) = [t for t in tags if t != "A"]
        assert tags[callee]["medias"][0]["streams"][0]["local address"] == "::1"


def hold_sdp(port=5000):
    return sdp_offer(port=port).replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0")


def test_zero_address(ng):
    """A hold offer's c=0.0.0.0 is passed through (rtpengine's default); with
    replace=zero-address the relay's address is written instead."""
    r = ng.offer("za-1", "A", hold_sdp())
    assert r["result"] == "ok", r
    assert set(sdp_conn_addr(r["sdp"])) == {"0.0.0.0"}
    r = ng.offer("za-2", "A", hold_sdp(), replace=["zero-address"])
    assert r["result"] == "ok", r
    assert set(sdp_conn_addr(r["sdp"])) == {"127.0.0.1"}, r["sdp"]
    # the answer to a zero-address hold offer: the answerer's c= replaced as usual
    a = ng.answer("za-2", "A", "B", hold_sdp(6000), replace=["zero-address"])
    assert set(sdp_conn_addr(a["sdp"])) == {"127.0.0.1"}
    a = ng.answer("za-1", "A", "B", hold_sdp(6000))
    assert set(sdp_conn_addr(a["sdp"])) == {"0.0.0.0"}


B_FORMATS = [(0, "PCMU/8000", None), (8, "PCMA/8000", None), (9, "G722/8000", None),
             (101, "telephone-event/8000", "0-16"), (13, "CN/8000", None)]
A_FORMATS = [(0, "PCMU/8000", None), (8, "PCMA/8000", None), (9, "G722/8000", None),
             (101, "telephone-event/8000", "0-16"), (13, "CN/8000", None)]


def test_single_codec(ng):
    """single-codec in an answer: the offerer gets the first codec only, with the
    events and comfort noise at its clock."""
    assert ng.offer("sc-1", "a", phone_sdp(5000, A_FORMATS))["result"] == "ok"
    r = ng.answer("sc-1", "a", "b", phone_sdp(6000, B_FORMATS), flags=["single-codec"])
    assert r["result"] == "ok", r
    assert "warning" not in r, r
    _, _, pts, rtpmap, fmtp, _ = sdp_media(r["sdp"])
    assert pts == [0, 101, 13], r["sdp"]
    assert rtpmap == {0: "PCMU/8000", 101: "telephone-event/8000", 13: "CN/8000"}
    assert fmtp == {101: "0-16"}
    # without the flag, every codec
    assert ng.offer("sc-2", "a", phone_sdp(5000, A_FORMATS))["result"] == "ok"
    r = ng.answer("sc-2", "a", "b", phone_sdp(6000, B_FORMATS))
    assert sdp_media(r["sdp"])[2] == [0, 8, 9, 101, 13]
    # the first codec as the answerer lists it
    assert ng.offer("sc-3", "a", phone_sdp(5000, A_FORMATS))["result"] == "ok"
    r = ng.answer("sc-3", "a", "b", phone_sdp(6000, [B_FORMATS[3], B_FORMATS[2],
                                                     B_FORMATS[0]]), flags=["single-codec"])
    assert sdp_media(r["sdp"])[2] == [101, 9], r["sdp"]


def test_ptime_reverse(ng):
    """ptime-reverse with the offer: the ptime towards the offerer, in the answer;
    ptime with the offer goes towards the answerer."""
    r = ng.offer("pr-1", "a", phone_sdp(5000, A_FORMATS[:2]),
                 **{"ptime": 40, "ptime-reverse": 30})
    assert r["result"] == "ok" and "warning" not in r, r
    assert sdp_media(r["sdp"])[5] == 40
    a = ng.answer("pr-1", "a", "b", phone_sdp(6000, B_FORMATS[:2]))
    assert a["result"] == "ok", a
    assert sdp_media(a["sdp"])[5] == 30, a["sdp"]
    # as a flag string (Kamailio) too
    r = ng.offer("pr-2", "a", phone_sdp(5000, A_FORMATS[:2]), flags=["ptime-reverse=60"])
    assert "warning" not in r, r
    a = ng.answer("pr-2", "a", "b", phone_sdp(6000, B_FORMATS[:2]))
    assert sdp_media(a["sdp"])[5] == 60
    # transcoded: the offerer's side of the transcoder runs at that ptime
    r = ng.offer("pr-3", "a", phone_sdp(5000, A_FORMATS[:1]),
                 codec={"transcode": ["G722"]}, **{"ptime-reverse": 30})
    assert r["result"] == "ok", r
    a = ng.answer("pr-3", "a", "b", phone_sdp(6000, [(9, "G722/8000", None)]))
    _, _, pts, _, _, ptime = sdp_media(a["sdp"])
    assert pts == [0] and ptime == 30, a["sdp"]
    # without it the answerer's ptime stays
    ng.offer("pr-4", "a", phone_sdp(5000, A_FORMATS[:2]))
    a = ng.answer("pr-4", "a", "b", phone_sdp(6000, B_FORMATS[:2]))
    assert sdp_media(a["sdp"])[5] == 20


def origin_version(sdp):
    for line in sdp.splitlines():
        if line.startswith("o="):
            return int(line.split()[2])
    raise AssertionError("no o= line")


def test_sdp_version_follows_changes_repeatedly(ng):
    """replace=SDP-version: each side is sent the version it was sent before while
    its SDP stays the same, and one more as soon as it changes (sendrecv ->
    sendonly), however fast the commands follow each other."""
    rep = {"replace": ["SDP-version"]}
    a_sdp = sdp_offer(port=5000, version=7)
    a_hold = sdp_offer(port=5000, version=8).replace("a=sendrecv", "a=sendonly")
    b_sdp = sdp_offer(port=6000, version=3)
    for i in range(50):
        cid = "sv-%d" % i
        o1 = ng.offer(cid, "A", a_sdp, **rep)
        assert o1["result"] == "ok", o1
        v = origin_version(o1["sdp"])
        assert v == 7                         # the first SDP keeps the sender's version
        a1 = ng.answer(cid, "A", "B", b_sdp, **rep)
        assert origin_version(a1["sdp"]) == 3
        o2 = ng.offer(cid, "A", a_sdp, **{"to-tag": "B"}, **rep)
        assert o2["sdp"] == o1["sdp"], (i, o1["sdp"], o2["sdp"])   # unchanged
        o3 = ng.offer(cid, "A", a_hold, **{"to-tag": "B"}, **rep)
        assert "a=sendonly" in o3["sdp"]
        assert origin_version(o3["sdp"]) == v + 1, (i, o3["sdp"])
        o4 = ng.offer(cid, "A", a_hold, **{"to-tag": "B"}, **rep)
        assert origin_version(o4["sdp"]) == v + 1, i
        o5 = ng.offer(cid, "A", a_sdp, **{"to-tag": "B"}, **rep)
        assert origin_version(o5["sdp"]) == v + 2, i
        a2 = ng.answer(cid, "A", "B", b_sdp, **rep)
        assert origin_version(a2["sdp"]) == 3, i
        ng.delete(cid)
