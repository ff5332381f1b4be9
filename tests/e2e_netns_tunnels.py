#!/usr/bin/env python3
"""A real tunnel: two network namespaces joined by a veth underlay (10.88.0.0/24) carry a
VXLAN link (id 42, UDP 4789) and, where the kernel has it, a GRE link (gretap, key 7).
python3's http.server in one namespace answers curl in the other over each tunnel while
tcpdump captures the underlay and, separately, each tunnel device.  The report of the
underlay capture must equal the reports of the captures taken inside the tunnels: the
same flows (endpoints, protocol, state, packets and bytes), protocols and findings,
apart from the tunnel object; and the underlay lists each tunnel once.

Needs root, iproute2, tcpdump and curl; otherwise it says what is missing and exits 77.
A kernel without gretap runs the VXLAN half and says so.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ptltest
from ptltest import in_netns, sh

TAG = "ptl-tn%d" % (os.getpid() % 100000)
NS_A, NS_B = TAG + "a", TAG + "b"
UNDER_A, UNDER_B = "10.88.0.1", "10.88.0.2"
TUNNELS = {  # device: (iproute2 type arguments, inner /24 prefix)
    "vx0": (["type", "vxlan", "id", "42", "dstport", "4789"], "10.99.0."),
    "gt0": (["type", "gretap", "key", "7"], "10.98.0."),
}
HTTP_PORT = 8080
REQUESTS = 3
WAIT_S = 15


def missing():
    reason = ptltest.netns_unusable_reason()
    if reason:
        return reason
    for tool in ("tcpdump", "curl"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def add_tunnel(ns, dev, local, remote, args, addr):
    """True when the kernel made the device."""
    made = sh(*in_netns(ns, "ip", "link", "add", dev, *args, "local", local, "remote", remote),
              check=False)
    if made.returncode != 0:
        return False
    sh(*in_netns(ns, "ip", "addr", "add", addr + "/24", "dev", dev))
    sh(*in_netns(ns, "ip", "link", "set", dev, "up"))
    return True


def start_capture(iface, path):
    proc = subprocess.Popen(in_netns(NS_A, "tcpdump", "-i", iface, "-U", "-s", "0", "-w",
                                     str(path)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:  # tcpdump says "listening on" once it captures
        line = proc.stderr.readline()
        if "listening on" in line or not line:
            break
    return proc


def wait_port(ns, addr, port):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        probe = sh(*in_netns(ns, "curl", "-s", "-o", "/dev/null", "--max-time", "2",
                             f"http://{addr}:{port}/"), check=False)
        if probe.returncode == 0:
            return True
        time.sleep(0.2)
    return False


def analyze(capture):
    report = json.loads(ptltest.run_portolan(["analyze", *ptltest._plugin_args(), "-q",
                                              "--no-progress", "--json", "-", str(capture)]))
    lines = ptltest.flows(capture)
    return report, lines


def flow_view(line):
    keep = ("transport", "client", "server", "state", "handshake", "packets", "bytes",
            "payload_bytes", "protocol")
    return json.dumps({k: line.get(k) for k in keep}, sort_keys=True)


def finding_view(finding):
    return json.dumps({k: v for k, v in finding.items() if k not in ("tunnel", "example_flows")},
                      sort_keys=True)


def run(checks, tmp):
    ptltest.netns_add(NS_A)
    ptltest.netns_add(NS_B)
    ptltest.veth_add(NS_A, "ua", NS_B, "ub")
    sh(*in_netns(NS_A, "ip", "addr", "add", UNDER_A + "/24", "dev", "ua"))
    sh(*in_netns(NS_B, "ip", "addr", "add", UNDER_B + "/24", "dev", "ub"))
    made = []
    for dev, (args, prefix) in TUNNELS.items():
        if add_tunnel(NS_A, dev, UNDER_A, UNDER_B, args, prefix + "1") and \
                add_tunnel(NS_B, dev, UNDER_B, UNDER_A, args, prefix + "2"):
            made.append(dev)
        else:
            print(f"note: this kernel has no {args[1]} device: {dev} not tested")
    if "vx0" not in made:
        ptltest.die_skipped("the kernel cannot make a VXLAN device")
    server = subprocess.Popen(in_netns(NS_B, sys.executable, "-m", "http.server", "--bind",
                                       "0.0.0.0", str(HTTP_PORT), "--directory", str(tmp)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for dev in made:
            checks.check(f"{dev}: server reachable", wait_port(NS_A, TUNNELS[dev][1] + "2",
                                                              HTTP_PORT))
        time.sleep(1)  # the probes' connections end before the captures start
        under = Path(tmp) / "underlay.pcap"
        captures = [start_capture("ua", under)]
        inside = {dev: Path(tmp) / f"{dev}.pcap" for dev in made}
        captures += [start_capture(dev, path) for dev, path in inside.items()]
        for dev in made:
            for i in range(REQUESTS):
                sh(*in_netns(NS_A, "curl", "-s", "-o", "/dev/null", "--max-time", "5",
                             f"http://{TUNNELS[dev][1]}2:{HTTP_PORT}/?n={i}"), check=False)
        time.sleep(1)
        for proc in captures:
            proc.terminate()
            proc.wait(timeout=WAIT_S)
    finally:
        server.terminate()
        server.wait(timeout=WAIT_S)

    under_report, under_lines = analyze(under)
    inner_lines, inner_findings = [], []
    for dev, path in inside.items():
        report, lines = analyze(path)
        inner_lines += lines
        inner_findings += report["findings"]
        checks.check(f"{dev}: inside capture has the HTTP flows",
                     sum(1 for line in lines if line.get("protocol") == "http") >= REQUESTS,
                     json.dumps([flow_view(line) for line in lines]))
    tunnelled = [line for line in under_lines if line["tunnel"] is not None]
    checks.check("underlay: the tunnelled flows equal the inside ones",
                 sorted(map(flow_view, tunnelled)) == sorted(map(flow_view, inner_lines)),
                 f"underlay {sorted(map(flow_view, tunnelled))}\n"
                 f"inside {sorted(map(flow_view, inner_lines))}")
    checks.check("underlay: no outer tunnel flow",
                 not [line for line in under_lines if line["tunnel"] is None
                      and line["server"]["port"] == 4789])
    under_findings = [f for f in under_report["findings"] if f["tunnel"] is not None]
    checks.check("underlay: the same findings",
                 sorted(map(finding_view, under_findings)) ==
                 sorted(map(finding_view, inner_findings)))
    types = sorted(t["type"] for t in under_report["capture"]["tunnels"])
    want = sorted({"vx0": "vxlan", "gt0": "gre"}[dev] for dev in made)
    checks.check("underlay: each tunnel listed once", types == want, f"{types} vs {want}")
    vxlan = [t for t in under_report["capture"]["tunnels"] if t["type"] == "vxlan"]
    checks.check("underlay: VNI 42", vxlan and vxlan[0]["id"] == 42, json.dumps(vxlan))


def main():
    reason = missing()
    if reason:
        ptltest.die_skipped(reason)
    checks = ptltest.Checks()
    with tempfile.TemporaryDirectory(prefix="portolan-netns-tunnels-") as tmp:
        try:
            run(checks, tmp)
        finally:
            ptltest.netns_delete(NS_A)
            ptltest.netns_delete(NS_B)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
