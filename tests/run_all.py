#!/usr/bin/python3
"""Build rtprelay three ways and run every test layer; print one tally at the end.

Stages (each counts its own tests; a stage that cannot even start counts as one
failure, so nothing is skipped silently):
  format       product C against .clang-format (scripts/format.sh --check)
  build        build/ (plain) and build-asan/ (ASan + UBSan)
  unit         cmocka tests through `meson test`, in both builds
  integration  pytest tests/integration against the sanitizer build's daemon
  fuzz         every libFuzzer target, for a bounded time each, from its seed corpus
  interop      pytest tests/interop (Kamailio + baresip) against the plain build

Before the last line every failed test is listed as "FAILED name" and every skipped one
as "SKIPPED name: reason" (the reason from pytest's junit XML or meson's testlog, where
they give one), so a run without root, say, cannot look green by accident. The last line
is "N passed, N failed" (", N skipped" when some were skipped).

The Python that runs pytest is /usr/bin/python3 (the Debian interpreter whose python3-*
packages the tests use); RTPRELAY_PYTHON=/path/to/python overrides it.

Usage: tests/run_all.py [--only STAGE[,STAGE]] [--fuzz-seconds N]
"""

import argparse
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.environ.get("RTPRELAY_PYTHON") or "/usr/bin/python3"
STAGES = ["format", "build", "unit", "integration", "fuzz", "interop"]


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.skips = []     # (name, reason)

    def add(self, name, outcome, reason=""):
        if outcome == "pass":
            self.passed += 1
        elif outcome == "skip":
            self.skipped += 1
            self.skips.append((name, reason or "no reason given"))
        else:
            self.failed += 1
            self.failures.append(name)

    def line(self):
        s = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            s += f", {self.skipped} skipped"
        return s


def say(msg):
    print(f"== {msg}", flush=True)


def run(cmd, timeout, env=None, cwd=ROOT, log=None):
    """Run a command, streaming to our stdout (or to a log file); return its rc."""
    t0 = time.monotonic()
    out = open(log, "w") if log else None
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout,
                           stdout=out, stderr=subprocess.STDOUT if out else None)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        say(f"timeout after {timeout}s: {' '.join(cmd)}")
        rc = 124
    finally:
        if out:
            out.close()
    say(f"{' '.join(cmd)} -> rc {rc} ({time.monotonic() - t0:.0f}s)")
    return rc


def build(t, name, setup_args, env=None):
    d = os.path.join(ROOT, name)
    if not os.path.exists(os.path.join(d, "build.ninja")):
        if run(["meson", "setup", d] + setup_args, 600, env=env) != 0:
            t.add(f"build:{name}:setup", "fail")
            return False
    ok = run(["ninja", "-C", d], 1800, env=env) == 0
    t.add(f"build:{name}", "pass" if ok else "fail")
    return ok


def meson_unit(t, name):
    d = os.path.join(ROOT, name)
    logf = os.path.join(d, "meson-logs", "testlog.json")
    if os.path.exists(logf):
        os.unlink(logf)
    run(["meson", "test", "-C", d, "--print-errorlogs", "--timeout-multiplier", "3"], 1800)
    if not os.path.exists(logf):
        t.add(f"unit:{name}", "fail")
        return
    with open(logf) as f:
        for line in f:
            r = json.loads(line)
            res = r.get("result", "")
            outcome = {"OK": "pass", "EXPECTEDFAIL": "pass", "SKIP": "skip"}.get(res, "fail")
            reason = ""
            if outcome == "skip":
                # meson keeps no reason: the test's last line of output is the best guess
                lines = [x.strip() for x in (r.get("stdout") or "").splitlines() if x.strip()]
                reason = lines[-1][:200] if lines else "exit status 77"
            t.add(f"unit:{name}:{r.get('name')}", outcome, reason)


