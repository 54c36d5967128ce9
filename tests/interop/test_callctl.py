"""Call control on a live call, driven by Kamailio's rtpengine module functions
(block_media/unblock_media, silence_media/unsilence_media, block_dtmf/unblock_dtmf,
play_dtmf) through docs/kamailio.md's route[RTP_CONTROL].

The effect is checked on the wire and at the phones: an AF_PACKET capture of what
the relay sends each phone (no audio while blocked, silent PCMU while silenced,
telephone-event packets for DTMF), the relay's own receive counters (the phones kept
sending while blocked), and baresip's DTMF events (CALL_DTMF_START with the digit).
"""
import re
import time

import pytest

from interop_lib import checks
from interop_lib.kamailio import DEFAULT_FLAGS
from interop_lib.sipctl import Controller, dialog_ids
from interop_lib.sniff import ulaw_to_linear
from interop_lib.topology import CALLEE_TONE, CALLER_TONE, SIP_PORT

from test_calls import assert_full_dialog, dial, hang_up, own_rtp

WINDOW = 1.5     # seconds of media in each state
# a command's effect reaches the packet path within this (rtpengine, transcoding
# because of inject-DTMF, can deliver one queued packet late)
SETTLE = 0.3
PCMU = 0
EVENT_TIMEOUT = 5.0
DIRECTIONAL_BLOCK = "directional Directional"


@pytest.fixture
def controlled_call(make_world):
    """A PCMU call alice -> bob through Kamailio and the relay, with the relay
    capture running and a controller for route[RTP_CONTROL]. `inject-DTMF` is on the
    offer and the answer as Kamailio's play_dtmf documentation asks (rtpengine needs
    it to inject; rtprelay injects without it)."""
    flags = DEFAULT_FLAGS + " inject-DTMF"
    world = make_world(sniff=True, offer_flags=flags, answer_flags=flags)
    call_id = dial(world)
    sip_call_id, alice_tag, bob_tag = dialog_ids(world.alice)
    assert sip_call_id == call_id, (sip_call_id, call_id)
    ctl = Controller(world.core, world.core_addr, SIP_PORT)
    try:
        yield world, ctl, call_id, alice_tag, bob_tag
    finally:
        ctl.close()


def sent_to(world, dst, since, until, pt):
    """Payloads of the packets with payload type `pt` that the relay sent to `dst`
    between monotonic times `since` and `until`."""
    return [payload for t, where, p, payload in list(world.sniffer.packets)
            if since <= t <= until and where == dst and p == pt]


def pcmu_rms(payloads):
    samples = [ulaw_to_linear(b) for p in payloads for b in p]
    return (sum(s * s for s in samples) / len(samples)) ** 0.5 if samples else 0.0


def assert_tone(world, dst, since, until, freq, other, who):
    fractions, seconds = world.sniffer.pcmu_tone(dst, since, (freq, other))
    # pcmu_tone reads from `since` to the end of the capture: only call it on the
    # last window, or on one that ends now
    assert seconds >= 0.8 * (until - since) and fractions[freq] > 0.5 > fractions[other], \
        "relay -> %s: %.1fs of audio, tone fractions %r" % (who, seconds, fractions)


def event_pt(phone, what):
    """The telephone-event payload type in the SDP `phone` itself sent."""
    sdps = checks.received_sdps(phone, what, received=False)
    m = re.search(r"^a=rtpmap:(\d+) telephone-event/", sdps[0], re.M) if sdps else None
    assert m, "%s offered no telephone-event: %r" % (phone.name, sdps[:1])
    return int(m.group(1))


def control(ctl, function, call_id, from_tag, to_tag, flags="", expect=200):
    code = ctl.send(function, call_id, from_tag, to_tag, flags)
    assert code == expect, "%s(%r) through Kamailio answered %d, not %d" % (
        function, flags, code, expect)
    return time.monotonic()


