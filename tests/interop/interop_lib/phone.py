"""A baresip 1.0 phone driven over ctrl_tcp (JSON in netstrings).

It sends a tone WAV (aufile), records what it receives (sndfile) and prints its SIP
traffic (sip_trace) so the test can read the SDP the phone actually got.
"""
import glob
import json
import os
import queue
import re
import socket
import threading
import time

from .procs import Proc, wait_for

BARESIP_CFG = """poll_method epoll
sip_listen {addr}:{sip_port}
sip_trace yes
net_interface {iface}
audio_source aufile,{tone}
audio_player none,none
ausrc_srate 8000
ausrc_channels 1
rtp_timeout 0
module_path /usr/lib/baresip/modules
{codec_modules}
module aufile.so
module sndfile.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen {ctrl_addr}:{ctrl_port}
snd_path {snd_path}
{extra}
"""

CODEC_MODULES = {"PCMU": "g711.so", "PCMA": "g711.so", "opus": "opus.so", "G722": "g722.so"}


class Phone:
    def __init__(self, name, logdir, ns, addr, sip_port, ctrl_port, user, registrar,
                 tone, answer="auto", codecs=("PCMU/8000/1",), iface=None, ctrl_ns=None,
                 mediaenc=None, extra_config=(), video_codecs=()):
        self.name = name
        self.user = user
        self.addr = addr
        self.ns = ns
        self.ctrl_ns = ctrl_ns   # Netns object to create the control socket in
        self.dir = os.path.join(logdir, name)
        os.makedirs(self.dir, exist_ok=True)
        modules = sorted({CODEC_MODULES[c.split("/")[0]] for c in codecs})
        if mediaenc and mediaenc.startswith("dtls_srtp"):
            # baresip's dtls_srtp module: DTLS-SRTP (RFC 5763/5764), UDP/TLS/RTP/SAVP
            modules.append("dtls_srtp.so")
        elif mediaenc:   # e.g. "srtp-mand": baresip's srtp module, SDES (RFC 4568)
            modules.append("srtp.so")
        if video_codecs:
            # video: baresip's fake camera as the source, its VP8 codec, no display
            modules += ["vp8.so", "fakevideo.so"]
            extra_config = tuple(extra_config) + ("video_source fakevideo,nil",)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(BARESIP_CFG.format(
                addr=addr, sip_port=sip_port, iface=iface or addr, tone=tone,
                codec_modules="\n".join("module " + m for m in modules),
                ctrl_addr="127.0.0.1", ctrl_port=ctrl_port, snd_path=self.dir,
                extra="\n".join(extra_config)))
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<sip:%s@%s>;regint=600;answermode=%s;audio_codecs=%s%s%s\n"
                    % (user, registrar, answer, ",".join(codecs),
                       ";mediaenc=%s" % mediaenc if mediaenc else "",
                       ";video_codecs=%s" % ",".join(video_codecs) if video_codecs else ""))
        self.ctrl_port = ctrl_port
        self.sip_port = sip_port
        self.proc = Proc(name, ["baresip", "-s", "-f", self.dir], logdir, ns=ns)
        self.events = queue.Queue()
        self.seen = []           # every event, for failure messages
        self.responses = {}
        self._cond = threading.Condition()
        self._sock = None
        self._token = 0

    # --- control connection -------------------------------------------------
    def connect(self, timeout=10.0):
        wait_for(lambda: self.ctrl_port_bound() or not self.proc.alive(), timeout,
                 "%s ctrl_tcp port" % self.name)
        if not self.proc.alive():
            raise RuntimeError("%s exited at start-up:\n%s" % (self.name, self.proc.output()))
        if self.ctrl_ns is not None:
            sock = self.ctrl_ns.socket(socket.AF_INET, socket.SOCK_STREAM)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", self.ctrl_port))
        sock.settimeout(None)
        self._sock = sock
        threading.Thread(target=self._reader, daemon=True).start()

    def ctrl_port_bound(self):
        try:
            with open("/proc/%d/net/tcp" % self.proc.pid) as f:
                return any(int(l.split()[1].rsplit(":", 1)[1], 16) == self.ctrl_port
                           and l.split()[3] == "0A" for l in list(f)[1:])
        except OSError:
            return False

    def _reader(self):
        buf = b""
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while True:
                colon = buf.find(b":")
                if colon < 0 or not buf[:colon].isdigit():
                    break
                length = int(buf[:colon])
                if len(buf) < colon + 1 + length + 1:
                    break
                msg = json.loads(buf[colon + 1:colon + 1 + length])
                buf = buf[colon + 1 + length + 1:]
                if msg.get("event"):
                    self.seen.append(msg)
                    self.events.put(msg)
                elif msg.get("response"):
                    with self._cond:
                        self.responses[msg.get("token")] = msg
                        self._cond.notify_all()

    def command(self, command, params="", timeout=5.0):
        self._token += 1
        token = "%s-%d" % (self.name, self._token)
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self._sock.sendall(b"%d:%s," % (len(body), body))
        with self._cond:
            ok = self._cond.wait_for(lambda: token in self.responses, timeout)
        if not ok:
            raise TimeoutError("%s: no reply to ctrl command %r" % (self.name, command))
        return self.responses.pop(token)

    def wait_event(self, kind, timeout=10.0, fail_on=()):
        """Wait for an event of type `kind` (e.g. CALL_ESTABLISHED); events of other
        types that arrive meanwhile are kept in `seen` but skipped, except those in
        `fail_on` (e.g. CALL_CLOSED while waiting for the answer), which fail at once."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("%s: no %s event within %.1fs; events seen: %s"
                                   % (self.name, kind, timeout,
                                      [e.get("type") for e in self.seen]))
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if ev.get("type") == kind:
                return ev
            if ev.get("type") in fail_on:
                raise AssertionError("%s: %s (%s) while waiting for %s"
                                     % (self.name, ev.get("type"), ev.get("param"), kind))

    def wait_registered(self, timeout=10.0):
        """baresip prints '<user>@<domain>: {...} 200 OK' once its REGISTER succeeds
        (that happens at start-up, before a ctrl_tcp client can see the event)."""
        pattern = re.compile(r"^%s@\S+: \{[^}]*\} 200 OK" % re.escape(self.user), re.M)
        wait_for(lambda: pattern.search(self.proc.output()) or not self.proc.alive(),
                 timeout, "%s to register" % self.name)
        if not self.proc.alive():
            raise RuntimeError("%s exited:\n%s" % (self.name, self.proc.output()[-3000:]))

    def saw(self, kind):
        return any(e.get("type") == kind for e in self.seen)

    # --- artefacts ------------------------------------------------------------
    def recordings(self, which="dec"):
        return sorted(glob.glob(os.path.join(self.dir, "dump-*-%s.wav" % which)),
                      key=os.path.getmtime)

    def stop(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        # baresip unregisters on SIGTERM; one second is enough, the registrar dies too
        self.proc.stop(grace=1.0)


_TRACE = re.compile(r"^(UDP|TCP) (\S+) -> (\S+)\n(.*?)\n?\x1b\[;m", re.M | re.S)


def sip_messages(phone, received=True):
    """SIP messages this phone received (or sent), from its `-s` trace: a list of
    dicts with 'src', 'first' (start line), 'headers' {lower-name: value}, 'body'."""
    own = ":%d" % phone.sip_port
    out = []
    for m in _TRACE.finditer(phone.proc.output()):
        src, dst, text = m.group(2), m.group(3), m.group(4).replace("\r\n", "\n")
        to_me, from_me = dst.endswith(own), src.endswith(own)
        if (to_me and not from_me) != received or to_me == from_me:
            continue
        head, _, body = text.partition("\n\n")
        lines = head.split("\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        out.append({"src": src, "first": lines[0], "headers": headers, "body": body})
    return out


def received_sdps(phone, what, received=True):
    """Bodies of received (or sent) INVITEs (`what`='INVITE') or 2xx INVITE
    replies ('200'), in order."""
    bodies = []
    for msg in sip_messages(phone, received):
        cseq = msg["headers"].get("cseq", "")
        if what == "INVITE" and msg["first"].startswith("INVITE "):
            pass
        elif what == "200" and msg["first"].startswith("SIP/2.0 200") and cseq.endswith("INVITE"):
            pass
        else:
            continue
        if msg["body"].strip():
            bodies.append(msg["body"])
    return bodies


def parse_sdp(body):
    """The first audio stream of an SDP body: address, port, rtcp port, payload
    names, direction."""
    session_c = media_c = None
    port = rtcp = None
    pts = []
    names, direction, in_audio = [], "sendrecv", False
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("m="):
            in_audio = line.startswith("m=audio") and port is None
            if in_audio:
                port = int(line.split()[1])
                pts = [int(f) for f in line.split()[3:] if f.isdigit()]
        elif line.startswith("c="):
            if port is None:
                session_c = line.split()[-1]
            elif in_audio:
                media_c = line.split()[-1]
        elif in_audio and line.startswith("a=rtcp:"):
            rtcp = int(line[7:].split()[0])
        elif in_audio and line.startswith("a=rtpmap:"):
            names.append(line.split(None, 1)[1])
        elif in_audio and line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive"):
            direction = line[2:]
    return {"addr": media_c or session_c, "port": port, "rtcp": rtcp, "codecs": names,
            "pts": pts, "direction": direction}
