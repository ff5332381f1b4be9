#!/usr/bin/env python3
"""Differential test of portolan's dissectors against tshark.

For every samples/*.pcap and, when present, ../shared/captures/{amqp,thrift,http,smb,tls}:
per TCP flow (matched to tshark's tcp.stream by the two endpoints), the protocol must agree
with tshark's, and HTTP methods/URIs, AMQP method names, Thrift method names, SMB2 command
names and the TLS SNI must equal tshark's fields for the same flow.  With `analyze --records`,
the records must match tshark's per-request view: HTTP "method status" pairs (responses paired
with requests by http.request_in, interim 1xx left out), AMQP methods, SMB2 "command status"
per final response (an async STATUS_PENDING left out), Thrift "method type" per reply,
exception and oneway message. tshark has no ZooKeeper
dissector: ../shared/captures/zookeeper/ is checked against tests/expected/zookeeper-shared.json.
Entries of tests/known-differences.md are skipped, each by (file, flow, field), and must
still differ (a stale entry fails). One tshark run per capture, all fields at once.
"""
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ptltest

TESTS_DIR = Path(__file__).resolve().parent
KNOWN_DIFFERENCES = TESTS_DIR / "known-differences.md"
ZOOKEEPER_EXPECTED = TESTS_DIR / "expected" / "zookeeper-shared.json"
SHARED_SUBDIRS = ("amqp", "thrift", "http", "smb", "tls")
TSHARK_TIMEOUT_S = 120
PTL_MAX_STRING = 256     # analyzer/ptl-dissector.h: dissectors cut strings there
WORKERS = 8

# reassemble_out_of_order: portolan reorders segments before dissecting; tshark 4.0 does
# not by default and would then miss the PDUs of a reordered stream.
# check_checksum off (the default, made explicit): portolan ignores checksums, and
# offloaded captures have wrong ones.
TSHARK_PREFS = ("-o", "tcp.reassemble_out_of_order:TRUE", "-o", "tcp.desegment_tcp_streams:TRUE",
                "-o", "tcp.check_checksum:FALSE")

# tshark picks TCP dissectors by port: content the samples put on other ports needs
# decode-as. The ports are the ones samples/README.md documents for each file.
DECODE_AS = {
    "samples/proto-moved.pcap": ("tcp.port==15999,amqp", "tcp.port==5672,http",
                                 "tcp.port==8445,nbss", "tcp.port==9999,thrift",
                                 "tcp.port==8443,tls"),
    "samples/wso2-das.pcap": ("tcp.port==14001,http",),
}

TSHARK_FIELDS = (
    "frame.time_epoch", "frame.protocols", "tcp.stream", "tcp.len",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
    "tcp.analysis.retransmission", "tcp.analysis.out_of_order", "tcp.analysis.lost_segment",
    "http.request.method", "http.request.uri",
    "amqp.method.class", "amqp.method.method",
    "thrift.method",
    "smb2.cmd", "smb2.flags.response",
    "tls.handshake.extensions_server_name",
    # per-request view, compared with portolan's --records
    "frame.number", "http.response.code", "http.request_in", "smb2.nt_status",
    "smb2.flags.async", "thrift.mtype",
)

# frame.protocols names -> portolan's protocol names; others are not portolan's business.
TSHARK_PROTOCOLS = {
    "amqp": "amqp", "http": "http", "websocket": "websocket", "thrift": "thrift",
    "smb": "smb", "smb2": "smb", "nbss": "smb", "tls": "tls",
}

