"""A Sisense cluster seen from a one-way mirror: the SPAN copies only what the initiator
of each conversation sends (client -> server), never the replies."""
from .. import sessions, tcp
from ..protocols import http
from .product import ProductScenario

INTRO = """
The Sisense nodes, admin and hosts of `sisense.pcap`, but the mirror port sees only the
client -> server half of every conversation (asymmetric routing or an rx-only SPAN).
Every TCP flow but one is `one-sided`: the client acknowledged the SYN/ACK the capture
never saw and sent its requests, so the connection was accepted and no
`connection-unanswered` may be reported; the report says once, at the top, that absence
of replies proves nothing here.  The policy checks still work on what one direction
shows.  One SYN really went unanswered: its client retried and went no further.
"""


def build():
    s = ProductScenario("sisense", "3-node Sisense deployment behind a one-way mirror",
                        name="sisense-one-sided", client_side_only=True)
    h = s.hosts
    n1, n2, n3, admin, client, internet = (h[k] for k in (
        "node1", "node2", "node3", "admin", "client", "internet"))
    cap = s.cap

    sessions.zookeeper_session(cap, n2, n1, 2181)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/2181 ZooKeeper session (requests only)",
           "one-sided, discovery-zookeeper-client: nothing to report")
    sessions.zookeeper_quorum(cap, n3, n1, sid=3)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/2888 ZAB follower sync (follower side only)",
           "one-sided, discovery-zookeeper-quorum")
    sessions.zookeeper_election(cap, n2, n1, higher_sid=2, leader_sid=1)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/3888 leader election (one side)",
           "one-sided, discovery-zookeeper-election")
    sessions.http_keepalive(cap, client, n1, 8081, [
        (http.request("GET", "/app/main", "sisense.example.com:8081"),
         http.response(200, b"<html><body>Sisense</body></html>\n", "text/html")),
        (http.request("GET", "/api/v1/version", "sisense.example.com:8081"),
         http.response(200, b'{"version":"L2024.1"}\n'))])
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/8081 two HTTP requests, no response seen",
           "one-sided, gateway allows any source")
    sessions.http_keepalive(cap, n1, n2, 14996, [
        (http.request("POST", "/api/datasources/sales/jaql", "10.20.0.12:14996",
                      b'{"metadata":[{"dim":"[Sales.Region]"}]}', "application/json"),
         http.response(200, b'{"values":[["emea"]]}\n', server="Microsoft-IIS/10.0"))])
    s.flow("10.20.0.11 -> 10.20.0.12 tcp/14996 HTTP POST (JAQL), no response seen",
           "one-sided, iis-backend, nodes")
    sessions.zookeeper_ruok(cap, internet, n1, 2181, rtt_us=38_000)
    s.flow("203.0.113.7 -> 10.20.0.11 tcp/2181 `ruok`, the answer not seen",
           "one-sided, and still a policy violation: discovery-zookeeper-client allows nodes "
           "only", ("source-not-allowed", "203.0.113.7", "10.20.0.11", 2181))
    sessions.opaque_exchange(cap, n2, n1, 7070)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/7070 client data, no reply seen",
           "no Sisense rule documents 7070; the client went on, so it was accepted: "
           "undocumented-port (warning)", ("undocumented-port", "10.20.0.12", "10.20.0.11", 7070))
    tcp.unanswered(cap, n3, n2, 25672)
    s.flow("10.20.0.13 -> 10.20.0.12 tcp/25672 SYN + 2 retries, nothing more",
           "positive evidence of silence: connection-unanswered",
           ("connection-unanswered", "10.20.0.13", "10.20.0.12", 25672))
    return s.sample(INTRO)
