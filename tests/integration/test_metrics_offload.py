"""Metrics and the status page with the kernel fast path (`offload = yes`, root):
a settled call's streams are reported on the kernel path, the kernel map's use is
exported, and the packets the kernel forwarded are counted under type="kernel".
Reuses the namespaces of test_offload_daemon.py."""

import json
import subprocess
import time

from http_media import metric, parse_metrics
from test_offload_daemon import (NS, SETTLE, RelayDaemon, pytestmark, setup_call,  # noqa: F401
                                 talk, topo, wait_kernel_forwards)
from test_offload_netns import ns_socket

from test_offload_daemon import CALLEE_IP, CALLER_IP

HTTP = "127.0.0.1:9103"
FETCH = ("import sys, urllib.request; "
         "sys.stdout.write(urllib.request.urlopen('http://%s' + sys.argv[1], timeout=5)"
         ".read().decode())" % HTTP)


def fetch(path):
    """GET inside the relay's namespace, where the listener is."""
    p = subprocess.run(["ip", "netns", "exec", NS["relay"], "/usr/bin/python3", "-c", FETCH,
                        path], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_kernel_path_in_metrics_and_status(topo):
    d = RelayDaemon(offload=True, extra_args=["--listen-http=" + HTTP])
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        with d.ng() as ng:
            pa, pb = setup_call(ng, "k-1")
            talk(caller, callee, pa, pb, SETTLE)
            wait_kernel_forwards(d, caller, callee, pa)
            wait_kernel_forwards(d, callee, caller, pb)
            talk(caller, callee, pa, pb, 1, first_seq=3000)
            deadline = time.monotonic() + 5
            while True:
                s = parse_metrics(fetch("/metrics"))
                if metric(s, "rtpengine_mediastreams", type="kernel") == 2 or \
                        time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            assert metric(s, "rtpengine_mediastreams", type="kernel") == 2
            assert metric(s, "rtpengine_mediastreams", type="userspace") == 0
            assert metric(s, "rtprelay_offload_map_entries") >= 2
            assert metric(s, "rtprelay_offload_map_capacity") > 0
            assert metric(s, "rtpengine_packets_total", type="kernel") >= 100
            assert metric(s, "rtprelay_packets_forwarded_total", type="kernel") >= 100
            st = json.loads(fetch("/status.json"))
            legs = {p["tag"]: p["media"][0] for p in st["calls"][0]["parties"]}
            assert legs["from1"]["path"] == legs["to1"]["path"] == "kernel"
            q = ng.query("k-1")
            for tag in ("from1", "to1"):
                want = q["tags"][tag]["medias"][0]["streams"][0]["stats"]["packets"]
                assert abs(legs[tag]["packets"] - want) <= 60  # a second of media apart
            assert ng.delete("k-1")["result"] == "ok"
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
    finally:
        d.stop()
        caller.close()
        callee.close()
