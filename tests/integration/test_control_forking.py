"""Forking with rtpengine's meaning: one offer per via-branch, each branch its own
callee party and local ports; answers from several branches (early dialogs); the
last answer gets the caller's media; a final answer ("SIP code" >= 200) releases the
other branches; delete and query select a branch by via-branch, to-tag, label and
to-label."""

import socket
import time

import pytest

from dp_media import Phone, drain, parse_rtp, port_of

NOT_FOUND = "Call-ID not found or tags didn't match"


pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def received_from(phone, quiet=0.3):
    """SSRCs of the RTP `phone` received on its first media."""
    return {parse_rtp(d)[2] for d, _ in drain(phone.rtp_socks[0], quiet=quiet)
            if parse_rtp(d)}


def port_is_free(port, tries=20):
    """The relay closed its socket on 127.0.0.1:port (we can bind it)."""
    for _ in range(tries):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    return False


def forked_call(ng, cid, a, b1, b2, code1=183, code2=183):
    """A's INVITE forked to two branches; both answer (early media by default)."""
    r1 = ng.offer(cid, "A", a.sdp(), **{"via-branch": "br-1", "label": "caller"})
    r2 = ng.offer(cid, "A", a.sdp(), **{"via-branch": "br-2"})
    assert r1["result"] == "ok" and r2["result"] == "ok", (r1, r2)
    p1, p2 = port_of(r1["sdp"]), port_of(r2["sdp"])
    s1 = ng.answer(cid, "A", "T1", b1.sdp(), **{"via-branch": "br-1", "sip-code": code1,
                                                "label": "callee-1"})
    s2 = ng.answer(cid, "A", "T2", b2.sdp(), **{"via-branch": "br-2", "sip-code": code2,
                                                "label": "callee-2"})
    assert s1["result"] == "ok" and s2["result"] == "ok", (s1, s2)
    return p1, p2, port_of(s1["sdp"]), port_of(s2["sdp"])


def test_each_branch_has_its_own_party_and_ports(ng):
    a, b1, b2 = Phone(), Phone(), Phone()
    p1, p2, pa1, pa2 = forked_call(ng, "fk-1", a, b1, b2)
    assert p1 != p2                       # each callee was offered its own ports
    assert pa1 == pa2                     # the caller sends to one place
    tags = ng.query("fk-1")["tags"]
    assert set(tags) == {"A", "T1", "T2"}
    ports = {t: tags[t]["medias"][0]["streams"][0]["local port"] for t in ("T1", "T2")}
    assert ports == {"T1": p1, "T2": p2}
    assert tags["T1"]["in dialogue with"] == "A" and tags["T2"]["in dialogue with"] == "A"
    assert tags["A"]["in dialogue with"] == "T2"      # the last answer
    # early media from both branches reaches the caller
    b1.send_rtp(0, ("127.0.0.1", p1), n=5)
    b2.send_rtp(0, ("127.0.0.1", p2), n=5)
    assert received_from(a) == {b1.ssrc[0], b2.ssrc[0]}
    # the caller's media goes to the branch that answered last
    a.send_rtp(0, ("127.0.0.1", pa1), n=5)
    assert received_from(b2) == {a.ssrc[0]}
    assert received_from(b1, quiet=0.2) == set()
    # a retransmitted offer of branch 1 gets branch 1's ports again (and the
    # caller's media follows the branch that signalled last)
    again = ng.offer("fk-1", "A", a.sdp(), **{"via-branch": "br-1"})
    assert port_of(again["sdp"]) == p1
    assert ng.query("fk-1")["tags"]["A"]["in dialogue with"] == "T1"


