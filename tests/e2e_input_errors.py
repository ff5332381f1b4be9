#!/usr/bin/env python3
"""Wrong input is refused with its place, before any analysis starts (exit 2, one line on
stderr naming the option or file:line, nothing on stdout): option values out of range,
options that contradict each other, outputs that cannot be written, unknown product
names (and names that differ only in case, taken with a note), every inventory
directive, rule files with an unterminated string.  And no quiet oddities: a 0-byte
/proc file is read for what it holds, a capture of zero-length records is reported as
such (warning with counts, JSON count) and read quickly.
"""
import gzip
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ptltest

SAMPLE = ptltest.source_dir() / "samples" / "cluster.pcap"
TALLY = ptltest.Tally()


def check(name, condition, detail=""):
    TALLY.check(condition, name, detail)


def run(command, *args):
    """portolan COMMAND ARGS, with the test's plugin directory for analyze."""
    extra = ptltest._plugin_args() if command == "analyze" else []
    return subprocess.run([ptltest.portolan_binary(), command, *extra, *args],
                          capture_output=True, text=True, timeout=ptltest.RUN_TIMEOUT_S)


def refused(name, proc, *words):
    """Exit 2, one stderr line holding every word, no report on stdout."""
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    ok = (proc.returncode == 2 and len(lines) == 1 and all(w in lines[0] for w in words)
          and proc.stdout == "")
    check(name, ok, f"status {proc.returncode}, stderr {proc.stderr!r}, stdout {proc.stdout[:80]!r}")


def analyze(*args):
    return run("analyze", "--no-progress", "-q", *args, str(SAMPLE))


def test_option_ranges(tmp):
    cases = [
        ("--tcp-timeout", "-5", "1..604800"), ("--tcp-timeout", "0", "1..604800"),
        ("--tcp-timeout", "10x", "1..604800"), ("--udp-timeout", "0", "1..604800"),
        ("--udp-timeout", "604801", "1..604800"), ("--max-flows", "0", "1..100000000"),
        ("--max-flows", "-1", "1..100000000"), ("--max-flows", "100000001", "1..100000000"),
    ]
    for flag, value, allowed in cases:
        refused(f"analyze {flag} {value}", analyze(flag, value), flag, f"'{value}'", allowed)
    ok = analyze("--tcp-timeout", "1", "--udp-timeout", "604800", "--max-flows", "1")
    check("edges of the ranges are accepted", ok.returncode in (0, 1), ok.stderr)
    # live checks its numbers before it opens the interface: no root needed for this
    live = [
        ("-s", "-1", "0..262144"), ("-s", "262145", "0..262144"), ("-B", "0", "1..1048576"),
        ("-c", "0", "1.."), ("-c", "-3", "1.."), ("--duration", "0", "0.001..1000000000"),
        ("--duration", "nan", "0.001..1000000000"), ("--duration", "-1", "0.001..1000000000"),
        ("-C", "0", "1..1048576"), ("-W", "0", "1..1000000"),
        ("--stats-interval", "-1", "0..86400"), ("--stats-interval", "86401", "0..86400"),
        ("--tcp-timeout", "0", "1..604800"), ("--max-flows", "0", "1..100000000"),
    ]
    for flag, value, allowed in live:
        proc = run("live", "-i", "ptl-nonexistent0", flag, value)
        refused(f"live {flag} {value}", proc, flag, f"'{value}'", allowed)


