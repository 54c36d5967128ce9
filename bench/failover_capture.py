"""failover_capture.py: where the time of a failover goes, from the wire (bench/failover.py
--capture).

dumpcap on the standby's interface (namespace B, eth0) records the address move and the
first media through the standby with the kernel's timestamps, the same for rtprelay
and rtpengine, so the relay's own share is apart from the bench's steps (the kill, the
`ip` commands, the GARP) and from the phones' Python sender:

    garp_ms       the gratuitous ARP for the service address leaving B
    first_in_ms   the first media packet to the service address arriving at B (the
                  phones' side switched its neighbour entry)
    first_out_ms  the first media packet from the service address leaving B (relayed)
    relay_ms      first_out - first_in: the standby's own part
    in_10ms / out_10ms  media packets in / out in the 10 ms after first_in (the standby
                  forwards every call at once, or some calls late)

All in ms after the kill (wall clock of the kill, CLOCK_REALTIME as pcap's).
"""
import os
import signal
import subprocess
import time

MEDIA_PORTS = (30000, 39999)  # both relays' --port-min/--port-max in bench/failover.py


class Capture:
    def __init__(self, ns, dev, path):
        self.path = path
        # only what the analysis reads: ARP, and UDP to/from the media port range
        filt = "arp or (udp and portrange %d-%d)" % MEDIA_PORTS
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, "dumpcap", "-q", "-i", dev, "-f", filt,
             "-s", "96", "-P", "-w", path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        # the file appears once dumpcap captures; bounded wait
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not os.path.exists(path):
            if self.proc.poll() is not None:
                raise RuntimeError("dumpcap: " + self.proc.stderr.read().decode(errors="replace"))
            time.sleep(0.05)
        time.sleep(0.2)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def analyse(path, vip, t_kill_wall, t_move_wall):
    """The figures above from the capture at `path`; {} when tshark cannot read it."""
    r = subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=,",
                        "-e", "frame.time_epoch", "-e", "arp.src.proto_ipv4",
                        "-e", "ip.src", "-e", "ip.dst"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode:
        return {}
    garp = first_in = first_out = None
    ins, outs = [], []
    for line in r.stdout.splitlines():
        f = line.split(",")
        if len(f) < 4:
            continue
        t = float(f[0])
        if t < t_move_wall:
            continue
        if f[1] == vip and garp is None:
            garp = t
        elif f[3] == vip:
            ins.append(t)
        elif f[2] == vip:
            outs.append(t)
    first_in = min(ins) if ins else None
    first_out = min(outs) if outs else None

    def ms(t):
        return round((t - t_kill_wall) * 1000, 1) if t is not None else None

    out = {"garp_ms": ms(garp), "first_in_ms": ms(first_in), "first_out_ms": ms(first_out)}
    if first_in is not None and first_out is not None:
        out["relay_ms"] = round((first_out - first_in) * 1000, 2)
        out["in_10ms"] = sum(1 for t in ins if t < first_in + 0.01)
        out["out_10ms"] = sum(1 for t in outs if t < first_in + 0.01)
    return out
