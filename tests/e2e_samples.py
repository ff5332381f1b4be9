#!/usr/bin/env python3
"""portolan on every bundled sample:

- each product scenario (samples/<product>.pcap with .inventory and .expected) gives
  exactly the expected findings (kind, client, server, port): nothing missing, nothing extra;
- the 3-node cluster sample shows what it was built to show (handshakes, the
  unanswered and the refused connection, out-of-order and retransmitted segments,
  IPv6, VLAN, UDP, the ICMP unreachable, every protocol identified);
- every sample's report equals its golden report in tests/expected/ (run with
  --update to rewrite them after a deliberate change, and review the diff);
- each product sample analyzed WITHOUT its inventory (only its `set` parameters, which are
  configuration, not evidence) still selects its product, every finding says the product
  and roles were inferred, and no policy finding is an error;
- office.pcap (no product traffic) recognises no product, has no finding and lists its
  broadcast and multicast destinations as such, not as hosts;
- the connection-evidence samples give exactly the findings, severities, transient
  flags, flow states and connection classes they were built for (a ZooKeeper ensemble
  starting up, a cluster behind a one-way mirror), and the cluster's ICMP refusal is
  worded as one;
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


def flow_lines(capture):
    """The --flows lines of a sample analyzed with its inventory."""
    return [json.loads(line) for line in ptltest.run_portolan(
        ["analyze", *ptltest._plugin_args(), "-q", "--no-progress", "--inventory",
         str(capture.with_suffix(".inventory")), "--flows", "-", str(capture)]).splitlines()]


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


POLICY_KINDS = {"source-not-allowed", "direction-violation", "undocumented-port"}


def inventory_lines(path, keyword):
    return [line.split(None, 1)[1].strip() for line in path.read_text().splitlines()
            if line.split(None, 1)[:1] == [keyword]]


def test_products_without_inventory():
    """The five product samples (samples/<product>.pcap, one per rules/<product>.rules); the
    evidence scenarios built on a product (zookeeper-start: only generic ZooKeeper ports) are
    not meant to be recognisable alone."""
    for rules in sorted((ptltest.source_dir() / "rules").glob("*.rules")):
        inventory = SAMPLES / (rules.stem + ".inventory")
        products = inventory_lines(inventory, "product") if inventory.exists() else []
        if not products:
            continue
        capture = inventory.with_suffix(".pcap")
        args = ["analyze", *ptltest._plugin_args(), "-q", "--no-progress", "--json", "-"]
        for assignment in inventory_lines(inventory, "set"):
            args += ["--set", assignment]
        report = json.loads(ptltest.run_portolan(args + [str(capture)]))
        selected = sorted(p["name"] for p in report["products"] if p["selected"])
        check(f"{capture.name} without inventory: selects {products}", selected == products,
              selected)
        check(f"{capture.name} without inventory: selection inferred",
              report["product_selection"] == "inferred", report["product_selection"])
        findings = report["findings"]
        check(f"{capture.name} without inventory: findings", len(findings) > 0, "none")
        for f in findings:
            name = f"{capture.name} without inventory: {f['kind']} {f['client']} -> {f['server']}"
            check(name + " marked inferred",
                  f["evidence"] == {"product": "inferred", "roles": "inferred"}, f["evidence"])
            check(name + " not an error", f["kind"] not in POLICY_KINDS
                  or f["severity"] != "error", f["severity"])


def test_office_sample():
    report = analyze(SAMPLES / "office.pcap")
    check("office: no product recognised", report["product_selection"] == "none"
          and not any(p["selected"] for p in report["products"]), report["product_selection"])
    check("office: no finding", report["findings"] == [], report["findings"])
    kinds = {h["ip"]: (h["kind"], h["role"]) for h in report["hosts"]}
    check("office: subnet broadcast is no host",
          kinds.get("10.77.255.255") == ("broadcast", None), kinds.get("10.77.255.255"))
    check("office: mDNS group is no host",
          kinds.get("224.0.0.251") == ("multicast", None), kinds.get("224.0.0.251"))
    check("office: workstations are hosts", kinds.get("10.77.1.5", ("",))[0] == "host",
          kinds.get("10.77.1.5"))
    text = ptltest.run_portolan(["analyze", *ptltest._plugin_args(), "--no-progress",
                                 str(SAMPLES / "office.pcap")])
    check("office: terminal says how to name the product",
          "No product recognised." in text and "--product NAME" in text, text[:400])
    check("office: terminal host table", "10.77.255.255" in text and " broadcast " in text, "")


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
    flows = flow_lines(capture)
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


def evidence_rows(report):
    return sorted((f["kind"], f["client"], f["server"], f["port"], f["severity"],
                   f["transient"], f["state"], f["connection"]) for f in report["findings"])


def test_zookeeper_start():
    report = analyze(SAMPLES / "zookeeper-start.pcap")
    want = sorted([
        ("connection-refused", "10.20.0.12", "10.20.0.11", 2888, "info", True, "refused",
         "refused-by-rst"),
        ("connection-refused", "10.20.0.12", "10.20.0.11", 3888, "info", True, "refused",
         "refused-by-rst"),
        ("connection-refused", "10.20.0.13", "10.20.0.11", 3888, "info", True, "refused",
         "refused-by-rst"),
        ("connection-refused", "10.20.0.13", "10.20.0.12", 3888, "error", False, "refused",
         "refused-by-rst"),
    ])
    got = evidence_rows(report)
    check("zookeeper-start: findings with evidence", got == want, f"got {got}")
    by_key = {(f["client"], f["server"], f["port"]): f for f in report["findings"]}
    first = by_key.get(("10.20.0.13", "10.20.0.11", 3888), {})
    check("zookeeper-start: transient wording",
          "refused 3 times until 10:00:00.8, then accepted at 10:00:06.3: the service was "
          "still starting" in first.get("message", ""), first.get("message"))
    transient_advice = [f["advice"] for f in report["findings"] if f["transient"]]
    check("zookeeper-start: no 'open TCP' advice on transient refusals",
          transient_advice and not any("open TCP" in a for a in transient_advice),
          transient_advice)
    stuck = by_key.get(("10.20.0.13", "10.20.0.12", 3888), {})
    check("zookeeper-start: a lasting RST refusal asks for the service, not a firewall",
          "listens on tcp/3888" in stuck.get("advice", "")
          and "open TCP" not in stuck.get("advice", ""), stuck.get("advice"))
    check("zookeeper-start: one direction is not claimed", report["vantage"]["note"] is None,
          report["vantage"])


def test_one_sided_cluster():
    capture = SAMPLES / "sisense-one-sided.pcap"
    report = analyze(capture)
    want = sorted([
        ("connection-unanswered", "10.20.0.13", "10.20.0.12", 25672, "error", False,
         "unanswered", "unanswered"),
        ("source-not-allowed", "203.0.113.7", "10.20.0.11", 2181, "error", False, "one-sided",
         "one-sided"),
        ("undocumented-port", "10.20.0.12", "10.20.0.11", 7070, "warning", False, "one-sided",
         "one-sided"),
    ])
    got = evidence_rows(report)
    check("sisense-one-sided: findings with evidence", got == want, f"got {got}")
    vantage = report["vantage"]
    check("sisense-one-sided: capture-level note", vantage["one_sided_flows"] == 7
          and vantage["tcp_flows"] == 8 and "only one direction of 7 of 8 TCP flows"
          in (vantage["note"] or ""), vantage)
    flows = flow_lines(capture)
    one_sided = [f for f in flows if f["state"] == "one-sided"]
    check("sisense-one-sided: flow evidence", len(one_sided) == 7 and all(
        f["directions"] == "to-server" and f["handshake"] == "partial"
        and "connection-unanswered" not in f["findings"] for f in one_sided),
        [(f["state"], f["directions"], f["handshake"]) for f in flows])
    text = ptltest.run_portolan(["analyze", *ptltest._plugin_args(), "--no-progress",
                                 "--inventory", str(capture.with_suffix(".inventory")),
                                 str(capture)])
    check("sisense-one-sided: the note is at the top of the terminal report",
          "NOTE  the capture point sees only one direction" in "\n".join(text.splitlines()[:4]),
          text[:400])


def test_cluster_icmp_wording():
    report = analyze(SAMPLES / "cluster.pcap")
    snmp = [f for f in report["findings"] if f["port"] == 161]
    check("cluster: one udp/161 finding", len(snmp) == 1, snmp)
    if snmp:
        f = snmp[0]
        check("cluster: udp/161 refused by ICMP in words",
              f["connection"] == "refused-by-icmp" and f["icmp"] == "port unreachable"
              and "was refused by node 10.20.0.13 on udp/161 (ICMP port unreachable" in f["message"]
              and "no answer" not in f["message"] and "Nothing answered" not in f["advice"],
              f)


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
        test_products_without_inventory()
        test_office_sample()
        test_zookeeper_start()
        test_one_sided_cluster()
        test_cluster_icmp_wording()
        test_generator_reproduces()
    test_golden(update)
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
