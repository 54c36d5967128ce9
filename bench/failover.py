#!/usr/bin/python3
"""bench/failover.py: Redis-backed active/standby at scale (docs/failover.md).

The topology of tests/integration/test_redis_failover.py (redis_failover.py there:
namespaces C with redis-server and the phones, A the active with the service address,
B the standby), with --calls calls (a third each plain, SDES-SRTP, transcoded) carrying
media both ways: --probes of them every --period seconds per leg (the gap figures come
from these), the others every --bg-period (a Python sender cannot keep 500 calls at
20 ms; every call counts for "kept"). The active is killed (SIGKILL) and at once,
without waiting for the kernel to tear the process down (as VRRP would not), the
service address moved to B with a gratuitous ARP; per direction, on the sender's clock, the
media gap (send time of the first packet delivered after the kill minus that of the last
delivered before it: address move + the standby's part) and when media resumed
after the address move began (send time of the first delivered packet sent after it);
the resolution is the period. Reported: calls kept (media continued both ways and SRTP still authenticates),
media gap p50/p99/max, the time from the kill until the standby said it was active
(rtprelay's log line, read after the measurement: the main thread does the same,
nothing, for both relays while media moves). --capture adds the wire's view from the
standby's interface (bench/failover_capture.py): when the GARP left, the first media
arrived and the first was relayed, so the relay's own share is apart from the bench's
steps.

Then, on a relay with Redis and one without (both in B, alone): the ng reply latency
of offer and answer (p50/p99 over --ng-calls calls set up back to back) and the Redis
write rate (records written per second while those calls were set up, from
`statistics`).

Then rtpengine 10.5 in its Redis mode (class Rtpengine below) in fresh namespaces with
the same calls, media and measurement (--no-rtpengine leaves it out).
Needs root, redis-server and an rtprelayd build (--build, default ./build).
Writes OUT/README.md and OUT/results.json (default bench/results/failover).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from redis_failover import (A_ADDR, B_ADDR, C_ADDR, NG_PORT, VIP,  # noqa: E402
                            MediaPump, Redis, Relay, Topo,
                            continued, media_gap, percentile, resumed_after, setup_call,
                            wait_ready)
from failover_capture import Capture, analyse  # noqa: E402


def stats(topo, addr):
    with topo.ng(addr) as ng:
        r = ng.request({"command": "statistics"})
    return r["statistics"].get("redis", {})


def wait_for(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    return None


class Rtpengine:
    """rtpengine 10.5 in its Redis mode (its wiki, "Redis keyspace notifications"): each
    instance writes its own database and subscribes to the other's; the standby creates
    the active's calls as foreign calls and binds the service address before it has it
    (net.ipv4.ip_nonlocal_bind = 1 in its namespace); --active-switchover lets media
    decide which instance is active."""

    def __init__(self, ns, own_addr, db, sub, redis_port, logdir, name):
        self.log_path = os.path.join(logdir, "rtpengine-%s.log" % name)
        self.log = open(self.log_path, "wb")
        argv = ["ip", "netns", "exec", ns.name, "rtpengine", "--foreground", "--log-stderr",
                "--table=-1", "--interface=" + VIP, "--listen-ng=%s:%d" % (own_addr, NG_PORT),
                "--port-min=30000", "--port-max=39999", "--num-threads=1", "--log-level=5",
                "--delete-delay=0", "--timeout=120", "--no-redis-required",
                "--redis=%s:%d/%d" % (C_ADDR, redis_port, db), "--subscribe-keyspace=%d" % sub,
                "--active-switchover"]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


class Reaper:
    """Waits for a killed process in a thread of its own; ms() is how long after
    t0 it was reaped."""

    def __init__(self, proc, t0):
        self.t0, self.t = t0, None

        def wait():
            proc.wait(30)
            self.t = time.monotonic()
        self.th = threading.Thread(target=wait, daemon=True)
        self.th.start()

    def ms(self):
        self.th.join(30)
        return round((self.t - self.t0) * 1000, 1) if self.t else None


def ms(v):
    return round(v * 1000, 1) if v is not None else None


def standby_active_at(standby):
    """The wall-clock time rtprelay's standby was active, from its log line "active
    now ... (address seen at SECONDS, active after MS ms)"; None without it."""
    m = re.search(r"active now .*address seen at ([0-9.]+), active after ([0-9.]+) ms",
                  standby.log_text())
    return float(m.group(1)) + float(m.group(2)) / 1000 if m else None


