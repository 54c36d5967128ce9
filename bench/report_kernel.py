#!/usr/bin/python3
"""report_kernel.py RAW OUT MAIN_OUT: the "Kernel fast path" figures of `bench/run --kernel`.

Writes OUT/KERNEL.md from RAW/results.jsonl + RAW/meta.txt and puts the same text, between
two marker lines, into MAIN_OUT/RESULTS.md (replacing an earlier kernel section, leaving
the rest of the file alone). report.py keeps the section when a full run rewrites
RESULTS.md. Medians of the repetitions with (min–max); nothing filtered.

The headline figure: whole-machine busy CPU during a relay's run minus the same
during the generator-alone run of the same point and repetition (same calls, rate and
window, no relay), per forwarded packet. Busy = every core's elapsed time minus its
measured idle and iowait (loadgen's machine_busy_pct; see bench/procstat.h for why not
the tick-sampled busy fields).
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import fmt, load, relays_in, stat  # noqa: E402
import results_md  # noqa: E402

BEGIN = "<!-- kernel fast path: bench/run --kernel -->"
END = "<!-- /kernel fast path -->"
KERNEL = "rtprelay-kernel"
ALONE = "gen-alone"
ENGINE = "rtpengine"
TARGET = 5.0
# the daemon's own CPU above this share of its core means streams were still in user space
OFFLOADED_MAX_CPU_PCT = 5.0
# above this loss a per-forwarded-packet figure measures the dropping, not the forwarding:
# no ratio is taken from such a repetition
RATIO_MAX_LOSS_PCT = 1.0

RPS_TEXT = {
    0: "without RPS: veth hands each packet to the peer namespace on the sending core "
       "and it is processed there at once, in softirq inside the sender's own send (the "
       "kernel relay's work runs inside the generator's `sendmmsg`, a user-space relay's "
       "replies are received inside its own `sendmmsg`)",
    1: "with RPS: the relays' side of the veth pair is processed on the relays' core and "
       "the generator's side on the generator's core, each woken by an IPI (as a NIC's "
       "interrupt on that core would); in this VM an IPI, and the wake-up of an idle core "
       "with it, go through the hypervisor and cost much, and they are charged to whichever "
       "relay leaves the cores idle most",
}


def base_key(p):
    """the generator-alone row a relay row is compared with: same mode, calls, repetition"""
    tag = p.get("tag", "")
    parts = tag.split("-")
    if parts and parts[-1].startswith("rps"):
        parts = parts[:-1]
    return "-".join(parts)


def busy_pct(p, clean):
    """machine busy (% of a core); clean: less every other user-space process's CPU"""
    if "machine_busy_pct" not in p:
        return None
    return p["machine_busy_pct"] - (p.get("others_cpu_pct", 0.0) if clean else 0.0)


def net_ns(p, base, clean=True):
    """(machine busy - generator-alone busy) per forwarded packet, ns"""
    b = base.get(base_key(p)) if p else None
    if not b or not p.get("delivered_pps") or busy_pct(p, clean) is None:
        return None
    return (busy_pct(p, clean) - busy_pct(b, clean)) / 100.0 * 1e9 / p["delivered_pps"]


def flood_net_ns(p, base, clean=True):
    """flood: rates differ, so per packet minus the generator alone's per packet"""
    b = base.get(base_key(p))
    if not b or not p.get("delivered_pps") or not b.get("delivered_pps"):
        return None
    return (busy_pct(p, clean) / 100.0 * 1e9 / p["delivered_pps"] -
            busy_pct(b, clean) / 100.0 * 1e9 / b["delivered_pps"])


def busy_cores(p, clean=False):
    v = busy_pct(p, clean)
    return v / 100.0 if v is not None else None


def others_cores(p):
    return p.get("others_cpu_pct", 0.0) / 100.0


def ratio(a, b):
    return "%.1f×" % (a / b) if a is not None and b is not None and b > 0 and a > 0 else "n/a"


