"""ICE towards WebRTC parties, against an independent ICE agent (python3-aioice,
a full agent, controlling) on the WebRTC side and a plain RTP phone on the other.
rtprelay is ICE-lite towards the WebRTC side in both call directions: it answers the
agent's offer, and it offers to the agent. Media flows through the nominated pair both
ways; checks with bad credentials are dropped, counted and never move media; consent
checks keep being answered; a new ufrag restarts ICE with new credentials; trickled
candidates in a re-offer change nothing. Also: the SDP per ICE flag value."""

import asyncio
import socket
import time

import pytest

aioice = pytest.importorskip("aioice")
from aioice import Candidate, stun  # noqa: E402

from dp_media import Phone, parse_rtp, relay_targets, rtp  # noqa: E402
from ngclient import sdp_offer  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

# the agent's host candidates on loopback only (aioice leaves loopback out by default)
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: (
    (["127.0.0.1"] if use_ipv4 else []) + (["::1"] if use_ipv6 else []))


def ice_lines(sdp):
    """{'ufrag', 'pwd', 'lite', 'cands': [...], 'eoc', 'options'} of an SDP."""
    out = {"ufrag": None, "pwd": None, "lite": False, "cands": [], "eoc": False,
           "options": None}
    for line in sdp.splitlines():
        if line.startswith("a=ice-ufrag:"):
            out["ufrag"] = line[12:]
        elif line.startswith("a=ice-pwd:"):
            out["pwd"] = line[10:]
        elif line == "a=ice-lite":
            out["lite"] = True
        elif line.startswith("a=candidate:"):
            out["cands"].append(line[12:])
        elif line == "a=end-of-candidates":
            out["eoc"] = True
        elif line.startswith("a=ice-options:"):
            out["options"] = line[14:]
    return out


class WebRtcSide:
    """An aioice agent (full, controlling: the other side is lite) with one
    component (rtcp-mux), and the SDP a WebRTC client would send for it."""

    def __init__(self, host="127.0.0.1"):
        v6 = ":" in host
        self.host, self.fam = host, "IP6" if v6 else "IP4"
        self.conn = aioice.Connection(ice_controlling=True, components=1, use_ipv4=not v6,
                                      use_ipv6=v6)

    async def gather(self):
        await self.conn.gather_candidates()
        return self

    @property
    def port(self):
        return self.conn.local_candidates[0].port

    def sdp(self, version=1, extra=(), eoc=True, zero=False):
        """zero: c=0.0.0.0 and port 9, as a client that sends its offer before it
        gathered (its candidates then say where it is)."""
        c = self.conn
        lines = ["v=0", "o=- 77 %d IN %s %s" % (version, self.fam, self.host), "s=-",
                 "c=IN %s %s" % (self.fam, "0.0.0.0" if zero else self.host), "t=0 0",
                 "m=audio %d RTP/AVP 0" % (9 if zero else self.port),
                 "a=rtpmap:0 PCMU/8000", "a=ice-ufrag:" + c.local_username,
                 "a=ice-pwd:" + c.local_password, "a=ice-options:trickle"]
        lines += ["a=candidate:" + cand.to_sdp() for cand in c.local_candidates]
        lines += list(extra)
        if eoc:
            lines.append("a=end-of-candidates")
        lines += ["a=rtcp-mux", "a=sendrecv"]
        return "\r\n".join(lines) + "\r\n"

    async def take_remote(self, sdp):
        ice = ice_lines(sdp)
        assert ice["ufrag"] and ice["pwd"] and ice["cands"], sdp
        self.conn.remote_username = ice["ufrag"]
        self.conn.remote_password = ice["pwd"]
        self.conn.remote_is_lite = ice["lite"]
        for cand in ice["cands"]:
            await self.conn.add_remote_candidate(Candidate.from_sdp(cand))
        await self.conn.add_remote_candidate(None)

    async def connect(self, timeout=10.0):
        await asyncio.wait_for(self.conn.connect(), timeout)

    async def close(self):
        await self.conn.close()


def check_relay_ice(sdp, mux=True):
    """The SDP rtprelay wrote for the WebRTC side: lite, its own credentials, one
    host candidate per component at the address and port of the m= line."""
    ice = ice_lines(sdp)
    addr, port, rtcp_port = relay_targets(sdp)[0]
    assert ice["lite"] and ice["eoc"], sdp
    assert len(ice["ufrag"]) == 8 and len(ice["pwd"]) == 24, sdp
    assert len(ice["cands"]) == (1 if mux else 2), sdp
    f = ice["cands"][0].split()
    assert f[1] == "1" and f[2] == "UDP" and f[4] == addr and int(f[5]) == port, sdp
    assert f[6:8] == ["typ", "host"], sdp
    return ice


