"""A ThoughtSpot ZooKeeper ensemble starting up: the peers dial the election (3888) and
quorum (2888) ports before the other JVM listens, get RSTs, and connect fine a few
seconds later.  Only one refusal never clears."""
from .. import sessions, tcp
from .product import ProductScenario

INTRO = """
Three ZooKeeper servers of a ThoughtSpot cluster (nodes 10.20.0.11-13, sid 1-3) starting
at 10:00:00.  In ZooKeeper the higher sid dials the lower one on 3888; a follower dials
the leader on 2888.  node1 (the future leader) starts last, so node3 and node2 are
refused (SYN -> RST/ACK, retried every half second or so) until its JVM listens, then the election and the
follower sync succeed.  These refusals are `transient`: severity info, no "open TCP"
advice.  node3 -> node2 on 3888 is refused twice and never accepted in the capture: that
one stays an error.
"""


def build():
    s = ProductScenario("thoughtspot", "ZooKeeper ensemble of a 3-node ThoughtSpot cluster "
                        "starting up", name="zookeeper-start")
    h = s.hosts
    n1, n2, n3 = h["node1"], h["node2"], h["node3"]
    cap = s.cap

    tcp.refused_until_listening(cap, n3, n1, 3888, attempts=3, retry_us=400_000)
    tcp.refused_until_listening(cap, n2, n1, 3888, attempts=2, retry_us=600_000)
    tcp.refused_until_listening(cap, n3, n2, 3888, attempts=2, retry_us=500_000)
    tcp.refused_until_listening(cap, n2, n1, 2888, attempts=2, retry_us=700_000)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/3888 SYN -> RST/ACK x3 (node1 not listening yet)",
           "then accepted (row 6): connection-refused, info, transient",
           ("connection-refused", "10.20.0.13", "10.20.0.11", 3888))
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/3888 SYN -> RST/ACK x2", "then accepted (row 7): "
           "connection-refused, info, transient",
           ("connection-refused", "10.20.0.12", "10.20.0.11", 3888))
    s.flow("10.20.0.13 -> 10.20.0.12 tcp/3888 SYN -> RST/ACK x2", "never accepted in the "
           "capture: connection-refused, error",
           ("connection-refused", "10.20.0.13", "10.20.0.12", 3888))
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/2888 SYN -> RST/ACK x2 (no leader yet)",
           "then accepted (row 8): connection-refused, info, transient",
           ("connection-refused", "10.20.0.12", "10.20.0.11", 2888))
    cap.advance(1_500_000)
    sessions.zookeeper_session(cap, n2, n1, 2181)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/2181 ZooKeeper session", "zookeeper-client-2181")
    sessions.zookeeper_election(cap, n3, n1, higher_sid=3, leader_sid=1)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/3888 leader election", "accepted: clears row 1")
    sessions.zookeeper_election(cap, n2, n1, higher_sid=2, leader_sid=1)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/3888 leader election", "accepted: clears row 2")
    sessions.zookeeper_quorum(cap, n2, n1, sid=2)
    s.flow("10.20.0.12 -> 10.20.0.11 tcp/2888 ZAB follower sync", "accepted: clears row 4")
    sessions.zookeeper_quorum(cap, n3, n1, sid=3)
    s.flow("10.20.0.13 -> 10.20.0.11 tcp/2888 ZAB follower sync", "zookeeper-quorum-2888")
    return s.sample(INTRO)
