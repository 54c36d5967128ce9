#!/usr/bin/python3
"""bench/record_cost.py: what recording every call costs, rtprelay beside rtpengine.

Same setup as bench/run (bench/README.md "How"): a network namespace of its own with only
lo, the relay pinned to --relay-cpu and the generator to --gen-cpu, both SCHED_FIFO, one
worker thread per relay. For every repetition, each configuration in turn (interleaved
so machine noise falls on all alike, the order rotated each time): a fresh relay, `loadgen --mode fixed --calls N
--pid RELAY` (with --record when the configuration records), the relay stopped, the
recording directory (on /dev/shm) measured and removed.

  rtprelay  none | pcap | all (pcap + per-leg + mixed WAV)   --recording-method
  rtpengine none | pcap                                      --recording-method=pcap
            (rtpengine-daemon writes the pcap itself; rtpengine-recording is not used)

CPU per packet: relay process utime+stime over the window / forwarded packets (loadgen).
Disk per call-minute: bytes under the recording dir / (calls x media minutes), media
minutes = warm-up + measured + drain seconds of every call. Writes OUT/README.md.
"""
import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
NS = "rtprelay-reccost"
ADDR = "127.0.0.1"
CONFIGS = [("rtprelay", "none"), ("rtprelay", "pcap"), ("rtprelay", "all"),
           ("rtpengine", "none"), ("rtpengine", "pcap")]


def relay_cmd(a, relay, method, recdir):
    if relay == "rtprelay":
        cmd = [os.path.join(a.build, "daemon/rtprelayd"), "--foreground",
               "--interface=" + ADDR, "--listen-ng=%s:2225" % ADDR, "--port-min=46000",
               "--port-max=62999", "--num-threads=1", "--log-level=3", "--delete-delay=0"]
        if method != "none":
            cmd += ["--recording-dir=" + recdir, "--recording-method=" + method]
        return cmd, 2225
    cmd = ["rtpengine", "--config-file=none", "--table=-1", "--interface=" + ADDR,
           "--listen-ng=%s:2223" % ADDR, "--foreground", "--log-stderr", "--log-level=3",
           "--port-min=12000", "--port-max=28999", "--num-threads=1", "--delete-delay=0"]
    if method != "none":
        cmd += ["--recording-method=" + method, "--recording-dir=" + recdir]
    return cmd, 2223


def nsx(*cmd):
    return ["ip", "netns", "exec", NS] + list(cmd)


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def one(a, relay, method, rep, raw):
    recdir = "/dev/shm/rtprelay-reccost-%s-%s" % (relay, method)
    shutil.rmtree(recdir, ignore_errors=True)
    os.makedirs(recdir)
    cmd, ng = relay_cmd(a, relay, method, recdir)
    sched = ["chrt", "-f", str(a.rt_prio)] if a.rt else []
    logf = open(os.path.join(raw, "%s-%s-r%d.log" % (relay, method, rep)), "wb")
    p = subprocess.Popen(nsx(*sched, "taskset", "-c", str(a.relay_cpu), *cmd),
                         stdout=logf, stderr=subprocess.STDOUT)
    res = None
    try:
        ping = nsx(a.loadgen, "--mode", "ping", "--ng", "%s:%d" % (ADDR, ng))
        if subprocess.run(["timeout", "30"] + ping, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            print("%s did not start" % relay, file=sys.stderr)
            return None
        lg = [a.loadgen, "--mode", "fixed", "--ng", "%s:%d" % (ADDR, ng), "--pid",
              str(p.pid), "--relay", "%s-%s" % (relay, method), "--calls", str(a.calls),
              "--warmup", str(a.warmup), "--duration", str(a.duration), "--drain",
              str(a.drain)]
        if method != "none":
            lg.append("--record")
        out = subprocess.run(["timeout", str(a.warmup + a.duration + a.drain + 90)] +
                             nsx(*sched, "taskset", "-c", str(a.gen_cpu), *lg),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        with open(os.path.join(raw, "%s-%s-r%d.out" % (relay, method, rep)), "w") as f:
            f.write(" ".join(shlex.quote(c) for c in lg) + "\n" + out.stdout)
        for line in out.stdout.splitlines():
            if line.startswith("JSON "):
                res = json.loads(line[5:])
    finally:
        p.terminate()
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        logf.close()
    time.sleep(1)  # writer threads have flushed and closed (the relay has exited)
    if res is not None:
        res["disk_bytes"] = du(recdir)
        with open(os.path.join(raw, "%s-%s-r%d.json" % (relay, method, rep)), "w") as f:
            json.dump(res, f)
    shutil.rmtree(recdir, ignore_errors=True)
    return res


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--drain", type=int, default=2)
    ap.add_argument("--build", default=os.path.join(REPO, "build-bench"),
                    help="build dir with daemon/rtprelayd and bench/loadgen")
    ap.add_argument("--relay-cpu", type=int, default=1)
    ap.add_argument("--gen-cpu", type=int, default=0)
    ap.add_argument("--rt-prio", type=int, default=20)
    ap.add_argument("--no-rt", dest="rt", action="store_false", default=True)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "recording"))
    a = ap.parse_args()
    a.loadgen = os.path.join(a.build, "bench/loadgen")
    raw = os.path.join(a.out, "raw")
    os.makedirs(raw, exist_ok=True)
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    results = {c: [] for c in CONFIGS}
    load = []
    try:
        subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
        for rep in range(a.reps):
            # rotated every repetition so that no configuration always runs first
            k = rep % len(CONFIGS)
            for relay, method in CONFIGS[k:] + CONFIGS[:k]:
                load.append(os.getloadavg()[0])
                r = one(a, relay, method, rep, raw)
                print("%s %s rep %d: %s" % (relay, method, rep, "failed" if r is None else
                      "%.0f ns/pkt loss %.4f %% disk %d" % (r["relay_ns_per_pkt"],
                      r["loss_pct"], r["disk_bytes"])), file=sys.stderr, flush=True)
                if r is not None:
                    results[(relay, method)].append(r)
    finally:
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    write_report(a, results, load)


