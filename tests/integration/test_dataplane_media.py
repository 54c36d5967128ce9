"""Real RTP/RTCP through rtprelayd's data plane, calls set up over ng.

    phone A ──RTP/RTCP──▶ relay port for A ─▶ relay port for B ──▶ phone B
            ◀──────────── (same sockets, the other way) ◀──────────

The offer reply's SDP tells B where to send; the answer reply's SDP tells A.
"""

import socket
import time

import pytest

from dp_media import Phone, drain, parse_rtp, relay_targets


def setup_call(ng, cid, a, b, offer_kw=None, answer_kw=None):
    """Offer from A, answer from B; returns (targets for A, targets for B)."""
    r = ng.offer(cid, "A", a.sdp(), **(offer_kw or {}))
    assert r["result"] == "ok", r
    r2 = ng.answer(cid, "A", "B", b.sdp(), **(answer_kw or {}))
    assert r2["result"] == "ok", r2
    return relay_targets(r2["sdp"]), relay_targets(r["sdp"])


def expect(sock, sent, from_port, limit=3.0):
    """Every packet of `sent` arrives at sock, in order, from the relay's from_port."""
    got = drain(sock, limit=limit)
    assert [g[0] for g in got] == sent
    assert {g[1][1] for g in got} == {from_port}


def stream_stats(ng, cid, tag, media=0):
    streams = ng.query(cid)["tags"][tag]["medias"][media]["streams"]
    return streams[0], streams[1]


def test_rtp_and_rtcp_both_ways(daemon):
    a, b = Phone(), Phone()
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "dp-basic", a, b)
        (addr_a, rtp_a, rtcp_a), = ta
        (addr_b, rtp_b, rtcp_b), = tb
        # A -> B
        expect(b.rtp_socks[0], a.send_rtp(0, (addr_a, rtp_a), 30), rtp_b)
        expect(b.rtcp_socks[0], [a.send_rtcp(0, (addr_a, rtcp_a))], rtcp_b)
        # B -> A
        expect(a.rtp_socks[0], b.send_rtp(0, (addr_b, rtp_b), 20), rtp_a)
        expect(a.rtcp_socks[0], [b.send_rtcp(0, (addr_b, rtcp_b))], rtcp_a)
        # the counters of A's streams (the sockets A sends to)
        rtp, rtcp = stream_stats(ng, "dp-basic", "A")
        assert rtp["local port"] == rtp_a
        assert rtp["stats"]["packets"] == 30 and rtp["stats"]["bytes"] == 30 * 172
        assert rtcp["stats"]["packets"] == 1 and rtcp["stats"]["bytes"] == 8
        assert rtp["last packet"] >= int(time.time()) - 5
        assert rtp["endpoint"]["port"] == a.port
        rtp, _ = stream_stats(ng, "dp-basic", "B")
        assert rtp["stats"]["packets"] == 20
        st = ng.request({"command": "statistics"})["totalstatistics"]
        assert st["packets"] >= 52 and st["forwarded"] >= 52
        assert ng.delete("dp-basic", **{"delete-delay": 0})["result"] == "ok"
    # after delete the relay's ports are closed: nothing comes back
    a.send_rtp(0, (addr_a, rtp_a), 3)
    assert drain(b.rtp_socks[0], quiet=0.3) == []
    a.close()
    b.close()


def test_several_media(daemon):
    a, b = Phone(nmedia=2), Phone(nmedia=2)
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "dp-multi", a, b)
        assert len(ta) == 2 and len(tb) == 2
        for m in range(2):
            expect(b.rtp_socks[m], a.send_rtp(m, ta[m][:2], 10, pt=0 if m == 0 else 96),
                   tb[m][1])
            expect(a.rtp_socks[m], b.send_rtp(m, tb[m][:2], 10, pt=0 if m == 0 else 96),
                   ta[m][1])
            expect(b.rtcp_socks[m], [a.send_rtcp(m, (ta[m][0], ta[m][2]))], tb[m][2])
        # nothing crossed between media
        for s in a.rtp_socks + b.rtp_socks + a.rtcp_socks + b.rtcp_socks:
            assert drain(s, quiet=0.1) == []
    a.close()
    b.close()


