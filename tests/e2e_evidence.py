#!/usr/bin/env python3
"""Issue 13's connection-evidence reproductions on the shared real captures (skipped,
exit 77, without ../shared):

- http/ndpi-http_asymmetric.pcapng (a capture point that sees one direction): the flow
  whose client sent ACKs and 3 HTTP requests is one-sided, never connection-unanswered,
  and no advice says "open TCP 80"; the report says once that one direction is seen;
- zookeeper/zktraffic-omni.pcap: tcp/2785 (SYN -> RST/ACK on loopback) is worded as a
  refusal, never as "no answer".
"""
import json
import sys

import ptltest

checks = ptltest.Checks()
check = checks.check


def run(*args):
    return ptltest.run_portolan(["analyze", *ptltest._plugin_args(), "--no-progress", *args])


def test_asymmetric(captures):
    capture = captures / "http" / "ndpi-http_asymmetric.pcapng"
    if not capture.exists():
        print(f"SKIP {capture.name}: not in ../shared")
        return
    args = ["--product", "thoughtspot", "--nodes",
            "10.10.10.1,192.168.1.146,192.168.0.1,192.168.1.103"]
    report = json.loads(run("-q", "--json", "-", *args, str(capture)))
    kinds = [f["kind"] for f in report["findings"]]
    check("asymmetric: no connection-unanswered", "connection-unanswered" not in kinds, kinds)
    advice = [f["advice"] for f in report["findings"]]
    check("asymmetric: no 'open TCP 80' advice", not any("open TCP 80" in a for a in advice),
          advice)
    note = report["vantage"]["note"] or ""
    check("asymmetric: one direction said once", "only one direction of 2 of 2 TCP flows" in note,
          report["vantage"])
    flows = [json.loads(line) for line in run("-q", "--flows", "-", *args,
                                                str(capture)).splitlines()]
    client = [f for f in flows if f["client"]["ip"] == "192.168.0.1"]
    check("asymmetric: the requesting client's flow is one-sided",
          len(client) == 1 and client[0]["state"] == "one-sided"
          and client[0]["directions"] == "to-server" and client[0]["handshake"] == "partial"
          and client[0]["findings"] == [], client)
    text = run(*args, str(capture))
    check("asymmetric: terminal note at the top",
          "NOTE  the capture point sees only one direction" in "\n".join(text.splitlines()[:4]),
          text[:300])


def test_zktraffic_omni(captures):
    capture = captures / "zookeeper" / "zktraffic-omni.pcap"
    if not capture.exists():
        print(f"SKIP {capture.name}: not in ../shared")
        return
    report = json.loads(run("-q", "--json", "-", "--product", "thoughtspot", "--nodes",
                            "127.0.0.1", str(capture)))
    found = [f for f in report["findings"] if f["port"] == 2785]
    check("zktraffic-omni: one tcp/2785 finding", len(found) == 1, found)
    for f in found:
        check("zktraffic-omni: tcp/2785 worded as refused by RST",
              f["connection"] == "refused-by-rst" and f["state"] == "refused"
              and "was refused by" in f["message"] and "TCP reset" in f["message"]
              and "no answer" not in f["message"] and "Nothing answered" not in f["advice"], f)
    flows = [json.loads(line) for line in run("-q", "--flows", "-", str(capture)).splitlines()]
    refused = [f for f in flows if f["server"]["port"] == 2785]
    check("zktraffic-omni: tcp/2785 flows refused, SYN only",
          refused and all(f["state"] == "refused" and f["handshake"] == "syn-only"
                          for f in refused), [(f["state"], f["handshake"]) for f in refused])


def main():
    captures = ptltest.shared_captures_dir()
    if captures is None:
        ptltest.die_skipped("../shared/captures is not present")
    test_asymmetric(captures)
    test_zktraffic_omni(captures)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
