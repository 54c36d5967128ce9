"""A call through Kamailio goes on through the relay's Redis standby.

Topology (tests/integration/redis_failover.py's Topo, namespace names carry the PID):

    ns C 10.77.0.10 (bridge): redis-server, Kamailio 5.6, baresip alice and bob
       |-- veth --> ns A: 10.77.0.1 + service address 10.77.0.100: rtprelay, active
       |-- veth --> ns B: 10.77.0.2: rtprelay, standby (gets .100 on failover)

Both relays run the configuration block of docs/failover.md ("Kamailio in front of the
pair", ```rtprelay-pair) with this test's addresses; Kamailio runs docs/kamailio.md's
config with the one rtpengine socket that section gives: the service address.

alice calls bob (600 Hz / 1000 Hz tones). The active is SIGKILLed and the service
address moved to B with a gratuitous ARP. Then:

- what each phone receives from the relay (captured on C's bridge) goes on, with the
  other's tone, after a gap that is measured, printed and bounded;
- the standby counts both parties' RTP, reports itself active;
- alice holds and resumes: Kamailio's offers and answers for those re-INVITEs are
  answered by the standby (the active is dead; the replies come from the service
  address, where only B listens), the phones keep the relay's address and port, and
  media flows both ways after the resume;
- the BYE's delete is answered by the standby, its `list` is empty after it and the
  call's Redis record is gone;
- a new call through Kamailio is set up on the standby and carries media both ways.
"""
import os
import re
import signal
import subprocess
import time

import pytest

from interop_lib import checks
from interop_lib import kamailio as kam
from interop_lib.phone import Phone
from interop_lib.procs import STARTUP_TIMEOUT, Netns, Proc, listening_udp_ports, wait_for
from interop_lib.relay import relay_kind, rtprelay_binary
from interop_lib.sniff import NgSniffer, RelaySniffer
from interop_lib.tone import write_tone
from ngclient import bdecode
from redis_failover import A_ADDR, B_ADDR, C_ADDR, NG_PORT, VIP, Redis, Topo, wait_ready

from test_calls import EVENT_TIMEOUT, wait_dialog

CALLER_TONE, CALLEE_TONE = 600, 1000
SIP_PORT = 5060
REDIS_PORT = 6379          # inside namespace C, which only this test uses
BUDGET = 120               # seconds: SIGALRM backstop, every wait is bounded too
FAILOVER_DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                            "failover.md")
MAX_GAP = 2.5              # s of silence a phone may live through (the move takes ~0.1 s)


def netns_unavailable():
    """Why network namespaces cannot be made here (None if they can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    name = "rksprobe%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return "network namespaces unavailable: " + r.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


_WHY = netns_unavailable()
pytestmark = [
    pytest.mark.skipif(_WHY is not None, reason=_WHY or ""),
    pytest.mark.skipif(relay_kind() != "rtprelay",
                       reason="rtprelay's Redis active/standby (rtpengine's differs)"),
]


def documented_pair():
    """The ```rtprelay-pair block of docs/failover.md and the rtpengine_sock line of
    the same section."""
    with open(FAILOVER_DOC) as f:
        text = f.read()
    m = re.search(r"^```rtprelay-pair\n(.*?)^```", text, re.M | re.S)
    assert m, "docs/failover.md has no ```rtprelay-pair block"
    sock = re.search(r'modparam\("rtpengine", "rtpengine_sock", "udp:([^:"]+):(\d+)"\)', text)
    assert sock, "docs/failover.md names no rtpengine_sock for the pair"
    return m.group(1), sock.group(1), int(sock.group(2))


def pair_config(role, logdir):
    """The documented configuration of one relay of the pair, with this topology's
    addresses: the file's path."""
    block, sock_addr, sock_port = documented_pair()
    keys = dict(re.findall(r"^([a-z-]+) = (.*)$", block, re.M))
    # the doc's Kamailio socket is its own service address, on the relays' ng port
    assert sock_addr == keys["interface"], (sock_addr, keys)
    assert keys["listen-ng"] == "0.0.0.0:%d" % sock_port == "0.0.0.0:%d" % NG_PORT, keys
    values = {"interface": VIP, "allow-from": C_ADDR,
              "redis": "%s:%d" % (C_ADDR, REDIS_PORT), "redis-role": role}
    for key, value in values.items():
        block, n = re.subn(r"^%s = .*$" % key, "%s = %s" % (key, value), block, flags=re.M)
        assert n == 1, "docs/failover.md: expected one `%s =` in the pair's block" % key
    path = os.path.join(logdir, "rtprelay-%s.conf" % role)
    with open(path, "w") as f:
        f.write(block)
    return path


