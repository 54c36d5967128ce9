"""bench/matrix.py: what bench/run measures, as data (bench/run holds the one loop).

PARAMS are the full run's values; a mode (MODES) overlays some of them, `--quick`
first, then `--kernel` or `--quality`; command-line options override the result (see
`bench/run --help` for which option sets which parameter). STEPS are run in order, each
as

    for point in its list (or once):
        for rep in 1..reps:
            the generator alone, when the step has an alone tag and `alone` is on
            for rps in its RPS settings (or once, leaving the veth as it is):
                for relay in the run's relays (less the step's skip list):
                    one bounded run of its tool, JSON lines tagged into results.jsonl

Templates: "{name}" is a parameter, a field of the point, or rep / rps_sfx; an argument
"@name" is replaced by the elements of a list parameter (none when it is empty).
RELAYS: every relay bench/run can start: its ng port, media port range and command.
"""

# --- parameters (the full run) -------------------------------------------------------
PARAMS = {
    "reps": 3,                      # repetitions of every control and fixed-rate point
    "points": [300, 500, 800, 1000],  # fixed rate: calls
    "warmup": 2,                    # fixed rate: warm-up s
    "duration": 5,                  # fixed rate: measured s
    "fixed_extra": [],              # fixed rate: more loadgen arguments
    "ramp_reps": 3,
    "ramp_args": ["--start", "300", "--step", "100", "--max", "2000", "--warmup", "1",
                  "--duration", "2", "--drain", "1"],
    "flood_reps": 1,
    "flood_warmup": 1,
    "flood_extra": [],
    "control": True,                # the control-plane step
    "ctl_calls": 1000,
    "ctl_duration": 3,
    # transcoding ramps, codec:start:step:step% (steps grow by step% of the calls once
    # that exceeds step)
    "tc_codecs": ["g722:100:25:25", "g729:75:25:25", "opus:20:10:30"],
    "tc_reps": 2,
    # transcoding quality (bench/xquality): codecs, repetitions, calls (light load)
    "xq_codecs": ["g722", "g729", "opus"],
    "xq_reps": 2,
    "xq_calls": 4,
    # --kernel: RPS settings of the veth pair for fixed points and flood, and for the
    # ramp (None: the same as rps); the generator alone beside every fixed point and flood
    "rps": [],
    "rps_ramp": None,
    "alone": False,
    # SRTP<->RTP forwarding (loadgen --srtp: side A SDES-SRTP AES_CM_128_HMAC_SHA1_80,
    # side B plain): calls per point, beside the plain fixed-rate points
    "srtp_points": [300, 500],
    # most SRTP<->RTP calls per core: the same ramp and pass criteria as the plain one
    # (loss <= 0.1 %, p50 <= 1 ms), every call SDES-SRTP on side A; fresh calls at every
    # step: the generator rebuilds its streams per step with sequence numbers from the
    # start, which a relay enforcing the SRTP replay window rightly drops as replays
    "srtp_ramp_reps": 2,
    "srtp_ramp_args": ["--fresh", "--start", "300", "--step", "100", "--max", "2000",
                       "--warmup", "1", "--duration", "2", "--drain", "1"],
}

# --- modes ----------------------------------------------------------------------------
# net: "lo" (one namespace, everything on 127.0.0.1) or "veth" (the generator in a
# namespace of its own, see bench/README.md); out: subdirectory of --out; report: the
# command that turns RAW into the report ({raw}, {out}, {main_out}); plots: gnuplot.
QUICK = {
    "reps": 1, "points": [300, 800], "warmup": 1, "duration": 3, "ramp_reps": 1,
    "srtp_points": [300], "srtp_ramp_reps": 1,
    "ctl_calls": 500, "ctl_duration": 2, "tc_reps": 1, "flood_reps": 1, "xq_reps": 1,
}

