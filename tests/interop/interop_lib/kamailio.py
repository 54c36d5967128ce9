"""Kamailio 5.6 as registrar + record-routing proxy driving the relay over ng."""
import os
import re

from .procs import Proc

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs",
                   "kamailio.md")


def documented_config(lang="kamailio"):
    """The ```kamailio block of docs/kamailio.md (or the block fenced as ```LANG, e.g.
    ```kamailio-webrtc): the suite runs the documented config."""
    try:
        with open(DOC) as f:
            text = f.read()
    except OSError as exc:
        raise RuntimeError("cannot read the Kamailio config from %s: %s" % (DOC, exc))
    m = re.search(r"^```%s\n(.*?)^```" % re.escape(lang), text, re.M | re.S)
    if m is None:
        raise RuntimeError("%s has no ```%s block" % (DOC, lang))
    return m.group(1)


def documented_flags(case):
    """The flags the Flags table of docs/kamailio.md gives for `case` (its last column
    names the test): the suite runs what the doc tells operators to write."""
    with open(DOC) as f:
        text = f.read()
    for line in text.splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) == 3 and case in cols[2]:
            flags = re.findall(r"`([^`]*)`", cols[1])
            if flags:
                return " ".join(flags)
    raise RuntimeError("docs/kamailio.md: no flags row for %s" % case)


def relay_sock(ng_ports):
    """rtpengine_sock for one relay (an ng port) or a weighted set of relays
    ([(ng port, weight), ...]: "udp:127.0.0.1:2223=1000 udp:127.0.0.1:2224=1"), or
    a socket spelled out ("udp:10.77.0.100:2223": a relay elsewhere than loopback)."""
    if isinstance(ng_ports, str):
        return ng_ports
    if isinstance(ng_ports, int):
        return "udp:127.0.0.1:%d" % ng_ports
    return " ".join("udp:127.0.0.1:%d=%d" % (port, weight) for port, weight in ng_ports)


def render_config(sip_addr, sip_port, ng_ports, offer_flags, answer_flags,
                  control_from="127.0.0.1"):
    """The documented config with this test's values in its #!substdef lines."""
    values = {"SIP_LISTEN": "udp:%s:%d" % (sip_addr, sip_port),
              "RELAY_SOCK": relay_sock(ng_ports),
              "OFFER_FLAGS": offer_flags, "ANSWER_FLAGS": answer_flags,
              "CONTROL_FROM": control_from}
    cfg = documented_config()
    for name, value in values.items():
        cfg, n = re.subn(r'^#!substdef "!%s!.*!g"$' % name,
                         lambda _m: '#!substdef "!%s!%s!g"' % (name, value), cfg, flags=re.M)
        if n != 1:
            raise RuntimeError("docs/kamailio.md: expected one #!substdef for %s" % name)
    # the tests read Kamailio's log from stderr and need few processes
    cfg = re.sub(r"^log_stderror=no$", "log_stderror=yes", cfg, flags=re.M)
    cfg = re.sub(r"^children=\d+$", "children=2", cfg, flags=re.M)
    return cfg


DEFAULT_FLAGS = "replace-origin replace-session-connection"


def start_kamailio(logdir, ns, sip_addr, sip_port, ng_ports,
                   offer_flags=DEFAULT_FLAGS, answer_flags=DEFAULT_FLAGS):
    cfg = os.path.join(logdir, "kamailio.cfg")
    rundir = os.path.join(logdir, "kamailio-run")
    os.makedirs(rundir, exist_ok=True)
    with open(cfg, "w") as f:
        f.write(render_config(sip_addr, sip_port, ng_ports, offer_flags, answer_flags))
    cmd = ["kamailio", "-DD", "-E", "-f", cfg, "-Y", rundir, "-w", rundir, "-m", "32",
           "-M", "4"]
    return Proc("kamailio", cmd, logdir, ns=ns)


def sip_log(proc):
    """Parsed SIPLOG lines of the Kamailio log: ('req'|'rpl'|'failed', fields...)."""
    events = []
    for line in proc.output().splitlines():
        idx = line.find("SIPLOG ")
        if idx >= 0:
            events.append(line[idx + 7:].split())
    return events
