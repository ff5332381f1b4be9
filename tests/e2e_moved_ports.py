#!/usr/bin/env python3
"""Moved-port test: protocols are identified by content, not by port.

For samples/proto-*.pcap and two shared captures, a copy is written with every server port
moved to a port no loaded dissector claims (pcap parsing in python; checksums are left
stale, portolan does not check them). Per flow, portolan must report the same protocol and
the same app method sets as on the original, with protocol_by "content".
"""
import struct
import sys
import tempfile
from pathlib import Path

import ptltest

# Shared captures moved too: other link types (Linux SLL, BSD loopback) and protocols.
SHARED_MOVED = ("amqp/packetbeat-amqp_emit_receive.pcap", "thrift/packetbeat-thrift_tutorial.pcap")

# What must survive the move, per protocol: (app key, is a list of strings).
APP_FIELDS = {
    "amqp": (("methods", False),),
    "http": (("methods", False), ("transactions", True)),
    "websocket": (),
    "thrift": (("methods", False),),
    "smb": (("commands", False),),
    "zookeeper": (("opcodes", False), ("paths", True), ("commands", True),
                  ("quorum_packets", False)),
    "tls": (("sni", True),),
}

PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
               b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}
LINK_NULL, LINK_ETHERNET, LINK_RAW, LINK_RAW_BSD, LINK_SLL, LINK_SLL2 = 0, 1, 101, 12, 113, 276
ETHERTYPE_IPV4, ETHERTYPE_IPV6 = 0x0800, 0x86DD
VLAN_ETHERTYPES = (0x8100, 0x88A8, 0x9100)
NULL_IPV6_FAMILIES = (24, 28, 30)           # BSD, FreeBSD, macOS values of AF_INET6
IPV6_EXTENSIONS = (0, 43, 60)               # hop-by-hop, routing, destination options
IPV6_FRAGMENT, IPPROTO_TCP = 44, 6
IPV6_MAX_EXTENSIONS = 8


# ---- pcap rewriting ----------------------------------------------------------------------

def _network_offset(linktype, frame, order):
    """(offset of the IP header, ethertype) in a frame, or None."""
    if linktype == LINK_ETHERNET:
        offset = 12
        while len(frame) >= offset + 2:
            ethertype = struct.unpack_from(">H", frame, offset)[0]
            if ethertype not in VLAN_ETHERTYPES:
                return offset + 2, ethertype
            offset += 4
        return None
    if linktype == LINK_SLL and len(frame) >= 16:
        return 16, struct.unpack_from(">H", frame, 14)[0]
    if linktype == LINK_SLL2 and len(frame) >= 20:
        return 20, struct.unpack_from(">H", frame, 0)[0]
    if linktype == LINK_NULL and len(frame) >= 4:
        family = struct.unpack_from(order + "I", frame, 0)[0]
        return 4, ETHERTYPE_IPV6 if family in NULL_IPV6_FAMILIES else ETHERTYPE_IPV4
    if linktype in (LINK_RAW, LINK_RAW_BSD) and frame:
        return 0, ETHERTYPE_IPV6 if frame[0] >> 4 == 6 else ETHERTYPE_IPV4
    return None


def _tcp_offset(frame, offset, ethertype):
    """Offset of the TCP header of a first (or only) fragment, or None."""
    if ethertype == ETHERTYPE_IPV4 and len(frame) >= offset + 20:
        header_len = (frame[offset] & 0x0F) * 4
        fragment = struct.unpack_from(">H", frame, offset + 6)[0] & 0x1FFF
        if frame[offset + 9] == IPPROTO_TCP and fragment == 0:
            return offset + header_len
        return None
    if ethertype == ETHERTYPE_IPV6 and len(frame) >= offset + 40:
        next_header, offset = frame[offset + 6], offset + 40
        for _ in range(IPV6_MAX_EXTENSIONS):
            if next_header == IPPROTO_TCP:
                return offset
            if len(frame) < offset + 8:
                return None
            if next_header == IPV6_FRAGMENT:
                if struct.unpack_from(">H", frame, offset + 2)[0] >> 3 != 0:
                    return None
                next_header, offset = frame[offset], offset + 8
            elif next_header in IPV6_EXTENSIONS:
                next_header, offset = frame[offset], offset + (frame[offset + 1] + 1) * 8
            else:
                return None
    return None


def _records(data, order):
    """(header offset, caplen) of each packet record of a classic pcap image."""
    offset = 24
    while len(data) >= offset + 16:
        caplen = struct.unpack_from(order + "I", data, offset + 8)[0]
        if caplen > len(data) - offset - 16:
            return
        yield offset, caplen
        offset += 16 + caplen


def tcp_ports(data):
    """Every TCP port in a classic pcap image."""
    ports = set()
    for pair, _, _ in _tcp_frames(bytearray(data)):
        ports.update(pair)
    return ports


