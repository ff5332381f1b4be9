"""Shared helpers for the python end-to-end tests: find and run portolan, read its
--flows output, name flows, count results.

Environment (set by tests/meson.build): PORTOLAN = the built binary, PTL_SOURCE_DIR =
repo root, PTL_BUILD_DIR = build dir; PTL_PLUGIN_DIR (optional) = extra module dir.
"""
import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP_EXIT = 77      # meson counts this exit status as "skipped"
RUN_TIMEOUT_S = 60  # one capture; the biggest shared one takes a few seconds


def die_skipped(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP_EXIT)


def source_dir():
    return Path(os.environ.get("PTL_SOURCE_DIR", Path(__file__).resolve().parent.parent))


def shared_captures_dir():
    """The shared real captures, or None when ../shared is not there."""
    path = source_dir().parent / "shared" / "captures"
    return path if path.is_dir() else None


def sample_captures():
    """Every samples/*.pcap present now (another tool generates them)."""
    return sorted((source_dir() / "samples").glob("*.pcap"))


def portolan_binary():
    path = os.environ.get("PORTOLAN")
    if not path or not os.access(path, os.X_OK):
        die_skipped("PORTOLAN is not set to an executable portolan binary")
    return path


def _plugin_args():
    plugin_dir = os.environ.get("PTL_PLUGIN_DIR")
    return ["--plugin-dir", plugin_dir] if plugin_dir else []