def rep_of(p):
    for part in p.get("tag", "").split("-"):
        if part.startswith("r") and part[1:].isdigit():
            return int(part[1:])
    return None


def fixed_tables(rows, relays, base, out, checks):
    fixed = [r for r in rows if r.get("mode") == "fixed" and r.get("relay") != ALONE]
    alone = [r for r in rows if r.get("mode") == "fixed" and r.get("relay") == ALONE]
    summary = {}
    rps_values = sorted({p.get("rps", -1) for p in fixed})
    for rps in rps_values:
        pts_rps = [p for p in fixed if p.get("rps", -1) == rps]
        out.append("### Fixed rate, %s (50 packets/s per stream, both directions, 172-byte "
                   "RTP)\n" % ({0: "veth without RPS", 1: "veth with RPS"}.get(rps, "veth")))
        if rps in RPS_TEXT:
            out.append("Receive processing " + RPS_TEXT[rps] + ".\n")
        out.append("| relay | calls | delivered pps | loss % | p50 µs | p99 µs | relay proc CPU % "
                   "| relay proc ns/pkt | machine busy (cores) | other processes (cores) "
                   "| **machine − gen alone ns/pkt** | rtpengine ÷ this | same, other "
                   "processes kept ns/pkt | rtpengine ÷ this | gen CPU % | IPIs/pkt | busy per core |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for c in sorted({p["calls"] for p in pts_rps}):
            a = [p for p in alone if p["calls"] == c]
            if a:
                out.append("| *generator alone* | %d | %s | %s | %s | %s | – | – | %s | %s | 0 | – "
                           "| 0 | – | %s | %s | %s |" % (
                               c, fmt(stat([p["delivered_pps"] for p in a])),
                               fmt(stat([p["loss_pct"] for p in a]), 3),
                               fmt(stat([p["lat_p50_us"] for p in a])),
                               fmt(stat([p["lat_p99_us"] for p in a])),
                               fmt(stat([busy_cores(p) for p in a]), 2),
                               fmt(stat([others_cores(p) for p in a]), 2),
                               fmt(stat([p["gen_cpu_pct"] for p in a]), 1), ipis(a),
                               cores_txt(a)))
            eng = {rep_of(p): p for p in pts_rps if p["relay"] == ENGINE and p["calls"] == c}
            for r in relays:
                if r == ALONE:
                    continue
                pts = [p for p in pts_rps if p["relay"] == r and p["calls"] == c]
                if not pts:
                    out.append("| %s | %d | not measured |%s" % (r, c, " |" * 10))
                    continue
                # rtpengine over this relay, repetition by repetition (same machine moment)
                ratios, raw_ratios = [], []
                for p in pts:
                    e = eng.get(rep_of(p))
                    if not e or max(e["loss_pct"], p["loss_pct"]) > RATIO_MAX_LOSS_PCT:
                        continue
                    for clean, lst in ((True, ratios), (False, raw_ratios)):
                        x, y = net_ns(e, base, clean), net_ns(p, base, clean)
                        if x is not None and y is not None and x > 0 and y > 0:
                            lst.append(x / y)
                summary[(r, c, rps)] = (med([net_ns(p, base) for p in pts]),
                                        med([net_ns(p, base) for p in eng.values()]),
                                        stat(ratios),
                                        med([p["relay_ns_per_pkt"] for p in pts]),
                                        med([p["loss_pct"] for p in pts]),
                                        med([net_ns(p, base, False) for p in pts]),
                                        stat(raw_ratios))
                if r == KERNEL:
                    for p in pts:
                        if p["relay_cpu_pct"] > OFFLOADED_MAX_CPU_PCT:
                            checks.append("%s %s: daemon CPU %.1f %% (streams not all "
                                          "offloaded?)" % (r, p.get("tag"), p["relay_cpu_pct"]))
                out.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | **%s** | %s | %s "
                           "| %s | %s | %s | %s |" % (
                    r, c, fmt(stat([p["delivered_pps"] for p in pts])),
                    fmt(stat([p["loss_pct"] for p in pts]), 3),
                    fmt(stat([p["lat_p50_us"] for p in pts])),
                    fmt(stat([p["lat_p99_us"] for p in pts])),
                    fmt(stat([p["relay_cpu_pct"] for p in pts]), 1),
                    fmt(stat([p["relay_ns_per_pkt"] for p in pts])),
                    fmt(stat([busy_cores(p) for p in pts]), 2),
                    fmt(stat([others_cores(p) for p in pts]), 2),
                    fmt(stat([net_ns(p, base) for p in pts])),
                    "–" if r == ENGINE else fmt(stat(ratios), 1, "×"),
                    fmt(stat([net_ns(p, base, False) for p in pts])),
                    "–" if r == ENGINE else fmt(stat(raw_ratios), 1, "×"),
                    fmt(stat([p["gen_cpu_pct"] for p in pts]), 1), ipis(pts), cores_txt(pts)))
        out.append("")
    return summary


