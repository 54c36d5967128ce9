"""ICE host candidates of both address families: a logical interface with an
IPv4 and an IPv6 address (`interface = 127.0.0.1; ::1`, both named "default")
gives an ICE party one host candidate per family, the media's own family first.
Against an independent full agent (python3-aioice) that has only the other
family: it checks rtprelay's candidate of that family, nominates it, and media
flows both ways through the second socket; in both call directions, and with
either family as the media's own. STUN checks are answered on both sockets
(XOR-MAPPED-ADDRESS of each family), bad ones dropped and counted per socket.
Without a second family on the interface, one candidate as before."""

import asyncio
import socket

import pytest

aioice = pytest.importorskip("aioice")
from aioice import stun  # noqa: E402

from dp_media import Phone, relay_targets  # noqa: E402
from test_ice import (WebRtcSide, bad_check, ice_lines, media_both_ways,  # noqa: E402
                      stream_ice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

DUAL = ("--interface=127.0.0.1", "--interface=::1")


@pytest.fixture
def loop():
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


def candidates(sdp):
    """[(component, address, port, type, priority)] of rtprelay's candidates."""
    out = []
    for c in ice_lines(sdp)["cands"]:
        f = c.split()
        out.append((int(f[1]), f[4], int(f[5]), f[7], int(f[3])))
    return out


def check_dual(sdp, first, second, mux=True):
    """One host candidate per family and component; the media's own family
    (the c= line's) first and preferred; the other family on its own port."""
    c = candidates(sdp)
    addr, port, rtcp_port = relay_targets(sdp)[0]
    assert addr == first
    n = 1 if mux else 2
    assert len(c) == 2 * n, sdp
    assert c[0][:4] == (1, first, port, "host"), sdp
    other = [x for x in c if x[1] == second]
    assert len(other) == n and other[0][0] == 1 and other[0][3] == "host", sdp
    assert other[0][2] not in (port, rtcp_port)
    assert c[0][4] > other[0][4], sdp  # own family preferred
    return other[0][2]


def test_offer_to_ipv6_agent_from_ipv4_media(daemon_factory, loop):
    """The phone (IPv4) offers to an agent that has only ::1: rtprelay's offer
    (c= IPv4) carries 127.0.0.1 and ::1 host candidates; the agent nominates
    the IPv6 one; tone packets pass both ways; query names the nominated
    family and the second socket's checks."""
    d = daemon_factory(*DUAL)
    web = loop.run_until_complete(WebRtcSide("::1").gather())
    phone = Phone(pts=(0,))
    try:
        with d.ng() as ng:
            r = ng.offer("fam-1", "phone", phone.sdp(), ICE="force",
                         **{"rtcp-mux": ["require"]})
            assert r["result"] == "ok", r
            v6_port = check_dual(r["sdp"], "127.0.0.1", "::1")
            loop.run_until_complete(web.take_remote(r["sdp"]))
            a = ng.answer("fam-1", "phone", "web", web.sdp())
            assert a["result"] == "ok", a
            loop.run_until_complete(web.connect())
            pair = web.conn._nominated[1]
            assert pair.remote_candidate.host == "::1" and pair.remote_candidate.port == v6_port
            media_both_ways(loop, web, phone, relay_targets(a["sdp"])[0][:2], n=10)
            ice = stream_ice(ng, "fam-1", "web")
            assert ice["nominated family"] == "IPv6", ice
            o = ice["other family"]
            assert o["family"] == "IPv6" and o["address"] == "::1" and o["port"] == v6_port
            assert o["state"] == "nominated" and o["checks"] >= 1 and o["bad checks"] == 0, o
            assert ice["checks"] == 0  # nothing came to the IPv4 socket
    finally:
        loop.run_until_complete(web.close())
        phone.close()


def test_answer_to_ipv4_agent_from_ipv6_media(daemon_factory, loop):
    """The agent (IPv4 only) offers; rtprelay answers with IPv6 as the media's
    own family (address-family=IP6): the answer's c= is ::1, the 127.0.0.1
    candidate second; the agent nominates it and media passes both ways."""
    d = daemon_factory(*DUAL)
    web = loop.run_until_complete(WebRtcSide("127.0.0.1").gather())
    phone = Phone(pts=(0,))
    try:
        with d.ng() as ng:
            r = ng.offer("fam-2", "web", web.sdp(), ICE="remove", **{"rtcp-mux": ["demux"]},
                         **{"address-family": "IP4"})
            assert r["result"] == "ok" and "a=candidate" not in r["sdp"], r
            a = ng.answer("fam-2", "web", "phone", phone.sdp(), **{"address-family": "IP6"})
            assert a["result"] == "ok", a
            v4_port = check_dual(a["sdp"], "::1", "127.0.0.1")
            loop.run_until_complete(web.take_remote(a["sdp"]))
            loop.run_until_complete(web.connect())
            assert web.conn._nominated[1].remote_candidate.port == v4_port
            media_both_ways(loop, web, phone, relay_targets(r["sdp"])[0][:2], n=10)
            ice = stream_ice(ng, "fam-2", "web")
            assert ice["nominated family"] == "IPv4", ice
            assert ice["other family"]["state"] == "nominated", ice
    finally:
        loop.run_until_complete(web.close())
        phone.close()


def callee_streams(q):
    """The streams of the party rtprelay offered ICE to (not yet answered,
    so not the offerer's tag)."""
    tags = [t for t in q["tags"] if t != "phone"]
    assert len(tags) == 1, q["tags"].keys()
    return q["tags"][tags[0]]["medias"][0]["streams"]


def check(target, user, pwd, family):
    """A binding request with the right credentials from a socket of @family;
    the decoded answer."""
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    try:
        ans = bad_check(target, user, pwd.encode(), source=s)
        assert ans is not None, target
        m = stun.parse_message(ans, integrity_key=pwd.encode())
        assert m.message_class == stun.Class.RESPONSE, m
        return m.attributes["XOR-MAPPED-ADDRESS"], s.getsockname()[:2]
    finally:
        s.close()


def test_stun_answered_on_both_families(daemon_factory):
    """Hand-built checks (USERNAME rtprelay's:party's, MESSAGE-INTEGRITY with
    rtprelay's password) to each candidate: both sockets answer, each with the
    source in its own family; a check with a wrong password is dropped and
    counted on the socket it came to."""
    d = daemon_factory(*DUAL)
    phone = Phone(pts=(0,))
    try:
        with d.ng() as ng:
            r = ng.offer("fam-3", "phone", phone.sdp(), ICE="force")
            assert r["result"] == "ok", r
            ice = ice_lines(r["sdp"])
            c = candidates(r["sdp"])
            assert [x[1] for x in c] == ["127.0.0.1", "127.0.0.1", "::1", "::1"], c
            assert [x[0] for x in c] == [1, 2, 1, 2], c
            user = "%s:x" % ice["ufrag"]
            got4, src4 = check(("127.0.0.1", c[0][2]), user, ice["pwd"], socket.AF_INET)
            got6, src6 = check(("::1", c[2][2]), user, ice["pwd"], socket.AF_INET6)
            assert got4 == src4 and got6 == src6, (got4, src4, got6, src6)
            got6b, src6b = check(("::1", c[3][2]), user, ice["pwd"], socket.AF_INET6)
            assert got6b == src6b  # component 2 on the IPv6 socket pair
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            try:
                assert bad_check(("::1", c[2][2]), user, b"wrong" * 5, source=s6) is None
            finally:
                s6.close()
            st = callee_streams(ng.query("fam-3"))
            assert st[0]["ICE"]["checks"] == 1 and st[0]["ICE"]["bad checks"] == 0, st[0]
            o = st[0]["ICE"]["other family"]
            assert o["checks"] == 1 and o["bad checks"] == 1, o
            assert st[1]["ICE"]["other family"]["checks"] == 1, st[1]
    finally:
        phone.close()


def test_one_family_interface_one_candidate(ng):
    """The default daemon (127.0.0.1 only): one host candidate, no other
    family in query."""
    phone = Phone(pts=(0,))
    try:
        r = ng.offer("fam-4", "phone", phone.sdp(), ICE="force", **{"rtcp-mux": ["require"]})
        assert r["result"] == "ok", r
        c = candidates(r["sdp"])
        assert len(c) == 1 and c[0][1] == "127.0.0.1", c
        assert "other family" not in callee_streams(ng.query("fam-4"))[0]["ICE"]
    finally:
        phone.close()


def test_dtls_srtp_over_the_other_family(daemon_factory, monkeypatch):
    """A real WebRTC stack (aiortc) with IPv6 host candidates only answers
    rtprelay's WebRTC offer (c= IPv4, candidates of both families): ICE
    nominates the IPv6 socket, the DTLS handshake runs over it (rtprelay
    the server), SRTP tone both ways."""
    pytest.importorskip("aiortc")
    import test_dtls_webrtc as tdw
    monkeypatch.setattr(aioice.ice, "get_host_addresses",
                        lambda use_ipv4, use_ipv6: ["::1"] if use_ipv6 else [])
    d = daemon_factory(*DUAL)

    async def go():
        w = tdw.WebRtcPeer()
        phone = Phone(mux=False, pts=(0,))
        try:
            with d.ng() as ng:
                r = ng.offer("fam-dtls", "ph", phone.sdp(), flags=["WebRTC"])
                assert r["result"] == "ok", r
                check_dual(r["sdp"], "127.0.0.1", "::1")
                ans = await w.answer(r["sdp"])
                a = ng.answer("fam-dtls", "ph", "web", ans, ICE="remove")
                assert a["result"] == "ok", a
                got, loud = await tdw.phone_media(phone, tuple(relay_targets(a["sdp"])[0][:2]), 6)
                assert got >= 100 and loud >= 50, (got, loud)
                assert w.frames >= 100 and w.loud >= 50, (w.frames, w.loud)
                q = ng.query("fam-dtls")
                st = q["tags"]["web"]["medias"][0]["streams"][0]
                assert st["DTLS"]["state"] == "connected", st["DTLS"]
                assert st["ICE"]["nominated family"] == "IPv6", st["ICE"]
                assert st["ICE"]["other family"]["state"] == "nominated", st["ICE"]
        finally:
            await w.close()
            phone.close()
    tdw.run(go())