def test_conflicts(tmp):
    refused("--json - --flows -", analyze("--json", "-", "--flows", "-"),
            "--json -", "--flows -", "standard output")
    same = str(tmp / "same.json")
    refused("--json and --flows to one file", analyze("--json", same, "--flows", same),
            "same file")
    ok = analyze("--no-rules", "--fail-on", "never")
    check("--no-rules --fail-on never is accepted (bench/run)", ok.returncode == 0, ok.stderr)
    refused("--progress --no-progress", analyze("--progress", "--no-progress"), "contradict")
    for command in ("analyze", "plugins", "rules"):
        args = [str(SAMPLE)] if command == "analyze" else ["list"] if command == "rules" else []
        proc = run(command, "--plugin-dir", f"{tmp}/no-such-dir", *args)
        refused(f"{command} --plugin-dir missing", proc, "--plugin-dir", "no such directory")
    refused("--no-dissectors --plugin-dir",
            run("analyze", "--no-dissectors", "--plugin-dir", str(tmp), str(SAMPLE)),
            "--no-dissectors", "--plugin-dir")
    inventory = tmp / "plain.inventory"
    inventory.write_text("nodes 10.20.0.11\n")
    for extra in (["--product", "sisense"], ["--inventory", str(inventory)],
                  ["--nodes", "10.0.0.1"], ["--admins", "10.0.0.1"], ["--clients", "10.0.0.1"],
                  ["--set", "wso2-das.offset=1"], ["--site", str(inventory)],
                  ["--rules-dir", str(tmp)]):
        refused(f"--no-rules {extra[0]}", analyze("--no-rules", *extra), "--no-rules", extra[0])
    proc = run("live", "-i", "ptl-nonexistent0", "--events", "-", "--json", "-")
    refused("live --events - --json -", proc, "--events -", "standard output")
    proc = run("live", "-i", "ptl-nonexistent0", "--no-rules", "--events", str(tmp / "e.jsonl"))
    refused("live --no-rules --events", proc, "--no-rules", "--events")


def test_unwritable_outputs(tmp):
    for flag in ("--json", "--flows"):
        missing = f"{tmp}/no-such-dir/out.json"
        refused(f"{flag} into a missing directory", analyze(flag, missing), flag, missing,
                "cannot write")
        refused(f"{flag} to a directory", analyze(flag, str(tmp)), flag, str(tmp),
                "Is a directory")
    if os.path.exists("/proc/version"):
        refused("--json to /proc/version", analyze("--json", "/proc/version"), "/proc/version",
                "cannot write")
    proc = analyze("--json", str(tmp / "fresh.json"), "--json", str(tmp / "fresh.json"))
    check("a writable --json is written", proc.returncode in (0, 1) and
          json.loads((tmp / "fresh.json").read_text())["capture"]["packets"] > 0, proc.stderr)
    probe = tmp / "never-written.json"
    analyze("--json", str(probe), "--tcp-timeout", "0")
    check("the start-up check leaves no file behind", not probe.exists(), "")


def test_product_names(tmp):
    proc = analyze("--product", "Sisense")
    check("--product Sisense: taken with a note", proc.returncode in (0, 1) and
          "note: --product 'Sisense' taken as 'sisense'" in proc.stderr, proc.stderr)
    proc = run("analyze", "--no-progress", "--json", "-", "--product", "WSO2-DAS", str(SAMPLE))
    check("--product WSO2-DAS selects wso2-das", proc.returncode in (0, 1) and
          "taken as 'wso2-das'" in proc.stderr, proc.stderr)
    refused("--product nope", analyze("--product", "nope"), "--product", "unknown product 'nope'",
            "known: clustron-dkv, impala, sisense, thoughtspot, wso2-das")
    refused("--product sisens", analyze("--product", "sisens"), "unknown product 'sisens'")
    listed = run("rules", "list", "--product", "Impala")
    check("rules list --product Impala", listed.returncode == 0 and "impala" in listed.stdout
          and "taken as 'impala'" in listed.stderr, listed.stderr)
    refused("rules list --product nope", run("rules", "list", "--product", "nope"),
            "unknown product 'nope'", "known:")
    refused("rules check --product", run("rules", "check", "--product", "sisense"),
            "--product")
    refused("--set WSO2-DAS.offset=1", analyze("--set", "WSO2-DAS.offset=1"), "--set",
            "unknown product 'WSO2-DAS' (did you mean 'wso2-das'?)")


