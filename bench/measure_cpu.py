#!/usr/bin/python3
"""measure_cpu.py: whole-machine CPU per forwarded packet, eBPF fast path vs a
bare user-space relay (recvmmsg/sendmmsg): every core,
softirq included, from /proc/stat, minus what the generator alone costs.

Topology (namespaces made here, deleted at exit):

    gen ns 10.62.1.2 (offload-blast gen) == relay ns 10.62.1.1 | 10.62.2.1 == sink ns 10.62.2.2
    gen ns 10.62.3.2 ======================================================= sink ns 10.62.3.1

Modes, each run for --seconds with the middle part measured:
    base    generator straight to the sink over their own veth pair: what the
            load generator alone costs (send and receive)
    kernel  streams offloaded: tc rewrite + redirect to the sink
    user    offload-blast fwd in the relay ns (the bare user-space floor)
    rtprelay          rtprelayd, offload = no: one call per stream, set up
                      over ng (one-way media: gen -> sink)
    rtprelay-offload  the same with offload = yes (the calls settle into the
                      kernel before the load starts)
    rtprelay-offload-rec-pcap, rtprelay-offload-rec-all
                      the same, every call recorded (record-call; files on
                      tmpfs) to a pcap, or to a pcap and per-leg + mixed WAVs:
                      the streams stay in the kernel, which copies each packet
                      into its BPF ring buffer for the daemon's recording writer
    rtprelay-offload-recuser-pcap
                      recorded to a pcap with recording-kernel-ring-kb = 0: the
                      recorded streams leave the kernel, user space forwards and
                      copies them (the behaviour before kernel recording)
    (rtpengine user space: bench/run measures it; not repeated here)

Per packet = busy CPU seconds / packets the sink received; the relay's cost
is that minus the base mode's per-packet cost. On a machine shared with
other work the whole-machine figure drowns; the "attributed" figure counts
only softirq time (where the kernel's network stack and the eBPF program
run) plus the CPU time of the processes started here (generator, sink,
relay), which other work disturbs far less; "relay process" is the relay
process's own CPU time alone (daemon or bare forwarder; 0 for the kernel). The machine is
shared, so each mode runs --rounds times and the lowest figure is kept.

Usage: sudo /usr/bin/python3 bench/measure_cpu.py [--build DIR]
           [--streams 1000] [--pps 50] [--seconds 10] [--rounds 3]
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from ngclient import NgClient, sdp_media_ports  # noqa: E402

TAG = "rtpm%d" % (os.getpid() % 100000)
NS = {n: "%s-%s" % (TAG, n) for n in ("gen", "relay", "sink")}


def sh(*a, ns=None, check=True, **kw):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(a)
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60, **kw)


def topo_up():
    for ns in NS.values():
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    for i, (a, ia, b, ib) in enumerate([("gen", "mg0", "relay", "mr0"),
                                         ("sink", "ms0", "relay", "mr1"),
                                         ("gen", "mg1", "sink", "ms1")], 1):
        sh("ip", "link", "add", ia, "netns", NS[a], "type", "veth", "peer", "name", ib,
           "netns", NS[b])
        sh("ip", "addr", "add", "10.62.%d.2/24" % i, "dev", ia, ns=NS[a])
        sh("ip", "addr", "add", "10.62.%d.1/24" % i, "dev", ib, ns=NS[b])
        sh("ip", "link", "set", ia, "up", ns=NS[a])
        sh("ip", "link", "set", ib, "up", ns=NS[b])
        if i < 3:
            sh("ip", "route", "add", "default", "via", "10.62.%d.1" % i, ns=NS[a])


def topo_down():
    for ns in NS.values():
        sh("ip", "netns", "del", ns, check=False)


def busy_jiffies():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]  # minus idle and iowait


def softirq_jiffies():
    with open("/proc/stat") as f:
        return int(f.readline().split()[7])


def proc_jiffies(pids):
    """utime + stime of processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                v = f.read().rsplit(")", 1)[1].split()
            total += int(v[11]) + int(v[12])
        except OSError:
            pass
    return total


