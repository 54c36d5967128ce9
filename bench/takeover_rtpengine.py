"""bench/takeover_rtpengine.py: the `--rtpengine` part of bench/takeover.py: rtpengine 10.5
restarted (SIGTERM, then the same command line again) under the load and ng prober that
bench/takeover.py puts on rtprelay's --takeover; with and without Redis. What each
figure means is in bench/takeover.py's docstring."""
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time

REDIS_PORT = 46381

# An ng ping every 10 ms, as bench/takeover.py's prober, but not waiting for one answer
# before the next ping: while rtpengine is down its pings stay unanswered and the next
# ones still go out every 10 ms. failed: no answer within 1 s; down: the longest run of
# failed pings, from the first one's send time to the next answered one's (10 ms
# resolution).
PROBER = r"""
import json, select, socket, sys, time
end = time.monotonic() + float(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent, rtt = [], {}
nxt = time.monotonic()
while True:
    now = time.monotonic()
    if now >= nxt and now < end:
        s.sendto(b"p%d d7:command4:pinge" % len(sent), ("127.0.0.1", int(sys.argv[2])))
        sent.append(now)
        nxt += 0.010
    if now >= end + 1.0:
        break
    r, _, _ = select.select([s], [], [], max(0.0, min(nxt, end + 1.0) - time.monotonic()))
    while r:
        data, _ = s.recvfrom(4096)
        now = time.monotonic()
        cookie = data.split(b" ", 1)[0]
        if cookie[:1] == b"p" and cookie[1:].isdigit():
            i = int(cookie[1:])
            if i < len(sent) and i not in rtt:
                rtt[i] = now - sent[i]
        r, _, _ = select.select([s], [], [], 0)
ok = [i for i in range(len(sent)) if rtt.get(i, 9.0) <= 1.0]
okset = set(ok)
down, first_fail = 0.0, None
for i in range(len(sent)):
    if i not in okset:
        if first_fail is None:
            first_fail = sent[i]
    elif first_fail is not None:
        down = max(down, sent[i] - first_fail)
        first_fail = None
if first_fail is not None:
    down = max(down, end - first_fail)
print(json.dumps({"ok": len(ok), "failed": len(sent) - len(ok),
                  "worst_ms": max([rtt[i] for i in ok] or [0.0]) * 1000,
                  "down_ms": down * 1000}))
"""


def rtpengine_argv(a, addr, ng_port, redis):
    # as bench/matrix.py starts it, with takeover.py's ports, timeouts and log level (the
    # log says when every call exists and how long a Redis restore took)
    argv = ["rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--table=-1",
            "--interface=" + addr, "--listen-ng=%s:%d" % (addr, ng_port), "--port-min=30000",
            "--port-max=62999", "--num-threads=%d" % a.threads, "--log-level=6",
            "--delete-delay=0", "--timeout=120"]
    if redis:
        argv += ["--redis=%s:%d/1" % (addr, REDIS_PORT), "--no-redis-required"]
    return argv


