#!/usr/bin/env python3
"""No secret ever leaves (docs/secrets.md).

samples/secrets.pcap holds every credential form portolan meets, each secret a unique
marker (samples/gen/scenarios/secrets.py).  portolan runs with every output: the terminal
report piped, with --no-color and on a pseudo-terminal (colour), --json, --flows, and,
when this runs as root with network namespaces, `portolan live` with --events and --json
on a veth pair (as tests/e2e_live.py does).  No marker may appear in any of them, plain,
base64 (at any alignment), hex, percent-encoded or JSON-escaped, nor the "PTLmk" stem every
marker shares; the allowed parts (scheme names, users, parameter and cookie names, the
redacted URIs) must appear.
"""
import base64
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import ptltest

SAMPLES = ptltest.source_dir() / "samples"
CAPTURE = SAMPLES / "secrets.pcap"
STEM = "PTLmk"          # every marker contains it
PTY_TIMEOUT_S = 60

sys.dont_write_bytecode = True  # keep samples/gen free of __pycache__
sys.path.insert(0, str(SAMPLES))
from gen.scenarios import secrets as scenario  # noqa: E402

tally = ptltest.Tally()

# redacted request-targets the HTTP dissector must show for the marker requests
URIS = ["/app;jsessionid=*/page;JSESSIONID=*?view=*", "/oauth/callback?code=*&state=*",
        "/sso?jwt=*", "/reset?password=*&user=*", "/spa", "http://upstream.example/status"]
FACTS = ["HTTP other", "HTTP Basic user alice", "HTTP Bearer token",
         "HTTP Digest user digestuser", "AMQP PLAIN user amqpuser",
         "AMQP AMQPLAIN user amqplainuser", "ZooKeeper digest user zkuser"]


def check(name, condition, detail=""):
    tally.check(condition, name, detail)


def base64_cores(raw):
    """The part of base64(raw) that is the same wherever raw sits in a longer string."""
    cores = []
    for shift in range(3):
        text = base64.b64encode(b"\0" * shift + raw + b"\0\0").decode()
        start = 4 if shift else 0
        core = text[start:len(text) - 4]
        cores += [core, core.replace("+", "-").replace("/", "_")]
    return [c for c in cores if len(c) >= 8]


def encodings(marker):
    raw = marker.encode()
    forms = {marker, raw.hex(), raw.hex().upper(), urllib.parse.quote(marker, safe=""),
             json.dumps(marker)[1:-1], json.dumps(marker, ensure_ascii=False)[1:-1],
             marker.replace("/", "\\/")}
    forms.update(base64_cores(raw))
    return forms