def run_portolan(args):
    """Run portolan with args; return stdout. Exit 0 or 1 (findings) is success."""
    cmd = [portolan_binary(), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def flows(capture):
    """One dict per flow of portolan's --flows JSON lines (content only, no rules)."""
    out = run_portolan(["analyze", *_plugin_args(), "--no-rules", "-q", "--no-progress",
                        "--flows", "-", str(capture)])
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def supports_records():
    """Whether this portolan has `analyze --records FILE` (ABI 2 records)."""
    proc = subprocess.run([portolan_binary(), "analyze", "--help"], capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_S)
    return "--records" in proc.stdout + proc.stderr


def flows_and_records(capture):
    """(flows, records) of capture: the --flows JSON lines and the --records JSON lines."""
    with tempfile.TemporaryDirectory(prefix="ptl-records-") as tmp:
        path = Path(tmp) / "records.jsonl"
        out = run_portolan(["analyze", *_plugin_args(), "--no-rules", "-q", "--no-progress",
                            "--flows", "-", "--records", str(path), str(capture)])
        text = path.read_text() if path.exists() else ""
    flows_out = [json.loads(line) for line in out.splitlines() if line.strip()]
    return flows_out, [json.loads(line) for line in text.splitlines() if line.strip()]


def plugins():
    """portolan's 'plugins --json' entries: name, default_ports ... of each loaded module."""
    return json.loads(run_portolan(["plugins", *_plugin_args(), "--json"]))["plugins"]


def loaded_dissectors():
    return {p["name"] for p in plugins()}


def endpoint(ip, port):
    """'10.0.0.1:80' or '[2001:db8::1]:80', with the address in canonical form."""
    addr = ipaddress.ip_address(ip)
    return f"[{addr.compressed}]:{port}" if addr.version == 6 else f"{addr}:{port}"


def flow_name(flow):
    """'client > server' as portolan saw the flow."""
    return (f"{endpoint(flow['client']['ip'], flow['client']['port'])} > "
            f"{endpoint(flow['server']['ip'], flow['server']['port'])}")


def flow_key(a, b):
    """Direction-free key of a flow from its two endpoint names."""
    return tuple(sorted((a, b)))


def portolan_flow_key(flow):
    return flow_key(endpoint(flow["client"]["ip"], flow["client"]["port"]),
                    endpoint(flow["server"]["ip"], flow["server"]["port"]))


def app(flow, protocol):
    """The dissector's object for protocol, {} when absent."""
    return (flow.get("app") or {}).get(protocol) or {}


class Tally:
    """Counts checks, prints each failure, ends with the 'N passed, N failed' line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def check(self, is_ok, what, detail=""):
        if is_ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {detail}" if detail else ""))
        return is_ok

    def skip(self, what, why):
        self.skipped += 1
        print(f"SKIP {what}: {why}")

    def finish(self):
        """Print the summary; return the exit status (77 when nothing ran)."""
        print(f"{self.passed} passed, {self.failed} failed ({self.skipped} skipped)")
        if self.failed:
            return 1
        return 0 if self.passed else SKIP_EXIT


# --- network namespaces (e2e_live, e2e_real_servers): root only ---------------------------

def sh(*argv, check=True, timeout=RUN_TIMEOUT_S, stdin_text=None):
    """Run argv, capture its text output; raise CalledProcessError when check and it fails."""
    return subprocess.run(list(argv), check=check, capture_output=True, text=True,
                          timeout=timeout, input=stdin_text)


def in_netns(ns, *argv):
    return ["ip", "netns", "exec", ns, *argv]


def netns_unusable_reason():
    """Why this process cannot create network namespaces, or None when it can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces and capture"
    try:
        if sh("ip", "netns", "list", check=False).returncode != 0:
            return "iproute2 'ip netns' is not available"
    except FileNotFoundError:
        return "iproute2 ('ip') is not installed"
    return None


def netns_add(ns):
    """A new namespace with lo up and IPv6 off (no autoconfiguration chatter on the wire)."""
    sh("ip", "netns", "add", ns)
    sh(*in_netns(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1"))
    sh(*in_netns(ns, "ip", "link", "set", "lo", "up"))


def veth_add(ns_a, if_a, ns_b, if_b):
    """A veth pair from ns_a (named if_a) to ns_b (named if_b), both ends up."""
    sh("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b,
       "netns", ns_b)
    sh(*in_netns(ns_a, "ip", "link", "set", if_a, "up"))
    sh(*in_netns(ns_b, "ip", "link", "set", if_b, "up"))


def netns_delete(ns, grace_s=5.0):
    """Stop every process still in ns (all started by the test), then delete ns."""
    def pids():
        out = sh("ip", "netns", "pids", ns, check=False).stdout
        return [int(p) for p in out.split() if p.isdigit()]

    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, grace_s)):
        for pid in pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait_s
        while pids() and time.monotonic() < deadline:
            time.sleep(0.1)
    sh("ip", "netns", "del", ns, check=False)
class Checks:
    """Counts passed and failed checks; prints each failure with its detail."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}")

    def status(self):
        """Prints the tally; the exit status for it."""
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


# --- tshark as the reference (e2e_community_id, e2e_tls_fingerprints) ---------------------

_TSHARK_TUPLE = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "udp.srcport",
                 "tcp.dstport", "udp.dstport"]


def tshark_by_flow(capture, fields, display_filter=None, extra=(), occurrence="f"):
    """direction-free flow key -> [tuple of the fields' values, one per packet], from
    tshark's first occurrence of each field (occurrence="a": all, comma-separated);
    packets without ports are left out."""
    cmd = ["tshark", "-r", str(capture), *extra, "-T", "fields", "-E",
           f"occurrence={occurrence}"]
    if display_filter:
        cmd += ["-Y", display_filter]
    for f in _TSHARK_TUPLE + list(fields):
        cmd += ["-e", f]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    found = {}
    for line in proc.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) != len(_TSHARK_TUPLE) + len(fields):
            continue
        src, dst = (cols[0] or cols[1]).split(",")[0], (cols[2] or cols[3]).split(",")[0]
        sport = (cols[4] or cols[5]).split(",")[0]
        dport = (cols[6] or cols[7]).split(",")[0]
        if not (src and dst and sport and dport):
            continue      # ICMP errors carry the inner tuple: not a flow of their own
        try:
            key = flow_key(endpoint(src, sport), endpoint(dst, dport))
        except ValueError:
            continue
        found.setdefault(key, []).append(tuple(cols[len(_TSHARK_TUPLE):]))
    return found


def reference_captures():
    """The samples, then the shared captures when ../shared is there."""
    captures = sample_captures()
    shared = shared_captures_dir()
    if shared is not None:
        captures += sorted(p for p in shared.rglob("*")
                           if p.name.endswith((".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz")))
    return captures
