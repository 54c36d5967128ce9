#!/usr/bin/python3
"""transcode_idle.py: what idle transcoded calls cost rtprelay: CPU while they
carry no media, and RSS per call.

    bench/transcode_idle.py [--build BUILD] [--calls 200] [--seconds 10] [--codec G722|opus]

Starts rtprelayd (BUILD/daemon/rtprelayd, one worker, loopback, log level
warning), reads its RSS, sets up --calls calls over ng where A offers PCMU and
B answers only --codec (codec-transcode: both directions transcoded), sends no
media, waits 2 s, then reads the daemon's utime+stime from /proc/PID/stat over
--seconds s and its RSS again. Prints one JSON line: cpu_pct (of one core),
rss_kb before and after, rss_kb_per_call. The machine may be shared: run it a
few times and compare medians.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from ngclient import NgClient  # noqa: E402

FMT = {"G722": (9, "G722/8000"), "opus": (96, "opus/48000/2")}


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def sdp(port, pt, enc):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP %d\r\na=rtpmap:%d %s\r\n" % (port, pt, pt, enc))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime, stime


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--codec", choices=sorted(FMT), default="G722")
    a = ap.parse_args()
    ng_port = free_port()
    tmp = tempfile.TemporaryDirectory(prefix="xidle-")
    argv = [os.path.join(a.build, "daemon", "rtprelayd"), "--foreground",
            "--interface=127.0.0.1", "--listen-ng=127.0.0.1:%d" % ng_port,
            "--port-min=30000", "--port-max=39999", "--num-threads=1", "--log-level=warning"]
    log = open(os.path.join(tmp.name, "log"), "wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        c = NgClient.udp(("127.0.0.1", ng_port))
        c.wait_ready(timeout=10, alive=lambda: proc.poll() is None)
        time.sleep(0.5)
        rss0 = rss_kb(proc.pid)
        pt, enc = FMT[a.codec]
        for i in range(a.calls):   # phone ports: nothing listens, no media flows
            r = c.offer("xi-%d" % i, "A", sdp(20000 + 2 * (i % 4000), 0, "PCMU/8000"),
                        codec={"transcode": [enc.rsplit("/", 1)[0] if a.codec == "opus"
                                             else a.codec]})
            assert r["result"] == "ok", r
            r = c.answer("xi-%d" % i, "A", "B", sdp(28000 + 2 * (i % 1000), pt, enc))
            assert r["result"] == "ok", r
        time.sleep(2.0)
        hz = os.sysconf("SC_CLK_TCK")
        t0, c0 = time.monotonic(), cpu_ticks(proc.pid)
        time.sleep(a.seconds)
        t1, c1 = time.monotonic(), cpu_ticks(proc.pid)
        rss1 = rss_kb(proc.pid)
        print(json.dumps({
            "build": os.path.abspath(a.build), "calls": a.calls, "codec": a.codec,
            "seconds": round(t1 - t0, 2),
            "cpu_pct": round(100.0 * (c1 - c0) / hz / (t1 - t0), 2),
            "rss_kb_before": rss0, "rss_kb_after": rss1,
            "rss_kb_per_call": round((rss1 - rss0) / a.calls, 1)}))
        c.close()
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
