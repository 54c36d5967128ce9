"""A real Prometheus (Debian `prometheus`, started here on loopback with its own
configuration and data directory, stopped by PID) scrapes rtprelayd every second
with the bearer token while the test carries real calls with RTP flowing; PromQL over
Prometheus's HTTP API must report the right number of calls, before and after some
end, and the media the relay forwarded."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import free_port
from http_media import Calls

PROMETHEUS = "/usr/bin/prometheus"
DASHBOARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "etc",
                         "grafana-rtprelay.json")
N_CALLS = 6
TOKEN = "scrape-token"

pytestmark = pytest.mark.skipif(not os.path.exists(PROMETHEUS),
                                reason="Debian prometheus not installed")


class Prometheus:
    def __init__(self, tmp, target_port):
        self.port = free_port(socket.SOCK_STREAM)
        cfg = tmp / "prometheus.yml"
        cfg.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: rtprelay\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n"
            "    authorization:\n      type: Bearer\n      credentials: %s\n"
            "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % (TOKEN, target_port))
        self.log = open(tmp / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=%s" % cfg, "--storage.tsdb.path=%s" % (tmp / "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.log_path = tmp / "prometheus.log"

    def query(self, promql):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": promql}))
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def value(self, promql):
        """The single value of an instant vector query, None when empty or down."""
        try:
            res = self.query(promql)
        except OSError:
            return None
        return float(res[0]["value"][1]) if res else None

    def wait_value(self, promql, want, timeout=40.0):
        deadline = time.monotonic() + timeout
        v = None
        while time.monotonic() < deadline:
            v = self.value(promql)
            if v is not None and want(v):
                return v
            time.sleep(0.5)
        return v

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def test_prometheus_scrapes_call_count(daemon_factory, tmp_path):
    http_port = free_port(socket.SOCK_STREAM)
    d = daemon_factory("--listen-http=%d" % http_port, "--http-token=" + TOKEN)
    prom = Prometheus(tmp_path, http_port)
    calls = None
    try:
        with d.ng() as ng:
            calls = Calls(ng, N_CALLS, prefix="prom")
            calls.pump(max_seconds=90)
            assert prom.wait_value('up{job="rtprelay"}', lambda v: v == 1) == 1, \
                prom.log_path.read_text()
            q = 'rtpengine_sessions{job="rtprelay",type="own"}'
            assert prom.wait_value(q, lambda v: v == N_CALLS) == N_CALLS
            assert prom.value('sum(rtprelay_calls{job="rtprelay",state="answered"})') \
                == N_CALLS
            # media flows: the forwarding rate Prometheus computes is not zero
            assert prom.wait_value(
                'sum(rate(rtprelay_packets_forwarded_total{job="rtprelay"}[5s]))',
                lambda v: v > 10) > 10
            for cid in calls.ids[:2]:
                assert ng.delete(cid, **{"delete-delay": 0})["result"] == "ok"
            assert prom.wait_value(q, lambda v: v == N_CALLS - 2) == N_CALLS - 2
            assert prom.value('rtpengine_closed_sessions_total{job="rtprelay",'
                              'reason="terminated"}') == 2
            # what Prometheus saw equals what the relay says over ng
            assert len(ng.request({"command": "list"})["calls"]) == N_CALLS - 2
            check_dashboard(prom)
    finally:
        if calls:
            calls.close()
        prom.stop()


def check_dashboard(prom):
    """Every query of etc/grafana-rtprelay.json is valid PromQL that Prometheus
    evaluates over this scrape, and every metric it names is one rtprelayd exports."""
    with open(DASHBOARD) as f:
        dash = json.load(f)
    names = prom.query('count by (__name__) ({job="rtprelay"})')
    exported = {r["metric"]["__name__"] for r in names}
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    assert len(exprs) >= 15
    empty = []
    for e in exprs:
        q = e.replace("$job", "rtprelay").replace("$instance", ".*")
        for name in re.findall(r"\b(rtp(?:engine|relay)_[a-z0-9_]+)", q):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert name in exported or base + "_bucket" in exported, (name, e)
        if not prom.query(q):   # raises on a query Prometheus refuses
            empty.append(q)
    # a few panels need ended streams with a round trip or the kernel path
    assert len(empty) <= 5, empty
