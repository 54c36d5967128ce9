"""test_offload_netns.py: the eBPF fast path forwarding real packets between
network namespaces, driven through tests/tools/offload-cli (the offload API
without the daemon).

Topology, made and deleted by the module fixture (namespaces rtpo<pid>-*):

    caller ns                    relay ns                          callee ns
    10.61.1.2/24   vc0 ====== vr0  10.61.1.1/24
    fd61:1::2/64                   fd61:1::1/64
                                   10.61.2.1/24  vr1 ====== ve1    10.61.2.2/24
                                   fd61:2::1/64                    fd61:2::2/64
    third ns                       10.61.3.1/24  vr2 ====== vt0    10.61.3.2/24
                                   fd61:3::1/64                    fd61:3::2/64

The relay ns has IP forwarding off: packets are addressed to the relay's own
media ports (as with the daemon) and only the tc program moves them on. The
tests hold user-space sockets on the relay's media ports too, to prove the
kernel path keeps them empty while a stream is offloaded and fills them again
after a delete. A second, lone namespace tests the same on loopback.

Needs root (namespaces, BPF); skipped otherwise. Sockets inside namespaces
are created by a short child process in the namespace and passed back over
SCM_RIGHTS, so this process can use them directly.
"""

import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import time

import pytest

BUILD = os.environ.get("RTPRELAY_BUILD", "/work/main/build")
CLI = os.path.join(BUILD, "tests", "tools", "offload-cli")
PY = "/usr/bin/python3"
PORT_MIN, PORT_MAX = 30000, 30099
TAG = "rtpo%d" % (os.getpid() % 100000)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not os.path.exists(CLI), reason="built without offload"),
]


def sh(*args, check=True, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=20)


_SOCK_CHILD = r"""
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
c = socket.socket(fileno=int(sys.argv[3]))
socket.send_fds(c, [b'x'], [s.fileno()])
"""


def ns_socket(ns, addr, port):
    """A UDP socket bound to addr:port inside namespace ns."""
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with parent, child:
        subprocess.run(["ip", "netns", "exec", ns, PY, "-c", _SOCK_CHILD, addr, str(port),
                        str(child.fileno())], pass_fds=[child.fileno()], check=True, timeout=20)
        _, fds, _, _ = socket.recv_fds(parent, 16, 1)
    s = socket.socket(fileno=fds[0])
    s.setblocking(False)
    return s


def rtp(seq, ssrc=0x1234, size=160):
    return struct.pack("!BBHII", 0x80, 8, seq & 0xffff, seq * 160, ssrc) + bytes(
        (seq + i) & 0xff for i in range(size))


def drain(sock, quiet=0.3, limit=2.0):
    """Everything sock receives until it stays quiet for `quiet` seconds."""
    got, end = [], time.monotonic() + limit
    while time.monotonic() < end:
        r, _, _ = select.select([sock], [], [], quiet)
        if not r:
            break
        while True:
            try:
                data, addr = sock.recvfrom(2048)
            except BlockingIOError:
                break
            got.append((data, addr[:2]))
    return got


def send_burst(sock, dst, n, first_seq=0, ssrc=0x1234):
    pkts = [rtp(first_seq + i, ssrc) for i in range(n)]
    for p in pkts:
        sock.sendto(p, dst)
        time.sleep(0.0005)
    return pkts


class Cli:
    """offload-cli running inside a namespace."""

    def __init__(self, ns):
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, CLI], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        r, _, _ = select.select([self.proc.stdout], [], [], 10)
        assert r, "offload-cli did not answer %r" % line
        out = self.proc.stdout.readline().split()
        assert out, "offload-cli died: " + self.proc.stderr.read()
        return out

    def ok(self, line):
        out = self.cmd(line)
        assert out[0] == "ok", "%s -> %s" % (line, out)
        return [int(x) for x in out[1:]]

    def exit(self):
        if self.proc.poll() is None:
            self.cmd("exit")
            self.proc.wait(timeout=10)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def ep(addr, port):
    return ("[%s]:%d" if ":" in addr else "%s:%d") % (addr, port)


