"""SDES-SRTP through rtprelayd with real packets (daemon/sdes.c, dataplane/dp_srtp.c).

    phone A (SRTP, its key KA) ──SRTP──▶ relay ──RTP──▶ phone B (plain)
            ◀─SRTP (relay's key KR)─────        ◀──RTP──

The phones encrypt and decrypt with pylibsrtp (tests/integration/srtp_peer.py),
which shares no code with rtprelay. rtprelay answers each SRTP party with one
a=crypto line on a tag the party offered, with a key of its own, fresh per leg.
"""

import pytest

from dp_media import Phone, drain, parse_rtp, relay_targets, rtp, rtcp_rr
from srtp_peer import (DEFAULT_SUITES, SUITES, Srtp, crypto_line, crypto_lines, new_key)

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def savp(phone, lines, proto="RTP/SAVP"):
    sdp = phone.sdp().replace("RTP/AVP", proto)
    return sdp.replace("a=sendrecv", "\r\n".join(list(lines) + ["a=sendrecv"]))


class SrtpPhone(Phone):
    """A phone that offers (or answers) one suite with its own key."""

    def __init__(self, suite="AES_CM_128_HMAC_SHA1_80", tag=1, **kw):
        super().__init__(**kw)
        self.suite, self.tag, self.key = suite, tag, new_key(suite)
        self.tx = Srtp(suite, self.key, outbound=True)
        self.rx = None

    def line(self):
        return crypto_line(self.tag, self.suite, self.key)

    def sdp_savp(self, proto="RTP/SAVP"):
        return savp(self, [self.line()], proto)

    def learn(self, sdp):
        """The relay's key for this phone, from the one a=crypto line it got."""
        lines = crypto_lines(sdp)
        assert len(lines) == 1, sdp
        tag, suite, key, _ = lines[0]
        assert (tag, suite) == (self.tag, self.suite), lines
        self.rx = Srtp(suite, key, outbound=False)
        self.relay_key = key
        return key

    def send_srtp(self, target, n=1, tamper=False):
        plain = []
        for _ in range(n):
            p = rtp(self.seq[0], self.ssrc[0], 0)
            self.seq[0] = (self.seq[0] + 1) & 0xffff
            s = self.tx.protect(p)
            if tamper:
                s = s[:-1] + bytes([s[-1] ^ 0x01])
            self.rtp_socks[0].sendto(s, target)
            plain.append(p)
        return plain

    def recv_plain(self, limit=3.0):
        return [self.rx.unprotect(d) for d, _ in drain(self.rtp_socks[0], limit=limit)]


def rtp_stats(ng, cid, tag):
    return ng.query(cid)["tags"][tag]["medias"][0]["streams"][0]


def sdes_to_plain(ng, cid, a, b=None, **offer_kw):
    b = b or Phone()
    r = ng.offer(cid, "A", a.sdp_savp(), **{"transport-protocol": "RTP/AVP", **offer_kw})
    assert r["result"] == "ok", r
    assert "RTP/AVP " in r["sdp"] and "a=crypto" not in r["sdp"], r["sdp"]
    r2 = ng.answer(cid, "A", "B", b.sdp())
    assert r2["result"] == "ok", r2
    assert "RTP/SAVP " in r2["sdp"], r2["sdp"]
    kr = a.learn(r2["sdp"])
    assert kr != a.key
    return relay_targets(r2["sdp"])[0], relay_targets(r["sdp"])[0]


def test_sdes_to_plain_both_ways(daemon):
    a, b = SrtpPhone(), Phone()
    with daemon.ng() as ng:
        (addr_a, rtp_a, _), (addr_b, rtp_b, _) = sdes_to_plain(ng, "s-p", a, b)
        sent = a.send_srtp((addr_a, rtp_a), 20)
        assert [d for d, _ in drain(b.rtp_socks[0])] == sent
        back = b.send_rtp(0, (addr_b, rtp_b), 15)
        assert a.recv_plain() == back
        st = rtp_stats(ng, "s-p", "A")
        assert st["crypto suite"] == "AES_CM_128_HMAC_SHA1_80"
        assert st["stats"]["packets"] == 20 and st["stats"]["SRTP auth failed"] == 0
        assert "user space" in st["not offloaded"]
        assert "SDES" in ng.query("s-p")["tags"]["A"]["medias"][0]["flags"]
        plain = rtp_stats(ng, "s-p", "B")
        assert "crypto suite" not in plain
        assert plain["not offloaded"] == "forwards into SRTP, encrypted in user space"