def terminal_on_pty(args):
    """portolan's terminal report as a terminal sees it: with colour."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([ptltest.portolan_binary(), *args], stdout=follower,
                            stderr=subprocess.PIPE)
    os.close(follower)
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], PTY_TIMEOUT_S)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:     # EIO: the other side closed
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    proc.wait(timeout=PTY_TIMEOUT_S)
    return out.decode("utf-8", "replace")


def analyze_outputs(tmp):
    base = ["analyze", *ptltest._plugin_args(), "--no-progress"]
    json_path, flows_path = tmp / "report.json", tmp / "flows.jsonl"
    outputs = {
        "terminal piped": ptltest.run_portolan(base + [str(CAPTURE)]),
        "terminal --no-color": ptltest.run_portolan(base + ["--no-color", str(CAPTURE)]),
        # the terminal details a few findings per group: list the credential ones
        "terminal --kind cleartext-credentials": ptltest.run_portolan(
            base + ["--no-color", "--kind", "cleartext-credentials", str(CAPTURE)]),
        "terminal --json - --flows file": ptltest.run_portolan(
            base + ["--json", "-", "--flows", str(flows_path), str(CAPTURE)]),
    }
    ptltest.run_portolan(base + ["-q", "--json", str(json_path), str(CAPTURE)])
    outputs["--json"] = json_path.read_text()
    outputs["--flows"] = flows_path.read_text()
    if ptltest.supports_records():
        records_path = tmp / "records.jsonl"
        ptltest.run_portolan(base + ["-q", "--records", str(records_path), str(CAPTURE)])
        outputs["--records"] = records_path.read_text()
        check("--records holds records", outputs["--records"].strip() != "")
    outputs["terminal colour"] = terminal_on_pty(base + [str(CAPTURE)])
    check("the pty run is coloured", "\033[" in outputs["terminal colour"],
          outputs["terminal colour"][:200])
    return outputs


def live_outputs(tmp):
    """`portolan live` on a veth pair, the capture replayed into it; {} when not possible."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("note: live outputs not checked (needs root and iproute2)")
        return {}
    import e2e_live as live
    try:
        live.make_link()
    except subprocess.CalledProcessError as e:
        live.remove_link()
        print("note: live outputs not checked: %s" % e.stderr.strip())
        return {}
    try:
        events, report = tmp / "live.events.jsonl", tmp / "live.json"
        packets, _ = live.count_packets(str(CAPTURE))
        proc, err = live.start_live(live.IF_B, ["-c", str(packets), "--duration",
                                                str(live.RUN_LIMIT_S), "--events", str(events),
                                                "--json", str(report)], str(tmp), "secrets")
        live.replay(live.replayer(str(tmp)), str(CAPTURE))
        status, text = live.finish(proc, err)
    finally:
        live.remove_link()
    check("live ran", report.exists(), "status %s: %s" % (status, text[-300:]))
    outputs = {"live stderr": text}
    if events.exists():
        outputs["live --events"] = events.read_text()
    if report.exists():
        outputs["live --json"] = report.read_text()
        check("live saw the credentials", "cleartext-credentials" in outputs.get(
            "live --events", ""), "no cleartext-credentials event")
    return outputs


def check_no_marker(outputs):
    check("outputs collected", len(outputs) >= 6, sorted(outputs))
    for where, text in outputs.items():
        check(f"{where}: no marker stem", STEM not in text,
              text[max(0, text.find(STEM) - 80):text.find(STEM) + 80])
        for name, marker in scenario.MARKERS.items():
            leaked = sorted(form for form in encodings(marker) if form in text)
            check(f"{where}: no {name}", not leaked, f"found {leaked}")


def all_strings(node, out):
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(key)
            all_strings(value, out)
    elif isinstance(node, list):
        for value in node:
            all_strings(value, out)
    elif isinstance(node, str):
        out.add(node)
    return out


def check_allowed(outputs):
    strings = set()
    for line in outputs["--flows"].splitlines():
        all_strings(json.loads(line), strings)
    text = "\n".join(sorted(strings))
    for allowed in scenario.ALLOWED:
        check(f"--flows shows {allowed!r}", allowed in strings or allowed in text)
    for uri in URIS:
        check(f"--flows shows the redacted target {uri}", uri in strings)
    for fact in FACTS:
        check(f"--flows facts name {fact!r}", fact in strings)
    report = json.loads(outputs["--json"])
    messages = " ".join(f["message"] for f in report["findings"])
    for fact in ("HTTP other", "AMQP PLAIN user amqpuser", "ZooKeeper digest user zkuser"):
        check(f"--json finding names {fact!r}", fact in messages, messages[:300])
        # the terminal wraps messages at 100 columns: compare with the line breaks folded
        terminal = " ".join(outputs["terminal --kind cleartext-credentials"].split())
        check(f"terminal names {fact!r}", fact in terminal)


def main():
    if not CAPTURE.exists():
        ptltest.die_skipped("samples/secrets.pcap is missing")
    with tempfile.TemporaryDirectory(prefix="ptl-e2e-secrets-") as tmp_name:
        tmp = Path(tmp_name)
        outputs = analyze_outputs(tmp)
        check_allowed(outputs)
        outputs.update(live_outputs(tmp))
        check_no_marker(outputs)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