class Pair:
    """Everything one run owns, stopped and deleted by close()."""

    def __init__(self, logdir):
        self.logdir = str(logdir)
        self.procs, self.phones, self.clients = [], [], []
        self.sniffers = []
        self.topo = self.redis = self.kamailio = self.active = self.standby = None

    def relay(self, role, ns, addr):
        cmd = [rtprelay_binary(), "--config-file=" + pair_config(role, self.logdir),
               "--foreground", "--log-level=info", "--num-threads=1", "--delete-delay=0"]
        proc = Proc("relay-" + role, cmd, self.logdir, ns=ns.name)
        self.procs.append(proc)
        wait_ready(self.topo, addr, timeout=STARTUP_TIMEOUT)
        ng = self.topo.ng(addr)
        self.clients.append(ng)
        return proc, ng

    def start(self):
        self.topo = Topo("rks%d" % os.getpid())
        self.topo.__enter__()
        self.c = Netns.attach(self.topo.c.name)
        self.redis = Redis(self.topo, REDIS_PORT, self.logdir)
        self.active, self.ng_a = self.relay("active", self.topo.a, A_ADDR)
        self.standby, self.ng_b = self.relay("standby", self.topo.b, B_ADDR)
        # RTP the relays send the phones (arrives in C on the bridge), and the
        # ng exchange between Kamailio and the service address
        self.media = RelaySniffer(self.c, "br0", 30000, 39999)
        self.ngcap = NgSniffer(self.c, NG_PORT, ifname="br0")
        for s in (self.media, self.ngcap):
            s.start()
            self.sniffers.append(s)
        _, sock_addr, sock_port = documented_pair()
        self.kamailio = kam.start_kamailio(self.logdir, self.c.name, C_ADDR, SIP_PORT,
                                           "udp:%s:%d" % (VIP, sock_port))
        self.procs.append(self.kamailio)
        wait_for(lambda: SIP_PORT in listening_udp_ports(self.kamailio.pid)
                 or not self.kamailio.alive(), STARTUP_TIMEOUT, "Kamailio SIP port")
        assert self.kamailio.alive(), self.kamailio.output()[-3000:]
        tones = []
        for name, freq in (("caller", CALLER_TONE), ("callee", CALLEE_TONE)):
            path = os.path.join(self.logdir, "%s-%d.wav" % (name, freq))
            write_tone(path, freq, 60)   # longer than the test: baresip hangs up at EOF
            tones.append(path)
        registrar = "%s:%d" % (C_ADDR, SIP_PORT)
        self.alice = Phone("alice", self.logdir, self.c.name, C_ADDR, 5070, 4444, "alice",
                           registrar, tones[0], ctrl_ns=self.c)
        self.bob = Phone("bob", self.logdir, self.c.name, C_ADDR, 5080, 4445, "bob",
                         registrar, tones[1], ctrl_ns=self.c)
        self.phones = [self.alice, self.bob]
        for p in self.phones:
            p.connect(timeout=STARTUP_TIMEOUT)
        for p in self.phones:
            p.wait_registered(timeout=STARTUP_TIMEOUT)
        # what kamailio.py's helpers call `world`
        self.core_addr = C_ADDR

    def fail_over(self):
        """SIGKILL the active by its PID, move the service address to B (GARP)."""
        self.active.popen.send_signal(signal.SIGKILL)
        self.active.popen.wait(timeout=5)
        self.topo.move_vip()

    def logs(self):
        out = []
        for p in self.procs + [ph.proc for ph in self.phones]:
            out.append("==== %s\n%s" % (p.name, p.output()[-3000:]))
        return "\n".join(out)

    def sanitizer_reports(self):
        out = []
        for p in (self.active, self.standby):
            if p is None:
                continue
            log = p.output()
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                if marker in log:
                    i = log.find(marker)
                    out.append("%s: %s" % (p.name, log[i:i + 2000]))
        return out

    def close(self):
        for p in self.phones:
            p.stop()
        for s in self.sniffers:
            s.stop()
        for ng in self.clients:
            ng.close()
        for p in reversed(self.procs):
            p.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.topo is not None:
            self.topo.__exit__(None, None, None)


@pytest.fixture
def pair(request, tmp_path):
    def alarm(signum, frame):
        raise TimeoutError("test exceeded its %ds budget" % BUDGET)

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(BUDGET)
    p = Pair(tmp_path)
    try:
        p.start()
        yield p
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        rep = getattr(request.node, "rep_call", None)
        if rep is None or rep.failed:
            print("logs in %s\n%s" % (tmp_path, p.logs()))
            print("Kamailio <-> service address ng exchange:")
            for line in p.ngcap.exchange(bdecode) if p.sniffers else []:
                print("  " + line)
        problems = p.sanitizer_reports()
        p.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


