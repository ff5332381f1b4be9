"""Whole application conversations on top of TcpConnection: each opens the connection,
talks the protocol end to end and closes it, so scenarios read as a list of events."""
from . import tcp
from .capture import digest
from .protocols import amqp, http, smb, thrift, tls, zookeeper

CLIENT, SERVER = tcp.CLIENT, tcp.SERVER


def connect(cap, client, server, port, **kwargs):
    return tcp.TcpConnection(cap, client, server, port, **kwargs).connect()


def exchanges(conn, steps, **kwargs):
    for request, response in steps:
        conn.request(request, response, **kwargs)


def amqp_publish(cap, client, server, port=5672, user="guest", password="guest",
                 routing_key="build.events", body=b'{"cube":"sales","state":"built"}',
                 split=None, mechanism="PLAIN", **kwargs):
    """Login with SASL PLAIN (or AMQPLAIN), open a channel, publish one message, close.
    split cuts the publish (method + header + body frames) into that many TCP segments."""
    conn = connect(cap, client, server, port, **kwargs)
    exchanges(conn, amqp.client_handshake(user, password, mechanism=mechanism))
    conn.request(amqp.channel_open(1), amqp.channel_open_ok(1))
    publish = amqp.basic_publish(1, "amq.topic", routing_key, body)
    sizes = None
    if split:
        step = len(publish) // split
        sizes = [step] * (split - 1) + [len(publish) - step * (split - 1)]
    conn.send(CLIENT, publish, sizes=sizes)
    conn.request(amqp.channel_close(1), amqp.channel_close_ok(1))
    conn.request(amqp.connection_close(), amqp.connection_close_ok())
    conn.close()


def zookeeper_session(cap, client, server, port=2181, base_zxid=0x100000020, **kwargs):
    """Connect, getData, exists (one hit, one NONODE), create, ping, closeSession."""
    session_id = int.from_bytes(digest("zk-session", cap.name, client.ip)[:8], "big") >> 1
    conn = connect(cap, client, server, port, **kwargs)
    conn.request(zookeeper.connect_request(),
                 zookeeper.connect_response(session_id, digest("zk-pw", session_id)[:16]))
    node = zookeeper.stat(0x100000003, 0x100000011, 1714550000000, 23)
    conn.request(zookeeper.get_data(1, "/cluster/config"),
                 zookeeper.get_data_reply(1, base_zxid, b'{"nodes":3,"leader":1}\n', node))
    conn.request(zookeeper.exists(2, "/cluster/nodes/node2", watch=True),
                 zookeeper.exists_reply(2, base_zxid, node))
    conn.request(zookeeper.exists(3, "/cluster/locks/build"),
                 zookeeper.exists_reply(3, base_zxid))
    conn.request(zookeeper.create(4, "/cluster/locks/build", b"node1"),
                 zookeeper.create_reply(4, base_zxid + 1, "/cluster/locks/build"))
    conn.request(zookeeper.ping(), zookeeper.ping_reply(base_zxid + 1))
    conn.request(zookeeper.close_session(5), zookeeper.reply(5, base_zxid + 2))
    conn.close()


def zookeeper_digest_auth(cap, client, server, user, password, port=2181, **kwargs):
    """Connect, addAuthInfo("digest", "user:password") in clear, getData, close."""
    session_id = int.from_bytes(digest("zk-session", cap.name, client.ip)[:8], "big") >> 1
    conn = connect(cap, client, server, port, **kwargs)
    conn.request(zookeeper.connect_request(),
                 zookeeper.connect_response(session_id, digest("zk-pw", session_id)[:16]))
    conn.request(zookeeper.auth("digest", ("%s:%s" % (user, password)).encode()),
                 zookeeper.auth_reply())
    node = zookeeper.stat(0x100000003, 0x100000011, 1714550000000, 2)
    conn.request(zookeeper.get_data(1, "/secure/config"),
                 zookeeper.get_data_reply(1, 0x100000020, b"{}", node))
    conn.request(zookeeper.close_session(2), zookeeper.reply(2, 0x100000021))
    conn.close()


