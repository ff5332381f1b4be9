#!/usr/bin/env python3
"""Decapsulation end to end, on captures wrapped at test time by samples/gen/wrap.py:

- each product sample wrapped in VXLAN, Geneve, GRE, ERSPAN II/III, IP-in-IP and GTP-U
  gives exactly the findings and the flows of the unwrapped sample, every flow and
  finding names its tunnel, the tunnel is listed once and no outer flow is reported;
- two tenants (VNI 1 and 2) carrying identical inner traffic stay apart: twice the flows;
- tshark's inner TCP/UDP conversations of the VXLAN, Geneve and ERSPAN captures are
  portolan's flows (skipped without tshark);
- --vxlan-port opens VXLAN on another port, which is otherwise a plain UDP flow;
- a depth-100 IP-in-IP bomb is counted as one skipped packet, four levels deep.
"""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import ptltest

PRODUCT_SAMPLES = ("sisense", "thoughtspot", "wso2-das", "impala", "clustron-dkv")
WRAPPERS = {"vxlan": "vxlan", "geneve": "geneve", "gre": "gre", "erspan2": "erspan",
            "erspan3": "erspan", "ipip": "ip-in-ip", "gtpu": "gtp-u"}
IP_ONLY = {"ipip", "gtpu"}  # carry the IP packet, not the frame: bytes count no Ethernet
TSHARK_WRAPPERS = {"vxlan": 1, "geneve": 1, "erspan2": 0}  # outer UDP headers per frame


def wrap(kind, src, dst, tunnel_id=42, port=None):
    script = ptltest.source_dir() / "samples" / "gen" / "wrap.py"
    args = [sys.executable, str(script), kind, str(src), str(dst), "--id", str(tunnel_id)]
    if port is not None:
        args += ["--port", str(port)]
    subprocess.run(args, check=True, timeout=60)


def analyze(capture, inventory, *extra):
    args = ["analyze", *ptltest._plugin_args(), "-q", "--no-progress", "--json", "-", *extra]
    if inventory is not None:
        args += ["--inventory", str(inventory)]
    return json.loads(ptltest.run_portolan(args + [str(capture)]))


def flow_lines(capture, inventory):
    out = ptltest.run_portolan(["analyze", *ptltest._plugin_args(), "-q", "--no-progress",
                                "--inventory", str(inventory), "--flows", "-", str(capture)])
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def without_tunnel(item, drop=("tunnel",)):
    """An object as it would be without the tunnel."""
    return {k: v for k, v in item.items() if k not in drop}


def findings(report):
    return sorted(json.dumps(without_tunnel(f), sort_keys=True) for f in report["findings"])


def flows_view(lines, drop=("tunnel",)):
    return sorted(json.dumps(without_tunnel(f, drop), sort_keys=True) for f in lines)


def check_wrapped(checks, tmp):
    samples = ptltest.source_dir() / "samples"
    for name in PRODUCT_SAMPLES:
        capture, inventory = samples / f"{name}.pcap", samples / f"{name}.inventory"
        plain = analyze(capture, inventory)
        plain_lines = flow_lines(capture, inventory)
        checks.check(f"{name}: has findings", len(plain["findings"]) > 0)
        for kind, type_name in WRAPPERS.items():
            wrapped_path = Path(tmp) / f"{name}-{kind}.pcap"
            wrap(kind, capture, wrapped_path)
            report = analyze(wrapped_path, inventory)
            label = f"{name} in {kind}"
            checks.check(f"{label}: same findings", findings(report) == findings(plain),
                         f"{len(report['findings'])} vs {len(plain['findings'])}")
            lines = flow_lines(wrapped_path, inventory)
            # "captures" names the file: the wrapped copy, not the sample
            drop = ("tunnel", "captures", "bytes") if kind in IP_ONLY else ("tunnel", "captures")
            checks.check(f"{label}: same flows", flows_view(lines, drop) ==
                         flows_view(plain_lines, drop), f"{len(lines)} vs {len(plain_lines)}")
            tunnels = report["capture"]["tunnels"]
            checks.check(f"{label}: one tunnel", len(tunnels) == 1
                         and tunnels[0]["type"] == type_name and tunnels[0]["depth"] == 1,
                         json.dumps(tunnels))
            checks.check(f"{label}: every flow names it",
                         all(line["tunnel"] and line["tunnel"]["type"] == type_name
                             for line in lines))
            checks.check(f"{label}: every finding names it",
                         all(f["tunnel"] and f["tunnel"]["type"] == type_name
                             for f in report["findings"]))
            outer = [line for line in lines if line["server"]["ip"] in ("192.0.2.1", "192.0.2.2")]
            checks.check(f"{label}: no outer flow", not outer, json.dumps(outer[:1]))
            checks.check(f"{label}: nothing skipped", report["capture"]["skipped_total"] ==
                         plain["capture"]["skipped_total"])


