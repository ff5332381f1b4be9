"""--format eve|zeek|ecs on every sample: the members and types each tool documents
(Suricata eve.json flow and alert events, Zeek conn.log/notice.log TSV, ECS 8.x field
names from the list below), the flow counts equal to portolan's own lines, and an
unknown format name refused with exit 2."""
import json
import subprocess
import sys

import ptltest

EVE_FLOW = {"timestamp": str, "flow_id": int, "event_type": str, "src_ip": str,
            "src_port": int, "dest_ip": str, "dest_port": int, "proto": str,
            "flow": dict, "community_id": str}
EVE_FLOW_FLOW = {"pkts_toserver": int, "pkts_toclient": int, "bytes_toserver": int,
                 "bytes_toclient": int, "start": str, "end": str, "age": int, "state": str,
                 "reason": str, "alerted": bool}
EVE_ALERT = {"action": str, "gid": int, "signature_id": int, "rev": int, "signature": str,
             "category": str}
ZEEK_TYPES = {"time", "string", "addr", "port", "enum", "interval", "count", "bool",
              "set[string]", "set[enum]"}
ZEEK_CONN_STATES = {"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH",
                    "SH", "SHR", "OTH"}
# ECS 8.x reference fields used (https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html)
ECS_FIELDS = {
    "@timestamp", "message", "ecs.version", "observer.product", "observer.type",
    "event.kind", "event.category", "event.type", "event.module", "event.dataset",
    "event.start", "event.end", "event.duration", "event.id", "event.severity",
    "source.ip", "source.address", "source.port", "source.bytes", "source.packets",
    "destination.ip", "destination.address", "destination.port", "destination.bytes",
    "destination.packets", "client.ip", "client.address", "client.port", "client.bytes",
    "client.packets", "server.ip", "server.address", "server.port", "server.bytes",
    "server.packets", "network.transport", "network.type", "network.protocol",
    "network.community_id", "network.bytes", "network.packets", "network.vlan.id",
    "rule.name", "rule.category", "rule.ruleset", "rule.id",
}
ECS_ALLOWED = {"event.kind": {"event", "alert"}, "network.transport": {"tcp", "udp"},
               "network.type": {"ipv4", "ipv6"}}


def run(capture, fmt, inventory):
    args = ["analyze", "-q", "--no-progress", "--format", fmt, "--flows", "-", str(capture)]
    if inventory.exists():
        args += ["-I", str(inventory)]
    return ptltest.run_portolan(args)


def flatten(doc, prefix=""):
    for key, value in doc.items():
        name = prefix + key
        if isinstance(value, dict):
            yield from flatten(value, name + ".")
        else:
            yield name, value


def check_types(tally, what, doc, spec):
    for key, kind in spec.items():
        tally.check(isinstance(doc.get(key), kind) and not (kind is int and
                    isinstance(doc.get(key), bool)), f"{what}: {key} is {kind.__name__}",
                    repr(doc.get(key)))


def check_eve(tally, name, out, lines):
    events = [json.loads(line) for line in out.splitlines()]
    flows = [e for e in events if e["event_type"] == "flow"]
    alerts = [e for e in events if e["event_type"] == "alert"]
    tally.check(len(flows) == len(lines), f"{name} eve: one flow event per flow line")
    tally.check(len(alerts) == sum(len(l.get("findings") or []) for l in lines),
                f"{name} eve: one alert per finding")
    for e in flows[:50]:
        check_types(tally, f"{name} eve flow {e['flow_id']}", e, EVE_FLOW)
        check_types(tally, f"{name} eve flow {e['flow_id']} flow", e["flow"], EVE_FLOW_FLOW)
        tally.check(e["proto"] in ("TCP", "UDP") and e["flow"]["state"] in
                    ("new", "established", "closed") and e["flow"]["reason"] in
                    ("timeout", "forced", "shutdown"), f"{name} eve: proto, state, reason")
        tally.check(e["timestamp"].endswith("+0000"), f"{name} eve: Suricata's time zone form")
    for e in alerts[:50]:
        check_types(tally, f"{name} eve alert", e["alert"], EVE_ALERT)
        tally.check(e["alert"]["signature"].startswith("portolan "), f"{name} eve signature")


def zeek_blocks(out):
    """[(path, fields, types, rows)] as zeek-cut reads a stream: by its #fields"""
    blocks = []
    for line in out.splitlines():
        if line.startswith("#path\t"):
            blocks.append({"path": line.split("\t")[1], "rows": [], "closed": False})
        elif line.startswith("#fields\t"):
            blocks[-1]["fields"] = line.split("\t")[1:]
        elif line.startswith("#types\t"):
            blocks[-1]["types"] = line.split("\t")[1:]
        elif line.startswith("#close\t"):
            blocks[-1]["closed"] = True
        elif not line.startswith("#"):
            blocks[-1]["rows"].append(line.split("\t"))
    return blocks