# AMQP 0-9-1 (amqp0-9-1.xml, plus RabbitMQ's exchange bind/unbind and confirm classes):
# class id -> (class name, {method id: method name}).
AMQP_METHODS = {
    10: ("Connection", {10: "Start", 11: "StartOk", 20: "Secure", 21: "SecureOk", 30: "Tune",
                        31: "TuneOk", 40: "Open", 41: "OpenOk", 50: "Close", 51: "CloseOk",
                        60: "Blocked", 61: "Unblocked", 70: "UpdateSecret",
                        71: "UpdateSecretOk"}),
    20: ("Channel", {10: "Open", 11: "OpenOk", 20: "Flow", 21: "FlowOk", 40: "Close",
                     41: "CloseOk"}),
    40: ("Exchange", {10: "Declare", 11: "DeclareOk", 20: "Delete", 21: "DeleteOk", 30: "Bind",
                      31: "BindOk", 40: "Unbind", 51: "UnbindOk"}),
    50: ("Queue", {10: "Declare", 11: "DeclareOk", 20: "Bind", 21: "BindOk", 30: "Purge",
                   31: "PurgeOk", 40: "Delete", 41: "DeleteOk", 50: "Unbind", 51: "UnbindOk"}),
    60: ("Basic", {10: "Qos", 11: "QosOk", 20: "Consume", 21: "ConsumeOk", 30: "Cancel",
                   31: "CancelOk", 40: "Publish", 50: "Return", 60: "Deliver", 70: "Get",
                   71: "GetOk", 72: "GetEmpty", 80: "Ack", 90: "Reject", 100: "RecoverAsync",
                   110: "Recover", 111: "RecoverOk", 120: "Nack"}),
    85: ("Confirm", {10: "Select", 11: "SelectOk"}),
    90: ("Tx", {10: "Select", 11: "SelectOk", 20: "Commit", 21: "CommitOk", 30: "Rollback",
                31: "RollbackOk"}),
}

# MS-SMB2 2.2.1: command codes 0x0000..0x0012.
SMB2_COMMANDS = ("NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
                 "CREATE", "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "ECHO",
                 "QUERY_DIRECTORY", "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO", "OPLOCK_BREAK")


SMB2_STATUS_PENDING = 0x00000103
THRIFT_ANSWER_TYPES = {2: "reply", 3: "exception", 4: "oneway"}   # thrift.mtype


def portolan_string(text):
    """text as portolan emits it: cut at PTL_MAX_STRING bytes, then made valid UTF-8."""
    return text.encode("utf-8")[:PTL_MAX_STRING].decode("utf-8", errors="replace")


# The request-target as the HTTP dissector may emit it (docs/secrets.md), an independent
# model of dissectors/http.c: fragment dropped, userinfo "*@", every query and
# path-parameter value "*", names percent-decoded and kept only from NAME_CHARS.
NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~[]$:@!")
MAX_NAME = 64
HEX = set("0123456789abcdefABCDEF")


def _redacted_name(s, is_query):
    out, i = [], 0
    while i < len(s):
        ch = s[i]
        if ch == "%" and i + 2 < len(s) and s[i + 1] in HEX and s[i + 2] in HEX:
            ch = chr(int(s[i + 1:i + 3], 16))
            i += 2
        elif ch == "+" and is_query:
            ch = " "
        if ch not in NAME_CHARS or len(out) >= MAX_NAME:
            return "*"
        out.append(ch)
        i += 1
    return "".join(out) if out else "*"


def _redacted_params(s, seps, is_query):
    out, i = [], 0
    while i < len(s):
        end = i
        while end < len(s) and s[end] not in seps:
            end += 1
        item = s[i:end]
        if "=" in item:
            out.append(_redacted_name(item[:item.index("=")], is_query) + "=*")
        elif item:
            out.append("*")
        if end < len(s):
            out.append(s[end])
        i = end + 1
    return "".join(out)


def _redacted_path(s):
    out, i = [], 0
    while i < len(s):
        semi = s.find(";", i)
        if semi < 0:
            out.append(s[i:])
            break
        slash = s.find("/", semi)
        slash = len(s) if slash < 0 else slash
        out.append(s[i:semi] + ";" + _redacted_params(s[semi + 1:slash], ";", False))
        i = slash
    return "".join(out)


