"""bench/loadgen's restart figures (calls_alive_end, gap_max_ms), which
bench/takeover.py --rtpengine reports for a restarted relay: a relay that pauses and
resumes leaves every call alive with a gap at least as long as the pause; a relay that
dies leaves none alive."""
import json
import os
import signal
import subprocess
import time

from conftest import BUILD, free_port

LOADGEN = os.path.join(BUILD, "bench", "loadgen")
CALLS = 4


def run_loadgen(d, disrupt):
    """loadgen fixed with CALLS calls on d, disrupt() called about a second into the
    3 s measurement window; loadgen's JSON result."""
    assert os.path.exists(LOADGEN), LOADGEN
    argv = [LOADGEN, "--mode", "fixed", "--ng", "127.0.0.1:%d" % d.ng_port, "--relay", "test",
            "--calls", str(CALLS), "--warmup", "1", "--duration", "3", "--drain", "1",
            "--ports", "%d,%d" % (free_port(), free_port())]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2.0)  # call set-up (well under a second) + warm-up + about a second
        disrupt()
        out, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    lines = [ln for ln in out.splitlines() if ln.startswith("JSON ")]
    assert lines, out
    return json.loads(lines[-1][5:])


def test_pause_keeps_calls_with_a_gap(daemon_factory):
    d = daemon_factory("--log-level=warning")

    def pause():
        d.proc.send_signal(signal.SIGSTOP)
        time.sleep(0.4)
        d.proc.send_signal(signal.SIGCONT)

    r = run_loadgen(d, pause)
    assert r["calls_alive_end"] == CALLS, r
    # nothing was relayed for 0.4 s: the queued packets arrive together after it
    assert 350 <= r["gap_max_ms"] <= 3000, r
    assert d.alive()


def test_dead_relay_leaves_no_call_alive(daemon_factory):
    d = daemon_factory("--log-level=warning")

    def kill():
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(10)

    r = run_loadgen(d, kill)
    assert r["calls_alive_end"] == 0, r
    assert r["received"] < r["sent"], r
