#!/usr/bin/python3
"""dtls_handshake_cpu.py: CPU time rtprelayd's control thread spends per DTLS-SRTP
handshake, with aiortc (python3-aiortc) as the WebRTC peer.

    bench/dtls_handshake_cpu.py BUILD_DIR [N [DAEMON-OPTION...]]

DAEMON-OPTIONs go to rtprelayd as they are, e.g. --dtls-cert-cipher=RSA to
measure with an RSA certificate instead of the default ECDSA P-256.

Starts rtprelayd from BUILD_DIR on loopback, then runs N calls of each kind one
after the other: a plain RTP call (offer + answer, no DTLS) and an aiortc call
whose handshake completes (rtprelay the DTLS client: it answers a=setup:active;
and the server: DTLS=passive). The control thread's CPU time (schedstat of the
daemon's main thread, ns) per call of each kind is printed; the difference to
the plain call is what DTLS costs (handshake, certificate check, key export,
retransmission timers). The media workers are not in these figures: they only
queue datagrams.
"""
import asyncio
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("RTPRELAY_ROOT", os.path.join(HERE, ".."))

import conftest  # noqa: E402
from dp_media import Phone  # noqa: E402
import test_dtls_webrtc as t  # noqa: E402


def ctl_ns(pid):
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        return int(f.read().split()[0])


async def dtls_call(ng, cid, passive):
    w = t.WebRtcPeer()
    phone = Phone(mux=False, pts=(0,))
    try:
        r = ng.offer(cid, "web", await w.offer(), ICE="remove", flags=["RTP/AVP"],
                     **{"rtcp-mux": ["demux"]})
        kw = {"DTLS": "passive"} if passive else {}
        a = ng.answer(cid, "web", "ph", phone.sdp(), flags=["no-rtcp-attribute"], **kw)
        assert a["result"] == "ok", a
        await w.accept(a["sdp"])
        for _ in range(200):
            d = t.dtls_of(ng.query(cid), "web")
            if d["state"] == "connected":
                break
            await asyncio.sleep(0.02)
        else:
            raise RuntimeError("no handshake: %r" % d)
        assert r["result"] == "ok"
    finally:
        await w.close()
        phone.close()
        ng.delete(cid, **{"delete-delay": 0})


def plain_call(ng, cid):
    a, b = Phone(pts=(0,)), Phone(pts=(0,))
    try:
        ng.offer(cid, "a", a.sdp())
        ng.answer(cid, "a", "b", b.sdp())
        ng.query(cid)
    finally:
        a.close()
        b.close()
        ng.delete(cid, **{"delete-delay": 0})


def main():
    conftest.DAEMON_BIN = os.path.join(sys.argv[1], "daemon", "rtprelayd")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    d = conftest.Daemon(args=("--log-level=notice",) + tuple(sys.argv[3:]), expect_fail=True)
    d.wait_ready(timeout=60)  # an RSA key takes a moment to make
    try:
        ng = d.ng()
        pid = d.proc.pid
        res = {}
        t0 = ctl_ns(pid)
        for i in range(n):
            plain_call(ng, "plain-%d" % i)
        res["plain call"] = (ctl_ns(pid) - t0) / n
        for passive in (False, True):
            t0 = ctl_ns(pid)
            for i in range(n):
                asyncio.run(dtls_call(ng, "dtls-%d-%d" % (passive, i), passive))
            time.sleep(0.2)
            res["DTLS call, rtprelay %s" % ("server" if passive else "client")] = \
                (ctl_ns(pid) - t0) / n
        for k, v in res.items():
            print("%-32s %8.2f ms control-thread CPU per call" % (k, v / 1e6))
        for k, v in res.items():
            if k != "plain call":
                print("%-32s %8.2f ms per handshake (minus the plain call)"
                      % (k, (v - res["plain call"]) / 1e6))
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main()
