"""http_media.py: helpers for the tests of the HTTP listener (metrics, status page):
HTTP requests with the standard library, real calls whose phones keep sending RTP
from a background thread, and a parser of the Prometheus text format."""

import http.client
import re
import threading
import time

from dp_media import Phone, relay_targets


def http_get(port, path, token=None, host="127.0.0.1", method="GET", headers=None,
             timeout=5.0, source=None):
    """(status, headers dict, body bytes) of one request."""
    c = http.client.HTTPConnection(host, port, timeout=timeout,
                                   source_address=(source, 0) if source else None)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    try:
        c.request(method, path, headers=h)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        out[(m.group(1), frozenset(LABEL.findall(m.group(2) or "")))] = float(m.group(3))
    return out


def metric(samples, metric_name, **labels):
    """The value of one sample; KeyError if absent."""
    return samples[(metric_name, frozenset(labels.items()))]


def metric_sum(samples, metric_name, **labels):
    """Sum over the samples of @name whose labels include @labels."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == metric_name and want <= set(ls))


class Calls:
    """N answered calls, caller A and callee B each a Phone; pump() keeps both sides
    sending 50 packets/s from a thread until stop()."""

    def __init__(self, ng, n, prefix="m", pts=(0, 8)):
        self.ids, self.pairs, self.targets = [], [], []
        self.sent = 0
        for i in range(n):
            cid = "%s-%d" % (prefix, i)
            a, b = Phone(pts=pts), Phone(pts=pts)
            r = ng.offer(cid, "A%d" % i, a.sdp())
            assert r["result"] == "ok", r
            r2 = ng.answer(cid, "A%d" % i, "B%d" % i, b.sdp())
            assert r2["result"] == "ok", r2
            self.ids.append(cid)
            self.pairs.append((a, b))
            # (where A sends, where B sends)
            self.targets.append((relay_targets(r2["sdp"])[0][:2],
                                 relay_targets(r["sdp"])[0][:2]))
        self._stop = threading.Event()
        self._thread = None

    def send(self, packets=1):
        for (a, b), (ta, tb) in zip(self.pairs, self.targets):
            a.send_rtp(0, ta, packets)
            b.send_rtp(0, tb, packets)
            self.sent += 2 * packets

    def pump(self, max_seconds=60.0):
        """Send from a thread, 20 ms apart, for at most max_seconds."""
        def run():
            deadline = time.monotonic() + max_seconds
            while not self._stop.is_set() and time.monotonic() < deadline:
                self.send(1)
                self._stop.wait(0.02)
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def close(self):
        self.stop()
        for a, b in self.pairs:
            a.close()
            b.close()
