"""Apache Thrift strict binary protocol (thrift/doc/specs/thrift-binary-protocol.md) over
the framed transport, with HiveServer2 TCLIService calls (TCLIService.thrift) as Impala
serves them on 21050, Beeswax-style calls and the WSO2 data bridge event publisher."""
import struct

VERSION_1 = 0x80010000
CALL, REPLY, EXCEPTION, ONEWAY = 1, 2, 3, 4
T_STOP, T_BOOL, T_I32, T_I64, T_STRING, T_STRUCT, T_MAP, T_LIST = 0, 2, 8, 10, 11, 12, 13, 15

HIVE_CLI_SERVICE_PROTOCOL_V6 = 5
STATUS_SUCCESS = 0
OPERATION_EXECUTE_STATEMENT = 0
FETCH_NEXT = 0


# --- values: each returns (type id, encoded bytes) ---

def i32(value):
    return T_I32, struct.pack("!i", value)


def i64(value):
    return T_I64, struct.pack("!q", value)


def boolean(value):
    return T_BOOL, b"\x01" if value else b"\x00"


def string(value):
    raw = value.encode() if isinstance(value, str) else value
    return T_STRING, struct.pack("!i", len(raw)) + raw


def struct_(*fields):
    """fields: (id, (type, bytes)) pairs, in id order."""
    body = b"".join(struct.pack("!bh", ftype, fid) + raw for fid, (ftype, raw) in fields)
    return T_STRUCT, body + bytes([T_STOP])


def list_(elem_type, items):
    return T_LIST, struct.pack("!bi", elem_type, len(items)) + b"".join(raw for _, raw in items)


def map_str(entries):
    raw = b"".join(string(k)[1] + string(v)[1] for k, v in entries.items())
    return T_MAP, struct.pack("!bbi", T_STRING, T_STRING, len(entries)) + raw


def message(name, mtype, seqid, args):
    """One framed message: frame length, strict header, the argument/result struct."""
    body = struct.pack("!I", VERSION_1 | mtype) + string(name)[1] + struct.pack("!i", seqid)
    body += args[1]
    return struct.pack("!i", len(body)) + body


def call(name, seqid, *fields):
    return message(name, CALL, seqid, struct_(*fields))


def reply(name, seqid, result):
    """A reply's struct holds the return value as field 0 (success)."""
    return message(name, REPLY, seqid, struct_((0, result)))


# --- HiveServer2 (TCLIService) ---

def handle_identifier(guid, secret):
    return struct_((1, string(guid)), (2, string(secret)))


def session_handle(guid, secret):
    return struct_((1, handle_identifier(guid, secret)))


def operation_handle(guid, secret):
    return struct_((1, handle_identifier(guid, secret)), (2, i32(OPERATION_EXECUTE_STATEMENT)),
                   (3, boolean(True)))


def ok_status():
    return struct_((1, i32(STATUS_SUCCESS)))


def open_session(seqid, user, password=None):
    """TOpenSessionReq, by default without a password: Impala's NOSASL/LDAP-less HS2
    endpoint; with one, as an LDAP-backed server gets it (field 3, in clear)."""
    fields = [(1, i32(HIVE_CLI_SERVICE_PROTOCOL_V6)), (2, string(user))]
    if password is not None:
        fields.append((3, string(password)))
    req = struct_(*fields, (4, map_str({"impala.doas.user": user})))
    return call("OpenSession", seqid, (1, req))


def open_session_reply(seqid, session):
    resp = struct_((1, ok_status()), (2, i32(HIVE_CLI_SERVICE_PROTOCOL_V6)), (3, session),
                   (4, map_str({"http_addr": "node1:25000"})))
    return reply("OpenSession", seqid, resp)


def execute_statement(seqid, session, statement):
    req = struct_((1, session), (2, string(statement)), (4, boolean(False)))
    return call("ExecuteStatement", seqid, (1, req))


def execute_statement_reply(seqid, operation):
    return reply("ExecuteStatement", seqid, struct_((1, ok_status()), (2, operation)))


def fetch_results(seqid, operation, max_rows=1024):
    req = struct_((1, operation), (2, i32(FETCH_NEXT)), (3, i64(max_rows)))
    return call("FetchResults", seqid, (1, req))


def fetch_results_reply(seqid, values):
    """One string column (TColumn.stringVal = field 6) of the given values, no nulls."""
    column = struct_((6, struct_((1, list_(T_STRING, [string(v) for v in values])),
                                 (2, string(b"\x00")))))
    rowset = struct_((1, i64(0)), (2, list_(T_STRUCT, [])), (3, list_(T_STRUCT, [column])))
    return reply("FetchResults", seqid, struct_((1, ok_status()), (2, boolean(False)),
                                                (3, rowset)))


def close_operation(seqid, operation):
    return call("CloseOperation", seqid, (1, struct_((1, operation))))


def close_operation_reply(seqid):
    return reply("CloseOperation", seqid, struct_((1, ok_status())))


def close_session(seqid, session):
    return call("CloseSession", seqid, (1, struct_((1, session))))


def close_session_reply(seqid):
    return reply("CloseSession", seqid, struct_((1, ok_status())))


def hs2_session(user, statement, rows, guid, secret, password=None):
    """A whole HiveServer2 session as (request, reply) pairs."""
    session = session_handle(guid[:16], secret[:16])
    operation = operation_handle(guid[16:32], secret[16:32])
    return [
        (open_session(1, user, password), open_session_reply(1, session)),
        (execute_statement(2, session, statement), execute_statement_reply(2, operation)),
        (fetch_results(3, operation), fetch_results_reply(3, rows)),
        (close_operation(4, operation), close_operation_reply(4)),
        (close_session(5, session), close_session_reply(5)),
    ]


# --- Impala internal services (ImpalaInternalService.thrift / StatestoreService.thrift) ---

def statestore_heartbeat(seqid, registration_id):
    req = struct_((1, i32(0)), (2, string(registration_id)))
    return call("Heartbeat", seqid, (1, req))


def statestore_heartbeat_reply(seqid):
    return reply("Heartbeat", seqid, struct_((1, ok_status())))


# --- WSO2 data bridge (ThriftEventTransmissionService.thrift) ---

def event_publish(seqid, session_id, stream_id, values):
    """publish(ThriftEventBundle): sessionId, eventNum, string attributes."""
    bundle = struct_((1, string(session_id)), (2, i32(1)),
                     (8, list_(T_STRING, [string(stream_id)] + [string(v) for v in values])))
    return call("publish", seqid, (1, bundle))


def event_publish_reply(seqid):
    return message("publish", REPLY, seqid, struct_())
