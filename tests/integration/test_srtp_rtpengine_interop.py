"""SDES-SRTP interop with an SRTP implementation that is not libsrtp.

rtprelay's SRTP is libsrtp2 (srtp/sr_stream.c); rtpengine (Debian rtpengine-daemon,
run here in user space beside rtprelayd) does SRTP with its own code on OpenSSL.
Each test chains the two relays so that the only SRTP on the path is between them:

  rtpengine offers SDES (rtprelay answers):
    A (plain) ──RTP──▶ rtpengine ══SRTP/SRTCP══▶ rtprelay ──RTP──▶ B (plain)
              ◀─RTP───           ◀═SRTP/SRTCP══          ◀─RTP───
  rtprelay offers SDES (rtpengine answers): the same path, the roles swapped.

rtpengine is told `SDES-no-<suite>` for every suite but one (its 10.5 takes no
`SDES-only-`), rtprelay `SDES-only-<suite>`, so exactly one suite is on offer (and
`DTLS=off`, so SDES is what keys the leg); plain RTP and RTCP sent by A and B must arrive byte-identical
at the other end, rtprelay's query must show no SRTP error and rtpengine's no error
either. A suite rtpengine offers that rtprelay does not do (F8_128_HMAC_SHA1_80)
gets an error reply, or the other suite when one is offered beside it.

AES_192_CM_HMAC_SHA1_80/_32: libsrtp 2.5 (Debian 12) derives AES-192 session keys
differently from RFC 6188 section 7.4 (tests/unit/srtp/test_srtp_kdf.c has the
evidence); rtpengine derives them as the RFC does. rtprelay therefore neither offers
nor accepts these suites (docs/architecture.md, SRTP); the tests here check that a
call offered AES-192 by rtpengine is refused with a reason rather than brought up
with media that fails authentication, and that with another suite beside it the
call comes up on that one.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import free_port, media_range
from dp_media import Phone, drain, relay_targets, rtcp_rr
from ngclient import NgClient
from srtp_peer import crypto_lines

pytestmark = [
    pytest.mark.usefixtures("no_sanitizer_report"),
    pytest.mark.skipif(shutil.which("rtpengine") is None,
                       reason="rtpengine-daemon is not installed (scripts/deps.txt)"),
]

# Every suite both relays offer and rtprelay keys correctly.
SUITES = [
    "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
    "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32",
    "AEAD_AES_128_GCM", "AEAD_AES_256_GCM",
]
# NULL_HMAC_SHA1_80/_32 are not here: rtpengine 10.5.3.5 (Debian 12) dies of SIGSEGV
# at the first media packet of a call keyed with either, so there is no peer to
# prove them against; rtprelay offers them only when asked (SDES-only-).
# Every suite rtpengine 10.5 writes into an SDES offer, in its order.
ENGINE_SUITES = [
    "AEAD_AES_256_GCM", "AEAD_AES_128_GCM", "AES_256_CM_HMAC_SHA1_80",
    "AES_256_CM_HMAC_SHA1_32", "AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32",
    "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "F8_128_HMAC_SHA1_80",
    "F8_128_HMAC_SHA1_32", "NULL_HMAC_SHA1_80", "NULL_HMAC_SHA1_32",
]
# RFC 4568 session parameters.
PARAMS = ["UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP"]


class Rtpengine:
    """rtpengine in user space on loopback with its own ng port and media range,
    stopped by PID. No config file (the packaged one names fixed ports)."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="rtpengine-interop-")
        self.ng_port = free_port()
        self.port_min, self.port_max = media_range()
        self.log_path = os.path.join(self.tmp.name, "rtpengine.log")
        self._log = open(self.log_path, "wb")
        argv = ["rtpengine", "--config-file=none", "--table=-1",
                "--interface=127.0.0.1", "--listen-ng=127.0.0.1:%d" % self.ng_port,
                "--foreground", "--log-stderr", "--port-min=%d" % self.port_min,
                "--port-max=%d" % self.port_max, "--num-threads=1", "--log-level=6",
                "--delete-delay=0", "--pidfile=" + os.path.join(self.tmp.name, "pid")]
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with NgClient.udp(("127.0.0.1", self.ng_port), timeout=0.2) as ng:
                    if ng.ping().get("result") == "pong":
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("rtpengine did not start:\n" + self.log_text())

    def ng(self):
        return NgClient.udp(("127.0.0.1", self.ng_port), timeout=5.0)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()
        self.tmp.cleanup()