MODES = {
    "full": {
        "params": {},
        "net": "lo", "out": "", "root": False, "add_relays": [], "drop_relays": [],
        "report": ["report.py", "{raw}", "{out}"], "plots": True,
        "done": "{out}/RESULTS.md",
    },
    # The kernel fast path. rtprelayd offloads a stream once latching has settled (3 s
    # after the answer + 0.2 s, checked once a second by the main thread, which shares
    # the pinned core with the SCHED_FIFO worker and hardly runs while the worker
    # saturates it): every fixed point warms up 12 s, its first 6 s at a tenth of the
    # rate (1000 calls at full rate at once kept the core saturated in user space, with
    # RPS beyond 12 s); the ramp keeps its calls and adds 100 per step (never saturating
    # the worker), 5 s per step; the flood warms up 8 s at the normal rate and floods in
    # the window only (a flood from the start could starve that thread for good). Every
    # relay and the generator alone alike. No control plane, no transcoding.
    "kernel": {
        "params": {
            "reps": 3, "points": [500, 1000], "warmup": 12, "duration": 5,
            "fixed_extra": ["--slow-start", "6"],
            "ramp_reps": 1,
            "ramp_args": ["--start", "600", "--step", "100", "--max", "1500", "--warmup",
                          "5", "--duration", "2", "--drain", "1"],
            "flood_reps": 1, "flood_warmup": 8, "flood_extra": ["--paced-warmup"],
            "control": False, "tc_codecs": [], "xq_codecs": [], "srtp_points": [],
            "srtp_ramp_reps": 0, "rps": [0, 1], "alone": True,
        },
        "net": "veth", "out": "kernel", "root": True, "add_relays": ["rtprelay-kernel"],
        "drop_relays": [],
        "report": ["report_kernel.py", "{raw}", "{out}", "{main_out}"], "plots": False,
        "done": "{out}/KERNEL.md (and its section in {main_out}/RESULTS.md)",
    },
    # transcoding quality and latency alone
    "quality": {
        "params": {
            "reps": 0, "points": [], "ramp_reps": 0, "flood_reps": 0, "tc_codecs": [],
            "srtp_points": [], "srtp_ramp_reps": 0,
        },
        "net": "lo", "out": "quality", "root": False, "add_relays": [],
        "drop_relays": ["floor"],       # it cannot transcode
        "report": ["report.py", "--quality", "{raw}", "{out}", "{main_out}"],
        "plots": False,
        "done": "{out}/QUALITY.md (and its section in {main_out}/RESULTS.md)",
    },
}

# --- steps, in order ------------------------------------------------------------------
# over: the list parameter iterated (fields: names of its ":"-separated parts); reps:
# the parameter with the repetition count; when: a parameter that must be true; rps:
# the parameter with the RPS settings; skip: relays left out; cdf: the first
# repetition's latency CDF to RAW/cdf-<relay>-<calls><rps_sfx>.txt; gen_rt: false runs
# the generator at normal scheduling (it busy-loops); before: a hook run first when
# the step's list is not empty.
STEPS = [
    # control plane first, on fresh processes: RSS per call, then cycles/s
    {"name": "control", "when": "control", "reps": "reps", "tool": "loadgen",
     "timeout": 60, "tag": "control-r{rep}", "log": "control {relay} rep {rep}",
     "args": ["--mode", "control", "--calls", "{ctl_calls}", "--duration", "{ctl_duration}"]},
    {"name": "fixed", "over": "points", "fields": ["calls"], "reps": "reps", "rps": "rps",
     "tool": "loadgen", "timeout": 90, "cdf": True,
     "tag": "fixed-{calls}-r{rep}{rps_sfx}",
     "log": "fixed {calls} calls, {relay}, rep {rep}{rps_log}",
     "args": ["--mode", "fixed", "--calls", "{calls}", "--warmup", "{warmup}",
              "--duration", "{duration}", "--drain", "2", "@cdf", "@fixed_extra"],
     "alone_tag": "fixed-{calls}-r{rep}", "alone_timeout": 60,
     "alone_log": "fixed {calls} calls, generator alone, rep {rep}",
     "alone_args": ["--mode", "fixed", "--calls", "{calls}", "--warmup", "{warmup}",
                    "--duration", "{duration}", "--drain", "2", "@fixed_extra"]},
    # SRTP<->RTP: the relay decrypts A->B and encrypts B->A (floor speaks no SRTP)
    {"name": "srtp", "over": "srtp_points", "fields": ["calls"], "reps": "reps",
     "tool": "loadgen", "timeout": 90, "skip": ["floor", "rtprelay-kernel"],
     "tag": "srtp-{calls}-r{rep}", "log": "SRTP<->RTP {calls} calls, {relay}, rep {rep}",
     "args": ["--mode", "fixed", "--srtp", "--calls", "{calls}", "--warmup", "{warmup}",
              "--duration", "{duration}", "--drain", "2"]},
    # most SRTP<->RTP calls per core: the ramp with side A SDES-SRTP
    {"name": "srtp_ramp", "reps": "srtp_ramp_reps", "tool": "loadgen", "timeout": 240,
     "skip": ["floor", "rtprelay-kernel"], "tag": "srtp-ramp-r{rep}",
     "log": "SRTP<->RTP ramp {relay} rep {rep}",
     "args": ["--mode", "ramp", "--srtp", "@srtp_ramp_args"]},
    {"name": "ramp", "reps": "ramp_reps", "rps": "rps_ramp", "tool": "loadgen",
     "timeout": 240, "tag": "ramp-r{rep}{rps_sfx}", "log": "ramp {relay} rep {rep}{rps_log}",
     "args": ["--mode", "ramp", "@ramp_args"]},
    {"name": "flood", "reps": "flood_reps", "rps": "rps", "tool": "loadgen", "timeout": 60,
     "gen_rt": False, "tag": "flood-300-r{rep}{rps_sfx}",
     "log": "flood 300 calls, {relay}, rep {rep}{rps_log}",
     "args": ["--mode", "flood", "--calls", "300", "--warmup", "{flood_warmup}",
              "--duration", "3", "--drain", "1", "@flood_extra"],
     "alone_tag": "flood-300-r{rep}", "alone_timeout": 60,
     "alone_log": "flood 300 calls, generator alone, rep {rep}",
     "alone_args": ["--mode", "flood", "--calls", "300", "--warmup", "{flood_warmup}",
                    "--duration", "3", "--drain", "1", "@flood_extra"]},
    # channels per core per codec pair (side A PCMU, side B only the codec, the offer
    # asks for codec-transcode), a ramp per pair, fresh calls at every step; a relay that
    # passes packets untranscoded fails its first step; bench/codec_floor beside it
    {"name": "transcoding", "over": "tc_codecs", "fields": ["codec", "start", "step", "pct"],
     "reps": "tc_reps", "tool": "loadgen", "timeout": 240, "skip": ["floor"],
     "before": "codec_floor", "tag": "tc-{codec}-r{rep}",
     "log": "transcoding pcmu<->{codec} ramp, {relay}, rep {rep}",
     "args": ["--mode", "ramp", "--fresh", "--codec-b", "{codec}", "--start", "{start}",
              "--step", "{step}", "--step-pct", "{pct}", "--max", "1000", "--warmup", "1",
              "--duration", "2", "--drain", "1"]},
    # transcoding quality and added latency (bench/xquality, see bench/README.md)
    {"name": "quality", "over": "xq_codecs", "fields": ["codec"], "reps": "xq_reps",
     "tool": "xquality", "timeout": 60, "skip": ["floor", "rtprelay-kernel"],
     "before": "speech", "tag": "xq-{codec}-r{rep}",
     "log": "transcoding quality pcmu<->{codec}, {relay}, rep {rep}",
     "args": ["--codec-b", "{codec}", "@signal"]},
]

