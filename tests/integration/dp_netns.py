"""dp_netns.py: network namespaces for the data-plane tests.

    with Netns("dpn-a") as ns:              # created now, deleted on exit
        ns.run("ip", "addr", "add", ...)    # a command inside the namespace
        s = ns.socket(socket.AF_INET, ("10.0.0.2", 0))   # a UDP socket living in it

A socket is created by a short-lived thread that enters the namespace with
setns(2) (a network namespace is per thread), so the test keeps using it from
the main thread. Needs root.
"""

import ctypes
import os
import socket
import subprocess
import threading

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=20)


class Netns:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        sh("ip", "netns", "del", self.name, check=False)
        sh("ip", "netns", "add", self.name)
        self.run("ip", "link", "set", "lo", "up")
        return self

    def __exit__(self, *exc):
        self.delete()

    def delete(self):
        sh("ip", "netns", "del", self.name, check=False)

    def run(self, *args, check=True, stdin=None):
        return subprocess.run(["ip", "netns", "exec", self.name] + list(args), check=check,
                              capture_output=True, text=True, timeout=20, input=stdin)

    def socket(self, family, bind_to, timeout=1.0):
        """A UDP socket created (and bound) inside this namespace."""
        out = {}

        def body():
            fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    out["err"] = OSError(ctypes.get_errno(), "setns")
                    return
                s = socket.socket(family, socket.SOCK_DGRAM)
                s.bind(bind_to)
                out["sock"] = s
            except OSError as e:
                out["err"] = e
            finally:
                os.close(fd)

        t = threading.Thread(target=body)
        t.start()
        t.join(10)
        if "err" in out:
            raise out["err"]
        out["sock"].settimeout(timeout)
        return out["sock"]


def veth(name_a, ns_a, name_b, ns_b):
    """A veth pair; ns None = this (root) namespace."""
    cmd = ["ip", "link", "add", name_a]
    if ns_a:
        cmd += ["netns", ns_a]
    cmd += ["type", "veth", "peer", "name", name_b]
    if ns_b:
        cmd += ["netns", ns_b]
    sh(*cmd)
