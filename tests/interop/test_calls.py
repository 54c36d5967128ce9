"""Real SIP calls through the relay: Kamailio (rtpengine module) + two baresip phones.

alice (caller) sends a 600 Hz tone, bob (callee) a 1000 Hz tone; each records what it
receives. A case passes when the dialog completes, both phones were given the relay's
address and ports, each hears the other's tone, the relay counted packets both ways
during the call, and the call is gone from the relay's `list` after BYE.
"""
import time

from interop_lib import checks
from interop_lib.topology import (CALLEE_TONE, CALLER_TONE, NAT_PORTS, NAT_PUBLIC,
                                  PORT_MAX, PORT_MIN)

MEDIA_SECONDS = 3


def dial(world):
    reply = world.alice.command("dial", "sip:bob@%s" % world.core_addr)
    assert reply.get("ok"), "dial failed: %r" % reply
    world.alice.wait_event("CALL_ESTABLISHED", timeout=10)
    world.bob.wait_event("CALL_ESTABLISHED", timeout=10)
    return checks.only_call(world.ng)


def assert_media_both_ways(world, call_id, minimum=20):
    counts, streams = checks.rtp_packets(world.ng, call_id)
    assert len(counts) == 2 and all(n >= minimum for n in counts.values()), \
        "relay should count RTP from both parties, got %r\n%r" % (counts, streams)
    return counts, streams


def hang_up(world, call_id):
    reply = world.alice.command("hangup")
    assert reply.get("ok"), "hangup failed: %r" % reply
    world.alice.wait_event("CALL_CLOSED", timeout=10)
    world.bob.wait_event("CALL_CLOSED", timeout=10)
    checks.assert_call_gone(world.ng, call_id)


def assert_relayed_sdp(world, streams):
    """Both phones were handed the relay's address, and the ports are the relay's
    own sockets for this call."""
    rng = (PORT_MIN, PORT_MAX)
    to_bob = checks.relay_sdp(world.bob, "INVITE", world.core_addr, rng)
    to_alice = checks.relay_sdp(world.alice, "200", world.core_addr, rng)
    local = {s["local_port"] for s in streams}
    assert {to_bob["port"], to_alice["port"]} <= local, \
        "SDP ports %d/%d are not among the relay's ports for the call %r" % (
            to_bob["port"], to_alice["port"], sorted(local))
    assert to_bob["port"] != to_alice["port"]


def assert_full_dialog(world, call_id):
    checks.assert_in_order(checks.dialog(world.kamailio, call_id),
                           ["INVITE", "200 INVITE", "ACK", "BYE", "200 BYE"])


def test_plain_pcmu_call(make_world):
    world = make_world()
    call_id = dial(world)
    time.sleep(MEDIA_SECONDS)
    _, streams = assert_media_both_ways(world, call_id)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)
    assert_relayed_sdp(world, streams)
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)


def test_callee_behind_nat_needs_latching(make_world):
    """bob sits behind a masquerading NAT that remaps source ports; his SDP
    advertises 192.168.99.2, which the relay cannot reach, so his audio only
    arrives, and alice's only reaches him, if the relay latches onto the NAT's
    public address and port."""
    world = make_world(nat=True)
    call_id = dial(world)
    time.sleep(MEDIA_SECONDS)
    _, streams = assert_media_both_ways(world, call_id)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)
    assert_relayed_sdp(world, streams)
    learned = [s["endpoint"] for s in streams if s["endpoint"][0] == NAT_PUBLIC]
    assert any(NAT_PORTS[0] <= port <= NAT_PORTS[1] for _, port in learned), \
        "relay never latched onto the NAT's public side %s:%r: %r" % (NAT_PUBLIC, NAT_PORTS,
                                                                     streams)
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)
