"""IPv4/IPv6, UDP and ICMP headers with correct checksums (RFC 791, 8200, 768, 792, 1071)."""
import ipaddress
import struct

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17

IPV4_DF = 0x4000
DEFAULT_TTL = 64


def checksum(data):
    """The Internet checksum: one's complement of the one's complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def address(text):
    return ipaddress.ip_address(text)


def pseudo_header(src, dst, proto, length):
    if src.version == 4:
        return src.packed + dst.packed + struct.pack("!BBH", 0, proto, length)
    return src.packed + dst.packed + struct.pack("!IxxxB", length, proto)


def l4_checksum(src, dst, proto, segment):
    """Checksum over the pseudo-header and a segment whose checksum field is zero."""
    value = checksum(pseudo_header(src, dst, proto, len(segment)) + segment)
    if proto == PROTO_UDP and value == 0:
        return 0xFFFF  # zero means "no checksum" in UDP
    return value


def ipv4(src, dst, proto, payload, ident, ttl=DEFAULT_TTL):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, IPV4_DF,
                         ttl, proto, 0, src.packed, dst.packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, next_header, payload, hop_limit=DEFAULT_TTL):
    header = struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, hop_limit,
                         src.packed, dst.packed)
    return header + payload


def ip_packet(src, dst, proto, payload, ident, ttl=DEFAULT_TTL):
    if src.version != dst.version:
        raise ValueError("mixed address families: %s -> %s" % (src, dst))
    if src.version == 4:
        return ipv4(src, dst, proto, payload, ident, ttl)
    return ipv6(src, dst, proto, payload, ttl)


def udp(src, dst, sport, dport, payload):
    length = 8 + len(payload)
    raw = struct.pack("!HHHH", sport, dport, length, 0) + payload
    return raw[:6] + struct.pack("!H", l4_checksum(src, dst, PROTO_UDP, raw)) + raw[8:]


ICMP_DEST_UNREACHABLE = 3
ICMP_PORT_UNREACHABLE = 3


def icmp_port_unreachable(original_ip_packet):
    """RFC 792: the offending IP header plus the first 8 bytes of its payload (RFC 1812 allows
    more; hosts commonly quote the whole datagram when it is small, as Linux does)."""
    quoted = original_ip_packet[:548]
    raw = struct.pack("!BBHI", ICMP_DEST_UNREACHABLE, ICMP_PORT_UNREACHABLE, 0, 0) + quoted
    return raw[:2] + struct.pack("!H", checksum(raw)) + raw[4:]
