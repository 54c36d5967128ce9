"""Redis active/standby (daemon/repl.h) with the calls rtpengine's users report losing
on a failover, and with Redis hung rather than gone. Topology and helpers:
redis_failover.py, test_redis_failover.py (the `env` fixture).

- A WebRTC call (ICE + DTLS-SRTP + rtcp-mux, webrtc_peer.py) nominated and keyed on
  the active: after the failover the standby answers the party's consent checks (same
  ufrag/pwd, no new nomination), sends to the nominated address, and the SRTP of the
  one handshake authenticates both ways (no DTLS datagram, no handshake on the
  standby).
- A forked call (two early branches): both branches' media continue through the
  standby, a delete by via-branch ends that branch only, a delete by to-tag the call
  (and the standby, now the active, deletes its record).
- Redis hung but connected (SIGSTOP): offers, answers and deletes are answered at
  once (each well under 50 ms), media flows, and after SIGCONT Redis holds the calls
  set up meanwhile and not the ones deleted.
"""

import os
import signal
import socket
import time

import pytest

from redis_failover import (A_ADDR, B_ADDR, C_ADDR, Call, Leg, MediaPump, continued,
                            phone_sdp, setup_call)
from test_redis_failover import (dtls_cert_files, env, start_pair, statistics,  # noqa: F401
                                 wait_for)
from dp_media import parse_rtp, relay_targets

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)"),
]


def fail_over(topo, active, standby):
    active.kill()
    topo.move_vip()
    wait_for(lambda: "active now" in standby.log_text(), 10, "the standby to take over")
    return time.monotonic()


def test_failover_carries_webrtc_ice_dtls(env):
    pytest.importorskip("OpenSSL")
    pytest.importorskip("aioice")
    from webrtc_peer import WebRtcPeer
    topo, redis, relays, logdir = env
    crt, key = dtls_cert_files(logdir)
    active, standby = start_pair(topo, redis, relays, logdir,
                                 ("--dtls-certificate=" + crt, "--dtls-private-key=" + key))
    web, phone = Leg(topo, 0), Leg(topo, 0)
    peer = WebRtcPeer(web.sock)
    with topo.ng(A_ADDR) as ng:
        r = ng.offer("fo-web", "A", peer.sdp(), ICE="remove",
                     **{"rtcp-mux": ["demux"], "transport-protocol": "RTP/AVP"})
        assert r["result"] == "ok", r
        a = ng.answer("fo-web", "A", "B", phone_sdp(phone.port, [0]), DTLS="passive")
        assert a["result"] == "ok", a
    peer.take_answer(a["sdp"])
    peer.connect()
    phone.target = relay_targets(r["sdp"])[0][:2]
    web.target, web.tx, web.rx = peer.target, peer.tx, peer.rx
    pump = MediaPump([Call("fo-web", "webrtc", web, phone)])
    pump.start()
    try:
        time.sleep(0.5)
        assert web.arrivals and phone.arrivals, (len(web.arrivals), len(phone.arrivals))

        def restored():
            with topo.ng(B_ADDR) as ng:
                q = ng.query("fo-web")
            if q.get("result") != "ok":
                return False
            st = q["tags"]["A"]["medias"][0]["streams"][0]
            return st.get("DTLS", {}).get("state") == "connected" and "ICE" in st
        wait_for(restored, 15, "the standby to restore the keyed WebRTC call")
        t_active = fail_over(topo, active, standby)
        time.sleep(1.5)
    finally:
        pump.stop()
    for name, rx in (("to the WebRTC party", web), ("to the phone", phone)):
        assert continued(rx, t_active + 0.3), (name, standby.log_text()[-3000:])
    # every datagram the party got authenticated: no DTLS from the standby either
    assert not web.auth_failed, web.auth_failed[:5]
    with topo.ng(B_ADDR) as ng:
        for _ in range(3):
            assert peer.check() == (C_ADDR, web.port)
        st = ng.query("fo-web")["tags"]["A"]["medias"][0]["streams"][0]
        assert st["ICE"]["state"] == "nominated" and st["ICE"]["checks"] >= 3, st["ICE"]
        assert st["ICE"]["bad checks"] == 0, st["ICE"]
        assert st["DTLS"]["state"] == "connected" and st["DTLS"]["handshakes"] == 0, st["DTLS"]
    n_web, n_phone = len(web.arrivals), len(phone.arrivals)
    pump = MediaPump([Call("fo-web", "webrtc", web, phone)])
    pump.start()
    time.sleep(0.5)
    pump.stop()
    assert len(web.arrivals) > n_web + 10 and len(phone.arrivals) > n_phone + 10
    assert not web.auth_failed and not any(d[0] in range(20, 64) for d in peer.stray)


def got_ssrcs(leg, quiet=0.3):
    """SSRCs of the RTP `leg` received until `quiet` s pass without any."""
    out = set()
    leg.sock.settimeout(quiet)
    for _ in range(1000):
        try:
            d = leg.sock.recv(2048)
        except (socket.timeout, BlockingIOError):
            break
        if parse_rtp(d):
            out.add(parse_rtp(d)[2])
    return out


def send(leg, n=5):
    for _ in range(n):
        leg.sock.sendto(leg.packet(), leg.target)