# --- relays ---------------------------------------------------------------------------
# Each relay: its own ng port and an equal, disjoint media port range (17000 ports); the
# generator's endpoints use ports 10000-10003, outside all of them. rtprelay shares its
# range with rtprelay-kernel when both run (ports_beside_kernel: 9000 ports, 2250 calls).
# With --relay-build every relay of the run gets an equal share of PORT_SPAN instead.
# {daemon} is the rtprelayd binary, {floor} bench/floor; @ng_allow: rtprelayd takes ng
# commands from a non-loopback address only when allowed (--kernel), @rtprelay_args:
# --rtprelay-args.
RELAYS = {
    "rtpengine": {
        "ng": 2223, "ports": (12000, 28999),
        "cmd": ["rtpengine", "--config-file=none", "--table=-1", "--interface={addr}",
                "--listen-ng={addr}:{ng}", "--foreground", "--log-stderr", "--log-level=3",
                "--port-min={port_min}", "--port-max={port_max}", "--num-threads=1",
                "--delete-delay=0"]},
    "floor": {
        "ng": 2224, "ports": (29000, 45999),
        "cmd": ["{floor}", "--listen-ng={addr}:{ng}", "--interface={addr}",
                "--port-min={port_min}", "--port-max={port_max}"]},
    "rtprelay": {
        "ng": 2225, "ports": (46000, 62999), "ports_beside_kernel": (46000, 54999),
        "daemon": True,
        "cmd": ["{daemon}", "--foreground", "--interface={addr}", "--listen-ng={addr}:{ng}",
                "@ng_allow", "--port-min={port_min}", "--port-max={port_max}",
                "--num-threads=1", "--log-level=3", "--delete-delay=0", "@rtprelay_args"]},
    # the same daemon with the eBPF fast path (tc ingress on every interface of the
    # namespace: vrelay and lo; nftables notrack for its ports); log level 6 for the
    # "offload:" lines; left out when its log does not show the fast path loaded
    "rtprelay-kernel": {
        "ng": 2226, "ports": (55000, 64999), "daemon": True,
        "log_must_show": "offload: eBPF fast path", "log_missing": "offload did not load",
        "cmd": ["{daemon}", "--foreground", "--interface={addr}", "--listen-ng={addr}:{ng}",
                "@ng_allow", "--port-min={port_min}", "--port-max={port_max}",
                "--num-threads=1", "--log-level=6", "--delete-delay=0", "--offload=yes",
                "@rtprelay_args"]},
}
# --relay-build NAME=DIR: rtprelayd of DIR, configured as "rtprelay", ng port from here
EXTRA_NG_PORT = 2227
PORT_SPAN = (12000, 64999)

DEFAULT_RELAYS = ["rtprelay", "rtpengine", "floor"]
