#!/usr/bin/python3
"""failover_summary.py: the medians over several bench/failover.py runs.

    bench/failover_summary.py [--min-rate 0.95] LABEL=RUN[,RUN...] ...

Each RUN is one run's results.json, or the directory (--out) that holds it. Per label and relay: the number of runs and
the median over runs of each figure (a figure of one run is already a p50 or p99 over
its probe directions). On a shared machine one run says little: its kill, `ip`
commands and the Python sender's wake-ups move by tens of milliseconds with the load,
so compare medians of runs taken alternately. A relay's part of a run whose probe
sender reached less than --min-rate of its nominal packet rate (the machine was too
busy for the sender itself) is left out and counted under "left out".
"""
import json
import os
import statistics
import sys

FIGURES = (("gap_ms_p50", "gap p50"), ("gap_ms_p99", "gap p99"),
           ("resumed_after_move_ms_p50", "resumed p50"),
           ("resumed_after_move_ms_p99", "resumed p99"),
           ("gap_before_kill_ms_p50", "before kill"),
           ("latency_before_kill_ms_p50", "latency"), ("kill_ms", "reaped"), ("address_move_ms", "move+GARP"),
           ("standby_active_after_ms", "active"),
           ("wire.garp_ms", "wire GARP"), ("wire.first_in_ms", "wire 1st in"),
           ("wire.first_out_ms", "wire 1st out"), ("wire.relay_ms", "wire relay"))


def figure(run, key):
    for k in key.split("."):
        run = run.get(k) if isinstance(run, dict) else None
    return run


def rate(run):
    """The probe sender's rate against nominal (older results: from the figures)."""
    if "probe_rate_of_nominal" in run:
        return run["probe_rate_of_nominal"]
    return run["probe_packets_per_s"] / (2 * run["probes"] / (run["period_ms"] / 1000))


def main():
    rows = []
    args = sys.argv[1:]
    min_rate = 0.95
    if len(args) >= 2 and args[0] == "--min-rate":
        min_rate = float(args[1])
        args = args[2:]
    for arg in args:
        label, _, dirs = arg.partition("=")
        runs = {}
        for d in dirs.split(","):
            with open(d if d.endswith(".json") else os.path.join(d, "results.json")) as f:
                res = json.load(f)
            for part in ("failover", "failover_rtpengine"):
                if part in res:
                    runs.setdefault(res[part]["relay"], []).append(res[part])
        for relay, every in sorted(runs.items()):
            rs = [r for r in every if rate(r) >= min_rate]
            if not rs:
                continue
            row = ["%s %s" % (label, relay), "%d (%d)" % (len(rs), len(every) - len(rs))]
            kept = [r["kept"] for r in rs]
            row.append("%d-%d/%d" % (min(kept), max(kept), rs[0]["calls"]))
            for key, _ in FIGURES:
                v = [x for x in (figure(r, key) for r in rs) if x is not None]
                row.append("%.1f" % statistics.median(v) if v else "-")
            rows.append(row)
    head = ["", "runs (left out)", "kept"] + [name for _, name in FIGURES]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