def dial(pair, ng):
    reply = pair.alice.command("dial", "sip:bob@%s" % C_ADDR)
    assert reply.get("ok"), "dial failed: %r" % reply
    pair.alice.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    pair.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    return checks.only_call(ng)


def hang_up(pair, ng, call_id):
    assert pair.alice.command("hangup").get("ok")
    pair.alice.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    pair.bob.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    checks.assert_call_gone(ng, call_id)


def own_rtp(phone, what):
    """(address, port) the phone's last SDP of kind `what` (sent) advertised: where
    the relay sends it RTP."""
    sdps = checks.received_sdps(phone, what, received=False)
    assert sdps, "%s sent no %s with SDP" % (phone.name, what)
    sdp = checks.parse_sdp(sdps[-1])
    return sdp["addr"], sdp["port"]


def arrivals(pair, dst):
    return [t for t, where, pt, _ in list(pair.media.packets) if where == dst and pt == 0]


def gap_around(times, t0, t1):
    """The longest silence between consecutive packets, among those from 1 s before
    t0 to 3 s after t1 (None if nothing came after t1)."""
    win = [t for t in times if t0 - 1.0 <= t <= t1 + 3.0]
    if not any(t > t1 for t in win) or len(win) < 2:
        return None
    return max(b - a for a, b in zip(win, win[1:]))


def kamailio_commands(pair, call_id, since=0.0, until=float("inf")):
    """[(command, reply result or None)] Kamailio sent the service address for the
    call between the two times (the test's own query/list/statistics left out)."""
    msgs = list(pair.ngcap.messages)
    decoded = pair.ngcap.decoded(bdecode)
    out = []
    for i, ((t, _, _, _), (way, port, cookie, m)) in enumerate(zip(msgs, decoded)):
        if way != "proxy>relay" or not m or m.get("call-id") != call_id \
                or m.get("command") in ("query", "list", "ping", "statistics") \
                or not since <= t <= until:
            continue
        reply = next(((r, raw) for (w, p, c, r), (_, _, _, raw)
                      in zip(decoded[i + 1:], msgs[i + 1:])
                      if w == "relay>proxy" and c == cookie), None)
        if reply is None:
            result = None
        elif reply[0] is not None:
            result = reply[0].get("result")
        else:
            # a reply larger than the MTU (delete's statistics) leaves in IP
            # fragments and the capture holds only the first: read its result there
            got = re.search(rb" d.*?6:result(\d+):", reply[1][:200])
            result = reply[1][got.end():got.end() + int(got.group(1))].decode() \
                if got else None
        out.append((m.get("command"), result))
    return out


def redis_stats(ng):
    r = ng.request({"command": "statistics"})
    assert r.get("result") == "ok", r
    return r["statistics"]["redis"]


def assert_tone_after(pair, since, what="after the failover"):
    """Each phone received the other's tone from the relay after `since`."""
    for listener, tone, other, sdp in ((pair.bob, CALLER_TONE, CALLEE_TONE, "200"),
                                       (pair.alice, CALLEE_TONE, CALLER_TONE, "INVITE")):
        dst = own_rtp(listener, sdp)
        fractions, seconds = pair.media.pcmu_tone(dst, since, (tone, other))
        assert seconds >= 1.5 and fractions[tone] > 0.5 > fractions[other], \
            "%s: relay -> %s %r: %.1fs of audio, %r" % (what, listener.name, dst, seconds,
                                                        fractions)


