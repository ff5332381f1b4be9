"""ThoughtSpot: a 3-node cluster, rules/thoughtspot.rules (every row is node-to-node, some
HTTP debug ports also from admins; no outbound rows, so no direction-violation)."""
from .. import sessions, tcp
from ..protocols import http
from .product import ProductScenario

INTRO = """
ThoughtSpot nodes 10.20.0.11-13, admin 10.30.0.5, LAN client 192.168.10.20, internet host
203.0.113.7 (inferred external: the inventory has no role for it).  No rule of the product
is outbound, so `direction-violation` cannot occur; every other kind appears once or more.
"""


def build():
    s = ProductScenario("thoughtspot", "3-node ThoughtSpot cluster")
    h = s.hosts
    n1, n2, n3, admin, client, internet = (h[k] for k in (
        "node1", "node2", "node3", "admin", "client", "internet"))
    cap = s.cap

    sessions.zookeeper_session(cap, n2, n1, 2181)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/2181 ZooKeeper session",
           "node to node on zookeeper-client-2181 (bidirectional, nodes), protocol zookeeper")
    sessions.zookeeper_session(cap, n3, n2, 3181, base_zxid=0x100000040)
    s.flow("10.20.0.13 -> 10.20.0.12 tcp/3181 ZooKeeper session",
           "3181 has two zookeeper rules (client, quorum); both allow nodes")
    sessions.zookeeper_quorum(cap, n2, n1, sid=2)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/2888 ZAB follower sync + PING",
           "zookeeper-quorum-2888, nodes; the dissector reads quorum packets as zookeeper")
    sessions.zookeeper_election(cap, n3, n1, higher_sid=3, leader_sid=1)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/3888 leader election (initial message + votes)",
           "zookeeper-quorum-3888, nodes")
    sessions.http_keepalive(cap, n2, n1, 80, [
        (http.request("GET", "/callosum/v1/session/info", "10.20.0.11"),
         http.response(200, b'{"userName":"tsadmin"}\n')),
        (http.request("GET", "/favicon.ico", "10.20.0.11"), http.not_found())])
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/80 HTTP keep-alive 200/404", "nginx, nodes, http")
    sessions.tls_session(cap, n3, n1, 443, sni="thoughtspot.cluster.local")
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/443 TLS 1.3 (SNI thoughtspot.cluster.local)",
           "secure-nginx, nodes, tls")
    sessions.http_keepalive(cap, admin, n1, 2101, [
        (http.request("GET", "/status", "10.20.0.11:2101",
                      extra=[sessions.basic_auth("admin", "sample-not-a-secret")]),
         http.response(200, b'{"state":"RUNNING"}\n', server="oreo/6.0"))])
    s.flow("10.30.0.5 -> 10.20.0.11 tcp/2101 HTTP GET with `Authorization: Basic` (user admin)",
           "oreo-http allows admins; HTTP Basic is a cleartext credential (fact CLEARTEXT_AUTH, "
           "observed http, rule expects http, so warning)",
           ("cleartext-credentials", "10.30.0.5", "10.20.0.11", 2101))
    sessions.opaque_exchange(cap, n2, n3, 24567)
    s.flow("10.20.0.12 -> 10.20.0.13 tcp/24567 private RPC", "dynamic-services (20123-32768, "
           "flags dynamic) between two nodes: tagged, never a finding")
    sessions.opaque_exchange(cap, internet, n2, 30123, rtt_us=41_000)
    s.flow("203.0.113.7 -> 10.20.0.12 tcp/30123 answered", "dynamic range from a non-node: "
           "source-not-allowed (error)", ("source-not-allowed", "203.0.113.7", "10.20.0.12",
                                          30123))
    sessions.tls_session(cap, client, n1, 443, sni="thoughtspot.example.com", app_records=1)
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/443 TLS", "secure-nginx allows only nodes; the client "
           "is a declared client", ("source-not-allowed", "192.168.10.20", "10.20.0.11", 443))
    sessions.one_shot(cap, n2, n1, 443, http.request("GET", "/", "10.20.0.11:443"),
                      http.response(400, b"The plain HTTP request was sent to HTTPS port\n",
                                    "text/html"))
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/443 plain HTTP GET, nginx answers 400 and closes",
           "rule expects tls, observed http: clear text where TLS is documented (error)",
           ("protocol-mismatch", "10.20.0.12", "10.20.0.11", 443))
    sessions.opaque_exchange(cap, n1, n2, 4249)
    s.flow("10.20.0.11 -> 10.20.0.12 tcp/4249 answered", "4249 (SearchIQ) is documented only "
           "by a disabled rule (commented out in the doc): undocumented-port, warning",
           ("undocumented-port", "10.20.0.11", "10.20.0.12", 4249))
    tcp.refused(cap, n1, n2, 2888)
    s.flow("10.20.0.11 -> 10.20.0.12 tcp/2888 SYN -> RST/ACK", "documented, source allowed, "
           "refused: connection-refused (error)",
           ("connection-refused", "10.20.0.11", "10.20.0.12", 2888))
    tcp.unanswered(cap, n3, n1, 4000)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/4000 SYN + 2 retries", "falcon-worker-rpc-4000, nodes, "
           "no answer: connection-unanswered (error)",
           ("connection-unanswered", "10.20.0.13", "10.20.0.11", 4000))
    return s.sample(INTRO)
