"""Classic pcap files (microsecond timestamps) and the link layers the samples use."""
import struct

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_VLAN = 0x8100

SLL_HOST = 0       # addressed to the capturing host
SLL_OUTGOING = 4   # sent by the capturing host
ARPHRD_ETHER = 1

PCAP_MAGIC = 0xA1B2C3D4
SNAPLEN = 65535
ETH_MIN_FRAME = 60  # without FCS; switches pad shorter frames


def file_header(linktype):
    return struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, SNAPLEN, linktype)


def record(ts_us, frame):
    sec, usec = divmod(ts_us, 1_000_000)
    return struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame


def ethernet(dst_mac, src_mac, ethertype, payload, vlan=None):
    tag = b""
    if vlan is not None:
        tag = struct.pack(">HH", ETHERTYPE_VLAN, vlan & 0x0FFF)
    frame = dst_mac + src_mac + tag + struct.pack(">H", ethertype) + payload
    return frame.ljust(ETH_MIN_FRAME, b"\x00")


def linux_sll(packet_type, src_mac, ethertype, payload):
    header = struct.pack(">HHH", packet_type, ARPHRD_ETHER, len(src_mac))
    return header + src_mac.ljust(8, b"\x00") + struct.pack(">H", ethertype) + payload


def write(path, linktype, packets):
    """packets: iterable of (ts_us, frame) in time order."""
    with open(path, "wb") as out:
        out.write(file_header(linktype))
        for ts_us, frame in packets:
            out.write(record(ts_us, frame))