def media_both_ways(loop, web, phone, phone_target, n=5):
    """RTP from the agent reaches the phone, and RTP from the phone reaches the agent."""
    for i in range(n):
        loop.run_until_complete(web.conn.send(rtp(100 + i, 0x1234)))
    got = []
    end = time.monotonic() + 3
    while len(got) < n and time.monotonic() < end:
        try:
            data, _ = phone.rtp_socks[0].recvfrom(2048)
        except socket.timeout:
            break
        if parse_rtp(data) and parse_rtp(data)[2] == 0x1234:
            got.append(data)
    assert len(got) == n, "phone got %d of %d" % (len(got), n)
    sent = phone.send_rtp(0, phone_target, n=n)
    recv = []
    for _ in range(n):
        recv.append(loop.run_until_complete(asyncio.wait_for(web.conn.recv(), 3.0)))
    assert recv == sent


def stream_ice(ng, cid, tag):
    """The ICE dict of the RTP stream rtprelay advertised to party @tag."""
    q = ng.query(cid)
    assert q["result"] == "ok", q
    media = q["tags"][tag]["medias"][0]
    assert "ICE" in media["flags"], media
    return media["streams"][0]["ICE"]


def bad_check(target, username, key, fingerprint=True, source=None):
    """Send a binding request with USE-CANDIDATE; return the answer or None."""
    msg = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    msg.attributes["USERNAME"] = username
    msg.attributes["PRIORITY"] = 1853824767
    msg.attributes["ICE-CONTROLLING"] = 1
    msg.attributes["USE-CANDIDATE"] = None
    msg.add_message_integrity(key)
    data = bytes(msg)
    if not fingerprint:
        data = data[:-8]
        data = data[:2] + (len(data) - 20).to_bytes(2, "big") + data[4:]
    s = source or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.sendto(data, target)
    try:
        return s.recvfrom(2048)[0]
    except socket.timeout:
        return None
    finally:
        if source is None:
            s.close()


@pytest.fixture
def loop():
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


def rtprelay_answers(ng, loop, cid, web, phone, zero=False, **kw):
    """The agent offers; rtprelay answers it. Returns (answer SDP, phone's target)."""
    r = ng.offer(cid, "web", web.sdp(zero=zero), ICE="remove", **{"rtcp-mux": ["demux"]},
                 **kw)
    assert r["result"] == "ok", r
    to_phone = r["sdp"]
    assert "a=candidate" not in to_phone and "a=ice-" not in to_phone, to_phone
    a = ng.answer(cid, "web", "phone", phone.sdp())
    assert a["result"] == "ok", a
    check_relay_ice(a["sdp"], mux=True)
    assert "a=rtcp-mux" in a["sdp"]
    loop.run_until_complete(web.take_remote(a["sdp"]))
    loop.run_until_complete(web.connect())
    return a["sdp"], relay_targets(to_phone)[0][:2]


@pytest.mark.parametrize("zero", [False, True], ids=["c-address", "c-zero"])
def test_rtprelay_answers_webrtc_offer(ng, loop, zero):
    web = loop.run_until_complete(WebRtcSide().gather())
    phone = Phone(pts=(0,))
    try:
        _, target = rtprelay_answers(ng, loop, "ice-ans", web, phone, zero=zero)
        media_both_ways(loop, web, phone, target)
        ice = stream_ice(ng, "ice-ans", "web")
        assert ice["state"] == "nominated" and ice["role"] == "lite", ice
        assert ice["checks"] >= 1 and ice["bad checks"] == 0, ice
    finally:
        loop.run_until_complete(web.close())
        phone.close()


