"""An office LAN and no product at all: what a capture attached to a ticket often is.
Every port in it is generic (web, SMB, NetBIOS, mDNS, DNS, SSH, a ZooKeeper ensemble two
developers run), several of them documented by a product's rules too; without an
inventory portolan must recognise no product, guess no node and raise no finding."""
import struct

from .. import sessions
from ..capture import Host
from ..protocols import http, smb
from .common import INTERNET_TTL, WINDOWS_TTL, Sample, new_capture

README = """
### office.pcap, office.expected (no product traffic)

An office LAN 10.77.0.0/16 seen from a mirror port: workstations 10.77.1.5 and 10.77.1.6
(Windows), file server 10.77.0.10, gateway and DNS 10.77.0.1, a public web server
198.51.100.80 (routed).  No inventory: analyzed as a support engineer gets it.
`office.expected` is empty: no product is recognised (every port here is generic: several
products document it or it belongs to other software), so nothing is a node and no rule
applies; the subnet broadcast 10.77.255.255 and mDNS group 224.0.0.251 are listed as
broadcast and multicast, not as hosts.

| # | flow | what happens |
|---|---|---|
| 1 | 10.77.1.5 -> 198.51.100.80 tcp/443 | TLS 1.3, SNI `www.example.com`, application data |
| 2 | 10.77.1.5 -> 198.51.100.80 tcp/80 | HTTP GET 200 |
| 3 | 10.77.1.5, 10.77.1.6 -> 10.77.255.255 udp/137 | NetBIOS name queries, broadcast, no answer |
| 4 | 10.77.1.5 -> 224.0.0.251 udp/5353 | mDNS query |
| 5 | 10.77.1.5 -> 10.77.0.1 udp/53 | DNS query and answer |
| 6 | 10.77.1.5 -> 10.77.0.10 tcp/445 | SMB2 read of `\\\\fs1\\public\\menu.pdf` (NTLMSSP) |
| 7 | 10.77.1.6 -> 10.77.1.5 tcp/445, 10.77.1.5 -> 10.77.1.6 tcp/445 | SMB2 reads between the workstations (hosts that serve a port and talk to each other on it) |
| 8 | 10.77.1.6 -> 10.77.1.5 tcp/2181, 10.77.1.5 -> 10.77.1.6 tcp/2888 | a developers' ZooKeeper: client session, then follower sync |
| 9 | 10.77.1.5 -> 10.77.0.10 tcp/22 | a binary exchange on the SSH port |
| 10 | 10.77.1.6 -> 10.77.0.1 tcp/8080 | HTTP GET through the proxy |
"""


def broadcast_host(name, ip, mac):
    host = Host(name, ip)
    host.mac = mac
    return host


def dns_query(ident, name):
    """RFC 1035 query for an A record, recursion desired."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", 1, 1)


def dns_answer(ident, name, address):
    query = dns_query(ident, name)
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + address.packed
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + query[12:] + answer


def build():
    ws1 = Host("ws1", "10.77.1.5", ttl=WINDOWS_TTL)
    ws2 = Host("ws2", "10.77.1.6", ttl=WINDOWS_TTL)
    fs1 = Host("fs1", "10.77.0.10")
    gateway = Host("gateway", "10.77.0.1")
    web = Host("web", "198.51.100.80", on_link=False, ttl=INTERNET_TTL)
    lan_broadcast = broadcast_host("lan-broadcast", "10.77.255.255", b"\xff" * 6)
    mdns = broadcast_host("mdns", "224.0.0.251", b"\x01\x00\x5e\x00\x00\xfb")

    cap = new_capture("office")
    sessions.tls_session(cap, ws1, web, 443, sni="www.example.com", rtt_us=21_000)
    sessions.http_keepalive(cap, ws1, web, 80, [
        (http.request("GET", "/", "www.example.com"),
         http.response(200, b"<html><body>example</body></html>\n", "text/html"))],
        rtt_us=21_000)
    for ident, (host, name) in enumerate(((ws1, "FS1"), (ws1, "PRINTER"), (ws2, "FS1")),
                                         0x4a10):
        cap.udp_exchange(host, lan_broadcast, 137, smb.nbns_query(ident, name))
    cap.udp_exchange(ws1, mdns, 5353, dns_query(0, "printer.local"))
    cap.udp_exchange(ws1, gateway, 53, dns_query(0x3c01, "www.example.com"),
                     dns_answer(0x3c01, "www.example.com", web.ip))
    sessions.smb_read_file(cap, ws1, fs1, "\\\\fs1\\public", "menu.pdf", b"%PDF-1.4\n" * 300,
                           user="jdoe", domain="OFFICE", workstation="WS1")
    sessions.smb_read_file(cap, ws2, ws1, "\\\\ws1\\scans", "scan-001.png", b"\x89PNG" * 500,
                           user="asmith", domain="OFFICE", workstation="WS2")
    sessions.smb_read_file(cap, ws1, ws2, "\\\\ws2\\drop", "notes.txt", b"notes\n" * 400,
                           user="jdoe", domain="OFFICE", workstation="WS1")
    sessions.zookeeper_session(cap, ws2, ws1)
    sessions.zookeeper_quorum(cap, ws1, ws2, sid=1)
    sessions.opaque_exchange(cap, ws1, fs1, 22)
    sessions.http_keepalive(cap, ws2, gateway, 8080, [
        (http.request("GET", "http://intranet.office.lan/", "intranet.office.lan"),
         http.response(200, b"<html><body>intranet</body></html>\n", "text/html"))])

    sample = Sample("office", README)
    sample.add_capture(cap)
    sample.add_expected("office.expected", [])
    return sample
