"""Clustron DKV: a 3-node store with the documented bases (`set clustron-dkv.nodes=3`):
manager 7801, node i on 7811+i-1 (cluster) and 7861+i-1 (clients)."""
from .. import sessions, tcp
from ..protocols import http
from .product import ProductScenario

INTRO = """
Clustron DKV nodes 10.20.0.11-13 (node i: cluster port 7810+i, client port 7860+i),
admin 10.30.0.5, application client 192.168.10.20, internet host 203.0.113.7.  The
inventory sets the store's parameters (`cluster_port`, `client_port`, `nodes`).  Every
rule's protocol is opaque (no dissector knows Clustron's RPC) and none is outbound, so
neither `protocol-mismatch` nor `direction-violation` can occur.
"""


def build():
    s = ProductScenario("clustron-dkv", "3-node Clustron DKV store",
                        ["set      clustron-dkv.cluster_port=7811",
                         "set      clustron-dkv.client_port=7861",
                         "set      clustron-dkv.nodes=3"])
    h = s.hosts
    n1, n2, n3, admin, client, internet = (h[k] for k in (
        "node1", "node2", "node3", "admin", "client", "internet"))
    cap = s.cap

    sessions.opaque_exchange(cap, admin, n1, 7801)
    s.flow("10.30.0.5 -> 10.20.0.11 tcp/7801 manager commands", "manager, admins")
    sessions.opaque_exchange(cap, n1, n2, 7812, rounds=3)
    s.flow("10.20.0.11 -> 10.20.0.12 tcp/7812 node-to-node sync", "cluster (7811-7813), nodes")
    sessions.opaque_exchange(cap, n2, n3, 7813)
    s.flow("10.20.0.12 -> 10.20.0.13 tcp/7813 node-to-node sync", "cluster, nodes")
    sessions.opaque_exchange(cap, client, n1, 7861)
    s.flow("192.168.10.20 -> 10.20.0.11 tcp/7861 Put/Get", "client (7861-7863), clients")
    sessions.opaque_exchange(cap, client, n2, 7862)
    s.flow("192.168.10.20 -> 10.20.0.12 tcp/7862 Put/Get", "client, clients")

    sessions.opaque_exchange(cap, internet, n3, 7863, rtt_us=40_000)
    s.flow("203.0.113.7 -> 10.20.0.13 tcp/7863 answered", "client ports allow clients only; "
           "an external host", ("source-not-allowed", "203.0.113.7", "10.20.0.13", 7863))
    sessions.http_keepalive(cap, admin, n1, 8080, [
        (http.request("GET", "/metrics", "10.20.0.11:8080",
                      extra=[sessions.basic_auth("dkvadmin", "sample-not-a-secret")]),
         http.response(200, b"dkv_store_keys 12873\n", "text/plain", "Kestrel"))])
    s.flow("10.30.0.5 -> 10.20.0.11 tcp/8080 HTTP metrics with `Authorization: Basic` "
           "(user dkvadmin)", "nothing documents 8080: undocumented-port (warning); and "
           "Basic in clear on an untagged flow: cleartext-credentials (warning)",
           ("undocumented-port", "10.30.0.5", "10.20.0.11", 8080),
           ("cleartext-credentials", "10.30.0.5", "10.20.0.11", 8080))
    tcp.refused(cap, client, n3, 7863)
    s.flow("192.168.10.20 -> 10.20.0.13 tcp/7863 SYN -> RST/ACK", "client port, clients allowed: "
           "connection-refused", ("connection-refused", "192.168.10.20", "10.20.0.13", 7863))
    tcp.unanswered(cap, n3, n1, 7811)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/7811 SYN + 2 retries", "cluster port, nodes: "
           "connection-unanswered", ("connection-unanswered", "10.20.0.13", "10.20.0.11", 7811))
    return s.sample(INTRO)
