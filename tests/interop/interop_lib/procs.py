"""Child processes and network namespaces owned by one test.

Every process is started in its own session (process group) and stopped by that
group id; every namespace is created with a unique name and deleted at the end,
after the processes still inside it (all started by this test) are killed by PID.
"""
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


# generous: on a loaded machine (parallel builds, other namespace tests) every `ip`
# command and every process start-up can take seconds
STARTUP_TIMEOUT = 30.0


def run(cmd, ns=None, check=True, timeout=30, stdin=None):
    """Run a short command (optionally inside namespace `ns`) and return its output."""
    if ns is not None:
        cmd = ["ip", "netns", "exec", ns] + list(cmd)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=stdin)
    if check and res.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), res.returncode,
                                                  res.stderr.strip()))
    return res.stdout


class Proc:
    """One long-running child, output to a log file, stopped by process group."""

    def __init__(self, name, cmd, logdir, ns=None, env=None, cwd=None,
                 stdin=subprocess.DEVNULL):
        self.name = name
        self.logpath = os.path.join(logdir, name + ".log")
        self.cmd = list(cmd)
        if ns is not None:
            # `ip netns exec` execs the command in place: the PID is the command's.
            self.cmd = ["ip", "netns", "exec", ns] + self.cmd
        self._log = open(self.logpath, "wb")
        self.popen = subprocess.Popen(self.cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=stdin, start_new_session=True,
                                      env=env, cwd=cwd)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def output(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, grace=3.0):
        if self.popen.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # children of the group (Kamailio forks) may outlive the leader
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


def listening_udp_ports(pid):
    """Local UDP ports bound inside the network namespace of `pid`."""
    ports = set()
    for table in ("udp", "udp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, table)) as f:
                next(f)
                for line in f:
                    local = line.split()[1]
                    ports.add(int(local.rsplit(":", 1)[1], 16))
        except (OSError, StopIteration):
            pass
    return ports


def wait_for(predicate, timeout, what, interval=0.05):
    """Poll `predicate` until it returns a true value; raise on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


class Netns:
    """A network namespace created (and deleted) by the test."""

    def __init__(self, name):
        self.name = name
        run(["ip", "netns", "add", name])
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    @classmethod
    def attach(cls, name):
        """A Netns for namespace `name` that another helper made and deletes (e.g.
        tests/integration/redis_failover.py's Topo): calls, sockets and commands
        inside it, no creation here."""
        ns = cls.__new__(cls)
        ns.name = name
        return ns

    def exec(self, *cmd, check=True):
        return run(cmd, ns=self.name, check=check)

    def ip_batch(self, lines):
        """Several `ip` commands in this namespace with one process (`ip -batch`)."""
        return run(["ip", "-n", self.name, "-batch", "-"], stdin="\n".join(lines) + "\n")

    def call(self, fn):
        """Run fn() inside this namespace and return its result. setns changes only
        the calling thread, so it runs in a throw-away thread; sockets it creates
        stay in this namespace for their whole life."""
        box = {}

        def worker():
            try:
                fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, "setns(%s): %s" % (self.name, os.strerror(err)))
                finally:
                    os.close(fd)
                box["value"] = fn()
            except Exception as exc:   # handed back to the caller below
                box["err"] = exc

        t = threading.Thread(target=worker)
        t.start()
        t.join(5)
        if "err" in box:
            raise box["err"]
        if "value" not in box:
            raise TimeoutError("call in namespace %s did not finish" % self.name)
        return box["value"]

    def socket(self, family, kind, proto=0):
        return self.call(lambda: socket.socket(family, kind, proto))

    def delete(self):
        out = run(["ip", "netns", "pids", self.name], check=False)
        for pid in out.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "del", self.name], check=False)