def test_inventory_lines(tmp):
    bad = [
        ("product sisens", "unknown product 'sisens'"),
        ("product sisense, nope", "unknown product 'nope'"),
        ("set sisense.nope=1", "has no parameter 'nope'"),
        ("set wso2-da.offset=1", "unknown product 'wso2-da'"),
        ("set wso2-das.offset=99999", "not a number 0..65535"),
        ("set wso2-das.offset", "PRODUCT.PARAM=VALUE"),
        ("host listener.logz.i = 203.0.113.50", "no rule names this host"),
        ("host listener.logz.io = nowhere", "'nowhere' is not an address"),
        ("host listener.logz.io 203.0.113.50", "NAME = ADDRESS"),
        ("nodes 10.0.0.9-10.0.0.1", "reversed"),
        ("nodes 10.0.0.0/33", "0..32"),
        ("admins 10.0.0.256", "'10.0.0.256'"),
        ("clients", "needs a value"),
        ("Nodes 10.0.0.1", "unknown keyword 'Nodes'"),
        ("set wso2-das.offset=1\nset wso2-das.offset=2", "set twice (first on line 3)"),
    ]
    for i, (line, words) in enumerate(bad):
        path = tmp / f"bad-{i}.inventory"
        path.write_text("# a customer's inventory\nnodes 10.20.0.11-10.20.0.13\n" + line + "\n")
        where = f"{path}:{3 + line.count(chr(10))}:"
        refused(f"inventory '{line}'", analyze("--inventory", str(path)), where, words)
    good = tmp / "capital.inventory"
    good.write_text("product Sisense\nnodes 10.20.0.11-10.20.0.13\n")
    proc = run("analyze", "--no-progress", "--json", "-", "--inventory", str(good), str(SAMPLE))
    rep = json.loads(proc.stdout) if proc.stdout.strip() else {}
    check("inventory 'product Sisense': taken, with its line",
          proc.returncode in (0, 1) and f"{good}:1: product 'Sisense' taken as 'sisense'"
          in proc.stderr and rep.get("capture"), proc.stderr)
    refused("--set typo", analyze("--set", "wso2-das.ofset=1"), "--set", "no parameter 'ofset'")


def test_rules_check_strings(tmp):
    head = "product demo\n"
    row = "80 | tcp | http | web | inbound | any | external | | Web | row 1\n"
    cases = [
        ('title "unterminated\nseed demo.txt\n', 2, "unterminated string"),
        ('title "cut # here\nseed demo.txt\n', 2, "unterminated string"),
        ('title Demo"\nseed demo.txt\n', 2, "stray"),
        ('title "a"\ntitle "b"\nseed demo.txt\n', 3, "second 'title'"),
        ('seed demo.txt\n' + row + 'param late = 1\n', 4, "before the first rule"),
    ]
    for i, (body, line, words) in enumerate(cases):
        path = tmp / f"bad-{i}.rules"
        path.write_text(head + body + ("" if "row 1" in body else row))
        proc = run("rules", "check", str(path))
        check(f"rules check: {words} at line {line}", proc.returncode == 2 and
              f"{path}:{line}: " in proc.stderr and words in proc.stderr, proc.stderr)
    quoted = tmp / "quoted.rules"
    quoted.write_text(head + 'title "Demo #1 | ports"  # comment\nseed demo.txt\n' + row)
    proc = run("rules", "check", str(quoted))
    check("rules check: '#' and '|' inside quotes", proc.returncode == 0, proc.stderr)
    site = tmp / "late-product.rules"
    site.write_text("443 | tcp | tls | web | inbound | any | external | | Web |\nproduct sisense\n")
    refused("site: product after rules", analyze("--site", str(site)), f"{site}:2:",
            "before the first rule")


def test_odd_files(tmp):
    if os.path.exists("/proc/self/status"):
        proc = analyze_file("/proc/self/status")
        check("/proc/self/status is read, not called empty", proc.returncode == 2 and
              "not a pcap or pcapng capture (starts with 4e 61 6d 65)" in proc.stderr and
              "empty" not in proc.stderr, proc.stderr)
    proc = subprocess.run([ptltest.portolan_binary(), "-r", "-"], capture_output=True, text=True,
                          cwd=tmp, stdin=subprocess.DEVNULL, timeout=ptltest.RUN_TIMEOUT_S)
    check("-r - says standard input is not read", proc.returncode == 2 and
          "not read from standard input" in proc.stderr, proc.stderr)
    fifo = tmp / "pipe.pcap"
    os.mkfifo(fifo)
    proc = analyze_file(str(fifo))
    check("a FIFO is named as one", proc.returncode == 2 and "a pipe (FIFO)" in proc.stderr,
          proc.stderr)