def check_zeek(tally, name, out, lines):
    tally.check(out.startswith("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                               "#unset_field\t-\n#path\tconn\n#open\t"),
                f"{name} zeek: the header Zeek writes", out[:120])
    blocks = zeek_blocks(out)
    conn = blocks[0]
    tally.check(len(conn["rows"]) == len(lines) and conn["closed"],
                f"{name} zeek: one conn row per flow, #close")
    notices = sum(len(l.get("findings") or []) for l in lines)
    tally.check((notices == 0 and len(blocks) == 1) or
                (len(blocks) == 2 and blocks[1]["path"] == "notice" and
                 len(blocks[1]["rows"]) == notices), f"{name} zeek: notice.log rows")
    for b in blocks:
        tally.check(len(b["fields"]) == len(b["types"]) and set(b["types"]) <= ZEEK_TYPES,
                    f"{name} zeek {b['path']}: #fields and #types agree")
        tally.check(all(len(r) == len(b["fields"]) for r in b["rows"]),
                    f"{name} zeek {b['path']}: every row has every column")
    # zeek-cut style: columns picked by name from #fields
    col = {f: i for i, f in enumerate(conn["fields"])}
    for row, line in zip(conn["rows"], lines):
        picked = [row[col[f]] for f in ("id.orig_h", "id.resp_p", "conn_state", "community_id")]
        tally.check(picked[0] == line["client"]["ip"] and int(picked[1]) ==
                    line["server"]["port"] and picked[2] in ZEEK_CONN_STATES and
                    picked[3] == line["community_id"], f"{name} zeek-cut columns", str(picked))
        float(row[col["ts"]]), float(row[col["duration"]])


def check_ecs(tally, name, out, lines):
    docs = [json.loads(line) for line in out.splitlines()]
    flows = [d for d in docs if d["event"]["kind"] == "event"]
    tally.check(len(flows) == len(lines), f"{name} ecs: one document per flow")
    for d in docs[:80]:
        fields = dict(flatten({k: v for k, v in d.items() if k != "portolan"}))
        unknown = sorted(set(fields) - ECS_FIELDS)
        tally.check(not unknown, f"{name} ecs: only ECS fields outside portolan.*", unknown)
        for key, allowed in ECS_ALLOWED.items():
            if key in fields:
                tally.check(fields[key] in allowed, f"{name} ecs {key}", fields[key])
        tally.check(isinstance(d["event"]["category"], list) and
                    isinstance(d["event"]["type"], list), f"{name} ecs: category, type arrays")
        if d["event"]["kind"] == "alert":
            tally.check("rule" in d and d["rule"]["name"], f"{name} ecs alert: rule.name")


def main():
    tally = ptltest.Tally()
    proc = subprocess.run([ptltest.portolan_binary(), "analyze", "--format", "xml", "--flows",
                           "-", str(ptltest.sample_captures()[0])], capture_output=True,
                          text=True, timeout=60)
    tally.check(proc.returncode == 2 and "one of portolan, eve, zeek, ecs" in proc.stderr,
                "unknown --format: exit 2 with the names", proc.stderr.strip())
    sample = ptltest.sample_captures()[0]
    pretty = ptltest.run_portolan(["analyze", "--no-progress", "--json", "-", str(sample)])
    compact = ptltest.run_portolan(["analyze", "--no-progress", "--compact", "--json", "-",
                                    str(sample)])
    drop = ("elapsed_s", "packets_per_second")
    same = [{k: v for k, v in json.loads(t).items() if k not in drop} for t in (pretty, compact)]
    for report in same:  # dissector states are measured by the allocator: not the capture's
        report["flows_summary"].pop("memory_peak_bytes", None)
    tally.check(compact.count("\n") == 1 and pretty.count("\n") > 10 and same[0] == same[1],
                "--compact: the same report on one line")
    for capture in ptltest.sample_captures():
        inventory = capture.with_suffix(".inventory")
        lines = [json.loads(l) for l in run(capture, "portolan", inventory).splitlines()]
        for l in lines:
            tally.check(l["schema"] == "portolan/flow-1" and l["event_type"] == "flow" and
                        l["captures"] == [str(capture)] and
                        l["community_id"].startswith("1:") and l["duration"] >= 0,
                        f"{capture.name}: self-describing flow line")
        check_eve(tally, capture.name, run(capture, "eve", inventory), lines)
        check_zeek(tally, capture.name, run(capture, "zeek", inventory), lines)
        check_ecs(tally, capture.name, run(capture, "ecs", inventory), lines)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