def zookeeper_ruok(cap, client, server, port=2181, **kwargs):
    """Four-letter word: the server answers and closes the connection itself."""
    conn = connect(cap, client, server, port, **kwargs)
    conn.request(b"ruok", b"imok")
    conn.close(SERVER)


def zookeeper_quorum(cap, follower, leader, sid, port=2888, epoch=1, **kwargs):
    """A follower syncing with the leader (ZAB), then a PING round."""
    last_zxid = (epoch << 32) | 0x20
    conn = connect(cap, follower, leader, port, **kwargs)
    exchanges(conn, zookeeper.follower_sync(sid, epoch, last_zxid))
    conn.push(zookeeper.leader_ping(last_zxid), reply_follows=True)
    conn.send(CLIENT, zookeeper.learner_ping(last_zxid, [(0x1000000000001, 30000)]))
    conn.close()


def zookeeper_election(cap, higher, lower, higher_sid, leader_sid, port=3888, **kwargs):
    """The higher sid connects, introduces itself and exchanges one vote each way."""
    conn = connect(cap, higher, lower, port, **kwargs)
    zxid = (1 << 32) | 0x20
    vote = zookeeper.notification(zookeeper.STATE_FOLLOWING, leader_sid, zxid, 2, 1)
    conn.send(CLIENT, zookeeper.election_initial(higher_sid, "%s:%d" % (higher.ip, port))
              + vote, reply_follows=True)
    conn.send(SERVER, zookeeper.notification(zookeeper.STATE_FOLLOWING, leader_sid, zxid, 2, 1))
    conn.close()


def hs2_session(cap, client, server, port=21050, user="analyst",
                statement="SELECT region, SUM(amount) FROM sales GROUP BY region",
                rows=("emea", "apac", "amer"), password=None, **kwargs):
    conn = connect(cap, client, server, port, **kwargs)
    guid = digest("hs2-guid", cap.name, client.ip, port)
    secret = digest("hs2-secret", cap.name, client.ip, port)
    exchanges(conn, thrift.hs2_session(user, statement, list(rows), guid, secret, password))
    conn.close()


def thrift_calls(cap, client, server, port, steps, **kwargs):
    conn = connect(cap, client, server, port, **kwargs)
    exchanges(conn, steps)
    conn.close()


def http_keepalive(cap, client, server, port, exchanges_list, close_by=CLIENT, **kwargs):
    """Several request/response pairs on one keep-alive connection."""
    conn = connect(cap, client, server, port, **kwargs)
    exchanges(conn, exchanges_list)
    conn.close(close_by)


def smb_read_file(cap, client, server, share, path, data, user="svc_etl", domain="CLUSTER",
                  workstation="ADMIN1", port=445, nt_proof=None, session_key=None, **kwargs):
    """NEGOTIATE, SESSION_SETUP x2 (SPNEGO/NTLMSSP), TREE_CONNECT, CREATE, READ, CLOSE,
    TREE_DISCONNECT, LOGOFF.  nt_proof and session_key (16 bytes) replace the derived
    NTLMv2 proof and encrypted session key."""
    seed = (cap.name, client.ip, server.ip)
    session_id = int.from_bytes(digest("smb-session", *seed)[:8], "little") & ~0xFFFF | 0x0045
    tree_id, file_id = 5, digest("smb-file", *seed)[:16]
    target_info = smb.av_pairs(domain, "NODE2", "cluster.local", smb.FILETIME_2024_05_01)
    challenge = smb.ntlm_challenge(digest("ntlm-challenge", *seed)[:8], domain, "NODE2",
                                   "cluster.local")
    authenticate = smb.ntlm_authenticate(domain, user, workstation,
                                         nt_proof or digest("ntlm-proof", *seed)[:16],
                                         digest("ntlm-cc", *seed)[:8], target_info,
                                         session_key or digest("ntlm-key", *seed)[:16],
                                         digest("ntlm-mic", *seed)[:16])
    conn = connect(cap, client, server, port, **kwargs)
    conn.request(smb.negotiate_request(0, digest("smb-guid", *seed)[:16]),
                 smb.negotiate_response(0, digest("smb-server-guid", server.ip)[:16]))
    conn.request(smb.session_setup_request(1, smb.spnego_init(smb.ntlm_negotiate())),
                 smb.session_setup_response(1, smb.spnego_resp(1, challenge, with_mech=True),
                                            session_id, smb.STATUS_MORE_PROCESSING_REQUIRED))
    conn.request(smb.session_setup_request(2, smb.spnego_resp(token=authenticate), session_id),
                 smb.session_setup_response(2, smb.spnego_resp(0), session_id,
                                            smb.STATUS_SUCCESS))
    conn.request(smb.tree_connect_request(3, session_id, share),
                 smb.tree_connect_response(3, session_id, tree_id))
    conn.request(smb.create_request(4, session_id, tree_id, path),
                 smb.create_response(4, session_id, tree_id, file_id, len(data)))
    conn.request(smb.read_request(5, session_id, tree_id, file_id, len(data)),
                 smb.read_response(5, session_id, tree_id, data))
    conn.request(smb.close_request(6, session_id, tree_id, file_id),
                 smb.close_response(6, session_id, tree_id))
    conn.request(smb.simple_request(smb.TREE_DISCONNECT, 7, session_id, tree_id),
                 smb.simple_response(smb.TREE_DISCONNECT, 7, session_id, tree_id))
    conn.request(smb.simple_request(smb.LOGOFF, 8, session_id),
                 smb.simple_response(smb.LOGOFF, 8, session_id))
    conn.close()