def ipis(pts):
    return fmt(stat([p["ipi_per_pkt"] for p in pts
                     if p.get("ipi_per_pkt") is not None and p["ipi_per_pkt"] >= 0]), 2)


def cores_txt(pts):
    """median busy of each core, in cores: where the work ran"""
    per = [p.get("core_busy_pct") for p in pts if p.get("core_busy_pct")]
    if not per:
        return "n/a"
    n = min(len(x) for x in per)
    return " / ".join("cpu%d %.2f" % (c, statistics.median(x[c] for x in per) / 100.0)
                      for c in range(n))


def med(vals):
    v = [x for x in vals if x is not None]
    return statistics.median(v) if v else None


def ramp_table(rows, relays, out, meta):
    res = [r for r in rows if r.get("mode") == "ramp_result" and
           r.get("codec_b", "pcmu") == "pcmu"]
    if not res:
        return
    lim = res[0]
    out.append("### Most calls under %.1f %% loss (ramp)\n" % lim["max_loss_pct"])
    out.append("From %d calls, %d more per step, 5 s warm-up (so new calls are offloaded) and "
               "2 s measured per step; a step passes with loss ≤ %.1f %% and median latency "
               "≤ %d µs. One repetition. The ramp stops at 1500 calls: a relay passing every "
               "step is bounded by the ramp, not measured to its limit (the generator's own "
               "limit depends on the relay: see the flood). Backlog drops: packets dropped "
               "at a full input queue (netdev_max_backlog, %s) in that step.\n" % (
                   lim["start"], lim["step"], lim["max_loss_pct"], lim["max_p50_us"],
                   (meta.get("kernel_net", "").partition("netdev_max_backlog=")[2] or "n/a")))
    out.append("| relay | veth | most calls passing | first failing step (loss %, p50 µs, "
               "gen CPU %, backlog drops, busy per core) |")
    out.append("|---|---|---:|---|")
    for rps in sorted({x.get("rps", -1) for x in res}):
        for r in relays:
            if r == ALONE:
                continue
            b = [x["max_calls"] for x in res if x["relay"] == r and x.get("rps", -1) == rps]
            fails = ["%d: %.2f %%, %.0f µs, gen %.0f %%, %s, %s" % (
                x["calls"], x["loss_pct"], x["lat_p50_us"], x["gen_cpu_pct"],
                x.get("backlog_drops", "n/a"), cores_txt([x]))
                for x in rows if x.get("relay") == r and x.get("mode") == "ramp" and
                x.get("rps", -1) == rps and x.get("codec_b", "pcmu") == "pcmu" and
                (x["loss_pct"] > lim["max_loss_pct"] or x["lat_p50_us"] > lim["max_p50_us"])]
            out.append("| %s | %s | %s | %s |" % (
                r, {0: "no RPS", 1: "RPS"}.get(rps, ""), b[0] if b else "n/a",
                "; ".join(fails[:1]) or "none up to the maximum"))
    out.append("")


