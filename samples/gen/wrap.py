"""Wrap every frame of a capture in a tunnel, as a cloud mirror, an overlay network or
a remote SPAN session would deliver it (RFC 7348 VXLAN, RFC 8926 Geneve, RFC 2784/2890
GRE, ERSPAN types II and III, RFC 2003 IP-in-IP, 3GPP TS 29.281 GTP-U), or nest one
packet in IP-in-IP many times over (a decapsulation bomb).

    python3 samples/gen/wrap.py vxlan IN.pcap OUT.pcap [--id 42]
    python3 samples/gen/wrap.py bomb OUT.pcap --depth 100

Used by the tests at test time; the committed samples stay unwrapped."""
import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True

from gen import net, pcap  # noqa: E402

PROTO_IPIP = 4
PROTO_IPV6 = 41
PROTO_GRE = 47
ETHERTYPE_BRIDGING = 0x6558
ETHERTYPE_ERSPAN_2 = 0x88BE
ETHERTYPE_ERSPAN_3 = 0x22EB
PORT_VXLAN = 4789
PORT_GENEVE = 6081
PORT_GTPU = 2152

OUTER_SRC = net.address("192.0.2.1")     # the mirror source, the VTEP, the tunnel end
OUTER_DST = net.address("192.0.2.2")     # the collector
OUTER_SRC_MAC = bytes.fromhex("02000000a001")
OUTER_DST_MAC = bytes.fromhex("02000000a002")
INNER_MAC = bytes.fromhex("02000000b001")