def test_webrtc_side_ipv6(daemon_factory, loop):
    """The agent on IPv6, the phone on IPv4: rtprelay's candidate is its IPv6
    interface address, checks answered with an IPv6 XOR-MAPPED-ADDRESS, media
    crosses the families. Two logical interfaces of one family each (with
    one of both families, test_ice_family.py, candidates of both are given)."""
    d = daemon_factory("--interface=v4/127.0.0.1", "--interface=v6/::1")
    web = loop.run_until_complete(WebRtcSide("::1").gather())
    phone = Phone(pts=(0,))
    try:
        with d.ng() as ng:
            sdp, target = rtprelay_answers(ng, loop, "ice-v6", web, phone,
                                           **{"address-family": "IP4"})
            assert ice_lines(sdp)["cands"][0].split()[4] == "::1", sdp
            assert target[0] == "127.0.0.1"
            media_both_ways(loop, web, phone, target)
            st = stream_ice(ng, "ice-v6", "web")
            assert st["state"] == "nominated" and st["bad checks"] == 0, st
    finally:
        loop.run_until_complete(web.close())
        phone.close()


def test_force_relay_media_through_relay_candidate(ng, loop):
    """ICE=force-relay in the answer to the agent: the agent sees rtprelay's
    relay candidate only, nominates it, and media flows both ways through it."""
    web = loop.run_until_complete(WebRtcSide().gather())
    phone = Phone(pts=(0,))
    try:
        r = ng.offer("ice-relay", "web", web.sdp(), ICE="remove", **{"rtcp-mux": ["demux"]})
        assert r["result"] == "ok", r
        a = ng.answer("ice-relay", "web", "phone", phone.sdp(), ICE="force-relay")
        assert a["result"] == "ok" and "warning" not in a, a
        check_relay_candidates(a["sdp"], mux=True)
        loop.run_until_complete(web.take_remote(a["sdp"]))
        loop.run_until_complete(web.connect())
        media_both_ways(loop, web, phone, relay_targets(r["sdp"])[0][:2])
        ice = stream_ice(ng, "ice-relay", "web")
        assert ice["state"] == "nominated" and ice["role"] == "lite", ice
    finally:
        loop.run_until_complete(web.close())
        phone.close()


def test_rtprelay_offers_to_webrtc(ng, loop):
    web = loop.run_until_complete(WebRtcSide().gather())
    phone = Phone(pts=(0,))
    try:
        r = ng.offer("ice-off", "phone", phone.sdp(), ICE="force",
                     **{"rtcp-mux": ["require"], "flags": ["trickle-ICE"]})
        assert r["result"] == "ok", r
        ice = check_relay_ice(r["sdp"], mux=True)
        assert ice["options"] == "trickle"
        loop.run_until_complete(web.take_remote(r["sdp"]))
        a = ng.answer("ice-off", "phone", "web", web.sdp())
        assert a["result"] == "ok", a
        # the phone offered no ICE: its answer has none, whatever the agent sent
        assert "a=candidate" not in a["sdp"] and "a=ice-" not in a["sdp"], a["sdp"]
        loop.run_until_complete(web.connect())
        media_both_ways(loop, web, phone, relay_targets(a["sdp"])[0][:2])
        ice = stream_ice(ng, "ice-off", "web")
        assert ice["state"] == "nominated" and ice["bad checks"] == 0, ice
    finally:
        loop.run_until_complete(web.close())
        phone.close()


def test_bad_credentials_never_latch(ng, loop):
    web = loop.run_until_complete(WebRtcSide().gather())
    phone = Phone(pts=(0,))
    attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attacker.bind(("127.0.0.1", 0))
    try:
        sdp, target = rtprelay_answers(ng, loop, "ice-bad", web, phone)
        ice = ice_lines(sdp)
        relay = relay_targets(sdp)[0][:2]
        ours = ice["ufrag"] + ":" + web.conn.local_username
        good_key = ice["pwd"].encode()
        # wrong password, wrong local ufrag, wrong remote ufrag, no FINGERPRINT
        assert bad_check(relay, ours, b"not-the-password-at-all", source=attacker) is None
        assert bad_check(relay, "XXXXXXXX:" + web.conn.local_username, good_key,
                         source=attacker) is None
        assert bad_check(relay, ice["ufrag"] + ":nope", good_key, source=attacker) is None
        assert bad_check(relay, ours, good_key, fingerprint=False, source=attacker) is None
        # RTP from the attacker is not forwarded either
        attacker.sendto(rtp(1, 0xbad), relay)
        attacker.sendto(rtp(2, 0xbad), relay)
        attacker.sendto(rtp(3, 0xbad), relay)
        st = stream_ice(ng, "ice-bad", "web")
        assert st["bad checks"] == 4 and st["state"] == "nominated", st
        # media still goes to the nominated pair, both ways
        media_both_ways(loop, web, phone, target)
        phone.rtp_socks[0].settimeout(0.3)
        try:
            while True:
                assert parse_rtp(phone.rtp_socks[0].recvfrom(2048)[0])[2] != 0xbad
        except socket.timeout:
            pass
        # a good check from the same address is answered (the checks above
        # failed for their credentials, not their source)
        answer = bad_check(relay, ours, good_key, source=attacker)
        assert answer is not None
        msg = stun.parse_message(answer, integrity_key=good_key)
        assert msg.message_class == stun.Class.RESPONSE
        assert msg.attributes["XOR-MAPPED-ADDRESS"] == attacker.getsockname()
    finally:
        attacker.close()
        loop.run_until_complete(web.close())
        phone.close()