def redacted_uri(text):
    s = text.split("#", 1)[0]
    out, i = "", 0
    absolute = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", s)
    if absolute:
        i = absolute.end()
        end = i
        while end < len(s) and s[end] not in "/?":
            end += 1
        at = s.rfind("@", i, end)
        out = s[:i] + ("*@" + s[at + 1:end] if at >= 0 else s[i:end])
        i = end
    query = s.find("?", i)
    if query < 0:
        return out + _redacted_path(s[i:])
    return out + _redacted_path(s[i:query]) + "?" + _redacted_params(s[query + 1:], "&;", True)


def amqp_method_name(class_id, method_id):
    class_name, methods = AMQP_METHODS.get(class_id, (f"class{class_id}", {}))
    return f"{class_name}.{methods.get(method_id, f'method{method_id}')}"


def smb2_command_name(code):
    return SMB2_COMMANDS[code] if code < len(SMB2_COMMANDS) else "SMB2_UNKNOWN"


# ---- tshark side -------------------------------------------------------------------------

class TsharkStream:
    """What tshark saw in one tcp.stream."""

    def __init__(self, key, first_ts):
        self.key = key
        self.first_ts = first_ts
        self.protocols = set()
        self.has_payload = False
        self.is_clean = True            # no retransmission, reordering or loss
        self.http_methods = Counter()
        self.http_uris = set()
        self.amqp_methods = Counter()
        self.thrift_methods = set()
        self.smb2_commands = Counter()
        self.tls_sni = set()
        # per-request view: "GET 200", "READ 0xc0000011", "getRow reply"
        self.http_methods_by_frame = {}
        self.http_answers = []          # (request frame or None, status code)
        self.smb2_answers = Counter()
        self.thrift_answers = Counter()

    def add(self, layers):
        self.has_payload |= int(_first(layers, "tcp.len", "0")) > 0
        if any(f in layers for f in ("tcp.analysis.retransmission", "tcp.analysis.out_of_order",
                                     "tcp.analysis.lost_segment")):
            self.is_clean = False
        for name in _first(layers, "frame.protocols", "").split(":"):
            if name in TSHARK_PROTOCOLS:
                self.protocols.add(TSHARK_PROTOCOLS[name])
        self.http_methods.update(layers.get("http.request.method", []))
        self.http_uris.update(portolan_string(redacted_uri(u))
                              for u in layers.get("http.request.uri", []))
        classes = layers.get("amqp.method.class", [])
        methods = layers.get("amqp.method.method", [])
        self.amqp_methods.update(amqp_method_name(int(c), int(m))
                                 for c, m in zip(classes, methods))
        self.thrift_methods.update(layers.get("thrift.method", []))
        responses = layers.get("smb2.flags.response", [])
        for cmd, is_response in zip(layers.get("smb2.cmd", []), responses):
            if is_response in ("0", "False"):
                self.smb2_commands[smb2_command_name(int(cmd))] += 1
        self.tls_sni.update(layers.get("tls.handshake.extensions_server_name", []))
        self._add_per_request(layers, responses)

    def _add_per_request(self, layers, responses):
        """The units portolan's records report, as tshark sees them."""
        frame = _first(layers, "frame.number", "")
        if "http.request.method" in layers:
            self.http_methods_by_frame[frame] = list(layers["http.request.method"])
        request_in = layers.get("http.request_in", [])
        for i, code in enumerate(layers.get("http.response.code", [])):
            if int(code) >= 200 or int(code) == 101:       # interim 1xx answers: no record
                self.http_answers.append((request_in[i] if i < len(request_in) else None,
                                          int(code)))
        statuses = iter(layers.get("smb2.nt_status", []))
        asyncs = layers.get("smb2.flags.async", [])
        for i, (cmd, is_response) in enumerate(zip(layers.get("smb2.cmd", []), responses)):
            if is_response in ("0", "False"):
                continue
            status = int(next(statuses, "0"), 16)
            is_async = i < len(asyncs) and asyncs[i] in ("1", "True")
            if not (is_async and status == SMB2_STATUS_PENDING):
                self.smb2_answers[f"{smb2_command_name(int(cmd))} 0x{status:08x}"] += 1
        for method, mtype in zip(layers.get("thrift.method", []), layers.get("thrift.mtype", [])):
            kind = THRIFT_ANSWER_TYPES.get(int(mtype, 16))
            if kind:
                self.thrift_answers[f"{method} {kind}"] += 1

    def http_pairs(self):
        """Counter of "METHOD status" per answer, paired by http.request_in in order."""
        taken = Counter()
        pairs = Counter()
        for frame, code in self.http_answers:
            methods = self.http_methods_by_frame.get(frame, [])
            index = taken[frame]
            taken[frame] += 1
            method = methods[index] if index < len(methods) else "?"
            pairs[f"{method} {code}"] += 1
        return pairs

    def expected_protocols(self):
        """portolan's protocol must be one of these; empty means none of portolan's."""
        if "websocket" in self.protocols:
            return {"websocket"}            # portolan names the flow after the upgrade
        return set(self.protocols)


