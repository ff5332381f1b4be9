#!/usr/bin/env python3
"""Products and roles only from evidence, on captures no product cluster made.

- every capture in ../shared/captures (public captures of no product cluster), analyzed
  without an inventory or --product, gives no error-severity policy finding
  (source-not-allowed, direction-violation, undocumented-port) and selects no product;
  exceptions are listed, with their reason, in the "Policy errors without an inventory"
  table of tests/known-differences.md, and a listed one that no longer happens fails;
- zeek-tls1.2.pcap, the issue's reproduction (one flow to a public web server on 443),
  gives "No product recognised" in the terminal and no finding at all.
Skipped (exit 77) without ../shared/captures.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import ptltest

POLICY_KINDS = {"source-not-allowed", "direction-violation", "undocumented-port"}
KNOWN_DIFFERENCES = Path(__file__).parent / "known-differences.md"
SECTION = "## Policy errors without an inventory"
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|(.*)\|\s*$")
REPRODUCTION = "tls/zeek-tls1.2.pcap"


def listed_exceptions():
    """{(capture, kind): reason} from the rows of SECTION (up to the next heading)."""
    known, is_inside = {}, False
    for line in KNOWN_DIFFERENCES.read_text().splitlines():
        if line.startswith("#"):
            is_inside = line.strip() == SECTION
            continue
        match = ROW.match(line) if is_inside else None
        if match:
            known[(match.group(1), match.group(2))] = match.group(3).strip()
    return known


def analyze(capture, text=False):
    args = ["analyze", *ptltest._plugin_args(), "--no-progress"]
    args += [] if text else ["-q", "--json", "-"]
    proc = subprocess.run([ptltest.portolan_binary(), *args, str(capture)],
                          capture_output=True, text=True, timeout=ptltest.RUN_TIMEOUT_S)
    if text:
        return proc.stdout
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        return None     # unreadable capture (exit 2): e2e_shared_captures checks those


def main():
    root = ptltest.shared_captures_dir()
    if root is None:
        ptltest.die_skipped("no ../shared/captures here")
    tally = ptltest.Tally()
    known = listed_exceptions()
    seen = set()
    captures = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".out", ".md"))
    for capture in captures:
        rel = str(capture.relative_to(root))
        report = analyze(capture)
        if report is None:
            continue
        errors = {}
        for f in report.get("findings", []):
            if f["kind"] in POLICY_KINDS and f["severity"] == "error":
                errors.setdefault(f["kind"], f["message"])
        for kind, message in sorted(errors.items()):
            if (rel, kind) in known:
                seen.add((rel, kind))
                tally.skip(f"{rel} {kind}", known[(rel, kind)])
            else:
                tally.check(False, f"{rel}: error-severity {kind} without an inventory", message)
        selected = [p["name"] for p in report.get("products", []) if p["selected"]]
        tally.check(not selected, f"{rel}: no product selected", f"selected {selected}")
        tally.check(report.get("product_selection") == "none", f"{rel}: product_selection none",
                    report.get("product_selection"))
    for entry in sorted(set(known) - seen):
        tally.check(False, f"known-differences.md {entry[0]} {entry[1]}",
                    "no longer happens: remove the row")
    reproduction = root / REPRODUCTION
    if reproduction.exists():
        report = analyze(reproduction)
        tally.check(report is not None and not report["findings"],
                    f"{REPRODUCTION}: no finding", report and report["findings"])
        text = analyze(reproduction, text=True)
        tally.check("No product recognised." in text and "--product NAME" in text,
                    f"{REPRODUCTION}: terminal says no product recognised and how to name one")
    else:
        tally.skip(REPRODUCTION, "not in ../shared/captures")
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
