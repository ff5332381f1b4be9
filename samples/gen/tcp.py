"""TCP sessions (RFC 9293) with correct sequence and acknowledgment numbers.

The SYN and SYN/ACK carry MSS, window scale and SACK-permitted (RFC 7323, 2018); the
receiver acknowledges every second full segment and the end of each burst, unless it
answers at once and lets the answer carry the ACK.  Anomalies the analyzer must handle
(reordering, retransmission, unanswered and refused SYNs) are explicit options."""
import struct

from . import net
from .capture import digest_int

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

SYN_WINDOW = 64240   # Linux's initial window, unscaled in the SYN
WSCALE = 7
WINDOW = 64256 >> WSCALE
MSS = 1460
RTO_US = 204_000     # Linux's minimum RTO plus a little
SYN_RETRY_US = (1_000_000, 2_000_000)  # first SYN retry after 1 s, then doubling
SEGMENT_GAP_US = 12
THINK_US = 180

CLIENT, SERVER = 0, 1


def syn_options(mss):
    """MSS, NOP, window scale, NOP, NOP, SACK permitted: 12 bytes, 32-bit aligned."""
    return (struct.pack("!BBH", 2, 4, mss) + b"\x01" + struct.pack("!BBB", 3, 3, WSCALE)
            + b"\x01\x01" + struct.pack("!BB", 4, 2))


def segment(src, dst, sport, dport, seq, ack, flags, window, payload=b"", options=b""):
    offset = (20 + len(options)) // 4
    raw = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      offset << 4, flags, window, 0, 0) + options + payload
    value = net.l4_checksum(src, dst, net.PROTO_TCP, raw)
    return raw[:16] + struct.pack("!H", value) + raw[18:]


def chunks(data, sizes, mss):
    """Cut data at the given sizes (the last chunk takes the rest) or at the MSS."""
    if sizes:
        out, pos = [], 0
        for size in sizes[:-1]:
            out.append(data[pos:pos + size])
            pos += size
        out.append(data[pos:])
        return out
    return [data[i:i + mss] for i in range(0, len(data), mss)] or [b""]


