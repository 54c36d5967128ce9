"""A real browser for the WebRTC interop case: headless Chromium (Debian `chromium`,
`chromium-driver`, `python3-selenium`) loading a page with JsSIP, served by the test.

Chromium pairs any interface it finds with the relay's address, so it must run in the
test's own network namespace that has only `lo`. Selenium talks to chromedriver over
HTTP on 127.0.0.1: every Selenium call runs on one thread that has entered that
namespace (a child started from it, chromedriver, and its Chromium, are in it too),
and the page's HTTP server socket is created there as well.

The page (tests/interop/webrtc/) is JsSIP from the npm registry, pinned by
package-lock.json, bundled with esbuild (pinned there too): `ensure_bundle()` runs
`npm ci` only when node_modules does not match the lock and re-bundles only when a
source is newer than the bundle, so a prepared tree needs no network.
"""
import ctypes
import functools
import http.server
import os
import queue
import signal
import subprocess
import threading
import time

from .procs import CLONE_NEWNET

WEBRTC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "webrtc")
BUNDLE = os.path.join(WEBRTC_DIR, "dist", "page.bundle.js")
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMEDRIVER = "/usr/lib/chromium/chromedriver"
_libc = ctypes.CDLL(None, use_errno=True)


def _run(cmd, timeout):
    res = subprocess.run(cmd, cwd=WEBRTC_DIR, capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise RuntimeError("%s failed (%d) in %s:\n%s%s" % (" ".join(cmd), res.returncode,
                                                            WEBRTC_DIR, res.stdout[-2000:],
                                                            res.stderr[-2000:]))


def ensure_bundle():
    """Install the page's pinned npm packages and bundle it; idempotent and offline
    once done. Returns the bundle's path."""
    lock = os.path.join(WEBRTC_DIR, "package-lock.json")
    installed = os.path.join(WEBRTC_DIR, "node_modules", ".package-lock.json")
    stamp = os.path.join(WEBRTC_DIR, "node_modules", ".rtprelay-lock")
    with open(lock, "rb") as f:
        wanted = f.read()
    current = None
    if os.path.exists(installed) and os.path.exists(stamp):
        with open(stamp, "rb") as f:
            current = f.read()
    if current != wanted:
        # npm ci installs exactly the lock (and removes node_modules first)
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], timeout=300)
        with open(stamp, "wb") as f:
            f.write(wanted)
    sources = [os.path.join(WEBRTC_DIR, n) for n in ("page.js", "package-lock.json")]
    if not os.path.exists(BUNDLE) or \
            os.path.getmtime(BUNDLE) < max(os.path.getmtime(s) for s in sources + [stamp]):
        esbuild = os.path.join(WEBRTC_DIR, "node_modules", ".bin", "esbuild")
        _run([esbuild, "page.js", "--bundle", "--format=iife",
              "--outfile=" + BUNDLE, "--log-level=warning"], timeout=120)
    return BUNDLE


class NsThread:
    """One thread inside a network namespace that runs the callables given to it."""

    def __init__(self, ns_name):
        self.ns_name = ns_name
        self.jobs = queue.Queue()
        self.ready = queue.Queue()
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()
        err = self.ready.get(timeout=10)
        if err is not None:
            raise err

    def _main(self):
        try:
            fd = os.open("/run/netns/" + self.ns_name, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    e = ctypes.get_errno()
                    raise OSError(e, "setns(%s): %s" % (self.ns_name, os.strerror(e)))
            finally:
                os.close(fd)
        except OSError as exc:
            self.ready.put(exc)
            return
        self.ready.put(None)
        while True:
            job = self.jobs.get()
            if job is None:
                return
            fn, box, done = job
            try:
                box["value"] = fn()
            except BaseException as exc:   # handed back to the caller
                box["err"] = exc
            done.set()

    def run(self, fn, timeout):
        box, done = {}, threading.Event()
        self.jobs.put((fn, box, done))
        if not done.wait(timeout):
            raise TimeoutError("browser call did not finish within %.0fs" % timeout)
        if "err" in box:
            raise box["err"]
        return box.get("value")

    def stop(self):
        self.jobs.put(None)
        self.thread.join(5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass


class PageServer:
    """HTTP on 127.0.0.1:port inside the namespace, serving tests/interop/webrtc/."""

    def __init__(self, nsthread, port):
        handler = functools.partial(_QuietHandler, directory=WEBRTC_DIR)
        self.httpd = nsthread.run(
            lambda: http.server.ThreadingHTTPServer(("127.0.0.1", port), handler), 10)
        self.port = port
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _descendants(pid):
    """PIDs of every process below `pid` (from /proc's parent links)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class Browser:
    """Headless Chromium driven by Selenium from inside namespace `ns_name`; its fake
    microphone plays `wav`; chromedriver's log goes to `logdir`."""

    def __init__(self, ns_name, logdir, wav):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.logdir = logdir
        self.driver = None
        self.driver_pid = None
        self.ns = NsThread(ns_name)
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    "--use-file-for-fake-audio-capture=" + wav,
                    "--autoplay-policy=no-user-gesture-required",
                    "--user-data-dir=" + os.path.join(logdir, "chromium-profile"),
                    "--window-size=900,900"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(CHROMEDRIVER, log_path=os.path.join(logdir, "chromedriver.log"),
                          service_args=["--verbose"])

        def start():
            try:
                self.driver = webdriver.Chrome(service=service, options=opts)
            finally:
                if service.process is not None:
                    self.driver_pid = service.process.pid
            self.driver.set_script_timeout(20)
            self.driver.set_page_load_timeout(20)

        self.ns.run(start, 60)

    def do(self, fn, timeout=25):
        """Run fn(driver) on the namespace thread."""
        return self.ns.run(lambda: fn(self.driver), timeout)

    def open(self, url):
        self.do(lambda d: d.get(url))

    def js(self, script, *args):
        return self.do(lambda d: d.execute_script(script, *args))

    def stats(self):
        return self.do(lambda d: d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.rtcTest.stats().then(done, (e) => done({error: String(e)}));"))

    def screenshot(self, path):
        self.do(lambda d: d.save_screenshot(path))
        return path

    def wait(self, script, timeout, what):
        """Poll a JavaScript expression until it is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js("return " + script)
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError("browser: timed out after %.0fs waiting for %s; page log:\n%s"
                                   % (timeout, what, "\n".join(self.page_log())))
            time.sleep(0.2)

    def page_log(self):
        try:
            return self.js("return window.rtcTest ? window.rtcTest.log : ['no rtcTest']") or []
        except Exception as exc:   # the page or the browser is gone
            return ["(page log unavailable: %s)" % exc]

    def quit(self):
        """Close the browser; kill chromedriver and its Chromium by PID if quit hangs."""
        if self.driver is not None:
            try:
                self.ns.run(self.driver.quit, 15)
            except Exception:
                pass
        if self.driver_pid is not None:
            for pid in [self.driver_pid] + _descendants(self.driver_pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.waitpid(self.driver_pid, os.WNOHANG)
            except ChildProcessError:
                pass
        self.ns.stop()