def standby_lists(topo, n):
    with topo.ng(B_ADDR) as ng:
        r = ng.request({"command": "list", "limit": 100000})
    return len(r.get("calls", [])) >= n


def failover_run(a, topo, redis, logdir, relay="rtprelay"):
    if relay == "rtprelay":
        active = Relay(topo.a, a.bin, A_ADDR, "active", redis.port, logdir)
        wait_ready(topo, A_ADDR)
        standby = Relay(topo.b, a.bin, B_ADDR, "standby", redis.port, logdir)
        wait_ready(topo, B_ADDR)
    else:
        topo.b.run("sysctl", "-w", "net.ipv4.ip_nonlocal_bind=1")
        # rtpengine's records are hashes and sets: every keyspace event class
        redis.command("CONFIG", "SET", "notify-keyspace-events", "KA")
        active = Rtpengine(topo.a, A_ADDR, 1, 2, redis.port, logdir, "active")
        wait_ready(topo, A_ADDR)
        standby = Rtpengine(topo.b, B_ADDR, 2, 1, redis.port, logdir, "standby")
        wait_ready(topo, B_ADDR)
    kinds = ("plain", "srtp", "xcode")
    calls = []
    cap = None
    try:
        with topo.ng(A_ADDR) as ng:
            for i in range(a.calls):
                k = kinds[i % 3]
                calls.append(setup_call(topo, ng, "bf-%s-%d" % (k, i), k))
        # every call keeps media flowing at --bg-period; the first --probes calls (a
        # third of each kind) at --period, and only they give the gap figures: a Python
        # sender cannot keep 500 calls at 20 ms
        probes = calls[:a.probes]
        pump = MediaPump(calls[a.probes:], a.bg_period)
        probe_pump = MediaPump(probes, a.period)
        pump.start()
        probe_pump.start()
        try:
            time.sleep(3.0)
            flowing = sum(1 for c in calls if c.a.arrivals and c.b.arrivals)
            auth_failed_before = sum(len(c.a.auth_failed) for c in calls)  # before the kill
            restorable = sum(1 for c in calls if c.kind != "xcode")
            if relay == "rtprelay":
                wait_for(lambda: stats(topo, B_ADDR).get("restored", 0) >= restorable, 30)
                st_b = stats(topo, B_ADDR)
            else:
                wait_for(lambda: standby_lists(topo, len(calls)), 30)
                st_b = {}
            cap = (Capture(topo.b, "eth0", os.path.join(logdir, "standby-%s.pcap" % relay))
                   if a.capture else None)
            t_fail = time.monotonic()
            t_fail_wall = time.time()
            # SIGKILL, and the address moves at once: the kernel tearing the dead
            # process down (closing its sockets, freeing its memory: tens of ms, more
            # for a process with more memory) goes on meanwhile, as it would while
            # VRRP moves the address; waiting for it first put each relay's exit
            # cost into its media gap
            active.proc.kill()
            reaper = Reaper(active.proc, t_fail)
            t_killed = time.monotonic()
            t_killed_wall = time.time()
            topo.move_vip()
            t_moved = time.monotonic()
            # the main thread does nothing while media moves, for both relays: work
            # here (reading the standby's log) would take the GIL from the pumps and
            # delay the packets whose send times are the measurement
            time.sleep(3.5)
        finally:
            pump.stop()
            probe_pump.stop()
        t_active = t_moved  # rtpengine: nothing to wait for
        if relay == "rtprelay":
            seen = standby_active_at(standby)
            t_active = t_fail + (seen - t_fail_wall) if seen else None
        # kept: from a second after the standby was active (the move, if it did not say)
        t_kept = (t_moved if t_active is None else t_active) + 1.0
        wire = {}
        if cap:
            cap.stop()
            wire = analyse(cap.path, VIP, t_fail_wall, t_killed_wall)
        kept, gaps, resumed, by_kind, lost = 0, [], [], {}, []
        lat, pre = [], []  # relay latency in the second before the kill; gap before it
        for c in calls:
            # kept: media both ways from t_kept on, and no SRTP packet failed to
            # authenticate
            late_fail = [f for f in c.a.auth_failed if f[0] > t_fail]
            ok = (continued(c.a, t_kept) > 0 and continued(c.b, t_kept) > 0
                  and not late_fail)
            kept += ok
            if ok and c in probes and c.kind != "xcode":  # transcoded: renumbered
                g = [media_gap(c.a, c.b, t_fail), media_gap(c.b, c.a, t_fail)]
                gaps.extend(x for x in g if x is not None)
                r = [resumed_after(c.a, c.b, t_killed), resumed_after(c.b, c.a, t_killed)]
                resumed.extend(x for x in r if x is not None)
                for rx, tx in ((c.a, c.b), (c.b, c.a)):
                    sent = [(t, tx.sent_at.get(q)) for t, q in rx.arrivals]
                    lat.extend(t - s for t, s in sent if s and t_fail - 1.0 < t <= t_fail)
                    before = [s for _, s in sent if s and s <= t_fail]
                    if before:
                        pre.append(t_fail - max(before))
            if not ok and c.kind != "xcode":
                lost.append({"call": c.cid, "to_a_after": continued(c.a, t_kept),
                             "to_b_after": continued(c.b, t_kept),
                             "auth_failed": [(round(t - t_fail, 3), q, w)
                                             for t, q, w in c.a.auth_failed]})
            by_kind.setdefault(c.kind, [0, 0])
            by_kind[c.kind][0] += ok
            by_kind[c.kind][1] += 1
        return {
            "relay": relay, "calls": a.calls, "flowing_before": flowing, "restored_before": st_b.get("restored"),
            "refused_records": st_b.get("refused"), "kept": kept,
            "kept_by_kind": {k: "%d/%d" % tuple(v) for k, v in by_kind.items()},
            "gap_ms_p50": round(percentile(gaps, 50) * 1000, 1) if gaps else None,
            "gap_ms_p99": round(percentile(gaps, 99) * 1000, 1) if gaps else None,
            "gap_ms_max": round(max(gaps) * 1000, 1) if gaps else None,
            "resumed_after_move_ms_p50": round(percentile(resumed, 50) * 1000, 1)
            if resumed else None,
            "resumed_after_move_ms_p99": round(percentile(resumed, 99) * 1000, 1)
            if resumed else None,
            "kill_ms": reaper.ms(),
            # what was in flight in the relay (and the sender's receiving thread) at the
            # kill: part of the gap, and lost with the active
            "latency_before_kill_ms_p50": ms(percentile(lat, 50)),
            "latency_before_kill_ms_p99": ms(percentile(lat, 99)),
            "gap_before_kill_ms_p50": ms(percentile(pre, 50)),
            "gap_before_kill_ms_p99": ms(percentile(pre, 99)),
            # the probe sender's rate against its nominal one (probes x 2 / period):
            # far below 1, the machine was too busy for the run to mean much
            "probe_rate_of_nominal": round(probe_pump.sent / max(probe_pump.elapsed, 0.001)
                                           / (2 * len(probes) / a.period), 3),
            "address_move_ms": round((t_moved - t_killed) * 1000, 1),
            "standby_active_after_ms": round((t_active - t_fail) * 1000, 1)
            if t_active is not None else None,
            "probes": len(probes), "period_ms": a.period * 1000,
            "bg_period_ms": a.bg_period * 1000,
            "probe_packets_per_s": round(probe_pump.sent / max(probe_pump.elapsed, 0.001)),
            "bg_packets_per_s": round(pump.sent / max(pump.elapsed, 0.001)),
            "wire": wire,
            "lost_not_transcoded": lost,
            "srtp_auth_failed_before_kill": auth_failed_before,
            "srtp_auth_failures": [(c.cid, [(round(t - t_fail, 3), q, w)
                                            for t, q, w in c.a.auth_failed])
                                   for c in calls if c.a.auth_failed],
        }
    finally:
        if cap:
            cap.stop()
        active.stop()
        standby.stop()


