"""Real SIP calls through the relay: Kamailio (rtpengine module) + two baresip phones.

alice (caller) sends a 600 Hz tone, bob (callee) a 1000 Hz tone; each records what it
receives. A case passes when the dialog completes, both phones were given the relay's
address and ports, each hears the other's tone, the relay counted packets both ways
during the call, and the call is gone from the relay's `list` after BYE.
"""
import time

import pytest

from interop_lib import checks
from interop_lib.topology import (CALLEE_TONE, CALLER_TONE, NAT_PORTS, NAT_PUBLIC,
                                  PORT_MAX, PORT_MIN)

MEDIA_SECONDS = 3
EVENT_TIMEOUT = 15   # SIP round trips; generous for a loaded machine


def dial(world):
    reply = world.alice.command("dial", "sip:bob@%s" % world.core_addr)
    assert reply.get("ok"), "dial failed: %r" % reply
    world.alice.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    world.bob.wait_event("CALL_ESTABLISHED", timeout=EVENT_TIMEOUT, fail_on=("CALL_CLOSED",))
    return checks.only_call(world.ng)


def assert_media_both_ways(world, call_id, minimum=20):
    counts, streams = checks.rtp_packets(world.ng, call_id)
    assert len(counts) == 2 and all(n >= minimum for n in counts.values()), \
        "relay should count RTP from both parties, got %r\n%r" % (counts, streams)
    return counts, streams


def hang_up(world, call_id, ng=None):
    """alice hangs up; the call must leave `list` of the relay that carried it
    (`ng`, by default the world's first relay)."""
    reply = world.alice.command("hangup")
    assert reply.get("ok"), "hangup failed: %r" % reply
    world.alice.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    world.bob.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    checks.assert_call_gone(ng or world.ng, call_id)


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


def wait_dialog(world, call_id, item, count, timeout=EVENT_TIMEOUT):
    """Wait until Kamailio has seen `item` (e.g. '200 INVITE') `count` times."""
    deadline = time.monotonic() + timeout
    while True:
        seen = checks.dialog(world.kamailio, call_id)
        if seen.count(item) >= count:
            return seen
        if time.monotonic() >= deadline:
            raise AssertionError("waited %.0fs for %d x %r, Kamailio saw %r"
                                 % (timeout, count, item, seen))
        time.sleep(0.05)


def assert_full_dialog(world, call_id):
    # the caller reports CALL_CLOSED when it sends BYE: the 200 may still be on its way
    seen = wait_dialog(world, call_id, "200 BYE", 1, timeout=5)
    checks.assert_in_order(seen, ["INVITE", "200 INVITE", "ACK", "BYE", "200 BYE"])


def test_plain_pcmu_call(make_world):
    world = make_world(sniff=True)
    call_id = dial(world)
    time.sleep(MEDIA_SECONDS)
    _, streams = assert_media_both_ways(world, call_id)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)
    assert_relayed_sdp(world, streams)
    checks.assert_sent_only_negotiated(world, world.alice, "INVITE")
    checks.assert_sent_only_negotiated(world, world.bob, "200")
    checks.assert_hears(world.bob, CALLER_TONE, CALLEE_TONE)
    checks.assert_hears(world.alice, CALLEE_TONE, CALLER_TONE)


@pytest.mark.parametrize("behind_nat", ["bob", "alice"])
def test_phone_behind_nat_needs_latching(make_world, behind_nat):
    """One phone (the callee, or the caller: then the offer side must latch) sits
    behind a masquerading NAT that remaps source ports; its SDP advertises
    192.168.99.2, which the relay cannot reach, so its audio only arrives, and the
    other side's only reaches it, if the relay latches onto the NAT's public
    address and port."""
    world = make_world(nat=behind_nat)
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


def own_rtp(phone, what):
    """(address, port) the phone advertised in the SDP it sent."""
    sdps = checks.received_sdps(phone, what, received=False)
    assert sdps, "%s sent no %s with SDP" % (phone.name, what)
    sdp = checks.parse_sdp(sdps[0])
    return sdp["addr"], sdp["port"]


