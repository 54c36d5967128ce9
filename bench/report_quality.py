#!/usr/bin/python3
"""report_quality.py: the "Transcoding quality and latency" section (bench/xquality results).

Used by report.py: in a full run from its own results; with `bench/run --quality` as
`report.py --quality RAW OUT MAIN_OUT`, which writes OUT/QUALITY.md and puts the same text
between two marker lines into MAIN_OUT/RESULTS.md (replacing an earlier quality section,
leaving the rest of the file alone). Medians over repetitions, (min–max) beside them when
they differ; nothing filtered: a failed run is listed.
"""
import os
import statistics

import results_md

BEGIN = "<!-- transcoding quality: bench/xquality -->"
END = "<!-- /transcoding quality -->"

# a run the rest of the machine disturbed: other processes busy beside it (another
# tenant's real-time tasks take the relay's or the generator's core for up to a second),
# or the generator itself held off its schedule
DISTURBED_CPU_PCT = 10.0
DISTURBED_LATE_MS = 5.0

# the quality targets: what a transcoding relay may cost
TARGET_DB = 0.5     # rtprelay's segSNR at most this far below the direct round trip
TARGET_MS = 20.0    # rtprelay's median latency at most one frame above rtpengine's

EXPLAIN = """Every result: {calls} calls through the relay at once (light load), each carrying
{seconds:.0f} s of {signal} both ways at the same time in real time (side A PCMU, side B only
the other codec, the offer asking for `codec` → `transcode` as in the ramp above), encoded
with rtprelay's codec library. `bench/xquality` decodes what the relay delivers by RTP
timestamp (gaps filled with silence), brings it to 8 kHz and aligns it with the input
(normalized cross-correlation, ±300 ms, per 200 ms window so that a slip is followed).
**corr** and **segSNR** (20 ms frames, per-frame SNR clamped to [−10, 35] dB, silent
frames skipped) are taken along that alignment; **direct** is the same codecs through the
codec library and the transcoder's resampler without any relay (decode → resample →
encode → decode, each codec at its native rate, Opus at 48 kHz), with its own delay; **Δ** = relay − direct. Opus is perceptual: its
waveform SNR is low in absolute terms, read Δ. **Latency** per output packet: its arrival
minus the time at which the input held the content of its last sample (for a plain
forwarder, arrival minus send time): it includes codec look-ahead, resampling and any
jitter-buffer or frame buffering; p50/p99 over every packet of every call. **Slips**:
times the content's delay changed in the middle of a call (a concealed frame played
beside the late one, or a frame dropped); **gaps**: 20 ms frames missing from the output
timestamps. Medians over {reps} repetition(s), relays interleaved, over the undisturbed
ones when there are any (**runs**: used of measured): a run is disturbed when other
processes used more than {cpu:.0f} % of a core during it or the generator sent more than
{late:.0f} ms behind its schedule (**others %**: the most other processes used).
"""


NAMES = {"g722": "G.722", "g729": "G.729", "opus": "Opus"}


def name(codec):
    return NAMES.get(codec.lower(), codec.upper())


def way_name(way):
    """PCMU>opus -> PCMU→Opus"""
    return "→".join(name(c) for c in way.split(">"))