def flood_table(rows, relays, base, out, checks):
    pts = [r for r in rows if r.get("mode") == "flood"]
    if not pts:
        return
    alone = [x for x in pts if x["relay"] == ALONE]
    for rps in sorted({p.get("rps", -1) for p in pts if p.get("relay") != ALONE}):
        out.append("### Flood, %s (300 calls, 8 s warm-up at 50 packets/s per stream, then "
                   "every stream as fast as the generator can for 3 s)\n" % {
                       0: "veth without RPS", 1: "veth with RPS"}.get(rps, "veth"))
        out.append("The generator alone (each side straight to the other over its namespace's "
                   "`lo`) sets the generator's full rate. *machine − gen alone* here is per "
                   "packet minus the generator alone's per packet (the rates differ), other "
                   "processes left out. *backlog drops*: packets the kernel dropped because a "
                   "core's input queue (netdev_max_backlog) was full, machine-wide.\n")
        out.append("| relay | offered pps | delivered pps | loss % | backlog drops "
                   "| relay proc CPU % | machine busy (cores) | other processes (cores) "
                   "| machine − gen alone ns/pkt | gen CPU % | IPIs/pkt | busy per core |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in [ALONE] + [x for x in relays if x != ALONE]:
            p = alone if r == ALONE else [x for x in pts if x["relay"] == r and
                                          x.get("rps", -1) == rps]
            if not p:
                continue
            if r == KERNEL:
                checks.extend("%s %s: daemon CPU %.1f %% (streams not all offloaded?)" % (
                    r, x.get("tag"), x["relay_cpu_pct"]) for x in p
                    if x["relay_cpu_pct"] > OFFLOADED_MAX_CPU_PCT)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                "*generator alone*" if r == ALONE else r,
                fmt(stat([x["offered_pps"] for x in p])),
                fmt(stat([x["delivered_pps"] for x in p])),
                fmt(stat([x["loss_pct"] for x in p]), 3),
                fmt(stat([x.get("backlog_drops") for x in p])),
                "–" if r == ALONE else fmt(stat([x["relay_cpu_pct"] for x in p]), 1),
                fmt(stat([busy_cores(x) for x in p]), 2),
                fmt(stat([others_cores(x) for x in p]), 2),
                "0" if r == ALONE else fmt(stat([flood_net_ns(x, base) for x in p
                                                 if x["received"]])),
                fmt(stat([x["gen_cpu_pct"] for x in p]), 1), ipis(p), cores_txt(p)))
        out.append("")


