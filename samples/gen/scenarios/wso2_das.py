"""WSO2 DAS in a 2-node HA cluster with the Carbon port offset 1 (`set wso2-das.offset=1`):
every documented port moves by one (7611 -> 7612, 7711 -> 7712, 4040 -> 4041 ...)."""
from .. import sessions, tcp
from ..capture import digest
from ..protocols import http, thrift
from .product import ProductScenario

INTRO = """
WSO2 DAS nodes 10.20.0.11-12 (an HA pair), admin 10.30.0.5, event publisher 192.168.10.20 (client),
internet host 203.0.113.7.  The inventory sets `wso2-das.offset=1`, so every port is the
default plus one.  No rule is outbound, so `direction-violation` cannot occur.
"""


def publish_steps(count):
    return [(thrift.event_publish(n + 1, "c2Vzc2lvbi0xNzE0", "org.wso2.sales:1.0.0",
                                  ["emea", "%d" % (100 + n)]), thrift.event_publish_reply(n + 1))
            for n in range(count)]


def build():
    s = ProductScenario("wso2-das", "2-node WSO2 DAS HA cluster, port offset 1",
                        ["set      wso2-das.offset=1"], nodes="10.20.0.11-10.20.0.12")
    h = s.hosts
    n1, n2, admin, client, internet = (h[k] for k in (
        "node1", "node2", "admin", "client", "internet"))
    cap = s.cap

    sessions.thrift_calls(cap, client, n1, 7612, publish_steps(3))
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/7612 Thrift framed publish() x3",
           "thrift-receiver (7611+1), any source, thrift")
    sessions.tls_session(cap, client, n1, 7712, sni="das.example.com")
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/7712 TLS", "thrift-receiver-ssl (7711+1), tls")
    sessions.opaque_exchange(cap, n2, n1, 10006)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/10006 private", "ha-management (10005+1), nodes, opaque")
    sessions.opaque_exchange(cap, n1, n2, 11225)
    s.flow("10.20.0.11 -> 10.20.0.12 tcp/11225 private", "ha-event-sync (11224+1), nodes")
    sessions.opaque_exchange(cap, n2, n1, 7078)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/7078 Spark RPC", "spark-master (7077+1), nodes")
    sessions.http_keepalive(cap, n2, n1, 14001, [
        (http.request("GET", "/jars/analytics.jar", "10.20.0.11:14001", agent="Java/1.8.0_144"),
         http.response(200, digest("jar") * 20, "application/java-archive", "Jetty(8.y.z)"))])
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/14001 HTTP GET a jar", "spark-fileserver (14000+1), "
           "nodes, http")

    sessions.http_keepalive(cap, admin, n1, 4041, [
        (http.request("GET", "/jobs/", "10.20.0.11:4041",
                      extra=[sessions.basic_auth("admin", "sample-not-a-secret")]),
         http.response(200, b"<html><title>Spark Jobs</title></html>\n", "text/html",
                       "Jetty(8.y.z)"))])
    s.flow("10.30.0.5 -> 10.20.0.11 tcp/4041 HTTP with `Authorization: Basic` (user admin)",
           "spark-ui (4040+1) allows admins; HTTP Basic in clear: warning",
           ("cleartext-credentials", "10.30.0.5", "10.20.0.11", 4041))
    sessions.http_keepalive(cap, internet, n1, 4041, [
        (http.request("GET", "/", "203.0.113.7:4041"),
         http.response(200, b"<html><title>Spark</title></html>\n", "text/html",
                       "Jetty(8.y.z)"))], rtt_us=41_000)
    s.flow("203.0.113.7 -> 10.20.0.11 tcp/4041 HTTP GET", "spark-ui allows admins and nodes; "
           "an external host", ("source-not-allowed", "203.0.113.7", "10.20.0.11", 4041))
    sessions.one_shot(cap, client, n1, 7712, publish_steps(1)[0][0])
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/7712 plain Thrift publish(); the TLS listener closes",
           "rule expects tls, observed thrift: clear text where TLS is documented (error)",
           ("protocol-mismatch", "192.168.10.20", "10.20.0.11", 7712))
    tcp.refused(cap, client, n1, 7611)
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/7611 SYN -> RST/ACK (publisher ignores the offset)",
           "with offset 1 nothing documents 7611: undocumented-port, info (refused)",
           ("undocumented-port", "192.168.10.20", "10.20.0.11", 7611))
    sessions.tls_session(cap, admin, n1, 9444, sni="das.example.com", app_records=1)
    s.flow("10.30.0.5 -> 10.20.0.11 tcp/9444 TLS (Carbon management console 9443+1)",
           "not among the DAS specific ports: undocumented-port, warning (answered)",
           ("undocumented-port", "10.30.0.5", "10.20.0.11", 9444))
    tcp.refused(cap, n2, n1, 11001)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/11001 SYN -> RST/ACK", "ha-presenter / spark-worker "
           "(11000+1), nodes: connection-refused",
           ("connection-refused", "10.20.0.12", "10.20.0.11", 11001))
    tcp.unanswered(cap, n1, n2, 12001)
    s.flow("10.20.0.11 -> 10.20.0.12 tcp/12001 SYN + 2 retries", "spark-block-manager (12000+1), "
           "nodes: connection-unanswered",
           ("connection-unanswered", "10.20.0.11", "10.20.0.12", 12001))
    return s.sample(INTRO)