@pytest.fixture(scope="module")
def engine():
    e = Rtpengine()
    yield e
    e.stop()


@pytest.fixture
def eng(engine):
    with engine.ng() as c:
        c.engine = engine  # its log, for check_clean
        yield c


def engine_only(*suites):
    """rtpengine's flags for an SDES offer of exactly @suites (and no DTLS)."""
    return {"flags": ["SDES-no-" + s for s in ENGINE_SUITES if s not in suites],
            "DTLS": "off"}


def srtp_leg(sdp):
    """The one a=crypto line of an SDP (tag, suite, key, params) and its profile."""
    lines = crypto_lines(sdp)
    assert len(lines) == 1, sdp
    assert "RTP/SAVP " in sdp, sdp
    return lines[0]


def engine_offers(ng, eng, cid, a, b, ekw, rflags=()):
    """rtpengine offers SDES to rtprelay (@ekw: its offer's keys). Returns (target
    of A, target of B), the relays' addresses each phone sends to, and the crypto
    line rtprelay answered; (None, None, reply) when rtprelay refused the offer."""
    r1 = eng.offer(cid, "A", a.sdp(), **{"transport-protocol": "RTP/SAVP", **ekw})
    assert r1["result"] == "ok", r1
    r2 = ng.offer(cid, "A", r1["sdp"], **{"transport-protocol": "RTP/AVP",
                                           "flags": list(rflags)})
    if r2["result"] != "ok":
        return None, None, r2
    assert "a=crypto" not in r2["sdp"], r2["sdp"]
    r3 = ng.answer(cid, "A", "B", b.sdp())
    assert r3["result"] == "ok", r3
    line = srtp_leg(r3["sdp"])
    r4 = eng.answer(cid, "A", "B", r3["sdp"])
    assert r4["result"] == "ok", r4
    assert "a=crypto" not in r4["sdp"] and "RTP/AVP " in r4["sdp"], r4["sdp"]
    return relay_targets(r4["sdp"])[0], relay_targets(r2["sdp"])[0], line


def relay_offers(ng, eng, cid, a, b, rflags, eflags=()):
    """rtprelay offers SDES (@rflags) to rtpengine, which answers it."""
    r1 = ng.offer(cid, "A", a.sdp(), **{"transport-protocol": "RTP/SAVP", "DTLS": "off",
                                         "flags": list(rflags)})
    assert r1["result"] == "ok", r1
    r2 = eng.offer(cid, "A", r1["sdp"], **{"transport-protocol": "RTP/AVP",
                                           "flags": list(eflags)})
    assert r2["result"] == "ok", r2
    assert "a=crypto" not in r2["sdp"], r2["sdp"]
    r3 = eng.answer(cid, "A", "B", b.sdp())
    assert r3["result"] == "ok", r3
    line = srtp_leg(r3["sdp"])
    r4 = ng.answer(cid, "A", "B", r3["sdp"])
    assert r4["result"] == "ok", r4
    assert "a=crypto" not in r4["sdp"] and "RTP/AVP " in r4["sdp"], r4["sdp"]
    return relay_targets(r4["sdp"])[0], relay_targets(r2["sdp"])[0], line


