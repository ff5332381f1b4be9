"""Hostile captures, generated here: clocks that jump (one packet of 2038, 0,
0xffffffff s or the pcapng maximum in a 2024 capture; whole captures at those
stamps), a SYN flood and many flows each holding an unfinished HTTP header.

Clock: the flow is not split, no flow ends idle, the capture's times and duration
stay as without the odd packet, capture.clock_jumps counts it, one warning names
file and packet, the terminal says so, and UBSan reports nothing.
Memory: the peak RSS of the portolan process (wait4) over that of a one-packet
run stays under 300 bytes a flow for the SYN flood and under --memcap for the
HTTP flows, whose report counts what the budget gave up.  RSS bounds are skipped
under AddressSanitizer (its redzones and quarantine are not portolan's).
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import hostile_captures as hc
import ptltest

tally = ptltest.Tally()
SYN_FLOOD_FLOWS = 100_000   # CI-sized; bench/hostile runs a million
HTTP_FLOWS = 20_000         # the 200,000 scaled by 10, with the cap scaled alike
HTTP_MEMCAP = "16M"
HTTP_MEMCAP_BYTES = 16 << 20
MAX_BYTES_PER_FLOW = 300
ODD_PACKET = 20             # 1-based number of the odd packet in the clock captures


def portolan(*args):
    cmd = [ptltest.portolan_binary(), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=ptltest.RUN_TIMEOUT_S)


def report(path, *extra):
    proc = portolan("analyze", "--no-progress", "--fail-on", "never", "--json", "-", *extra,
                    str(path))
    try:
        return proc, json.loads(proc.stdout)
    except ValueError:
        return proc, None


# Runs in a fresh interpreter without site (-S -I, about 8 MiB): a forked child
# inherits its parent's RSS high-water mark, and the test's own is far bigger.  The
# one-packet baseline then reads at most about 1 MiB high: 10 bytes a flow here.
RSS_HELPER = """
import os, sys
pid = os.fork()
if pid == 0:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status))
"""


def peak_rss(*args):
    """Peak RSS in bytes of one portolan run, from the kernel (wait4), and its exit status."""
    out = subprocess.run([sys.executable, "-S", "-I", "-c", RSS_HELPER, ptltest.portolan_binary(), *args],
                         capture_output=True, text=True, timeout=ptltest.RUN_TIMEOUT_S).stdout
    rss, code = out.split()
    return int(rss), int(code)


def is_asan_build():
    out = subprocess.run(["ldd", ptltest.portolan_binary()], capture_output=True, text=True).stdout
    return "libasan" in out


def no_ubsan(proc, what):
    tally.check("runtime error" not in proc.stderr, f"{what}: no UBSan report", proc.stderr[-400:])


def clock_captures(tmp):
    """(name, path, odd stamp) with packet ODD_PACKET of a 40-packet 2024 flow re-stamped."""
    base = list(hc.conversation(hc.T2024_US, 40))
    plain = tmp / "clock-none.pcap"
    hc.write_pcap(plain, base)
    cases = []
    for name, odd_us in (("2038", hc.T2038_US), ("zero", 0), ("u32max", 0xFFFFFFFF * 1_000_000)):
        packets = list(base)
        packets[ODD_PACKET - 1] = (odd_us, packets[ODD_PACKET - 1][1])
        path = tmp / f"clock-{name}.pcap"
        hc.write_pcap(path, packets)
        cases.append((name, path))
    packets = list(base)
    packets[ODD_PACKET - 1] = (2**64 - 1, packets[ODD_PACKET - 1][1])
    path = tmp / "clock-pcapng-max.pcapng"
    hc.write_pcapng(path, packets)
    cases.append(("pcapng maximum", path))
    return plain, cases


def test_clock_jumps(tmp):
    plain, cases = clock_captures(tmp)
    _, want = report(plain)
    if not tally.check(want is not None, "clock: baseline report"):
        return
    for name, path in cases:
        proc, rep = report(path)
        no_ubsan(proc, f"clock {name}")
        if not tally.check(rep is not None, f"clock {name}: report", proc.stderr):
            continue
        cap, flows = rep["capture"], rep["flows_summary"]
        tally.check(cap["clock_jumps"] == 1, f"clock {name}: counted", cap["clock_jumps"])
        tally.check(flows["total"] == 1 and flows["ended_idle"] == 0,
                    f"clock {name}: one flow, none ended idle", flows)
        for key in ("first_ts", "last_ts", "duration_s", "packets"):
            tally.check(cap[key] == want["capture"][key], f"clock {name}: {key} unchanged",
                        f"{cap[key]} != {want['capture'][key]}")
        for key in ("first_ts", "last_ts"):
            got, was = cap["files"][0][key], want["capture"]["files"][0][key]
            tally.check(got == was, f"clock {name}: the file's {key} unchanged", f"{got} != {was}")
        warned = [l for l in proc.stderr.splitlines() if "more than an hour" in l]
        tally.check(len(warned) == 1 and str(path) in warned[0]
                    and f"packet {ODD_PACKET}:" in warned[0], f"clock {name}: warned once",
                    proc.stderr)
        text = portolan("analyze", "--no-progress", "--fail-on", "never", str(path))
        tally.check("1 clock jump" in text.stdout, f"clock {name}: terminal says so",
                    text.stdout[:600])


def test_clock_extremes(tmp):
    """Whole captures at 0, 0xffffffff s and the pcapng maximum: one timeline each."""
    cases = []
    for name, start_us in (("zero", 0), ("u32max", 0xFFFFFFFF * 1_000_000)):
        path = tmp / f"all-{name}.pcap"
        hc.write_pcap(path, hc.conversation(start_us, 12, step_us=0))
        cases.append((name, path))
    path = tmp / "all-max.pcapng"
    hc.write_pcapng(path, ((2**64 - 1, frame) for _, frame in hc.conversation(0, 12)))
    cases.append(("pcapng maximum", path))
    for name, path in cases:
        proc, rep = report(path)
        no_ubsan(proc, f"all at {name}")
        if not tally.check(rep is not None, f"all at {name}: report", proc.stderr):
            continue
        flows = rep["flows_summary"]
        tally.check(rep["capture"]["clock_jumps"] == 0 and rep["capture"]["packets"] == 12,
                    f"all at {name}: no jump", rep["capture"])
        tally.check(flows["total"] == 1 and flows["ended_idle"] == 0,
                    f"all at {name}: one flow, not idle", flows)


def test_syn_flood(tmp, is_asan):
    tiny = tmp / "one-syn.pcap"
    hc.write_pcap(tiny, hc.syn_flood(1))
    flood = tmp / "syn-flood.pcap"
    hc.write_pcap(flood, hc.syn_flood(SYN_FLOOD_FLOWS))
    proc, rep = report(flood, "-q")
    if tally.check(rep is not None, "syn flood: report", proc.stderr):
        tally.check(rep["flows_summary"]["states"] == {"unanswered": SYN_FLOOD_FLOWS},
                    "syn flood: every flow tracked", rep["flows_summary"]["states"])
    if is_asan:
        tally.skip("syn flood: bytes per flow", "AddressSanitizer build")
        return
    args = ["analyze", "-q", "--no-progress", "--fail-on", "never"]
    base, _ = peak_rss(*args, str(tiny))
    peak, code = peak_rss(*args, str(flood))
    tally.check(peak > base > 0, "syn flood: RSS measured", f"{base} {peak}")
    per_flow = (peak - base) / SYN_FLOOD_FLOWS
    print(f"syn flood: {SYN_FLOOD_FLOWS} flows, peak RSS {peak >> 20} MiB, "
          f"{per_flow:.0f} bytes a flow")
    tally.check(code == 0 and per_flow < MAX_BYTES_PER_FLOW, "syn flood: bytes per flow",
                f"{per_flow:.0f} (exit {code})")


def test_http_heads(tmp, is_asan):
    tiny = tmp / "one-syn.pcap"
    heads = tmp / "http-heads.pcap"
    hc.write_pcap(heads, hc.http_heads(HTTP_FLOWS))
    proc, free = report(heads, "-q")
    proc_cap, capped = report(heads, "-q", "--memcap", HTTP_MEMCAP)
    if not (tally.check(free is not None, "http heads: report", proc.stderr)
            and tally.check(capped is not None, "http heads: capped report", proc_cap.stderr)):
        return
    f, c = free["flows_summary"], capped["flows_summary"]
    tally.check(f["memcap_flows_evicted"] == 0 and f["memcap_dropped_bytes"] == 0
                and f["memory_peak_bytes"] > HTTP_MEMCAP_BYTES,
                "http heads: the default budget holds them all", f)
    # flows may hold 3/4 of the cap; the index's bucket array grows without asking
    tally.check(c["memcap_bytes"] == HTTP_MEMCAP_BYTES
                and c["memory_peak_bytes"] <= HTTP_MEMCAP_BYTES * 3 // 4 + (256 << 10),
                "http heads: accounted within --memcap", c["memory_peak_bytes"])
    tally.check(c["total"] == HTTP_FLOWS and c["memcap_flows_evicted"] > 0
                and c["memcap_flows_affected"] >= c["memcap_flows_evicted"]
                and c["memcap_dropped_bytes"] >= 1400 * c["memcap_flows_evicted"],
                "http heads: what was given up is counted", c)
    tally.check("raise --memcap" in proc_cap.stderr, "http heads: warned", proc_cap.stderr)
    text = portolan("analyze", "--no-progress", "--fail-on", "never", "--memcap", HTTP_MEMCAP,
                    str(heads))
    tally.check("memory budget" in text.stdout, "http heads: terminal says so", text.stdout[:600])
    if is_asan:
        tally.skip("http heads: RSS under --memcap", "AddressSanitizer build")
        return
    args = ["analyze", "-q", "--no-progress", "--fail-on", "never", "--memcap", HTTP_MEMCAP]
    base, _ = peak_rss(*args, str(tiny))
    peak, code = peak_rss(*args, str(heads))
    print(f"http heads: {HTTP_FLOWS} flows, --memcap {HTTP_MEMCAP}: peak RSS "
          f"{(peak - base) / 2**20:.1f} MiB over a one-packet run")
    tally.check(code == 0 and peak - base < HTTP_MEMCAP_BYTES, "http heads: RSS under --memcap",
                f"{(peak - base) / 2**20:.1f} MiB")


def test_budget_at_flush(tmp):
    """Headers held behind a hole reach the dissectors only when the capture ends:
    the budget is full then, and nothing may end a flow the flush is about to end."""
    path = tmp / "http-holes.pcap"
    hc.write_pcap(path, hc.http_heads(2000, hole=100))
    proc, rep = report(path, "-q", "--memcap", "256K")
    no_ubsan(proc, "budget at flush")
    if tally.check(rep is not None and proc.returncode == 0, "budget at flush: report",
                   proc.stderr[-600:]):
        f = rep["flows_summary"]
        tally.check(f["total"] == 2000 and f["with_gaps"] == 2000
                    and f["memcap_flows_affected"] > 0, "budget at flush: counted", f)


def test_memcap_option():
    for bad in ("abc", "0", "5T", "12Mx", ""):
        proc = portolan("analyze", "--memcap", bad, str(ptltest.source_dir() / "samples"
                                                        / "cluster.pcap"))
        tally.check(proc.returncode == 2 and "--memcap" in proc.stderr,
                    f"--memcap {bad!r}: refused", proc.stderr)
    for command in ("analyze", "live"):
        help_text = portolan(command, "--help-all").stdout + portolan(command, "--help").stdout
        tally.check("--memcap" in help_text, f"{command} --help: --memcap")


def main():
    is_asan = is_asan_build()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        test_clock_jumps(tmp)
        test_clock_extremes(tmp)
        test_syn_flood(tmp, is_asan)
        test_http_heads(tmp, is_asan)
        test_budget_at_flush(tmp)
        test_memcap_option()
    sys.exit(tally.finish())


if __name__ == "__main__":
    main()
