"""Latching through a real NAT: the caller sits behind a namespace that masquerades
(with port remapping), advertises its private address in SDP, and the relay learns
the public address from the caller's RTP/RTCP so that media flows both ways.

    ns dpA<pid> (caller)       ns dpR<pid> (NAT router)             root ns
    10.77.1.2  a0 ====== r0  10.77.1.1
                             10.77.2.1  r1 ====== dpt<pid>  10.77.2.2 (relay, callee)
                             nft: oif r1 udp masquerade to :50000-50999

The root namespace gets `unreachable 10.77.1.0/24` so that, before it latches, the
relay's packets to the private SDP address fail instead of leaving the machine; the
route and both namespaces are removed at the end.
"""

import os
import socket
import time

import pytest

from dp_media import drain, relay_targets, rtcp_rr, rtp
from dp_netns import Netns, sh, veth
from ngclient import sdp_offer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces)")

TAG = os.getpid() % 100000
NAT_RULES = """
table ip dpnat {
    chain post {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "r1" meta l4proto udp masquerade to :50000-50999
    }
}
"""


@pytest.fixture
def nat():
    root_if = "dpt%d" % TAG
    with Netns("dpA%d" % TAG) as nsa, Netns("dpR%d" % TAG) as nsr:
        try:
            veth("a0", nsa.name, "r0", nsr.name)
            veth("r1", nsr.name, root_if, None)
            nsa.run("ip", "addr", "add", "10.77.1.2/24", "dev", "a0")
            nsa.run("ip", "link", "set", "a0", "up")
            nsa.run("ip", "route", "add", "default", "via", "10.77.1.1")
            nsr.run("ip", "addr", "add", "10.77.1.1/24", "dev", "r0")
            nsr.run("ip", "addr", "add", "10.77.2.1/24", "dev", "r1")
            nsr.run("ip", "link", "set", "r0", "up")
            nsr.run("ip", "link", "set", "r1", "up")
            nsr.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
            nsr.run("nft", "-f", "-", stdin=NAT_RULES)
            sh("ip", "addr", "add", "10.77.2.2/24", "dev", root_if)
            sh("ip", "link", "set", root_if, "up")
            sh("ip", "route", "add", "unreachable", "10.77.1.0/24")
            yield nsa, nsr
        finally:
            sh("ip", "route", "del", "unreachable", "10.77.1.0/24", check=False)
            sh("ip", "link", "del", root_if, check=False)


def even_pair(make):
    """Two sockets on ports P (even) and P+1 from make(port)."""
    for base in range(42000, 43000, 2):
        try:
            s0 = make(base)
        except OSError:
            continue
        try:
            return s0, make(base + 1), base
        except OSError:
            s0.close()
    raise RuntimeError("no port pair")


def test_caller_behind_nat_latches(nat, daemon_factory):
    nsa, _ = nat
    d = daemon_factory("--interface=10.77.2.2")
    a_rtp, a_rtcp, pa = even_pair(lambda p: nsa.socket(socket.AF_INET, ("10.77.1.2", p)))

    def root_sock(p):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("10.77.2.2", p))
        except OSError:
            s.close()
            raise
        s.settimeout(1.0)
        return s

    b_rtp, b_rtcp, pb = even_pair(root_sock)
    with d.ng() as ng:
        r = ng.offer("nat1", "A", sdp_offer(addr="10.77.1.2", port=pa))
        assert r["result"] == "ok", r
        (addr_b, rtp_b, rtcp_b), = relay_targets(r["sdp"])
        r2 = ng.answer("nat1", "A", "B", sdp_offer(addr="10.77.2.2", port=pb))
        assert r2["result"] == "ok", r2
        (addr_a, rtp_a, rtcp_a), = relay_targets(r2["sdp"])
        assert addr_a == addr_b == "10.77.2.2"

        # The callee talks first: the relay can only try the private address.
        for i in range(3):
            b_rtp.sendto(rtp(i, 0xb), (addr_b, rtp_b))
        assert drain(a_rtp, quiet=0.3) == []

        # The caller talks through the NAT (RTP and RTCP): the callee hears it ...
        sent = [rtp(100 + i, 0xa) for i in range(10)]
        for p in sent:
            a_rtp.sendto(p, (addr_a, rtp_a))
            time.sleep(0.02)
        got = drain(b_rtp)
        assert [g[0] for g in got] == sent
        assert {g[1] for g in got} == {("10.77.2.2", rtp_b)}
        a_rtcp.sendto(rtcp_rr(0xa), (addr_a, rtcp_a))
        assert [g[0] for g in drain(b_rtcp)] == [rtcp_rr(0xa)]

        # ... and the relay has learned where the caller really is.
        rtp_st, rtcp_st = ng.query("nat1")["tags"]["A"]["medias"][0]["streams"]
        assert rtp_st["advertised endpoint"]["address"] == "10.77.1.2"
        assert rtp_st["endpoint"]["address"] == "10.77.2.1"
        assert 50000 <= rtp_st["endpoint"]["port"] <= 50999
        assert rtcp_st["endpoint"]["address"] == "10.77.2.1"
        assert "confirmed" in rtp_st["flags"]

        # So the callee's media now reaches the caller, from the caller's relay port.
        sent = [rtp(10 + i, 0xb) for i in range(10)]
        for p in sent:
            b_rtp.sendto(p, (addr_b, rtp_b))
        got = drain(a_rtp)
        assert [g[0] for g in got] == sent
        assert {g[1] for g in got} == {("10.77.2.2", rtp_a)}
        b_rtcp.sendto(rtcp_rr(0xb), (addr_b, rtcp_b))
        got = drain(a_rtcp)
        assert [g[0] for g in got] == [rtcp_rr(0xb)]
        assert got[0][1] == ("10.77.2.2", rtcp_a)
        assert ng.delete("nat1", **{"delete-delay": 0})["result"] == "ok"
    for s in (a_rtp, a_rtcp, b_rtp, b_rtcp):
        s.close()