def exchange(a, b, ta, tb, n=20):
    """n RTP packets and 2 RTCP reports each way; what arrived must be what was sent,
    byte for byte. Both relays send towards the SDP addresses from the first packet
    (no latching wait), so nothing may be missing."""
    sent_ab = a.send_rtp(0, ta[:2], n=n)
    sent_ba = b.send_rtp(0, tb[:2], n=n)
    got_b = [d for d, _ in drain(b.rtp_socks[0], quiet=0.2, limit=3.0)]
    got_a = [d for d, _ in drain(a.rtp_socks[0], quiet=0.2, limit=3.0)]
    assert got_b == sent_ab, "A->B RTP differs (%d of %d arrived)" % (len(got_b), n)
    assert got_a == sent_ba, "B->A RTP differs (%d of %d arrived)" % (len(got_a), n)
    ras = [rtcp_rr(a.ssrc[0]), rtcp_rr(a.ssrc[0] ^ 1)]
    rbs = [rtcp_rr(b.ssrc[0]), rtcp_rr(b.ssrc[0] ^ 1)]
    for ra, rb in zip(ras, rbs):
        a.rtcp_socks[0].sendto(ra, (ta[0], ta[2]))
        b.rtcp_socks[0].sendto(rb, (tb[0], tb[2]))
    got_b = [d for d, _ in drain(b.rtcp_socks[0], quiet=0.2, limit=2.0)]
    got_a = [d for d, _ in drain(a.rtcp_socks[0], quiet=0.2, limit=2.0)]
    assert got_b == ras, got_b
    assert got_a == rbs, got_a


def relay_errors(ng, cid):
    """rtprelay's SRTP counters over every stream of the call, and the packets it
    decrypted or encrypted (so a test knows SRTP was on the path)."""
    q = ng.query(cid)
    assert q["result"] == "ok", q
    bad = {"SRTP auth failed": 0, "SRTP replayed": 0, "SRTP errors": 0}
    suites = set()
    for tag in q["tags"].values():
        for m in tag["medias"]:
            for s in m["streams"]:
                for k in bad:
                    bad[k] += s["stats"].get(k, 0)
                if s.get("crypto suite"):
                    suites.add(s["crypto suite"])
    return bad, suites


def engine_errors(eng, cid):
    """rtpengine's per-stream error counts (stats.errors) and packets received."""
    q = eng.query(cid)
    assert q["result"] == "ok", q
    errors = packets = 0
    for tag in q["tags"].values():
        for m in tag.get("medias", []):
            for s in m.get("streams", []):
                errors += s.get("stats", {}).get("errors", 0)
                packets += s.get("stats", {}).get("packets", 0)
    return errors, packets


def check_clean(ng, eng, cid, suite):
    bad, suites = relay_errors(ng, cid)
    assert bad == {"SRTP auth failed": 0, "SRTP replayed": 0, "SRTP errors": 0}, bad
    assert suite in suites, suites
    errors, packets = engine_errors(eng, cid)
    assert errors == 0, errors
    assert packets >= 40, packets  # 20 RTP each way, seen once by each of its legs
    # nor a warning about this call's media ("Discarded invalid SRTP packet: ...")
    said = [l for l in eng.engine.log_text().splitlines()
            if "[%s " % cid in l and ("WARNING" in l or "ERR" in l)]
    assert said == [], said


def finish(ng, eng, cid, *phones):
    ng.delete(cid)
    eng.delete(cid)
    for p in phones:
        p.close()


@pytest.mark.parametrize("suite", SUITES)
def test_rtpengine_offers_rtprelay_answers(ng, eng, suite):
    a, b, cid = Phone(), Phone(), "eng-offers-" + suite
    try:
        ta, tb, line = engine_offers(ng, eng, cid, a, b, engine_only(suite))
        assert not isinstance(line, dict), line
        assert line[1] == suite, line
        exchange(a, b, ta, tb)
        check_clean(ng, eng, cid, suite)
    finally:
        finish(ng, eng, cid, a, b)


@pytest.mark.parametrize("suite", SUITES)
def test_rtprelay_offers_rtpengine_answers(ng, eng, suite):
    a, b, cid = Phone(), Phone(), "relay-offers-" + suite
    try:
        ta, tb, line = relay_offers(ng, eng, cid, a, b, ["SDES-only-" + suite])
        assert line[1] == suite, line
        exchange(a, b, ta, tb)
        check_clean(ng, eng, cid, suite)
    finally:
        finish(ng, eng, cid, a, b)


