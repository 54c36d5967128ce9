"""rtprelayd as a process: configuration errors (key, line, non-zero exit), config
file + command-line override, clean shutdown on SIGTERM/SIGINT, call timeouts, and
media really relayed through the ports that offer/answer handed out."""

import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import DAEMON_BIN, Daemon
from ngclient import sdp_offer, sdp_media_ports


def run_bad(args, timeout=10):
    p = subprocess.run([DAEMON_BIN, "--foreground"] + args, capture_output=True,
                       timeout=timeout, text=True)
    return p.returncode, p.stderr


def test_bad_config_file_names_key_and_line(tmp_path):
    cfg = tmp_path / "bad.conf"
    cfg.write_text("[rtprelay]\ninterface = 127.0.0.1\n\nport-min = many\n")
    rc, err = run_bad(["--config=%s" % cfg])
    assert rc != 0
    assert "line 4" in err and "port-min" in err
    cfg.write_text("[rtprelay]\nfrobnicate = 1\n")
    rc, err = run_bad(["--config", str(cfg)])
    assert rc != 0 and "line 2" in err and "frobnicate" in err
    rc, err = run_bad(["--config=%s" % (tmp_path / "missing.conf")])
    assert rc != 0 and "missing.conf" in err


def test_bad_command_line(tmp_path):
    for args, word in ((["--timeout=soon"], "timeout"), (["--no-such-option=1"], "no-such"),
                       (["--interface=not-an-ip"], "interface"),
                       (["--listen-ng=192.0.2.1:2223"], "allow-from")):
        rc, err = run_bad(args)
        assert rc != 0, args
        assert word in err, err


def test_listen_address_in_use_fails(daemon):
    rc, err = run_bad(["--listen-ng=127.0.0.1:%d" % daemon.ng_port, "--interface=127.0.0.1"])
    assert rc != 0 and "listen" in err


def test_config_file_with_cli_override(daemon_factory):
    d = daemon_factory("--timeout=1", config="[rtprelay]\ntimeout = 600\n"
                       "delete-delay = 0\nlog-level = info\n")
    with d.ng() as ng:
        ng.offer("t1", "ft", sdp_offer())
        assert ng.delete("t1")["result"] == "ok"   # delete-delay 0 from the file
        assert ng.request({"command": "list"})["calls"] == []
        # --timeout=1 beats the file: a call without media goes within ~2 s
        ng.offer("t2", "ft", sdp_offer())
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and ng.request({"command": "list"})["calls"]:
            time.sleep(0.2)
        assert ng.request({"command": "list"})["calls"] == []
    assert "timeout" in d.log_text()


def test_final_timeout(daemon_factory):
    d = daemon_factory("--final-timeout=1", "--timeout=600")
    with d.ng() as ng:
        ng.offer("f1", "ft", sdp_offer())
        time.sleep(2.5)
        assert ng.request({"command": "list"})["calls"] == []
    assert "final-timeout" in d.log_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown(daemon_factory, sig):
    d = daemon_factory()
    with d.ng() as ng:
        ng.offer("sd", "ft", sdp_offer())
    assert d.stop(sig) == 0
    log = d.log_text()
    assert "shutting down" in log and "stopped" in log
    assert not os.path.exists(d.unix_path)