class Cli:
    def __init__(self, build):
        self.p = subprocess.Popen(["ip", "netns", "exec", NS["relay"],
                                   os.path.join(build, "tests", "tools", "offload-cli")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, lines):
        self.p.stdin.write("".join(x + "\n" for x in lines))
        self.p.stdin.flush()
        for x in lines:
            out = self.p.stdout.readline()
            if not out.startswith("ok"):
                raise RuntimeError("%s -> %s" % (x, out))

    def close(self):
        self.p.stdin.write("exit\n")
        self.p.stdin.close()
        self.p.wait(timeout=30)


def bpf_stats():
    """(run_time_ns, run_cnt) of our program on mr0 (kernel.bpf_stats_enabled)."""
    out = sh("tc", "filter", "show", "dev", "mr0", "ingress", ns=NS["relay"]).stdout
    m = re.search(r" id (\d+)", out)
    if not m:
        return None
    info = json.loads(sh("bpftool", "-j", "prog", "show", "id", m.group(1)).stdout)
    return info.get("run_time_ns", 0), info.get("run_cnt", 0)


def sdp(addr, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=sendrecv\r\n" % (addr, addr, port))


def start_daemon(a, offload, tmp, record=None, kernel_rec=True):
    """rtprelayd in the relay ns with one call per stream, each recorded with
    recording-method `record` if given; returns (proc, ports file)."""
    sock = os.path.join(tmp, "ng.sock")
    log = open(os.path.join(tmp, "daemon.log"), "w")
    extra, flags = [], {}
    if record:
        extra = ["--recording-dir=" + os.path.join(tmp, "rec"), "--recording-method=" + record]
        if not kernel_rec:
            extra.append("--recording-kernel-ring-kb=0")
        flags = {"flags": ["record-call"]}
    proc = subprocess.Popen(
        ["ip", "netns", "exec", NS["relay"], os.path.join(a.build, "daemon", "rtprelayd"),
         "--foreground", "--interface=10.62.1.1", "--listen-ng=127.0.0.1:2299",
         "--listen-unix=" + sock, "--port-min=30000", "--port-max=39999",
         "--timeout=600", "--delete-delay=0", "--log-level=notice",
         "--offload=" + ("yes" if offload else "no")] + extra, stdout=log, stderr=log)
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    ports = []
    with NgClient.unix(sock, timeout=10) as ng:
        for i in range(a.streams):
            cid = "m%d" % i
            r = ng.offer(cid, "a", sdp("10.62.1.2", 20000 + 2 * i), **flags)
            assert r["result"] == "ok", r
            r = ng.answer(cid, "a", "b", sdp("10.62.2.2", 6000 + 2 * i))
            assert r["result"] == "ok", r
            ports.append(sdp_media_ports(r["sdp"])[0][1])
    path = os.path.join(tmp, "ports")
    with open(path, "w") as f:
        f.write("\n".join(map(str, ports)) + "\n")
    time.sleep(5)  # learning window + one offload tick
    return proc, path


def run_mode(mode, a):
    blast = os.path.join(a.build, "bench", "offload-blast")
    n, secs = a.streams, a.seconds
    cli = None
    helpers = []
    daemon = None
    # on tmpfs: the recordings measure the relay, not a disk
    tmp = tempfile.TemporaryDirectory(prefix="rtprelay-measure-",
                                      dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    dst = ("10.62.1.1", "30000")
    if mode.startswith("rtprelay"):
        m = re.match(r"rtprelay-offload-rec(user)?-(\w+)$", mode)
        daemon, ports = start_daemon(a, mode.startswith("rtprelay-offload"), tmp.name,
                                     m.group(2) if m else None, not (m and m.group(1)))
        dst = ("10.62.1.1", "@" + ports)
    if mode == "kernel":
        cli = Cli(a.build)
        cmds = ["init mr0,mr1 30000 %d" % (30000 + 2 * n)]
        for i in range(n):
            cmds.append("add 10.62.1.1:%d 10.62.1.2:%d 10.62.2.1:%d 10.62.2.2:%d strict"
                        % (30000 + 2 * i, 20000 + 2 * i, 40000 + 2 * i, 6000 + 2 * i))
        cli.run(cmds)
    elif mode == "user":
        helpers.append(subprocess.Popen(
            ["ip", "netns", "exec", NS["relay"], blast, "fwd", "10.62.1.1", "30000",
             "10.62.2.1", "40000", "10.62.2.2", "6000", str(n), str(secs + 3)],
            stdout=subprocess.PIPE, text=True))
    sink = subprocess.Popen(["ip", "netns", "exec", NS["sink"], blast, "sink", "0.0.0.0",
                             "6000", str(n), str(secs + 2)], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    if mode == "base":
        dst = ("10.62.3.1", "6000")
    gen = subprocess.Popen(["ip", "netns", "exec", NS["gen"], blast, "gen", "10.62.1.2",
                            "20000", dst[0], dst[1], str(n), str(a.pps), str(secs)],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    bpf0 = bpf_stats() if "kernel" in mode or "offload" in mode else None
    window = secs - 4
    pids = [gen.pid, sink.pid] + [h.pid for h in helpers] + ([daemon.pid] if daemon else [])
    j0, t0 = busy_jiffies(), time.monotonic()
    a0 = softirq_jiffies() + proc_jiffies(pids)
    relay_pids = [h.pid for h in helpers] + ([daemon.pid] if daemon else [])
    r0 = proc_jiffies(relay_pids)
    time.sleep(window)
    j1, t1 = busy_jiffies(), time.monotonic()
    a1 = softirq_jiffies() + proc_jiffies(pids)
    r1 = proc_jiffies(relay_pids)
    bpf1 = bpf_stats() if "kernel" in mode or "offload" in mode else None
    sent = int(re.search(r"packets (\d+)", gen.communicate(timeout=60)[0]).group(1))
    got = int(re.search(r"packets (\d+)", sink.communicate(timeout=60)[0]).group(1))
    for h in helpers:
        h.communicate(timeout=60)
    if cli:
        cli.close()
    rec_bytes = 0
    if daemon:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        for root, _, files in os.walk(os.path.join(tmp.name, "rec")):
            rec_bytes += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    tmp.cleanup()
    hz = os.sysconf("SC_CLK_TCK")
    cpu_s = (j1 - j0) / hz
    pps = got / secs
    prog_ns = None
    if bpf0 and bpf1 and bpf1[1] > bpf0[1]:
        prog_ns = (bpf1[0] - bpf0[0]) / (bpf1[1] - bpf0[1])
    attr_s = (a1 - a0) / hz
    return {"mode": mode, "prog_ns": prog_ns, "rec_bytes": rec_bytes,
            "attr_us": attr_s / (t1 - t0) / pps * 1e6,
            "relay_proc_us": (r1 - r0) / hz / (t1 - t0) / pps * 1e6, "sent": sent, "received": got, "pps": pps,
            "cpu_cores": cpu_s / (t1 - t0), "us_per_pkt": cpu_s / (t1 - t0) / pps * 1e6}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("RTPRELAY_BUILD", "/work/main/build"))
    ap.add_argument("--streams", type=int, default=1000)
    ap.add_argument("--pps", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--modes", default="base,kernel,user,rtprelay,rtprelay-offload")
    a = ap.parse_args()
    with open("/proc/loadavg") as f:
        load0 = " ".join(f.read().split()[:3])
    topo_down()
    topo_up()
    stats_was = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    try:
        best, best_attr = {}, {}
        for _ in range(a.rounds):
            for mode in a.modes.split(","):
                r = run_mode(mode, a)
                print("  %-16s sent %8d recv %8d  %.1f kpps  %.3f cores  %.2f us/pkt"
                      "  (attributed %.2f, relay process %.2f us/pkt)"
                      % (mode, r["sent"], r["received"], r["pps"] / 1e3, r["cpu_cores"],
                         r["us_per_pkt"], r["attr_us"], r["relay_proc_us"]), flush=True)
                if r["prog_ns"]:
                    print("         eBPF program alone: %.0f ns/pkt" % r["prog_ns"], flush=True)
                if r["rec_bytes"]:
                    print("         recorded: %d bytes" % r["rec_bytes"], flush=True)
                if mode not in best or r["us_per_pkt"] < best[mode]["us_per_pkt"]:
                    best[mode] = r
                if mode not in best_attr or r["attr_us"] < best_attr[mode]["attr_us"]:
                    best_attr[mode] = r
        base = best["base"]["us_per_pkt"]
        print("streams %d x %d pps, best of %d rounds, generator-alone cost %.2f us/pkt, "
              "load average before: %s" % (a.streams, a.pps, a.rounds, base, load0))
        for mode in a.modes.split(","):
            if mode == "base":
                continue
            r = best[mode]
            loss = 1 - r["received"] / max(r["sent"], 1)
            print("%-16s %.2f us/pkt above the generator (attributed: %.2f, relay process "
                  "%.2f) (loss %.3f %%)"
                  % (mode, r["us_per_pkt"] - base,
                     best_attr[mode]["attr_us"] - best_attr["base"]["attr_us"],
                     min(x["relay_proc_us"] for x in (r, best_attr[mode])), loss * 100))
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(stats_was)
        topo_down()


if __name__ == "__main__":
    sys.exit(main())