def pytest(t, label, path, build_dir, timeout):
    if not glob.glob(os.path.join(ROOT, path, "test_*.py")):
        say(f"no tests in {path}")
        t.add(f"{label}:present", "fail")
        return
    env = dict(os.environ, RTPRELAY_BUILD=os.path.join(ROOT, build_dir),
               RTPRELAY_ROOT=ROOT, PYTHONDONTWRITEBYTECODE="1")
    # Leaks are reported by the daemon at exit; make them fail loudly.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    xml = os.path.join(tempfile.gettempdir(), f"rtprelay-{label}.xml")
    if os.path.exists(xml):
        os.unlink(xml)
    run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", path, f"--junitxml={xml}"],
        timeout, env=env)
    if not os.path.exists(xml):
        t.add(f"{label}:run", "fail")
        return
    # A test whose teardown errs appears twice (call, then teardown): count it
    # once, failed if any of its entries failed.
    outcome = {}
    reasons = {}
    rank = {"pass": 0, "skip": 1, "fail": 2}
    for case in ET.parse(xml).getroot().iter("testcase"):
        name = f"{label}:{case.get('classname')}.{case.get('name')}"
        skipped = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            o = "fail"
        elif skipped is not None:
            o = "skip"
        else:
            o = "pass"
        if rank[o] >= rank[outcome.get(name, "pass")]:
            outcome[name] = o
            if o == "skip":
                reasons[name] = (skipped.get("message") or skipped.text or "").strip()
    for name, o in outcome.items():
        t.add(name, o, reasons.get(name, ""))


def fuzz(t, seconds):
    env = dict(os.environ, CC="clang")
    if not build(t, "build-fuzz", ["-Dfuzz=true", "-Db_sanitize=address,undefined",
                                   "-Db_lundef=false", "-Dtests=disabled"], env=env):
        return
    targets = sorted(p for p in glob.glob(os.path.join(ROOT, "build-fuzz", "tests", "fuzz",
                                                       "*", "fuzz_*"))
                     if os.access(p, os.X_OK) and not p.endswith((".p", ".o")))
    if not targets:
        t.add("fuzz:targets", "fail")
        return
    def one(exe):
        """Run one target; (name, rc, the log's tail and kept crash inputs)."""
        what = os.path.basename(exe)[len("fuzz_"):]
        seeds = os.path.join(ROOT, "tests", "fuzz", "corpus", what)
        with tempfile.TemporaryDirectory() as work:
            cmd = [exe, f"-max_total_time={seconds}", "-rss_limit_mb=2048", "-timeout=10",
                   f"-artifact_prefix={work}/", work]
            if os.path.isdir(seeds):
                cmd.append(seeds)
            rc = run(cmd, seconds + 120, log=os.path.join(work, "log"))
            tail, kept = "", []
            if rc != 0:
                with open(os.path.join(work, "log")) as f:
                    tail = f.read()[-4000:]
                for art in glob.glob(os.path.join(work, "crash-*")):
                    dest = os.path.join(ROOT, "build-fuzz", os.path.basename(art))
                    shutil.copy(art, dest)
                    kept.append(dest)
        return what, rc, tail, kept

    # one target per core: each is single-threaded, and the stage stays short
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(one, targets))
    for what, rc, tail, kept in results:
        sys.stdout.write(tail)
        for dest in kept:
            say(f"crash input kept in {dest}")
        t.add(f"fuzz:{what}", "pass" if rc == 0 else "fail")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(STAGES))
    ap.add_argument("--fuzz-seconds", type=int, default=20)
    args = ap.parse_args()
    only = args.only.split(",")
    t = Tally()
    t0 = time.monotonic()

    if "format" in only:
        say("format (scripts/format.sh --check)")
        rc = run(["scripts/format.sh", "--check"], 300)
        t.add("format:product-c", "pass" if rc == 0 else "fail")
    plain_ok = asan_ok = True
    if any(s in only for s in ("build", "unit", "integration", "interop")):
        say("build")
        plain_ok = build(t, "build", [])
        asan_ok = build(t, "build-asan", ["-Db_sanitize=address,undefined",
                                          "-Db_lundef=false"])
    if "unit" in only:
        say("unit tests")
        for name, ok in (("build", plain_ok), ("build-asan", asan_ok)):
            if ok:
                meson_unit(t, name)
    if "integration" in only:
        say("integration tests (sanitizer build)")
        pytest(t, "integration", "tests/integration", "build-asan" if asan_ok else "build",
               2400)
    if "fuzz" in only:
        say("fuzz smoke")
        fuzz(t, args.fuzz_seconds)
    if "interop" in only:
        say("interop tests")
        pytest(t, "interop", "tests/interop", "build", 900)

    say(f"done in {time.monotonic() - t0:.0f}s")
    for name in t.failures:
        print(f"FAILED {name}")
    for name, reason in t.skips:
        print(f"SKIPPED {name}: {reason}")
    print(t.line(), flush=True)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