@pytest.mark.parametrize("param", PARAMS)
@pytest.mark.parametrize("direction", ["engine-offers", "relay-offers"])
def test_session_parameters(ng, eng, param, direction):
    """RFC 4568 6.3 session parameters set by the offerer: the answer carries the
    parameter back and media flows clean both ways."""
    suite = "AES_CM_128_HMAC_SHA1_80"
    a, b, cid = Phone(), Phone(), "param-%s-%s" % (direction, param)
    try:
        if direction == "engine-offers":
            ekw = engine_only(suite)
            ekw["flags"].append("SDES-" + param)
            ta, tb, line = engine_offers(ng, eng, cid, a, b, ekw)
        else:
            ta, tb, line = relay_offers(ng, eng, cid, a, b,
                                        ["SDES-only-" + suite, "SDES-" + param])
        assert not isinstance(line, dict), line
        assert line[1] == suite and param in line[3], line
        exchange(a, b, ta, tb)
        check_clean(ng, eng, cid, suite)
    finally:
        finish(ng, eng, cid, a, b)


@pytest.mark.parametrize("suite", ["F8_128_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_80",
                                   "AES_192_CM_HMAC_SHA1_32"])
def test_unusable_suite_alone_is_refused_with_a_reason(ng, eng, suite):
    """F8_128_HMAC_SHA1_80 (RFC 3711 f8 mode) is not a suite libsrtp 2 does, and
    libsrtp's AES-192 session keys are not RFC 6188's (see the module comment): an
    offer with nothing else is an error naming why, not a call without media (for
    AES-192, one whose every packet rtpengine would fail)."""
    a, b, cid = Phone(), Phone(), "alone-" + suite
    try:
        _, _, r = engine_offers(ng, eng, cid, a, b, engine_only(suite))
        assert r["result"] == "error", r
        assert "a=crypto" in r["error-reason"], r
        if suite.startswith("AES_192"):
            assert "RFC 6188" in r["error-reason"], r
    finally:
        finish(ng, eng, cid, a, b)


@pytest.mark.parametrize("suite", ["F8_128_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_80"])
def test_unusable_suite_first_is_answered_with_the_next(ng, eng, suite):
    """rtpengine lists F8 and AES-192 beside (AES-192: before) AES_CM_128; rtprelay
    answers the latter, and its media is clean."""
    a, b, cid = Phone(), Phone(), "first-" + suite
    try:
        ta, tb, line = engine_offers(ng, eng, cid, a, b,
                                     engine_only(suite, "AES_CM_128_HMAC_SHA1_80"))
        assert not isinstance(line, dict), line
        assert line[1] == "AES_CM_128_HMAC_SHA1_80", line
        exchange(a, b, ta, tb)
        check_clean(ng, eng, cid, "AES_CM_128_HMAC_SHA1_80")
    finally:
        finish(ng, eng, cid, a, b)


def test_rtprelay_does_not_offer_aes_192_by_default(ng, eng):
    """rtprelay's own SDES offer (no SDES- flags) lists no AES-192 suite, and the
    suite rtpengine picks from it carries media clean."""
    a, b, cid = Phone(), Phone(), "relay-default-offer"
    try:
        r1 = ng.offer(cid, "A", a.sdp(), **{"transport-protocol": "RTP/SAVP", "DTLS": "off"})
        assert r1["result"] == "ok", r1
        suites = [l[1] for l in crypto_lines(r1["sdp"])]
        assert suites and not [s for s in suites if s.startswith("AES_192")], suites
        ng.delete(cid)
        ta, tb, line = relay_offers(ng, eng, cid, a, b, [])
        exchange(a, b, ta, tb)
        check_clean(ng, eng, cid, line[1])
    finally:
        finish(ng, eng, cid, a, b)