# --- topology ---------------------------------------------------------------

NS = {name: "%s-%s" % (TAG, name) for name in ("caller", "relay", "callee", "third", "lo")}
LINKS = [  # (ns, ifname, peer ns, peer ifname, subnet index)
    ("caller", "vc0", "relay", "vr0", 1),
    ("callee", "ve1", "relay", "vr1", 2),
    ("third", "vt0", "relay", "vr2", 3),
]
ADDR = {
    4: {"caller": "10.61.1.2", "relay_a": "10.61.1.1", "callee": "10.61.2.2",
        "relay_b": "10.61.2.1", "third": "10.61.3.2"},
    6: {"caller": "fd61:1::2", "relay_a": "fd61:1::1", "callee": "fd61:2::2",
        "relay_b": "fd61:2::1", "third": "fd61:3::2"},
}


def delete_namespaces():
    for ns in NS.values():
        sh("ip", "netns", "del", ns, check=False)


@pytest.fixture(scope="module")
def topo():
    if not shutil.which("ip"):
        pytest.skip("iproute2 missing")
    delete_namespaces()
    try:
        for ns in NS.values():
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        for ns, ifn, pns, pifn, i in LINKS:
            sh("ip", "link", "add", ifn, "netns", NS[ns], "type", "veth", "peer", "name", pifn,
               "netns", NS[pns])
            for n, f, host in ((ns, ifn, 2), (pns, pifn, 1)):
                sh("ip", "addr", "add", "10.61.%d.%d/24" % (i, host), "dev", f, ns=NS[n])
                sh("ip", "-6", "addr", "add", "fd61:%d::%d/64" % (i, host), "dev", f, "nodad",
                   ns=NS[n])
                sh("ip", "link", "set", f, "up", ns=NS[n])
            sh("ip", "route", "add", "default", "via", "10.61.%d.1" % i, ns=NS[ns])
            sh("ip", "-6", "route", "add", "default", "via", "fd61:%d::1" % i, ns=NS[ns])
        yield NS
    finally:
        delete_namespaces()


@pytest.fixture
def cli(topo):
    c = Cli(topo["relay"])
    yield c
    c.kill()


def tc_filters(ns, dev):
    return sh("tc", "filter", "show", "dev", dev, "ingress", ns=ns).stdout


def has_clsact(ns, dev):
    return "clsact" in sh("tc", "qdisc", "show", "dev", dev, ns=ns).stdout


def nft_table(ns):
    r = sh("nft", "list", "table", "inet", "rtprelay", check=False, ns=ns)
    return r.stdout if r.returncode == 0 else None


# --- tests --------------------------------------------------------------------