def test_failover_carries_forked_call(env):
    topo, redis, relays, logdir = env
    active, standby = start_pair(topo, redis, relays, logdir)
    a, b1, b2 = Leg(topo, 0), Leg(topo, 0), Leg(topo, 0)
    with topo.ng(A_ADDR) as ng:
        r1 = ng.offer("fo-fork", "A", phone_sdp(a.port, [0]), **{"via-branch": "br-1"})
        r2 = ng.offer("fo-fork", "A", phone_sdp(a.port, [0]), **{"via-branch": "br-2"})
        assert r1["result"] == "ok" and r2["result"] == "ok", (r1, r2)
        s1 = ng.answer("fo-fork", "A", "T1", phone_sdp(b1.port, [0]),
                       **{"via-branch": "br-1", "sip-code": 183})
        s2 = ng.answer("fo-fork", "A", "T2", phone_sdp(b2.port, [0]),
                       **{"via-branch": "br-2", "sip-code": 183})
        assert s1["result"] == "ok" and s2["result"] == "ok", (s1, s2)
    b1.target = relay_targets(r1["sdp"])[0][:2]
    b2.target = relay_targets(r2["sdp"])[0][:2]
    a.target = relay_targets(s2["sdp"])[0][:2]

    def both_branches():
        send(b1)
        send(b2)
        assert got_ssrcs(a) == {b1.ssrc, b2.ssrc}
        send(a)
        assert got_ssrcs(b2) == {a.ssrc} and got_ssrcs(b1, 0.1) == set()

    both_branches()  # latched on the active, then written again (the 1 s re-check)

    def restored():
        with topo.ng(B_ADDR) as ng:
            q = ng.query("fo-fork")
        return q.get("result") == "ok" and set(q["tags"]) == {"A", "T1", "T2"}
    wait_for(restored, 15, "the standby to restore both branches")
    time.sleep(1.5)  # the record with the latched remotes
    fail_over(topo, active, standby)
    both_branches()
    with topo.ng(B_ADDR) as ng:
        tags = ng.query("fo-fork")["tags"]
        assert tags["A"]["in dialogue with"] == "T2", tags["A"]
        r = ng.delete("fo-fork", **{"from-tag": "A", "via-branch": "br-2", "delete-delay": 0})
        assert r["result"] == "ok" and "warning" not in r, r
        tags = ng.query("fo-fork")["tags"]
        assert set(tags) == {"A", "T1"} and tags["A"]["in dialogue with"] == "T1", tags
        send(a)
        assert got_ssrcs(b1) == {a.ssrc} and got_ssrcs(b2, 0.1) == set()
        send(b1)
        assert got_ssrcs(a) == {b1.ssrc}
        r = ng.delete("fo-fork", **{"from-tag": "A", "to-tag": "T1", "delete-delay": 0})
        assert r["result"] == "ok", r
        assert ng.query("fo-fork")["result"] == "error"
    wait_for(lambda: redis.get("rtprelay:call:fo-fork") is None, 10,
             "the new active to delete the ended call's record")


def test_redis_hung_replies_not_delayed(env):
    """redis-server stopped (SIGSTOP) with the active's connection open: every ng
    reply comes at once, media flows; after SIGCONT the records catch up."""
    topo, redis, relays, logdir = env
    active, _ = start_pair(topo, redis, relays, logdir)
    with topo.ng(A_ADDR) as ng:
        c0 = setup_call(topo, ng, "hung-0", "plain")
    wait_for(lambda: redis.get("rtprelay:call:hung-0") is not None, 10, "the first record")
    pump = MediaPump([c0])
    pump.start()
    os.kill(redis.proc.pid, signal.SIGSTOP)
    took = []
    try:
        time.sleep(0.3)  # the writer is stuck on a reply that does not come
        with topo.ng(A_ADDR) as ng:
            for i in range(1, 6):
                a, b = Leg(topo, 0), Leg(topo, 0)
                for what, fn in (
                        ("offer", lambda: ng.offer("hung-%d" % i, "A", phone_sdp(a.port, [0]))),
                        ("answer", lambda: ng.answer("hung-%d" % i, "A", "B",
                                                     phone_sdp(b.port, [0])))):
                    t0 = time.monotonic()
                    r = fn()
                    took.append((what, i, time.monotonic() - t0))
                    assert r["result"] == "ok", r
                a.sock.close(), a.rtcp_sock.close(), b.sock.close(), b.rtcp_sock.close()
                time.sleep(0.1)  # the writer gets each record in turn
            for i in (1, 2):
                t0 = time.monotonic()
                r = ng.delete("hung-%d" % i, **{"delete-delay": 0})
                took.append(("delete", i, time.monotonic() - t0))
                assert r["result"] == "ok", r
        n = len(c0.b.arrivals)
        time.sleep(0.3)
        assert len(c0.b.arrivals) > n + 5 and len(c0.a.arrivals) > 5  # still relaying
        assert redis.proc.poll() is None
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)
        pump.stop()
    print("ng replies with Redis hung: %d, slowest %.1f ms" % (
        len(took), 1000 * max(t[2] for t in took)))
    slow = [t for t in took if t[2] >= 0.050]
    assert not slow, (slow, max(t[2] for t in took))
    want = {"hung-0": True, "hung-1": False, "hung-2": False, "hung-3": True,
            "hung-4": True, "hung-5": True}
    wait_for(lambda: all((redis.get("rtprelay:call:" + c) is not None) == v
                         for c, v in want.items()), 15, "the records to catch up")
    assert active.proc.poll() is None
    st = statistics(topo, A_ADDR)
    # each call still there was written at least once after the stop (records
    # written while Redis was stopped may be coalesced into one write)
    assert st["connected"] == 1 and st["writes"] >= 4, st