def plain_to_sdes(ng, cid, a, b_suite="AES_CM_128_HMAC_SHA1_80", **offer_kw):
    """Plain A offers, rtprelay offers B every suite with keys of its own; B answers
    one. Returns (B's phone, targets for A, targets for B)."""
    r = ng.offer(cid, "A", a.sdp(), **{"transport-protocol": "RTP/SAVP", **offer_kw})
    assert r["result"] == "ok", r
    offered = crypto_lines(r["sdp"])
    assert "RTP/SAVP " in r["sdp"]
    mine = [o for o in offered if o[1] == b_suite]
    assert len(mine) == 1, offered
    b = SrtpPhone(b_suite, tag=mine[0][0])
    b.rx = Srtp(b_suite, mine[0][2], outbound=False)
    r2 = ng.answer(cid, "A", "B", b.sdp_savp())
    assert r2["result"] == "ok", r2
    assert "a=crypto" not in r2["sdp"] and "RTP/AVP " in r2["sdp"]
    return b, offered, relay_targets(r2["sdp"])[0], relay_targets(r["sdp"])[0]


def test_plain_to_sdes_both_ways(daemon):
    a = Phone()
    with daemon.ng() as ng:
        b, offered, (addr_a, rtp_a, _), (addr_b, rtp_b, _) = plain_to_sdes(ng, "p-s", a)
        # every suite libsrtp does, one fresh key each, distinct tags
        assert [o[1] for o in offered] == DEFAULT_SUITES
        assert len({o[0] for o in offered}) == len(offered)
        assert len({o[2] for o in offered}) == len(offered)
        sent = a.send_rtp(0, (addr_a, rtp_a), 10)
        assert b.recv_plain() == sent
        back = b.send_srtp((addr_b, rtp_b), 12)
        assert [d for d, _ in drain(a.rtp_socks[0])] == back


@pytest.mark.parametrize("suite", list(SUITES))
def test_sdes_to_sdes_every_suite_recrypted(daemon, suite):
    """A and B both SRTP with the same suite: each leg has its own keys; what B
    receives was decrypted with A's key and encrypted with the relay's key for B."""
    a = SrtpPhone(suite)
    with daemon.ng() as ng:
        r = ng.offer("ss", "A", a.sdp_savp(), flags=["SDES-only-" + suite])
        assert r["result"] == "ok", r
        offered = crypto_lines(r["sdp"])
        assert [(o[0], o[1]) for o in offered] == [(1, suite)]
        assert offered[0][2] != a.key
        b = SrtpPhone(suite)
        b.rx = Srtp(suite, offered[0][2], outbound=False)
        r2 = ng.answer("ss", "A", "B", b.sdp_savp())
        assert r2["result"] == "ok", r2
        kr = a.learn(r2["sdp"])
        assert len({kr, a.key, b.key, offered[0][2]}) == 4
        (addr_a, rtp_a, _), (addr_b, rtp_b, _) = relay_targets(r2["sdp"])[0], \
            relay_targets(r["sdp"])[0]
        sent = a.send_srtp((addr_a, rtp_a), 10)
        assert b.recv_plain() == sent
        back = b.send_srtp((addr_b, rtp_b), 10)
        assert a.recv_plain() == back
        assert rtp_stats(ng, "ss", "B")["crypto suite"] == suite


