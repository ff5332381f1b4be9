"""Apache ZooKeeper wire formats from the jute definitions (zookeeper.jute), the
client protocol (ClientCnxn), ZAB quorum packets (Leader.java/QuorumPacket) and fast
leader election messages (QuorumCnxManager, FastLeaderElection)."""
import struct

OP_CREATE, OP_EXISTS, OP_GETDATA, OP_PING, OP_CLOSE = 1, 3, 4, 11, -11
XID_PING = -2
ERR_OK, ERR_NONODE = 0, -101
PERM_ALL = 0x1F
PERSISTENT = 0

QP_ACK, QP_COMMIT, QP_PING, QP_NEWLEADER = 3, 4, 5, 10
QP_FOLLOWERINFO, QP_UPTODATE, QP_DIFF, QP_LEADERINFO, QP_ACKEPOCH = 11, 12, 13, 17, 18
PROTOCOL_VERSION = 0x10000          # QuorumPeer protocol 1.0
ELECTION_PROTOCOL_V1 = -65536       # QuorumCnxManager.PROTOCOL_VERSION_V1
STATE_LOOKING, STATE_FOLLOWING, STATE_LEADING = 0, 1, 2
NOTIFICATION_VERSION = 2


def ustring(text):
    raw = text.encode()
    return struct.pack("!i", len(raw)) + raw


def buffer(raw):
    if raw is None:
        return struct.pack("!i", -1)
    return struct.pack("!i", len(raw)) + raw


def boolean(value):
    return b"\x01" if value else b"\x00"


def framed(record):
    """Client packets carry a 4-byte big-endian length before the record."""
    return struct.pack("!i", len(record)) + record


def connect_request(timeout_ms=30000):
    return framed(struct.pack("!iqiq", 0, 0, timeout_ms, 0) + buffer(bytes(16)) + boolean(False))


def connect_response(session_id, password, timeout_ms=30000):
    return framed(struct.pack("!iiq", 0, timeout_ms, session_id) + buffer(password)
                  + boolean(False))


def request(xid, op, body=b""):
    return framed(struct.pack("!ii", xid, op) + body)


def reply(xid, zxid, err=ERR_OK, body=b""):
    return framed(struct.pack("!iqi", xid, zxid, err) + body)


def stat(czxid, mzxid, ctime_ms, data_length, num_children=0, version=0):
    """Stat: czxid mzxid ctime mtime version cversion aversion ephemeralOwner dataLength
    numChildren pzxid (68 bytes)."""
    return struct.pack("!qqqqiiiqiiq", czxid, mzxid, ctime_ms, ctime_ms, version, 0, 0, 0,
                       data_length, num_children, czxid)


def get_data(xid, path, watch=False):
    return request(xid, OP_GETDATA, ustring(path) + boolean(watch))


def get_data_reply(xid, zxid, data, node_stat):
    return reply(xid, zxid, ERR_OK, buffer(data) + node_stat)


def exists(xid, path, watch=False):
    return request(xid, OP_EXISTS, ustring(path) + boolean(watch))


def exists_reply(xid, zxid, node_stat=None):
    if node_stat is None:
        return reply(xid, zxid, ERR_NONODE)
    return reply(xid, zxid, ERR_OK, node_stat)


def create(xid, path, data, flags=PERSISTENT):
    """CreateRequest with the OPEN_ACL_UNSAFE ACL (world:anyone, all permissions)."""
    acl = struct.pack("!ii", 1, PERM_ALL) + ustring("world") + ustring("anyone")
    return request(xid, OP_CREATE, ustring(path) + buffer(data) + acl + struct.pack("!i", flags))


def create_reply(xid, zxid, path):
    return reply(xid, zxid, ERR_OK, ustring(path))


def ping():
    return request(XID_PING, OP_PING)


def ping_reply(zxid):
    return reply(XID_PING, zxid)


def close_session(xid):
    return request(xid, OP_CLOSE)


# --- ZAB: bare QuorumPacket records {type, zxid, data, authinfo} with no outer length ---

def quorum_packet(packet_type, zxid, data=None):
    return struct.pack("!iq", packet_type, zxid) + buffer(data) + struct.pack("!i", -1)


def learner_info(sid):
    """LearnerInfo: serverid, protocolVersion, configVersion."""
    return struct.pack("!qiq", sid, PROTOCOL_VERSION, 0)


def follower_sync(sid, epoch, last_zxid):
    """A follower joining the leader: (follower bytes, leader bytes) steps."""
    new_epoch_zxid = (epoch + 1) << 32
    return [
        (quorum_packet(QP_FOLLOWERINFO, epoch << 32, learner_info(sid)),
         quorum_packet(QP_LEADERINFO, new_epoch_zxid, struct.pack("!i", PROTOCOL_VERSION))),
        (quorum_packet(QP_ACKEPOCH, last_zxid, struct.pack("!i", epoch)),
         quorum_packet(QP_DIFF, last_zxid) + quorum_packet(QP_NEWLEADER, new_epoch_zxid)),
        (quorum_packet(QP_ACK, new_epoch_zxid), quorum_packet(QP_UPTODATE, 0)),
    ]


def leader_ping(zxid):
    return quorum_packet(QP_PING, zxid)


def learner_ping(zxid, sessions):
    """The learner answers a PING with its sessions: (sessionId, timeout) pairs."""
    data = b"".join(struct.pack("!qi", sid, timeout) for sid, timeout in sessions)
    return quorum_packet(QP_PING, zxid, data)


# --- fast leader election on the election port ---

def election_initial(sid, election_address):
    """Initial message from the higher sid: protocol version, sid, "host:port"."""
    raw = election_address.encode()
    return struct.pack("!qqi", ELECTION_PROTOCOL_V1, sid, len(raw)) + raw


def notification(state, leader, zxid, election_epoch, peer_epoch):
    body = struct.pack("!iqqqqii", state, leader, zxid, election_epoch, peer_epoch,
                       NOTIFICATION_VERSION, 0)
    return struct.pack("!i", len(body)) + body


OP_AUTH, XID_AUTH = 100, -4


def auth(scheme, data, auth_type=0):
    """AuthPacket {type, scheme, auth} (ClientCnxn.addAuthInfo): digest data is
    "user:password" in clear."""
    return request(XID_AUTH, OP_AUTH, struct.pack("!i", auth_type) + ustring(scheme) + buffer(data))


def auth_reply(zxid=0):
    return reply(XID_AUTH, zxid)
