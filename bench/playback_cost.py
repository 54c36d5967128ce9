#!/usr/bin/python3
"""bench/playback_cost.py: concurrent announcements per core, rtprelay beside rtpengine.

Each relay runs alone in a network namespace with only lo, pinned to --relay-cpu (one
worker thread), SCHED_FIFO like bench/run. For each codec (PCMU, Opus) and each number
of calls N (--points), interleaved between the relays (the order rotated every
repetition): a fresh relay, N calls set up over ng (phone A and phone B on loopback, B's
SDP naming one receiving socket for every call), then `play media` of the same file
(8 kHz mono WAV, --seconds long, repeated) to every B while no phone sends anything, so
every packet B receives is one the relay made. After --warmup seconds, for --duration
seconds:

- CPU per played packet: the relay process's utime+stime over the window / packets
  received in it;
- late packets: a packet is late when it arrives (kernel receive time, SO_TIMESTAMPNS,
  so the receiver's own scheduling does not count) more than --late-ms after its
  schedule: its RTP timestamp on the stream's earliest arrival offset of the second
  before it (a start-up burst or a sender clock a little off its timestamps does not
  count; a stall does); lost packets (sequence gaps) count as late;
- a point is sustained when late + lost < 0.1 % of the packets, every call's stream
  arrived and at least 98 % of N × 50 × duration packets did.

"Plays per core": the largest N of --points that was sustained in every repetition.
Writes OUT/README.md and raw JSON per run.
"""
import argparse
import collections
import json
import math
import os
import select
import shlex
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from ngclient import NgClient  # noqa: E402

NS = "rtprelay-playcost"
ADDR = "127.0.0.1"
B_PORT = 30000  # every call's phone B: one socket
A_PORT = 30100
CODECS = {"PCMU": ([(0, "PCMU/8000")], 8000), "opus": ([(111, "opus/48000/2")], 48000)}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def sdp(port, fmts):
    lines = ["v=0", "o=- 1 1 IN IP4 %s" % ADDR, "s=-", "c=IN IP4 %s" % ADDR, "t=0 0",
             "m=audio %d RTP/AVP %s" % (port, " ".join(str(p) for p, _ in fmts))]
    lines += ["a=rtpmap:%d %s" % f for f in fmts] + ["a=ptime:20", "a=sendrecv"]
    return "\r\n".join(lines) + "\r\n"


def relay_cmd(a, relay, mediadir):
    if relay == "rtprelay":
        return [os.path.join(a.build, "daemon/rtprelayd"), "--foreground",
                "--interface=" + ADDR, "--listen-ng=%s:2225" % ADDR, "--port-min=46000",
                "--port-max=62999", "--num-threads=1", "--log-level=3", "--delete-delay=0",
                "--media-dir=" + mediadir], 2225
    return ["rtpengine", "--config-file=none", "--table=-1", "--interface=" + ADDR,
            "--listen-ng=%s:2223" % ADDR, "--foreground", "--log-stderr", "--log-level=3",
            "--port-min=12000", "--port-max=28999", "--num-threads=1",
            "--delete-delay=0"], 2223


