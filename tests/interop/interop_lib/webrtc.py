"""The WebRTC interop world: a browser, a SIP phone, Kamailio (WebSocket + UDP) and the
relay, all in one network namespace of the test's own: `lo` plus one veth pair whose
end w0 (10.200.0.1) carries the relay's media address and the browser's only ICE
candidate (nothing on it leaves the namespace).

    Chromium + JsSIP page ──ws://127.0.0.1:8080──┐
    (page from http://127.0.0.1:8088)            ├─ Kamailio ──ng──▶ relay 127.0.0.1:2223
    baresip bob 127.0.0.1:5080 ──udp:5060────────┘
    media: browser (ICE, DTLS-SRTP, rtcp-mux) ⇄ relay 10.200.0.1:30000-30099 ⇄ bob (RTP/AVP)

With nat="bob" the phone sits in a LAN behind the plain world's masquerading NAT
(topology.World._build_nat): Kamailio's SIP listener moves to the core's NAT-facing
address, and the NAT namespace gets a route to the relay's media address, so the only
way bob's media reaches the relay, and the relay's reaches bob, is through the NAT's
public address 10.99.1.2 and its remapped ports:

    Chromium + JsSIP ──ws://127.0.0.1:8080── Kamailio udp:10.99.1.1:5060 ──ng──▶ relay
    core ns: w0 10.200.0.1 (relay media), c0 10.99.1.1 ── nat ns: n0 10.99.1.2 masquerade
    (route 10.200.0.1 via 10.99.1.1) ── lan ns: bob 192.168.99.2:5080

Kamailio runs the ```kamailio-webrtc block of docs/kamailio.md with only its
#!substdef addresses changed (and, for a variant, the #!substdef lines of the
documented ```kamailio-webrtc-VARIANT block in place of the ones they name). The browser's fake microphone plays CALLER_TONE (600 Hz),
bob sends CALLEE_TONE (1000 Hz).
"""
import os
import re

from . import kamailio as kam
from .browser import Browser, PageServer, ensure_bundle
from .phone import Phone
from .procs import STARTUP_TIMEOUT, Proc, listening_udp_ports, wait_for
from .relay import relay_binary
from .sniff import NgSniffer
from .tone import write_tone
from .topology import CALLEE_TONE, CALLER_TONE, NG_PORT, SIP_PORT, World

NAT_SIDE_ADDR = "10.99.1.1"   # the core's address on the veth towards the NAT
LAN_ADDR = "192.168.99.2"     # bob's address behind the NAT

WS_PORT = 8080
HTTP_PORT = 8088
WEB_USER = "web"
MEDIA_ADDR = "10.200.0.1"


def apply_variant(cfg, variant):
    """The ```kamailio-webrtc block with the #!substdef lines of the documented variant
    block ```kamailio-webrtc-VARIANT put in place of the ones they name (each must name
    exactly one line of the block)."""
    lines = [l for l in kam.documented_config("kamailio-webrtc-" + variant).splitlines()
             if l.strip()]
    if not lines:
        raise RuntimeError("docs/kamailio.md: the webrtc-%s block is empty" % variant)
    for line in lines:
        m = re.match(r'^#!substdef "!([A-Z_]+)!.*!g"$', line)
        if m is None:
            raise RuntimeError("docs/kamailio.md webrtc-%s block: not a #!substdef line: %r"
                               % (variant, line))
        cfg, n = re.subn(r'^#!substdef "!%s!.*!g"$' % m.group(1), lambda _m: line, cfg,
                         flags=re.M)
        if n != 1:
            raise RuntimeError("docs/kamailio.md webrtc block: expected one #!substdef for "
                               "%s (from the webrtc-%s block)" % (m.group(1), variant))
    return cfg


def render_webrtc_config(ng_port, sip_addr="127.0.0.1", variant=None):
    values = {"SIP_LISTEN": "udp:%s:%d" % (sip_addr, SIP_PORT),
              "WS_LISTEN": "tcp:127.0.0.1:%d" % WS_PORT,
              "RELAY_SOCK": kam.relay_sock(ng_port)}
    cfg = kam.documented_config("kamailio-webrtc")
    if variant:
        cfg = apply_variant(cfg, variant)
    for name, value in values.items():
        cfg, n = re.subn(r'^#!substdef "!%s!.*!g"$' % name,
                         lambda _m: '#!substdef "!%s!%s!g"' % (name, value), cfg, flags=re.M)
        if n != 1:
            raise RuntimeError("docs/kamailio.md webrtc block: expected one #!substdef for %s"
                               % name)
    cfg = re.sub(r"^log_stderror=no$", "log_stderror=yes", cfg, flags=re.M)
    cfg = re.sub(r"^children=\d+$", "children=2", cfg, flags=re.M)
    return cfg


def listening_tcp_ports(pid):
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, table)) as f:
                for line in list(f)[1:]:
                    fields = line.split()
                    if fields[3] == "0A":
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


