#!/usr/bin/python3
"""webrtc_setup.py: WebRTC call set-up and memory per DTLS call, rtprelay or rtpengine.

    bench/webrtc_setup.py --relay rtprelay|rtpengine [--calls 200] [--timeout 60]

Starts the relay (user space, its own ng port and media port range, the same
command lines as bench/matrix.py's RELAYS, one media thread), then starts --calls
calls at once from one asyncio process (the generator). Each call: an aiortc peer
(python3-aiortc: full ICE agent, DTLS, SRTP) offers UDP/TLS/RTP/SAVPF with ICE and
a=setup:actpass; the relay offers plain RTP/AVP to a plain phone (a Python UDP
socket, PCMU), whose RTP/AVP answer the relay turns into the WebRTC answer with the
flags a WebRTC configuration sends (ICE, DTLS=passive, rtcp-mux, no SDES). The
relay is the DTLS server, aiortc the client.
aiortc sends PCMU over SRTP as soon as its ICE and DTLS are up; the call carries
media when the first packet the relay decrypted arrives at the plain phone. Each
aiortc peer sends only until its call carries media, so the relay's CPU during the
run is set-up work (ng commands, ICE checks, the handshake, key export), not
forwarding.

Printed (and with --json written as one JSON object): the time from the start until
every call carries media, p50/p99 per call, calls that never did within --timeout,
the relay's CPU (utime+stime from /proc/PID/stat) from before the first offer to the
moment the last call carried media, divided by the calls, the generator's own CPU,
and the relay's RSS after all calls minus before, divided by the calls (memory per
established DTLS call). A benchmark, not part of the test suite.
"""
import argparse
import asyncio
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)

import aioice  # noqa: E402
import av  # noqa: E402
import fractions  # noqa: E402
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection,  # noqa: E402
                    RTCSessionDescription)

from matrix import RELAYS  # noqa: E402
from ngclient import bdecode, bencode  # noqa: E402

# aiortc's ICE agent gathers host candidates on loopback only: the relay listens there
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# The offer from the WebRTC side goes to the plain phone as RTP/AVP without ICE, rtcp-mux
# demultiplexed; the answer back to the WebRTC side carries the flags a WebRTC
# configuration sends: rtprelay as tests/integration/test_dtls_webrtc.py drives it,
# rtpengine 10.5 with the WebRTC set spelled out. DTLS=passive: the relay is the DTLS
# server, aiortc (which offered actpass) the client.
OFFER_FLAGS = {
    "rtprelay": {"ICE": "remove", "flags": ["RTP/AVP"], "rtcp-mux": ["demux"]},
    "rtpengine": {"ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"]},
}
ANSWER_FLAGS = {
    "rtprelay": {"DTLS": "passive", "flags": ["no-rtcp-attribute"]},
    "rtpengine": {"ICE": "force", "DTLS": "passive",
                  "transport-protocol": "UDP/TLS/RTP/SAVPF",
                  "rtcp-mux": ["offer", "require"], "SDES": ["off"],
                  "flags": ["generate-mid"]},
}


