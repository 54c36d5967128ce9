"""Two relays in one Kamailio rtpengine set (weights 1000 and 1): admission refusal and
a dead relay move the call to the other relay, and the call carries media there.

Kamailio 5.6's rtpengine module sends `supports: ["load limit"]` with every command;
a relay at its limit answers `result: load limit`, and the module then offers the
call to the next relay of the set. A relay that does not answer at all is marked
disabled and the next one is tried the same way. The ng capture on loopback shows
which relay got which command; the phones' SDP and the relays' `query` show where
the media went.
"""
import os
import socket
import time

import pytest
from ngclient import bdecode, sdp_offer

from interop_lib import checks
from interop_lib.topology import CALLEE_TONE, CALLER_TONE, NG_PORT

from test_calls import EVENT_TIMEOUT, assert_full_dialog, hang_up

FIRST, SECOND = NG_PORT, NG_PORT + 1     # relay 1 (weight 1000), relay 2 (weight 1)
MEDIA_SECONDS = 2.5
ATTEMPTS = 3   # Kamailio hashes the Call-ID: relay 2 comes first for 1 call in 1001


def offers_for(world, call_id):
    """[(relay ng port, request, reply or None)] of every offer Kamailio sent for
    the call, in order."""
    msgs = world.ng_capture.decoded(bdecode)
    out = []
    for i, (way, port, cookie, msg) in enumerate(msgs):
        if way != "proxy>relay" or not msg or msg.get("command") != "offer" \
                or msg.get("call-id") != call_id:
            continue
        reply = next((m for w, p, c, m in msgs[i + 1:]
                      if w == "relay>proxy" and p == port and c == cookie), None)
        out.append((port, msg, reply))
    return out


def offered_calls(world):
    """Call-IDs Kamailio sent offers for, in order of their first offer."""
    out = []
    for way, _, _, m in world.ng_capture.decoded(bdecode):
        if way == "proxy>relay" and m and m.get("command") == "offer" \
                and "supports" in m and m.get("call-id") not in out:
            out.append(m.get("call-id"))
    return out


def incoming_calls(phone):
    return sum(1 for e in phone.seen if e.get("type") == "CALL_INCOMING")


def commands_to(world, port, call_id):
    """The commands Kamailio sent relay `port` for the call (the test's own
    query/list/ping on the same loopback are left out)."""
    return [m.get("command") for w, p, c, m in world.ng_capture.decoded(bdecode)
            if w == "proxy>relay" and p == port and m and m.get("call-id") == call_id
            and m.get("command") not in ("query", "list", "ping")]


def call_on_second_relay(world, first_offer_port):
    """Dial alice -> bob until Kamailio's first choice for the Call-ID is relay
    `first_offer_port` (at most ATTEMPTS calls); returns the Call-ID and its offers."""
    for _ in range(ATTEMPTS):
        reply = world.alice.command("dial", "sip:bob@%s" % world.core_addr)
        assert reply.get("ok"), "dial failed: %r" % reply
        world.alice.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT,
                               fail_on=("CALL_CLOSED",))
        world.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT,
                             fail_on=("CALL_CLOSED",))
        call_id = checks.only_call(world.relays[1].ng)
        offers = offers_for(world, call_id)
        if offers and offers[0][0] == first_offer_port:
            return call_id, offers
        # hashed straight to relay 2: try another Call-ID
        hang_up(world, call_id, world.relays[1].ng)
    raise AssertionError("Kamailio never tried relay 1 first in %d calls" % ATTEMPTS)


def assert_media_on_second_relay(world, call_id):
    time.sleep(MEDIA_SECONDS)
    counts, streams = checks.rtp_packets(world.relays[1].ng, call_id)
    assert len(counts) == 2 and all(n >= 20 for n in counts.values()), \
        "relay 2 should carry RTP both ways, counted %r" % counts
    lo, hi = world.relays[1].ports
    for phone, what in ((world.bob, "INVITE"), (world.alice, "200")):
        checks.relay_sdp(phone, what, world.core_addr, (lo, hi))


