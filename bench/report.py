#!/usr/bin/python3
"""report.py RAW OUT: turn bench/run's raw results into OUT/RESULTS.md and gnuplot data.

Input: RAW/results.jsonl (one JSON object per loadgen result, tagged by bench/run with
"tag" = <kind>-[<calls>-]r<rep>) and RAW/meta.txt (key=value lines about the run).
Every figure is the median over repetitions, with min and max beside it; nothing is
filtered or dropped: a failed point is listed as failed.

report.py --quality RAW OUT MAIN_OUT (bench/run --quality): only the transcoding quality
section, see report_quality.py.
"""
import json
import os
import re
import shutil
import statistics
import sys

import report_quality


def load(raw):
    rows = []
    with open(os.path.join(raw, "results.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    rows.append({"error": "unparsable line: " + line[:80]})
    meta = {}
    with open(os.path.join(raw, "meta.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    return rows, meta


def stat(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def fmt(s, nd=0, unit=""):
    if s is None:
        return "n/a"
    med, lo, hi = s
    f = "%%.%df" % nd
    if lo == hi:
        return (f % med) + unit
    return (f % med) + unit + " (" + (f % lo) + "–" + (f % hi) + ")"


def relays_in(meta, rows):
    order = [r for r in meta.get("relays", "").split() if r]
    for row in rows:
        r = row.get("relay")
        if r and r not in order and row.get("mode") != "noise" and \
                not r.startswith("noise-"):
            order.append(r)
    return order


def kind(row):
    return row.get("tag", "").split("-")[0]


def fixed_points(rows, relay):
    pts = {}
    for row in rows:
        if row.get("relay") == relay and row.get("mode") == "fixed":
            pts.setdefault(row["calls"], []).append(row)
    return pts


def failures(rows):
    return [r for r in rows if "error" in r]


READING = """How to read these figures on this machine: it is a shared 2-vCPU VM. With
SCHED_FIFO the relay runs the moment a packet arrives, so at light load every packet
costs a wake-up (a context switch away from another tenant's task, cold caches, the
hypervisor's share), which dominates CPU per packet and compresses the differences
between relays; under normal scheduling the same relays batch more and spend less CPU
per packet, but then latency measures the other tenants (e.g. the floor at 300 calls:
about 25 µs/packet and 0.1 ms median latency with SCHED_FIFO, about 8–10 µs/packet and
3–13 ms median latency without, same minute). Once a relay's core is full (about 95 %,
the real-time limit), CPU per packet is simply core time / packets for every relay and
the differences show up in latency and in the ramp instead. Compare relays within this
run; `bench/run --no-rt` on a quiet dedicated machine gives the absolute costs.
"""


def md_fixed(rows, relays, out):
    out.append("## Media: fixed rate (50 packets/s per stream, both directions, 172-byte RTP)\n")
    out.append("Median of the repetitions, (min–max) beside it. *ns/pkt* = the relay "
               "process's CPU time (utime+stime) per delivered packet; *machine ns/pkt* = "
               "all cores' busy time (softirq included) minus the generator's own CPU, per "
               "delivered packet (includes anything else running on the machine). Latency "
               "is one-way through the relay, generator send to kernel receive timestamp.\n")
    out.append("| relay | calls | delivered pps | loss % | p50 µs | p99 µs | max µs | relay CPU % "
               "| ns/pkt | × floor | × rtpengine | machine ns/pkt | gen CPU % | relay RSS MB |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = {r: fixed_points(rows, r) for r in relays}
    calls = sorted({c for r in relays for c in base[r]})
    for c in calls:
        for r in relays:
            pts = base[r].get(c)
            if not pts:
                out.append("| %s | %d | not measured | | | | | | | | | | | |" % (r, c))
                continue

            def s(key, pts=pts):
                return stat([p.get(key) for p in pts])

            def ratio(other, pts=pts, c=c):
                o = base.get(other, {}).get(c)
                if not o or other == r:
                    return "–"
                a = statistics.median([p["relay_ns_per_pkt"] for p in pts])
                b = statistics.median([p["relay_ns_per_pkt"] for p in o])
                return "%.2f" % (a / b) if b else "n/a"
            out.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r, c, fmt(s("delivered_pps")), fmt(s("loss_pct"), 3), fmt(s("lat_p50_us")),
                fmt(s("lat_p99_us")), fmt(s("lat_max_us")), fmt(s("relay_cpu_pct"), 1),
                fmt(s("relay_ns_per_pkt")), ratio("floor"), ratio("rtpengine"),
                fmt(s("sys_ns_per_pkt")), fmt(s("gen_cpu_pct"), 1),
                fmt(stat([p.get("relay_rss_kb", 0) / 1024.0 for p in pts]), 1)))
    out.append("")


def md_srtp(rows, relays, out):
    pts = {}
    for row in rows:
        if row.get("mode") == "srtp":
            pts.setdefault((row["relay"], row["calls"]), []).append(row)
    if not pts:
        return
    out.append("## Media: SRTP<->RTP (side A SDES-SRTP AES_CM_128_HMAC_SHA1_80, side B "
               "plain, 50 packets/s per stream)\n")
    out.append("The relay decrypts A->B and encrypts B->A; the generator encrypts and "
               "decrypts with libsrtp2 on its own core. *× plain* = ns/pkt against the same "
               "relay's plain fixed-rate point with the same calls (when measured). "
               "`bench/srtp_floor` gives the crypto floor alone.\n")
    out.append("| relay | calls | delivered pps | loss % | p50 µs | p99 µs | relay CPU % | ns/pkt "
               "| × plain | × rtpengine | undecryptable |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in sorted({k[1] for k in pts}):
        for r in relays:
            p = pts.get((r, c))
            if not p:
                continue

            def s(key, p=p):
                return stat([x.get(key) for x in p])

            def med(rows_):
                return statistics.median([x["relay_ns_per_pkt"] for x in rows_])
            plain = fixed_points(rows, r).get(c)
            eng = pts.get(("rtpengine", c))
            xp = "%.2f" % (med(p) / med(plain)) if plain and med(plain) else "–"
            xe = "%.2f" % (med(p) / med(eng)) if eng and r != "rtpengine" and med(eng) else "–"
            out.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r, c, fmt(s("delivered_pps")), fmt(s("loss_pct"), 3), fmt(s("lat_p50_us")),
                fmt(s("lat_p99_us")), fmt(s("relay_cpu_pct"), 1), fmt(s("relay_ns_per_pkt")),
                xp, xe, fmt(s("bad"))))
    out.append("")


def md_ramp(rows, relays, out, mode="ramp", title="Most calls on one core (ramp)"):
    """the ramp's table; mode "srtp_ramp": the same with side A SDES-SRTP"""
    res = [r for r in rows if r.get("mode") == mode + "_result" and
           r.get("codec_b", "pcmu") == "pcmu"]
    if not res:
        if mode == "ramp":
            out.append("## %s\n" % title)
            out.append("Not measured.\n")
        return
    out.append("## %s\n" % title)
    lim = res[0]
    out.append("Calls added %d at a time from %d; a step passes with loss ≤ %.1f %% and "
               "median latency ≤ %d µs (1 s warm-up, 2 s measured per step). Median of the "
               "repetitions (min–max).\n" % (lim.get("step", 100), lim.get("start", 300),
                                             lim["max_loss_pct"], lim["max_p50_us"]))
    out.append("| relay | most calls passing | × rtpengine | first failing step (loss %, p50 µs) |")
    out.append("|---|---:|---:|---|")
    best = {r: stat([x["max_calls"] for x in res if x["relay"] == r]) for r in relays}
    for r in relays:
        if not best[r] and mode != "ramp":
            continue  # the floor speaks no SRTP
        steps = [x for x in rows if x.get("relay") == r and x.get("mode") == mode and
                 x.get("codec_b", "pcmu") == "pcmu"]
        fails = []
        for x in steps:
            if x["loss_pct"] > lim["max_loss_pct"] or x["lat_p50_us"] > lim["max_p50_us"]:
                fails.append("%d: %.2f %%, %.0f µs" % (x["calls"], x["loss_pct"],
                                                      x["lat_p50_us"]))
        ratio = "–"
        if r != "rtpengine" and best.get("rtpengine") and best[r] and best["rtpengine"][0]:
            ratio = "%.2f" % (best[r][0] / best["rtpengine"][0])
        out.append("| %s | %s | %s | %s |" % (r, fmt(best[r]), ratio,
                                              "; ".join(fails) or "none up to the maximum"))
    out.append("")


def codecs_of(res):
    out = []
    for r in res:
        if r["codec_b"] not in out:
            out.append(r["codec_b"])
    return out


def md_transcoding(rows, relays, out, raw):
    out.append("## Transcoding: channels per core\n")
    res = [r for r in rows if r.get("mode") == "ramp_result" and
           r.get("codec_b", "pcmu") != "pcmu"]
    if not res:
        out.append("Not measured.\n")
        return
    reps = len({x.get("tag") for x in res})
    out.append("One channel = one call transcoded both ways (side A PCMU with a speech-like "
               "signal, side B only the codec; the offer carries `codec` → `transcode`). "
               "%d repetition(s) per relay and pair (time budget). Ramp per pair, fresh calls "
               "at every step (1 s warm-up, 2 s measured): a step passes when every packet "
               % max(1, reps // max(1, len(codecs_of(res)))) +
               "arrives with the payload type the receiving side negotiated, loss ≤ 0.1 % "
               "(output sequence gaps, or packets missing after the drain beyond three "
               "frames per stream a pipeline may hold) and the relay's delay grows by at "
               "most 100 ms across the 2 s window (it keeps up within 5 %). No marker survives a "
               "transcoder, so no absolute latency here. CPU = relay process CPU per "
               "channel-second at the highest passing step (median over repetitions).\n")
    out.append("| pair | relay | channels per core | × rtpengine | CPU ms per channel-second "
               "| first failing step |")
    out.append("|---|---|---:|---:|---:|---|")
    codecs = []
    for r in res:
        if r["codec_b"] not in codecs:
            codecs.append(r["codec_b"])
    for c in codecs:
        best = {}
        for r in relays:
            b = stat([x["max_calls"] for x in res if x["relay"] == r and x["codec_b"] == c])
            if b:
                best[r] = b
        for r in relays:
            if r not in best:
                continue
            steps = [x for x in rows if x.get("relay") == r and x.get("mode") == "ramp" and
                     x.get("codec_b") == c]
            cpu = []
            fails = []
            for rep_best in [x["max_calls"] for x in res if x["relay"] == r and
                             x["codec_b"] == c]:
                for x in steps:
                    if x["calls"] == rep_best and rep_best:
                        cpu.append(x["relay_cpu_pct"] * 10.0 / x["calls"])
            for x in steps:
                if x.get("untranscoded"):
                    fails.append("%d: %d packets arrived untranscoded" %
                                 (x["calls"], x["untranscoded"]))
                elif x["loss_pct"] > 0.1 or x.get("delay_growth_ms", 0) > 100:
                    fails.append("%d: loss %.2f %%, delay +%.0f ms" % (
                        x["calls"], x["loss_pct"], x.get("delay_growth_ms", 0)))
            ratio = "–"
            if r != "rtpengine" and best.get("rtpengine") and best["rtpengine"][0]:
                ratio = "%.2f" % (best[r][0] / best["rtpengine"][0])
            out.append("| PCMU↔%s | %s | %s | %s | %s | %s |" % (
                c.upper(), r, fmt(best[r]), ratio, fmt(stat(cpu), 2),
                "; ".join(fails[:3]) or "none up to the maximum"))
    out.append("")
    floor = os.path.join(raw, "codec_floor.txt")
    if os.path.exists(floor) and os.path.getsize(floor):
        out.append("Codec floor in the same run (`bench/codec_floor`, the codec work alone, "
                   "same core):\n")
        out.append("```")
        with open(floor) as f:
            out.extend(line.rstrip("\n") for line in f.readlines()[:60])
        out.append("```\n")


def md_flood(rows, relays, out):
    pts = [r for r in rows if r.get("mode") == "flood"]
    if not pts:
        return
    out.append("## Saturation (flood: 300 calls, every stream as fast as the generator can)\n")
    out.append("Bounded by the generator's own core: compare relays, not absolute values.\n")
    out.append("| relay | offered pps | delivered pps | relay CPU % | ns/pkt |")
    out.append("|---|---:|---:|---:|---:|")
    for r in relays:
        p = [x for x in pts if x["relay"] == r]
        out.append("| %s | %s | %s | %s | %s |" % (
            r, fmt(stat([x["offered_pps"] for x in p])),
            fmt(stat([x["delivered_pps"] for x in p])),
            fmt(stat([x["relay_cpu_pct"] for x in p]), 1),
            fmt(stat([x["relay_ns_per_pkt"] for x in p]))))
    out.append("")


def md_control(rows, relays, out):
    pts = [r for r in rows if r.get("mode") == "control"]
    out.append("## Control plane (one client, loopback, bencode over UDP)\n")
    if not pts:
        out.append("Not measured.\n")
        return
    out.append("Cycles = offer + answer + delete of a fresh call, one request in flight. RSS "
               "per call = relay RSS growth / %d calls established (no media), first "
               "repetition on a freshly started process.\n" % pts[0]["mem_calls"])
    out.append("| relay | cycles/s | requests/s | cycle p50 µs | cycle p99 µs | relay CPU % "
               "| RSS B/call (fresh) | RSS B/call (all reps) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    for r in relays:
        p = [x for x in pts if x["relay"] == r]
        if not p:
            out.append("| %s | not measured | | | | | | |" % r)
            continue
        first = [x for x in p if x.get("tag") == "control-r1"]
        stops = ["%d cycles then: %s" % (x["cycles"], x.get("failed_reason", "?"))
                 for x in p if x.get("failed")]
        if stops:
            notes.append("- %s: stopped early in %d of %d repetitions (%s); cycles/s is "
                         "the rate up to the failure." % (r, len(stops), len(p),
                                                         "; ".join(stops)))
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r, fmt(stat([x["cycles_per_s"] for x in p])),
            fmt(stat([x["requests_per_s"] for x in p])),
            fmt(stat([x["cycle_p50_us"] for x in p])),
            fmt(stat([x["cycle_p99_us"] for x in p])),
            fmt(stat([x["relay_cpu_pct"] for x in p]), 1),
            fmt(stat([x["rss_per_call_bytes"] for x in first])),
            fmt(stat([x["rss_per_call_bytes"] for x in p]))))
    out.append("")
    if notes:
        out.extend(notes)
        out.append("")


def write_dat(rows, relays, outdir, raw):
    with open(os.path.join(outdir, "relays.txt"), "w") as f:
        f.write(" ".join(r for r in relays if fixed_points(rows, r)) + "\n")
    for r in relays:
        pts = fixed_points(rows, r)
        with open(os.path.join(outdir, "fixed-%s.dat" % r), "w") as f:
            f.write("# calls delivered(med min max) loss%(med min max) ns/pkt(med min max) "
                    "p50us p99us machine_ns/pkt\n")
            for c in sorted(pts):
                cols = [c]
                for key in ("delivered_pps", "loss_pct", "relay_ns_per_pkt"):
                    cols.extend(stat([p[key] for p in pts[c]]))
                for key in ("lat_p50_us", "lat_p99_us", "sys_ns_per_pkt"):
                    cols.append(stat([p[key] for p in pts[c]])[0])
                f.write(" ".join("%g" % v for v in cols) + "\n")
    cdf_calls = None
    for r in relays:
        stale = os.path.join(outdir, "cdf-%s.dat" % r)
        if os.path.exists(stale):
            os.remove(stale)
        # exactly cdf-<relay>-<calls>.txt: another relay's name may start with this one's
        # (rtprelay, rtprelay-kernel, a --relay-build label) and --kernel adds -rps<n>
        pat = re.compile(r"cdf-%s-(\d+)\.txt$" % re.escape(r))
        cands = sorted(int(m.group(1)) for m in map(pat.match, os.listdir(raw)) if m)
        if cands:
            want = 500 if 500 in cands else cands[len(cands) // 2]
            cdf_calls = want
            shutil.copy(os.path.join(raw, "cdf-%s-%d.txt" % (r, want)),
                        os.path.join(outdir, "cdf-%s.dat" % r))
    with open(os.path.join(outdir, "cdf_calls.txt"), "w") as f:
        f.write("%s\n" % (cdf_calls or ""))
    with open(os.path.join(outdir, "cdf_relays.txt"), "w") as f:
        f.write(" ".join(r for r in relays
                         if os.path.exists(os.path.join(outdir, "cdf-%s.dat" % r)) and
                         os.path.getsize(os.path.join(outdir, "cdf-%s.dat" % r))) + "\n")
    return cdf_calls


def quality_section(rows, relays, meta, outdir, out):
    """this run's quality figures; else the last `bench/run --quality` section, kept"""
    if any(r.get("mode") == "xquality" or r.get("tag", "").startswith("xq-") for r in rows):
        sec = []
        report_quality.md_quality(rows, relays, sec, meta)
        out.append(report_quality.BEGIN + "\n" + "\n".join(sec).rstrip("\n") + "\n" +
                   report_quality.END + "\n")
        return
    kept = os.path.join(outdir, "quality", "QUALITY.md")
    if os.path.exists(kept):
        with open(kept) as f:
            out.append(report_quality.BEGIN + "\n" + f.read().rstrip("\n") + "\n" +
                       report_quality.END + "\n")


def main():
    if sys.argv[1] == "--quality":
        raw, outdir, main_out = sys.argv[2], sys.argv[3], sys.argv[4]
        rows, meta = load(raw)
        report_quality.write(rows, relays_in(meta, rows), meta, outdir, main_out)
        return
    raw, outdir = sys.argv[1], sys.argv[2]
    rows, meta = load(raw)
    relays = relays_in(meta, rows)
    out = ["# rtprelay bench results\n"]
    out.append("Measured %s on `%s`, %s cores, kernel %s; commit %s; rtpengine-daemon %s "
               "(user space: `--table=-1 --num-threads=1 --delete-delay=0`). Relay pinned "
               "to cpu %s, generator to cpu %s, %s scheduling, all inside a network "
               "namespace of the bench's own (loopback only). Load average before/after: "
               "%s / %s. Run time %s s%s.\n" % (
                   meta.get("date"), meta.get("cpu"), meta.get("cores"), meta.get("kernel"),
                   meta.get("commit"), meta.get("rtpengine"), meta.get("relay_cpu"),
                   meta.get("gen_cpu"), "SCHED_FIFO" if meta.get("rt") == "1" else "normal",
                   meta.get("load_start"), meta.get("load_end"), meta.get("elapsed_s"),
                   ", quick mode (1 repetition)" if meta.get("quick") == "1" else
                   ", 3 repetitions per point"))
    out.append("Reproduce: `bench/run` (full, ~14 min) or `bench/run --quick` (~4 min). Raw "
               "loadgen output: `bench/results/raw/`.\n")
    noise = [r for r in rows if r.get("mode") == "noise"]
    if noise:
        out.append("Machine noise (share of a pinned core taken away from a spinning "
                   "process with the bench's scheduling: interrupts, other tenants, the "
                   "hypervisor): " + ", ".join(
                       "%s cpu %d %.1f %%" % (n["relay"].replace("noise-", ""), n["cpu"],
                                              n["lost_pct"]) for n in noise) + ".\n")
    if meta.get("relay_builds"):
        out.append("Other rtprelayd builds measured beside the others (`bench/run "
                   "--relay-build`), labelled: %s.\n" % meta["relay_builds"])
    if meta.get("skipped"):
        out.append("**Not measured:** %s.\n" % meta["skipped"])
    out.append(READING)
    md_fixed(rows, relays, out)
    md_srtp(rows, relays, out)
    md_ramp(rows, relays, out)
    md_ramp(rows, relays, out, "srtp_ramp",
            "Most SRTP<->RTP calls on one core (ramp, side A SDES-SRTP AES_CM_128_HMAC_SHA1_80)")
    md_flood(rows, relays, out)
    md_control(rows, relays, out)
    md_transcoding(rows, relays, out, raw)
    quality_section(rows, relays, meta, outdir, out)
    cdf_calls = write_dat(rows, relays, outdir, raw)
    out.append("## Plots\n")
    out.append("![delivered and loss](delivered.png)\n")
    out.append("![CPU per packet](cpu.png)\n")
    out.append("![latency vs calls](latency.png)\n")
    if cdf_calls:
        out.append("![latency CDF at %d calls](latency_cdf.png)\n" % cdf_calls)
    fails = failures(rows)
    if fails:
        out.append("## Failed runs (as measured)\n")
        for f in fails:
            out.append("- %s %s: %s" % (f.get("relay", "?"), f.get("tag", "?"), f["error"]))
        out.append("")
    # the section of the last `bench/run --kernel` (report_kernel.py) stays in the report
    kernel_md = os.path.join(outdir, "kernel", "KERNEL.md")
    if os.path.exists(kernel_md):
        with open(kernel_md) as f:
            out.append("<!-- kernel fast path: bench/run --kernel -->\n" + f.read().rstrip("\n") +
                       "\n<!-- /kernel fast path -->\n")
    with open(os.path.join(outdir, "RESULTS.md"), "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
