"""Admission limits with rtpengine's semantics: max-sessions, max-load, max-cpu and
max-bandwidth refuse an offer that would create a call, never an offer or answer of a
call that exists. Without `supports: ["load limit"]` the reply is rtpengine's legacy
error "Parallel session limit reached" for every limit; with it, `result: load limit`
and the limit's own reason in `message`, and nothing else.

The load and CPU readings come from files the test writes (RTPRELAY_PROC_DIR, read
instead of /proc) where the test needs them to change on cue; the real /proc is used
where a reading can be forced (a busy process for the CPU, a load average above
0.0001); the bandwidth is always the data plane's real receive counters."""

import os
import subprocess
import sys
import time

import pytest

from dp_media import Phone, relay_targets
from ngclient import sdp_offer

LEGACY = "Parallel session limit reached"
LL = {"supports": ["load limit"]}


def offer(ng, cid, version=1, **kw):
    return ng.offer(cid, "ft", sdp_offer(version=version), **kw)


def assert_legacy_error(r):
    assert r["result"] == "error", r
    assert r["error-reason"] == LEGACY, r


def assert_load_limit(r, message):
    assert r == {"result": "load limit", "message": message}, r


def wait_refused(ng, prefix, message, limit=6.0):
    """Offer fresh call-ids (with the extension) until one is refused with `message`;
    returns how many were accepted first (calls now in the table)."""
    deadline = time.monotonic() + limit
    n = 0
    while True:
        r = offer(ng, "%s-%d" % (prefix, n), **LL)
        if r["result"] == "load limit":
            assert_load_limit(r, message)
            return n
        assert r["result"] == "ok", r
        n += 1
        assert time.monotonic() < deadline, "never refused with %r" % message
        time.sleep(0.2)


def wait_accepted(ng, prefix, limit=6.0):
    deadline = time.monotonic() + limit
    n = 0
    while True:
        r = offer(ng, "%s-%d" % (prefix, n), **LL)
        if r["result"] == "ok":
            return
        assert r["result"] == "load limit", r
        n += 1
        assert time.monotonic() < deadline, "still refused: %r" % r
        time.sleep(0.2)


def assert_existing_call_goes_on(ng, cid, version):
    """A re-offer (with and without the extension) and an answer of call `cid`."""
    assert offer(ng, cid, version=version)["result"] == "ok"
    assert offer(ng, cid, version=version + 1, **LL)["result"] == "ok"
    r = ng.answer(cid, "ft", "tt", sdp_offer(port=6000, version=version + 2))
    assert r["result"] == "ok", r


def write(path, text):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # the daemon never reads half a file


@pytest.fixture
def proc_dir(tmp_path):
    d = str(tmp_path)
    write(os.path.join(d, "loadavg"), "0.10 0.20 0.30 1/100 4242\n")
    write(os.path.join(d, "stat"), "cpu  1000 0 0 1000 0 0 0 0 0 0\ncpu0 1000 0 0 1000\n")
    return d


def test_max_sessions_load_limit_reply(daemon_factory):
    d = daemon_factory("--max-sessions=1")
    with d.ng() as ng:
        assert offer(ng, "ms1")["result"] == "ok"
        assert_legacy_error(offer(ng, "ms2"))
        assert_load_limit(offer(ng, "ms2", **LL), LEGACY)
        assert_existing_call_goes_on(ng, "ms1", 2)
        s = ng.request({"command": "statistics"})
        assert s["result"] == "ok"
        assert s["currentstatistics"]["sessionstotal"] == 1
        assert s["totalstatistics"]["managedsessions"] == 1
        # both refusals counted, as rtpengine counts max-sessions refusals
        assert s["statistics"]["totalstatistics"]["rejectedsessions"] == 2
        # the JSON encoding carries the same reply
    with d.ng("json") as ng:
        assert_load_limit(offer(ng, "ms3", **LL), LEGACY)


def test_max_load_from_readings(daemon_factory, proc_dir):
    d = daemon_factory("--max-load=2", env={"RTPRELAY_PROC_DIR": proc_dir})
    with d.ng() as ng:
        # 0.10 is under the limit: calls are created
        assert offer(ng, "keep")["result"] == "ok"
        write(os.path.join(proc_dir, "loadavg"), "5.00 4.00 3.00 2/100 4242\n")
        wait_refused(ng, "l-new", "Load limit exceeded")
        assert_legacy_error(offer(ng, "l-legacy"))
        assert_existing_call_goes_on(ng, "keep", 2)
        # statistics go on; load refusals are not max-sessions rejections
        s = ng.request({"command": "statistics"})
        assert s["result"] == "ok"
        assert s["statistics"]["totalstatistics"]["rejectedsessions"] == 0
        assert "keep" in ng.call_ids()
        assert "l-legacy" not in ng.call_ids()
        # below the limit again: new calls are accepted
        write(os.path.join(proc_dir, "loadavg"), "1.50 4.00 3.00 2/100 4242\n")
        wait_accepted(ng, "l-again")
    assert "call refused call-id=l-legacy: load average 5.00 exceeds max-load 2.00" in d.log_text()