def test_final_answer_wins_and_releases_the_other_branches(ng):
    a, b1, b2 = Phone(), Phone(), Phone()
    p1, p2, pa, _ = forked_call(ng, "fk-2", a, b1, b2)
    # branch 1 answers finally (200) after branch 2's early answer
    r = ng.answer("fk-2", "A", "T1", b1.sdp(), **{"via-branch": "br-1", "sip-code": 200})
    assert r["result"] == "ok", r
    tags = ng.query("fk-2")["tags"]
    assert set(tags) == {"A", "T1"} and tags["A"]["in dialogue with"] == "T1"
    assert port_is_free(p2) and port_is_free(p2 + 1)   # branch 2's sockets are gone
    b2.send_rtp(0, ("127.0.0.1", p2), n=5)
    b1.send_rtp(0, ("127.0.0.1", p1), n=5)
    assert received_from(a) == {b1.ssrc[0]}
    a.send_rtp(0, ("127.0.0.1", pa), n=5)
    assert received_from(b1) == {a.ssrc[0]}
    assert received_from(b2, quiet=0.2) == set()
    # branch 2 is unknown now: a late answer from it names no party
    r = ng.answer("fk-2", "A", "T2", b2.sdp(), **{"via-branch": "br-2"})
    assert r["result"] == "ok"            # answers the caller's callee (T1's party) ...
    assert "T2" in ng.query("fk-2")["tags"]    # ... as another tag of it, no new ports
    assert not port_is_free(p1)


def test_provisional_answers_release_nothing(ng):
    a, b1, b2 = Phone(), Phone(), Phone()
    forked_call(ng, "fk-3", a, b1, b2, code1=180, code2=183)
    assert set(ng.query("fk-3")["tags"]) == {"A", "T1", "T2"}
    # no SIP code at all: nothing is known to be final, nothing is released
    r = ng.answer("fk-3", "A", "T1", b1.sdp(), **{"via-branch": "br-1"})
    assert r["result"] == "ok"
    assert set(ng.query("fk-3")["tags"]) == {"A", "T1", "T2"}
    # an absurd code is refused with a warning and changes nothing
    r = ng.answer("fk-3", "A", "T1", b1.sdp(), **{"via-branch": "br-1", "sip-code": 99999})
    assert r["result"] == "ok" and "SIP code" in r.get("warning", ""), r
    assert set(ng.query("fk-3")["tags"]) == {"A", "T1", "T2"}


def test_delete_one_branch_by_via_branch_or_to_tag(ng):
    a, b1, b2 = Phone(), Phone(), Phone()
    p1, p2, pa, _ = forked_call(ng, "fk-4", a, b1, b2)
    # branch 2 (the caller's current callee) fails: only it goes
    r = ng.delete("fk-4", **{"from-tag": "A", "via-branch": "br-2", "delete-delay": 0})
    assert r["result"] == "ok" and "warning" not in r, r
    tags = ng.query("fk-4")["tags"]
    assert set(tags) == {"A", "T1"} and tags["A"]["in dialogue with"] == "T1"
    assert port_is_free(p2)
    # the caller's media now goes to the remaining branch
    a.send_rtp(0, ("127.0.0.1", pa), n=5)
    assert received_from(b1) == {a.ssrc[0]}
    # a third branch, deleted by its to-tag
    b3 = Phone()
    r3 = ng.offer("fk-4", "A", a.sdp(), **{"via-branch": "br-3"})
    p3 = port_of(r3["sdp"])
    assert p3 not in (p1, p2)
    ng.answer("fk-4", "A", "T3", b3.sdp(), **{"via-branch": "br-3"})
    r = ng.delete("fk-4", **{"from-tag": "A", "to-tag": "T3", "delete-delay": 0})
    assert r["result"] == "ok"
    assert set(ng.query("fk-4")["tags"]) == {"A", "T1"}
    assert port_is_free(p3)
    # the last branch going ends the call (nobody left for the caller)
    r = ng.delete("fk-4", **{"from-tag": "A", "to-tag": "T1", "delete-delay": 0})
    assert r["result"] == "ok"
    assert "fk-4" not in ng.request({"command": "list"})["calls"]
    assert port_is_free(p1)