def test_block_and_silence_media(controlled_call):
    """block_media() stops all audio both ways while the phones keep sending;
    unblock_media() brings it back. silence_media("directional") from alice's
    dialog side replaces only what alice sends by silence: bob receives silent PCMU
    at the full packet rate while alice still hears bob's tone; unsilence_media()
    restores alice's tone at bob's end."""
    world, ctl, call_id, alice_tag, bob_tag = controlled_call
    to_alice, to_bob = own_rtp(world.alice, "INVITE"), own_rtp(world.bob, "200")
    time.sleep(1.0)

    blocked = control(ctl, "block_media", call_id, alice_tag, bob_tag)
    before, _ = checks.rtp_packets(world.ng, call_id)
    time.sleep(WINDOW)
    after, _ = checks.rtp_packets(world.ng, call_id)
    unblocked = control(ctl, "unblock_media", call_id, alice_tag, bob_tag)
    for dst, who in ((to_alice, "alice"), (to_bob, "bob")):
        leaked = sent_to(world, dst, blocked + SETTLE, unblocked, PCMU)
        assert not leaked, "relay sent %d audio packets to %s while media was blocked" % (
            len(leaked), who)
    grown = {tag: after.get(tag, 0) - n for tag, n in before.items()}
    assert len(grown) == 2 and all(n >= 40 for n in grown.values()), \
        "the phones should keep sending (relay receive counters) while blocked: %r -> %r" % (
            before, after)
    time.sleep(WINDOW)
    now = time.monotonic()
    for dst, who in ((to_alice, "alice"), (to_bob, "bob")):
        resumed = sent_to(world, dst, unblocked + SETTLE, now, PCMU)
        assert len(resumed) >= 40, "after unblock_media the relay sent %s only %d packets" % (
            who, len(resumed))

    # directional block on alice's dialog side: only what alice sends stops.
    # Kamailio 5.6 turns "directional" into the from-tag alone; rtprelay, like
    # rtpengine's protocol, wants the `directional` flag too, which Kamailio forwards
    # only when it does not recognise the word itself (docs/kamailio.md)
    blocked = control(ctl, "block_media", call_id, alice_tag, bob_tag, DIRECTIONAL_BLOCK)
    time.sleep(WINDOW)
    unblocked = control(ctl, "unblock_media", call_id, alice_tag, bob_tag, DIRECTIONAL_BLOCK)
    leaked = sent_to(world, to_bob, blocked + SETTLE, unblocked, PCMU)
    assert not leaked, "relay sent bob %d of alice's packets while her media was " \
        "blocked" % len(leaked)
    kept = sent_to(world, to_alice, blocked + SETTLE, unblocked, PCMU)
    assert len(kept) >= 40, "block_media(\"directional\") from alice's side must leave " \
        "bob -> alice alone: alice got %d packets" % len(kept)
    time.sleep(0.5)

    silenced = control(ctl, "silence_media", call_id, alice_tag, bob_tag, "directional")
    time.sleep(WINDOW)
    unsilenced = control(ctl, "unsilence_media", call_id, alice_tag, bob_tag, "directional")
    quiet = sent_to(world, to_bob, silenced + SETTLE, unsilenced, PCMU)
    assert len(quiet) >= 40, "while silenced the relay should still send bob audio " \
        "packets (silence, not a block): %d" % len(quiet)
    assert pcmu_rms(quiet) < 50, "bob should receive silence while alice's media is " \
        "silenced, RMS %.0f" % pcmu_rms(quiet)
    loud = sent_to(world, to_alice, silenced + SETTLE, unsilenced, PCMU)
    assert len(loud) >= 40 and pcmu_rms(loud) > 1000, \
        "directional silence must leave bob -> alice alone: %d packets, RMS %.0f" % (
            len(loud), pcmu_rms(loud))
    time.sleep(WINDOW)
    assert_tone(world, to_bob, unsilenced + SETTLE, time.monotonic(), CALLER_TONE,
                CALLEE_TONE, "bob after unsilence_media")
    assert_tone(world, to_alice, silenced + SETTLE, time.monotonic(), CALLEE_TONE,
                CALLER_TONE, "alice throughout")

    # a command the relay refuses comes back from Kamailio as a failure
    control(ctl, "block_media", "no-such-call@test", alice_tag, bob_tag, expect=500)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)


def wait_digit(phone, digit, timeout=EVENT_TIMEOUT):
    """Wait for baresip's CALL_DTMF_START for `digit`; other digits fail the test."""
    ev = phone.wait_event("CALL_DTMF_START", timeout=timeout)
    assert ev.get("param") == digit, "%s received DTMF %r, expected %r (%r)" % (
        phone.name, ev.get("param"), digit, ev)


def assert_no_digit(phone, seconds):
    try:
        ev = phone.wait_event("CALL_DTMF_START", timeout=seconds)
    except TimeoutError:
        return
    raise AssertionError("%s received DTMF %r while DTMF was blocked" % (phone.name,
                                                                         ev.get("param")))


def test_dtmf_play_and_block(controlled_call):
    """play_dtmf() from either dialog side makes the relay inject RFC 4733 events that
    the other phone decodes as that digit; block_dtmf() drops the events alice's
    phone sends (bob gets no digit and no event packet, audio goes on) and
    unblock_dtmf() lets them through again."""
    world, ctl, call_id, alice_tag, bob_tag = controlled_call
    to_alice, to_bob = own_rtp(world.alice, "INVITE"), own_rtp(world.bob, "200")
    ev_bob, ev_alice = event_pt(world.bob, "200"), event_pt(world.alice, "INVITE")
    time.sleep(0.5)

    played = control(ctl, "play_dtmf", call_id, alice_tag, bob_tag, "code=5 duration=300")
    wait_digit(world.bob, "5")
    assert sent_to(world, to_bob, played, time.monotonic(), ev_bob), \
        "bob got DTMF 5 but the capture saw no telephone-event packet to him"
    played = control(ctl, "play_dtmf", call_id, bob_tag, alice_tag, "code=# duration=200")
    wait_digit(world.alice, "#")
    assert sent_to(world, to_alice, played, time.monotonic(), ev_alice), \
        "alice got DTMF # but the capture saw no telephone-event packet to her"

    # the phone's own DTMF passes through the relay ...
    assert world.alice.command("sndcode", "7").get("ok")
    wait_digit(world.bob, "7")

    # ... until block_dtmf()
    blocked = control(ctl, "block_dtmf", call_id, alice_tag, bob_tag)
    assert world.alice.command("sndcode", "8").get("ok")
    assert_no_digit(world.bob, 2.0)
    unblocked = control(ctl, "unblock_dtmf", call_id, alice_tag, bob_tag)
    # (the end packets of the earlier 7 may still trail in: look for the 8 itself)
    eights = [p for p in sent_to(world, to_bob, blocked, unblocked, ev_bob) if p[:1] == b"\x08"]
    assert not eights, "the relay sent bob %d telephone-event packets for the 8 while " \
        "DTMF was blocked" % len(eights)
    audio = sent_to(world, to_bob, blocked + SETTLE, unblocked, PCMU)
    assert len(audio) >= 50, "audio must go on while DTMF is blocked: %d packets" % len(audio)
    assert world.alice.command("sndcode", "9").get("ok")
    wait_digit(world.bob, "9")

    # refusals come back as failures: a digit that does not exist
    control(ctl, "play_dtmf", call_id, alice_tag, bob_tag, "code=X", expect=500)
    hang_up(world, call_id)
    assert_full_dialog(world, call_id)