def test_rtcp_mux_to_non_mux(daemon):
    """A muxes RTP+RTCP on one port (RFC 5761); B gets plain RTP and RTCP ports."""
    a, b = Phone(mux=True), Phone()
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "dp-mux", a, b, offer_kw={"rtcp-mux": ["demux", "accept"]})
        (addr_a, port_a, rtcp_a), = ta
        (addr_b, rtp_b, rtcp_b), = tb
        assert rtcp_a == port_a                       # A was told to mux
        assert rtcp_b == rtp_b + 1                    # B was not
        rtp_pkts = a.send_rtp(0, (addr_a, port_a), 5)
        rr = a.send_rtcp(0, (addr_a, port_a))         # RTCP on the muxed port
        expect(b.rtp_socks[0], rtp_pkts, rtp_b)
        expect(b.rtcp_socks[0], [rr], rtcp_b)
        # B's RTCP and RTP both reach A's single port, from A's relay port
        rr_b = b.send_rtcp(0, (addr_b, rtcp_b))
        got = drain(a.rtp_socks[0])
        assert [g[0] for g in got] == [rr_b] and got[0][1][1] == port_a
        expect(a.rtp_socks[0], b.send_rtp(0, (addr_b, rtp_b), 5), port_a)
    a.close()
    b.close()


def test_rtcp_mux_demux_flag(daemon):
    """rtcp-mux-demux alone (Kamailio's flag): the caller offered rtcp-mux and gets it
    accepted in the answer; the callee is offered separate RTCP. Real RTCP crosses
    both ways: the caller's on its single port, the callee's on RTP port + 1."""
    a, b = Phone(mux=True), Phone()
    with daemon.ng() as ng:
        r = ng.offer("dp-demux", "A", a.sdp(), flags=["rtcp-mux-demux"])
        assert r["result"] == "ok", r
        assert "a=rtcp-mux" not in r["sdp"]
        r2 = ng.answer("dp-demux", "A", "B", b.sdp(), flags=["rtcp-mux-demux"])
        assert r2["result"] == "ok", r2
        assert "a=rtcp-mux" in r2["sdp"]
        (addr_a, port_a, rtcp_a), = relay_targets(r2["sdp"])
        (addr_b, rtp_b, rtcp_b), = relay_targets(r["sdp"])
        assert rtcp_a == port_a and rtcp_b == rtp_b + 1
        rr = a.send_rtcp(0, (addr_a, port_a))         # the caller's RTCP, muxed
        expect(b.rtcp_socks[0], [rr], rtcp_b)
        rr_b = b.send_rtcp(0, (addr_b, rtcp_b))       # the callee's, on its RTCP port
        expect(a.rtp_socks[0], [rr_b], port_a)
        assert drain(a.rtcp_socks[0], quiet=0.2) == []
        expect(b.rtp_socks[0], a.send_rtp(0, (addr_a, port_a), 5), rtp_b)
        expect(a.rtp_socks[0], b.send_rtp(0, (addr_b, rtp_b), 5), port_a)
    a.close()
    b.close()


def test_non_mux_to_mux(daemon):
    """A offers no mux, B is offered mux (rtcp-mux-offer) and accepts it."""
    a, b = Phone(), Phone(mux=True)
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "dp-mux2", a, b, offer_kw={"flags": ["rtcp-mux-offer"]})
        (addr_a, rtp_a, rtcp_a), = ta
        (addr_b, port_b, rtcp_b), = tb
        assert rtcp_a == rtp_a + 1
        rr = a.send_rtcp(0, (addr_a, rtcp_a))
        got = drain(b.rtp_socks[0])
        assert [g[0] for g in got] == [rr] and got[0][1][1] == port_b
        rr_b = b.send_rtcp(0, (addr_b, port_b))
        expect(a.rtcp_socks[0], [rr_b], rtcp_a)
        expect(a.rtp_socks[0], b.send_rtp(0, (addr_b, port_b), 5), rtp_a)
    a.close()
    b.close()


def test_reoffer_moves_endpoint(daemon):
    """A re-INVITE moves A to a new port: media to A follows, the old port gets none."""
    a, b = Phone(), Phone()
    a2 = Phone()
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "dp-move", a, b)
        expect(a.rtp_socks[0], b.send_rtp(0, tb[0][:2], 5), ta[0][1])
        r = ng.offer("dp-move", "A", a2.sdp(version=2), **{"to-tag": "B"})
        assert r["result"] == "ok"
        r2 = ng.answer("dp-move", "A", "B", b.sdp(version=2))
        assert r2["result"] == "ok"
        ta2 = relay_targets(r2["sdp"])
        assert ta2[0][1] == ta[0][1]                  # same relay port for A
        expect(a2.rtp_socks[0], b.send_rtp(0, tb[0][:2], 5), ta[0][1])
        assert drain(a.rtp_socks[0], quiet=0.2) == []
        expect(b.rtp_socks[0], a2.send_rtp(0, ta2[0][:2], 5), tb[0][1])
    for p in (a, a2, b):
        p.close()