def test_max_cpu_from_readings(daemon_factory, proc_dir):
    stat = os.path.join(proc_dir, "stat")
    d = daemon_factory("--max-cpu=50", env={"RTPRELAY_PROC_DIR": proc_dir})
    with d.ng() as ng:
        assert offer(ng, "keep")["result"] == "ok"
        time.sleep(1.3)  # the daemon has read the first counters
        # 900 busy ticks against 100 idle: 90 %
        write(stat, "cpu  1800 50 50 1100 500 0 0 0 0 0\n")
        wait_refused(ng, "c-new", "CPU usage limit exceeded")
        assert_legacy_error(offer(ng, "c-legacy"))
        assert_existing_call_goes_on(ng, "keep", 2)
        # 100 busy against 900 idle: 10 %; iowait does not count as busy
        write(stat, "cpu  1900 50 50 2000 9000 0 0 0 0 0\n")
        wait_accepted(ng, "c-again")
    assert "CPU usage 90.0% exceeds max-cpu 50.0%" in d.log_text()


def test_max_cpu_real_reading(daemon_factory):
    # one process spinning on a core: at least 100/ncpu % busy, over 1 % on any
    # machine of up to 64 CPUs
    if (os.cpu_count() or 1) > 64:
        pytest.skip("too many CPUs for one busy process to pass 1 %")
    d = daemon_factory("--max-cpu=1")
    with d.ng() as ng:
        assert offer(ng, "keep")["result"] == "ok"
        spin = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()+8\n"
                                 "while time.time()<t: pass\n"])
        try:
            wait_refused(ng, "r-new", "CPU usage limit exceeded")
            assert_existing_call_goes_on(ng, "keep", 2)
        finally:
            spin.kill()
            spin.wait()


def test_max_load_real_reading(daemon_factory):
    with open("/proc/loadavg") as f:
        if float(f.read().split()[0]) < 0.01:
            pytest.skip("the machine's load average is zero")
    d = daemon_factory("--max-load=0.0001")
    with d.ng() as ng:
        assert_load_limit(offer(ng, "new", **LL), "Load limit exceeded")
        assert_legacy_error(offer(ng, "new"))
        assert ng.call_ids() == []


def test_max_bandwidth(daemon_factory):
    d = daemon_factory("--max-bandwidth=2000")
    a, b = Phone(), Phone()
    try:
        with d.ng() as ng:
            r = ng.offer("media", "A", a.sdp())
            assert r["result"] == "ok", r
            r2 = ng.answer("media", "A", "B", b.sdp())
            assert r2["result"] == "ok", r2
            (addr_a, rtp_a, _), = relay_targets(r2["sdp"])
            # no media yet: new calls are accepted
            time.sleep(1.3)
            assert offer(ng, "quiet", **LL)["result"] == "ok"
            # 100 packets of 172 bytes a second: 17200 bytes/s received
            deadline = time.monotonic() + 6.0
            refused, n = None, 0
            while refused is None and time.monotonic() < deadline:
                for _ in range(5):
                    a.send_rtp(0, (addr_a, rtp_a), 2)
                    time.sleep(0.02)
                r = offer(ng, "bw-new-%d" % n, **LL)
                n += 1
                if r["result"] != "ok":
                    refused = r
            assert refused is not None, "never refused"
            assert_load_limit(refused, "Bandwidth limit exceeded")
            a.send_rtp(0, (addr_a, rtp_a), 2)
            assert_legacy_error(offer(ng, "bw-legacy"))
            assert offer(ng, "quiet", version=2, **LL)["result"] == "ok"
            r = ng.offer("media", "A", a.sdp(version=2), **LL)
            assert r["result"] == "ok", r
            s = ng.request({"command": "statistics"})
            assert s["result"] == "ok" and s["totalstatistics"]["bytes"] >= 2000
            # the media stops: within a couple of seconds the reading is zero
            wait_accepted(ng, "bw-again")
    finally:
        a.close()
        b.close()
