"""The README demo: a 3-node cluster seen from a mirror port, plus a Linux cooked capture
taken on node1 of a few of the same conversations."""
from .. import pcap, sessions, tcp
from ..capture import Host, digest
from ..protocols import http, smb, tls
from .common import Sample, cluster_hosts, inventory, new_capture

README = """
### cluster.pcap, cluster-sll.pcap, cluster.inventory

The demo (`scripts/try`).  Nodes 10.20.0.11-13 (node1-3, also fd00:20::11-12 over IPv6),
admin 10.30.0.5 (Windows, TTL 127), LAN client 192.168.10.20, internet host 203.0.113.7;
Ethernet through a mirror port (routed hosts appear behind the router MAC 00:00:5e:00:01:14).
The inventory declares roles only, so the product is recognised from the traffic (ThoughtSpot:
its own port 2101 and its nodes talking to each other on 2181) and its policy findings are
warnings that say how to confirm them.

| # | flow | what happens |
|---|---|---|
| 1 | 10.20.0.12 -> 10.20.0.11 tcp/5672 | AMQP 0-9-1: header, Start/StartOk (PLAIN user `guest`), Tune/TuneOk, Open/OpenOk, Channel.Open, Basic.Publish + content header + body **split across 3 TCP segments**, Channel.Close, Connection.Close, FIN |
| 2 | 10.20.0.13 -> 10.20.0.11 tcp/2181, **VLAN 20** | ZooKeeper: ConnectRequest/Response, getData `/cluster/config`, exists (hit, watch), exists `/cluster/locks/build` (NONODE), create, ping, closeSession |
| 3 | 10.20.0.12 -> 10.20.0.13 tcp/2181 | four-letter `ruok` -> `imok`, server closes |
| 4 | 192.168.10.20 -> 10.20.0.11 tcp/21050 | Thrift framed strict binary (HiveServer2): OpenSession, ExecuteStatement, FetchResults, CloseOperation, CloseSession with replies |
| 5 | 10.30.0.5 -> 10.20.0.11 tcp/2101 | HTTP/1.1 keep-alive: GET /status 200, GET /missing 404, POST /v1/alerts 201 |
| 6 | 192.168.10.20 -> 10.20.0.12 tcp/80 | HTTP POST with a 4 KB body whose **2nd and 3rd segments are swapped** (out of order, SACK dup-ACK), then GET 200 |
| 7 | 10.20.0.11 -> 10.20.0.12 tcp/445 | SMB2 (3.0.2): NEGOTIATE, SESSION_SETUP x2 (SPNEGO/NTLMSSP, user CLUSTER\\svc_etl), TREE_CONNECT `\\\\10.20.0.12\\share`, CREATE `cubes\\sales.ecdata`, READ 3000 bytes, CLOSE, TREE_DISCONNECT, LOGOFF |
| 8 | 192.168.10.20 -> 10.20.0.11 tcp/443 | TLS 1.3: ClientHello SNI `node1.cluster.local`, ServerHello + CCS + encrypted flight, application data; one server segment **retransmitted** after an RTO |
| 9 | 192.168.10.20 -> 10.20.0.13 tcp/5432 | **unanswered** SYN and 2 retries with the same ISN |
| 10 | 10.20.0.12 -> 10.20.0.13 tcp/3888 | **refused**: SYN -> RST/ACK |
| 11 | fd00:20::11 -> fd00:20::12 tcp/2101 | **IPv6** HTTP GET 200 |
| 12 | 10.20.0.11 -> 10.20.0.12 udp/137 | NetBIOS name query + response (UDP request/response) |
| 13 | 10.20.0.11 -> 10.30.0.5 udp/514 | syslog datagram, no answer (UDP **request-only**) |
| 14 | 10.30.0.5 -> 10.20.0.13 udp/161 | SNMP get answered by **ICMP port unreachable** |
| 15 | 203.0.113.7 -> 10.20.0.11 tcp/2181 | four-letter `ruok` from the internet |

`cluster-sll.pcap` (Linux cooked, captured on node1, so node1's frames are "outgoing"):
flows 1, 5 and a ZooKeeper session 10.20.0.11 -> 10.20.0.13 tcp/2181.
"""

IPV6_NODE1 = "fd00:20::11"
IPV6_NODE2 = "fd00:20::12"


def status_exchanges(host):
    return [
        (http.request("GET", "/status", host), http.response(200, b'{"state":"RUNNING"}\n',
                                                               server="oreo/6.0")),
        (http.request("GET", "/missing", host), http.not_found("oreo/6.0")),
        (http.request("POST", "/v1/alerts", host, b'{"severity":"info","msg":"disk 71%"}',
                      "application/json"),
         http.response(201, b'{"id":4711}\n', server="oreo/6.0")),
    ]