def _tcp_frames(data):
    """([src port, dst port], image, offset of the TCP header) of each TCP packet."""
    order = PCAP_MAGICS.get(bytes(data[:4]))
    if order is None:
        raise ValueError("not a classic pcap file")
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF
    for record, caplen in _records(data, order):
        frame = bytes(data[record + 16:record + 16 + caplen])
        network = _network_offset(linktype, frame, order)
        tcp = _tcp_offset(frame, *network) if network else None
        if tcp is not None and len(frame) >= tcp + 4:
            yield list(struct.unpack_from(">HH", frame, tcp)), data, record + 16 + tcp


def move_ports(data, mapping):
    """A copy of the pcap image with TCP ports replaced by mapping (both directions)."""
    moved = bytearray(data)
    for ports, image, tcp in _tcp_frames(moved):
        struct.pack_into(">HH", image, tcp, *(mapping.get(p, p) for p in ports))
    return bytes(moved)


def choose_ports(server_ports, used, claimed):
    """server port -> a port nobody uses or claims, on the same side of every other port
    (so a flow without a handshake keeps its client and server)."""
    others = sorted(used - set(server_ports))
    taken = used | claimed
    mapping = {}
    for port in sorted(server_ports):
        upper = next((o for o in others if o > port), 65536)
        lower = max((o for o in others if o < port), default=0)
        candidates = [p for p in range(port + 1, upper)] + [p for p in range(port - 1, lower, -1)]
        free = next((p for p in candidates if p not in taken and p > 0), None)
        if free is None:
            raise ValueError(f"no free port next to {port}")
        mapping[port] = free
        taken.add(free)
    return mapping


# ---- comparison --------------------------------------------------------------------------

def _protocol(flow):
    protocol = flow.get("protocol")
    return None if protocol in (None, "unknown") else protocol


def app_signature(flow):
    """{field: set} of what the dissector recognised, without counts or ids."""
    protocol = _protocol(flow)
    app_protocol = "http" if protocol == "websocket" else protocol
    app = ptltest.app(flow, app_protocol) if app_protocol else {}
    signature = {}
    for key, is_list in APP_FIELDS.get(protocol, ()):
        value = app.get(key)
        if key == "transactions":
            value = [f"{t.get('method')} {t.get('uri')}" for t in value or []]
        elif not is_list:
            value = list(value or {})
        elif isinstance(value, str):
            value = [value]
        signature[key] = sorted(value or [])
    return signature


def flows_by_key(flows, unmap=None):
    unmap = unmap or {}
    keyed = {}
    for flow in flows:
        if flow["transport"] != "tcp":
            continue
        for side in ("client", "server"):
            flow[side]["port"] = unmap.get(flow[side]["port"], flow[side]["port"])
        keyed.setdefault(ptltest.portolan_flow_key(flow), []).append(flow)
    return keyed


def compare_moved(tally, label, original, moved, mapping):
    before = flows_by_key(original)
    after = flows_by_key(moved, {new: old for old, new in mapping.items()})
    for key in sorted(before):
        name = ptltest.flow_name(before[key][0])
        flows = after.get(key, [])
        if not tally.check(len(flows) == len(before[key]), f"{label} {name} flows",
                           f"{len(before[key])} before, {len(flows)} after the move"):
            continue
        for old, new in zip(before[key], flows):
            protocol = _protocol(old)
            if protocol is None:
                continue
            tally.check(_protocol(new) == protocol, f"{label} {name} protocol",
                        f"{protocol} on port {old['server']['port']}, "
                        f"{new.get('protocol')} on {mapping.get(old['server']['port'])}")
            tally.check(new.get("protocol_by") == "content", f"{label} {name} protocol_by",
                        f"{new.get('protocol_by')!r} after the move")
            tally.check(app_signature(new) == app_signature(old), f"{label} {name} app",
                        f"before {app_signature(old)} / after {app_signature(new)}")


def captures_to_move():
    runs = [(f"samples/{p.name}", p) for p in ptltest.sample_captures()
            if p.name.startswith("proto-")]
    shared = ptltest.shared_captures_dir()
    if shared:
        runs += [(name, shared / name) for name in SHARED_MOVED if (shared / name).is_file()]
    return runs


def main():
    runs = captures_to_move()
    if not runs:
        ptltest.die_skipped("no samples/proto-*.pcap and no shared captures")
    plugins = ptltest.plugins()
    loaded = {p["name"] for p in plugins}
    claimed = {port for p in plugins for port in p.get("default_ports") or []}
    tally = ptltest.Tally()
    with tempfile.TemporaryDirectory(prefix="ptl-moved-") as tmp:
        for label, path in runs:
            wanted = path.stem.removeprefix("proto-")
            if label.startswith("samples/") and wanted in APP_FIELDS and wanted not in loaded:
                tally.skip(label, f"dissector {wanted!r} not loaded in this build")
                continue
            data = path.read_bytes()
            original = ptltest.flows(path)
            servers = {f["server"]["port"] for f in original
                       if f["transport"] == "tcp" and _protocol(f)}
            if not tally.check(bool(servers), f"{label} protocols", "none identified"):
                continue
            mapping = choose_ports(servers, tcp_ports(data), claimed)
            print(f"{label}: server ports moved {mapping}")
            moved_path = Path(tmp) / path.name
            moved_path.write_bytes(move_ports(data, mapping))
            compare_moved(tally, label, original, ptltest.flows(moved_path), mapping)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
