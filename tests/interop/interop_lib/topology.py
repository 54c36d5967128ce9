"""One test's world: namespaces, relay, Kamailio and two baresip phones.

Plain topology (one namespace "core", everything on its loopback):

    phone A (alice) 127.0.0.1:5070 ─┐
    phone B (bob)   127.0.0.1:5080 ─┼─ Kamailio 127.0.0.1:5060 ──ng──▶ relay 127.0.0.1:2223
                                    └──────── RTP ────────────▶ relay media 127.0.0.1:30000-30099

NAT topology (one phone, here bob, behind a masquerading router; the core has no route
to the LAN, so the SDP address that phone advertises is unreachable and only latching
can deliver media):

    core ns                       nat ns                            lan ns
    Kamailio, relay, alice        n0 10.99.1.2 ─ masquerade         l1 192.168.99.2 bob
    c0 10.99.1.1 ────veth──────── n1 192.168.99.1 ────veth───────── default via .1
                                  (udp source ports → 50000-50999)
"""
import os

from ngclient import NgClient, bdecode

from . import kamailio as kam
from .phone import Phone
from .procs import STARTUP_TIMEOUT, Netns, listening_udp_ports, wait_for
from .sniff import NgSniffer, RelaySniffer
from .relay import relay_binary, start_relay
from .tone import write_tone

NG_PORT = 2223
SIP_PORT = 5060
PORT_MIN, PORT_MAX = 30000, 30099
CALLER_TONE, CALLEE_TONE = 600, 1000
NAT_PUBLIC, NAT_PORTS = "10.99.1.2", (50000, 50999)

_counter = [0]


class RelayInstance:
    """One relay of the world: its process, the test's ng client to it, its ng port,
    its media port range and its weight in Kamailio's rtpengine set."""

    def __init__(self, proc, ng, ng_port, ports, weight):
        self.proc, self.ng, self.ng_port, self.ports, self.weight = \
            proc, ng, ng_port, ports, weight
        self.killed_by_test = False

    def kill(self):
        """SIGKILL the relay (by its PID) as a crash would, and wait for it."""
        self.killed_by_test = True
        self.proc.popen.kill()
        self.proc.popen.wait(timeout=5)


def _ns_name(role):
    _counter[0] += 1
    return "rtpi%d-%d-%s" % (os.getpid() % 100000, _counter[0], role)