def tls_session(cap, client, server, port=443, sni="node1.cluster.local", app_records=2,
                **kwargs):
    """ClientHello with SNI, ServerHello + CCS + encrypted flight, client CCS + Finished,
    then opaque application data both ways."""
    conn = connect(cap, client, server, port, **kwargs)
    tls_handshake(conn, (cap.name, client.ip, server.ip, port), sni, app_records)
    conn.close()


def tls_handshake(conn, seed, sni, app_records=2):
    """The TLS part of tls_session on an open connection (also after a clear-text start)."""
    hello = tls.client_hello(sni, digest("tls-cr", *seed), digest("tls-sid", *seed),
                             digest("tls-ck", *seed))
    encrypted_flight = tls.application_data(digest("tls-ee", *seed) * 40)
    conn.request(hello, tls.server_hello(digest("tls-sr", *seed), digest("tls-sid", *seed),
                                         digest("tls-sk", *seed))
                 + tls.change_cipher_spec() + encrypted_flight)
    for n in range(app_records):
        request = tls.application_data(digest("tls-req", n, *seed) * 3)
        if n == 0:
            request = tls.change_cipher_spec() + tls.application_data(
                digest("tls-fin", *seed) + b"\x16") + request
        conn.request(request, tls.application_data(digest("tls-resp", n, *seed) * 12))


def starttls_session(cap, client, server, port, start, sni, **kwargs):
    """A clear-text start (protocols/starttls.py: greeting, exchanges up to the grant),
    then a TLS handshake with SNI and application data on the same connection."""
    conn = connect(cap, client, server, port, **kwargs)
    greeting, steps = start
    if greeting is not None:
        conn.send(SERVER, greeting)
    for request, response in steps:
        conn.request(request, response)
    tls_handshake(conn, (cap.name, client.ip, server.ip, port), sni, app_records=1)
    conn.close()


def opaque_exchange(cap, client, server, port, rounds=2, size=96, **kwargs):
    """A private binary RPC: length-prefixed records no dissector knows."""
    conn = connect(cap, client, server, port, **kwargs)
    for n in range(rounds):
        body = digest("opaque", cap.name, client.ip, port, n) * (size // 32)
        conn.request(len(body).to_bytes(4, "big") + b"\x00\x07" + body,
                     len(body).to_bytes(4, "big") + b"\x80\x07" + body[::-1])
    conn.close()


def one_shot(cap, client, server, port, request, response=None, close_by=SERVER, **kwargs):
    """One request, an optional answer, then close: a peer that rejects what it got."""
    conn = connect(cap, client, server, port, **kwargs)
    conn.send(CLIENT, request, reply_follows=response is not None)
    if response is not None:
        conn.send(SERVER, response)
    conn.close(close_by)


def basic_auth(user, password):
    """An Authorization header value (RFC 7617); the samples' passwords are fake."""
    import base64
    return ("Authorization", "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode())