def stat(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def fmt(s, nd=1):
    if s is None:
        return "n/a"
    med, lo, hi = s
    f = "%%.%df" % nd
    if f % lo == f % hi:
        return f % med
    return "%s (%s–%s)" % (f % med, f % lo, f % hi)


def med(s):
    return s[0] if s else None


def ways_of(res):
    """(codec_b, way): pairs in the order measured, PCMU→X before X→PCMU within each"""
    codecs = []
    for r in res:
        if r["codec_b"] not in codecs:
            codecs.append(r["codec_b"])
    out = []
    for c in codecs:
        ways = sorted({r["way"] for r in res if r["codec_b"] == c},
                      key=lambda w: (not w.startswith("PCMU>"), w))
        out += [(c, w) for w in ways]
    return out


def disturbed(x):
    return (x.get("others_cpu_pct", 0) > DISTURBED_CPU_PCT or
            x.get("send_late_max_ms", 0) > DISTURBED_LATE_MS)


def pick(res, relay, codec, way):
    """(the points the medians use, all points) of one relay and way"""
    pts = [x for x in res if x["relay"] == relay and x["codec_b"] == codec and
           x["way"] == way]
    clean = [x for x in pts if not disturbed(x)]
    return (clean or pts), pts


def table(res, relays, out):
    out.append("| pair | way | relay | corr | segSNR dB | direct dB (delay ms) | Δ dB | "
               "latency p50 ms | p99 ms | p50 − rtpengine ms | slips | lost / gaps | runs | "
               "others % |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    verdict = []
    for codec, way in ways_of(res):
        p50 = {}
        for r in relays:
            pts = pick(res, r, codec, way)[0]
            if pts:
                p50[r] = stat([x["lat_p50_ms"] for x in pts])
        for r in relays:
            pts, every = pick(res, r, codec, way)
            if not pts:
                continue
            g = lambda k, pts=pts: stat([x.get(k) for x in pts])  # noqa: E731
            delta = g("delta_db")
            dp = None
            if r != "rtpengine" and p50.get("rtpengine") and p50.get(r):
                dp = p50[r][0] - p50["rtpengine"][0]
            out.append("| PCMU↔%s | %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s "
                       "| %d of %d | %.0f |" % (
                name(codec), way_name(way), r, fmt(g("corr"), 3),
                fmt(g("seg_snr_db")), fmt(g("direct_seg_snr_db")),
                fmt(g("codec_delay_ms")), fmt(delta, 2), fmt(g("lat_p50_ms")),
                fmt(g("lat_p99_ms")), "–" if dp is None else "%+.1f" % dp,
                fmt(g("slips"), 0), "%s / %s" % (fmt(g("seq_lost"), 0),
                                                 fmt(g("gap_frames"), 0)),
                len(pts) if pts is not every else len([x for x in every if not disturbed(x)]),
                len(every), max(x.get("others_cpu_pct", 0) for x in every)))
            if r == "rtprelay":
                verdict.append((codec, way, med(delta), dp))
    out.append("")
    return verdict


def opus_note(res, relays, out):
    """Opus: the reference as rtprelay's transcoder runs it, and the relays' payload sizes"""
    ways = [(c, w) for c, w in ways_of(res) if c == "opus"]
    if not ways:
        return
    parts = []
    for c, w in ways:
        pts = [x for x in res if x["codec_b"] == c and x["way"] == w]
        d8 = stat([x.get("direct_8k_seg_snr_db") for x in pts])
        size = ", ".join("%s %s B" % (r, fmt(stat([x.get("out_payload_bytes") for x in
                                                     pick(res, r, c, w)[0]]), 0))
                         for r in relays if any(x["relay"] == r for x in pts))
        parts.append("%s: direct %s dB; output payload per packet %s" % (
            way_name(w), fmt(d8, 2), size))
    out.append("Opus as rtprelay's transcoder runs it (at the PCMU side's 8 kHz, libopus "
               "resampling, no speexdsp stage) gives another direct round trip: " +
               "; ".join(parts) + ".\n")


def targets(verdict, out):
    if not verdict:
        return
    q = [v for v in verdict if v[2] is not None]
    bad_q = ["%s %.2f dB" % (way_name(w), d) for c, w, d, _ in q
             if d < -TARGET_DB]
    lat = [v for v in verdict if v[3] is not None]
    bad_l = ["%s %+.1f ms" % (way_name(w), d) for c, w, _, d in lat
             if d > TARGET_MS]
    out.append("Targets: rtprelay within %.1f dB segSNR of the direct round trip: "
               "%s; rtprelay's median latency at most %.0f ms above rtpengine's: %s.\n" % (
                   TARGET_DB, "met in all %d ways" % len(q) if q and not bad_q else
                   "not met: " + ", ".join(bad_q) if bad_q else "not measured", TARGET_MS,
                   "met in all %d ways" % len(lat) if lat and not bad_l else
                   "not met: " + ", ".join(bad_l) if bad_l else "not measured"))


def md_quality(rows, relays, out, meta, provenance=False):
    """the section's lines, appended to out"""
    out.append("## Transcoding quality and latency\n")
    res = [r for r in rows if r.get("mode") == "xquality" and "error" not in r]
    errs = [r for r in rows if r.get("mode") == "xquality" and "error" in r] + \
        [r for r in rows if r.get("tag", "").startswith("xq-") and "mode" not in r]
    if provenance:
        out.append("Measured %s, commit %s, rtpengine-daemon %s, `bench/run --quality`; relay "
                   "pinned to cpu %s, generator to cpu %s, %s scheduling. Load average "
                   "before/after: %s / %s.\n" % (
                       meta.get("date"), meta.get("commit"), meta.get("rtpengine"),
                       meta.get("relay_cpu"), meta.get("gen_cpu"),
                       "SCHED_FIFO (priority %s)" % meta.get("rt_prio", "20")
                       if meta.get("rt") == "1" else "normal",
                       meta.get("load_start"), meta.get("load_end")))
        if meta.get("relay_builds"):
            out.append("Other rtprelayd builds measured beside the others (`bench/run "
                       "--relay-build`), labelled: %s.\n" % meta["relay_builds"])
    if not res:
        out.append("Not measured.\n")
    else:
        reps = len({x.get("tag") for x in res}) // max(1, len({x["codec_b"] for x in res}))
        sig = meta.get("xq_signal", res[0].get("signal", "?"))
        out.append(EXPLAIN.format(
            calls=res[0].get("calls"), seconds=res[0].get("seconds", 10), reps=max(1, reps),
            cpu=DISTURBED_CPU_PCT, late=DISTURBED_LATE_MS,
            signal="synthesized speech (%s)" % sig if sig.startswith("espeak") else
            "a synthetic speech-like signal"))
        order = [r for r in relays if any(x["relay"] == r for x in res)]
        order += sorted({x["relay"] for x in res} - set(order))
        targets(table(res, order, out), out)
        opus_note(res, order, out)
    for e in errs:
        out.append("- failed: %s %s: %s" % (e.get("relay", "?"), e.get("tag", "?"),
                                            e.get("way", "") + " " + e.get("error", "")))
    if errs:
        out.append("")


def write(rows, relays, meta, outdir, main_out):
    """bench/run --quality: OUT/QUALITY.md and the section of MAIN_OUT/RESULTS.md"""
    out = []
    md_quality(rows, relays, out, meta, provenance=True)
    text = "\n".join(out)
    with open(os.path.join(outdir, "QUALITY.md"), "w") as f:
        f.write(text)
    results_md.splice(os.path.join(main_out, "RESULTS.md"), text, BEGIN, END)