class WebRtcWorld(World):
    """browser_codecs: "" (Chromium's own list) or "opus" (the page keeps only Opus in
    its SDP); phone_codecs: what bob offers and accepts; bundle: the page's
    bundlePolicy ("balanced", or "max-bundle", which rejects an answer without
    a=group:BUNDLE); video: a video call (Chromium's fake camera, baresip's fakevideo
    source with VP8); nat: None, or "bob" to put the phone behind the NAT; variant:
    None, or the name of a documented variant block (```kamailio-webrtc-VARIANT in
    docs/kamailio.md, e.g. "classic": the classic RTP/SAVPF flags towards the browser)
    whose #!substdef lines replace the webrtc block's."""

    def __init__(self, logdir, browser_codecs="", phone_codecs=("PCMU/8000/1",),
                 bundle="balanced", video=False, nat=None, variant=None):
        if nat not in (None, "bob"):
            raise ValueError("WebRtcWorld: only the phone (bob) can be behind the NAT")
        super().__init__(logdir, nat=nat)
        self.video = video
        self.bundle = bundle   # the page's RTCPeerConnection bundlePolicy
        self.browser_codecs = browser_codecs
        self.phone_codecs = phone_codecs
        self.variant = variant
        self.browser = None
        self.pages = None

    def start(self):
        relay_binary()
        ensure_bundle()
        self.core = self._netns("core")
        # Chromium leaves loopback out of ICE gathering: with only `lo` it finds no
        # candidate and never completes gathering. One veth pair inside the namespace
        # gives it (and the relay's media) an address that is still local to the test.
        self.core.ip_batch(["link add w0 type veth peer name w1",
                            "addr add %s/24 dev w0" % MEDIA_ADDR,
                            "link set w0 up", "link set w1 up"])
        self.core_addr = MEDIA_ADDR   # the relay's --interface
        sip_addr = "127.0.0.1"
        if self.nat:
            self._build_nat()
            # the relay's media address is on w0, not on the NAT-facing veth: the NAT
            # (and so the phone behind it) reaches it through the core
            self.natns.ip_batch(["route add %s/32 via %s" % (MEDIA_ADDR, NAT_SIDE_ADDR)])
            sip_addr = NAT_SIDE_ADDR
        self.sip_addr = sip_addr
        if os.environ.get("INTEROP_PCAP"):
            # for debugging: every packet in the namespace, to LOGDIR/webrtc.pcap
            self.procs.append(Proc("tshark", ["tshark", "-i", "any", "-n", "-q", "-w",
                                              os.path.join(self.logdir, "webrtc.pcap")],
                                   self.logdir, ns=self.core.name))
        self.ng_capture = NgSniffer(self.core, [NG_PORT])
        self.ng_capture.start()
        self._start_relay(0, {"weight": 1, "args": []})
        self.relay, self.ng = self.relays[0].proc, self.relays[0].ng
        cfg = os.path.join(self.logdir, "kamailio.cfg")
        rundir = os.path.join(self.logdir, "kamailio-run")
        os.makedirs(rundir, exist_ok=True)
        with open(cfg, "w") as f:
            f.write(render_webrtc_config(NG_PORT, sip_addr, self.variant))
        self.kamailio = Proc("kamailio", ["kamailio", "-DD", "-E", "-f", cfg, "-Y", rundir,
                                          "-w", rundir, "-m", "32", "-M", "4"],
                             self.logdir, ns=self.core.name)
        self.procs.append(self.kamailio)
        wait_for(lambda: (SIP_PORT in listening_udp_ports(self.kamailio.pid)
                          and WS_PORT in listening_tcp_ports(self.kamailio.pid))
                 or not self.kamailio.alive(), STARTUP_TIMEOUT, "Kamailio SIP and WS ports")
        assert self.kamailio.alive(), "Kamailio died:\n" + self.kamailio.output()[-3000:]

        callee_wav = os.path.join(self.logdir, "phone-%d.wav" % CALLEE_TONE)
        write_tone(callee_wav, CALLEE_TONE, 60)
        bob_ns, bob_addr = (self.lan, LAN_ADDR) if self.nat else (self.core, "127.0.0.1")
        self.bob = Phone("bob", self.logdir, bob_ns.name, bob_addr, 5080, 4445, "bob",
                         "%s:%d" % (sip_addr, SIP_PORT), callee_wav, answer="auto",
                         codecs=self.phone_codecs, ctrl_ns=bob_ns,
                         video_codecs=("VP8",) if self.video else ())
        self.phones.append(self.bob)
        self.bob.connect(timeout=STARTUP_TIMEOUT)
        self.bob.wait_registered(timeout=STARTUP_TIMEOUT)

        # Chromium's fake microphone: the caller's tone, at the rate WebRTC captures
        browser_wav = os.path.join(self.logdir, "browser-%d.wav" % CALLER_TONE)
        write_tone(browser_wav, CALLER_TONE, 60, rate=48000)
        self.browser = Browser(self.core.name, self.logdir, browser_wav)
        self.pages = PageServer(self.browser.ns, HTTP_PORT)
        url = ("http://127.0.0.1:%d/index.html?ws=ws://127.0.0.1:%d&user=%s&domain=127.0.0.1"
               "&codecs=%s&bundle=%s&video=%d" % (HTTP_PORT, WS_PORT, WEB_USER,
                                                  self.browser_codecs, self.bundle,
                                                  1 if self.video else 0))
        self.browser.open(url)
        self.browser.wait("window.rtcTest && window.rtcTest.state.registered", 20,
                          "JsSIP to register over WebSocket")

    def close(self):
        if self.browser is not None:
            self.browser.quit()
        if self.pages is not None:
            self.pages.stop()
        super().close()

    def logs(self, tail=4000):
        out = [super().logs(tail)]
        if self.browser is not None:
            out.append("==== page log\n" + "\n".join(self.browser.page_log()[-40:]))
        return "\n".join(out)