def proc_cpu_s(pid):
    """utime+stime of a process in seconds (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def proc_rss_kb(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * PAGE_KB


class Ng(asyncio.DatagramProtocol):
    """ng over UDP, many requests in flight, replies matched by cookie."""

    def __init__(self):
        self.waiting = {}
        self.tr = None

    def connection_made(self, tr):
        self.tr = tr

    def datagram_received(self, data, addr):
        cookie, _, body = data.partition(b" ")
        fut = self.waiting.pop(cookie, None)
        if fut and not fut.done():
            fut.set_result(bdecode(body))

    async def request(self, d, timeout=10.0, tries=3):
        """One command, resent with the same cookie when no reply came (UDP)."""
        cookie = ("%08x" % random.getrandbits(32)).encode()
        msg = cookie + b" " + bencode(d)
        for _ in range(tries):
            fut = asyncio.get_running_loop().create_future()
            self.waiting[cookie] = fut
            self.tr.sendto(msg)
            try:
                r = await asyncio.wait_for(fut, timeout / tries)
                return {k.decode() if isinstance(k, bytes) else k: v for k, v in r.items()}
            except asyncio.TimeoutError:
                continue
        raise RuntimeError("no ng reply to %s" % d.get("command"))


def text(v):
    return v.decode() if isinstance(v, bytes) else v


class Silence(MediaStreamTrack):
    """20 ms frames of silence at 8 kHz (cheap to make); stops once `done` is set,
    so the peer sends only until its call carries media."""
    kind = "audio"

    def __init__(self, done):
        super().__init__()
        self.done, self.n, self.t0 = done, 0, None
        self.pcm = bytes(320)

    async def recv(self):
        if self.done.is_set():
            await asyncio.sleep(3600)  # ends with the peer connection's close
        if self.t0 is None:
            self.t0 = time.monotonic()
        await asyncio.sleep(max(0, self.t0 + self.n * 0.02 - time.monotonic()))
        f = av.AudioFrame(format="s16", layout="mono", samples=160)
        f.planes[0].update(self.pcm)
        f.sample_rate, f.pts = 8000, self.n * 160
        f.time_base = fractions.Fraction(1, 8000)
        self.n += 1
        return f


class PlainPhone(asyncio.DatagramProtocol):
    """The plain RTP side: records when the first RTP packet arrives."""

    def __init__(self, t0):
        self.t0, self.first = t0, None
        self.done = asyncio.Event()

    def datagram_received(self, data, addr):
        if self.first is None and len(data) >= 12 and data[0] >> 6 == 2 \
                and data[1] & 0x7f == 0:  # PCMU RTP, not RTCP
            self.first = time.monotonic() - self.t0
            self.done.set()


def aiortc_sdp(sdp):
    """aiortc's parser takes only the long a=rtcp form (port, network, address); the
    short form (RFC 3605: the address of the c= line), which rtpengine writes, gets
    the loopback address added. Nothing else is touched."""
    return re.sub(r"(?m)^a=rtcp:(\d+)\r$", r"a=rtcp:\1 IN IP4 127.0.0.1\r", sdp)


def plain_sdp(port, sess):
    return ("v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n" % (sess, port))


async def one_call(ng, relay, i, t0, res):
    loop = asyncio.get_running_loop()
    tr, phone = await loop.create_datagram_endpoint(lambda: PlainPhone(t0),
                                                    local_addr=("127.0.0.1", 0))
    port = tr.get_extra_info("sockname")[1]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    res["pcs"].append((pc, tr))
    cid = "wrtc-%d-%d" % (os.getpid(), i)
    res["cids"].append(cid)
    try:
        pc.addTrack(Silence(phone.done))
        await pc.setLocalDescription(await pc.createOffer())
        o = await ng.request(dict(command="offer", **{"call-id": cid, "from-tag": "web"},
                                  sdp=pc.localDescription.sdp, **OFFER_FLAGS[relay]))
        if text(o["result"]) != "ok":
            raise RuntimeError("offer: %r" % o)
        a = await ng.request(dict(command="answer", **{"call-id": cid, "from-tag": "web",
                                                       "to-tag": "ph"},
                                  sdp=plain_sdp(port, 1000 + i), **ANSWER_FLAGS[relay]))
        if text(a["result"]) != "ok":
            raise RuntimeError("answer: %r" % a)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=aiortc_sdp(text(a["sdp"])),
                                                            type="answer"))
        await phone.done.wait()
        res["setup"].append(phone.first)
    except Exception as e:  # counted, the run goes on with the other calls
        res["errors"].append("%s: %s" % (cid, e))
        if os.environ.get("WRTC_DEBUG"):
            import traceback
            traceback.print_exc()


def start_relay(relay, build, log, log_level=None):
    cfg = RELAYS[relay]
    lo, hi = cfg["ports"]
    sub = {"{addr}": "127.0.0.1", "{ng}": str(cfg["ng"]), "{port_min}": str(lo),
           "{port_max}": str(hi), "{daemon}": os.path.join(build, "daemon", "rtprelayd")}
    cmd = []
    for a in cfg["cmd"]:
        if a.startswith("@"):
            continue  # @ng_allow, @rtprelay_args: bench/run options, not used here
        for k, v in sub.items():
            a = a.replace(k, v)
        if log_level is not None and a.startswith("--log-level="):
            a = "--log-level=%d" % log_level
        cmd.append(a)
    p = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
    return p, cmd, cfg["ng"]


async def wait_ready(ng, proc, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("relay exited with %s" % proc.returncode)
        try:
            r = await ng.request({"command": "ping"}, timeout=0.6, tries=1)
            if text(r.get("result")) == "pong":
                return
        except RuntimeError:
            pass
    raise RuntimeError("relay not answering ng")


async def sample_cpu(pid, t0, samples):
    while True:
        samples.append((time.monotonic() - t0, proc_cpu_s(pid)))
        await asyncio.sleep(0.05)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


async def run(args):
    log = open(args.log, "w") if args.log else subprocess.DEVNULL
    proc, cmd, ng_port = start_relay(args.relay, args.build, log, args.log_level)
    loop = asyncio.get_running_loop()
    tr, ng = await loop.create_datagram_endpoint(Ng, remote_addr=("127.0.0.1", ng_port))
    res = {"setup": [], "errors": [], "pcs": [], "cids": []}
    out = {"relay": args.relay, "calls": args.calls, "relay_cmd": " ".join(cmd)}
    try:
        await wait_ready(ng, proc)
        await asyncio.sleep(0.5)
        pid = proc.pid
        rss0, cpu0 = proc_rss_kb(pid), proc_cpu_s(pid)
        g0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        samples = []  # (seconds since t0, relay CPU seconds), every 50 ms
        sampler = asyncio.ensure_future(sample_cpu(pid, t0, samples))
        tasks = [asyncio.ensure_future(one_call(ng, args.relay, i, t0, res))
                 for i in range(args.calls)]
        done, pending = await asyncio.wait(tasks, timeout=args.timeout)
        t_all = time.monotonic() - t0
        cpu1 = proc_cpu_s(pid)
        g1 = resource.getrusage(resource.RUSAGE_SELF)
        sampler.cancel()
        for t in pending:
            t.cancel()
        await asyncio.sleep(args.settle)
        rss1 = proc_rss_kb(pid)
        ok = len(res["setup"])
        out.update({
            "with_media": ok, "failed": len(res["errors"]), "timed_out": len(pending),
            "all_media_s": round(max(res["setup"]), 3) if ok == args.calls else None,
            "run_s": round(t_all, 3),
            "p50_ms": round(pct(res["setup"], 0.5) * 1e3, 1),
            "p99_ms": round(pct(res["setup"], 0.99) * 1e3, 1),
            "relay_cpu_s": round(cpu1 - cpu0, 3),
            "relay_cpu_ms_per_call": round((cpu1 - cpu0) * 1e3 / max(1, ok), 2),
            # when calls time out, the window above holds their retries too: the CPU up
            # to the first sample after the last call that got media, per such call
            "relay_cpu_ms_per_call_to_last_media": round(
                (next((c for t, c in samples if ok and t >= max(res["setup"])), cpu1)
                 - cpu0) * 1e3 / max(1, ok), 2),
            "gen_cpu_s": round(g1.ru_utime + g1.ru_stime - g0.ru_utime - g0.ru_stime, 2),
            "relay_rss_kb_before": rss0, "relay_rss_kb_after": rss1,
            "rss_per_call_bytes": round((rss1 - rss0) * 1024 / max(1, ok)),
            "loadavg": open("/proc/loadavg").read().split()[:3],
            "errors": res["errors"][:5],
        })
    finally:
        for cid in res["cids"]:
            try:
                await ng.request({"command": "delete", "call-id": cid}, timeout=1, tries=1)
            except RuntimeError:
                pass
        for pc, t in res["pcs"]:
            try:
                await asyncio.wait_for(pc.close(), 2)
            except Exception:
                pass
            t.close()
        tr.close()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--relay", choices=["rtprelay", "rtpengine"], required=True)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds the calls get to carry media (bounds the run)")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds after the last call before the RSS is read")
    ap.add_argument("--build", default=os.environ.get("RTPRELAY_BUILD",
                                                      os.path.join(ROOT, "build-bench")))
    ap.add_argument("--log", help="the relay's stdout/stderr go here")
    ap.add_argument("--json", help="write the result here (one JSON object)")
    ap.add_argument("--log-level", type=int, choices=range(0, 8),
                    help="the relay's log level instead of 3 (7: rtpengine logs its "
                    "ICE and DTLS steps per call)")
    args = ap.parse_args()
    if not 1 <= args.calls <= 2000 or not 1 <= args.timeout <= 600:
        ap.error("--calls 1..2000, --timeout 1..600")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    out = asyncio.run(run(args))
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0 if out.get("with_media") == args.calls else 1


if __name__ == "__main__":
    sys.exit(main())
