#!/usr/bin/env python3
"""Every real capture in ../shared/captures (when present): portolan exits 0, 1 or 2
with no crash and no sanitizer report; for readable ones the count of TCP flows
equals tshark's TCP conversations (-q -z conv,tcp) save the listed known
differences; and no capture of a protocol yields a protocol-mismatch finding on
that protocol's own standard port.
"""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import ptltest

# The MANIFEST's provenance caveats: fuzzer/sanitizer reproducers and synthetic
# files are not real traffic, so "no protocol-mismatch on the standard port" is
# not asked of them (they are still run for crashes and conversation counts).
NOT_REAL = ("zeek-netbios-", "zeek-smb1-OSS-fuzz-", "ndpi-fuzz-", "tcpdump-", "libpcap-")
STANDARD_PORTS = {"amqp": {5672}, "http": {80}, "smb": {139, 445}, "thrift": {9090},
                  "zookeeper": {2181}, "tls": {443}}
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def known_differences():
    table = {}
    for line in (Path(__file__).parent / "known-conv-differences.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, ours, theirs, _ = [part.strip() for part in line.split("|", 3)]
            table[path] = (int(ours), int(theirs))
    return table


def tshark_conversations(capture):
    out = subprocess.run(["tshark", "-r", str(capture), "-q", "-z", "conv,tcp"],
                         capture_output=True, text=True, timeout=120).stdout
    return sum(1 for line in out.splitlines() if "<->" in line)


def analyze(capture, workdir):
    report = Path(workdir) / "report.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run([ptltest.portolan_binary(), "analyze", *ptltest._plugin_args(), "-q", "--no-progress",
                           "--json", str(report), str(capture)],
                          capture_output=True, text=True, timeout=ptltest.RUN_TIMEOUT_S)
    data = json.loads(report.read_text()) if report.exists() else None
    return proc, data


def check(capture, rel, proc, data, known, has_tshark):
    """Returns a list of problems with this capture (empty when fine)."""
    problems = []
    if proc.returncode not in (0, 1, 2):
        problems.append(f"exit status {proc.returncode}")
    if any(mark in proc.stderr for mark in SANITIZER_MARKS):
        problems.append("sanitizer report: " + proc.stderr.strip().splitlines()[0])
    if proc.returncode == 2:
        lines = [l for l in proc.stderr.splitlines() if "error:" in l]
        if not lines or str(capture) not in lines[0]:
            problems.append(f"exit 2 without a one-line error naming the file: {proc.stderr!r}")
        return problems
    if data is None:
        return problems + ["no JSON report"]
    proto_dir = rel.split("/")[0]
    is_real = not capture.name.startswith(NOT_REAL)
    for finding in data.get("findings", []) if is_real else ():
        if (finding["kind"] == "protocol-mismatch"
                and finding["port"] in STANDARD_PORTS.get(proto_dir, ())):
            problems.append(f"protocol-mismatch on its own standard port: {finding['message']}")
    if has_tshark:
        ours, theirs = data["flows_summary"]["tcp"], tshark_conversations(capture)
        if ours != theirs and known.get(rel) != (ours, theirs):
            problems.append(f"{ours} TCP flows, tshark has {theirs} conversations")
    return problems


def main():
    root = ptltest.shared_captures_dir()
    if root is None:
        ptltest.die_skipped("no ../shared/captures here")
    has_tshark = shutil.which("tshark") is not None
    known = known_differences()
    captures = sorted(p for p in root.rglob("*")
                      if p.is_file() and p.suffix not in (".out", ".md"))
    passed = failed = 0
    with tempfile.TemporaryDirectory() as workdir:
        for capture in captures:
            rel = str(capture.relative_to(root))
            proc, data = analyze(capture, workdir)
            problems = check(capture, rel, proc, data, known, has_tshark)
            if problems:
                failed += 1
                print(f"FAIL {rel}: " + "; ".join(problems))
            else:
                passed += 1
    if not has_tshark:
        print("note: tshark not installed, conversation counts not compared")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