class TcpConnection:
    """One connection between client and server; call connect() before sending."""

    def __init__(self, cap, client, server, dport, vlan=None, rtt_us=300, sport=None):
        self.cap = cap
        self.hosts = (client, server)
        self.ports = (sport or cap.ephemeral_port(client), dport)
        self.vlan = vlan
        self.rtt_us = rtt_us
        label = (cap.name, client.ip, self.ports[0], server.ip, dport)
        self.isn = (digest_int(32, "isn", *label), digest_int(32, "isn-server", *label))
        self.next_seq = [self.isn[CLIENT], self.isn[SERVER]]
        self.delivered = [0, 0]  # per sender: what its peer acknowledges (contiguous end)
        self.unacked = [0, 0]  # full segments received since the last ACK, per receiver
        mss = MSS if client.ip.version == 4 else MSS - 20
        self.mss = mss

    def _emit(self, side, flags, payload=b"", seq=None, options=b"", window=WINDOW):
        src, dst = self.hosts[side], self.hosts[1 - side]
        sport, dport = self.ports[side], self.ports[1 - side]
        if side == SERVER and self.cap.client_side_only:
            return  # the mirror never sees the server's segments
        seq = self.next_seq[side] if seq is None else seq
        ack = self.delivered[1 - side] if flags & ACK else 0
        tcp = segment(src.ip, dst.ip, sport, dport, seq, ack, flags, window, payload, options)
        self.cap.emit_ip(src, dst, net.PROTO_TCP, tcp, self.vlan)

    def _advance_seq(self, side, count):
        """Control flags and data the peer received in order."""
        self.next_seq[side] += count
        self.delivered[side] = self.next_seq[side]

    def _half_rtt(self):
        self.cap.advance(self.rtt_us // 2)

    # --- opening and closing -------------------------------------------------------

    def connect(self):
        self._emit(CLIENT, SYN, options=syn_options(self.mss), window=SYN_WINDOW)
        self._advance_seq(CLIENT, 1)
        self._half_rtt()
        self._emit(SERVER, SYN | ACK, options=syn_options(self.mss), window=SYN_WINDOW)
        self._advance_seq(SERVER, 1)
        self._half_rtt()
        self._emit(CLIENT, ACK)
        self.cap.advance(THINK_US)
        return self

    def syn_unanswered(self, retries=2):
        """A SYN and its retries with the same ISN; nothing comes back (filtered)."""
        for attempt in range(retries + 1):
            self._emit(CLIENT, SYN, options=syn_options(self.mss), window=SYN_WINDOW)
            if attempt < retries:
                self.cap.advance(SYN_RETRY_US[0] << attempt)
        self.cap.advance(SYN_RETRY_US[0] << retries)

    def syn_refused(self):
        """A SYN answered by RST/ACK (closed port): seq 0, ack ISN+1, window 0
        (RFC 9293 3.10.7.1)."""
        self._emit(CLIENT, SYN, options=syn_options(self.mss), window=SYN_WINDOW)
        self._advance_seq(CLIENT, 1)
        self._half_rtt()
        self._emit(SERVER, RST | ACK, seq=0, window=0)
        self.cap.advance(THINK_US)

    def close(self, side=CLIENT):
        """FIN/ACK from side, FIN/ACK back, last ACK."""
        self._emit(side, FIN | ACK)
        self._advance_seq(side, 1)
        self._half_rtt()
        self._emit(1 - side, FIN | ACK)
        self._advance_seq(1 - side, 1)
        self._half_rtt()
        self._emit(side, ACK)
        self.cap.advance(2_000)

    def reset(self, side=CLIENT):
        self._emit(side, RST | ACK)
        self.cap.advance(2_000)

    # --- data --------------------------------------------------------------------

    def send(self, side, data, sizes=None, order=None, retransmit=None, reply_follows=False):
        """Send data from side in segments (sizes, or MSS-sized).  order permutes the
        segments on the wire (reordering); retransmit repeats segment i after an RTO.
        With reply_follows the peer answers at once instead of a pure ACK."""
        pieces = chunks(data, sizes, self.mss)
        seqs, seq = [], self.next_seq[side]
        for piece in pieces:
            seqs.append(seq)
            seq += len(piece)
        self.next_seq[side] = seq
        arrived = [False] * len(pieces)
        for n, index in enumerate(order or range(len(pieces))):
            if n:
                self.cap.advance(SEGMENT_GAP_US)
            flags = ACK | PSH if index == len(pieces) - 1 else ACK
            self._emit(side, flags, pieces[index], seq=seqs[index])
            arrived[index] = True
            if self._deliver(side, pieces, seqs, arrived, index):
                self._maybe_pace_ack(side, len(pieces[index]), n == len(pieces) - 1)
            else:
                self._dup_ack(side, seqs[index], len(pieces[index]))
        if retransmit is not None:
            self.cap.advance(RTO_US)
            self._emit(side, ACK | PSH, pieces[retransmit], seq=seqs[retransmit])
        self._half_rtt()
        if not reply_follows:
            self._emit(1 - side, ACK)
            self.unacked[1 - side] = 0
            self._half_rtt()
        else:
            self.cap.advance(THINK_US)

    def _deliver(self, side, pieces, seqs, arrived, index):
        """Advance the peer's cumulative ACK over the in-order prefix; FALSE when segment
        index arrived beyond a hole."""
        for i, piece in enumerate(pieces):
            if not arrived[i]:
                break
            self.delivered[side] = max(self.delivered[side], seqs[i] + len(piece))
        return seqs[index] + len(pieces[index]) <= self.delivered[side]

    def _dup_ack(self, side, seq, size):
        """An out-of-order segment: immediate duplicate ACK with a SACK block (RFC 2018)."""
        self.cap.advance(SEGMENT_GAP_US)
        sack = b"\x01\x01" + struct.pack("!BBII", 5, 10, seq & 0xFFFFFFFF,
                                           (seq + size) & 0xFFFFFFFF)
        self._emit(1 - side, ACK, options=sack)
        self.unacked[1 - side] = 0

    def _maybe_pace_ack(self, side, size, is_last):
        """The receiver ACKs every second full segment (RFC 9293 3.8.6.3) inside a burst."""
        receiver = 1 - side
        if size < self.mss or is_last:
            return
        self.unacked[receiver] += 1
        if self.unacked[receiver] >= 2:
            self.cap.advance(SEGMENT_GAP_US)
            self._emit(receiver, ACK)
            self.unacked[receiver] = 0

    def request(self, data, response=None, **kwargs):
        """Client request, server response (its ACK rides on the response), client ACK."""
        self.send(CLIENT, data, reply_follows=response is not None, **kwargs)
        if response is not None:
            self.send(SERVER, response)

    def push(self, data, **kwargs):
        """Server-initiated data (banners, greetings)."""
        self.send(SERVER, data, **kwargs)


def unanswered(cap, client, server, dport, retries=2, vlan=None):
    TcpConnection(cap, client, server, dport, vlan).syn_unanswered(retries)


def refused(cap, client, server, dport, vlan=None):
    TcpConnection(cap, client, server, dport, vlan).syn_refused()


def refused_until_listening(cap, client, server, dport, attempts, retry_us=1_000_000):
    """A peer dialling a port before the other JVM listens: each attempt is a new
    connection (new source port) answered by RST/ACK, retried after retry_us."""
    for _ in range(attempts):
        refused(cap, client, server, dport)
        cap.advance(retry_us)