def write_report(a, results, load):
    minutes = (a.warmup + a.duration + a.drain) / 60.0
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            stdout=subprocess.PIPE, text=True).stdout.strip()
    eng = subprocess.run(["rtpengine", "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout.strip()
    L = ["# Recording cost: rtprelay beside rtpengine", "",
         "%s, commit %s, %s, %d calls (%d streams, 50 packets/s each, PCMU 20 ms), "
         "%d repetition(s), configurations interleaved (order rotated every "
         "repetition); load average (1 min) before each run: %s." % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit, eng,
                        a.calls, 2 * a.calls, a.reps,
                        ", ".join("%.2f" % x for x in load)), "",
         "Command (root): `bench/record_cost.py %s`" % " ".join(
             shlex.quote(x) for x in sys.argv[1:]), "",
         "CPU: relay process utime+stime / forwarded packets (`loadgen --pid`), medians "
         "with all runs; disk: bytes in the recording directory (/dev/shm) / (calls × "
         "%.2f media minutes per call)." % minutes, "",
         "Others' CPU: what the rest of the machine took of the two cores during the "
         "window (loadgen `others_cpu_pct`, % of one core, median); on this shared "
         "machine it is the noise that the per-packet figures carry.", "",
         "| relay | recording | CPU ns/packet (runs) | vs unrecorded | loss % (max) | "
         "disk MB per call-minute | others' CPU % |", "|---|---|---|---:|---:|---:|---:|"]
    for relay, method in CONFIGS:
        rs = results[(relay, method)]
        base = med([r["relay_ns_per_pkt"] for r in results[(relay, "none")]])
        ns = [r["relay_ns_per_pkt"] for r in rs]
        m = med(ns)
        rel = "–" if method == "none" else "%+.0f %%" % (100.0 * (m / base - 1))
        disk = med([r["disk_bytes"] / (a.calls * minutes) / 1e6 for r in rs])
        L.append("| %s | %s | %.0f (%s) | %s | %s | %s | %.0f |" % (
            relay, {"none": "not recorded", "all": "pcap + per-leg + mixed WAV"}.get(
                method, method), m, ", ".join("%.0f" % x for x in ns), rel,
            "%.4f" % max([r["loss_pct"] for r in rs]) if rs else "–",
            "–" if method == "none" else "%.2f" % disk,
            med([r["others_cpu_pct"] for r in rs])))
    L += ["", "Raw loadgen output and relay logs: `raw/`.", ""]
    with open(os.path.join(a.out, "README.md"), "w") as f:
        f.write("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