METHOD = """How the figures are made (bench/run --kernel):

- Two namespaces made for the run and deleted at exit: the relays' (every relay, its ng
  and media on `10.99.0.1` of the veth end `vrelay`; `rtprelay-kernel`'s tc program on
  `vrelay` and `lo`) and the generator's (`10.99.0.2` on `vgen`, the calls' endpoints
  `10.1.x.y` (side A) and `10.2.x.y` (side B) local on its `lo`, routed via `10.99.0.2`
  from the relays' side). veth with its defaults (no XDP, no GRO: no NAPI), static
  neighbours, no reverse-path filter.
- *machine busy*: every core's elapsed time minus its idle and iowait time from
  `/proc/stat`, over the 5 s measurement window, in cores. Idle is measured at every idle
  entry and exit; the busy fields (user, system, softirq, ...) are only sampled at the
  250 Hz tick on this kernel and alias with the generator's 0.5 ms pacer (the same 25 %
  load read as 1.5 % or 98 % of a core), so they are not used. Busy thus counts user,
  nice, system, irq, softirq and steal time of every core, whoever it belongs to.
- *generator alone*: the same generator process, core, scheduling, calls, rate, warm-up
  pacing and 5 s window, with no relay and no ng: each side sends straight to the other
  side's endpoint address. It includes the generator's user-space work, its raw-socket
  sends, the loopback transmit and the whole receive path into its two UDP sockets
  (softirq, IP and UDP receive, socket wake-ups, `recvmmsg`), and whatever the machine
  runs in the background. It runs once per point and repetition, just before the relays.
- *other processes*: the CPU time of every user-space process but the generator and the
  relay under test (other relays idling, anything else on the machine, the bench's
  driver), from `/proc/PID/stat` (utime + stime + reaped children's), in cores. Kernel
  threads are not in it: ksoftirqd and workers may carry the packets' work.
- *machine − gen alone* = ((machine busy − other processes) of the relay's run − the same
  of the generator alone) / packets forwarded, per packet; *other processes kept*: the
  same without leaving other processes out (the issue's literal figure, which on this
  shared machine also counts whatever another tenant ran in one window and not the
  other). What the generator alone does not include is
  charged to every relay alike: each packet crosses the veth pair twice (to the relays'
  namespace and back) instead of `lo` once, and is received by the relays' namespace's
  IP stack (tc ingress with rtprelay-kernel's program attached, which every relay's
  packets pass: a map lookup that misses for the user-space relays); with RPS, the IPIs
  and wake-ups of both cores. The kernel relay's cost is all of it: it has no process
  time of its own (*relay proc*, ≈ 0).
- *relay proc* = the relay process's own CPU (utime + stime, scaled by the kernel to its
  exact runtime) per packet: what rtpengine's "15–17 µs per packet" refers to. Softirq
  work run inside a process's system calls is charged to that process on this kernel.
- *IPIs/pkt*: inter-processor interrupts (function calls, with which RPS kicks the other
  core, and rescheduling wake-ups) of all cores per forwarded packet, from
  `/proc/interrupts`. In a VM the hypervisor delivers them, which makes each costly.
- *busy per core*: where the work ran (which core is the generator's and which the
  relays' is said at the top).
- Ratios: rtpengine's *machine − gen alone* over this relay's, repetition by repetition
  (rtpengine and the relay measured minutes apart at most), median (min–max); none from
  a repetition where either lost more than 1 % (the cost per forwarded packet of a relay
  that drops most of its input measures the dropping).
"""

CAVEATS = """Caveats, read with the numbers:
- Shared 2-vCPU VM: other tenants (and the hypervisor) run on both cores during the run;
  the noise line says how much of each pinned core they took. Leaving other processes
  out removes their own CPU time, not the interrupts, softirq and kernel-thread work
  they cause, nor the cache and hypervisor contention: compare relays within this run
  (interleaved point by point), and read the min–max ranges.
- Busy time is resolved to 10 ms (USER_HZ) over a 5 s window: ±0.2 % of a core, about
  ±40 ns per packet at 50,000 packets/s.
- Offloading needs the daemon's main thread, which shares the pinned core with the
  SCHED_FIFO worker: every relay gets the same 12 s warm-up so that all streams are in
  the kernel before the window; the offload check below says whether they were.
- RPS or not decides where the kernel relay's work runs, and so the ramp's and flood's
  limits: without RPS it runs on the generator's core inside its sends (the generator
  then slows down instead of anything being lost); with RPS on the relays' core.
"""


