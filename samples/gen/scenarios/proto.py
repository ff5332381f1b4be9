"""Protocol samples for the dissector differential tests: each protocol on its standard
port (tshark decodes them; ZooKeeper has no tshark dissector) and all of them again on
non-standard ports in proto-moved.pcap, where only content can identify them."""
from .. import sessions
from ..capture import digest
from ..protocols import http, smb
from .common import Sample, cluster_hosts, new_capture
from .wso2_das import publish_steps

README = """
### proto-*.pcap (dissector differential tests)

Hosts as in the cluster: 10.20.0.11-13, 192.168.10.20, 10.30.0.5.  Each file holds one
protocol on its standard port; `proto-moved.pcap` repeats one conversation of each on a
port no rule or dissector associates with it.

| file | flows |
|---|---|
| proto-amqp.pcap | tcp/5672: two AMQP 0-9-1 connections (PLAIN users `guest` and `builder`), each login, Channel.Open, Basic.Publish (content header + body; the second one 3000 bytes, spanning 3 segments), Channel.Close, Connection.Close |
| proto-zookeeper.pcap | tcp/2181: a client session (connect, getData, exists hit and NONODE, create, ping, closeSession), `ruok`/`imok`; tcp/2888: ZAB follower sync (FOLLOWERINFO, LEADERINFO, ACKEPOCH, DIFF, NEWLEADER, ACK, UPTODATE, PING); tcp/3888: leader election initial message and notifications |
| proto-thrift.pcap | tcp/21050: two HiveServer2 sessions (OpenSession, ExecuteStatement, FetchResults, CloseOperation, CloseSession); tcp/7611: WSO2 event publisher publish() x2 |
| proto-http.pcap | tcp/80: keep-alive GET 200, GET 404, POST 201; a second connection with a 6 KB response over several segments |
| proto-smb.pcap | tcp/445: SMB2 NEGOTIATE .. LOGOFF with NTLMSSP (user CLUSTER\\\\svc_etl) reading 6000 bytes; udp/137: NetBIOS name query/response |
| proto-tls.pcap | tcp/443: two TLS 1.3 handshakes (SNI node1.cluster.local, api.example.com) with application data |
| proto-moved.pcap | AMQP on tcp/15999, HTTP on tcp/5672, SMB2 on tcp/8445, Thrift on tcp/9999, ZooKeeper on tcp/12181, TLS on tcp/8443 |
"""

MOVED = {"amqp": 15999, "http": 5672, "smb": 8445, "thrift": 9999, "zookeeper": 12181,
         "tls": 8443}
STANDARD = {"amqp": 5672, "http": 80, "smb": 445, "thrift": 21050, "zookeeper": 2181,
            "tls": 443}


def http_exchanges(host):
    return [
        (http.request("GET", "/index.html", host),
         http.response(200, b"<html><body>portolan</body></html>\n", "text/html")),
        (http.request("GET", "/nope", host), http.not_found()),
        (http.request("POST", "/api/items", host, b'{"name":"probe"}', "application/json"),
         http.response(201, b'{"id":17}\n')),
    ]


def amqp(cap, h, port, many=False):
    sessions.amqp_publish(cap, h["node2"], h["node1"], port)
    if many:
        sessions.amqp_publish(cap, h["node3"], h["node1"], port, user="builder",
                              password="sample-not-a-secret", routing_key="build.logs",
                              body=b"".join(b"line %04d build step ok\n" % i for i in range(125)))


def zoo(cap, h, port, many=False):
    sessions.zookeeper_session(cap, h["node2"], h["node1"], port)
    if many:
        sessions.zookeeper_ruok(cap, h["admin"], h["node1"], port)
        sessions.zookeeper_quorum(cap, h["node3"], h["node1"], sid=3)
        sessions.zookeeper_election(cap, h["node3"], h["node2"], higher_sid=3, leader_sid=1)


def thrift_(cap, h, port, many=False):
    sessions.hs2_session(cap, h["client"], h["node1"], port)
    if many:
        sessions.hs2_session(cap, h["admin"], h["node2"], port, user="etl",
                             statement="SHOW TABLES", rows=("sales", "web_logs"))
        sessions.thrift_calls(cap, h["client"], h["node1"], 7611, publish_steps(2))


def http_(cap, h, port, many=False):
    sessions.http_keepalive(cap, h["client"], h["node1"], port, http_exchanges("10.20.0.11"))
    if many:
        sessions.http_keepalive(cap, h["admin"], h["node2"], port, [
            (http.request("GET", "/report.csv", "10.20.0.12"),
             http.response(200, b"".join(b"%04d,emea,%d\n" % (i, i * 7) for i in range(500)),
                           "text/csv"))])


def smb_(cap, h, port, many=False):
    sessions.smb_read_file(cap, h["node1"], h["node2"], "\\\\10.20.0.12\\share",
                           "cubes\\sales.ecdata", digest("smb-data") * 187 + b"\x00" * 16,
                           port=port)
    if many:
        cap.udp_exchange(h["node1"], h["node2"], 137, smb.nbns_query(0x2b01, "NODE2"),
                         smb.nbns_response(0x2b01, "NODE2", h["node2"].ip))


def tls_(cap, h, port, many=False):
    sessions.tls_session(cap, h["client"], h["node1"], port)
    if many:
        sessions.tls_session(cap, h["admin"], h["node2"], port, sni="api.example.com")


BUILDERS = {"amqp": amqp, "zookeeper": zoo, "thrift": thrift_, "http": http_, "smb": smb_,
            "tls": tls_}


def build():
    h = cluster_hosts()
    sample = Sample("proto", README)
    for name, builder in BUILDERS.items():
        cap = new_capture("proto-" + name)
        builder(cap, h, STANDARD[name], many=True)
        sample.add_capture(cap)
    moved = new_capture("proto-moved")
    for name, builder in BUILDERS.items():
        builder(moved, h, MOVED[name])
    sample.add_capture(moved)
    return sample


assert set(MOVED) == set(STANDARD) == set(BUILDERS)
