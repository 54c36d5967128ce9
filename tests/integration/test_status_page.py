"""The status page (`/` of listen-http) in headless Chromium (Debian chromium,
chromium-driver, python3-selenium) against a daemon carrying real calls: the calls
listed are those of `list`, the codecs, addresses and path of every leg are those the
relay negotiated, the packet counts grow without a reload and settle at what `query`
reports. A screenshot is kept as an artefact (path printed)."""

import os
import shutil
import socket
import tempfile
import time

import pytest

from conftest import BUILD, free_port
from http_media import Calls

CHROMIUM = "/usr/lib/chromium/chromium"
DRIVER = "/usr/bin/chromedriver"
TOKEN = "page-token"

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

pytestmark = pytest.mark.skipif(
    not (HAVE_SELENIUM and os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
    reason="chromium, chromium-driver or python3-selenium missing")

ARTIFACTS = os.path.join(BUILD, "test-artifacts")


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="rtprelay-chromium-")
    opts = Options()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--user-data-dir=" + profile, "--window-size=1400,700"):
        opts.add_argument(a)
    svc = Service(DRIVER)
    drv = webdriver.Chrome(service=svc, options=opts)
    try:
        yield drv
    finally:
        drv.quit()  # ends chromium; the driver process is ours, stopped by PID
        if svc.process and svc.process.poll() is None:
            svc.process.kill()
            svc.process.wait(5)
        shutil.rmtree(profile, ignore_errors=True)


ROWS_JS = """
const out = [];
for (const r of document.querySelectorAll('tr.media')) {
  const cells = {};
  for (const c of r.querySelectorAll('td')) if (c.className) cells[c.className.split(' ')[0]] = c.textContent;
  out.push([r.dataset.callId, r.dataset.tag, cells]);
}
return out;
"""


def rows(drv):
    """{(call-id, tag): {column: text}} of the media rows the page shows now, read in
    one script run (the page replaces its table every second)."""
    return {(cid, tag): cells for cid, tag, cells in drv.execute_script(ROWS_JS)}


def call_ids(drv):
    return sorted(drv.execute_script(
        "return Array.from(document.querySelectorAll('td.callid')).map(e => e.textContent);"))


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    return pred()


def test_status_page_shows_live_calls(daemon_factory, browser):
    http_port = free_port(socket.SOCK_STREAM)
    d = daemon_factory("--listen-http=%d" % http_port, "--http-token=" + TOKEN)
    with d.ng() as ng:
        calls = Calls(ng, 3, prefix="page", pts=(8, 0))
        calls.pump(max_seconds=60)
        try:
            browser.get("http://127.0.0.1:%d/?token=%s" % (http_port, TOKEN))
            assert browser.title == "rtprelay status"
            browser.execute_script("window.rtprelayNoReload = 42;")
            listed = sorted(ng.request({"command": "list"})["calls"])
            shown = wait_for(lambda: (lambda ids: ids if len(ids) == 3 else None)(
                call_ids(browser)))
            assert shown == listed == sorted(calls.ids)
            first = wait_for(lambda: (lambda r: r if len(r) == 6 and all(
                int(c["packets"]) > 0 for c in r.values()) else None)(rows(browser)))
            assert first, rows(browser)
            for (cid, tag), cells in first.items():
                assert cells["codecs"] == "PCMA/8000 PCMU/8000", cells
                assert cells["path"] == "userspace"
                assert cells["local"].startswith("127.0.0.1:")
            # the counts grow on the page without a reload
            later = wait_for(lambda: (lambda r: r if all(
                int(r[k]["packets"]) > int(first[k]["packets"]) for k in first) else None)(
                rows(browser)))
            assert later, "packet counts did not grow"
            assert browser.execute_script("return window.rtprelayNoReload;") == 42
            os.makedirs(ARTIFACTS, exist_ok=True)
            shot = os.path.join(ARTIFACTS, "status_page.png")
            assert browser.save_screenshot(shot)
            print("\nstatus page screenshot: %s" % shot)
        finally:
            calls.stop()
        # media stopped: after the next refresh the page shows what query reports
        time.sleep(0.3)
        want = {}
        for i, cid in enumerate(calls.ids):
            q = ng.request({"command": "query", "call-id": cid})
            for tag, t in q["tags"].items():
                m = t["medias"][0]
                rtp = m["streams"][0]
                want[(cid, tag)] = (rtp["stats"]["packets"], rtp["local port"],
                                    rtp["endpoint"]["port"], "confirmed" in rtp["flags"])
        def settled():
            r = rows(browser)
            return r if all(int(r[k]["packets"]) == v[0] for k, v in want.items()) else None
        final = wait_for(settled, timeout=5)
        assert final, (rows(browser), want)
        for k, (packets, local_port, remote_port, confirmed) in want.items():
            assert final[k]["local"] == "127.0.0.1:%d" % local_port
            assert final[k]["remote"] == "127.0.0.1:%d%s" % (
                remote_port, "" if confirmed else " (unconfirmed)")
        assert browser.execute_script("return window.rtprelayNoReload;") == 42
        calls.close()


