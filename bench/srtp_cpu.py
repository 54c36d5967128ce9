#!/usr/bin/python3
"""bench/srtp_cpu.py: rtprelayd's CPU per forwarded packet, SRTP<->RTP against plain RTP,
in one run on this machine.

    RTPRELAY_BUILD=build /usr/bin/python3 bench/srtp_cpu.py [--calls 100] [--seconds 10]

For each mode the daemon (one worker, loopback) gets CALLS calls: phone A offers PCMU
(plain RTP/AVP, or RTP/SAVP with an AES_CM_128_HMAC_SHA1_80 a=crypto line, relayed as
RTP/AVP), phone B answers plain. Both phones send 50 packets/s per call (172-byte RTP;
A's SRTP encrypted beforehand with pylibsrtp, so the generator's crypto costs nothing
during the window), so the relay decrypts A->B and encrypts B->A. The figure is the
daemon's utime+stime over the window divided by the packets it forwarded (`statistics`).
A Python generator, not bench/run's loadgen: a relative figure (SRTP against plain, same
run, same generator), not one to set beside bench/run's tables.
"""
import argparse
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("RTPRELAY_ROOT", os.path.join(HERE, ".."))

from conftest import Daemon, media_range  # noqa: E402
from dp_media import relay_targets, rtp  # noqa: E402
from ngclient import sdp_offer  # noqa: E402
from srtp_peer import Srtp, crypto_line, new_key  # noqa: E402

SUITE = "AES_CM_128_HMAC_SHA1_80"


def cpu_ns(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e9 / os.sysconf("SC_CLK_TCK")


def forwarded(ng):
    return ng.request({"command": "statistics"})["totalstatistics"]["forwarded"]


def run(mode, calls, seconds):
    lo, hi = media_range(4 * calls + 16)
    d = Daemon(args=["--log-level=warn", "--port-min=%d" % lo, "--port-max=%d" % hi])
    ng = d.ng().__enter__()
    socks, sched = [], []
    try:
        for c in range(calls):
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for s in (a, b):
                s.bind(("127.0.0.2", 0))   # never one of the relay's ports
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            socks += [a, b]
            pa, pb = a.getsockname()[1], b.getsockname()[1]
            cid = "bench-%s-%d" % (mode, c)
            sdp = sdp_offer(addr="127.0.0.2", port=pa, media=(("audio", (0,)),))
            key = new_key(SUITE)
            if mode == "srtp":
                sdp = sdp.replace("RTP/AVP", "RTP/SAVP").replace(
                    "a=sendrecv", crypto_line(1, SUITE, key) + "\r\na=sendrecv")
            r = ng.offer(cid, "A", sdp, **{"transport-protocol": "RTP/AVP"})
            assert r["result"] == "ok", r
            r2 = ng.answer(cid, "A", "B", sdp_offer(addr="127.0.0.2", port=pb,
                                                    media=(("audio", (0,)),)))
            assert r2["result"] == "ok", r2
            to_a = relay_targets(r2["sdp"])[0][:2]
            to_b = relay_targets(r["sdp"])[0][:2]
            tx = Srtp(SUITE, key, True) if mode == "srtp" else None
            ssrc_a, ssrc_b = 0x1000 + c, 0x2000 + c
            pk_a = [rtp(i, ssrc_a) for i in range(seconds * 50 + 50)]
            if tx:
                pk_a = [tx.protect(p) for p in pk_a]
            pk_b = [rtp(i, ssrc_b) for i in range(seconds * 50 + 50)]
            sched.append((a, to_a, pk_a, b, to_b, pk_b))
        # one second to latch, then the measured window
        t0 = time.monotonic()
        c0 = f0 = None
        n = 0
        while n < seconds * 50 + 50:
            if n == 50:
                c0, f0 = cpu_ns(d.proc.pid), forwarded(ng)
            for a, to_a, pk_a, b, to_b, pk_b in sched:
                a.sendto(pk_a[n], to_a)
                b.sendto(pk_b[n], to_b)
            n += 1
            delay = t0 + n * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        time.sleep(0.2)
        c1, f1 = cpu_ns(d.proc.pid), forwarded(ng)
        st = ng.request({"command": "statistics"})
        late = time.monotonic() - t0 - n * 0.02
        return (c1 - c0) / max(1, f1 - f0), f1 - f0, late, st
    finally:
        ng.__exit__(None, None, None)
        for s in socks:
            s.close()
        d.stop()
        d.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    res = {"plain": [], "srtp": []}
    for _ in range(args.reps):
        for mode in ("plain", "srtp"):   # interleaved: machine noise falls on both
            ns, fwd, late, _ = run(mode, args.calls, args.seconds)
            res[mode].append(ns)
            print("%-5s %d calls: %6.0f ns/packet over %d forwarded packets "
                  "(generator %.2fs behind)" % (mode, args.calls, ns, fwd, late), flush=True)
    med = {m: sorted(v)[len(v) // 2] for m, v in res.items()}
    print("median: plain %.0f ns/packet, SRTP<->RTP %.0f ns/packet (x%.2f)"
          % (med["plain"], med["srtp"], med["srtp"] / med["plain"]))


if __name__ == "__main__":
    main()