def udp(port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(2)
    return s


def rtp(seq, pt=0, payload=b"\x55" * 160):
    return bytes([0x80, pt, seq >> 8, seq & 0xFF, 0, 0, 0, seq, 1, 2, 3, 4]) + payload


def test_media_flows_through_advertised_ports(daemon):
    a, b = udp(), udp()
    pa, pb = a.getsockname()[1], b.getsockname()[1]
    with daemon.ng() as ng:
        r = ng.offer("media1", "A", sdp_offer(port=pa))
        relay_for_b = sdp_media_ports(r["sdp"])[0][1]        # B sends here
        r = ng.answer("media1", "A", "B", sdp_offer(port=pb))
        relay_for_a = sdp_media_ports(r["sdp"])[0][1]        # A sends here
        for i in range(5):
            a.sendto(rtp(i), ("127.0.0.1", relay_for_a))
            data, src = b.recvfrom(2048)
            assert data == rtp(i)
            assert src == ("127.0.0.1", relay_for_b)         # B sees the port it was given
            b.sendto(rtp(100 + i), ("127.0.0.1", relay_for_b))
            data, src = a.recvfrom(2048)
            assert data == rtp(100 + i) and src == ("127.0.0.1", relay_for_a)
        time.sleep(0.2)
        q = ng.query("media1")
        a_rtp = q["tags"]["A"]["medias"][0]["streams"][0]
        assert a_rtp["local port"] == relay_for_a
        assert a_rtp["stats"]["packets"] == 5
        assert a_rtp["stats"]["bytes"] == 5 * len(rtp(0))
        assert a_rtp["last packet"] > 0
        assert q["totals"]["RTP"]["packets"] == 10
        assert ng.delete("media1", **{"delete-delay": 0})["result"] == "ok"
        # after delete (applied by the worker right after the reply), nothing is relayed
        time.sleep(0.2)
        a.sendto(rtp(50), ("127.0.0.1", relay_for_a))
        b.settimeout(0.5)
        with pytest.raises(socket.timeout):
            b.recvfrom(2048)
    a.close()
    b.close()


def test_media_keeps_call_alive(daemon_factory):
    d = daemon_factory("--timeout=2")
    a, b = udp(), udp()
    with d.ng() as ng:
        r = ng.offer("alive", "A", sdp_offer(port=a.getsockname()[1]))
        r = ng.answer("alive", "A", "B", sdp_offer(port=b.getsockname()[1]))
        relay_for_a = sdp_media_ports(r["sdp"])[0][1]
        end = time.monotonic() + 4
        seq = 0
        while time.monotonic() < end:
            a.sendto(rtp(seq), ("127.0.0.1", relay_for_a))
            seq += 1
            time.sleep(0.1)
        assert ng.request({"command": "list"})["calls"] == ["alive"]
        time.sleep(3.5)   # media stopped: now it times out
        assert ng.request({"command": "list"})["calls"] == []
    a.close()
    b.close()


def test_allow_from_drops_other_sources(daemon_factory):
    d = daemon_factory("--allow-from=127.0.0.5", ready_via_unix=True)
    from ngclient import NgClient
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.5", 0))
    s.connect(("127.0.0.1", d.ng_port))
    ok = NgClient(s, "udp", ("127.0.0.1", d.ng_port), timeout=3)
    assert ok.ping()["result"] == "pong"
    with d.ng(timeout=0.5) as other:           # from 127.0.0.1: not allowed
        with pytest.raises(socket.timeout):
            other.ping()
    t = socket.create_connection(("127.0.0.1", d.tcp_port), timeout=3)
    t.settimeout(3)
    assert t.recv(10) == b""                    # refused connection is closed at once
    t.close()
    ok.close()
    assert "not in allow-from" in d.log_text()


def test_ipv6_control_listener(daemon_factory):
    d = daemon_factory("--listen-ng=[::1]:%d" % Daemon.free_v6_port(), tcp=False,
                       unix=True, ready_via_unix=True)
    port = int([a for a in d.argv if a.startswith("--listen-ng=[::1]")][0].rsplit(":", 1)[1])
    from ngclient import NgClient
    with NgClient.udp(("::1", port)) as ng:
        assert ng.ping()["result"] == "pong"


def test_sighup_does_not_stop(daemon):
    """SIGHUP reloads the configuration (test_operate.py); it never stops the daemon."""
    daemon.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    with daemon.ng() as ng:
        assert ng.ping()["result"] == "pong"
    assert "reload: applied" in daemon.log_text()


def test_timeout_and_silent_timeout_per_stream(daemon_factory):
    """`timeout` applies while some stream of the call is expected to carry media
    (its sender sends and its receiver wants to receive); a call whose streams are all
    on hold (inactive, c= 0.0.0.0, port 0) gets `silent-timeout`. Media on a stream
    that is on hold does not keep a call with expected streams alive."""
    d = daemon_factory("--timeout=1", "--silent-timeout=5")

    def sdp(port, direction="sendrecv", zero=False, media=(("audio", (0,)),)):
        s = sdp_offer(port=port, media=media).replace("a=sendrecv", "a=" + direction)
        return s.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0") if zero else s

    a, b = udp(), udp()
    pa, pb = a.getsockname()[1], b.getsockname()[1]
    av = (("audio", (0,)), ("video", (96,)))
    calls = {
        # call-id: (offer SDP, answer SDP, silent?)
        "inactive": (sdp(5000, "inactive"), sdp(6000, "inactive"), True),
        "zero": (sdp(5000, zero=True), sdp(6000, zero=True), True),
        "zero-offer": (sdp(5000, zero=True), sdp(6000), True),
        "port0": (sdp(5000), sdp(6000).replace("m=audio 6000", "m=audio 0"), True),
        "inactive-and-port0": (sdp(5000, "inactive", media=av),
                               sdp(6000, "inactive", media=av).replace("m=video 6002",
                                                                       "m=video 0"), True),
        "offer-inactive": (sdp(5000, "inactive"), None, True),
        "sendrecv": (sdp(5000), sdp(6000), False),
        "offer-only": (sdp(5000), None, False),
        "sendonly": (sdp(5000, "sendonly"), sdp(6000, "recvonly"), False),
        "audio-active-video-inactive": (sdp(5000, media=av),
                                        sdp(6000, media=av).replace(
                                            "m=video 6002 RTP/AVP 96\r\na=rtpmap:96 "
                                            "H264/90000\r\na=sendrecv",
                                            "m=video 6002 RTP/AVP 96\r\na=rtpmap:96 "
                                            "H264/90000\r\na=inactive"), False),
        # B is recvonly: what B sends is not the media A's hold keeps waiting for
        "sendonly-b-talks": (sdp(pa, "sendonly"), sdp(pb, "recvonly"), False),
        # A sends what B wants: kept alive by it
        "sendonly-a-talks": (sdp(pa, "sendonly"), sdp(pb, "recvonly"), None),
    }
    relay = {}
    with d.ng() as ng:
        for cid, (off, ans, _) in calls.items():
            r = ng.offer(cid, "A", off)
            assert r["result"] == "ok", (cid, r)
            relay[cid, "B"] = sdp_media_ports(r["sdp"])[0][1]
            if ans:
                r = ng.answer(cid, "A", "B", ans)
                assert r["result"] == "ok", (cid, r)
                relay[cid, "A"] = sdp_media_ports(r["sdp"])[0][1]
        assert "audio-active-video-inactive" in calls
        start = time.monotonic()
        seq = 0
        while time.monotonic() - start < 3.0:
            b.sendto(rtp(seq), ("127.0.0.1", relay["sendonly-b-talks", "B"]))
            a.sendto(rtp(seq), ("127.0.0.1", relay["sendonly-a-talks", "A"]))
            seq += 1
            time.sleep(0.1)
        present = set(ng.request({"command": "list"})["calls"])
        assert present == {cid for cid, c in calls.items() if c[2] is not False}, present
        for cid in present:
            assert ng.query(cid)["result"] == "ok"
        while time.monotonic() - start < 7.5:
            a.sendto(rtp(seq), ("127.0.0.1", relay["sendonly-a-talks", "A"]))
            seq += 1
            time.sleep(0.1)
        assert ng.request({"command": "list"})["calls"] == ["sendonly-a-talks"]
        assert ng.query("inactive")["result"] == "error"
    log = d.log_text()
    assert 'call expired call-id=inactive reason="silent-timeout' in log
    assert 'call expired call-id=sendrecv reason="timeout' in log
    a.close()
    b.close()


def test_listen_unix_refuses_a_running_daemons_socket(daemon_factory):
    first = daemon_factory(ready_via_unix=True)
    second = daemon_factory("--listen-unix=" + first.unix_path, unix=False, expect_fail=True)
    rc = second.wait_exit()
    assert rc is not None and rc != 0
    log = second.log_text()
    assert first.unix_path in log and "accepts connections there" in log, log
    # the first daemon keeps its socket and keeps answering on it
    assert os.path.exists(first.unix_path)
    with first.unix() as ng:
        assert ng.ping()["result"] == "pong"


def test_listen_unix_reuses_a_stale_socket(daemon_factory, tmp_path):
    path = str(tmp_path / "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)            # left behind: bound, never listening, not unlinked
    s.close()
    assert os.path.exists(path)
    d = daemon_factory("--listen-unix=" + path, unix=False)
    from ngclient import NgClient
    with NgClient.unix(path) as ng:
        assert ng.ping()["result"] == "pong"
    assert "stale socket" in d.log_text()


def test_listen_unix_never_removes_a_file(daemon_factory, tmp_path):
    path = tmp_path / "not-a-socket"
    path.write_text("user data\n")
    d = daemon_factory("--listen-unix=%s" % path, unix=False, expect_fail=True)
    rc = d.wait_exit()
    assert rc is not None and rc != 0
    assert "not a socket" in d.log_text()
    assert path.read_text() == "user data\n"