def test_srtp_callee_media_before_answer_awaits_keys(daemon):
    """A plain caller, an SRTP callee offered the relay's keys: a callee that sends
    as soon as it answers (baresip does) reaches the relay before the proxy has passed
    its answer on, so the relay cannot check it yet. Those packets are dropped (never
    forwarded unauthenticated) and counted as `SRTP awaiting keys`, not as
    `SRTP errors`; once the answer keys the leg the callee's media flows and nothing
    more is counted."""
    a = Phone()
    with daemon.ng() as ng:
        r = ng.offer("early", "A", a.sdp(), **{"transport-protocol": "RTP/SAVP"})
        assert r["result"] == "ok", r
        offered = crypto_lines(r["sdp"])
        suite = "AES_CM_128_HMAC_SHA1_80"
        mine = [o for o in offered if o[1] == suite]
        b = SrtpPhone(suite, tag=mine[0][0])
        b.rx = Srtp(suite, mine[0][2], outbound=False)
        addr_b, rtp_b, _ = relay_targets(r["sdp"])[0]
        b.send_srtp((addr_b, rtp_b), 3)
        assert drain(a.rtp_socks[0], limit=1.0) == []
        r2 = ng.answer("early", "A", "B", b.sdp_savp())
        assert r2["result"] == "ok", r2
        sent = b.send_srtp((addr_b, rtp_b), 4)
        assert [d for d, _ in drain(a.rtp_socks[0])] == sent
        st = rtp_stats(ng, "early", "B")["stats"]
        assert st["SRTP awaiting keys"] == 3, st
        assert st["SRTP errors"] == 0 and st["SRTP auth failed"] == 0, st
        assert st["packets"] == 4, st


def stun_binding_request():
    """A bare RFC 5389 binding request (no attributes), as Linphone sends to the
    relay's RTP and RTCP ports when its stream starts."""
    return bytes([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]) + bytes(range(12))


def test_stun_without_ice_on_srtp_leg_is_no_srtp_error(daemon):
    """A party that does no ICE with the relay still sends STUN binding requests
    (RFC 7983 first byte 0..3) to the relay's SRTP port: they are dropped and counted
    with the other drops, never handed to libsrtp as SRTP (no `SRTP errors`), never
    forwarded; the party's SRTP around them passes."""
    a, b = SrtpPhone(), Phone()
    with daemon.ng() as ng:
        (addr_a, rtp_a, rtcp_a), _ = sdes_to_plain(ng, "stun", a, b)
        good1 = a.send_srtp((addr_a, rtp_a), 2)
        a.rtp_socks[0].sendto(stun_binding_request(), (addr_a, rtp_a))
        a.rtp_socks[0].sendto(stun_binding_request(), (addr_a, rtcp_a))
        good2 = a.send_srtp((addr_a, rtp_a), 2)
        assert [d for d, _ in drain(b.rtp_socks[0])] == good1 + good2
        assert drain(b.rtcp_socks[0], limit=1.0) == []
        streams = ng.query("stun")["tags"]["A"]["medias"][0]["streams"]
        for s in streams:
            assert s["stats"]["SRTP errors"] == 0, streams
            assert s["stats"]["dropped other"] == 1, streams
        assert streams[0]["stats"]["forwarded"] == 4, streams


def test_tampered_packet_dropped_counted_next_passes(daemon):
    a, b = SrtpPhone(), Phone()
    with daemon.ng() as ng:
        (addr_a, rtp_a, _), _ = sdes_to_plain(ng, "tamper", a, b)
        good1 = a.send_srtp((addr_a, rtp_a), 3)
        a.send_srtp((addr_a, rtp_a), 2, tamper=True)
        good2 = a.send_srtp((addr_a, rtp_a), 3)
        # a plain packet on the SRTP leg is no better than a forged one
        a.rtp_socks[0].sendto(rtp(a.seq[0], a.ssrc[0]), (addr_a, rtp_a))
        assert [d for d, _ in drain(b.rtp_socks[0])] == good1 + good2
        st = rtp_stats(ng, "tamper", "A")["stats"]
        assert st["SRTP auth failed"] == 3
        assert st["packets"] == 6 and st["forwarded"] == 6
        # a fresh valid packet after the forged ones still passes
        a.rtp_socks[0].sendto(a.tx.protect(rtp(a.seq[0], a.ssrc[0])), (addr_a, rtp_a))
        assert len(drain(b.rtp_socks[0])) == 1


