#!/usr/bin/python3
"""bench_control.py: control-plane figures for the README (a bench, not a test).

Side by side in one run, rtprelayd and rtpengine (Debian rtpengine-daemon, user space,
--table=-1), each on its own ng port and media range, one worker each:

  1. offer+answer+delete cycles per second, one client, UDP bencode on loopback
     (one request in flight at a time, as a single proxy worker does);
  2. memory per established call: RSS growth over N offer+answer calls, divided by N.

    /usr/bin/python3 tests/integration/bench_control.py [--cycles 3000] [--calls 2000]

RTPRELAY_BUILD selects the rtprelayd build (default /work/main/build).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import DAEMON_BIN, free_port  # noqa: E402
from ngclient import NgClient, sdp_offer  # noqa: E402


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(kind, port, pmin, pmax, logf):
    if kind == "rtprelay":
        argv = [DAEMON_BIN, "--foreground", "--interface=127.0.0.1",
                "--listen-ng=127.0.0.1:%d" % port, "--port-min=%d" % pmin,
                "--port-max=%d" % pmax, "--num-threads=1", "--log-level=warning",
                "--delete-delay=0"]
    else:
        argv = ["rtpengine", "--table=-1", "--interface=127.0.0.1",
                "--listen-ng=127.0.0.1:%d" % port, "--foreground", "--log-stderr",
                "--port-min=%d" % pmin, "--port-max=%d" % pmax, "--num-threads=1",
                "--log-level=4", "--delete-delay=0"]
    p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with NgClient.udp(("127.0.0.1", port), timeout=0.2) as ng:
                if ng.ping().get("result") == "pong":
                    return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("%s did not start" % kind)


def cycles(ng, n, tag):
    a_sdp = sdp_offer(port=5000)
    b_sdp = sdp_offer(port=6000, sess_id=99)
    t0 = time.perf_counter()
    for i in range(n):
        cid = "%s-cyc-%d" % (tag, i)
        r1 = ng.offer(cid, "A", a_sdp)
        r2 = ng.answer(cid, "A", "B", b_sdp)
        r3 = ng.delete(cid, **{"delete-delay": 0})
        if not (r1["result"] == r2["result"] == r3["result"] == "ok"):
            raise RuntimeError("%s: %r %r %r" % (tag, r1, r2, r3))
    return n / (time.perf_counter() - t0)


def memory(ng, pid, n, tag):
    a_sdp = sdp_offer(port=5000)
    b_sdp = sdp_offer(port=6000, sess_id=99)
    time.sleep(0.5)
    before = rss_kb(pid)
    for i in range(n):
        cid = "%s-mem-%d" % (tag, i)
        ng.offer(cid, "A", a_sdp)
        r = ng.answer(cid, "A", "B", b_sdp)
        if r["result"] != "ok":
            raise RuntimeError("%s: %r" % (tag, r))
    time.sleep(0.5)
    after = rss_kb(pid)
    return (after - before) * 1024.0 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=3000)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    ranges = {"rtprelay": (20000, 39999), "rtpengine": (40000, 59999)}
    procs, clients, logs = {}, {}, []
    try:
        for kind in ranges:
            port = free_port()
            logs.append(tempfile.TemporaryFile())
            procs[kind] = start(kind, port, *ranges[kind], logs[-1])
            clients[kind] = NgClient.udp(("127.0.0.1", port), timeout=5)
            cycles(clients[kind], 100, kind + "-warm")
        # both run at once and take turns, so machine load hits them alike
        spent = dict.fromkeys(ranges, 0.0)
        per_round = max(1, args.cycles // args.rounds)
        for r in range(args.rounds):
            for kind in ranges:
                spent[kind] += per_round / cycles(clients[kind], per_round,
                                                  "%s-r%d" % (kind, r))
        mem = {k: memory(clients[k], procs[k].pid, args.calls, k) for k in ranges}
    finally:
        for kind, p in procs.items():
            p.terminate()
            p.wait(60)
    print("%-10s %22s %26s" % ("", "offer+answer+delete/s", "bytes RSS per call"))
    for kind in ranges:
        print("%-10s %22.0f %26.0f" % (kind, per_round * args.rounds / spent[kind], mem[kind]))


if __name__ == "__main__":
    main()