def test_full_relay_refuses_with_load_limit_and_kamailio_moves_on(make_world):
    """Relay 1 (--max-sessions=1) already holds a call: it answers Kamailio's offer
    with `load limit` (Kamailio asked for that reply with `supports`), Kamailio offers
    the call to relay 2, and the answer and the BYE's delete follow it there."""
    world = make_world(relays=[{"weight": 1000, "args": ["--max-sessions=1"]},
                               {"weight": 1, "args": ["--max-sessions=1"]}])
    filler = world.relays[0].ng.offer("filler-call", "f1", sdp_offer(port=40000))
    assert filler.get("result") == "ok", filler
    call_id, offers = call_on_second_relay(world, FIRST)

    port, request, reply = offers[0]
    assert "load limit" in (request.get("supports") or []), \
        "Kamailio 5.6 should announce supports: [load limit], sent %r" % request
    assert reply is not None and reply.get("result") == "load limit", \
        "relay 1 at max-sessions should answer `load limit`, answered %r" % reply
    assert [(p, (r or {}).get("result")) for p, _, r in offers[1:]] == [(SECOND, "ok")], \
        "after the refusal Kamailio should offer to relay 2 once: %r" % offers
    assert world.relays[0].ng.call_ids() == ["filler-call"]
    assert "has reached its load limit" in world.kamailio.output(), \
        "Kamailio should log that relay 1 reached its load limit"
    assert_media_on_second_relay(world, call_id)
    hang_up(world, call_id, world.relays[1].ng)
    assert_full_dialog(world, call_id)
    assert commands_to(world, SECOND, call_id) == ["offer", "answer", "delete"], \
        commands_to(world, SECOND, call_id)
    assert commands_to(world, FIRST, call_id) == ["offer"]
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)

    # both relays full: every relay of the set refuses, rtpengine_offer() fails and
    # the documented config turns the INVITE away with 503 instead of letting the
    # call through without a relay
    filler = world.relays[1].ng.offer("filler-call-2", "f2", sdp_offer(port=40010))
    assert filler.get("result") == "ok", filler
    rang = incoming_calls(world.bob)
    reply = world.alice.command("dial", "sip:bob@%s" % world.core_addr)
    assert reply.get("ok"), reply
    closed = world.alice.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    assert "503" in str(closed.get("param")), "alice's call should end with 503: %r" % closed
    assert incoming_calls(world.bob) == rang, "bob's phone rang for a call without media"
    refused = [(p, (r or {}).get("result")) for p, _, r in offers_for(world, offered_calls(
        world)[-1])]
    assert refused == [(FIRST, "load limit"), (SECOND, "load limit")], refused


def drop_ng_to(world, port):
    """Silently drop every datagram to ng `port` in the core namespace, as a relay
    host that is down (no ICMP port unreachable comes back, unlike a killed relay)."""
    path = os.path.join(world.logdir, "drop-ng.nft")
    with open(path, "w") as f:
        f.write("table inet dropng {\n chain in {\n  type filter hook input priority 0;"
                " policy accept;\n  udp dport %d drop\n }\n}\n" % port)
    world.core.exec("nft", "-f", path)


@pytest.mark.parametrize("death", ["killed", "unreachable"])
def test_dead_relay_calls_go_to_the_other(make_world, death):
    """Relay 1 is killed (SIGKILL: Kamailio's offer meets ICMP port unreachable), or
    unreachable (its ng datagrams dropped: the offer meets silence for
    rtpengine_tout_ms). Either way the module disables it and
    offers the call to relay 2, which carries the media, and the next call goes to
    relay 2 without trying relay 1 again."""
    world = make_world(relays=[{"weight": 1000}, {"weight": 1}])
    if death == "killed":
        world.relays[0].kill()
    else:
        drop_ng_to(world, FIRST)
    started = time.monotonic()
    call_id, offers = call_on_second_relay(world, FIRST)
    setup = time.monotonic() - started
    # one offer to relay 1, never answered, then one to relay 2, answered: the
    # caller's INVITE retransmissions meanwhile are absorbed by the config's
    # t_precheck_trans() instead of being offered again
    ports = [p for p, _, _ in offers]
    assert ports == [FIRST, SECOND], "offers went to %r" % ports
    assert offers[0][2] is None and offers[1][2]["result"] == "ok", offers
    # rtpengine_tout_ms 500 and rtpengine_retr 1 in docs/kamailio.md bound the time
    # lost on the dead relay: from the first offer to relay 1 to the offer to 2
    sent = {port: t for t, way, port, raw in reversed(list(world.ng_capture.messages))
            if way == "proxy>relay" and call_id.encode() in raw and b"5:offer" in raw}
    lost = sent[SECOND] - sent[FIRST]
    print("dead relay: offer moved to relay 2 after %.2fs, call set up in %.2fs"
          % (lost, setup))
    # killed: at once; unreachable: after rtpengine_tout_ms (500 ms) of silence,
    # plus scheduling slack
    low, high = (0, 0.3) if death == "killed" else (0.4, 2.5)
    assert low <= lost <= high, "the offer reached relay 2 %.2fs after relay 1" % lost
    assert setup < 8, "call set-up took %.1fs with relay 1 dead" % setup
    assert_media_on_second_relay(world, call_id)
    hang_up(world, call_id, world.relays[1].ng)
    assert_full_dialog(world, call_id)
    assert commands_to(world, SECOND, call_id) == ["offer", "answer", "delete"]

    # relay 1 is now disabled in Kamailio: the next call does not try it
    reply = world.alice.command("dial", "sip:bob@%s" % world.core_addr)
    assert reply.get("ok"), reply
    world.alice.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    world.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    second = checks.only_call(world.relays[1].ng)
    assert second != call_id
    assert [p for p, _, _ in offers_for(world, second)] == [SECOND], offers_for(world, second)
    hang_up(world, second, world.relays[1].ng)


