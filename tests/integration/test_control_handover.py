"""media-handover and no-port-latching with rtpengine's meaning.

media-handover: a party's confirmed source is replaced by a new one that sends a
consistent stream, also while the old one keeps sending and after the learning
window (the party moved without signalling); the other latching rules stay.
no-port-latching: an offerer whose SDP address or port changed gets new local
ports (rtprelay otherwise keeps them, as rtpengine does with port-latching)."""

import socket
import time

import pytest

from dp_media import Phone, drain, parse_rtp, port_of, rtp


pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def sources(sock, quiet=0.3):
    """{ssrc: count} of the RTP a socket received."""
    out = {}
    for d, _ in drain(sock, quiet=quiet):
        p = parse_rtp(d)
        if p:
            out[p[2]] = out.get(p[2], 0) + 1
    return out


def call(ng, cid, a, b, flags=()):
    r = ng.offer(cid, "A", a.sdp(), flags=list(flags))
    s = ng.answer(cid, "A", "B", b.sdp(), flags=list(flags))
    assert r["result"] == "ok" and s["result"] == "ok", (r, s)
    return ("127.0.0.1", port_of(s["sdp"])), ("127.0.0.1", port_of(r["sdp"]))


def moved_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(1.0)
    return s


def handover_run(ng, cid, flags):
    """A is behind NAT: its media comes from an address other than its SDP's
    (learned in the window). After the 3 s learning window the NAT mapping changes:
    a new source sends while the old one still sends, then alone. Returns (what B got from
    the new source, what the new source got of B's media, what the old got)."""
    a, b = Phone(), Phone()
    to_a_side, to_b_side = call(ng, cid, a, b, flags)
    old, new = moved_socket(), moved_socket()
    for i in range(5):
        old.sendto(rtp(10 + i, 0xa1d), to_a_side)
    b.send_rtp(0, to_b_side, n=5)
    assert sources(b.rtp_socks[0]).get(0xa1d, 0) >= 3   # strict-source: from the 3rd
    assert sources(old).get(b.ssrc[0]) == 5         # learned: B's media goes there
    time.sleep(3.3)                                 # the learning window is over
    for i in range(10):
        if i < 3:                                   # the old source still sends
            old.sendto(rtp(15 + i, 0xa1d), to_a_side)
        new.sendto(rtp(100 + i, 0x5eed), to_a_side)
        time.sleep(0.01)
    got_b = sources(b.rtp_socks[0])
    b.send_rtp(0, to_b_side, n=5)
    got_new, got_old = sources(new), sources(old)
    old.close()
    new.close()
    return got_b.get(0x5eed, 0), got_new.get(b.ssrc[0], 0), got_old.get(b.ssrc[0], 0)


def test_media_handover_moves_to_the_new_source(ng):
    from_new, new_gets, old_gets = handover_run(ng, "mh-1", ["media-handover"])
    assert from_new >= 8                   # the new source's stream is relayed
    assert new_gets == 5 and old_gets == 0  # and B's media follows it
    tags = ng.query("mh-1")["tags"]
    ep = tags["A"]["medias"][0]["streams"][0]["endpoint"]
    assert ep["port"] != tags["A"]["medias"][0]["streams"][0]["advertised endpoint"]["port"]


def test_without_media_handover_the_confirmed_source_stays(ng):
    from_new, new_gets, old_gets = handover_run(ng, "mh-2", [])
    assert from_new == 0 and new_gets == 0 and old_gets == 5


def test_media_handover_still_ignores_junk_and_wrong_payload_types(ng):
    a, b = Phone(pts=(0,)), Phone(pts=(0,))
    to_a_side, to_b_side = call(ng, "mh-3", a, b, ["media-handover"])
    a.send_rtp(0, to_a_side, n=5)
    sources(b.rtp_socks[0])
    spray = moved_socket()
    for i in range(20):
        spray.sendto(b"\x41" * 100, to_a_side)               # not RTP
        spray.sendto(rtp(500 + i, 77, pt=8), to_a_side)       # PT not offered
        spray.sendto(rtp(900 + i, 1000 + i), to_a_side)       # SSRC hopping
    time.sleep(0.2)
    b.send_rtp(0, to_b_side, n=5)
    assert sources(a.rtp_socks[0]).get(b.ssrc[0]) == 5
    assert sources(spray, quiet=0.2) == {}
    spray.close()


def test_media_handover_with_strict_source(ng):
    """strict-source drops other sources until one qualifies; with media-handover
    that one then takes over."""
    from_new, new_gets, old_gets = handover_run(ng, "mh-4",
                                                ["media-handover", "strict-source"])
    assert new_gets == 5 and old_gets == 0
    assert from_new >= 8


def offer_ports(ng, cid, a_port, flags):
    a, b = Phone(), Phone()
    ng.offer(cid, "A", a.sdp(), flags=flags)
    s = ng.answer(cid, "A", "B", b.sdp())
    first = port_of(s["sdp"])
    ng.offer(cid, "A", a.sdp(version=2, port=a_port(a)), flags=flags, **{"to-tag": "B"})
    s2 = ng.answer(cid, "A", "B", b.sdp(version=2))
    return first, port_of(s2["sdp"]), a, b


def test_no_port_latching_gives_new_ports_when_the_remote_moves(ng):
    first, second, a, b = offer_ports(ng, "npl-1", lambda a: a.port + 100,
                                      ["no-port-latching"])
    assert second != first
    tags = ng.query("npl-1")["tags"]
    assert tags["A"]["medias"][0]["streams"][0]["local port"] == second
    # the old pair is closed; media to the new one flows
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(20):
        try:
            s.bind(("127.0.0.1", first))
            break
        except OSError:
            time.sleep(0.05)
    else:
        pytest.fail("old port still bound")
    s.close()
    moved = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    moved.bind(("127.0.0.1", a.port + 100))
    moved.settimeout(1.0)
    for i in range(5):
        moved.sendto(rtp(10 + i, 4242), ("127.0.0.1", second))
    assert sources(b.rtp_socks[0]).get(4242) == 5
    moved.close()


def test_no_port_latching_keeps_ports_when_nothing_moved(ng):
    first, second, _, _ = offer_ports(ng, "npl-2", lambda a: a.port, ["no-port-latching"])
    assert second == first


def test_port_latching_is_the_default(ng):
    first, second, _, _ = offer_ports(ng, "npl-3", lambda a: a.port + 100, [])
    assert second == first


def test_no_port_latching_in_an_answer_keeps_the_answerers_ports(ng):
    a, b = Phone(), Phone()
    r = ng.offer("npl-4", "A", a.sdp())
    ng.answer("npl-4", "A", "B", b.sdp())
    s = ng.answer("npl-4", "A", "B", b.sdp(version=2, port=b.port + 100),
                  flags=["no-port-latching"])
    assert s["result"] == "ok"
    tags = ng.query("npl-4")["tags"]
    # B was told its ports in the offer; nothing would tell it new ones
    assert tags["B"]["medias"][0]["streams"][0]["local port"] == port_of(r["sdp"])
