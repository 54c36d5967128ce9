"""loop-protect with rtpengine's meaning: the relay writes a session-level
"a=rtpengine:<instance id>" into the SDP it sends; an offer or answer whose SDP
carries this relay's own mark at session level is returned untouched and changes
nothing. Another relay's mark, or the mark in a media section only, is processed."""

import pytest

from dp_media import Phone, drain, parse_rtp, relay_targets
from ngclient import sdp_offer


pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def session_lines(sdp):
    lines = sdp.splitlines()
    first_m = next(i for i, l in enumerate(lines) if l.startswith("m="))
    return lines[:first_m], lines[first_m:]


def our_mark(ng):
    r = ng.offer("lp-id", "X", sdp_offer(), flags=["loop-protect"])
    sess, media = session_lines(r["sdp"])
    marks = [l for l in sess if l.startswith("a=rtpengine:")]
    assert len(marks) == 1 and not any(l.startswith("a=rtpengine:") for l in media)
    assert len(marks[0]) > len("a=rtpengine:") + 8          # an instance id
    return marks[0]


def with_session_attr(sdp, attr):
    sess, media = session_lines(sdp)
    return "\r\n".join(sess + [attr] + media) + "\r\n"


def with_media_attr(sdp, attr):
    return sdp.rstrip("\r\n") + "\r\n" + attr + "\r\n"


def endpoint(ng, cid, tag):
    s = ng.query(cid)["tags"][tag]["medias"][0]["streams"][0]
    return s["local port"], s["advertised endpoint"]["port"]


def test_mark_is_per_instance_and_only_with_the_flag(daemon_factory):
    d1, d2 = daemon_factory(), daemon_factory()
    with d1.ng() as n1, d2.ng() as n2:
        m1, m2 = our_mark(n1), our_mark(n2)
        assert m1 != m2
        assert our_mark(n1) == m1                          # stable for one daemon
        assert "a=rtpengine:" not in n1.offer("lp-0", "A", sdp_offer())["sdp"]
        # a chain of two relays: the second anchors what the first marked
        r1 = n1.offer("lp-chain", "A", sdp_offer(), flags=["loop-protect"])
        r2 = n2.offer("lp-chain", "A", r1["sdp"], flags=["loop-protect"])
        assert r2["result"] == "ok" and r2["sdp"] != r1["sdp"]
        assert relay_targets(r2["sdp"])[0][1] != relay_targets(r1["sdp"])[0][1]
        assert m1 in r2["sdp"] and m2 in r2["sdp"]


def test_reoffer_through_the_same_relay_changes_nothing(ng):
    a, b = Phone(), Phone()
    r = ng.offer("lp-1", "A", a.sdp(), flags=["loop-protect"])
    s = ng.answer("lp-1", "A", "B", b.sdp(), flags=["loop-protect"])
    assert r["result"] == "ok" and s["result"] == "ok"
    before = ng.query("lp-1")["tags"]
    # the offer spirals back through the proxy (same call-id and tags): untouched
    loop = ng.offer("lp-1", "A", r["sdp"], flags=["loop-protect"], **{"to-tag": "B"})
    assert loop == {"result": "ok", "sdp": r["sdp"]}
    after = ng.query("lp-1")["tags"]
    assert set(after) == set(before) == {"A", "B"}
    for t in ("A", "B"):
        assert endpoint(ng, "lp-1", t) == (
            before[t]["medias"][0]["streams"][0]["local port"],
            before[t]["medias"][0]["streams"][0]["advertised endpoint"]["port"])
    # media still goes between the phones, not into the relay itself
    ta, tb = relay_targets(s["sdp"])[0], relay_targets(r["sdp"])[0]
    a.send_rtp(0, (ta[0], ta[1]), n=5)
    b.send_rtp(0, (tb[0], tb[1]), n=5)
    got_b = [parse_rtp(d)[2] for d, _ in drain(b.rtp_socks[0]) if parse_rtp(d)]
    got_a = [parse_rtp(d)[2] for d, _ in drain(a.rtp_socks[0]) if parse_rtp(d)]
    assert got_b == [a.ssrc[0]] * 5 and got_a == [b.ssrc[0]] * 5
    # a looped offer for a call-id this relay does not know creates no call
    loop = ng.offer("lp-new", "A", r["sdp"], flags=["loop-protect"])
    assert loop == {"result": "ok", "sdp": r["sdp"]}
    assert "lp-new" not in ng.request({"command": "list"})["calls"]


def test_answer_carrying_the_mark(ng):
    a, b = Phone(), Phone()
    r = ng.offer("lp-2", "A", a.sdp(), flags=["loop-protect"])
    mark = [l for l in r["sdp"].splitlines() if l.startswith("a=rtpengine:")][0]
    marked_answer = with_session_attr(b.sdp(), mark)
    s = ng.answer("lp-2", "A", "B", marked_answer, flags=["loop-protect"])
    assert s == {"result": "ok", "sdp": marked_answer}
    # nothing was answered: the callee is still untagged, its address unknown
    tags = ng.query("lp-2")["tags"]
    assert "B" not in tags and "" in tags
    # an answer needs its call, marked or not (as rtpengine)
    s = ng.answer("lp-none", "A", "B", marked_answer, flags=["loop-protect"])
    assert s == {"result": "error", "error-reason": "Unknown call-id"}
    # without loop-protect the mark is not honoured: the answer is processed
    s = ng.answer("lp-2", "A", "B", marked_answer)
    assert s["result"] == "ok" and s["sdp"] != marked_answer
    assert "B" in ng.query("lp-2")["tags"]


def test_mark_in_a_media_section_or_from_another_relay_is_processed(ng):
    mark = our_mark(ng)
    a = Phone()
    # our own mark, but inside the media section only: not a loop (rtpengine
    # looks at the session's attributes)
    sdp = with_media_attr(a.sdp(), mark)
    r = ng.offer("lp-3", "A", sdp, flags=["loop-protect"])
    assert r["result"] == "ok" and r["sdp"] != sdp
    assert relay_targets(r["sdp"])[0][1] != a.port
    sess, _ = session_lines(r["sdp"])
    assert sess.count(mark) == 1                            # ours, at session level
    assert "lp-3" in ng.request({"command": "list"})["calls"]
    # another relay's mark at session level: processed, and passed on
    other = "a=rtpengine:0123456789abcdef"
    sdp = with_session_attr(a.sdp(), other)
    r = ng.offer("lp-4", "A", sdp, flags=["loop-protect"])
    assert r["result"] == "ok" and relay_targets(r["sdp"])[0][1] != a.port
    sess, _ = session_lines(r["sdp"])
    assert other in sess and mark in sess
    # a mark-like line with trailing junk is not our mark
    sdp = with_session_attr(a.sdp(), mark + "x")
    r = ng.offer("lp-5", "A", sdp, flags=["loop-protect"])
    assert r["sdp"] != sdp and "lp-5" in ng.request({"command": "list"})["calls"]