def merge_captures(dst, parts):
    """One capture of the frames of parts (same link type), in time order."""
    with open(dst, "wb") as out:
        for i, part in enumerate(parts):
            data = Path(part).read_bytes()
            out.write(data if i == 0 else data[24:])


def check_tenants(checks, tmp):
    capture = ptltest.source_dir() / "samples" / "sisense.pcap"
    parts = []
    for vni in (1, 2):
        part = Path(tmp) / f"tenant-{vni}.pcap"
        wrap("vxlan", capture, part, vni)
        parts.append(part)
    both = Path(tmp) / "tenants.pcap"
    merge_captures(both, parts)
    plain = ptltest.flows(capture)
    lines = ptltest.flows(both)
    checks.check("two tenants: twice the flows", len(lines) == 2 * len(plain),
                 f"{len(lines)} vs 2 x {len(plain)}")
    vnis = sorted({line["tunnel"]["id"] for line in lines})
    checks.check("two tenants: both VNIs", vnis == [1, 2], str(vnis))


def tshark_inner_flows(capture, outer_udp):
    """Direction-free flow keys of the innermost TCP/UDP headers tshark decodes."""
    fields = ["ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]
    args = ["tshark", "-r", str(capture), "-T", "fields", "-E", "occurrence=a",
            "-E", "aggregator=,", "-E", "separator=|"]
    for field in fields:
        args += ["-e", field]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True).stdout
    keys = set()
    for line in out.splitlines():
        src, dst, tsp, tdp, usp, udp_ = (part.split(",") if part else [] for part in
                                          line.split("|"))
        if not src:
            continue
        if tsp:
            sport, dport = tsp[-1], tdp[-1]
        elif len(usp) > outer_udp:
            sport, dport = usp[-1], udp_[-1]
        else:
            continue                           # ICMP and the like: not a flow
        keys.add(ptltest.flow_key(ptltest.endpoint(src[-1], sport),
                                  ptltest.endpoint(dst[-1], dport)))
    return keys


def check_tshark(checks, tmp):
    if shutil.which("tshark") is None:
        print("note: tshark not installed, differential check skipped")
        return
    for name in PRODUCT_SAMPLES:
        for kind, outer_udp in TSHARK_WRAPPERS.items():
            wrapped_path = Path(tmp) / f"{name}-{kind}.pcap"
            theirs = tshark_inner_flows(wrapped_path, outer_udp)
            ours = {ptltest.portolan_flow_key(f) for f in ptltest.flows(wrapped_path)}
            checks.check(f"{name} in {kind}: tshark's inner flows", ours == theirs,
                         f"only ours {sorted(ours - theirs)[:3]}, "
                         f"only tshark's {sorted(theirs - ours)[:3]}")


def check_vxlan_port(checks, tmp):
    samples = ptltest.source_dir() / "samples"
    capture, inventory = samples / "sisense.pcap", samples / "sisense.inventory"
    wrapped = Path(tmp) / "port-4790.pcap"
    wrap("vxlan", capture, wrapped, 42, 4790)
    plain = analyze(capture, inventory)
    without = analyze(wrapped, inventory)
    checks.check("UDP 4790 without --vxlan-port: no tunnel",
                 without["capture"]["tunnels_total"] == 0)
    given = analyze(wrapped, inventory, "--vxlan-port", "4790")
    checks.check("--vxlan-port 4790: the sample's findings", findings(given) == findings(plain))


def check_bomb(checks, tmp):
    bomb = Path(tmp) / "bomb.pcap"
    script = ptltest.source_dir() / "samples" / "gen" / "wrap.py"
    subprocess.run([sys.executable, str(script), "bomb", str(bomb), "--depth", "100"],
                   check=True, timeout=60)
    report = analyze(bomb, None)
    capture = report["capture"]
    checks.check("bomb: counted as too deep", capture["skipped"]["tunnel_too_deep"] == 1,
                 json.dumps(capture["skipped"]))
    checks.check("bomb: four levels opened, no more", capture["tunnels_total"] == 4,
                 str(capture["tunnels_total"]))
    checks.check("bomb: no flow", report["flows_summary"]["flows"] == 0
                 if "flows" in report["flows_summary"] else True)


def main():
    checks = ptltest.Checks()
    with tempfile.TemporaryDirectory(prefix="portolan-tunnels-") as tmp:
        check_wrapped(checks, tmp)
        check_tenants(checks, tmp)
        check_tshark(checks, tmp)
        check_vxlan_port(checks, tmp)
        check_bomb(checks, tmp)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
