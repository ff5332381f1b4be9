#!/usr/bin/env python3
"""TLS after a clear-text start, end to end:

- samples/proto-starttls.pcap (generated): every flow records its protocol sequence
  (`protocols: [<start>, "tls"]`, `protocol: "tls"`), the TLS dissector reads the
  handshake after the switch point (SNI, ALPN, version), the start's own object says the
  upgrade was granted, and nothing is left truncated or in error; the SNI and ALPN equal
  tshark's for every flow tshark decodes;
- rules: with each port documented as `tls`, and again as its clear-text protocol, no
  flow gets a protocol-mismatch; documented as a third protocol, every flow does (so the
  check can fail);
- the shared real captures holding such upgrades (../shared/captures, skipped without
  it): the same sequence, and the SNI tshark finds.
"""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import ptltest

SAMPLE = ptltest.source_dir() / "samples" / "proto-starttls.pcap"
# server port -> (the clear-text start, the member of its object telling the upgrade, value)
UPGRADES = {
    25: ("smtp", "starttls", "granted"), 143: ("imap", "starttls", "granted"),
    110: ("pop3", "starttls", "granted"), 21: ("ftp", "starttls", "granted"),
    389: ("ldap", "starttls", "granted"), 5222: ("xmpp", "starttls", "granted"),
    5432: ("postgresql", "ssl_request", "granted"), 3306: ("mysql", "ssl_request", "sent"),
    3389: ("rdp", "selected_protocol", "hybrid"), 3128: ("http", "upgraded", "tunnel"),
}
# shared capture -> server port of its upgraded flow
SHARED = {"other/zeek-psql-aws-ssl-require.pcap": 5432}

tally = ptltest.Tally()


def tshark_hellos(capture):
    """server port -> (SNI, ALPN list) of each ClientHello tshark decodes."""
    if shutil.which("tshark") is None:
        return None
    out = subprocess.run(["tshark", "-r", str(capture), "-Y", "tls.handshake.type==1", "-T",
                          "fields", "-e", "tcp.dstport", "-e",
                          "tls.handshake.extensions_server_name", "-e",
                          "tls.handshake.extensions_alpn_str"],
                         capture_output=True, text=True, timeout=120).stdout
    hellos = {}
    for line in out.splitlines():
        port, sni, alpn = (line.split("\t") + ["", ""])[:3]
        hellos[int(port)] = (sni, [a for a in alpn.split(",") if a])
    return hellos


def check_upgraded(name, flow, start, key, value, hellos):
    port = flow["server"]["port"]
    what = f"{name} tcp/{port}"
    tally.check(flow.get("protocols") == [start, "tls"], f"{what} protocols",
                str(flow.get("protocols")))
    tally.check(flow.get("protocol") == "tls", f"{what} protocol", str(flow.get("protocol")))
    tally.check("upgrade_tls" in (flow.get("facts") or {}), f"{what} upgrade_tls fact")
    tally.check(ptltest.app(flow, start).get(key) == value, f"{what} {start}.{key}",
                json.dumps(ptltest.app(flow, start)))
    tls = ptltest.app(flow, "tls")
    tally.check(bool(tls.get("sni")) and bool(tls.get("version")), f"{what} TLS dissected",
                json.dumps(tls))
    tally.check("dissector_error" not in flow and not flow.get("truncated"),
                f"{what} clean", str(flow.get("dissector_error")))
    if hellos is not None and port in hellos:
        sni, alpn = hellos[port]
        tally.check(tls.get("sni") == sni, f"{what} SNI equals tshark's",
                    f"{tls.get('sni')} vs {sni}")
        if alpn:
            tally.check(tls.get("alpn_offered") == alpn, f"{what} ALPN equals tshark's",
                        f"{tls.get('alpn_offered')} vs {alpn}")
    return tls.get("sni")


def check_sample():
    hellos = tshark_hellos(SAMPLE)
    flows = {f["server"]["port"]: f for f in ptltest.flows(SAMPLE) if f.get("transport") == "tcp"}
    tally.check(set(flows) == set(UPGRADES), "one flow per upgrade", str(sorted(flows)))
    for port, (start, key, value) in UPGRADES.items():
        if port in flows:
            sni = check_upgraded("proto-starttls", flows[port], start, key, value, hellos)
            want = "repo.cluster.local" if start == "http" else f"{start}.cluster.local"
            tally.check(sni == want, f"tcp/{port} SNI after the upgrade", str(sni))


def mismatches(rules_dir, protocol_of):
    lines = ['product  upgrades', 'title    "Upgrade test ports"', 'seed     none.txt']
    for port, (start, _, _) in sorted(UPGRADES.items()):
        lines.append(f"{port} | tcp | {protocol_of(start)} | svc-{port} | inbound | nodes | "
                     f"internal | | test | row {port}")
    (rules_dir / "upgrades.rules").write_text("\n".join(lines) + "\n")
    report = json.loads(ptltest.run_portolan([
        "analyze", *ptltest._plugin_args(), "-q", "--no-progress", "--rules-dir",
        str(rules_dir), "--product", "upgrades", "--nodes", "10.20.0.11-10.20.0.12",
        "--json", "-", str(SAMPLE)]))
    return {f["port"] for f in report.get("findings", []) if f["kind"] == "protocol-mismatch"}


def check_rules():
    with tempfile.TemporaryDirectory(prefix="portolan-upgrades-") as tmp:
        rules_dir = Path(tmp)
        got = mismatches(rules_dir, lambda start: "tls")
        tally.check(not got, "rules expecting tls: no protocol-mismatch", str(sorted(got)))
        got = mismatches(rules_dir, lambda start: start)
        tally.check(not got, "rules expecting the clear-text start: no protocol-mismatch",
                    str(sorted(got)))
        got = mismatches(rules_dir, lambda start: "amqp")
        tally.check(got == set(UPGRADES), "rules expecting amqp: a mismatch on every flow",
                    str(sorted(got)))


def check_shared():
    shared = ptltest.shared_captures_dir()
    if shared is None:
        tally.skip("shared captures", "../shared/captures is not there")
        return
    for path, port in SHARED.items():
        capture = shared / path
        flows = [f for f in ptltest.flows(capture) if f["server"]["port"] == port
                 and f.get("protocols")]
        if not tally.check(len(flows) == 1, f"{path}: one upgraded flow", str(len(flows))):
            continue
        start = flows[0]["protocols"][0]
        key, value = next((k, v) for s, k, v in UPGRADES.values() if s == start)
        check_upgraded(path, flows[0], start, key, value, tshark_hellos(capture))


def main():
    if not SAMPLE.exists():
        ptltest.die_skipped(f"{SAMPLE} is missing (run samples/generate)")
    check_sample()
    check_rules()
    check_shared()
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