class World:
    """nat: None, or the name of the phone ("alice" or "bob") that sits behind the NAT.
    relays: None (one relay, the only one in Kamailio's set), or one dict per relay of
    a weighted set, {"weight": w, "args": [extra relay options]}: relay i listens for
    ng on NG_PORT + i and relays media on PORT_MIN + 100 i .. PORT_MAX + 100 i."""

    def __init__(self, logdir, nat=None, caller_codecs=("PCMU/8000/1",),
                 callee_codecs=("PCMU/8000/1",), callee_answer="auto",
                 offer_flags=kam.DEFAULT_FLAGS, answer_flags=kam.DEFAULT_FLAGS,
                 sniff=False, relays=None, caller_mediaenc=None, callee_mediaenc=None,
                 caller_config=(), callee_config=()):
        self.logdir = str(logdir)
        self.relay_specs = relays
        self.relays = []
        self.nat = nat
        self.caller_codecs = caller_codecs
        self.callee_codecs = callee_codecs
        self.callee_answer = callee_answer
        self.offer_flags = offer_flags
        self.answer_flags = answer_flags
        self.sniff = sniff
        self.caller_mediaenc = caller_mediaenc   # baresip mediaenc, e.g. "srtp-mand"
        self.callee_mediaenc = callee_mediaenc
        self.caller_config = caller_config   # extra baresip config lines
        self.callee_config = callee_config
        self.sniffer = None
        self.ng_capture = None
        self.relays_died_early = set()
        self.namespaces = []
        self.procs = []
        self.phones = []
        self.ng = None
        self.core_addr = "10.99.1.1" if nat else "127.0.0.1"

    # --- set-up -----------------------------------------------------------------
    def start(self):
        relay_binary()   # fail loudly, before building anything, if it is missing
        self.core = self._netns("core")
        if self.nat:
            self._build_nat()
        # what Kamailio and the relay said to each other, for failure reports
        specs = self.relay_specs or [{"weight": 1, "args": []}]
        ng_ports = [NG_PORT + i for i in range(len(specs))]
        self.ng_capture = NgSniffer(self.core, ng_ports)
        self.ng_capture.start()
        if self.sniff:
            self.sniffer = RelaySniffer(self.core, "c0" if self.nat else "lo",
                                        PORT_MIN, PORT_MAX + 100 * (len(specs) - 1))
            self.sniffer.start()
        for i, spec in enumerate(specs):
            self._start_relay(i, spec)
        self.relay, self.ng = self.relays[0].proc, self.relays[0].ng
        # the rtpengine module probes the relays once at start, so Kamailio comes second
        sock = NG_PORT if self.relay_specs is None else \
            [(r.ng_port, r.weight) for r in self.relays]
        self.kamailio = kam.start_kamailio(self.logdir, self.core.name, self.core_addr,
                                           SIP_PORT, sock, self.offer_flags,
                                           self.answer_flags)
        self.procs.append(self.kamailio)
        wait_for(lambda: SIP_PORT in listening_udp_ports(self.kamailio.pid)
                 or not self.kamailio.alive(), STARTUP_TIMEOUT, "Kamailio SIP port")
        assert self.kamailio.alive(), "Kamailio died:\n" + self.kamailio.output()[-3000:]
        self._start_phones()

    def _start_relay(self, i, spec):
        ng_port = NG_PORT + i
        ports = (PORT_MIN + 100 * i, PORT_MAX + 100 * i)
        proc = start_relay(self.logdir, self.core.name, self.core_addr, ng_port, ports[0],
                           ports[1], name="relay" if i == 0 else "relay%d" % (i + 1),
                           extra_args=spec.get("args", ()))
        self.procs.append(proc)
        ng = NgClient.udp(("127.0.0.1", ng_port), sock_factory=self.core.socket)
        self.relays.append(RelayInstance(proc, ng, ng_port, ports, spec.get("weight", 1)))
        try:
            ng.wait_ready(timeout=STARTUP_TIMEOUT, alive=proc.alive)
        except TimeoutError as exc:
            raise RuntimeError("%s; relay exit status %r; command %s\nrelay log:\n%s"
                               % (exc, proc.popen.poll(), " ".join(proc.cmd),
                                  proc.output()[-3000:])) from None

    def _netns(self, role):
        ns = Netns(_ns_name(role))
        self.namespaces.append(ns)
        return ns

    def _build_nat(self):
        self.natns = self._netns("nat")
        self.lan = self._netns("lan")
        self.core.ip_batch([
            "link add c0 type veth peer name n0 netns %s" % self.natns.name,
            "addr add 10.99.1.1/24 dev c0",
            "link set c0 up"])
        self.natns.ip_batch([
            "link add n1 type veth peer name l1 netns %s" % self.lan.name,
            "addr add %s/24 dev n0" % NAT_PUBLIC,
            "addr add 192.168.99.1/24 dev n1",
            "link set n0 up",
            "link set n1 up"])
        self.lan.ip_batch([
            "addr add 192.168.99.2/24 dev l1",
            "link set l1 up",
            "route add default via 192.168.99.1"])
        self.natns.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        rules = ("table ip nat {\n chain post {\n  type nat hook postrouting priority 100;"
                 " policy accept;\n  oifname \"n0\" meta l4proto udp masquerade to :%d-%d\n"
                 " }\n}\n" % NAT_PORTS)
        path = os.path.join(self.logdir, "nat.nft")
        with open(path, "w") as f:
            f.write(rules)
        self.natns.exec("nft", "-f", path)

    def _start_phones(self):
        caller_wav = os.path.join(self.logdir, "caller-%d.wav" % CALLER_TONE)
        callee_wav = os.path.join(self.logdir, "callee-%d.wav" % CALLEE_TONE)
        # longer than any call: baresip hangs up when its source file ends
        write_tone(caller_wav, CALLER_TONE, 60)
        write_tone(callee_wav, CALLEE_TONE, 60)
        registrar = "%s:%d" % (self.core_addr, SIP_PORT)

        def place(name):
            """(namespace, address) of a phone: in the LAN behind the NAT, or in the core."""
            if self.nat == name:
                return self.lan, "192.168.99.2"
            return self.core, self.core_addr

        ns, addr = place("alice")
        self.alice = Phone("alice", self.logdir, ns.name, addr, 5070, 4444, "alice", registrar,
                           caller_wav, codecs=self.caller_codecs, ctrl_ns=ns,
                           mediaenc=self.caller_mediaenc, extra_config=self.caller_config)
        self.phones.append(self.alice)
        ns, addr = place("bob")
        self.bob = Phone("bob", self.logdir, ns.name, addr, 5080, 4445, "bob", registrar,
                         callee_wav, answer=self.callee_answer, codecs=self.callee_codecs,
                         ctrl_ns=ns, mediaenc=self.callee_mediaenc,
                         extra_config=self.callee_config)
        self.phones.append(self.bob)
        for phone in self.phones:
            phone.connect(timeout=STARTUP_TIMEOUT)
        for phone in self.phones:
            phone.wait_registered(timeout=STARTUP_TIMEOUT)

    # --- tear-down ----------------------------------------------------------------
    def relay_problems(self):
        """Things the relay did wrong outside the assertions: dying during the test,
        or a sanitizer report (when RTPRELAY_BUILD is an ASan/UBSan build). Call it
        after close()."""
        problems = []
        for r in self.relays:
            relay = r.proc
            if relay.name in self.relays_died_early:
                problems.append("%s exited during the test (status %r)"
                                % (relay.name, relay.popen.returncode))
            log = relay.output()
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                           "runtime error:"):
                idx = log.find(marker)
                if idx >= 0:
                    problems.append("sanitizer report in %s's log:\n%s"
                                    % (relay.name, log[idx:idx + 3000]))
        return problems

    def close(self):
        self.relays_died_early = {r.proc.name for r in self.relays
                                  if not r.killed_by_test and not r.proc.alive()}
        for phone in self.phones:
            phone.stop()
        if self.sniffer is not None:
            self.sniffer.stop()
        if self.ng_capture is not None:
            self.ng_capture.stop()
        for proc in reversed(self.procs):
            proc.stop()
        for r in self.relays:
            r.ng.close()
        for ns in reversed(self.namespaces):
            ns.delete()

    def proxy_ng_exchange(self):
        """The ng commands Kamailio sent and the relay's replies (ping/list/query
        from the test itself are left out)."""
        if self.ng_capture is None:
            return []
        return [line for line in self.ng_capture.exchange(bdecode)
                if "'command': 'list'" not in line and "'command': 'query'" not in line]

    def logs(self, tail=4000):
        """Tails of every log, for assertion messages."""
        out = []
        for proc in self.procs + [p.proc for p in self.phones]:
            out.append("==== %s (%s)\n%s" % (proc.name, proc.logpath, proc.output()[-tail:]))
        return "\n".join(out)