def test_replayed_packet_dropped_counted(daemon):
    """The same valid SRTP packet sent twice (RFC 3711 3.3.2 replay list): the
    first is forwarded, the second is dropped and counted as `SRTP replayed`, not
    as an authentication failure."""
    a, b = SrtpPhone(), Phone()
    with daemon.ng() as ng:
        (addr_a, rtp_a, _), _ = sdes_to_plain(ng, "replay", a, b)
        a.seq[0] = 100
        first = a.send_srtp((addr_a, rtp_a), 3)  # seq 100..102
        held = rtp(a.seq[0], a.ssrc[0])  # seq 103, kept to be sent again
        wire = a.tx.protect(held)
        a.rtp_socks[0].sendto(wire, (addr_a, rtp_a))
        a.rtp_socks[0].sendto(wire, (addr_a, rtp_a))  # the replay
        a.rtp_socks[0].sendto(wire, (addr_a, rtp_a))  # and again
        a.seq[0] = 104
        after = a.send_srtp((addr_a, rtp_a), 2)
        assert [d for d, _ in drain(b.rtp_socks[0])] == first + [held] + after
        st = rtp_stats(ng, "replay", "A")["stats"]
        assert st["SRTP replayed"] == 2, st
        assert st["SRTP auth failed"] == 0, st
        assert st["forwarded"] == 6, st


def test_rollover_across_65535(daemon):
    a, b = SrtpPhone(), Phone()
    a.seq[0] = 65530
    with daemon.ng() as ng:
        (addr_a, rtp_a, _), (addr_b, rtp_b, _) = sdes_to_plain(ng, "roc", a, b)
        sent = a.send_srtp((addr_a, rtp_a), 12)  # 65530 .. 65535, 0 .. 5: ROC 0 -> 1
        assert [parse_rtp(p)[1] for p in sent][5:7] == [65535, 0]
        assert [d for d, _ in drain(b.rtp_socks[0])] == sent
        b.seq[0] = 65532
        back = b.send_rtp(0, (addr_b, rtp_b), 10)  # relay encrypts across its own wrap
        assert a.recv_plain() == back
        assert rtp_stats(ng, "roc", "A")["stats"]["SRTP auth failed"] == 0


def test_reinvite_keeping_keys_keeps_rollover(daemon):
    """A re-INVITE with the same a=crypto line: the relay keeps its key for A and the
    contexts, so packets after the wrap still decrypt on both sides."""
    a, b = SrtpPhone(), Phone()
    a.seq[0] = 65533
    with daemon.ng() as ng:
        (addr_a, rtp_a, _), (addr_b, rtp_b, _) = sdes_to_plain(ng, "reinv", a, b)
        b.seq[0] = 65533
        s1 = a.send_srtp((addr_a, rtp_a), 6)
        b1 = b.send_rtp(0, (addr_b, rtp_b), 6)
        assert [d for d, _ in drain(b.rtp_socks[0])] == s1
        assert a.recv_plain() == b1
        rx, key = a.rx, a.relay_key
        # the re-INVITE: same SDP, same key
        r = ng.offer("reinv", "A", a.sdp_savp(), **{"transport-protocol": "RTP/AVP"})
        assert r["result"] == "ok", r
        r2 = ng.answer("reinv", "A", "B", b.sdp())
        assert r2["result"] == "ok", r2
        assert a.learn(r2["sdp"]) == key  # the relay kept its key for A ...
        a.rx = rx  # ... so A keeps its context (its rollover counter is 1 now)
        s2 = a.send_srtp((addr_a, rtp_a), 5)
        b2 = b.send_rtp(0, (addr_b, rtp_b), 5)
        assert [d for d, _ in drain(b.rtp_socks[0])] == s2
        assert a.recv_plain() == b2
        assert rtp_stats(ng, "reinv", "A")["stats"]["SRTP auth failed"] == 0


def test_srtcp_separate_port_and_mux(daemon):
    with daemon.ng() as ng:
        for mux in (False, True):
            a, b = SrtpPhone(mux=mux), Phone(mux=mux)
            cid = "rtcp-%d" % mux
            (addr_a, rtp_a, rtcp_a), (addr_b, rtp_b, rtcp_b) = sdes_to_plain(ng, cid, a, b)
            rr = rtcp_rr(a.ssrc[0])
            (a.rtp_socks[0] if mux else a.rtcp_socks[0]).sendto(a.tx.protect_rtcp(rr),
                                                               (addr_a, rtcp_a))
            got = drain(b.rtp_socks[0] if mux else b.rtcp_socks[0])
            assert [d for d, _ in got] == [rr]
            back = rtcp_rr(b.ssrc[0])
            (b.rtp_socks[0] if mux else b.rtcp_socks[0]).sendto(back, (addr_b, rtcp_b))
            got = drain(a.rtp_socks[0] if mux else a.rtcp_socks[0])
            assert [a.rx.unprotect_rtcp(d) for d, _ in got] == [back]
