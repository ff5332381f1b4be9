"""Hosts and a capture under construction: a clock, link-layer framing, IP identification."""
import hashlib
import struct

from . import net, pcap

# 2024-05-01T10:00:00Z: every sample starts here, so output never depends on the clock
START_US = 1714557600 * 1_000_000


def digest(*parts):
    """Deterministic bytes for anything that must look random (ISNs, GUIDs, keys)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def digest_int(bits, *parts):
    return int.from_bytes(digest(*parts)[:8], "big") >> (64 - bits)


class Host:
    """A machine: its name, address, MAC (QEMU/KVM OUI) and whether it shares our segment.
    Off-link hosts are seen through the router's MAC and with a TTL already decremented."""

    def __init__(self, name, ip, on_link=True, ttl=net.DEFAULT_TTL):
        self.name = name
        self.ip = net.address(ip)
        self.mac = b"\x52\x54\x00" + digest("mac", name)[:3]
        self.on_link = on_link
        self.ttl = ttl

    def __repr__(self):
        return "%s(%s)" % (self.name, self.ip)


ROUTER_MAC = b"\x00\x00\x5e\x00\x01\x14"  # VRRP virtual router MAC, VRID 20


class Capture:
    """Packets in time order for one file, Ethernet or Linux cooked (seen from sll_host)."""

    def __init__(self, name, linktype=pcap.LINKTYPE_ETHERNET, sll_host=None, start_us=START_US,
                 client_side_only=False):
        self.name = name
        # a one-way mirror: only what the initiator of each conversation sends is recorded
        self.client_side_only = client_side_only
        self.linktype = linktype
        self.sll_host = sll_host
        self.now = start_us
        self.packets = []
        self.ip_ids = {}
        self.ports = {}

    def advance(self, microseconds):
        self.now += microseconds

    def ephemeral_port(self, host):
        """Linux-style ephemeral ports (32768-60999), deterministic per host."""
        port = self.ports.get(host.name)
        if port is None:
            port = 32768 + digest_int(14, "port", self.name, host.name)
        self.ports[host.name] = port + 1 + digest_int(3, "step", self.name, host.name, port)
        return port

    def _next_ip_id(self, host):
        ident = self.ip_ids.get(host.name)
        if ident is None:
            ident = digest_int(16, "ipid", self.name, host.name)
        self.ip_ids[host.name] = (ident + 1) & 0xFFFF
        return ident

    def _frame(self, src, dst, ethertype, packet, vlan):
        src_mac = src.mac if src.on_link else ROUTER_MAC
        if self.linktype == pcap.LINKTYPE_LINUX_SLL:
            direction = pcap.SLL_OUTGOING if src is self.sll_host else pcap.SLL_HOST
            return pcap.linux_sll(direction, src_mac, ethertype, packet)
        dst_mac = dst.mac if dst.on_link else ROUTER_MAC
        return pcap.ethernet(dst_mac, src_mac, ethertype, packet, vlan)

    def emit_ip(self, src, dst, proto, payload, vlan=None):
        """Frame and record one IP packet now; returns the IP packet (for ICMP quoting)."""
        packet = net.ip_packet(src.ip, dst.ip, proto, payload, self._next_ip_id(src), src.ttl)
        ethertype = pcap.ETHERTYPE_IPV4 if src.ip.version == 4 else pcap.ETHERTYPE_IPV6
        self.packets.append((self.now, self._frame(src, dst, ethertype, packet, vlan)))
        return packet

    def udp(self, src, dst, sport, dport, payload, vlan=None):
        return self.emit_ip(src, dst, net.PROTO_UDP,
                            net.udp(src.ip, dst.ip, sport, dport, payload), vlan)

    def udp_exchange(self, client, server, dport, request, response=None, rtt_us=400):
        """One datagram and, when response is given, its answer."""
        sport = self.ephemeral_port(client)
        self.udp(client, server, sport, dport, request)
        if response is not None and not self.client_side_only:
            self.advance(rtt_us)
            self.udp(server, client, dport, sport, response)
        self.advance(5_000)

    def udp_port_unreachable(self, client, server, dport, request, rtt_us=400):
        """A datagram to a closed port, answered by ICMP port unreachable (RFC 1122 4.1.3.1)."""
        sport = self.ephemeral_port(client)
        packet = self.udp(client, server, sport, dport, request)
        self.advance(rtt_us)
        self.emit_ip(server, client, net.PROTO_ICMP, net.icmp_port_unreachable(packet))
        self.advance(5_000)

    def pcap_bytes(self):
        return pcap.file_header(self.linktype) + b"".join(
            pcap.record(ts, frame) for ts, frame in self.packets)
