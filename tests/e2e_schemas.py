#!/usr/bin/env python3
"""Every app object and every record portolan emits conforms to docs/schema.

For every samples/*.pcap and, when present, every capture under ../shared/captures/:
each flow's `app.<dissector>` object must match the `app` schema of
docs/schema/<dissector>.schema.json, and (when this portolan has `analyze --records`)
each record line must carry the core's envelope (kind, ts, flow_id of a reported flow
whose app object is that dissector's) and match the schema of its kind. Every dissector
loaded must have a schema, and every schema's record kinds must be seen at least once
over the samples (a kind no capture produces is a schema nobody checked).
"""
import sys
from collections import Counter
from pathlib import Path

import ptlschema
import ptltest

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz")
ENVELOPE = ("kind", "ts", "flow_id")
SHOWN_PER_KIND = 3          # failures printed per (schema, message): the rest are counted


def captures():
    """[(label, path)]: the samples, then the shared captures when present."""
    runs = [(f"samples/{p.name}", p) for p in ptltest.sample_captures()]
    shared = ptltest.shared_captures_dir()
    if shared is not None:
        for path in sorted(shared.rglob("*")):
            # malformed/: files portolan refuses to open (e2e_input_errors checks them)
            if path.relative_to(shared).parts[0] == "malformed":
                continue
            if path.is_file() and path.name.endswith(CAPTURE_SUFFIXES):
                runs.append((str(path.relative_to(shared)), path))
    return runs


class Validator:
    def __init__(self, tally, schemas):
        self.tally = tally
        self.schemas = schemas
        self.kinds = ptlschema.record_kinds(schemas)
        self.seen_kinds = Counter()
        self.shown = Counter()

    def _report(self, what, problems):
        """One check per object; the first few failures of each sort are printed whole."""
        if not problems:
            self.tally.check(True, what)
            return
        sort = (what.split(" ")[-1], problems[0].split(":", 1)[-1])
        self.shown[sort] += 1
        if self.shown[sort] <= SHOWN_PER_KIND:
            self.tally.check(False, what, "; ".join(problems[:4]))
        else:
            self.tally.failed += 1

    def app(self, label, flow):
        for name, obj in (flow.get("app") or {}).items():
            schema = self.schemas.get(name)
            what = f"{label} {ptltest.flow_name(flow)} app.{name}"
            if not self.tally.check(schema is not None, what,
                                    f"no docs/schema/{name}.schema.json"):
                continue
            self._report(what, ptlschema.errors(obj, schema["app"], f"app.{name}"))

    def record(self, label, record, flows_by_id):
        kind = record.get("kind")
        what = f"{label} record {kind}"
        problems = [f"envelope member {k!r} missing" for k in ENVELOPE if k not in record]
        if kind not in self.kinds:
            self._report(what, problems + [f"kind {kind!r} has no schema"])
            return
        dissector, schema = self.kinds[kind]
        flow = flows_by_id.get(record.get("flow_id"))
        if flow is None:
            problems.append(f"flow_id {record.get('flow_id')!r} is no reported flow")
        elif dissector not in (flow.get("app") or {}):
            problems.append(f"flow {record.get('flow_id')} has no app.{dissector}")
        if not isinstance(record.get("ts"), (str, int)) or isinstance(record.get("ts"), bool):
            problems.append(f"ts {record.get('ts')!r} is neither a time text nor an integer")
        members = {k: v for k, v in record.items() if k not in ENVELOPE}
        problems += ptlschema.errors(members, schema, kind)
        self.seen_kinds[kind] += 1
        self._report(what, problems)


def main():
    schemas = ptlschema.load_all()
    tally = ptltest.Tally()
    loaded = ptltest.loaded_dissectors()
    for name in sorted(loaded):
        tally.check(name in schemas, f"schema of {name}",
                    f"docs/schema/{name}.schema.json missing")
    with_records = ptltest.supports_records()
    if not with_records:
        print("portolan has no `analyze --records`: app objects only")
    v = Validator(tally, schemas)
    runs = captures()
    if not runs:
        ptltest.die_skipped("no samples/*.pcap and no shared captures")
    for label, path in runs:
        try:
            if with_records:
                flows, records = ptltest.flows_and_records(path)
            else:
                flows, records = ptltest.flows(path), []
        except RuntimeError as exc:
            tally.check(False, f"{label} analyze", str(exc))
            continue
        for flow in flows:
            v.app(label, flow)
        by_id = {f.get("id"): f for f in flows}
        for record in records:
            v.record(label, record, by_id)
    if with_records:
        for kind, (dissector, _) in sorted(v.kinds.items()):
            if dissector in loaded:
                tally.check(v.seen_kinds[kind] > 0, f"record kind {kind}",
                            "no capture produced one: the schema went unchecked")
        print("records per kind: " + ", ".join(f"{k} {n}" for k, n in sorted(v.seen_kinds.items())))
    hidden = sum(n - SHOWN_PER_KIND for n in v.shown.values() if n > SHOWN_PER_KIND)
    if hidden:
        print(f"({hidden} more failures of the sorts printed above)")
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