def analyze_file(path, *args):
    return run("analyze", "--no-progress", "-q", *args, path)


def test_zero_length_records(tmp):
    """Two real packets among a million zero-length records, gzip'd."""
    packets = [p for p in read_pcap_records(SAMPLE.read_bytes())][:2]
    n_empty = 1_000_000
    path = tmp / "zero-length.pcap.gz"
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(SAMPLE.read_bytes()[:24])
        out.write(packets[0])
        out.write(struct.pack("<IIII", 1, 0, 0, 0) * n_empty)
        out.write(packets[1])
    start = time.monotonic()
    proc = run("analyze", "--no-progress", "--json", "-", "--no-rules", str(path))
    elapsed = time.monotonic() - start
    rep = json.loads(proc.stdout) if proc.stdout.strip() else {}
    files = rep.get("capture", {}).get("files", [{}])
    check("zero-length records counted in the JSON", files[0].get("empty_records") == n_empty
          and files[0].get("packets") == n_empty + 2, files)
    warning = f"{n_empty} of {n_empty + 2} records hold no packet bytes"
    check("zero-length records: a warning with counts", warning in proc.stderr and
          any(warning in w for w in rep.get("capture", {}).get("warnings", [])), proc.stderr)
    check("zero-length records: the real packets still analyzed",
          rep.get("capture", {}).get("packets") == 2, rep.get("capture", {}).get("packets"))
    check("a million zero-length records read in under 10 s", elapsed < 10, f"{elapsed:.1f} s")


def read_pcap_records(data):
    """Classic little-endian pcap: each record's header and bytes, as written."""
    pos = 24
    while pos + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, pos + 8)[0]
        yield data[pos:pos + 16 + caplen]
        pos += 16 + caplen


def test_help_and_man_page_agree(tmp):
    """Every command of portolan --help and every option of every command's --help is in
    the man page, with the same ranges."""
    man = (ptltest.source_dir() / "docs" / "portolan.1").read_text()
    man = re.sub(r"\\f[BIRP]", "", man).replace("\\-", "-")
    top = subprocess.run([ptltest.portolan_binary(), "--help"], capture_output=True,
                         text=True, timeout=60).stdout
    commands = re.findall(r"^  ([a-z]+)\b", top.split("Commands:")[1].split("Examples:")[0],
                          re.M)
    check("portolan --help lists commands", len(commands) >= 5, top)
    for command in commands:
        check(f"man page has the command {command}", f"portolan {command}" in man, command)
    for command in commands:
        if command == "version":
            continue
        text = run(command, "--help-all").stdout
        for line in text.splitlines():
            found = re.match(r"\s+(?:-\w, )?(--[\w-]+)", line)
            if not found or found.group(1) in ("--help", "--help-all", "--help-analysis"):
                continue
            flag = found.group(1)
            short = re.match(r"\s+(-\w), ", line)
            check(f"man page has {command} {flag}",
                  flag in man or (short and f"{short.group(1)} " in man), line)
            for span in re.findall(r"\b\d+(?:\.\d+)?\.\.\d+\b", line):
                check(f"man page has the range {span} of {flag}", span in man, line)


def main():
    if not SAMPLE.exists():
        ptltest.die_skipped(f"{SAMPLE} is missing")
    with tempfile.TemporaryDirectory() as tmp:
        for test in (test_option_ranges, test_conflicts, test_unwritable_outputs,
                     test_product_names, test_inventory_lines, test_rules_check_strings,
                     test_odd_files, test_zero_length_records, test_help_and_man_page_agree):
            test(Path(tmp))
    return TALLY.finish()


if __name__ == "__main__":
    sys.exit(main())