def test_consent_answered_past_30s(ng, loop, monkeypatch):
    """The agent's consent checks (RFC 7675, here every ~1 s instead of ~5 s) are
    answered for the whole call; 32 s into it the last check was just answered, the
    agent has not given up, and media still flows."""
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 1)
    web = loop.run_until_complete(WebRtcSide().gather())
    phone = Phone(pts=(0,))
    try:
        start = time.monotonic()
        _, target = rtprelay_answers(ng, loop, "ice-consent", web, phone)
        before = stream_ice(ng, "ice-consent", "web")["checks"]
        loop.run_until_complete(asyncio.sleep(32 - (time.monotonic() - start)))
        st = stream_ice(ng, "ice-consent", "web")
        assert time.monotonic() - start >= 32
        assert st["checks"] - before >= 20, st
        assert st["last check ms ago"] < 2500 and st["bad checks"] == 0, st
        assert web.conn._query_consent_handle is not None  # consent not expired
        media_both_ways(loop, web, phone, target)
    finally:
        loop.run_until_complete(web.close())
        phone.close()


def test_ice_restart_and_trickle(ng, loop):
    web = loop.run_until_complete(WebRtcSide().gather())
    phone = Phone(pts=(0,))
    web2 = None
    try:
        first, target = rtprelay_answers(ng, loop, "ice-rs", web, phone)
        old = ice_lines(first)
        # a re-offer with the same ufrag and a trickled candidate: no restart
        extra = "a=candidate:9 1 udp 1 192.0.2.9 9 typ host"
        r = ng.offer("ice-rs", "web", web.sdp(version=2, extra=(extra,), eoc=False),
                     ICE="remove", **{"rtcp-mux": ["demux"]})
        assert r["result"] == "ok", r
        a = ng.answer("ice-rs", "web", "phone", phone.sdp(version=2))
        assert a["result"] == "ok", a
        same = ice_lines(a["sdp"])
        assert (same["ufrag"], same["pwd"]) == (old["ufrag"], old["pwd"])
        media_both_ways(loop, web, phone, target)
        # a new agent (new ufrag and port): an ICE restart, new credentials
        web2 = loop.run_until_complete(WebRtcSide().gather())
        r = ng.offer("ice-rs", "web", web2.sdp(version=3), ICE="remove",
                     **{"rtcp-mux": ["demux"]})
        assert r["result"] == "ok", r
        a = ng.answer("ice-rs", "web", "phone", phone.sdp(version=3))
        assert a["result"] == "ok", a
        new = check_relay_ice(a["sdp"])
        assert new["ufrag"] != old["ufrag"] and new["pwd"] != old["pwd"]
        relay = relay_targets(a["sdp"])[0][:2]
        # the old credentials are refused now
        assert bad_check(relay, old["ufrag"] + ":" + web.conn.local_username,
                         old["pwd"].encode()) is None
        loop.run_until_complete(web2.take_remote(a["sdp"]))
        loop.run_until_complete(web2.connect())
        media_both_ways(loop, web2, phone, target)
        st = stream_ice(ng, "ice-rs", "web")
        assert st["state"] == "nominated" and st["bad checks"] >= 1, st
    finally:
        loop.run_until_complete(web.close())
        if web2:
            loop.run_until_complete(web2.close())
        phone.close()


ICE_SDP = sdp_offer(port=5000, extra_media_lines=(
    "a=ice-ufrag:Ab12", "a=ice-pwd:0123456789abcdefghijkl",
    "a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host",
    "a=candidate:2 1 udp 1694498815 198.51.100.1 6000 typ srflx raddr 192.0.2.1 rport 5000"))


