"""samples/README.md: the inventory of every sample, composed from the scenarios' own
descriptions so it cannot drift from what the generator writes."""
import struct

INTRO = """# Bundled samples

Every file here is written by `samples/generate` (Python 3 standard library, deterministic:
the same bytes on every run).  Do not edit them by hand: change the generator and run
`samples/generate`; `samples/generate --check` regenerates into a temporary directory and
fails unless every committed file is byte-identical.  This README is generated too.

The bytes follow the protocol specifications (AMQP 0-9-1, ZooKeeper jute/ZAB/election,
Thrift strict binary framed, HTTP/1.1, SMB2 + SPNEGO/NTLMSSP, TLS 1.3, NetBIOS name
service, SNMP, syslog), over TCP sessions with a 3-way handshake (MSS, SACK-permitted,
window scale), correct sequence/ACK numbers, delayed-ACK pacing and FIN or RST teardown;
all IP, TCP, UDP and ICMP checksums are correct.  Every capture starts at
2024-05-01T10:00:00Z.  The passwords in them (`guest`, `sample-not-a-secret`) are fake and
exist to prove the analyzer never prints them.

Layout: `gen/pcap.py` (pcap and Linux SLL framing), `gen/net.py` (IPv4/IPv6/UDP/ICMP,
checksums), `gen/capture.py` (hosts, clock, link layer), `gen/tcp.py` (TCP sessions and
their anomalies), `gen/protocols/*.py` (payloads), `gen/sessions.py` (whole conversations),
`gen/scenarios/*.py` (one per sample), `gen/readme.py` (this file).

## Checking the captures with tshark

    tshark -r samples/proto-amqp.pcap -Y amqp -T fields -e _ws.col.Info
    tshark -r samples/cluster.pcap -q -z conv,tcp
    tshark -r samples/cluster.pcap -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
        -o udp.check_checksum:TRUE -q -z expert
    capinfos samples/*.pcap

Expected tshark 4.0 noise, not defects of the bytes: ZooKeeper has no tshark dissector and
its heuristics label some ZooKeeper segments SMPP or GSM A-bis RSL ("malformed"); the
expert warnings list the deliberate anomalies (out of order, retransmission, RST).  tshark
picks TCP dissectors by port, so content on a non-standard port needs decode-as, e.g. for
proto-moved.pcap: `-d tcp.port==15999,amqp -d tcp.port==5672,http -d tcp.port==8445,nbss
-d tcp.port==9999,thrift -d tcp.port==8443,tls`; likewise sisense.pcap (HTTP sent to 5672)
and wso2-das.pcap (HTTP on 14001).

## Expected findings

`<product>.expected` is a JSON list of `[kind, client_ip, server_ip, port]`: exactly the
findings the rule engine must report for `<product>.pcap` with `<product>.inventory` and
the rules in `rules/` (nothing missing, nothing extra).  Each table below gives, per flow,
the reasoning from the verdict semantics: the server must be a declared node for a port to
be judged; a documented port's rule decides the allowed sources (`source-not-allowed`);
a port documented only as outbound, reached on a node, is a `direction-violation`; a port
nothing documents on a node is `undocumented-port` (warning when answered, info when
refused or unanswered); a tagged flow whose observed protocol differs from the rule's is a
`protocol-mismatch` (error when TLS was documented); refused/unanswered tagged flows from
an allowed source are `connection-refused`/`connection-unanswered`; credentials seen in
clear are `cleartext-credentials` on any flow.  Flows without payload are never a
mismatch.  Hosts with no declared role are inferred (private address: client, else
external).

## Files
"""


def capture_stats(data):
    """Packet count and link type of a classic pcap file."""
    linktype = struct.unpack_from("<I", data, 20)[0]
    pos, packets = 24, 0
    while pos < len(data):
        caplen = struct.unpack_from("<I", data, pos + 8)[0]
        pos += 16 + caplen
        packets += 1
    return packets, {1: "Ethernet", 113: "Linux cooked (SLL)"}[linktype]


def render(samples, files):
    lines = [INTRO, "| file | bytes | packets | link type |", "|---|---|---|---|"]
    for name in sorted(files):
        data = files[name]
        if name.endswith(".pcap"):
            packets, link = capture_stats(data)
            lines.append("| %s | %d | %d | %s |" % (name, len(data), packets, link))
        else:
            lines.append("| %s | %d | | |" % (name, len(data)))
    lines.append("\n## Samples\n")
    for sample in samples:
        lines.append(sample.readme)
    return "\n".join(lines)
