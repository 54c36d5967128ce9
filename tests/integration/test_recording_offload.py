"""test_recording_offload.py: recording a stream the kernel forwards (`offload = yes`).

A recorded stream stays in user space while it is recorded (the worker copies its
packets into the recorder's ring), which `query` says ("path": "user space"); once
the recording stops the kernel takes it back. The pcap holds what crossed while the
call was recorded. Topology and daemon: tests/integration/test_offload_daemon.py
(needs root).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_callctl_offload import paced, setup_call  # noqa: E402
from test_offload_daemon import (CALLEE_IP, CALLER_IP, RELAY_IP, SETTLE, RelayDaemon,  # noqa: E402,F401
                                 kernel_forwards, pytestmark, talk, topo,
                                 wait_kernel_forwards)
from test_offload_netns import drain, ns_socket  # noqa: E402


def test_recording_takes_kernel_stream_to_user_space(topo):
    rec = tempfile.mkdtemp(prefix="rtprelay-recoff-")
    d = RelayDaemon(offload=True, timeout=60,
                    extra=["--recording-dir=" + rec, "--recording-method=pcap"])
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        with d.ng() as ng:
            pa, pb = setup_call(ng, "rec-k")
            talk(caller, callee, pa, pb, SETTLE)
            wait_kernel_forwards(d, caller, callee, pa)

            r = ng.request({"command": "start recording", "call-id": "rec-k",
                            "recording-file": "kernel-call"})
            assert r["result"] == "ok", r
            time.sleep(0.2)
            # out of the kernel at once: a frozen daemon forwards nothing now
            assert not kernel_forwards(d, caller, callee, pa)
            sent = paced(caller, (RELAY_IP, pa), 25, first_seq=8000)
            got = [x for x, _ in drain(callee, 0.5)]
            assert got == sent  # recorded and still forwarded, every one
            q = ng.query("rec-k")["recording"]
            assert q["path"] == "user space" and q["packets"] >= 25, q

            r = ng.request({"command": "stop recording", "call-id": "rec-k"})
            assert r["result"] == "ok", r
            assert "recording" not in ng.query("rec-k")
            talk(caller, callee, pa, pb, 1.5, first_seq=8100)
            wait_kernel_forwards(d, caller, callee, pa)  # back in the kernel
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
        out = subprocess.run(["tshark", "-r", os.path.join(rec, "kernel-call.pcap"), "-T",
                              "fields", "-e", "ip.src", "-e", "udp.payload"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        from_caller = [bytes.fromhex(f.split("\t")[1].replace(":", ""))
                       for f in out.splitlines() if f.startswith(CALLER_IP + "\t")]
        assert all(p in from_caller for p in sent)
    finally:
        d.stop()
        caller.close()
        callee.close()
        shutil.rmtree(rec, ignore_errors=True)