def ng_latency_run(a, topo, redis, logdir, with_redis):
    # in B: the service address is there after the failover run
    relay = Relay(topo.b, a.bin, B_ADDR, "active" if with_redis else "none",
                  redis.port if with_redis else None, logdir)
    try:
        wait_ready(topo, B_ADDR)
        lat = {"offer": [], "answer": []}
        w0 = stats(topo, B_ADDR).get("writes", 0)
        t0 = time.monotonic()
        with topo.ng(B_ADDR) as ng:
            orig_req = ng.request

            def timed(d, *args, **kw):
                t = time.monotonic()
                r = orig_req(d, *args, **kw)
                if d.get("command") in lat:
                    lat[d["command"]].append(time.monotonic() - t)
                return r
            ng.request = timed
            for i in range(a.ng_calls):
                setup_call(topo, ng, "lat-%d" % i, "srtp" if i % 2 else "plain")
        took = time.monotonic() - t0
        if with_redis:
            wait_for(lambda: stats(topo, B_ADDR).get("queued", 1) == 0, 10)
        st = stats(topo, B_ADDR)
        out = {"calls": a.ng_calls, "seconds": round(took, 3)}
        for k, v in lat.items():
            out[k + "_ms_p50"] = round(percentile(v, 50) * 1000, 3)
            out[k + "_ms_p99"] = round(percentile(v, 99) * 1000, 3)
        if with_redis:
            out["records_written"] = st.get("writes", 0) - w0
            out["writes_per_s"] = round(out["records_written"] / took, 1)
            out["coalesced"] = st.get("coalesced")
            out["bytes_per_record"] = round(st.get("writtenbytes", 0) /
                                            max(1, st.get("writes", 1)))
        return out
    finally:
        relay.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--period", type=float, default=0.02,
                    help="s between packets per leg of the probe calls")
    ap.add_argument("--bg-period", type=float, default=0.5,
                    help="s between packets per leg of the other calls")
    ap.add_argument("--probes", type=int, default=60, help="calls measured for the gap")
    ap.add_argument("--ng-calls", type=int, default=500)
    ap.add_argument("--no-rtpengine", action="store_true")
    ap.add_argument("--rtpengine-first", action="store_true",
                    help="rtpengine's part before rtprelay's (the machine's load drifts "
                    "during a run: alternate the order over runs)")
    ap.add_argument("--capture", action="store_true",
                    help="capture on the standby's interface: where the time goes "
                    "(bench/failover_capture.py)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "failover"))
    a = ap.parse_args()
    a.bin = os.path.join(a.build, "daemon", "rtprelayd")
    logdir = tempfile.mkdtemp(prefix="rtprelay-bench-failover-")
    res = {"date": time.strftime("%Y-%m-%d"), "build": a.build}
    res["order"] = "rtpengine first" if a.rtpengine_first else "rtprelay first"

    def rtprelay_part():
        with Topo("rbf%d" % os.getpid()) as topo:
            redis = Redis(topo, 46379, logdir)
            try:
                res["failover"] = failover_run(a, topo, redis, logdir)
                print("failover:", res["failover"], flush=True)
                redis.command("FLUSHALL")
                res["ng_redis_off"] = ng_latency_run(a, topo, redis, logdir, False)
                print("ng, Redis off:", res["ng_redis_off"], flush=True)
                res["ng_redis_on"] = ng_latency_run(a, topo, redis, logdir, True)
                print("ng, Redis on:", res["ng_redis_on"], flush=True)
            finally:
                redis.stop()

    def rtpengine_part():
        # rtpengine in fresh namespaces (its standby needs ip_nonlocal_bind), same load
        with Topo("rbe%d" % os.getpid()) as topo:
            redis = Redis(topo, 46380, logdir)
            try:
                res["failover_rtpengine"] = failover_run(a, topo, redis, logdir, "rtpengine")
                print("failover, rtpengine:", res["failover_rtpengine"], flush=True)
            finally:
                redis.stop()

    parts = [rtprelay_part] + ([] if a.no_rtpengine else [rtpengine_part])
    for part in (reversed(parts) if a.rtpengine_first else parts):
        part()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    print("logs in", logdir)


if __name__ == "__main__":
    main()
