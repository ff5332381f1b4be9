"""Sisense multi-node: rules/sisense.rules (inbound node-to-node services, an external
gateway, outbound licensing on 443 and log shipping to listener.logz.io)."""
from .. import sessions, tcp
from ..capture import Host
from ..protocols import amqp, http, smb
from .product import ProductScenario

INTRO = """
Sisense nodes 10.20.0.11 (web/app), 10.20.0.12 (query), 10.20.0.13 (build and ElastiCube
storage), admin 10.30.0.5, LAN client 192.168.10.20, internet hosts 203.0.113.7 (a scanner)
and 203.0.113.80 (licensing), and listener.logz.io mapped by the inventory to 203.0.113.50.
"""

LOGZIO = "203.0.113.50"


def build():
    s = ProductScenario("sisense", "3-node Sisense deployment",
                        ["host     listener.logz.io = %s" % LOGZIO])
    h = s.hosts
    n1, n2, n3, admin, client, internet = (h[k] for k in (
        "node1", "node2", "node3", "admin", "client", "internet"))
    logzio = Host("listener.logz.io", LOGZIO, on_link=False, ttl=52)
    licensing = Host("licensing", "203.0.113.80", on_link=False, ttl=52)
    cap = s.cap

    sessions.amqp_publish(cap, n2, n1, user="sisense", password="sample-not-a-secret")
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/5672 AMQP login (PLAIN user sisense), publish, close",
           "broker-amqp allows nodes; SASL PLAIN in clear: cleartext-credentials, warning "
           "(the rule expects amqp, not tls)",
           ("cleartext-credentials", "10.20.0.12", "10.20.0.11", 5672))
    sessions.zookeeper_session(cap, n2, n1, 2181)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/2181 ZooKeeper session", "discovery-zookeeper-client")
    sessions.zookeeper_quorum(cap, n3, n1, sid=3)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/2888 ZAB follower sync", "discovery-zookeeper-quorum")
    sessions.zookeeper_election(cap, n2, n1, higher_sid=2, leader_sid=1)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/3888 leader election", "discovery-zookeeper-election")
    sessions.smb_read_file(cap, n1, n3, "\\\\10.20.0.13\\ElastiCubes", "sales\\sales.ecube",
                           bytes(range(256)) * 8, user="sisense", workstation="NODE1")
    s.flow("10.20.0.11 -> 10.20.0.13 tcp/445 SMB2 with NTLMSSP, TREE_CONNECT, READ",
           "orchestrator-smb (nodes); NTLM is not a cleartext credential")
    cap.udp_exchange(n1, n3, 137, smb.nbns_query(0x1d2e, "NODE3"),
                     smb.nbns_response(0x1d2e, "NODE3", n3.ip))
    s.flow("10.20.0.11 -> 10.20.0.13 udp/137 NetBIOS name query/response",
           "orchestrator-netbios-name (nodes)")
    sessions.http_keepalive(cap, client, n1, 8081, [
        (http.request("GET", "/app/main", "sisense.example.com:8081",
                      agent="Mozilla/5.0 (X11; Linux x86_64)"),
         http.response(200, b"<html><body>Sisense</body></html>\n", "text/html")),
        (http.request("GET", "/api/v1/version", "sisense.example.com:8081"),
         http.response(200, b'{"version":"L2024.1"}\n'))])
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/8081 HTTP keep-alive", "gateway allows any source")
    sessions.http_keepalive(cap, n1, n2, 14996, [
        (http.request("POST", "/api/datasources/sales/jaql", "10.20.0.12:14996",
                      b'{"metadata":[{"dim":"[Sales.Region]"}]}', "application/json"),
         http.response(200, b'{"values":[["emea"],["apac"]]}\n', server="Microsoft-IIS/10.0"))])
    s.flow("10.20.0.11 -> 10.20.0.12 tcp/14996 HTTP POST (JAQL)", "iis-backend, nodes")
    sessions.http_keepalive(cap, n2, n1, 15010, [
        (http.request("GET", "/api/v2/builds", "10.20.0.11:15010"),
         http.response(200, b'{"builds":[]}\n', server="Kestrel"))])
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/15010 HTTP GET", "15000-15050 (ecm-server first), nodes")
    sessions.tls_session(cap, admin, n1, 5986, sni="node1.sisense.local", app_records=1)
    s.flow("10.30.0.5 -> 10.20.0.11 tcp/5986 TLS (WinRM during an upgrade)",
           "installer-winrm (install-only) matches normally, any source")
    sessions.tls_session(cap, n1, licensing, 443, sni="license.sisense.com", rtt_us=24_000)
    s.flow("10.20.0.11 -> 203.0.113.80 tcp/443 TLS (SNI license.sisense.com)",
           "node to a non-node on an outbound rule (oxygen-licensing-outbound): tagged")
    sessions.tls_session(cap, n1, logzio, 5052, sni="listener.logz.io", rtt_us=31_000)
    s.flow("10.20.0.11 -> 203.0.113.50 (listener.logz.io) tcp/5052 TLS",
           "shipper-logzio, outbound, protocol any: tagged")

    sessions.zookeeper_ruok(cap, internet, n1, 2181, rtt_us=38_000)
    s.flow("203.0.113.7 -> 10.20.0.11 tcp/2181 `ruok` -> `imok`", "discovery-zookeeper-client "
           "allows nodes only; the external host got an answer",
           ("source-not-allowed", "203.0.113.7", "10.20.0.11", 2181))
    sessions.tls_session(cap, client, n1, 443, sni="sisense.example.com", app_records=1)
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/443 TLS", "443 is documented for Sisense only as "
           "outbound (licensing, tracking): a connection into a node on it",
           ("direction-violation", "192.168.10.20", "10.20.0.11", 443))
    sessions.one_shot(cap, n3, n1, 5672, http.request("GET", "/api/overview", "10.20.0.11:5672"),
                      amqp.PROTOCOL_HEADER)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/5672 HTTP GET; the broker answers its protocol header "
           "and closes", "rule expects amqp, observed http: protocol-mismatch (warning)",
           ("protocol-mismatch", "10.20.0.13", "10.20.0.11", 5672))
    sessions.opaque_exchange(cap, n2, n1, 7070)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/7070 answered", "no Sisense rule documents 7070: "
           "undocumented-port (warning, answered)",
           ("undocumented-port", "10.20.0.12", "10.20.0.11", 7070))
    tcp.refused(cap, n2, n3, 27018)
    s.flow("10.20.0.12 -> 10.20.0.13 tcp/27018 SYN -> RST/ACK", "repository (nodes): "
           "connection-refused", ("connection-refused", "10.20.0.12", "10.20.0.13", 27018))
    tcp.unanswered(cap, n3, n2, 25672)
    s.flow("10.20.0.13 -> 10.20.0.12 tcp/25672 SYN + 2 retries", "broker-erlang-distribution "
           "(nodes): connection-unanswered",
           ("connection-unanswered", "10.20.0.13", "10.20.0.12", 25672))
    return s.sample(INTRO)