def cpu_ticks(pid):
    """utime + stime of @pid and all its threads, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        f = f.read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def receive(sock, until, stats, window):
    """Packets until monotonic @until: per relay source port, [(seq, ts, t)] inside
    @window (t0, t1) and counts before it."""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([sock], [], [], min(left, 0.05))
        if not r:
            continue
        while True:
            try:
                data, anc, _, src = sock.recvmsg(2048, 64, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            t = None
            for lvl, typ, val in anc:
                if lvl == socket.SOL_SOCKET and typ == 35:  # SO_TIMESTAMPNS
                    s, ns = struct.unpack("qq", val[:16])
                    t = s + ns * 1e-9
            if t is None or len(data) < 12:
                continue
            seq, ts = struct.unpack("!HI", data[2:8])
            if window[0] <= t < window[1]:
                stats.setdefault(src[1], []).append((seq, ts, t))


def judge(stats, clock, late_ms):
    """(packets, [late beyond each of @late_ms], lost, p99 delay ms) over every stream
    of the window. A packet's
    delay: its arrival minus its schedule, the schedule being its RTP timestamp on the
    stream's earliest arrival offset of the second before it (so a sender's start-up
    burst or a clock that runs a little off its timestamps does not count, a stall
    does: every packet after it is behind until the second has passed)."""
    pk = lost = 0
    late = [0] * len(late_ms)
    delays = []
    for pkts in stats.values():
        pkts.sort(key=lambda p: p[2])
        ts0, seq0 = pkts[0][1], pkts[0][0]
        win = collections.deque()  # (t, offset), offsets increasing
        for seq, ts, t in pkts:
            off = t - ((ts - ts0) & 0xFFFFFFFF) / clock
            while win and win[0][0] < t - 1.0:
                win.popleft()
            base = min(win[0][1], off) if win else off
            while win and win[-1][1] >= off:
                win.pop()
            win.append((t, off))
            d = off - base
            delays.append(d)
            for k, lim in enumerate(late_ms):
                late[k] += d > lim / 1000.0
        seqs = sorted(((p[0] - seq0) & 0xFFFF) for p in pkts)
        lost += (seqs[-1] - seqs[0] + 1) - len(set(seqs))
        pk += len(pkts)
    delays.sort()
    p99 = 1000.0 * delays[int(0.99 * (len(delays) - 1))] if delays else float("nan")
    return pk, late, lost, p99


def one(a, relay, codec, n, rep, wav, raw):
    fmts, clock = CODECS[codec]
    cmd, ngp = relay_cmd(a, relay, os.path.dirname(wav))
    sched = ["chrt", "-f", str(a.rt_prio)] if a.rt else []
    logf = open(os.path.join(raw, "%s-%s-%d-r%d.log" % (relay, codec, n, rep)), "wb")
    p = subprocess.Popen(nsx(*sched, "taskset", "-c", str(a.relay_cpu), *cmd),
                         stdout=logf, stderr=subprocess.STDOUT)
    res = None
    try:
        res = drive(a, p, ngp, fmts, clock, n, wav, codec)
    finally:
        p.terminate()
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        logf.close()
    if res is not None:
        res.update(relay=relay, codec=codec, calls=n, rep=rep)
        with open(os.path.join(raw, "%s-%s-%d-r%d.json" % (relay, codec, n, rep)), "w") as f:
            json.dump(res, f)
    return res


def drive(a, proc, ngp, fmts, clock, n, wav, codec):
    """Runs inside the namespace (the script re-executes itself there, see main)."""
    out = subprocess.run(nsx(*(["chrt", "-f", str(a.rt_prio)] if a.rt else []), "taskset",
                             "-c", str(a.gen_cpu), sys.executable, os.path.abspath(__file__),
                             "--drive", json.dumps(dict(
                                 ng=ngp, fmts=fmts, clock=clock, n=n, wav=wav, pid=proc.pid,
                                 warmup=a.warmup, duration=a.duration, late_ms=a.late_ms,
                                 loose_ms=a.loose_ms,
                                 codec=codec))),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=600)
    for line in out.stdout.splitlines():
        if line.startswith("JSON "):
            return json.loads(line[5:])
    print(out.stderr[-2000:], file=sys.stderr)
    return None


def drive_inside(cfg):
    ng = NgClient.udp((ADDR, cfg["ng"]), timeout=10.0)
    for _ in range(100):
        try:
            if ng.request({"command": "ping"}, timeout=0.5).get("result") == "pong":
                break
        except Exception:
            time.sleep(0.1)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    rx.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
    rx.bind((ADDR, B_PORT))
    a_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a_sock.bind((ADDR, A_PORT))
    fmts = [tuple(f) for f in cfg["fmts"]]
    n, failed = cfg["n"], 0
    t_setup = time.monotonic()
    for i in range(n):
        cid = "pc-%d" % i
        r = ng.request({"command": "offer", "call-id": cid, "from-tag": "a%d" % i,
                        "sdp": sdp(A_PORT, fmts)})
        r2 = ng.request({"command": "answer", "call-id": cid, "from-tag": "a%d" % i,
                         "to-tag": "b%d" % i, "sdp": sdp(B_PORT, fmts)})
        if r.get("result") != "ok" or r2.get("result") != "ok":
            failed += 1
    t_play = time.monotonic()
    stats, window, timeouts = {}, (0.0, 0.0), 0
    for i in range(n):
        try:
            r = ng.request({"command": "play media", "call-id": "pc-%d" % i,
                            "from-tag": "b%d" % i, "file": cfg["wav"], "repeat-times": 50})
        except OSError as e:  # no reply in 10 s: a relay that cannot keep up
            r = {"result": "timeout: %s" % e}
            timeouts += 1
            if timeouts >= 3:  # the point has failed; the rest would take minutes
                failed += n - i
                break
        if r.get("result") != "ok":
            failed += 1
            if failed < 3:
                print("play media: %r" % r, file=sys.stderr)
        if i % 50 == 49:  # keep the socket drained while commands go out
            receive(rx, time.monotonic() + 0.001, stats, window)
    t_started = time.monotonic()
    receive(rx, t_started + cfg["warmup"], stats, window)
    stats = {}
    c0, w0 = cpu_ticks(cfg["pid"]), time.time()
    t0 = time.clock_gettime(time.CLOCK_REALTIME)
    window = (t0, t0 + cfg["duration"])
    receive(rx, time.monotonic() + cfg["duration"] + 0.3, stats, window)
    c1, w1 = cpu_ticks(cfg["pid"]), time.time()
    lims = [cfg["late_ms"], cfg["loose_ms"]]
    pk, lates, lost, p99 = judge(stats, cfg["clock"], lims) if stats else (
        0, [0, 0], 0, float("nan"))
    late, late_loose = lates
    expected = n * 50 * cfg["duration"]
    cpu_s = (c1 - c0) / CLK_TCK
    res = dict(packets=pk, expected=expected, late=late, lost=lost, streams=len(stats),
               failed=failed, cpu_pct=100.0 * cpu_s / (w1 - w0), p99_delay_ms=p99,
               ns_per_pkt=1e9 * cpu_s / pk if pk else float("nan"),
               setup_s=t_play - t_setup, play_cmds_s=t_started - t_play,
               bad_pct=100.0 * (late + lost) / max(pk + lost, 1),
               late_loose=late_loose,
               bad_loose_pct=100.0 * (late_loose + lost) / max(pk + lost, 1))
    # every stream there and (nearly) every packet: a relay that stops or falls
    # behind for good fails too
    whole = len(stats) == n and not failed and pk >= 0.98 * expected
    res["sustained"] = bool(res["bad_pct"] < 0.1 and whole)
    res["sustained_loose"] = bool(res["bad_loose_pct"] < 0.1 and whole)
    print("JSON " + json.dumps(res))


def nsx(*cmd):
    return ["ip", "netns", "exec", NS] + list(cmd)


def make_wav(path, seconds):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i /
                                                                      8000) *
                                                     (0.6 + 0.4 * math.sin(i / 3000.0))))
                               for i in range(8000 * seconds)))


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--drive":
        drive_inside(json.loads(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", default="100 200 400 800")
    ap.add_argument("--codecs", default="PCMU opus")
    ap.add_argument("--relays", default="rtprelay rtpengine")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--seconds", type=int, default=10, help="length of the played file")
    ap.add_argument("--late-ms", type=float, default=20.0)
    ap.add_argument("--loose-ms", type=float, default=150.0,
                    help="second, looser lateness limit, reported beside")
    ap.add_argument("--build", default=os.path.join(REPO, "build-bench"))
    ap.add_argument("--relay-cpu", type=int, default=1)
    ap.add_argument("--gen-cpu", type=int, default=0)
    ap.add_argument("--rt-prio", type=int, default=20)
    ap.add_argument("--no-rt", dest="rt", action="store_false", default=True)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "playback"))
    a = ap.parse_args()
    raw = os.path.join(a.out, "raw")
    os.makedirs(raw, exist_ok=True)
    mediadir = tempfile.mkdtemp(prefix="rtprelay-playcost-")
    wav = os.path.join(mediadir, "announcement.wav")
    make_wav(wav, a.seconds)
    points = [int(x) for x in a.points.split()]
    relays = a.relays.split()
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    results, load = [], []
    try:
        subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
        for rep in range(a.reps):
            for codec in a.codecs.split():
                for n in points:
                    k = rep % len(relays)
                    for relay in relays[k:] + relays[:k]:
                        load.append(os.getloadavg()[0])
                        r = one(a, relay, codec, n, rep, wav, raw)
                        print("%s %s %d calls rep %d: %s" % (
                            relay, codec, n, rep, "failed" if r is None else
                            "%.0f ns/pkt, %.1f %% CPU, late %d lost %d of %d (%.3f %%)%s" % (
                                r["ns_per_pkt"], r["cpu_pct"], r["late"], r["lost"],
                                r["expected"], r["bad_pct"],
                                "" if r["sustained"] else " NOT sustained")),
                            file=sys.stderr, flush=True)
                        if r is not None:
                            results.append(r)
    finally:
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
        os.unlink(wav)
        os.rmdir(mediadir)
    write_report(a, results, load, points, relays)


def write_report(a, results, load, points, relays):
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            stdout=subprocess.PIPE, text=True).stdout.strip()
    eng = subprocess.run(["rtpengine", "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout.strip()
    L = ["# Playback cost: concurrent announcements per core, rtprelay beside rtpengine", "",
         "%s, commit %s, %s; %d repetition(s), relays interleaved (order rotated every "
         "repetition); load average (1 min) before each run: %s." % (
             time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit, eng, a.reps,
             ", ".join("%.2f" % x for x in load)), "",
         "Command (root): `bench/playback_cost.py %s`" % " ".join(
             shlex.quote(x) for x in sys.argv[1:]), "",
         "Every call: `play media` of one %d s 8 kHz WAV (repeated) to phone B, no phone "
         "sending, so the relay makes every packet (20 ms, 50/s per call); one worker "
         "thread pinned to one core. CPU: relay utime+stime over the %.0f s window / "
         "packets received; late: more than %.0f ms behind the stream's schedule (kernel "
         "receive time; the schedule: the RTP timestamp on the stream's earliest arrival "
         "offset of the second before), lost (sequence gaps) included; sustained: late + "
         "lost < 0.1 %% of the packets and at least 98 %% of N × 50/s arrived." % (
             a.seconds, a.duration, a.late_ms), "",
         "| codec | calls | relay | CPU ns/played packet (runs) | relay CPU %% | late+lost %% "
         "(max) | late > %.0f ms + lost %% (max) | delay p99 ms (max) | sustained (%.0f ms / "
         "%.0f ms) |" % (a.loose_ms, a.late_ms, a.loose_ms),
         "|---|---:|---|---:|---:|---:|---:|---:|---|"]
    best, best_loose = {}, {}
    for codec in a.codecs.split():
        for n in points:
            for relay in relays:
                rs = [r for r in results if (r["relay"], r["codec"], r["calls"]) ==
                      (relay, codec, n)]
                if not rs:
                    continue
                ok = all(r["sustained"] for r in rs) and len(rs) == a.reps
                ok_l = all(r["sustained_loose"] for r in rs) and len(rs) == a.reps
                if ok:
                    best[(relay, codec)] = max(best.get((relay, codec), 0), n)
                if ok_l:
                    best_loose[(relay, codec)] = max(best_loose.get((relay, codec), 0), n)
                L.append("| %s | %d | %s | %.0f (%s) | %.1f | %.3f | %.3f | %.1f | %s / %s |" % (
                    codec, n, relay, med([r["ns_per_pkt"] for r in rs]),
                    ", ".join("%.0f" % r["ns_per_pkt"] for r in rs),
                    med([r["cpu_pct"] for r in rs]), max(r["bad_pct"] for r in rs),
                    max(r["bad_loose_pct"] for r in rs), max(r["p99_delay_ms"] for r in rs),
                    "yes" if ok else "no", "yes" if ok_l else "no"))
    L += ["", "Concurrent announcements one core sustained (largest point tried that "
          "passed every repetition; the points tried are the limit of this figure):", "",
          "| codec | lateness limit | " + " | ".join(relays) + " |",
          "|---|---|" + "---:|" * len(relays)]

    def cell(b, r, codec):
        if (r, codec) not in b:
            return "< %d" % min(points)
        return ("≥ %d" if b[(r, codec)] == max(points) else "%d") % b[(r, codec)]
    for codec in a.codecs.split():
        for lim, b in ((a.late_ms, best), (a.loose_ms, best_loose)):
            L.append("| %s | %.0f ms | %s |" % (codec, lim, " | ".join(
                cell(b, r, codec) for r in relays)))
    L += ["", "Raw results and relay logs: `raw/`.", ""]
    with open(os.path.join(a.out, "README.md"), "w") as f:
        f.write("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
