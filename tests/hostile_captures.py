"""Generated captures of hostile shapes for the end-to-end tests and benchmarks:
SYN floods, many flows each holding an unfinished HTTP header, and packets with
clocks that jump (classic pcap and pcapng, whose stamps are 64-bit).

Frames are Ethernet + IPv4/IPv6 + TCP with zero checksums (portolan does not
check them: offloading makes them unreliable). Standard library only.
"""
import struct

LINKTYPE_ETHERNET = 1
SNAPLEN = 262144
MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01

# 2024-05-01T10:00:00Z, microseconds
T2024_US = 1714557600 * 1_000_000
# 2038-01-19T03:14:08Z: one past the signed 32-bit seconds
T2038_US = 2147483648 * 1_000_000


def ipv4(n):
    """The n-th address of 10.0.0.0/8 (n < 2**24) as 4 bytes."""
    return bytes((10, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF))


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    if len(src) == 16:
        ip = struct.pack(">IHBB", 6 << 28, len(tcp), 6, 64) + src + dst
        ethertype = 0x86DD
    else:
        ip = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0) + src + dst
        ethertype = 0x0800
    frame = MAC_B + MAC_A + struct.pack(">H", ethertype) + ip + tcp
    return frame.ljust(60, b"\x00")


def write_pcap(path, packets):
    """packets: iterable of (ts_us, frame); classic pcap, microseconds."""
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        for ts_us, frame in packets:
            sec, usec = divmod(ts_us, 1_000_000)
            out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


def _pcapng_block(kind, body):
    body += b"\x00" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", kind, total) + body + struct.pack("<I", total)


def write_pcapng(path, packets):
    """packets: iterable of (raw 64-bit stamp in microseconds, frame): any stamp up to 2**64-1."""
    with open(path, "wb") as out:
        out.write(_pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        out.write(_pcapng_block(1, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, SNAPLEN)))
        for stamp, frame in packets:
            body = struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame))
            out.write(_pcapng_block(6, body + frame))


CLIENT_HOSTS = 4096   # a botnet's worth: host tables stay small, flows are many


def _client(i):
    """The i-th connection's client address and port: CLIENT_HOSTS hosts, distinct ports."""
    return ipv4(1 + i % CLIENT_HOSTS), 1024 + (i // CLIENT_HOSTS) % 64000


def syn_flood(n_flows, start_us=T2024_US):
    """One SYN for each of n_flows connections to 10.255.0.1:80, 1 us apart."""
    server = bytes((10, 255, 0, 1))
    for i in range(n_flows):
        client, sport = _client(i)
        yield start_us + i, tcp_frame(client, server, sport, 80, (i * 7919) & 0xFFFFFFFF, 0, SYN)


def http_heads(n_flows, head_bytes=1400, start_us=T2024_US, hole=0):
    """n_flows handshaken connections to port 80, each sending head_bytes of an HTTP
    request header that never ends (no blank line): all stay open and pending.
    hole > 0: that many bytes before the header are never sent, so the header waits
    in reassembly until the end of the capture."""
    server = bytes((10, 255, 0, 1))
    pad = head_bytes - len(b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n")
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * max(pad, 0) + b"\r\n"
    ts = start_us
    for i in range(n_flows):
        client, sport = _client(i)
        cisn, sisn = (i * 7919) & 0xFFFFFFF, (i * 104729) & 0xFFFFFFF
        for src, dst, sp, dp, seq, ack, flags, data in (
                (client, server, sport, 80, cisn, 0, SYN, b""),
                (server, client, 80, sport, sisn, cisn + 1, SYN | ACK, b""),
                (client, server, sport, 80, cisn + 1, sisn + 1, ACK, b""),
                (client, server, sport, 80, cisn + 1 + hole, sisn + 1, PSH | ACK, head)):
            yield ts, tcp_frame(src, dst, sp, dp, seq, ack, flags, data)
            ts += 1


def conversation(start_us, n_packets, step_us=1000, client=b"\x0a\x00\x00\x01",
                 server=b"\x0a\x00\x00\x02", sport=40000, dport=5555):
    """One TCP connection: handshake, then data both ways, one packet every step_us.
    Yields (ts_us, frame)."""
    cisn, sisn = 1000, 5000
    frames = [tcp_frame(client, server, sport, dport, cisn, 0, SYN),
              tcp_frame(server, client, dport, sport, sisn, cisn + 1, SYN | ACK),
              tcp_frame(client, server, sport, dport, cisn + 1, sisn + 1, ACK)]
    cseq, sseq = cisn + 1, sisn + 1
    while len(frames) < n_packets:
        if len(frames) % 2:
            frames.append(tcp_frame(client, server, sport, dport, cseq, sseq, PSH | ACK, b"ping"))
            cseq += 4
        else:
            frames.append(tcp_frame(server, client, dport, sport, sseq, cseq, PSH | ACK, b"pong"))
            sseq += 4
    for i, frame in enumerate(frames):
        yield start_us + i * step_us, frame