def read(path):
    """(linktype, [(ts_us, frame)]) of a classic little-endian microsecond pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", data, 0)
    if magic != pcap.PCAP_MAGIC:
        raise SystemExit("wrap: %s: not a little-endian microsecond pcap" % path)
    packets, pos = [], 24
    while pos + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack_from("<IIII", data, pos)
        packets.append((sec * 1_000_000 + usec, data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return linktype, packets


def as_ethernet(linktype, frame):
    """The frame as Ethernet (a Linux cooked header becomes one)."""
    if linktype == pcap.LINKTYPE_ETHERNET:
        return frame
    if linktype == pcap.LINKTYPE_LINUX_SLL:
        ethertype = struct.unpack_from(">H", frame, 14)[0]
        return INNER_MAC + frame[6:12] + struct.pack(">H", ethertype) + frame[16:]
    raise SystemExit("wrap: link type %d not wrapped" % linktype)


def inner_ip(frame):
    """(ethertype, IP packet) of an Ethernet frame, past VLAN tags, padding cut."""
    ethertype, pos = struct.unpack_from(">H", frame, 12)[0], 14
    while ethertype == pcap.ETHERTYPE_VLAN:
        ethertype, pos = struct.unpack_from(">H", frame, pos + 2)[0], pos + 4
    packet = frame[pos:]
    if ethertype == pcap.ETHERTYPE_IPV4:
        return ethertype, packet[:struct.unpack_from(">H", packet, 2)[0]]
    if ethertype == pcap.ETHERTYPE_IPV6:
        return ethertype, packet[:40 + struct.unpack_from(">H", packet, 4)[0]]
    return ethertype, None


def outer(proto, payload, ident):
    ip = net.ipv4(OUTER_SRC, OUTER_DST, proto, payload, ident)
    return pcap.ethernet(OUTER_DST_MAC, OUTER_SRC_MAC, pcap.ETHERTYPE_IPV4, ip)


def outer_udp(dport, payload, ident, frame):
    # the source port carries the inner flow's entropy, as VTEPs do (RFC 7348 5)
    sport = 49152 + (sum(frame[26:38]) * 2654435761 & 0x3FFF)
    return outer(net.PROTO_UDP, net.udp(OUTER_SRC, OUTER_DST, sport, dport, payload), ident)


def vxlan(frame, ident, vni, port=PORT_VXLAN):
    return outer_udp(port, struct.pack(">B3xI", 0x08, vni << 8) + frame, ident, frame)


def geneve(frame, ident, vni):
    # one 8-byte option (class 0x0103, type 1) to be skipped by its length
    option = struct.pack(">HBB4s", 0x0103, 0x01, 1, b"\x00\x00\x00\x2a")
    header = struct.pack(">BBHI", len(option) // 4, 0, ETHERTYPE_BRIDGING, vni << 8)
    return outer_udp(PORT_GENEVE, header + option + frame, ident, frame)


def gre(frame, ident, key):
    # checksum, key and sequence number present (RFC 2890)
    header = struct.pack(">HHHHII", 0xB000, ETHERTYPE_BRIDGING, 0, 0, key, ident)
    return outer(PROTO_GRE, header + frame, ident)


def erspan2(frame, ident, session):
    gre_header = struct.pack(">HHI", 0x1000, ETHERTYPE_ERSPAN_2, ident)
    span = struct.pack(">HHI", 1 << 12, session & 0x3FF, 0)
    return outer(PROTO_GRE, gre_header + span + frame, ident)


def erspan3(frame, ident, session):
    gre_header = struct.pack(">HHI", 0x1000, ETHERTYPE_ERSPAN_3, ident)
    span = struct.pack(">HHIHH", 2 << 12, session & 0x3FF, ident, 0, 0)
    return outer(PROTO_GRE, gre_header + span + frame, ident)


def ipip(frame, ident, _):
    ethertype, packet = inner_ip(frame)
    if packet is None:
        return None
    return outer(PROTO_IPIP if ethertype == pcap.ETHERTYPE_IPV4 else PROTO_IPV6, packet, ident)


def gtpu(frame, ident, teid):
    _, packet = inner_ip(frame)
    if packet is None:
        return None
    header = struct.pack(">BBHI", 0x30, 0xFF, len(packet), teid)
    return outer(net.PROTO_UDP, net.udp(OUTER_SRC, OUTER_DST, PORT_GTPU, PORT_GTPU,
                                        header + packet), ident)


WRAPPERS = {"vxlan": vxlan, "geneve": geneve, "gre": gre, "erspan2": erspan2,
            "erspan3": erspan3, "ipip": ipip, "gtpu": gtpu}


def wrap(kind, src, dst, tunnel_id=42, port=None):
    linktype, packets = read(src)
    out = []
    extra = {"port": port} if port is not None else {}
    for n, (ts_us, frame) in enumerate(packets):
        wrapped = WRAPPERS[kind](as_ethernet(linktype, frame), n + 1, tunnel_id, **extra)
        if wrapped is not None:
            out.append((ts_us, wrapped))
    pcap.write(dst, pcap.LINKTYPE_ETHERNET, out)


def bomb(dst, depth):
    """One UDP datagram in depth levels of IP-in-IP, then the same datagram plain."""
    src, dst_ip = net.address("198.51.100.1"), net.address("198.51.100.2")
    packet = net.ipv4(src, dst_ip, net.PROTO_UDP, net.udp(src, dst_ip, 40000, 9999, b"x"), 1)
    for level in range(depth):
        if len(packet) + 20 > 65535:
            break
        packet = net.ipv4(OUTER_SRC, OUTER_DST, PROTO_IPIP, packet, level + 2)
    frames = [(1_000_000, pcap.ethernet(OUTER_DST_MAC, OUTER_SRC_MAC, pcap.ETHERTYPE_IPV4,
                                        packet))]
    pcap.write(dst, pcap.LINKTYPE_ETHERNET, frames)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(WRAPPERS) + ["bomb"])
    parser.add_argument("paths", nargs="+", help="IN OUT, or OUT for a bomb")
    parser.add_argument("--id", type=int, default=42, help="VNI, key, session or TEID")
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--port", type=int, help="VXLAN only: the UDP port (default 4789)")
    args = parser.parse_args()
    if args.kind == "bomb":
        bomb(args.paths[-1], args.depth)
    else:
        wrap(args.kind, args.paths[0], args.paths[1], args.id, args.port)


if __name__ == "__main__":
    main()
