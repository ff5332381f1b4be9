#!/usr/bin/env python3
"""The command line as users meet it: help with examples, tcpdump-style -r and -f,
one-line errors with exit status 2 for files that cannot be read, truncated files
analyzed up to the cut, gzip and multi-file input, JSON and JSON-lines output,
the plugin list, and colour only on a terminal.
"""
import gzip
import json
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import ptltest

SAMPLE = ptltest.source_dir() / "samples" / "cluster.pcap"
results = {"passed": 0, "failed": 0}


def run(*args, stdin=None):
    cmd = [ptltest.portolan_binary(), *args]
    if args[:1] == ("-r",):
        cmd[1:1] = ptltest._plugin_args()
    elif args[:1] in (("analyze",), ("plugins",)):
        cmd[2:2] = ptltest._plugin_args()
    return subprocess.run(cmd, capture_output=True, text=True, timeout=ptltest.RUN_TIMEOUT_S)


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}")


def flow_counters(rep):
    """flows_summary without memory_peak_bytes: the allocator's business, not the capture's"""
    return {k: v for k, v in rep["flows_summary"].items() if k != "memory_peak_bytes"}


def report(*args):
    proc = run("analyze", "--no-progress", "--json", "-", *args)
    return proc, (json.loads(proc.stdout) if proc.stdout.strip() else None)


def test_help(tmp):
    top = run("--help")
    check("help has examples", top.returncode == 0 and "Examples:" in top.stdout, top.stdout)
    sub = run("analyze", "--help")
    check("analyze --help has examples and flags",
          "Examples:" in sub.stdout and "--filter" in sub.stdout and "--flows" in sub.stdout, sub.stdout)
    bad = run("frobnicate")
    check("unknown command", bad.returncode == 2 and "unknown command" in bad.stderr, bad.stderr)


def one_error_line(proc, path, words):
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    return (proc.returncode == 2 and len(lines) == 1 and str(path) in lines[0]
            and words in lines[0])


def test_unreadable_inputs(tmp):
    missing = tmp / "missing.pcap"
    proc = run("analyze", "-q", str(missing))
    check("missing file", one_error_line(proc, missing, "cannot open"), proc.stderr)
    empty = tmp / "empty.pcap"
    empty.write_bytes(b"")
    proc = run("analyze", "-q", str(empty))
    check("empty file", one_error_line(proc, empty, "empty"), proc.stderr)
    text = tmp / "notes.txt"
    text.write_text("<html>not a capture</html>\n")
    proc = run("analyze", "-q", str(text))
    check("not a capture", one_error_line(proc, text, "not a pcap"), proc.stderr)
    proc = run("analyze", "-q", "-f", "tcp port", str(SAMPLE))
    check("bad filter", proc.returncode == 2 and "filter" in proc.stderr, proc.stderr)