def main():
    raw, outdir, main_out = sys.argv[1], sys.argv[2], sys.argv[3]
    rows, meta = load(raw)
    # transcoding is not part of this run (an interrupted one may have left rows)
    rows = [r for r in rows if not r.get("tag", "").startswith("tc-")]
    relays = [r for r in relays_in(meta, rows) if r != ALONE]
    base = {r["tag"]: r for r in rows if r.get("relay") == ALONE and "tag" in r and
            "machine_busy_pct" in r}
    out = ["## Kernel fast path\n"]
    out.append("Measured %s on `%s`, %s cores, kernel %s; commit %s; rtpengine-daemon %s "
               "(user space, `--table=-1`). Command: `bench/run --kernel` (run time %s s; "
               "%s). `rtprelay-kernel` = rtprelayd `--offload=yes` (tc/eBPF), `rtprelay` = "
               "the same daemon in user space, `floor` = the bare recvmmsg/sendmmsg "
               "forwarder; relays pinned to cpu %s, generator to cpu %s (its own network "
               "namespace, over a veth pair), %s. Load average before/after: %s / %s. Raw "
               "output: `bench/results/kernel/raw/`.\n" % (
                   meta.get("date"), meta.get("cpu"), meta.get("cores"), meta.get("kernel"),
                   meta.get("commit"), meta.get("rtpengine"), meta.get("elapsed_s"),
                   meta.get("kernel_net", ""), meta.get("relay_cpu"), meta.get("gen_cpu"),
                   "SCHED_FIFO" if meta.get("rt") == "1" else "normal scheduling",
                   meta.get("load_start"), meta.get("load_end")))
    noise = [r for r in rows if r.get("mode") == "noise"]
    if noise:
        out.append("Machine noise (share of a pinned core taken away): " + ", ".join(
            "%s cpu %d %.1f %%" % (n["relay"].replace("noise-", ""), n["cpu"], n["lost_pct"])
            for n in noise) + ".\n")
    if meta.get("relay_builds"):
        out.append("Other rtprelayd builds measured beside the others in user space (`bench/run "
                   "--relay-build`), labelled: %s.\n" % meta["relay_builds"])
    if meta.get("skipped"):
        out.append("**Not measured:** %s.\n" % meta["skipped"])
    checks = []
    summary = fixed_tables(rows, relays, base, out, checks)
    ramp_table(rows, relays, out, meta)
    flood_table(rows, relays, base, out, checks)
    out.append("### Offload check\n")
    if checks:
        out.extend("- " + c for c in checks)
    elif any(k[0] == KERNEL for k in summary):
        out.append("- rtprelay-kernel: the daemon's own CPU stayed ≤ %.0f %% of its core in "
                   "every fixed-rate and flood point (streams forwarded in the kernel, not by "
                   "the process)." % OFFLOADED_MAX_CPU_PCT)
    out.append("")
    kern = sorted((k, v) for k, v in summary.items() if k[0] == KERNEL)
    if kern:
        out.append("### Against the target (≥ %.0f× less whole-machine CPU per packet than "
                   "rtpengine user space, zero loss)\n" % TARGET)
        for (r, c, rps), (k, e, rat, proc, loss, kraw, rawrat) in kern:
            verdict = "n/a"
            if rat is not None:
                verdict = "met" if rat[1] >= TARGET else (
                    "met in the median" if rat[0] >= TARGET else "not met")
            out.append("- %d calls, %s: machine − gen alone %s ns/pkt vs rtpengine %s → %s "
                       "(%s); with other processes kept %s ns/pkt → %s; loss %s %%; the "
                       "daemon's own CPU %s ns/pkt." % (
                           c, {0: "no RPS", 1: "RPS"}.get(rps, "veth"),
                           "%.0f" % k if k is not None else "n/a",
                           "%.0f" % e if e is not None else "n/a",
                           fmt(rat, 1, "×") if rat else "n/a", verdict,
                           "%.0f" % kraw if kraw is not None else "n/a",
                           fmt(rawrat, 1, "×") if rawrat else "n/a",
                           "%.3f" % loss if loss is not None else "n/a",
                           "%.0f" % proc if proc is not None else "n/a"))
        out.append("")
    out.append(METHOD)
    out.append(CAVEATS)
    fails = [r for r in rows if "error" in r]
    if fails:
        out.append("Failed runs: " + "; ".join("%s %s: %s" % (f.get("relay"), f.get("tag"),
                                                              f["error"]) for f in fails) + "\n")
    text = "\n".join(out)
    with open(os.path.join(outdir, "KERNEL.md"), "w") as f:
        f.write(text)
    results_md.splice(os.path.join(main_out, "RESULTS.md"), text, BEGIN, END)


if __name__ == "__main__":
    main()