def test_status_page_srtp_call_matches_query(daemon_factory, browser):
    """An SDES-SRTP phone A and a plain phone B: the page shows the path of both legs
    as userspace+SRTP (A's with its suite), and per leg the codecs, loss, jitter and MOS
    that `query` reports. A's stream loses every tenth packet; an SR from A answered by
    B's report gives the relay the round trip a MOS needs."""
    from dp_media import Phone, drain
    from test_control_query import rtcp_rr_block, rtcp_sr
    from test_srtp_media import SrtpPhone, sdes_to_plain

    http_port = free_port(socket.SOCK_STREAM)
    d = daemon_factory("--listen-http=%d" % http_port)
    a, b = SrtpPhone(), Phone()
    with d.ng() as ng:
        (addr_a, rtp_a, rtcp_a), (addr_b, rtp_b, rtcp_b) = sdes_to_plain(ng, "page-srtp", a, b)
        for i in range(100):  # A: 90 packets, 10 lost
            if i % 10 == 5:
                a.seq[0] = (a.seq[0] + 1) & 0xffff
                continue
            a.send_srtp((addr_a, rtp_a))
        b.send_rtp(0, (addr_b, rtp_b), n=40)
        assert len(drain(b.rtp_socks[0])) == 90
        assert len(a.recv_plain()) == 40
        # A's SRTCP SR reaches B in the clear; B's RR on it, 50 ms held, goes back
        a.rtcp_socks[0].sendto(a.tx.protect_rtcp(rtcp_sr(a.ssrc[0], 0x11112222, 0x33334444)),
                               (addr_a, rtcp_a))
        b.rtcp_socks[0].settimeout(1.0)
        b.rtcp_socks[0].recvfrom(4096)
        time.sleep(0.1)
        b.rtcp_socks[0].sendto(rtcp_rr_block(b.ssrc[0], a.ssrc[0], 0x22223333, 65536 // 20),
                               (addr_b, rtcp_b))
        assert drain(a.rtcp_socks[0])

        q = ng.query("page-srtp")
        assert q["result"] == "ok", q
        want = {}
        for tag, t in q["tags"].items():
            m = t["medias"][0]
            st = m["streams"][0]["stats"]
            ssrc = q["SSRC"][str(m["streams"][0]["SSRC"])]
            want[tag] = {"loss": 100.0 * st["lost"] / st["expected"],
                         "jitter": st["jitter us"] / 1000.0,
                         "mos": ssrc["average MOS"]["MOS"] / 10.0,
                         "packets": st["packets"],
                         "suite": m["streams"][0].get("crypto suite", "")}
        # RFC 3550 probation: the first packet only starts the count
        assert 9.9 < want["A"]["loss"] < 10.2 and want["B"]["loss"] == 0.0, want
        assert want["A"]["suite"] == "AES_CM_128_HMAC_SHA1_80" and want["B"]["suite"] == ""

        browser.get("http://127.0.0.1:%d/" % http_port)
        got = wait_for(lambda: (lambda r: r if len(r) == 2 and all(
            int(c["packets"]) == want[k[1]]["packets"] for k, c in r.items()) else None)(
            rows(browser)))
        assert got, (rows(browser), want)
        for (cid, tag), cells in got.items():
            w = want[tag]
            assert cid == "page-srtp"
            assert cells["path"] == "userspace+SRTP" + (
                " (%s)" % w["suite"] if w["suite"] else ""), cells
            assert cells["codecs"] == "PCMU/8000 PCMA/8000", cells
            assert abs(float(cells["loss"]) - w["loss"]) <= 0.005, (cells, w)
            assert abs(float(cells["jitter"]) - w["jitter"]) <= 0.011, (cells, w)
            assert cells["mos"] == "%.1f" % w["mos"], (cells, w)
        # the SRTP leg's path cell is styled apart
        assert browser.execute_script(
            "return document.querySelector('tr.media td.path-srtp') !== null;")
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "status_page_srtp.png")
        assert browser.save_screenshot(shot)
        print("\nstatus page (SRTP) screenshot: %s" % shot)
    a.close()
    b.close()
