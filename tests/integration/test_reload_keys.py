"""`rtprelay-ctl reload` (daemon/operate.h) of the keys the docs call live-changeable
beyond timeouts and limits: log-level, and the transcoder defaults opus-complexity and
resample-quality.

- log-level: after a reload to notice the per-command info lines (`ng: command=...`)
  stop; after a reload to debug, debug lines appear.
- opus-complexity, resample-quality: a transcoder takes them when a call sets it up.
  query does not show them; the call's record does (daemon/call_snapshot.h: `xcode`,
  `complexity`, `resample quality`), so the relay writes its records to a
  redis-server of the test's own on loopback and the test reads them: a transcoded
  call set up before the reload carries the old values, one set up after it the new.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import free_port
from ngclient import sdp_offer
from redis_failover import resp_get
from test_operate import ctl

CONF = """[rtprelay]
log-level = %s
opus-complexity = %d
resample-quality = %d
"""


class LoopbackRedis:
    """redis-server on 127.0.0.1, nothing saved; stopped by its PID."""

    def __init__(self, tmp):
        self.port = free_port(socket.SOCK_STREAM)
        self.log = open(os.path.join(tmp, "redis.log"), "wb")
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--notify-keyspace-events", "K$g"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for _ in range(100):
            if self.get("x") is None:
                return
        raise RuntimeError("redis-server did not start")

    def get(self, key):
        """The value of @key (bytes) or None; None too while redis is not up yet."""
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        except OSError:
            time.sleep(0.1)
            return b""
        try:
            return resp_get(s, key)
        finally:
            s.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def xcode_call(ng, cid):
    """PCMU offered, PCMA only answered: transcoded both ways."""
    r = ng.offer(cid, "A", sdp_offer(media=(("audio", (0,)),)), codec={"transcode": ["PCMA"]})
    assert r["result"] == "ok", r
    r = ng.answer(cid, "A", "B", sdp_offer(port=40010, media=(("audio", (8,)),)))
    assert r["result"] == "ok", r


def tuning(redis, cid, timeout=10.0):
    """(complexity, resample quality) of every transcoder in the call's record
    (bencode: `10:complexityi<N>e`, `16:resample qualityi<N>e`), once the record
    has transcoders (the offer's record has none yet)."""
    import re
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = redis.get("rtprelay:call:" + cid) or b""
        out = (sorted(set(int(x) for x in re.findall(rb"10:complexityi(-?\d+)e", rec))),
               sorted(set(int(x) for x in re.findall(rb"16:resample qualityi(-?\d+)e", rec))))
        if out[0] and out[1]:
            return out
        time.sleep(0.1)
    raise AssertionError("no record of %s with transcoders" % cid)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_reload_log_level_and_codec_defaults(daemon_factory, tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    redis = LoopbackRedis(str(tmp_path))
    try:
        d = daemon_factory("--redis=127.0.0.1:%d" % redis.port, "--redis-role=active",
                           config=CONF % ("info", 5, 4))
        cfg = os.path.join(d.tmp.name, "rtprelay.conf")
        with d.ng() as ng:
            xcode_call(ng, "rk-1")
            assert tuning(redis, "rk-1") == ([5], [4])
            assert "ng: command=answer call-id=rk-1" in d.log_text()
            # notice: the per-command info lines stop; the new codec defaults apply to
            # the next transcoder, not to the running one
            write(cfg, CONF % ("notice", 2, 9))
            rc, out, err = ctl(d, "--json", "reload")
            assert rc == 0, err
            assert sorted(json.loads(out)["changed"]) == \
                ["log-level", "opus-complexity", "resample-quality"], out
            xcode_call(ng, "rk-2")
            assert tuning(redis, "rk-2") == ([2], [9])
            # the running call's transcoders keep what they were made with (a
            # re-offer of it would be a new negotiation); its record says so
            assert ng.query("rk-1")["result"] == "ok"
            assert tuning(redis, "rk-1") == ([5], [4])
            with d.tcp() as t:  # a debug line at debug level: "ng: connection from"
                assert t.ping()["result"] == "pong"
            log = d.log_text()
            assert "call-id=rk-2" not in log and "connection from" not in log, log[-2000:]
            # debug: the info lines again, and debug lines
            write(cfg, CONF % ("debug", 2, 9))
            rc, out, err = ctl(d, "--json", "reload")
            assert rc == 0 and json.loads(out)["changed"] == ["log-level"], (out, err)
            xcode_call(ng, "rk-3")
            with d.tcp() as t:
                assert t.ping()["result"] == "pong"
            deadline = time.monotonic() + 5
            while "<7>ng: connection from" not in d.log_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            log = d.log_text()
            assert "<7>ng: connection from" in log, log[-2000:]
            assert "ng: command=offer call-id=rk-3" in log, log[-2000:]
    finally:
        redis.stop()
