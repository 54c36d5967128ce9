"""dtls-certificate / dtls-private-key (docs/failover.md): a daemon given a PEM
certificate and key uses it instead of a fresh one, so two daemons (an active/standby
pair) answer with the same a=fingerprint, and the handshake presents that
certificate. Given wrong (one without the other, a key of another certificate, a
file that is not there, a relative path), the daemon does not start and says why."""

import os
import subprocess

import pytest

pytest.importorskip("OpenSSL")

from test_dtls_assoc import handshake_cert  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_sanitizer_report")


def make_cert(d, name, kind="ec"):
    crt, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    new = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" else \
        ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509"] + new + ["-nodes", "-days", "2", "-subj",
                                                         "/CN=" + name, "-keyout", key,
                                                         "-out", crt],
                   check=True, capture_output=True, timeout=60)
    return crt, key


def openssl_fingerprint(crt):
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", crt],
                         check=True, capture_output=True, text=True, timeout=30).stdout
    return "sha-256 " + out.strip().split("=", 1)[1]


def test_two_daemons_share_a_certificate(daemon_factory, tmp_path):
    crt, key = make_cert(str(tmp_path), "pair")
    want = openssl_fingerprint(crt)
    seen = []
    for i in range(2):
        d = daemon_factory("--dtls-certificate=" + crt, "--dtls-private-key=" + key)
        assert "DTLS certificate: ECDSA P-256 (given)" in d.log_text(), d.log_text()[-2000:]
        with d.ng() as ng:
            cert, fp = handshake_cert(ng, "shared-%d" % i)
        assert fp == want, (fp, want)
        assert "sha-256 " + cert.digest("sha256").decode() == want
        seen.append(fp)
    assert seen[0] == seen[1]
    # an RSA certificate is taken as well
    crt2, key2 = make_cert(str(tmp_path), "rsa", "rsa")
    d = daemon_factory("--dtls-certificate=" + crt2, "--dtls-private-key=" + key2)
    assert "DTLS certificate: RSA 2048 (given)" in d.log_text()
    with d.ng() as ng:
        _, fp = handshake_cert(ng, "rsa")
    assert fp == openssl_fingerprint(crt2)


def test_bad_certificate_files_refused(daemon_factory, tmp_path):
    crt, key = make_cert(str(tmp_path), "one")
    _, key2 = make_cert(str(tmp_path), "two")  # another certificate's key
    empty = str(tmp_path / "empty.pem")
    open(empty, "w").close()
    cases = [
        (["--dtls-certificate=" + crt], "dtls-certificate and dtls-private-key go together"),
        (["--dtls-private-key=" + key], "dtls-certificate and dtls-private-key go together"),
        (["--dtls-certificate=" + crt, "--dtls-private-key=" + key2],
         "the private key does not match the certificate"),
        (["--dtls-certificate=" + crt, "--dtls-private-key=" + str(tmp_path / "none.key")],
         "cannot read " + str(tmp_path / "none.key")),
        (["--dtls-certificate=" + empty, "--dtls-private-key=" + key], "no PEM certificate"),
        (["--dtls-certificate=" + crt, "--dtls-private-key=" + empty],
         "no PEM private key"),
        (["--dtls-certificate=relative.crt", "--dtls-private-key=" + key], "dtls-certificate"),
    ]
    for args, why in cases:
        d = daemon_factory(*args, expect_fail=True)
        assert d.wait_exit(10) not in (0, None), args
        assert why in d.log_text(), (args, d.log_text()[-2000:])