@pytest.mark.parametrize("fam", [4, 6])
def test_veth_forwarding(topo, cli, fam):
    a = ADDR[fam]
    cli.ok("init vr0,vr1,vr2,lo %d %d" % (PORT_MIN, PORT_MAX))
    caller = ns_socket(topo["caller"], a["caller"], 5000)
    callee = ns_socket(topo["callee"], a["callee"], 6000)
    callee2 = ns_socket(topo["callee"], a["callee"], 6002)
    third = ns_socket(topo["third"], a["third"], 5000)
    # the user-space relay's sockets: must stay empty while offloaded
    relay_a = ns_socket(topo["relay"], a["relay_a"], 30000)
    relay_b = ns_socket(topo["relay"], a["relay_b"], 30002)
    A, B = ep(a["relay_a"], 30000), ep(a["relay_b"], 30002)
    cli.ok("add %s %s %s %s strict" % (A, ep(a["caller"], 5000), B, ep(a["callee"], 6000)))
    cli.ok("add %s %s %s %s strict" % (B, ep(a["callee"], 6000), A, ep(a["caller"], 5000)))

    # both directions forwarded by the kernel, from the relay's other socket
    sent = send_burst(caller, (a["relay_a"], 30000), 50)
    got = drain(callee)
    assert [d for d, _ in got] == sent
    assert {addr for _, addr in got} == {(a["relay_b"], 30002)}
    back = send_burst(callee, (a["relay_b"], 30002), 30, ssrc=0x99)
    got = drain(caller)
    assert [d for d, _ in got] == back
    assert {addr for _, addr in got} == {(a["relay_a"], 30000)}
    assert drain(relay_a, 0.1) == [] and drain(relay_b, 0.1) == []

    # map counters match what the receivers got
    pk, by, last, dropped, ssrc, seq = cli.ok("read " + A)
    assert (pk, by, dropped, ssrc, seq) == (50, sum(len(p) for p in sent), 0, 0x1234, 49)
    assert abs(last / 1e9 - time.clock_gettime(time.CLOCK_MONOTONIC)) < 5
    assert cli.ok("read " + B)[:2] == [30, sum(len(p) for p in back)]

    # strict source: a third host's packets are dropped in the kernel
    send_burst(third, (a["relay_a"], 30000), 10)
    assert drain(callee, 0.3) == [] and drain(relay_a, 0.1) == []
    assert cli.ok("read " + A)[3] == 10

    # re-adding with a new endpoint moves the stream (counters kept)
    cli.ok("add %s %s %s %s strict" % (A, ep(a["caller"], 5000), B, ep(a["callee"], 6002)))
    sent = send_burst(caller, (a["relay_a"], 30000), 10, first_seq=100)
    assert [d for d, _ in drain(callee2)] == sent
    assert drain(callee, 0.1) == []
    assert cli.ok("read " + A)[0] == 60

    # delete: the packets reach the user-space socket again, not the callee
    cli.ok("del " + A)
    sent = send_burst(caller, (a["relay_a"], 30000), 5, first_seq=200)
    assert [d for d, _ in drain(relay_a)] == sent
    assert drain(callee2, 0.1) == []
    assert cli.cmd("read " + A)[0] == "err"
    cli.ok("del " + B)
    cli.exit()
    assert "bpf" not in tc_filters(topo["relay"], "vr0")
    for s in (caller, callee, callee2, third, relay_a, relay_b):
        s.close()


def test_other_tc_filters_are_left_alone(topo, cli):
    """A filter someone else put on the same clsact keeps working after exit."""
    relay = topo["relay"]
    obj = os.path.join(BUILD, "kernel-offload", "relay.bpf.o")
    sh("tc", "qdisc", "add", "dev", "vr1", "clsact", ns=relay)
    try:
        sh("tc", "filter", "add", "dev", "vr1", "egress", "prio", "7", "handle", "9", "bpf",
           "da", "obj", obj, "sec", "tc", ns=relay)
        cli.ok("init vr0,vr1 %d %d" % (PORT_MIN, PORT_MAX))
        assert "handle 0x7274" in tc_filters(relay, "vr1")
        cli.exit()
        assert "bpf" not in tc_filters(relay, "vr1")
        assert not has_clsact(relay, "vr0")
        egress = sh("tc", "filter", "show", "dev", "vr1", "egress", ns=relay).stdout
        assert "handle 0x9" in egress
    finally:
        sh("tc", "qdisc", "del", "dev", "vr1", "clsact", ns=relay, check=False)


def test_nft_table_created_and_removed(topo, cli):
    relay = topo["relay"]
    sh("nft", "add", "table", "inet", "bystander", ns=relay)
    sh("nft", "add", "chain", "inet", "bystander", "c", ns=relay)
    try:
        assert nft_table(relay) is None
        cli.ok("init vr0,vr1 %d %d" % (PORT_MIN, PORT_MAX))
        table = nft_table(relay)
        assert table is not None
        assert "udp dport %d-%d notrack" % (PORT_MIN, PORT_MAX) in table
        assert "udp sport %d-%d notrack" % (PORT_MIN, PORT_MAX) in table
        assert "hook prerouting priority raw" in table and "hook output priority raw" in table
        assert "bpf" in tc_filters(relay, "vr0") and "bpf" in tc_filters(relay, "vr1")
        cli.exit()
        assert nft_table(relay) is None
        assert "bpf" not in tc_filters(relay, "vr0")
        # the other table was never touched
        assert "chain c" in sh("nft", "list", "table", "inet", "bystander", ns=relay).stdout
    finally:
        sh("nft", "delete", "table", "inet", "bystander", ns=relay, check=False)


