"""The second address family's ICE sockets are opened only where the party may use
them (daemon/ice_family.h, docs/architecture.md ICE): a party whose candidates name
one family gets no socket of the other (counted in `statistics` ports, named in
`query`); a later candidate of the other family (a re-offer's trickled one) opens it
and the next SDP advertises it, and media flows through it; a party that rules the
family out (a=end-of-candidates, an ICE restart without it) gives the ports back; a
party rtprelay has not heard from gets both. On transcoded media, what arrives on the
second family is transcoded like what arrives on the first (Opus in over ::1, PCMU
out to the plain phone, decoded and compared). A takeover carries the open second
pair and its nomination to the successor."""

import asyncio
import os
import socket
import tempfile
import time

import numpy as np
import pytest

aioice = pytest.importorskip("aioice")
from aioice import Candidate  # noqa: E402

from dp_media import Phone, relay_targets  # noqa: E402
from ngclient import NgClient  # noqa: E402
from test_ice import ice_lines, media_both_ways, stream_ice  # noqa: E402
from transcode_media import (Opus, Pcmu, Stream, decode_stream,  # noqa: E402
                             direct_round_trip, phone_sdp, pt_of, quality, receive_all,
                             udp_pair, ulaw_decode, ulaw_encode, voice)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")

DUAL = ("--interface=127.0.0.1", "--interface=::1")


@pytest.fixture
def loop():
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


def ports_used(ng):
    """Media ports in use over all interfaces (ng statistics)."""
    r = ng.request({"command": "statistics"})
    assert r["result"] == "ok", r
    return r["ports"]["used"]


def families(sdp):
    """The addresses of the candidates in an SDP, in order."""
    return [c.split()[4] for c in ice_lines(sdp)["cands"]]


class Agent:
    """A full ICE agent (aioice, controlling, one component) with host candidates
    on 127.0.0.1 and/or ::1, whose SDP lists the candidates of the families asked
    for (the others still to be trickled)."""

    def __init__(self, loop, v4=True, v6=False, ufrag=None):
        self.loop = loop
        self.conn = aioice.Connection(ice_controlling=True, components=1, use_ipv4=v4,
                                      use_ipv6=v6)
        loop.run_until_complete(self.conn.gather_candidates())
        self.ufrag = ufrag or self.conn.local_username

    def sdp(self, fams=("127.0.0.1", "::1"), version=1, eoc=True,
            formats=((0, "PCMU/8000"),)):
        cands = [c for c in self.conn.local_candidates if c.host in fams]
        first = cands[0].host
        fam = "IP6" if ":" in first else "IP4"
        lines = ["v=0", "o=- 77 %d IN %s %s" % (version, fam, first), "s=-",
                 "c=IN %s %s" % (fam, first), "t=0 0",
                 "m=audio %d RTP/AVP %s" % (cands[0].port, " ".join(str(f[0]) for f in formats))]
        lines += ["a=rtpmap:%d %s" % f for f in formats]
        lines += ["a=ice-ufrag:" + self.ufrag, "a=ice-pwd:" + self.conn.local_password,
                  "a=ice-options:trickle"]
        lines += ["a=candidate:" + c.to_sdp() for c in cands]
        if eoc:
            lines.append("a=end-of-candidates")
        lines += ["a=rtcp-mux", "a=sendrecv"]
        return "\r\n".join(lines) + "\r\n"

    def connect(self, sdp, only=None):
        """Take rtprelay's SDP (its candidates at address @only, or all) and run the
        checks until a pair is nominated."""
        ice = ice_lines(sdp)
        self.conn.remote_username = ice["ufrag"]
        self.conn.remote_password = ice["pwd"]
        self.conn.remote_is_lite = ice["lite"]

        async def go():
            for c in ice["cands"]:
                cand = Candidate.from_sdp(c)
                if only is None or cand.host == only:
                    await self.conn.add_remote_candidate(cand)
            await self.conn.add_remote_candidate(None)
            await asyncio.wait_for(self.conn.connect(), 10.0)
        self.loop.run_until_complete(go())
        return self.conn._nominated[1].remote_candidate

    def close(self):
        self.loop.run_until_complete(self.conn.close())


def agent_offers(ng, cid, web, phone, **kw):
    """The agent offers (its SDP @kw to Agent.sdp); rtprelay's answer to it."""
    r = ng.offer(cid, "web", web.sdp(**kw), ICE="remove", **{"rtcp-mux": ["demux"]})
    assert r["result"] == "ok", r
    a = ng.answer(cid, "web", "phone", phone.sdp(version=kw.get("version", 1)))
    assert a["result"] == "ok", a
    return r["sdp"], a["sdp"]


