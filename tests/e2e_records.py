#!/usr/bin/env python3
"""End-to-end test of --records: dissector records as JSON lines, one per record,
tied to the flow lines by flow_id, written by a real module (plugins/example, the
reference dissector, which records each ECHO request) on a generated capture.
Also: `--records -` is refused with another standard-output writer, an unwritable
path is refused before anything is read, and the per-flow cap is counted.

Environment: PORTOLAN, PTL_BUILD_DIR (the example module is in its plugins/)."""
import json
import os
import subprocess
import sys
import tempfile

import ptltest
from hostile_captures import ACK, PSH, SYN, T2024_US, tcp_frame, write_pcap

CLIENT, SERVER = bytes((10, 1, 0, 1)), bytes((10, 1, 0, 2))
MAX_RECORDS = 1000      # PTL_APP_MAX_RECORDS


def echo_capture(path, lines, sport=41000):
    """One ECHO connection on 7777: handshake, the request lines, their echoes."""
    cseq, sseq, ts = 1000, 9000, T2024_US
    frames = [(CLIENT, SERVER, sport, 7777, cseq, 0, SYN, b""),
              (SERVER, CLIENT, 7777, sport, sseq, cseq + 1, SYN | ACK, b"")]
    cseq, sseq = cseq + 1, sseq + 1
    for text in lines:
        request = b"ECHO " + text + b"\n"
        frames.append((CLIENT, SERVER, sport, 7777, cseq, sseq, PSH | ACK, request))
        cseq += len(request)
        frames.append((SERVER, CLIENT, 7777, sport, sseq, cseq, PSH | ACK, text + b"\n"))
        sseq += len(text) + 1
    packets = []
    for i, f in enumerate(frames):
        packets.append((ts + i * 1000, tcp_frame(*f)))
    write_pcap(path, packets)


def portolan(*args):
    return subprocess.run([ptltest.portolan_binary(), *args], capture_output=True, text=True,
                          timeout=120)


def main():
    build = os.environ.get("PTL_BUILD_DIR")
    plugin_dir = os.path.join(build, "plugins") if build else None
    if plugin_dir is None or not os.path.exists(os.path.join(plugin_dir, "libptl-example.so")):
        ptltest.die_skipped("no built example plugin (PTL_BUILD_DIR/plugins)")
    t = ptltest.Tally()
    tmp = tempfile.mkdtemp(prefix="ptl-e2e-records-")
    cap = os.path.join(tmp, "echo.pcap")
    echo_capture(cap, [b"hello", b"w\xc3\xb6rld", b"hello"])
    base = ["analyze", "-q", "--no-progress", "--no-rules", "--plugin-dir", plugin_dir]

    records, flows = os.path.join(tmp, "r.jsonl"), os.path.join(tmp, "f.jsonl")
    r = portolan(*base, "--records", records, "--flows", flows, cap)
    t.check(r.returncode == 0, "analyze --records exits 0", r.stderr)
    lines = [json.loads(line) for line in open(records)] if os.path.exists(records) else []
    flow = [json.loads(line) for line in open(flows)] if os.path.exists(flows) else [{}]
    t.check([e.get("kind") for e in lines] == ["example_echo"] * 3,
            "one record per ECHO request", lines)
    t.check([e.get("text") for e in lines] == ["hello", "wörld", "hello"],
            "records carry the module's members", lines)
    t.check(all(e.get("flow_id") == flow[0].get("id") for e in lines),
            "flow_id is the flow line's id", (lines, flow[0].get("id")))
    t.check(lines and lines[0].get("ts") == "2024-05-01T10:00:00.002000Z",
            "ts is the request packet's time", lines[:1])
    t.check(lines and list(lines[0])[:3] == ["kind", "ts", "flow_id"],
            "the core's members come first", lines[:1])
    t.check(flow[0].get("records") == 3 and flow[0].get("records_dropped") == 0,
            "the flow line counts its records", {k: flow[0].get(k) for k in
                                                 ("records", "records_dropped")})

    r = portolan(*base, "--records", "-", cap)
    out = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    t.check(r.returncode == 0 and len(out) == 3, "--records - writes only records to stdout",
            r.stdout[:300])

    for other in (["--json", "-"], ["--flows", "-"]):
        r = portolan(*base, "--records", "-", *other, cap)
        t.check(r.returncode == 2 and "--records -" in r.stderr,
                f"--records - with {other[0]} - is refused", r.stderr)
    r = portolan(*base, "--records", os.path.join(tmp, "no", "such", "dir", "r.jsonl"), cap)
    t.check(r.returncode == 2 and "--records" in r.stderr and "cannot write" in r.stderr,
            "an unwritable --records path is refused at start-up", r.stderr)
    r = portolan(*base, "--records", records, "--json", records, cap)
    t.check(r.returncode == 2 and "same file" in r.stderr, "--records and --json on one file",
            r.stderr)

    many = os.path.join(tmp, "many.pcap")
    echo_capture(many, [b"x%d" % i for i in range(MAX_RECORDS + 7)])
    report = os.path.join(tmp, "many.json")
    r = portolan(*base, "--records", records, "--flows", flows, "--json", report, many)
    lines = open(records).read().splitlines()
    flow = [json.loads(line) for line in open(flows)]
    summary = json.load(open(report))["flows_summary"]
    t.check(len(lines) == MAX_RECORDS, "a flow writes at most the cap", len(lines))
    t.check(flow[0].get("records_dropped") == 7 and summary.get("records_dropped") == 7
            and summary.get("records") == MAX_RECORDS + 7,
            "what is over the cap is counted in the flow line and the summary",
            (flow[0].get("records_dropped"), summary.get("records_dropped")))
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