def test_ipv6(daemon_factory):
    d = daemon_factory("--interface=::1")
    a, b = Phone("::1"), Phone("::1")
    with d.ng() as ng:
        ta, tb = setup_call(ng, "dp-v6", a, b)
        assert ta[0][0] == "::1" and tb[0][0] == "::1"
        expect(b.rtp_socks[0], a.send_rtp(0, ta[0][:2], 10), tb[0][1])
        expect(a.rtp_socks[0], b.send_rtp(0, tb[0][:2], 10), ta[0][1])
        expect(b.rtcp_socks[0], [a.send_rtcp(0, (ta[0][0], ta[0][2]))], tb[0][2])
        rtp, _ = stream_stats(ng, "dp-v6", "A")
        assert rtp["stats"]["packets"] == 10
        assert rtp["endpoint"]["family"] == "IPv6"
    a.close()
    b.close()


def test_ipv4_to_ipv6(daemon_factory):
    """A on IPv4, B on IPv6: the relay bridges the families."""
    d = daemon_factory("--interface=127.0.0.1", "--interface=::1")
    a, b = Phone("127.0.0.1"), Phone("::1")
    with d.ng() as ng:
        ta, tb = setup_call(ng, "dp-46", a, b, offer_kw={"address-family": "IP6"})
        assert tb[0][0] == "::1" and ta[0][0] == "127.0.0.1"
        expect(b.rtp_socks[0], a.send_rtp(0, ta[0][:2], 10), tb[0][1])
        expect(a.rtp_socks[0], b.send_rtp(0, tb[0][:2], 10), ta[0][1])
    a.close()
    b.close()


def test_two_interfaces_direction(daemon_factory):
    """direction=priv,pub: A talks to 127.0.0.1, B to 127.0.0.2; packets to B leave
    from the pub address."""
    d = daemon_factory("--interface=priv/127.0.0.1", "--interface=pub/127.0.0.2")
    a, b = Phone("127.0.0.1"), Phone("127.0.0.2")
    with d.ng() as ng:
        ta, tb = setup_call(ng, "dp-dir", a, b, offer_kw={"direction": ["priv", "pub"]})
        assert ta[0][0] == "127.0.0.1" and tb[0][0] == "127.0.0.2"
        sent = a.send_rtp(0, ta[0][:2], 10)
        got = drain(b.rtp_socks[0])
        assert [g[0] for g in got] == sent
        assert {g[1] for g in got} == {("127.0.0.2", tb[0][1])}
        sent = b.send_rtp(0, tb[0][:2], 10)
        got = drain(a.rtp_socks[0])
        assert [g[0] for g in got] == sent
        assert {g[1] for g in got} == {("127.0.0.1", ta[0][1])}
    a.close()
    b.close()


def test_rtp_statistics_loss(daemon):
    """A sequence gap is forwarded as is (the relay neither waits nor fills)."""
    a, b = Phone(), Phone()
    with daemon.ng() as ng:
        ta, tb = setup_call(ng, "dp-loss", a, b)
        a.send_rtp(0, ta[0][:2], 10)
        a.seq[0] += 5                                 # 5 packets "lost" before the relay
        a.send_rtp(0, ta[0][:2], 10)
        got = drain(b.rtp_socks[0])
        assert len(got) == 20
        seqs = [parse_rtp(g[0])[1] for g in got]
        assert seqs[10] - seqs[9] == 6
        rtp, _ = stream_stats(ng, "dp-loss", "A")
        assert rtp["stats"]["packets"] == 20
        # RFC 3550 A.1/A.3: counting starts at the packet that ends probation
        # (MIN_SEQUENTIAL = 2), so seq 1..24 are expected and 5 of them lost
        assert rtp["stats"]["expected"] == 24
        assert rtp["stats"]["lost"] == 5
        assert rtp["stats"]["forwarded"] == 20
        assert rtp["SSRC"] == a.ssrc[0]
        assert rtp["stats"]["jitter us"] >= 0
    a.close()
    b.close()