def test_crashed_run_is_cleaned_at_next_start(topo):
    relay, a = topo["relay"], ADDR[4]
    A, B = ep(a["relay_a"], 30000), ep(a["relay_b"], 30002)
    crashed = Cli(relay)
    crashed.ok("init vr0,vr1 %d %d" % (PORT_MIN, PORT_MAX))
    crashed.ok("add %s any %s %s" % (A, B, ep(a["callee"], 6000)))
    crashed.kill()  # SIGKILL: no offload_exit
    assert "bpf" in tc_filters(relay, "vr0")
    assert nft_table(relay) is not None

    caller = ns_socket(topo["caller"], a["caller"], 5000)
    callee = ns_socket(topo["callee"], a["callee"], 6000)
    relay_a = ns_socket(relay, a["relay_a"], 30000)
    # the orphaned filter still forwards: that is what must be cleaned
    sent = send_burst(caller, (a["relay_a"], 30000), 3)
    assert [d for d, _ in drain(callee)] == sent

    nxt = Cli(relay)
    try:
        nxt.ok("init vr1 %d %d" % (PORT_MIN, PORT_MAX + 2))
        # vr0 is not ours this time: its stale filter is gone all the same,
        # and so is the clsact qdisc the crashed run created there
        assert "bpf" not in tc_filters(relay, "vr0")
        assert not has_clsact(relay, "vr0")
        assert tc_filters(relay, "vr1").count("handle 0x7274") == 1
        assert "%d-%d" % (PORT_MIN, PORT_MAX + 2) in nft_table(relay)
        sent = send_burst(caller, (a["relay_a"], 30000), 3)
        assert [d for d, _ in drain(relay_a)] == sent
        assert drain(callee, 0.1) == []
        nxt.exit()
        assert nft_table(relay) is None
        assert "bpf" not in tc_filters(relay, "vr1")
        assert not has_clsact(relay, "vr1")
    finally:
        nxt.kill()
        for s in (caller, callee, relay_a):
            s.close()


@pytest.mark.parametrize("fam", [4, 6])
def test_loopback_forwarding(topo, fam):
    """Relay, caller and callee on one host's loopback (a lone namespace)."""
    lo = topo["lo"]
    if fam == 4:
        relay_ip, caller_ip, callee_ip = "127.0.0.1", "127.0.0.2", "127.0.0.3"
    else:
        relay_ip = caller_ip = callee_ip = "::1"
    c = Cli(lo)
    try:
        c.ok("init lo %d %d" % (PORT_MIN, PORT_MAX))
        caller = ns_socket(lo, caller_ip, 5000)
        callee = ns_socket(lo, callee_ip, 6000)
        relay_a = ns_socket(lo, relay_ip, 30000)
        A, B = ep(relay_ip, 30000), ep(relay_ip, 30002)
        c.ok("add %s %s %s %s strict" % (A, ep(caller_ip, 5000), B, ep(callee_ip, 6000)))
        sent = send_burst(caller, (relay_ip, 30000), 40)
        got = drain(callee)
        assert [d for d, _ in got] == sent
        assert {addr for _, addr in got} == {(relay_ip, 30002)}
        assert drain(relay_a, 0.1) == []
        assert c.ok("read " + A)[:2] == [40, sum(len(p) for p in sent)]
        c.ok("del " + A)
        sent = send_burst(caller, (relay_ip, 30000), 4)
        assert [d for d, _ in drain(relay_a)] == sent
        c.exit()
        assert "bpf" not in sh("tc", "filter", "show", "dev", "lo", "ingress", ns=lo).stdout
        for s in (caller, callee, relay_a):
            s.close()
    finally:
        c.kill()