def media_target(sdp):
    """(address, port) of the first m=audio of an SDP the relay wrote."""
    addr = next(ln.split()[2] for ln in sdp.splitlines() if ln.startswith("c=IN IP4 "))
    port = next(int(ln.split()[1]) for ln in sdp.splitlines() if ln.startswith("m=audio "))
    return addr, port


def exchange(sa, sb, a_sends_to, b_sends_to, n, seq0):
    """n RTP packets each way between the two sockets through the relay; the numbers
    each side received."""
    for i in range(n):
        pkt = bytes([0x80, 0]) + ((seq0 + i) & 0xffff).to_bytes(2, "big") + \
            (160 * i).to_bytes(4, "big") + bytes(4) + bytes(160)
        sa.sendto(pkt, a_sends_to)
        sb.sendto(pkt, b_sends_to)
        time.sleep(0.01)
    got = []
    for s in (sa, sb):
        s.settimeout(0.5)
        k = 0
        try:
            while True:
                s.recv(2048)
                k += 1
        except OSError:
            pass
        got.append(k)
    return got


def test_drained_relay_keeps_its_call_and_kamailio_moves_new_ones(make_world):
    """`drain` on relay 1 while it carries a call: that call keeps its media, Kamailio's
    next call meets `load limit` there and goes to relay 2, and relay 1 exits by itself
    (status 0) once its last call is deleted."""
    world = make_world(relays=[{"weight": 1000}, {"weight": 1}])
    r1 = world.relays[0]
    sa = world.core.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sb = world.core.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        world.core.call(lambda: (sa.bind(("127.0.0.1", 0)), sb.bind(("127.0.0.1", 0))))
        off = r1.ng.offer("kept-call", "ka", sdp_offer(port=sa.getsockname()[1]))
        assert off.get("result") == "ok", off
        ans = r1.ng.answer("kept-call", "ka", "kb", sdp_offer(port=sb.getsockname()[1]))
        assert ans.get("result") == "ok", ans
        # A sends where the answer (A's SDP from the relay) says, B where the offer does
        route = (media_target(ans["sdp"]), media_target(off["sdp"]))
        assert exchange(sa, sb, *route, 20, 0) == [20, 20]

        reply = r1.ng.request({"command": "drain"})
        assert reply.get("result") == "ok" and reply.get("calls") == 1, reply
        assert r1.proc.alive(), "a draining relay with a call left must keep running"
        assert exchange(sa, sb, *route, 20, 20) == [20, 20], \
            "the drained relay's call lost media"

        call_id, offers = call_on_second_relay(world, FIRST)
        port, request, refused = offers[0]
        assert refused is not None and refused.get("result") == "load limit", \
            "a draining relay should answer `load limit`, answered %r" % refused
        assert [(p, (r or {}).get("result")) for p, _, r in offers[1:]] == [(SECOND, "ok")]
        assert_media_on_second_relay(world, call_id)
        # relay 1's call still flows while relay 2 carries the new one
        assert exchange(sa, sb, *route, 20, 40) == [20, 20]
        hang_up(world, call_id, world.relays[1].ng)
        assert_full_dialog(world, call_id)
        assert commands_to(world, SECOND, call_id) == ["offer", "answer", "delete"]
        assert r1.ng.call_ids() == ["kept-call"]

        assert r1.ng.delete("kept-call", **{"delete-delay": 0}).get("result") == "ok"
        # the relay exits by design here: not a crash for the world's checks
        r1.killed_by_test = True
        assert r1.proc.popen.wait(timeout=15) == 0, r1.proc.output()[-2000:]
        assert "drained" in r1.proc.output()
    finally:
        sa.close()
        sb.close()
