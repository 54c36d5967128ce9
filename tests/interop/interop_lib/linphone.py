"""Linphone's console client (`linphonec`, Debian linphone-cli) as a SIP phone.

Headless: `soundcard use files` makes it play a WAV file instead of capturing and write
what it decodes to another WAV file instead of playing, so no sound device is needed.
It is driven by commands on its stdin; its stdout and log (-d 6) go to files. HOME
points into the test's directory, so its database and state stay there.
"""
import os
import re
import subprocess

from .procs import Proc, wait_for

LINPHONERC = """[sip]
sip_port={sip_port}
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
default_proxy=0
media_encryption={media_encryption}
media_encryption_mandatory={mandatory}
supported={supported}
[rtp]
audio_rtp_port={rtp_port}
audio_jitt_comp=60
[sound]
echocancellation=0
[video]
enabled=0
capture=0
display=0
[net]
firewall_policy=0
[proxy_0]
reg_proxy=<sip:{registrar};transport=udp>
reg_identity=sip:{user}@{domain}
reg_expires=600
reg_sendregister=1
publish=0
dial_escape_plus=0
[audio_codec_0]
mime=PCMU
rate=8000
enabled=1
[audio_codec_1]
mime=PCMA
rate=8000
enabled=0
[audio_codec_2]
mime=opus
rate=48000
enabled=0
[audio_codec_3]
mime=speex
rate=8000
enabled=0
[audio_codec_4]
mime=speex
rate=16000
enabled=0
"""


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d+ ")


class Linphone:
    """linphonec with one account on `registrar` (host:port); `media_encryption` is
    linphonerc's value: none, srtp (SDES), zrtp, dtls. gruu=False leaves `gruu` out of
    its Supported header: Kamailio's registrar then hands it no GRUU, and its dialogs'
    Contact is its own address and port instead of the registrar's pub-gruu, which the
    documented config (no GRUU resolution for in-dialog requests) would route back to
    Kamailio itself, so the ACK and BYE of a call to Linphone would never reach it."""

    def __init__(self, name, logdir, ns, sip_port, rtp_port, user, domain, registrar,
                 tone, media_encryption="srtp", mandatory=True, gruu=True):
        self.name = name
        self.user = user
        self.dir = os.path.join(logdir, name)
        # without its database directory liblinphone never starts its core
        os.makedirs(os.path.join(self.dir, ".local", "share", "linphone"), exist_ok=True)
        self.config = os.path.join(self.dir, "linphonerc")
        with open(self.config, "w") as f:
            f.write(LINPHONERC.format(sip_port=sip_port, rtp_port=rtp_port, user=user,
                                      domain=domain, registrar=registrar,
                                      media_encryption=media_encryption,
                                      mandatory=1 if mandatory else 0,
                                      supported="replaces, outbound" + (
                                          ", gruu" if gruu else "")))
        self.tone = tone
        self.recording = os.path.join(self.dir, "received.wav")
        self.logfile = os.path.join(self.dir, "linphone-core.log")
        env = dict(os.environ, HOME=self.dir, XDG_DATA_HOME=self.dir,
                   XDG_CONFIG_HOME=self.dir)
        self.proc = Proc(name, ["linphonec", "-c", self.config, "-d", "6", "-l",
                                self.logfile], logdir, ns=ns, env=env, cwd=self.dir,
                         stdin=subprocess.PIPE)

    def send(self, line):
        self.proc.popen.stdin.write((line + "\n").encode())
        self.proc.popen.stdin.flush()

    def output(self):
        return self.proc.output()

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, text, timeout):
        """Wait until liblinphone's log shows `text` (its console output is not a
        reliable event source: linphonec prints state changes only to a terminal)."""
        wait_for(lambda: text in self.log() or not self.proc.alive(), timeout,
                 "%s to log %r" % (self.name, text))
        if not self.proc.alive():
            raise RuntimeError("%s exited:\n%s" % (self.name, self.output()[-3000:]))

    def wait_registered(self, timeout):
        self.wait_log("to [LinphoneRegistrationOk]", timeout)

    def sdps(self):
        """The SDP bodies liblinphone logged (the SIP messages it sent and received,
        in order), each as a string."""
        out, cur = [], None
        for line in self.log().splitlines():
            if line.startswith("v=0"):
                cur = [line]
            elif cur is not None:
                if not line or TIMESTAMP.match(line):
                    out.append("\n".join(cur))
                    cur = None
                else:
                    cur.append(line)
        if cur:
            out.append("\n".join(cur))
        return out

    def start_files(self):
        """Headless audio: play the tone, record what is received."""
        self.send("soundcard use files")
        self.send("play %s" % self.tone)
        self.send("record %s" % self.recording)

    def stop(self):
        if self.proc.alive():
            try:
                self.send("quit")
            except OSError:
                pass
        self.proc.stop(grace=2.0)