def _first(layers, field, default):
    values = layers.get(field)
    return values[0] if values else default


_EK_NAMES = {f.replace(".", "_"): f for f in TSHARK_FIELDS}


def _ek_layers(line):
    """Field dict of one '-T ek' packet line (keys back in dotted form), or None."""
    doc = json.loads(line)
    if "layers" not in doc:
        return None
    return {_EK_NAMES.get(k, k): v for k, v in doc["layers"].items()}




def tshark_streams(capture, decode_as=()):
    """{flow key: [TsharkStream ...] in time order} for the TCP streams of capture."""
    cmd = ["tshark", "-n", "-r", str(capture), *TSHARK_PREFS, "-Y", "tcp && !icmp && !icmpv6",
           "-T", "ek"]
    for rule in decode_as:
        cmd += ["-d", rule]
    for field in TSHARK_FIELDS:
        cmd += ["-e", field]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TSHARK_TIMEOUT_S)
    by_id = {}
    for line in proc.stdout.splitlines():
        layers = _ek_layers(line)
        if not layers or "tcp.stream" not in layers:
            continue
        stream_id = layers["tcp.stream"][0]
        if stream_id not in by_id:
            by_id[stream_id] = TsharkStream(_tshark_key(layers),
                                            float(_first(layers, "frame.time_epoch", "0")))
        by_id[stream_id].add(layers)
    grouped = {}
    for stream in sorted(by_id.values(), key=lambda s: s.first_ts):
        grouped.setdefault(stream.key, []).append(stream)
    return grouped


def _tshark_key(layers):
    # The innermost header is the last value when tshark sees tunnelled IP.
    src = (layers.get("ipv6.src") or layers.get("ip.src"))[-1]
    dst = (layers.get("ipv6.dst") or layers.get("ip.dst"))[-1]
    return ptltest.flow_key(ptltest.endpoint(src, layers["tcp.srcport"][0]),
                            ptltest.endpoint(dst, layers["tcp.dstport"][0]))


# ---- known differences -------------------------------------------------------------------

def load_known_differences():
    """{(file, flow, field): reason} from the table rows of known-differences.md."""
    known = {}
    row = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|(.*)\|\s*$")
    for line in KNOWN_DIFFERENCES.read_text().splitlines():
        match = row.match(line)
        if match:
            file, flow, field, reason = (g.strip() for g in match.groups())
            known[(file, _flow_key_of_name(flow), field)] = reason
    return known


def _flow_key_of_name(name):
    client, server = (part.strip() for part in name.split(">"))
    return ptltest.flow_key(client, server)