def test_ipv4_only_agent_gets_no_ipv6_socket(daemon_factory, loop):
    """The agent offers IPv4 candidates only (and a=end-of-candidates): rtprelay's
    answer has one candidate, the call holds two port pairs (the agent's media and
    the phone's) instead of three, query names no other family; media flows; delete
    gives every port back."""
    d = daemon_factory(*DUAL)
    web = Agent(loop, v4=True)
    phone = Phone(pts=(0,))
    try:
        with d.ng() as ng:
            assert ports_used(ng) == 0
            to_phone, to_web = agent_offers(ng, "lazy-1", web, phone)
            assert families(to_web) == ["127.0.0.1"], to_web
            assert ports_used(ng) == 4  # 2 pairs of 2 ports
            assert "other family" not in stream_ice(ng, "lazy-1", "web")
            web.connect(to_web)
            media_both_ways(loop, web, phone, relay_targets(to_phone)[0][:2], n=5)
            assert ng.delete("lazy-1", **{"delete-delay": 0})["result"] == "ok"
            assert ports_used(ng) == 0
    finally:
        web.close()
        phone.close()


def test_later_ipv6_candidate_opens_second_family(daemon_factory, loop):
    """The agent offers its IPv4 candidate first (trickle, no end-of-candidates):
    one family. Its re-offer (same ufrag) adds the trickled ::1 candidate: the
    answer now carries a ::1 candidate on a new port pair, the agent nominates it
    and media flows both ways through it. An ICE restart (new ufrag) listing IPv4
    only gives that pair back; delete the rest."""
    d = daemon_factory(*DUAL)
    web = Agent(loop, v4=True, v6=True)
    phone = Phone(pts=(0,))
    try:
        with d.ng() as ng:
            to_phone, to_web = agent_offers(ng, "lazy-2", web, phone, fams=("127.0.0.1",),
                                            eoc=False)
            assert families(to_web) == ["127.0.0.1"], to_web
            assert ports_used(ng) == 4
            v4_port = relay_targets(to_web)[0][1]
            to_phone, to_web = agent_offers(ng, "lazy-2", web, phone, version=2)
            assert families(to_web) == ["127.0.0.1", "::1"], to_web
            assert relay_targets(to_web)[0][1] == v4_port  # the first pair stays
            assert ports_used(ng) == 6
            cand = web.connect(to_web, only="::1")
            assert cand.host == "::1"
            media_both_ways(loop, web, phone, relay_targets(to_phone)[0][:2], n=5)
            ice = stream_ice(ng, "lazy-2", "web")
            assert ice["nominated family"] == "IPv6", ice
            assert ice["other family"]["state"] == "nominated", ice
            # an ICE restart whose candidates are IPv4 only
            web.ufrag = "restart1"
            _, to_web = agent_offers(ng, "lazy-2", web, phone, fams=("127.0.0.1",),
                                     version=3, eoc=False)
            assert families(to_web) == ["127.0.0.1"], to_web
            assert ports_used(ng) == 4
            assert "other family" not in stream_ice(ng, "lazy-2", "web")
            assert ng.delete("lazy-2", **{"delete-delay": 0})["result"] == "ok"
            assert ports_used(ng) == 0
    finally:
        web.close()
        phone.close()


@pytest.mark.parametrize("eoc", [True, False], ids=["end-of-candidates", "trickle"])
def test_offer_to_unknown_party_then_its_answer(daemon_factory, loop, eoc):
    """rtprelay offers to a party it has not heard from: candidates of both
    families (three pairs). The party answers with IPv4 candidates: with
    a=end-of-candidates it has none of IPv6, and the IPv6 pair is given back; still
    trickling, it may check the ::1 candidate it was given, which stays."""
    d = daemon_factory(*DUAL)
    web = Agent(loop, v4=True)
    phone = Phone(pts=(0,))
    try:
        with d.ng() as ng:
            r = ng.offer("lazy-3", "phone", phone.sdp(), ICE="force",
                         **{"rtcp-mux": ["require"]})
            assert r["result"] == "ok", r
            assert families(r["sdp"]) == ["127.0.0.1", "::1"], r["sdp"]
            assert ports_used(ng) == 6
            a = ng.answer("lazy-3", "phone", "web", web.sdp(eoc=eoc))
            assert a["result"] == "ok", a
            assert ports_used(ng) == (4 if eoc else 6)
            assert ("other family" in stream_ice(ng, "lazy-3", "web")) == (not eoc)
            web.connect(r["sdp"], only="127.0.0.1")
            media_both_ways(loop, web, phone, relay_targets(a["sdp"])[0][:2], n=5)
            # a re-offer to it: the same candidates as its answer allowed
            r2 = ng.offer("lazy-3", "phone", phone.sdp(version=2), ICE="force",
                          **{"rtcp-mux": ["require"]})
            assert r2["result"] == "ok", r2
            assert families(r2["sdp"]) == (["127.0.0.1"] if eoc else ["127.0.0.1", "::1"])
    finally:
        web.close()
        phone.close()


