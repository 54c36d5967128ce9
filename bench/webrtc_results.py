#!/usr/bin/python3
"""webrtc_results.py: the tables of bench/results/webrtc/ from its JSON files.

    bench/webrtc_results.py [DIR]   (default bench/results/webrtc)

Reads setup-RELAY-nN-TAG.json (bench/webrtc_setup.py --json) and mem-sdes-RELAY.json
(bench/srtp_mem.py --json) and prints two Markdown tables, one row per file.
"""
import glob
import json
import os
import sys


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "results", "webrtc")
    print("| run | relay | calls | with media | all carry media | p50 | p99 | relay CPU "
          "per call (to last media) | generator CPU | RSS per DTLS call | load avg |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for f in sorted(glob.glob(os.path.join(d, "setup-*.json"))):
        r = json.load(open(f))
        allm = "%.2f s" % r["all_media_s"] if r["all_media_s"] is not None else \
            "no: %d never in %.0f s" % (r["calls"] - r["with_media"], r["run_s"])
        print("| %s | %s | %d | %d | %s | %.0f ms | %.0f ms | %.1f ms (%.1f ms) | %.1f s "
              "| %.0f KB | %s |" % (
                  os.path.basename(f)[6:-5], r["relay"], r["calls"], r["with_media"], allm,
                  r["p50_ms"], r["p99_ms"], r["relay_cpu_ms_per_call"],
                  r.get("relay_cpu_ms_per_call_to_last_media", float("nan")),
                  r["gen_cpu_s"], r["rss_per_call_bytes"] / 1024, " ".join(r["loadavg"])))
    print()
    print("| relay | calls | RSS per SDES-SRTP call | RSS per plain RTP call | loss % "
          "(SDES / plain) | load avg |")
    print("|---|---:|---:|---:|---:|---|")
    for f in sorted(glob.glob(os.path.join(d, "mem-sdes-*.json"))):
        r = json.load(open(f))
        print("| %s | %d | %.1f KB | %.1f KB | %s / %s | %s |" % (
            r["relay"], r["calls"], r["sdes"]["rss_per_call_bytes"] / 1024,
            r["plain"]["rss_per_call_bytes"] / 1024, r["sdes"]["loss_pct"],
            r["plain"]["loss_pct"], " ".join(r["loadavg"])))


if __name__ == "__main__":
    main()