class Comparer:
    """Runs the checks of one capture, honouring the known differences."""

    def __init__(self, tally, known, loaded):
        self.tally = tally
        self.known = known
        self.used_known = set()
        self.seen_known = set()
        self.loaded = loaded

    def compare(self, label, key, field, ours, theirs, name):
        """One check; a listed (label, flow, field) must differ and is skipped."""
        what = f"{label} {name} {field}"
        entry = (label, key, field)
        if entry in self.known:
            self.seen_known.add(entry)
            if ours != theirs:
                self.used_known.add(entry)
                self.tally.skip(what, f"known difference: {self.known[entry]}")
                return
        self.tally.check(ours == theirs, what, _difference(ours, theirs))

    def stale_entries(self, labels):
        """Listed differences of the captures run here that no longer differ."""
        for entry in sorted(self.known):
            if entry[0] in labels and entry not in self.used_known:
                how = "no longer differs" if entry in self.seen_known else "matches no flow"
                self.tally.check(False, f"known-differences.md {entry[0]} {entry[2]}",
                                 f"entry {how}: remove it")


def _show(value):
    if isinstance(value, Counter):
        value = dict(sorted(value.items()))
    elif isinstance(value, (set, frozenset)):
        value = sorted(value)
    return json.dumps(value)


def _difference(ours, theirs):
    """The part of a mismatch worth reading: what only one side has, long strings cut."""
    if isinstance(ours, (set, Counter)) and isinstance(theirs, (set, Counter)):
        ours, theirs = ours - theirs, theirs - ours
    return (f"only portolan {_short(_show(ours))} / only expected {_short(_show(theirs))}"
            if isinstance(ours, (set, Counter)) else
            f"portolan {_short(_show(ours))} / expected {_short(_show(theirs))}")


def _short(text, limit=300):
    return text if len(text) <= limit else text[:limit] + f"...(+{len(text) - limit} chars)"


# ---- per-flow comparison against tshark --------------------------------------------------

def _portolan_protocol(flow):
    protocol = flow.get("protocol")
    return None if protocol in (None, "unknown") else protocol


def _has_payload(flow):
    payload = flow.get("payload_bytes") or {}
    return sum(payload.values()) > 0


def _is_clean(flow, app):
    """Counts are comparable: no holes, nothing truncated, no collection over its cap."""
    gaps = flow.get("gaps") or {}
    if flow.get("gap") or flow.get("truncated") or sum(gaps.values()) > 0:
        return False
    return not any(k.endswith("_dropped") and v for k, v in app.items())


def compare_protocol(cmp, label, key, name, flow, stream):
    expected = stream.expected_protocols()
    ours = _portolan_protocol(flow)
    missing = expected - cmp.loaded - {"websocket"}
    if missing:
        cmp.tally.skip(f"{label} {name} protocol",
                       f"dissector {sorted(missing)} not loaded in this build")
        return
    if ours == "zookeeper" and not expected:
        cmp.tally.skip(f"{label} {name} protocol",
                       "zookeeper: tshark has no dissector (see zookeeper-shared.json)")
        return
    theirs = ours if ours in expected else (sorted(expected)[0] if expected else None)
    cmp.compare(label, key, "protocol", ours, theirs, name)


