"""The relay under test: rtprelayd (default) or sipwise rtpengine (INTEROP_RELAY=rtpengine).

Both speak ng over UDP; the harness treats them the same way.
"""
import os
import shlex

from .procs import Proc


def relay_kind():
    return os.environ.get("INTEROP_RELAY", "rtprelay")


def rtprelay_binary():
    build = os.environ.get("RTPRELAY_BUILD", "/work/main/build")
    return os.path.join(build, "daemon", "rtprelayd")


def relay_binary():
    """Path of the binary under test, or raise with a clear message if missing."""
    kind = relay_kind()
    if kind == "rtpengine":
        path = "/usr/bin/rtpengine"
    elif kind == "rtprelay":
        path = rtprelay_binary()
    else:
        raise RuntimeError("INTEROP_RELAY must be 'rtprelay' or 'rtpengine', not %r" % kind)
    if not os.access(path, os.X_OK):
        raise RuntimeError(
            "relay binary %s is missing or not executable (INTEROP_RELAY=%s, "
            "RTPRELAY_BUILD=%s); build it first: meson setup build && ninja -C build"
            % (path, kind, os.environ.get("RTPRELAY_BUILD", "/work/main/build")))
    return path


def start_relay(logdir, ns, interface, ng_port, port_min, port_max, name="relay",
                extra_args=()):
    binary = relay_binary()
    # both relays keep a deleted call for delete-delay (30 s by default) before it
    # leaves `list`; the suite checks `list` right after BYE/CANCEL, so: at once
    args = ["--interface=%s" % interface, "--listen-ng=127.0.0.1:%d" % ng_port,
            "--port-min=%d" % port_min, "--port-max=%d" % port_max, "--foreground",
            "--delete-delay=0"]
    if relay_kind() == "rtpengine":
        # no system config file, user-space forwarding only
        args = ["--config-file=none", "--table=-1", "--log-stderr"] + args
    # extra options for the relay under test, e.g. INTEROP_RELAY_ARGS="--offload=yes"
    args += shlex.split(os.environ.get("INTEROP_RELAY_ARGS", ""))
    # this test's own options for this relay (e.g. --max-sessions=1)
    args += list(extra_args)
    return Proc(name, [binary] + args, logdir, ns=ns)
