#!/usr/bin/python3
"""srtp_mem.py: relay RSS per established SDES-SRTP call (and per plain RTP call).

    bench/srtp_mem.py --relay rtprelay|rtpengine [--calls 200] [--json FILE]

Starts a fresh relay the way bench/webrtc_setup.py does (bench/matrix.py's command
line, its own ng port and port range), then runs `loadgen --mode fixed --srtp`
(side A an SDES-SRTP phone, AES_CM_128_HMAC_SHA1_80, side B plain RTP, 50 packets/s
each way) with --calls calls; loadgen reads the relay's RSS before the calls and
with all of them carrying media and prints the difference per call. Then the same
on another fresh relay without --srtp (plain RTP calls) for comparison. loadgen
sends from a raw socket: run as root, best in a network namespace of its own.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from webrtc_setup import ROOT, start_relay  # noqa: E402
from ngclient import NgClient  # noqa: E402


def one(relay, build, calls, srtp):
    proc, cmd, ng = start_relay(relay, build, subprocess.DEVNULL)
    try:
        c = NgClient.udp(("127.0.0.1", ng))
        c.wait_ready(timeout=10, alive=lambda: proc.poll() is None)
        c.close()
        time.sleep(0.5)
        lg = [os.path.join(build, "bench", "loadgen"), "--mode", "fixed",
              "--ng", "127.0.0.1:%d" % ng, "--pid", str(proc.pid), "--relay", relay,
              "--calls", str(calls), "--warmup", "2", "--duration", "3"]
        if srtp:
            lg.append("--srtp")
        out = subprocess.run(lg, capture_output=True, text=True, timeout=120)
        for line in out.stdout.splitlines():
            if line.startswith("JSON "):
                r = json.loads(line[5:])
                r["cmd"] = " ".join(lg)
                return r
        raise RuntimeError("loadgen: %s %s" % (out.stdout, out.stderr))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--relay", choices=["rtprelay", "rtpengine"], required=True)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--build", default=os.environ.get("RTPRELAY_BUILD",
                                                      os.path.join(ROOT, "build-bench")))
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    if not 1 <= args.calls <= 2000:
        ap.error("--calls 1..2000")
    res = {"relay": args.relay, "calls": args.calls,
           "loadavg": open("/proc/loadavg").read().split()[:3]}
    for kind, srtp in (("sdes", True), ("plain", False)):
        r = one(args.relay, args.build, args.calls, srtp)
        res[kind] = {k: r.get(k) for k in ("rss_per_call_bytes", "relay_rss_kb", "loss_pct",
                                           "delivered_pps", "setup_s", "cmd")}
    print(json.dumps(res, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