def compare_app(cmp, label, key, name, flow, stream):
    """The dissector fields of the protocol tshark and portolan agree on."""
    protocol = _portolan_protocol(flow)
    if protocol == "websocket":
        protocol = "http"                # the handshake is HTTP
    app = ptltest.app(flow, protocol) if protocol else {}
    is_counted = stream.is_clean and _is_clean(flow, app)
    if protocol == "http" or stream.http_methods:
        http = ptltest.app(flow, "http")
        ours = Counter(http.get("methods") or {})
        theirs = stream.http_methods
        cmp.compare(label, key, "http.methods", ours if is_counted else set(ours),
                    theirs if is_counted else set(theirs), name)
        uris = {t.get("uri") for t in http.get("transactions") or [] if t.get("uri")}
        if http.get("transactions_dropped"):
            # A capped list holds the first URIs only: none may be foreign to tshark's.
            cmp.compare(label, key, "http.uris", uris - stream.http_uris, set(), name)
        else:
            cmp.compare(label, key, "http.uris", uris, stream.http_uris, name)
    if protocol == "amqp" or stream.amqp_methods:
        ours = Counter(ptltest.app(flow, "amqp").get("methods") or {})
        cmp.compare(label, key, "amqp.methods", ours if is_counted else set(ours),
                    stream.amqp_methods if is_counted else set(stream.amqp_methods), name)
    if protocol == "thrift" or stream.thrift_methods:
        ours = set(ptltest.app(flow, "thrift").get("methods") or {})
        cmp.compare(label, key, "thrift.methods", ours, stream.thrift_methods, name)
    if protocol == "smb" or stream.smb2_commands:
        commands = ptltest.app(flow, "smb").get("commands") or {}
        ours = Counter({k: v for k, v in commands.items() if not k.startswith("SMB_COM_")})
        cmp.compare(label, key, "smb.commands", ours if is_counted else set(ours),
                    stream.smb2_commands if is_counted else set(stream.smb2_commands), name)
    if (protocol == "tls" or stream.tls_sni) and "tls" in cmp.loaded:
        sni = ptltest.app(flow, "tls").get("sni")
        cmp.compare(label, key, "tls.sni", {sni} if sni else set(), stream.tls_sni, name)


def _record_units(flow, kind, fields):
    """Counter of the flow's records of kind, each as its fields joined by spaces."""
    units = Counter()
    for record in flow.get("records", []):
        if record.get("kind") != kind:
            continue
        values = []
        for field in fields:
            value = record.get(field, "?")
            values.append(f"0x{value:08x}" if field == "status_code" else str(value))
        units[" ".join(values)] += 1
    return units


def compare_records(cmp, label, key, name, flow, stream):
    """portolan's records against tshark's per-request view of the same flow."""
    protocol = _portolan_protocol(flow)
    if protocol == "websocket":
        protocol = "http"
    app = ptltest.app(flow, protocol) if protocol else {}
    is_counted = stream.is_clean and _is_clean(flow, app)

    def both(field, ours, theirs):
        cmp.compare(label, key, field, ours if is_counted else set(ours),
                    theirs if is_counted else set(theirs), name)

    if protocol == "http" or stream.http_answers:
        both("records.http", _record_units(flow, "http_request", ("method", "status")),
             stream.http_pairs())
    if protocol == "amqp" or stream.amqp_methods:
        both("records.amqp", _record_units(flow, "amqp_method", ("method",)),
             stream.amqp_methods)
    if protocol == "smb" or stream.smb2_answers:
        both("records.smb", _record_units(flow, "smb_command", ("command", "status_code")),
             stream.smb2_answers)
    if protocol == "thrift" or stream.thrift_answers:
        # sets, as thrift.methods: tshark repeats a reply's fields in the frames of a
        # reassembled PDU (ndpi-thrift.pcap: 51 replies to one call)
        cmp.compare(label, key, "records.thrift",
                    set(_record_units(flow, "thrift_call", ("method", "type"))),
                    set(stream.thrift_answers), name)


def compare_capture(cmp, label, ours, theirs):
    """Pair portolan's flows with tshark's streams by endpoints, in time order."""
    ours_by_key = {}
    for flow in sorted((f for f in ours if f["transport"] == "tcp"), key=lambda f: f["ts_start"]):
        ours_by_key.setdefault(ptltest.portolan_flow_key(flow), []).append(flow)
    for key in sorted(set(ours_by_key) | set(theirs)):
        flows = ours_by_key.get(key, [])
        streams = theirs.get(key, [])
        name = ptltest.flow_name(flows[0]) if flows else f"{key[0]} > {key[1]}"
        cmp.compare(label, key, "flows", len(flows), len(streams), name)
        for flow, stream in zip(flows, streams):
            if not (_has_payload(flow) or stream.has_payload):
                continue                 # handshake only: nothing to identify
            name = ptltest.flow_name(flow)
            compare_protocol(cmp, label, key, name, flow, stream)
            compare_app(cmp, label, key, name, flow, stream)
            if "records" in flow:
                compare_records(cmp, label, key, name, flow, stream)