def log_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def stop(p, sig=signal.SIGTERM):
    if p and p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_redis(nsx, addr, raw, tag):
    log = open(os.path.join(raw, "%s-redis.log" % tag), "wb")
    p = subprocess.Popen(nsx("redis-server", "--bind", addr, "--port", str(REDIS_PORT), "--save",
                             "", "--appendonly", "no", "--protected-mode", "no"),
                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = subprocess.run(nsx("redis-cli", "-h", addr, "-p", str(REDIS_PORT), "PING"),
                           capture_output=True, text=True)
        if r.stdout.strip() == "PONG":
            return p, log
        time.sleep(0.1)
    stop(p)
    log.close()
    raise RuntimeError("redis-server did not start")


def wait_ping(a, nsx, addr, ng_port, limit_s):
    """Seconds until rtpengine answers an ng ping (loadgen --mode ping), None if not
    within limit_s."""
    t0 = time.monotonic()
    ping = nsx(a.loadgen, "--mode", "ping", "--ng", "%s:%d" % (addr, ng_port))
    if subprocess.run(["timeout", str(limit_s)] + ping, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        return None
    return time.monotonic() - t0


def one(a, mode, rep, raw, env):
    NS, ADDR, NG_PORT, nsx, rt = env
    tag = "%s-r%d" % (mode, rep)
    redis = mode == "redis"
    argv = rtpengine_argv(a, ADDR, NG_PORT, redis)
    res = {"relay": "rtpengine", "mode": mode, "rep": rep, "calls": a.calls,
           "loadavg_before": open("/proc/loadavg").read().split()[:3]}
    rp = rlog = None
    if redis:
        rp, rlog = start_redis(nsx, ADDR, raw, tag)
    old_path = os.path.join(raw, "%s-old.log" % tag)
    new_path = os.path.join(raw, "%s-new.log" % tag)
    old_log, new_log = open(old_path, "wb"), open(new_path, "wb")
    old = subprocess.Popen(nsx(*rt(a, a.relay_cpu, a.rt_prio), *argv), stdout=old_log,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    new = lgp = prober = None
    try:
        if wait_ping(a, nsx, ADDR, NG_PORT, 30) is None:
            print("rtpengine did not start (%s)" % old_path, file=sys.stderr)
            return None
        lg = [a.loadgen, "--mode", "fixed", "--ng", "%s:%d" % (ADDR, NG_PORT), "--relay",
              "rtpengine-restart-" + mode, "--calls", str(a.calls), "--warmup", str(a.warmup),
              "--duration", str(a.duration), "--drain", str(a.drain)]
        lgp = subprocess.Popen(["timeout", str(a.warmup + a.duration + a.drain + 120)] +
                               nsx(*rt(a, a.gen_cpu, a.rt_prio), *lg), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        # loadgen sets the calls up first: wait until rtpengine holds them all
        setup_end = time.monotonic() + 60
        while time.monotonic() < setup_end:
            if log_text(old_path).count("Creating new call") >= a.calls:
                break
            time.sleep(0.2)
        t_calls = time.monotonic()
        prober = subprocess.Popen(nsx(*rt(a, a.gen_cpu, a.rt_prio - 5), sys.executable, "-c",
                                      PROBER, str(a.warmup + a.duration), str(NG_PORT)),
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(a.warmup + a.duration / 3.0)
        res["restart_at_s"] = round(time.monotonic() - t_calls, 2)
        # the operator's restart: SIGTERM, wait for the exit, the same command again
        t_term = time.monotonic()
        old.send_signal(signal.SIGTERM)
        try:
            res["old_exit"] = old.wait(30)
        except subprocess.TimeoutExpired:
            res["old_exit"] = None
            old.kill()
            old.wait()
        t_exit = time.monotonic()
        new = subprocess.Popen(nsx(*rt(a, a.relay_cpu, a.rt_prio), *argv), stdout=new_log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        res["exit_ms"] = round((t_exit - t_term) * 1000, 1)
        res["ready"] = wait_ping(a, nsx, ADDR, NG_PORT, 30) is not None
        out, _ = lgp.communicate()
        pout, _ = prober.communicate()
        with open(os.path.join(raw, "%s-loadgen.out" % tag), "w") as f:
            f.write(" ".join(shlex.quote(c) for c in lg) + "\n" + out)
        for line in out.splitlines():
            if line.startswith("JSON "):
                res["loadgen"] = json.loads(line[5:])
        res["ng"] = json.loads(pout.strip().splitlines()[-1]) if pout.strip() else None
    finally:
        for p in (lgp, prober):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        stop(new)
        stop(old)
        stop(rp)
        old_log.close()
        new_log.close()
        if rlog:
            rlog.close()
    m = re.search(r"Redis restore time = (\d+) ms", log_text(new_path))
    for path in (old_path, new_path):
        trim_log(path)
    res["restore_ms"] = int(m.group(1)) if m else None
    res["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
    with open(os.path.join(raw, "%s.json" % tag), "w") as f:
        json.dump(res, f, indent=1)
    return res


def trim_log(path, keep=40):
    """rtpengine logs every call's set-up and teardown (megabytes at 500 calls): keeps the
    first and last lines and those about start, shutdown, Redis and errors."""
    lines = log_text(path).splitlines(True)
    if len(lines) <= 3 * keep:
        return
    key = re.compile(r"Redis|restor|Startup|shutting|ERR|CRIT|WARNING")
    mid = [ln for ln in lines[keep:-keep] if key.search(ln)][:keep]
    with open(path, "w") as f:
        f.writelines(lines[:keep] + ["[... %d lines left out ...]\n" % (len(lines) - 2 * keep -
                                                                       len(mid))] + mid +
                     lines[-keep:])


def summary(r):
    lg = r.get("loadgen") or {}
    ng = r.get("ng") or {}
    return {"sent": lg.get("sent"), "received": lg.get("received"),
            "lost": lg["sent"] - lg["received"] if lg else None,
            "alive": lg.get("calls_alive_end"), "gap_ms": lg.get("gap_max_ms"),
            "down_ms": round(ng["down_ms"], 1) if ng else None, "restore_ms": r.get("restore_ms"),
            "ng_failed": ng.get("failed"), "ng_ok": ng.get("ok"),
            "ng_worst_ms": round(ng.get("worst_ms", float("nan")), 1)}


def main(a, NS, ADDR, NG_PORT, nsx, rt):
    if a.kernel:
        sys.exit("--rtpengine runs rtpengine in user space only (no kernel module here)")
    out = os.path.join(a.out, "rtpengine")
    raw = os.path.join(out, "raw-%d" % a.calls)
    os.makedirs(raw, exist_ok=True)
    modes = [m for m in a.rtpengine_modes.split(",") if m]
    for m in modes:
        if m not in ("plain", "redis"):
            sys.exit("--rtpengine-modes: plain and/or redis, not %r" % m)
    env = (NS, ADDR, NG_PORT, nsx, rt)
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
    runs = []
    try:
        # the modes alternate per repetition: the machine's load drifts during a run
        for rep in range(a.reps):
            for mode in modes:
                r = one(a, mode, rep, raw, env)
                if r:
                    runs.append(r)
                    print("%s rep %d: %s" % (mode, rep, summary(r)), flush=True)
    finally:
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    write_report(a, out, modes, runs)


def write_report(a, out, modes, runs):
    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    rows, meds = [], []
    for r in runs:
        s = summary(r)
        rows.append("| %s | %d | %s | %s | %s | %s/%d | %s | %s | %s | %s | %s (%s answered, "
                    "%s ms worst) | %s |" % (
                        r["mode"], r["rep"], s["sent"], s["received"], s["lost"], s["alive"],
                        a.calls, s["gap_ms"] if s["alive"] else "-", s["down_ms"],
                        r.get("exit_ms"), s["restore_ms"] if s["restore_ms"] is not None
                        else "-", s["ng_failed"],
                        s["ng_ok"], s["ng_worst_ms"], " ".join(r["loadavg_before"])))
    for mode in modes:
        ss = [summary(r) for r in runs if r["mode"] == mode]
        if ss:
            gap = med([s["gap_ms"] for s in ss if s["alive"]])
            meds.append("- %s: %s packets lost, %s/%d calls with media again, longest gap "
                        "%s, ng down %s ms, %s ng pings failed" % (
                            mode, med([s["lost"] for s in ss]), med([s["alive"] for s in ss]),
                            a.calls, "%s ms" % gap if gap is not None else "none (no call)",
                            med([s["down_ms"] for s in ss]), med([s["ng_failed"] for s in ss])))
    text = """# rtpengine restarted under load (`bench/takeover.py --rtpengine`)

`bench/takeover.py --rtpengine --calls {calls} --reps {reps} --threads {threads}` on {host},
{date}; rtpengine {ver}, user space (--table=-1), 50 packets/s per stream each way,
172-byte RTP, one network namespace with only lo; rtpengine (old and new) pinned to one
core, loadgen and the ng prober to the other, SCHED_FIFO. At {at} s into the
{window} s measurement window rtpengine gets SIGTERM and, once it has exited, starts
again with the same command line (redis: with --redis to a redis-server in the
namespace, so it restores its calls). See bench/takeover.py's docstring for the columns;
"longest gap" is over the calls that had media again; "ng down" is the longest run of pings not answered
within 1 s (10 ms resolution; this prober does not wait for an answer before the next
ping, so pings go on every 10 ms while rtpengine is down), "exit" how long the old rtpengine took to exit after SIGTERM. The last column is the machine's load average before the
repetition (it is shared with other work).

| mode | rep | measured sent | received | lost | calls with media again | longest gap (ms) | ng down (ms) | exit (ms) | Redis restore (ms) | ng pings failed (answered) | load avg |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|
{rows}

Median per mode:
{meds}
""".format(calls=a.calls, reps=a.reps, threads=a.threads, host=os.uname().nodename,
           date=time.strftime("%Y-%m-%d"), ver=rtpengine_version(), at=round(a.duration / 3.0, 1),
           window=a.duration, rows="\n".join(rows), meds="\n".join(meds))
    with open(os.path.join(out, "calls%d.md" % a.calls), "w") as f:
        f.write(text)
    print(text)


def rtpengine_version():
    r = subprocess.run(["rtpengine", "--version"], capture_output=True, text=True)
    m = re.search(r"Version:\s*(\S+)", r.stdout + r.stderr)
    return m.group(1) if m else "?"