@pytest.mark.parametrize("holder", ["alice", "bob"])
def test_hold_resume_keeps_media_flowing(make_world, holder):
    """One party (the caller, or the callee: then the relay gets offers whose
    from-tag is the callee's) puts the other on hold and resumes with re-INVITEs
    through the proxy; the relay keeps its address and port, and after the resume
    both tones flow again."""
    world = make_world(sniff=True)
    call_id = dial(world)
    holding = getattr(world, holder)
    other = world.bob if holding is world.alice else world.alice
    time.sleep(1.5)
    assert_media_both_ways(world, call_id)
    assert holding.command("hold").get("ok")
    wait_dialog(world, call_id, "200 INVITE", 2)
    time.sleep(1.0)
    assert holding.command("resume").get("ok")
    wait_dialog(world, call_id, "200 INVITE", 3)
    resumed = time.monotonic()
    before, _ = checks.rtp_packets(world.ng, call_id)
    time.sleep(MEDIA_SECONDS)
    after, streams = checks.rtp_packets(world.ng, call_id)
    grown = {tag: after.get(tag, 0) - n for tag, n in before.items()}
    assert len(grown) == 2 and all(n >= 50 for n in grown.values()), \
        "after resume the relay should keep counting RTP both ways: %r -> %r" % (before, after)

    # the hold and resume offers the other party got point at the same relay
    # address and port it was given when the call was set up
    first = checks.parse_sdp(checks.received_sdps(other, "INVITE" if other is world.bob
                                                   else "200")[0])
    offers = [checks.parse_sdp(b) for b in checks.received_sdps(other, "INVITE")][-2:]
    assert len(offers) == 2, offers
    assert {(o["addr"], o["port"]) for o in offers} == {(world.core_addr, first["port"])}, \
        "relay address/port changed across hold/resume: %r then %r" % (first, offers)
    assert offers[0]["direction"] in ("sendonly", "inactive"), offers[0]
    assert offers[1]["direction"] == "sendrecv", offers[1]

    # the audio the relay delivered after the resume is the other side's tone
    for listener, talker_tone, other_tone, what in (
            (world.bob, CALLER_TONE, CALLEE_TONE, "200"),
            (world.alice, CALLEE_TONE, CALLER_TONE, "INVITE")):
        dst = own_rtp(listener, what)
        fractions, seconds = world.sniffer.pcmu_tone(dst, resumed + 0.3,
                                                     (talker_tone, other_tone))
        assert seconds >= 1.5 and fractions[talker_tone] > 0.5 > fractions[other_tone], \
            "relay -> %s %r after resume: %.1fs, %r" % (listener.name, dst, seconds, fractions)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)
    assert_relayed_sdp(world, streams)


def test_cancelled_call_leaves_no_state(make_world):
    """bob rings (no auto-answer), alice gives up: CANCEL / 487 through the proxy,
    and the relay forgets the call that the offer created."""
    world = make_world(callee_answer="manual")
    reply = world.alice.command("dial", "sip:bob@%s" % world.core_addr)
    assert reply.get("ok"), reply
    world.bob.wait_event("CALL_INCOMING", timeout=EVENT_TIMEOUT)
    world.alice.wait_event("CALL_RINGING", timeout=EVENT_TIMEOUT)
    call_id = checks.only_call(world.ng)   # the offer created state in the relay
    assert world.alice.command("hangup").get("ok")
    world.alice.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    world.bob.wait_event("CALL_CLOSED", timeout=EVENT_TIMEOUT)
    seen = wait_dialog(world, call_id, "487 INVITE", 1)
    checks.assert_in_order(seen, ["INVITE", "CANCEL", "487 INVITE", "ACK"]
                           if "ACK" in seen else ["INVITE", "CANCEL", "487 INVITE"])
    assert "200 INVITE" not in seen, seen
    checks.assert_call_gone(world.ng, call_id)
    assert world.ng.call_ids() == [], "relay still lists calls: %r" % world.ng.call_ids()
    assert not world.bob.saw("CALL_ESTABLISHED") and not world.alice.saw("CALL_ESTABLISHED")