# ---- ZooKeeper against the expected file -------------------------------------------------

def compare_zookeeper(cmp, label, ours, expected):
    """Per flow: protocol, kind, opcodes (as counts), paths, four-letter words, quorum types."""
    by_key = {ptltest.portolan_flow_key(f): f for f in ours if f["transport"] == "tcp"}
    for name, want in expected.items():
        key = _flow_key_of_name(name)
        flow = by_key.get(key)
        if not cmp.tally.check(flow is not None, f"{label} {name}", "flow not reported"):
            continue
        cmp.compare(label, key, "protocol", _portolan_protocol(flow), want["protocol"], name)
        zk = ptltest.app(flow, "zookeeper")
        for field, value in want.items():
            if field == "protocol":
                continue
            got = zk.get(field)
            if isinstance(value, dict):
                got = dict(got or {})
            elif isinstance(value, list):
                got = list(got or [])
            cmp.compare(label, key, f"zookeeper.{field}", got, value, name)
    for key in set(by_key) - {_flow_key_of_name(n) for n in expected}:
        if _has_payload(by_key[key]):
            cmp.tally.check(False, f"{label} {ptltest.flow_name(by_key[key])}",
                            "flow with payload missing from zookeeper-shared.json")


# ---- driver ------------------------------------------------------------------------------

def captures_to_run(shared):
    """[(label, path)]: label is 'samples/x.pcap' or the path under shared/captures."""
    runs = [(f"samples/{p.name}", p) for p in ptltest.sample_captures()]
    if shared:
        for sub in SHARED_SUBDIRS:
            for path in sorted((shared / sub).iterdir()):
                if path.name.endswith((".pcap", ".pcapng", ".cap", ".pcap.gz")):
                    runs.append((f"{sub}/{path.name}", path))
    return runs


def analyze(label, path, with_records):
    """(label, portolan flows, tshark streams or None, error text).  With records, each
    flow holds its records under "records"."""
    try:
        if with_records:
            ours, records = ptltest.flows_and_records(path)
            by_id = {f.get("id"): f for f in ours}
            for f in ours:
                f["records"] = []
            for record in records:
                if record.get("flow_id") in by_id:
                    by_id[record["flow_id"]]["records"].append(record)
        else:
            ours = ptltest.flows(path)
        is_zookeeper = label.startswith("zookeeper/")
        theirs = None if is_zookeeper else tshark_streams(path, DECODE_AS.get(label, ()))
        return label, ours, theirs, None
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return label, None, None, str(exc)


def main():
    if shutil.which("tshark") is None:
        ptltest.die_skipped("tshark is not installed")
    shared = ptltest.shared_captures_dir()
    if shared is None:
        print("shared captures absent: only samples/ is compared")
    runs = captures_to_run(shared)
    zookeeper_expected = {}
    if shared:
        zookeeper_expected = json.loads(ZOOKEEPER_EXPECTED.read_text())
        runs += [(label, shared / label) for label in sorted(zookeeper_expected)]
    if not runs:
        ptltest.die_skipped("no samples/*.pcap and no shared captures")
    tally = ptltest.Tally()
    cmp = Comparer(tally, load_known_differences(), ptltest.loaded_dissectors())
    with_records = ptltest.supports_records()
    if not with_records:
        print("portolan has no `analyze --records`: records are not compared")
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda run: analyze(*run, with_records), runs))
    for label, ours, theirs, error in results:
        if not tally.check(error is None, f"{label} analyze", error):
            continue
        if label in zookeeper_expected:
            compare_zookeeper(cmp, label, ours, zookeeper_expected[label])
        else:
            compare_capture(cmp, label, ours, theirs)
    cmp.stale_entries({label for label, _, _, error in results if error is None})
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