def test_transcoded_media_on_second_family(daemon_factory, loop):
    """A plain phone (PCMU only) offers with Opus to transcode to; an agent with
    only ::1 answers Opus. It nominates rtprelay's ::1 candidate (the second
    family) and sends 3 s of Opus voice there: the phone gets PCMU from rtprelay's
    transcoder, one packet per 20 ms, that decodes to the voice sent."""
    d = daemon_factory(*DUAL)
    web = Agent(loop, v4=False, v6=True)
    sa, ca, a_port = udp_pair()
    try:
        with d.ng() as ng:
            r = ng.offer("lazy-xc", "phone", phone_sdp(a_port, [(0, "PCMU/8000", None)]),
                         ICE="force", codec={"transcode": ["opus"]},
                         **{"rtcp-mux": ["require"]})
            assert r["result"] == "ok", r
            assert "::1" in families(r["sdp"]), r["sdp"]
            pt = pt_of(r["sdp"], "opus")
            assert pt is not None, r["sdp"]
            a = ng.answer("lazy-xc", "phone", "web",
                          web.sdp(formats=((pt, "opus/48000/2"),)))
            assert a["result"] == "ok", a
            assert web.connect(r["sdp"]).host == "::1"
            seconds = 3
            pcm = voice(8000 * seconds)
            stream = Stream(Opus, pt, pcm)

            async def send():
                t0 = time.monotonic()
                for t, pkt in stream.packets:
                    delay = t0 + t - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    await web.conn.send(pkt)
            loop.run_until_complete(send())
            got = receive_all(sa, quiet=0.6, limit=10.0)
            ice = stream_ice(ng, "lazy-xc", "web")
            assert ice["nominated family"] == "IPv6", ice
            assert ice["checks"] == 0, ice  # everything came to the ::1 socket
        out, heads = decode_stream(got, Pcmu, 0)
        assert len(heads) >= seconds * 50 * 0.9, len(heads)
        assert all(h[0] == 0 for h in heads)
        q = quality(pcm, out)
        # the same voice through a fresh Opus encoder/decoder and µ-law, no relay
        direct = quality(pcm, ulaw_decode(ulaw_encode(direct_round_trip(Opus, pcm)).tobytes()))
        print("opus over ::1 -> PCMU: corr %.3f (direct %.3f), %d packets"
              % (q, direct, len(heads)))
        assert q >= direct - 0.12, (q, direct)
        assert np.abs(out).max() > 1000  # audio, not concealment silence
    finally:
        web.close()
        for s in (sa, ca):
            s.close()


def test_takeover_carries_the_second_family(daemon_factory, loop):
    """An agent with only ::1 nominates rtprelay's second-family candidate; a
    successor takes over: it holds the same ::1 port (query), and media goes on
    both ways through it without a new nomination."""
    from test_takeover import Successor
    tmp = tempfile.mkdtemp(prefix="rtprelay-icelazy-")
    path = os.path.join(tmp, "takeover.sock")
    old = daemon_factory(*DUAL, "--takeover-socket=" + path, "--log-level=info")
    web = Agent(loop, v4=False, v6=True)
    phone = Phone(pts=(0,))
    succ = None
    try:
        with old.ng() as ng:
            r = ng.offer("lazy-tko", "phone", phone.sdp(), ICE="force",
                         **{"rtcp-mux": ["require"]})
            assert r["result"] == "ok", r
            a = ng.answer("lazy-tko", "phone", "web", web.sdp())
            assert a["result"] == "ok", a
            assert web.connect(r["sdp"]).host == "::1"
            target = relay_targets(a["sdp"])[0][:2]
            media_both_ways(loop, web, phone, target, n=5)
            before = stream_ice(ng, "lazy-tko", "web")["other family"]
        succ = Successor(old, path, tmp)
        assert old.wait_exit(10) == 0, old.log_text()[-3000:]
        assert "took over 1 calls (0 refused)" in succ.log_text(), succ.log_text()[-3000:]
        with NgClient.udp(("127.0.0.1", old.ng_port)) as ng:
            ice = stream_ice(ng, "lazy-tko", "web")
            assert ice["other family"]["port"] == before["port"], (ice, before)
            assert ice["nominated family"] == "IPv6", ice
            assert ports_used(ng) == 6
            media_both_ways(loop, web, phone, target, n=5)
            assert ng.delete("lazy-tko", **{"delete-delay": 0})["result"] == "ok"
            assert ports_used(ng) == 0
    finally:
        web.close()
        phone.close()
        if succ:
            rc = succ.stop()
            assert rc == 0, succ.log_text()[-3000:]
            log = succ.log_text()
            assert "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]
