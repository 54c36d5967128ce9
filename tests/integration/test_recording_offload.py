"""test_recording_offload.py: recording and playback on streams the kernel forwards
(`offload = yes`).

With `recording-kernel-ring-kb = 0` a recorded stream stays in user space while it
is recorded (the worker copies its packets into the recorder's ring), which `query`
says ("path": "user space"); once the recording stops the kernel takes it back. The
pcap holds what crossed while the call was recorded. (By default the kernel keeps a
recorded stream and copies its packets itself: test_recording_kernel.py.) play media takes a kernel stream to user space while the file plays
and gives it back after. Topology and daemon: tests/integration/test_offload_daemon.py
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
                    extra_args=["--recording-dir=" + rec, "--recording-method=pcap",
                                "--recording-kernel-ring-kb=0"])
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


def test_play_media_on_kernel_stream(topo):
    """play media into a kernel-forwarded stream: user space takes it while the file
    plays (the callee hears it in the caller's packets), the kernel takes it back."""
    import wave

    import numpy as np
    media = tempfile.mkdtemp(prefix="rtprelay-media-")
    t = np.arange(8000) / 8000.0
    with wave.open(os.path.join(media, "a.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes())
    d = RelayDaemon(offload=True, timeout=60, extra_args=["--media-dir=" + media])
    caller = ns_socket(topo["caller"], CALLER_IP, 5000)
    callee = ns_socket(topo["callee"], CALLEE_IP, 6000)
    try:
        with d.ng() as ng:
            pa, pb = setup_call(ng, "pm-k")
            talk(caller, callee, pa, pb, SETTLE)
            wait_kernel_forwards(d, caller, callee, pa)
            r = ng.request({"command": "play media", "call-id": "pm-k", "from-tag": "to1",
                            "file": "a.wav"})
            assert r["result"] == "ok" and r["duration"] == 1000, r
            sent = paced(caller, (RELAY_IP, pa), 70, first_seq=9000)
            got = [x for x, _ in drain(callee, 0.5)]
            assert [g[:12] for g in got] == [s[:12] for s in sent]
            changed = [i for i, (g, s) in enumerate(zip(got, sent)) if g[12:] != s[12:]]
            assert changed == list(range(50)), changed
            time.sleep(1.5)
            talk(caller, callee, pa, pb, 1.5, first_seq=9100)
            wait_kernel_forwards(d, caller, callee, pa)
        status, log = d.stop()
        assert status == 0 and "Sanitizer" not in log, log
    finally:
        d.stop()
        caller.close()
        callee.close()
        shutil.rmtree(media, ignore_errors=True)
