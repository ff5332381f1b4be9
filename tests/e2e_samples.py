#!/usr/bin/env python3
"""portolan on every bundled sample:

- each product scenario (samples/<product>.pcap with .inventory and .expected) gives
  exactly the expected findings (kind, client, server, port): nothing missing, nothing extra;
- the 3-node cluster sample shows what it was built to show (handshakes, the
  unanswered and the refused connection, out-of-order and retransmitted segments,
  IPv6, VLAN, UDP, the ICMP unreachable, every protocol identified);
- every sample's report equals its golden report in tests/expected/ (run with
  --update to rewrite them after a deliberate change, and review the diff);
- `samples/generate --check` regenerates the samples byte for byte.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import ptltest

SAMPLES = ptltest.source_dir() / "samples"
GOLDEN = Path(__file__).parent / "expected"
results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}")


def analyze(capture, *extra):
    args = ["analyze", *ptltest._plugin_args(), "-q", "--no-progress", "--json", "-", *extra]
    inventory = capture.with_suffix(".inventory")
    if inventory.exists():
        args += ["--inventory", str(inventory)]
    return json.loads(ptltest.run_portolan(args + [str(capture)]))


def finding_keys(report):
    return sorted((f["kind"], f["client"], f["server"], f["port"]) for f in report.get("findings", []))


def test_product_scenarios():
    for expected_file in sorted(SAMPLES.glob("*.expected")):
        capture = expected_file.with_suffix(".pcap")
        expected = sorted(tuple(item) for item in json.loads(expected_file.read_text()))
        got = finding_keys(analyze(capture))
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        check(f"{capture.name}: findings", got == expected,
              f"missing {missing}, extra {extra}")


def test_cluster_sample():
    capture = SAMPLES / "cluster.pcap"
    report = analyze(capture)
    summary = report["flows_summary"]
    states = summary["states"]
    check("cluster: one unanswered", states.get("unanswered") == 1, states)
    check("cluster: one refused", states.get("refused", 0) >= 1, states)
    check("cluster: out of order seen", summary["out_of_order"] > 0, summary["out_of_order"])
    check("cluster: retransmission seen", summary["retransmissions"] > 0, summary["retransmissions"])
    protocols = set(summary["protocols"])
    check("cluster: every protocol identified",
          {"amqp", "zookeeper", "thrift", "http", "smb", "tls"} <= protocols, protocols)
    flows = [json.loads(line) for line in ptltest.run_portolan(
        ["analyze", *ptltest._plugin_args(), "-q", "--no-progress", "--inventory",
         str(capture.with_suffix(".inventory")), "--flows", "-", str(capture)]).splitlines()]
    check("cluster: an IPv6 flow", any(":" in f["client"]["ip"] for f in flows), "")
    check("cluster: a VLAN flow", any(f["vlan"] for f in flows), "")
    check("cluster: UDP request-only and bidirectional",
          {"request-only", "bidirectional"} <= {f["state"] for f in flows if f["transport"] == "udp"},
          "")
    check("cluster: ICMP unreachable matched", report["capture"]["icmp_errors"] > 0
          and report["capture"]["icmp_unmatched"] == 0, report["capture"]["icmp_errors"])
    check("cluster: no gaps in a clean capture", summary["with_gaps"] == 0, summary["with_gaps"])
    sll = analyze(SAMPLES / "cluster-sll.pcap")
    check("cluster-sll: decoded", sll["capture"]["skipped_total"] == 0
          and sll["flows_summary"]["total"] > 0, sll["capture"]["skipped"])


def normalized(report):
    """The parts of a report that must not change by accident."""
    report = json.loads(json.dumps(report))
    report.pop("generator", None)
    report["flows_summary"].pop("memory_peak_bytes", None)  # the allocator's business
    for f in report["capture"]["files"]:
        f["path"] = Path(f["path"]).name
        f.pop("truncation", None)
    return report


def test_golden(update):
    for capture in sorted(SAMPLES.glob("*.pcap")):
        golden = GOLDEN / (capture.stem + ".json")
        report = normalized(analyze(capture))
        if update:
            golden.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
            continue
        if not golden.exists():
            check(f"{capture.name}: golden report", False, f"{golden} missing (run with --update)")
            continue
        want = json.loads(golden.read_text())
        diffs = [k for k in sorted(set(want) | set(report)) if want.get(k) != report.get(k)]
        check(f"{capture.name}: golden report", not diffs, f"differs in {diffs}")


def test_generator_reproduces():
    proc = subprocess.run([sys.executable, str(SAMPLES / "generate"), "--check"],
                          capture_output=True, text=True, timeout=300)
    check("samples/generate --check", proc.returncode == 0, proc.stdout + proc.stderr)


def main():
    if not (SAMPLES / "cluster.pcap").exists():
        ptltest.die_skipped("samples are missing")
    update = "--update" in sys.argv
    if not update:
        test_product_scenarios()
        test_cluster_sample()
        test_generator_reproduces()
    test_golden(update)
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