def test_unanswered_branch_deleted_by_via_branch(ng):
    a = Phone()
    r1 = ng.offer("fk-5", "A", a.sdp(), **{"via-branch": "br-1"})
    r2 = ng.offer("fk-5", "A", a.sdp(), **{"via-branch": "br-2"})
    p1, p2 = port_of(r1["sdp"]), port_of(r2["sdp"])
    r = ng.delete("fk-5", **{"from-tag": "A", "via-branch": "br-1", "delete-delay": 0})
    assert r["result"] == "ok" and "warning" not in r
    assert port_is_free(p1) and not port_is_free(p2, tries=1)
    # a branch that does not exist: the usual warning, an error with fatal
    r = ng.delete("fk-5", **{"from-tag": "B", "via-branch": "br-9", "delete-delay": 0,
                             "flags": ["fatal"]})
    assert r == {"result": "error", "error-reason": NOT_FOUND}
    assert "fk-5" in ng.request({"command": "list"})["calls"]
    # rtpengine's last resort: a to-tag nobody has, and the from-tag's callee
    # never answered: the whole call goes
    r = ng.delete("fk-5", **{"from-tag": "A", "via-branch": "br-9", "to-tag": "nope",
                             "delete-delay": 0, "flags": ["fatal"]})
    assert r["result"] == "ok", r
    assert "fk-5" not in ng.request({"command": "list"})["calls"]
    assert port_is_free(p2)


def test_label_and_to_label_select_parties(ng):
    a, b1, b2 = Phone(), Phone(), Phone()
    p1, p2, _, _ = forked_call(ng, "fk-6", a, b1, b2)
    tags = ng.query("fk-6")["tags"]
    assert tags["A"]["label"] == "caller" and tags["T2"]["label"] == "callee-2"
    # query by label: that party and its peer only (as with a tag)
    q = ng.query("fk-6", label="callee-1")
    assert set(q["tags"]) == {"T1", "A"}, q
    q = ng.query("fk-6", **{"to-label": "callee-2"})
    assert set(q["tags"]) == {"T2", "A"}
    assert set(ng.query("fk-6", **{"to-tag": "T1"})["tags"]) == {"T1", "A"}
    assert ng.query("fk-6", label="nobody") == {"result": "error",
                                                "error-reason": "Unknown label"}
    # delete by labels: to-label names the branch that goes
    r = ng.delete("fk-6", **{"label": "caller", "to-label": "callee-2", "delete-delay": 0})
    assert r["result"] == "ok" and "warning" not in r, r
    assert set(ng.query("fk-6")["tags"]) == {"A", "T1"}
    assert port_is_free(p2)
    # a label that names nobody deletes nothing
    r = ng.delete("fk-6", **{"label": "caller", "to-label": "nobody", "delete-delay": 0})
    assert r["result"] == "ok" and r["warning"] == NOT_FOUND
    r = ng.delete("fk-6", **{"to-label": "nobody", "label": "caller", "flags": ["fatal"]})
    assert r == {"result": "error", "error-reason": NOT_FOUND}
    assert set(ng.query("fk-6")["tags"]) == {"A", "T1"}
    assert not port_is_free(p1, tries=1)


def test_answers_without_via_branch_share_the_offered_party(ng):
    """Several to-tags answering one offer that named no branch received the same
    ports: their tags name one party (rtpengine's to-tag alias)."""
    a, b1, b2 = Phone(), Phone(), Phone()
    r = ng.offer("fk-7", "A", a.sdp())
    p = port_of(r["sdp"])
    ng.answer("fk-7", "A", "T1", b1.sdp())
    ng.answer("fk-7", "A", "T2", b2.sdp())
    tags = ng.query("fk-7")["tags"]
    assert {"T1", "T2"} <= set(tags)
    assert tags["T1"]["medias"][0]["streams"][0]["local port"] == p
    assert tags["T2"]["medias"][0]["streams"][0]["local port"] == p


def test_bad_fork_input(ng):
    a = Phone()
    ng.offer("fk-8", "A", a.sdp(), **{"via-branch": "br-1"})
    # a party cannot answer itself
    r = ng.answer("fk-8", "A", "A", a.sdp())
    assert r["result"] == "error" and "same party" in r["error-reason"], r
    # a via-branch of another call's branch does not leak across calls
    ng.offer("fk-9", "X", a.sdp(), **{"via-branch": "br-1"})
    assert set(ng.query("fk-9")["tags"]) == {"X", ""}
    # more branches than a call holds: a clear error, the call stays usable
    errors = []
    for i in range(2, 12):
        r = ng.offer("fk-8", "A", a.sdp(), **{"via-branch": "br-%d" % i})
        if r["result"] != "ok":
            errors.append(r["error-reason"])
    assert errors and all("Too many parties" in e for e in errors), errors
    assert ng.offer("fk-8", "A", a.sdp(), **{"via-branch": "br-1"})["result"] == "ok"