@pytest.mark.parametrize("value,with_ice,ours", [
    ("remove", True, False), ("force", True, True), ("default", True, True),
    ("optional", True, True), (None, True, True), ("force-relay", True, True),
    ("force-relay", False, True),
    ("remove", False, False), ("force", False, True), ("default", False, False),
    ("optional", False, True), (None, False, False),
])
def test_sdp_per_ice_flag(ng, value, with_ice, ours):
    kw = {"ICE": value} if value else {}
    r = ng.offer("flag-%s-%s" % (value, with_ice), "A", ICE_SDP if with_ice else sdp_offer(),
                 **kw)
    assert r["result"] == "ok", r
    sdp = r["sdp"]
    # the party's own ICE lines never pass
    assert "Ab12" not in sdp and "192.0.2.1 5000" not in sdp and "198.51.100.1" not in sdp
    if ours and value == "force-relay":
        check_relay_candidates(sdp)
    elif ours:
        check_relay_ice(sdp, mux=False)
        assert ice_lines(sdp)["cands"][1].split()[1] == "2"
    else:
        assert "a=ice-" not in sdp and "a=candidate" not in sdp, sdp
    assert "force-relay" not in r.get("warning", ""), r


def check_relay_candidates(sdp, mux=False):
    """ICE=force-relay: rtprelay's own candidates (lite, its credentials),
    one per component, typ relay with relay priority (type preference 0),
    raddr/rport its own address, at the address and ports of the m= line."""
    ice = ice_lines(sdp)
    addr, port, rtcp_port = relay_targets(sdp)[0]
    assert ice["lite"] and ice["eoc"] and len(ice["ufrag"]) == 8, sdp
    assert len(ice["cands"]) == (1 if mux else 2), sdp
    for comp, c in enumerate(ice["cands"], 1):
        f = c.split()
        want_port = port if comp == 1 else rtcp_port
        assert f[1] == str(comp) and f[2] == "UDP" and f[4] == addr, sdp
        assert int(f[5]) == want_port and f[6:8] == ["typ", "relay"], sdp
        assert int(f[3]) >> 24 == 0, sdp  # type preference 0: relay
        assert f[8:12] == ["raddr", addr, "rport", str(want_port)], sdp
    return ice


@pytest.mark.parametrize("answer_ice", [None, "force"])
def test_reject_ice(ng, answer_ice):
    """reject-ICE with the offer: the answer to the offerer carries no ICE (as
    ICE=remove in the answer), unless the answer says ICE=force."""
    cid = "reject-%s" % answer_ice
    r = ng.offer(cid, "A", ICE_SDP, flags=["reject-ICE"], ICE="remove")
    assert r["result"] == "ok" and "warning" not in r, r
    kw = {"ICE": answer_ice} if answer_ice else {}
    a = ng.answer(cid, "A", "B", sdp_offer(port=6000), **kw)
    assert a["result"] == "ok", a
    if answer_ice:
        check_relay_ice(a["sdp"], mux=False)
    else:
        assert "a=ice-" not in a["sdp"] and "a=candidate" not in a["sdp"], a["sdp"]
    # without reject-ICE the same offer is answered with ICE
    r = ng.offer(cid + "-no", "A", ICE_SDP, ICE="remove")
    a = ng.answer(cid + "-no", "A", "B", sdp_offer(port=6002))
    check_relay_ice(a["sdp"], mux=False)


def test_hostile_candidate_refused(ng):
    for bad, why in (("1694498815", "99999999999"), "bad priority"), \
                    (("5000 typ host", "5000 host"), "too few fields"):
        r = ng.offer("hostile", "A", ICE_SDP.replace(*bad))
        assert r["result"] == "error", r
        assert r["error-reason"].startswith("Failed to parse SDP: line ") and \
            r["error-reason"].endswith(why), r
        assert ng.request({"command": "list"})["calls"] == []


def test_webrtc_flag_offers_dtls(ng):
    """WebRTC (rtpengine's alias): UDP/TLS/RTP/SAVPF with DTLS-SRTP, ICE, rtcp-mux,
    a=mid, no a=rtcp, no SDES."""
    r = ng.offer("webrtc", "A", sdp_offer(), flags=["WebRTC"])
    assert r["result"] == "ok", r
    sdp = r["sdp"]
    for want in (" UDP/TLS/RTP/SAVPF ", "a=setup:actpass", "a=fingerprint:sha-256 ",
                 "a=ice-ufrag:", "a=rtcp-mux", "a=mid:1", "a=ice-options:trickle"):
        assert want in sdp, (want, sdp)
    assert "a=crypto" not in sdp and "a=rtcp:" not in sdp, sdp