def test_call_continues_on_the_standby(pair):
    started = time.monotonic()
    call_id = dial(pair, pair.ng_a)
    # the standby restores the call from Redis and answers query for it
    wait_for(lambda: redis_stats(pair.ng_b)["restored"] >= 1, 15, "the standby to restore")
    assert pair.ng_b.query(call_id).get("result") == "ok"
    time.sleep(2.0)
    counts, _ = checks.rtp_packets(pair.ng_a, call_id)
    assert len(counts) == 2 and all(n >= 20 for n in counts.values()), counts
    to_alice, to_bob = own_rtp(pair.alice, "INVITE"), own_rtp(pair.bob, "200")
    sdp_bob = checks.parse_sdp(checks.received_sdps(pair.bob, "INVITE")[0])
    sdp_alice = checks.parse_sdp(checks.received_sdps(pair.alice, "200")[0])
    assert sdp_bob["addr"] == VIP and sdp_alice["addr"] == VIP, (sdp_bob, sdp_alice)

    t_kill = time.monotonic()
    pair.fail_over()
    t_moved = time.monotonic()
    time.sleep(3.0)

    # the phones go on receiving, each the other's tone, from the standby
    for name, dst in (("alice", to_alice), ("bob", to_bob)):
        times = arrivals(pair, dst)
        before = sum(1 for t in times if t < t_kill)
        after = sum(1 for t in times if t_moved + 0.5 < t <= t_moved + 3.0)
        gap = gap_around(times, t_kill, t_moved)
        print("relay -> %s: %d packets before the kill, %d in the 2.5 s after the move, "
              "longest gap %s (kill + address move took %.3f s)"
              % (name, before, after, "none" if gap is None else "%.3f s" % gap,
                 t_moved - t_kill))
        assert before >= 50, "%s got %d packets before the failover" % (name, before)
        assert after >= 80, "%s got %d packets after the failover" % (name, after)
        assert gap is not None and gap <= MAX_GAP, "%s: media gap %r" % (name, gap)
    assert_tone_after(pair, t_moved + 0.3)
    st = redis_stats(pair.ng_b)
    assert st["role"] == "active" and st["takeovers"] >= 1, st
    c1, _ = checks.rtp_packets(pair.ng_b, call_id)
    time.sleep(1.0)
    c2, _ = checks.rtp_packets(pair.ng_b, call_id)
    grown = {tag: c2.get(tag, 0) - c1.get(tag, 0) for tag in c2}
    assert len(grown) == 2 and all(n >= 25 for n in grown.values()), (c1, c2)

    # in-dialog: alice holds and resumes; Kamailio's offers and answers reach B
    assert pair.alice.command("hold").get("ok")
    wait_dialog(pair, call_id, "200 INVITE", 2)
    time.sleep(0.5)
    assert pair.alice.command("resume").get("ok")
    wait_dialog(pair, call_id, "200 INVITE", 3)
    resumed = time.monotonic()
    time.sleep(2.0)
    offers = [checks.parse_sdp(b) for b in checks.received_sdps(pair.bob, "INVITE")]
    assert len(offers) == 3, offers
    assert {(o["addr"], o["port"]) for o in offers} == {(VIP, sdp_bob["port"])}, \
        "the standby changed bob's relay address/port: %r" % offers
    assert offers[1]["direction"] in ("sendonly", "inactive") and \
        offers[2]["direction"] == "sendrecv", offers
    assert_tone_after(pair, resumed + 0.3, "after the resume on the standby")

    hang_up(pair, pair.ng_b, call_id)
    wait_dialog(pair, call_id, "200 BYE", 1, timeout=5)
    checks.assert_in_order(checks.dialog(pair.kamailio, call_id),
                           ["INVITE", "200 INVITE", "ACK", "INVITE", "200 INVITE",
                            "INVITE", "200 INVITE", "BYE", "200 BYE"])
    assert pair.ng_b.call_ids() == [], pair.ng_b.call_ids()
    wait_for(lambda: pair.redis.get("rtprelay:call:" + call_id) is None, 5,
             "the call's Redis record to go")
    before = kamailio_commands(pair, call_id, until=t_kill)
    after = kamailio_commands(pair, call_id, since=t_moved)
    assert before == [("offer", "ok"), ("answer", "ok")], before
    assert after == [("offer", "ok"), ("answer", "ok")] * 2 + [("delete", "ok")], after
    log_b = pair.standby.output()
    for cmd in ("offer", "answer", "delete"):
        assert "command=%s call-id=%s " % (cmd, call_id) in log_b, \
            "the standby's log shows no %s for the call" % cmd
    assert pair.active.popen.returncode == -signal.SIGKILL
    checks.assert_hears(pair.bob, CALLER_TONE, CALLEE_TONE)
    checks.assert_hears(pair.alice, CALLEE_TONE, CALLER_TONE)

    # a new call through Kamailio after the failover: on the standby
    second = dial(pair, pair.ng_b)
    assert second != call_id
    time.sleep(2.0)
    counts, _ = checks.rtp_packets(pair.ng_b, second)
    assert len(counts) == 2 and all(n >= 20 for n in counts.values()), counts
    assert checks.parse_sdp(checks.received_sdps(pair.bob, "INVITE")[-1])["addr"] == VIP
    hang_up(pair, pair.ng_b, second)
    assert kamailio_commands(pair, second) == [("offer", "ok"), ("answer", "ok"),
                                               ("delete", "ok")]
    assert pair.ng_b.call_ids() == []
    print("whole case %.1f s" % (time.monotonic() - started))
