"""Apache Impala (CDH 5): rules/impala.rules, External frontend and web ports, Internal
daemon-to-daemon Thrift services."""
from .. import sessions, tcp
from ..protocols import http, thrift
from .product import ProductScenario

INTRO = """
Impala nodes 10.20.0.11 (impalad + statestored + catalogd), 10.20.0.12-13 (impalad),
admin 10.30.0.5, BI client 192.168.10.20, internet host 203.0.113.7.  Impala documents
no outbound port, so `direction-violation` cannot occur.
"""


def beeswax_steps():
    query = thrift.struct_((1, thrift.string("SELECT count(*) FROM web_logs")),
                           (4, thrift.string("analyst")))
    handle = thrift.struct_((1, thrift.string("a84c2f1e9b3d4a07:5e6f7a8b00000000")),
                            (2, thrift.string("a84c2f1e9b3d4a07")))
    return [
        (thrift.call("query", 1, (1, query)), thrift.reply("query", 1, handle)),
        (thrift.call("get_state", 2, (1, handle)), thrift.reply("get_state", 2, thrift.i32(4))),
        (thrift.call("close", 3, (1, handle)), thrift.message("close", thrift.REPLY, 3,
                                                              thrift.struct_())),
    ]


def subscriber_steps():
    return [(thrift.statestore_heartbeat(1, "impalad@10.20.0.12:22000"),
             thrift.statestore_heartbeat_reply(1))]


def build():
    s = ProductScenario("impala", "3-node Impala cluster")
    h = s.hosts
    n1, n2, n3, admin, client, internet = (h[k] for k in (
        "node1", "node2", "node3", "admin", "client", "internet"))
    cap = s.cap

    sessions.hs2_session(cap, client, n1, 21050)
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/21050 HiveServer2: OpenSession .. CloseSession",
           "impalad-frontend-hs2, any source (External), thrift")
    sessions.thrift_calls(cap, client, n2, 21000, beeswax_steps())
    s.flow("192.168.10.20 -> 10.20.0.12 tcp/21000 Beeswax query/get_state/close",
           "impalad-frontend-beeswax, any source")
    sessions.hs2_session(cap, internet, n1, 21050, user="partner", rtt_us=39_000)
    s.flow("203.0.113.7 -> 10.20.0.11 tcp/21050 HiveServer2 session", "External port: any source "
           "is allowed, no finding")
    sessions.thrift_calls(cap, n2, n1, 24000, subscriber_steps())
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/24000 statestore service", "statestored-service, nodes")
    sessions.thrift_calls(cap, n1, n2, 23000, subscriber_steps())
    s.flow("10.20.0.11 -> 10.20.0.12 tcp/23000 statestore update to the subscriber",
           "impalad-statestore-subscriber, nodes")
    sessions.thrift_calls(cap, n2, n3, 22000, subscriber_steps())
    s.flow("10.20.0.12 -> 10.20.0.13 tcp/22000 backend Thrift", "impalad-backend, nodes")
    sessions.http_keepalive(cap, admin, n1, 25000, [
        (http.request("GET", "/queries", "10.20.0.11:25000", agent="Mozilla/5.0"),
         http.response(200, b"<html><title>Queries</title></html>\n", "text/html",
                       "Impala/4.1"))])
    s.flow("10.30.0.5 -> 10.20.0.11 tcp/25000 HTTP GET /queries", "impalad-web, any source")

    sessions.http_keepalive(cap, admin, n1, 25010, [
        (http.request("GET", "/metrics", "10.20.0.11:25010",
                      extra=[sessions.basic_auth("ops", "sample-not-a-secret")]),
         http.response(200, b"<html><title>Metrics</title></html>\n", "text/html",
                       "Impala/4.1"))])
    s.flow("10.30.0.5 -> 10.20.0.11 tcp/25010 HTTP with `Authorization: Basic` (user ops)",
           "statestored-web allows any; Basic in clear: warning",
           ("cleartext-credentials", "10.30.0.5", "10.20.0.11", 25010))
    sessions.thrift_calls(cap, client, n1, 24000, subscriber_steps())
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/24000 statestore RPC from a client",
           "statestored-service is Internal (nodes only)",
           ("source-not-allowed", "192.168.10.20", "10.20.0.11", 24000))
    sessions.one_shot(cap, client, n2, 21050,
                      http.request("POST", "/cliservice", "10.20.0.12:21050",
                                   b"\x80\x01\x00\x01", "application/x-thrift"))
    s.flow("192.168.10.20 -> 10.20.0.12 tcp/21050 HS2 over HTTP (POST /cliservice); impalad "
           "closes", "rule expects thrift, observed http: protocol-mismatch (warning)",
           ("protocol-mismatch", "192.168.10.20", "10.20.0.12", 21050))
    sessions.opaque_exchange(cap, n2, n1, 27000)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/27000 KRPC (Impala 3+)", "not in the CDH 5 table: "
           "undocumented-port (warning)", ("undocumented-port", "10.20.0.12", "10.20.0.11", 27000))
    tcp.refused(cap, n1, n3, 23000)
    s.flow("10.20.0.11 -> 10.20.0.13 tcp/23000 SYN -> RST/ACK", "impalad-statestore-subscriber: "
           "connection-refused", ("connection-refused", "10.20.0.11", "10.20.0.13", 23000))
    tcp.unanswered(cap, n2, n1, 26000)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/26000 SYN + 2 retries", "catalogd-service: "
           "connection-unanswered", ("connection-unanswered", "10.20.0.12", "10.20.0.11", 26000))
    return s.sample(INTRO)