def add_reordered_post(cap, client, server):
    body = b"".join(b'{"row":%04d,"value":"%s"},' % (i, b"x" * 40) for i in range(75))
    conn = sessions.connect(cap, client, server, 80)
    post = http.request("POST", "/upload", "10.20.0.12", body, "application/json")
    conn.send(tcp.CLIENT, post, order=[0, 2, 1, 3], reply_follows=True)
    conn.send(tcp.SERVER, http.response(200, b'{"stored":75}\n'))
    conn.request(http.request("GET", "/upload/last", "10.20.0.12"),
                 http.response(200, b'{"rows":75}\n'))
    conn.close()


def add_retransmitted_tls(cap, client, server):
    conn = sessions.connect(cap, client, server, 443)
    seed = (cap.name, "retransmit")
    conn.request(tls.client_hello("node1.cluster.local", digest("cr", *seed), digest("sid", *seed),
                                  digest("ck", *seed)),
                 tls.server_hello(digest("sr", *seed), digest("sid", *seed), digest("sk", *seed))
                 + tls.change_cipher_spec() + tls.application_data(digest("ee", *seed) * 40))
    conn.send(tcp.CLIENT, tls.change_cipher_spec() + tls.application_data(digest("f", *seed)
                                                                          + b"\x16")
              + tls.application_data(digest("rq", *seed) * 4), reply_follows=True)
    conn.send(tcp.SERVER, tls.application_data(digest("rs", *seed) * 120), retransmit=1)
    conn.close()


def build_mirror(h):
    cap = new_capture("cluster")
    sessions.amqp_publish(cap, h["node2"], h["node1"], split=3)
    sessions.zookeeper_session(cap, h["node3"], h["node1"], vlan=20)
    sessions.zookeeper_ruok(cap, h["node2"], h["node3"])
    sessions.hs2_session(cap, h["client"], h["node1"])
    sessions.http_keepalive(cap, h["admin"], h["node1"], 2101, status_exchanges("10.20.0.11:2101"))
    add_reordered_post(cap, h["client"], h["node2"])
    sessions.smb_read_file(cap, h["node1"], h["node2"], "\\\\10.20.0.12\\share",
                           "cubes\\sales.ecdata", bytes(range(256)) * 11 + bytes(184))
    add_retransmitted_tls(cap, h["client"], h["node1"])
    tcp.unanswered(cap, h["client"], h["node3"], 5432)
    tcp.refused(cap, h["node2"], h["node3"], 3888)
    v6a, v6b = Host("node1-v6", IPV6_NODE1), Host("node2-v6", IPV6_NODE2)
    sessions.http_keepalive(cap, v6a, v6b, 2101, status_exchanges("[fd00:20::12]:2101")[:1])
    cap.udp_exchange(h["node1"], h["node2"], 137, smb.nbns_query(0x5a17, "NODE2"),
                     smb.nbns_response(0x5a17, "NODE2", h["node2"].ip))
    cap.udp_exchange(h["node1"], h["admin"], 514,
                     b"<30>May  1 10:00:09 node1 orion[2211]: cluster healthy, 3 nodes\n")
    cap.udp_port_unreachable(h["admin"], h["node3"], 161, snmp_get_request())
    sessions.zookeeper_ruok(cap, h["internet"], h["node1"], rtt_us=38_000)
    return cap


def snmp_get_request():
    """SNMPv2c GetRequest for sysUpTime.0, community "public" (RFC 3416 / 1157 BER)."""
    oid = b"\x06\x08\x2b\x06\x01\x02\x01\x01\x03\x00"
    varbind = b"\x30" + bytes([len(oid) + 2]) + oid + b"\x05\x00"
    varbinds = b"\x30" + bytes([len(varbind)]) + varbind
    pdu_body = b"\x02\x04\x1c\x2b\x3d\x4e\x02\x01\x00\x02\x01\x00" + varbinds
    pdu = b"\xa0" + bytes([len(pdu_body)]) + pdu_body
    msg = b"\x02\x01\x01\x04\x06public" + pdu
    return b"\x30" + bytes([len(msg)]) + msg


def build_sll(h):
    cap = new_capture("cluster-sll", linktype=pcap.LINKTYPE_LINUX_SLL, sll_host=h["node1"])
    sessions.amqp_publish(cap, h["node2"], h["node1"])
    sessions.http_keepalive(cap, h["admin"], h["node1"], 2101, status_exchanges("10.20.0.11:2101"))
    sessions.zookeeper_session(cap, h["node1"], h["node3"])
    return cap


def build():
    h = cluster_hosts()
    sample = Sample("cluster", README)
    sample.add_capture(build_mirror(h))
    sample.add_capture(build_sll(h))
    sample.add_text("cluster.inventory", inventory(
        "the README demo: a 3-node cluster (the product is recognised from the traffic)",
        nodes="10.20.0.11-10.20.0.13, fd00:20::/64"))
    return sample