def test_truncated_file(tmp):
    data = SAMPLE.read_bytes()
    cut = tmp / "cut.pcap"
    cut.write_bytes(data[: len(data) * 2 // 3 + 7])  # inside a record, not on a boundary
    proc, rep = report(str(cut))
    warned = [l for l in proc.stderr.splitlines() if "warning" in l and str(cut) in l]
    check("truncated: warning names file and packet", warned and "packet" in warned[0], proc.stderr)
    check("truncated: still analyzed", proc.returncode in (0, 1) and rep is not None
          and rep["capture"]["truncated"] and rep["capture"]["packets"] > 0, proc.returncode)


def test_gzip_and_merge(tmp):
    plain_proc, plain = report(str(SAMPLE))
    packed = tmp / "capture.bin"  # gzip found by magic, not by name
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    _, unpacked = report(str(packed))
    check("gzip by magic", unpacked and flow_counters(unpacked) == flow_counters(plain),
          "flows differ")
    check("gzip format named", unpacked and unpacked["capture"]["files"][0]["format"].endswith("+gzip"),
          unpacked and unpacked["capture"]["files"][0]["format"])
    _, both = report(str(SAMPLE), str(packed))
    check("two files: packets add up",
          both and both["capture"]["packets"] == 2 * plain["capture"]["packets"], "")


def test_tcpdump_style_and_filter(tmp):
    proc = run("-r", str(SAMPLE), "-q", "--no-progress", "--json", "-", "-f", "tcp port 5672")
    rep = json.loads(proc.stdout) if proc.returncode in (0, 1) else None
    ports = {p["port"] for p in rep["flows_summary"]["ports"]} if rep else set()
    check("-r and -f", rep is not None and ports == {5672}, proc.stderr or ports)
    check("-f counted as filtered, not skipped",
          rep and rep["capture"]["files"][0]["filtered_out"] > 0, "")


def test_flow_lines(tmp):
    out = tmp / "flows.jsonl"
    proc = run("analyze", "-q", "--no-progress", "--flows", str(out), str(SAMPLE))
    lines = [json.loads(l) for l in out.read_text().splitlines()] if out.exists() else []
    keys = {"id", "ts_start", "ts_end", "transport", "client", "server", "initiator", "state",
            "packets", "bytes", "payload_bytes", "gaps", "vlan", "protocol"}
    check("flow lines carry the documented keys",
          lines and all(keys <= set(l) for l in lines), proc.stderr)
    check("flow ids are unique", len({l["id"] for l in lines}) == len(lines), "")
    check("some flow carries an app object", any("app" in l for l in lines), "")


def test_schema_and_color(tmp):
    proc, rep = report(str(SAMPLE))
    check("report schema", rep and rep["schema"] == "portolan/report-1"
          and {"capture", "hosts", "flows_summary"} <= set(rep), "")
    text = run("analyze", "--no-progress", str(SAMPLE))
    check("no colour when piped", "\033[" not in text.stdout, "escape codes in piped output")


def test_unsupported_linktype(tmp):
    data = bytearray(SAMPLE.read_bytes())
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    struct.pack_into(order + "I", data, 20, 147)  # DLT_USER0
    odd = tmp / "user0.pcap"
    odd.write_bytes(bytes(data))
    proc, rep = report(str(odd))
    check("unsupported link type named", "USER0" in proc.stderr or "DLT_147" in proc.stderr,
          proc.stderr)
    check("unsupported link type: exit 2", proc.returncode == 2, proc.returncode)
    check("unsupported link type: packets counted",
          rep and rep["capture"]["skipped"]["linktype"] == rep["capture"]["packets"] > 0, "")


def test_plugins(tmp):
    proc = run("plugins", "--json")
    names = {p["name"] for p in json.loads(proc.stdout)["plugins"]} if proc.returncode == 0 else set()
    # the build's dissector_names + plugin_names (tests/meson.build), not a count kept here
    built = set(__import__("os").environ.get("PTL_INSTALLED_MODULES", "").split())
    check("every built module listed", built and built <= names, f"{names} lacks {built - names}")
    build = Path(__import__("os").environ.get("PTL_BUILD_DIR", ""))
    if (build / "plugins").is_dir():
        proc = run("plugins", "--json", "--plugin-dir", str(build / "plugins"))
        names = {p["name"] for p in json.loads(proc.stdout)["plugins"]}
        check("example with its directory", "example" in names, names)


def test_rules_list_json(tmp):
    proc = run("rules", "list", "--json")
    rules = json.loads(proc.stdout) if proc.returncode == 0 else []
    keys = {"product", "service", "ports", "transport", "protocol", "direction", "sources",
            "access", "description", "file", "line"}
    check("rules list --json keys", rules and all(keys <= set(r) for r in rules), proc.stderr)
    check("rules list --json: five products", {r["product"] for r in rules} ==
          {"thoughtspot", "sisense", "wso2-das", "impala", "clustron-dkv"}, "")
    covered = [(lo, hi) for r in rules for lo, hi in r["ports"]]
    missing = []
    for line in (ptltest.source_dir() / "rules" / "seed-ports.txt").read_text().splitlines():
        fields = line.split()
        if len(fields) < 3 or line.startswith("#") or fields[2] == "icmp":
            continue
        for item in filter(None, "".join(fields[2:]).split(",")):
            low, _, high = item.partition("-")
            for port in range(int(low), int(high or low) + 1):  # several rules may share a range
                if not any(lo <= port <= hi for lo, hi in covered):
                    missing.append(f"{fields[0]} row {fields[1]}: {port}")
    check("rules list --json: every seed port", not missing, missing[:5])


def main():
    if not SAMPLE.exists():
        ptltest.die_skipped(f"{SAMPLE} is missing")
    with tempfile.TemporaryDirectory() as tmp:
        for test in (test_help, test_unreadable_inputs, test_truncated_file, test_gzip_and_merge,
                     test_tcpdump_style_and_filter, test_flow_lines, test_schema_and_color,
                     test_unsupported_linktype, test_plugins, test_rules_list_json):
            test(Path(tmp))
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
