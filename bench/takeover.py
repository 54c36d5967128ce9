#!/usr/bin/python3
"""bench/takeover.py: packets lost, the longest media gap and failed ng commands while a
new rtprelayd takes over from the running one (`--takeover`, daemon/takeover.h) under load.

In a network namespace of its own with only lo (as bench/record_cost.py): rtprelayd with
--takeover-socket, `loadgen --mode fixed --calls N` (50 packets/s per stream each way,
every packet marked and timed), and an ng prober that sends `ping` every 10 ms and counts
what is not answered within 1 s. A third of the way into loadgen's measurement window
a successor starts with the same arguments plus --takeover=SOCKET; the old daemon hands
over and exits. Per repetition:

  lost          measured packets sent and never received (loadgen loss; the hand-over
                falls inside the window)
  longest gap   loadgen's largest one-way delay of any packet: a packet that waited in
                the kernel's socket buffer for the hand-over arrives that late, and nothing
                on its stream arrives before it, so the receiver's gap is this (+ 20 ms)
  hand-over     the old daemon's "handed over ... in X ms" (stop reading -> successor's ACK)
  calls kept    the successor's "took over N calls (R refused)"
  ng failed     pings without an answer within 1 s (retransmits not counted as answers)

  kernel kept   (--kernel) the successor's "N kernel stream(s) kept forwarding through the
                takeover": streams it adopted from the old daemon's eBPF maps

--kernel runs the relays with --offload=yes (the eBPF fast path on lo, which it serves as
any interface) and starts the takeover only after the streams went to the kernel (the
learning window is 3 s: loadgen's warm-up is at least 6 s then); the successor adopts the
old one's maps (kernel-offload/offload_adopt.h), so the kernel forwards throughout.
Writes OUT/README.md and OUT/raw/, or with --kernel OUT/kernel.md and OUT/raw-kernel/.

--rtpengine measures rtpengine 10.5 (Debian rtpengine-daemon, user space, no kernel
module) restarted the way an operator restarts it, under the same load and prober,
instead of rtprelay: at the same moment the running rtpengine gets SIGTERM and, once it
has exited, the same command line starts again. Two ways (--rtpengine-modes):

  plain         no Redis: the new rtpengine starts empty
  redis         --redis=127.0.0.1:PORT/1 with a redis-server of the run's own in the
                namespace (writes every call, reads them back at start: the same
                instance restoring itself, as bench/failover.py's Redis mode but alone)

Per repetition: lost (loadgen: measured packets sent and never received), calls with
media again (loadgen's calls_alive_end: both streams of the call had measured packets
arrive in the window's last second; nothing re-offers), longest gap (loadgen's
gap_max_ms: the longest silence between two arrivals on one stream of those calls, by
kernel receive time), ng down (the longest run of unanswered pings;
this prober sends every 10 ms without waiting for answers), exit
(SIGTERM until the old rtpengine exited), its "Redis restore time" and the ng pings
failing. Writes OUT/rtpengine/callsN.md and
OUT/rtpengine/raw-N/.
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

import takeover_rtpengine

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
NS = "rtprelay-takeover"
ADDR = "127.0.0.1"
NG_PORT = 2226

PROBER = r"""
import json, socket, sys, time
end = time.monotonic() + float(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
ok = failed = 0
worst = 0.0
i = 0
while time.monotonic() < end:
    i += 1
    cookie = b"p%d" % i
    t0 = time.monotonic()
    s.sendto(cookie + b" d7:command4:pinge", ("127.0.0.1", int(sys.argv[2])))
    try:
        while True:
            data, _ = s.recvfrom(4096)
            if data.startswith(cookie + b" "):
                ok += 1
                worst = max(worst, time.monotonic() - t0)
                break
    except socket.timeout:
        failed += 1
    time.sleep(max(0.0, 0.010 - (time.monotonic() - t0)))
print(json.dumps({"ok": ok, "failed": failed, "worst_ms": worst * 1000}))
"""


def nsx(*cmd):
    return ["ip", "netns", "exec", NS] + list(cmd)


def relay_argv(a, sock):
    return [os.path.join(a.build, "daemon/rtprelayd"), "--foreground", "--interface=" + ADDR,
            "--listen-ng=%s:%d" % (ADDR, NG_PORT), "--port-min=30000", "--port-max=62999",
            "--num-threads=%d" % a.threads, "--log-level=6", "--delete-delay=0",
            "--timeout=120", "--takeover-socket=" + sock] + (
                ["--offload=yes"] if a.kernel else [])


def rt(a, cpu, prio):
    """Pinned to @cpu at SCHED_FIFO @prio (as bench/run: other tenants of the machine
    must not decide the figures), unless --no-rt."""
    return ["chrt", "-f", str(prio), "taskset", "-c", str(cpu)] if a.rt else []


def one(a, rep, raw):
    tmp = tempfile.mkdtemp(prefix="rtprelay-takeover-")
    sock = os.path.join(tmp, "takeover.sock")
    argv = relay_argv(a, sock)
    old_log = open(os.path.join(raw, "r%d-old.log" % rep), "wb")
    new_log = open(os.path.join(raw, "r%d-new.log" % rep), "wb")
    old = subprocess.Popen(nsx(*rt(a, a.relay_cpu, a.rt_prio), *argv), stdout=old_log, stderr=subprocess.STDOUT)
    new = None
    res = {"rep": rep, "calls": a.calls}
    try:
        ping = nsx(a.loadgen, "--mode", "ping", "--ng", "%s:%d" % (ADDR, NG_PORT))
        if subprocess.run(["timeout", "30"] + ping, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            print("rtprelayd did not start", file=sys.stderr)
            return None
        lg = [a.loadgen, "--mode", "fixed", "--ng", "%s:%d" % (ADDR, NG_PORT), "--relay",
              "rtprelay-takeover", "--calls", str(a.calls), "--warmup", str(a.warmup),
              "--duration", str(a.duration), "--drain", str(a.drain)]
        t_lg = time.monotonic()
        lgp = subprocess.Popen(["timeout", str(a.warmup + a.duration + a.drain + 120)] +
                               nsx(*rt(a, a.gen_cpu, a.rt_prio), *lg), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        # loadgen sets the calls up first: wait until the daemon holds them all
        setup_end = time.monotonic() + 60
        while time.monotonic() < setup_end:
            text = open(old_log.name, "rb").read().decode("utf-8", "replace")
            if text.count("call created") >= a.calls:
                break
            time.sleep(0.2)
        t_calls = time.monotonic()
        probe_s = a.warmup + a.duration
        prober = subprocess.Popen(nsx(*rt(a, a.gen_cpu, a.rt_prio - 5), sys.executable, "-c",
                                      PROBER, str(probe_s),
                                      str(NG_PORT)), stdout=subprocess.PIPE, text=True)
        time.sleep(a.warmup + a.duration / 3.0)
        res["takeover_at_s"] = round(time.monotonic() - t_calls, 2)
        new = subprocess.Popen(nsx(*rt(a, a.relay_cpu, a.rt_prio), *argv, "--takeover=" + sock), stdout=new_log,
                               stderr=subprocess.STDOUT)
        try:
            res["old_exit"] = old.wait(30)
        except subprocess.TimeoutExpired:
            res["old_exit"] = None
        out, _ = lgp.communicate()
        pout, _ = prober.communicate()
        res["loadgen_s"] = round(time.monotonic() - t_lg, 1)
        with open(os.path.join(raw, "r%d-loadgen.out" % rep), "w") as f:
            f.write(" ".join(shlex.quote(c) for c in lg) + "\n" + out)
        for line in out.splitlines():
            if line.startswith("JSON "):
                res["loadgen"] = json.loads(line[5:])
        res["ng"] = json.loads(pout.strip().splitlines()[-1]) if pout.strip() else None
    finally:
        for p in (new, old):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        old_log.close()
        new_log.close()
    told = open(old_log.name, "rb").read().decode("utf-8", "replace")
    tnew = open(new_log.name, "rb").read().decode("utf-8", "replace")
    m = re.search(r"(\d+) calls handed over to pid \d+ in (\d+) ms", told)
    res["handed_over"], res["handover_ms"] = (int(m.group(1)), int(m.group(2))) if m else \
        (None, None)
    m = re.search(r"took over (\d+) calls \((\d+) refused\), (\d+) cached replies"
                  r"(?:, \d+ ng connections?)? in (\d+) ms", tnew)
    res["kept"], res["refused"] = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    res["receive_ms"] = int(m.group(4)) if m else None
    m = re.search(r"(\d+) kernel stream\(s\) kept forwarding through the takeover", tnew)
    res["kernel_kept"] = int(m.group(1)) if m else None
    with open(os.path.join(raw, "r%d.json" % rep), "w") as f:
        json.dump(res, f, indent=1)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--duration", type=int, default=9)
    ap.add_argument("--drain", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="rtprelayd --num-threads")
    ap.add_argument("--relay-cpu", type=int, default=1)
    ap.add_argument("--gen-cpu", type=int, default=0)
    ap.add_argument("--rt-prio", type=int, default=20)
    ap.add_argument("--no-rt", dest="rt", action="store_false", default=True)
    ap.add_argument("--build", default=os.path.join(REPO, "build"),
                    help="build dir with daemon/rtprelayd and bench/loadgen")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "takeover"))
    ap.add_argument("--kernel", action="store_true",
                    help="offload = yes: the streams are in the kernel at the hand-over")
    ap.add_argument("--rtpengine", action="store_true",
                    help="restart rtpengine 10.5 instead (bench/takeover_rtpengine.py)")
    ap.add_argument("--rtpengine-modes", default="plain,redis",
                    help="comma-separated: plain (no Redis), redis (restores from Redis)")
    a = ap.parse_args()
    a.loadgen = os.path.join(a.build, "bench/loadgen")
    if a.rtpengine:
        takeover_rtpengine.main(a, NS, ADDR, NG_PORT, nsx, rt)
        return
    if a.kernel:
        a.warmup = max(a.warmup, 6)  # learning window (3 s) + the offload tick
    raw = os.path.join(a.out, "raw-kernel" if a.kernel else "raw")
    os.makedirs(raw, exist_ok=True)
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
    runs = []
    try:
        for rep in range(a.reps):
            r = one(a, rep, raw)
            if r:
                runs.append(r)
                lg = r.get("loadgen") or {}
                print("rep %d: sent %s received %s loss %s%% gap(max delay) %s ms hand-over %s "
                      "ms kept %s/%s kernel kept %s ng failed %s" % (
                          rep, lg.get("sent"), lg.get("received"), lg.get("loss_pct"),
                          lg.get("lat_max_us", 0) / 1000.0, r["handover_ms"], r["kept"],
                          a.calls, r.get("kernel_kept"), (r.get("ng") or {}).get("failed")),
                      flush=True)
    finally:
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    write_report(a, runs)


def write_report(a, runs):
    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else float("nan")

    rows = []
    for r in runs:
        lg = r.get("loadgen") or {}
        ng = r.get("ng") or {}
        lost = (lg.get("sent", 0) - lg.get("received", 0)) if lg else None
        rows.append("| %d | %s | %s | %s | %.1f | %s | %s/%d | %s | %s | %s (%s answered, %s ms worst) |" % (
            r["rep"], lg.get("sent"), lg.get("received"), lost,
            lg.get("lat_max_us", float("nan")) / 1000.0, r["handover_ms"], r["kept"],
            a.calls, r["refused"], r.get("kernel_kept"), ng.get("failed"), ng.get("ok"),
            round(ng.get("worst_ms", float("nan")), 1)))
    lost = [((r.get("loadgen") or {}).get("sent", 0) - (r.get("loadgen") or {}).get("received", 0))
            for r in runs if r.get("loadgen")]
    gaps = [(r.get("loadgen") or {}).get("lat_max_us", 0) / 1000.0 for r in runs
            if r.get("loadgen")]
    text = """# Takeover under load (`bench/takeover.py`)

`bench/takeover.py --calls {calls} --reps {reps} --threads {threads}{kflag}` on {host}, {date};
{path}, 50 packets/s per stream each way, 172-byte RTP, one
network namespace with only lo; relay (old and new) pinned to one core, loadgen and the
ng prober to the other, SCHED_FIFO (as bench/run). See the script's docstring for what each column means.

| rep | measured sent | received | lost | longest gap (max delay, ms) | hand-over (ms) | calls kept | refused | kernel streams kept | ng pings failed (answered) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
{rows}

Median: {lost_med} packets lost, longest gap {gap_med:.1f} ms, hand-over {ho_med} ms.

rtpengine has no takeover: restarted under the same load and prober, without and with
Redis, by `bench/takeover.py --rtpengine` (rtpengine/ beside this file).
""".format(calls=a.calls, reps=a.reps, threads=a.threads, host=os.uname().nodename,
           kflag=" --kernel" if a.kernel else "",
           path=("kernel path (offload = yes, every stream in the eBPF fast path at the "
                 "hand-over)") if a.kernel else "user space (no kernel offload)",
           date=time.strftime("%Y-%m-%d"), rows="\n".join(rows),
           lost_med=med(lost), gap_med=med(gaps), ho_med=med([r["handover_ms"] for r in runs]))
    with open(os.path.join(a.out, "kernel.md" if a.kernel else "README.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
