/* zookeeper.c: Apache ZooKeeper dissector (client jute protocol, four-letter
 * words, ZAB quorum packets, fast leader election).
 *
 * One TCP flow carries exactly one of four kinds; the first bytes decide which.
 * Client packets are int32 length-prefixed jute records; quorum packets are bare
 * jute QuorumPacket records (no outer length); election messages are an initial
 * message followed by int32 length-prefixed notifications.  Passwords and auth
 * tokens are never kept: only the mechanism and the digest user name. */
#include <string.h>

#include "ptl-module.h"
#include "ptl-redact.h"

/* generous above jute.maxbuffer (1 MiB default); operators raise that limit */
#define ZOOKEEPER_MAX_PACKET (16u * 1024 * 1024)
/* bytes of a packet body we look at; the rest is skipped without holding it */
#define ZOOKEEPER_HEAD_MAX (16u * 1024)
/* QuorumCnxManager.PACKETMAXSIZE and maxBuffer (initial message address) */
#define ZOOKEEPER_MAX_NOTIFICATION (512u * 1024)
#define ZOOKEEPER_MAX_ELECTION_ADDR 2048u
/* session passwords are 16 bytes; anything far above is not a ConnectRequest */
#define ZOOKEEPER_MAX_PASSWD 64u
/* QuorumPacket.authinfo: a few Id{scheme, id} records in practice */
#define ZOOKEEPER_MAX_AUTHINFO 16
#define ZOOKEEPER_MAX_AUTHINFO_STRING 1024u
/* a notification holds state, leader, zxid and election epoch at least */
#define ZOOKEEPER_MIN_NOTIFICATION 28u
#define ZOOKEEPER_NOTIFICATION_V2_HEADER 44u

/* per-flow caps */
#define ZOOKEEPER_MAX_PATHS 64
#define ZOOKEEPER_MAX_PENDING 128
#define ZOOKEEPER_MAX_SERVER_IDS 32
#define ZOOKEEPER_MAX_COMMANDS 16
#define ZOOKEEPER_MAX_LINE 128

/* QuorumCnxManager.PROTOCOL_VERSION_V1 / _V2 */
#define ZOOKEEPER_ELECTION_V1 (-65536)
#define ZOOKEEPER_ELECTION_V2 (-65535)

/* special client xids */
#define ZOOKEEPER_XID_WATCH (-1)
#define ZOOKEEPER_XID_PING (-2)
#define ZOOKEEPER_XID_AUTH (-4)
#define ZOOKEEPER_XID_SET_WATCHES (-8)

/* jute "snapshot done" signature the leader writes after a SNAP stream */
static const guint8 zookeeper_snap_signature[] = {
    0x00, 0x00, 0x00, 0x0a, 'B', 'e', 'n', 'W', 'a', 's', 'H', 'e', 'r', 'e',
};

typedef enum {
    ZOOKEEPER_KIND_UNKNOWN,
    ZOOKEEPER_KIND_CLIENT,
    ZOOKEEPER_KIND_FOUR_LETTER,
    ZOOKEEPER_KIND_QUORUM,
    ZOOKEEPER_KIND_ELECTION,
} ZookeeperKind;

static const char *const zookeeper_kind_names[] = {
    NULL, "client", "four_letter", "quorum", "election",
};

/* ---- static tables ---------------------------------------------------- */

/* ZooDefs.OpCode: code, name, TRUE when the request body starts with a path */
#define ZOOKEEPER_OPCODES(X) \
    X(1, "create", TRUE) X(2, "delete", TRUE) X(3, "exists", TRUE) \
    X(4, "getData", TRUE) X(5, "setData", TRUE) X(6, "getACL", TRUE) \
    X(7, "setACL", TRUE) X(8, "getChildren", TRUE) X(9, "sync", TRUE) \
    X(11, "ping", FALSE) X(12, "getChildren2", TRUE) X(13, "check", TRUE) \
    X(14, "multi", FALSE) X(15, "create2", TRUE) X(16, "reconfig", FALSE) \
    X(17, "checkWatches", TRUE) X(18, "removeWatches", TRUE) \
    X(19, "createContainer", TRUE) X(20, "deleteContainer", TRUE) \
    X(21, "createTTL", TRUE) X(22, "multiRead", FALSE) X(100, "auth", FALSE) \
    X(101, "setWatches", FALSE) X(102, "sasl", FALSE) X(103, "getEphemerals", TRUE) \
    X(104, "getAllChildrenNumber", TRUE) X(105, "setWatches2", FALSE) \
    X(106, "addWatch", TRUE) X(107, "whoAmI", FALSE) X(-10, "createSession", FALSE) \
    X(-11, "closeSession", FALSE) X(-1, "error", FALSE)

#define ZOOKEEPER_X_CODE(code, name, has_path) code,
#define ZOOKEEPER_X_NAME(code, name, has_path) name,
#define ZOOKEEPER_X_PATH(code, name, has_path) has_path,

static const gint32 zookeeper_opcode_codes[] = { ZOOKEEPER_OPCODES(ZOOKEEPER_X_CODE) };
static const char *const zookeeper_opcode_names[] = { ZOOKEEPER_OPCODES(ZOOKEEPER_X_NAME) };
static const gboolean zookeeper_opcode_has_path[] = { ZOOKEEPER_OPCODES(ZOOKEEPER_X_PATH) };
#define ZOOKEEPER_N_OPCODES G_N_ELEMENTS(zookeeper_opcode_codes)

enum {
    ZOOKEEPER_OP_CREATE = 1, ZOOKEEPER_OP_DELETE = 2, ZOOKEEPER_OP_GET_DATA = 4,
    ZOOKEEPER_OP_SET_DATA = 5, ZOOKEEPER_OP_GET_CHILDREN = 8, ZOOKEEPER_OP_PING = 11,
    ZOOKEEPER_OP_CHECK = 13, ZOOKEEPER_OP_MULTI = 14, ZOOKEEPER_OP_CREATE2 = 15,
    ZOOKEEPER_OP_CREATE_CONTAINER = 19, ZOOKEEPER_OP_DELETE_CONTAINER = 20,
    ZOOKEEPER_OP_CREATE_TTL = 21, ZOOKEEPER_OP_MULTI_READ = 22, ZOOKEEPER_OP_AUTH = 100,
    ZOOKEEPER_OP_SET_WATCHES = 101, ZOOKEEPER_OP_SET_WATCHES2 = 105,
};

/* KeeperException.Code; the last slot counts codes outside the table */
#define ZOOKEEPER_ERRORS(X) \
    X(0, "OK") X(-1, "SYSTEMERROR") X(-2, "RUNTIMEINCONSISTENCY") \
    X(-3, "DATAINCONSISTENCY") X(-4, "CONNECTIONLOSS") X(-5, "MARSHALLINGERROR") \
    X(-6, "UNIMPLEMENTED") X(-7, "OPERATIONTIMEOUT") X(-8, "BADARGUMENTS") \
    X(-12, "UNKNOWNSESSION") X(-13, "NEWCONFIGNOQUORUM") X(-14, "RECONFIGINPROGRESS") \
    X(-100, "APIERROR") X(-101, "NONODE") X(-102, "NOAUTH") X(-103, "BADVERSION") \
    X(-108, "NOCHILDRENFOREPHEMERALS") X(-110, "NODEEXISTS") X(-111, "NOTEMPTY") \
    X(-112, "SESSIONEXPIRED") X(-113, "INVALIDCALLBACK") X(-114, "INVALIDACL") \
    X(-115, "AUTHFAILED") X(-118, "SESSIONMOVED") X(-119, "NOTREADONLY") \
    X(-120, "EPHEMERALONLOCALSESSION") X(-121, "NOWATCHER") X(-122, "REQUESTTIMEOUT") \
    X(-123, "RECONFIGDISABLED") X(-124, "SESSIONCLOSEDREQUIRESASLAUTH") \
    X(-125, "QUOTAEXCEEDED") X(-127, "THROTTLEDOP")

#define ZOOKEEPER_X_ERR_CODE(code, name) code,
#define ZOOKEEPER_X_ERR_NAME(code, name) name,

static const gint32 zookeeper_error_codes[] = { ZOOKEEPER_ERRORS(ZOOKEEPER_X_ERR_CODE) };
static const char *const zookeeper_error_names[] = {
    ZOOKEEPER_ERRORS(ZOOKEEPER_X_ERR_NAME) "unknown",
};
#define ZOOKEEPER_N_ERRORS G_N_ELEMENTS(zookeeper_error_codes)
#define ZOOKEEPER_ERROR_NONODE (-101)
#define ZOOKEEPER_ERROR_NODEEXISTS (-110)

/* Watcher.Event.EventType, offset by one so None (-1) is index 0 */
static const char *const zookeeper_event_names[] = {
    "None", NULL, "NodeCreated", "NodeDeleted", "NodeDataChanged", "NodeChildrenChanged",
    "DataWatchRemoved", "ChildWatchRemoved", "PersistentWatchRemoved",
};
#define ZOOKEEPER_N_EVENTS G_N_ELEMENTS(zookeeper_event_names)

static const char *const zookeeper_quorum_names[] = {
    NULL, "REQUEST", "PROPOSAL", "ACK", "COMMIT", "PING", "REVALIDATE", "SYNC", "INFORM",
    "COMMITANDACTIVATE", "NEWLEADER", "FOLLOWERINFO", "UPTODATE", "DIFF", "TRUNC", "SNAP",
    "OBSERVERINFO", "LEADERINFO", "ACKEPOCH", "INFORMANDACTIVATE",
};

/* Leader packet types 1..19, index = type.  The probe is strict about the data
 * length each type carries and who sends it; the feed only about framing. */
typedef struct {
    gint32   min_data;            /* -1: a null buffer is fine */
    gint32   max_data;
    gboolean is_from_leader;
    gboolean is_from_learner;
} ZookeeperQuorumType;

#define ZOOKEEPER_ANY_DATA ((gint32) ZOOKEEPER_MAX_PACKET)
static const ZookeeperQuorumType zookeeper_quorum_types[] = {
    { 0, 0, FALSE, FALSE },
    { 16, ZOOKEEPER_ANY_DATA, FALSE, TRUE },  /* REQUEST */
    { 32, ZOOKEEPER_ANY_DATA, TRUE, FALSE },  /* PROPOSAL */
    { -1, 64, FALSE, TRUE },  /* ACK */
    { -1, 64, TRUE, FALSE },  /* COMMIT */
    { -1, ZOOKEEPER_ANY_DATA, TRUE, TRUE },  /* PING */
    { 9, 64, TRUE, TRUE },  /* REVALIDATE */
    { -1, 64, TRUE, FALSE },  /* SYNC */
    { 32, ZOOKEEPER_ANY_DATA, TRUE, FALSE },  /* INFORM */
    { 8, 8, TRUE, FALSE },  /* COMMITANDACTIVATE */
    { -1, ZOOKEEPER_ANY_DATA, TRUE, FALSE },  /* NEWLEADER */
    { 12, 64, FALSE, TRUE },  /* FOLLOWERINFO */
    { -1, 0, TRUE, FALSE },  /* UPTODATE */
    { -1, 0, TRUE, FALSE },  /* DIFF */
    { -1, 0, TRUE, FALSE },  /* TRUNC */
    { -1, 0, TRUE, FALSE },  /* SNAP */
    { 12, 64, FALSE, TRUE },  /* OBSERVERINFO */
    { 4, 64, TRUE, FALSE },  /* LEADERINFO */
    { 4, 64, FALSE, TRUE },  /* ACKEPOCH */
    { 40, ZOOKEEPER_ANY_DATA, TRUE, FALSE },  /* INFORMANDACTIVATE */
};
G_STATIC_ASSERT(G_N_ELEMENTS(zookeeper_quorum_types) == G_N_ELEMENTS(zookeeper_quorum_names));
#define ZOOKEEPER_N_QUORUM_TYPES G_N_ELEMENTS(zookeeper_quorum_types)
enum {
    ZOOKEEPER_QP_FOLLOWERINFO = 11, ZOOKEEPER_QP_UPTODATE = 12, ZOOKEEPER_QP_SNAP = 15,
    ZOOKEEPER_QP_OBSERVERINFO = 16,
};

/* FastLeaderElection.ServerState */
static const char *const zookeeper_peer_states[] = {
    "looking", "following", "leading", "observing",
};
#define ZOOKEEPER_N_PEER_STATES G_N_ELEMENTS(zookeeper_peer_states)

/* The four-letter words and the plain-text answers they start with. */
static const char *const zookeeper_four_letter_words[] = {
    "ruok", "stat", "srvr", "mntr", "conf", "cons", "crst", "dump", "envi",
    "wchs", "wchc", "wchp", "dirs", "isro", "gtmk", "stmk", "srst",
};
static const char *const zookeeper_four_letter_answers[] = {
    "imok", "Zookeeper version: ", "zk_version\t", "clientPort=", "Environment:",
    "SessionTracker dump:", "This ZooKeeper instance is not currently serving requests",
};

/* ---- state ------------------------------------------------------------ */

typedef enum {
    ZOOKEEPER_PHASE_PDU,          /* at a PDU boundary */
    ZOOKEEPER_PHASE_SKIP,         /* discarding the unread rest of a body */
    ZOOKEEPER_PHASE_AUTHINFO,     /* quorum: authinfo vector after a skipped data buffer */
    ZOOKEEPER_PHASE_SNAPSHOT,     /* quorum: raw snapshot stream after SNAP */
} ZookeeperPhase;

typedef struct {
    ZookeeperPhase phase;
    ZookeeperPhase after_skip;
    gsize          skip;
    gboolean       has_pdus;      /* the first PDU (connect / initial message) is behind */
} ZookeeperDir;

typedef struct {
    gint32 xid;
    guint8 op_index;              /* into the opcode table; ZOOKEEPER_N_OPCODES = unknown */
    gboolean is_used;
    gint64 ts_ns;                 /* when the request was read: the reply's latency */
} ZookeeperPending;

typedef struct {
    ZookeeperKind kind;
    gboolean      is_confirmed;
    ZookeeperDir  dirs[2];

    /* client */
    gboolean has_connect;
    gboolean has_read_only;
    gboolean is_read_only;
    gint32   protocol_version;
    gint32   timeout_ms;
    gint64   session_id;
    guint64  requests;
    guint64  replies;
    guint64  opcodes[ZOOKEEPER_N_OPCODES];
    guint64  unknown_opcodes;
    guint64  errors[ZOOKEEPER_N_ERRORS + 1];
    guint64  failed_by_opcode[ZOOKEEPER_N_OPCODES];
    guint64  failed_reported;     /* bit per error slot: REQUEST_FAILED raised once each */
    guint64  watch_events;
    guint64  event_types[ZOOKEEPER_N_EVENTS];
    guint64  unmatched_replies;
    ZookeeperPending pending[ZOOKEEPER_MAX_PENDING];
    guint    pending_head;
    guint    pending_count;
    guint64  pending_dropped;
    PtlNameCounts paths;
    guint64  auth_packets;
    char    *auth_scheme;
    char    *auth_user;

    /* four-letter words */
    guint8   commands[ZOOKEEPER_MAX_COMMANDS];
    guint    n_commands;
    guint64  commands_dropped;
    guint64  response_bytes;
    char     first_line[ZOOKEEPER_MAX_LINE + 1];
    guint    first_line_len;
    gboolean has_first_line;

    /* quorum and election */
    guint64  quorum_packets[ZOOKEEPER_N_QUORUM_TYPES];
    guint64  snapshot_bytes;
    gboolean is_syncing;          /* between SNAP and UPTODATE: resync instead of failing */
    gint64   server_ids[ZOOKEEPER_MAX_SERVER_IDS];
    guint    n_server_ids;
    guint64  server_ids_dropped;
    guint64  notifications;
    guint64  peer_states[ZOOKEEPER_N_PEER_STATES];
    gint64   election_version;
    char    *election_address;
} ZookeeperState;

/* ---- small helpers ---------------------------------------------------- */

/* position of code in a table of wire codes, or -1 */
static gint
zookeeper_code_index(const gint32 *codes, guint n, gint32 code)
{
    for (guint i = 0; i < n; i++) {
        if (codes[i] == code)
            return (gint) i;
    }
    return -1;
}

static gint
zookeeper_opcode_index(gint32 code)
{
    return zookeeper_code_index(zookeeper_opcode_codes, ZOOKEEPER_N_OPCODES, code);
}

static gint
zookeeper_error_index(gint32 code)
{
    return zookeeper_code_index(zookeeper_error_codes, ZOOKEEPER_N_ERRORS, code);
}

/* xids a client may send: its own counter, or the reserved ping/auth/setWatches */
static gboolean
zookeeper_is_request_xid(gint32 xid)
{
    return xid >= 0 || xid == ZOOKEEPER_XID_PING || xid == ZOOKEEPER_XID_AUTH
           || xid == ZOOKEEPER_XID_SET_WATCHES;
}

static gboolean
zookeeper_is_reply_xid(gint32 xid)
{
    return zookeeper_is_request_xid(xid) || xid == ZOOKEEPER_XID_WATCH;
}

/* A jute buffer/ustring: int32 length, -1 for null.  FALSE on a bad length or
 * when the bytes are not all there (the cursor says which). */
static gboolean
zookeeper_read_blob(PtlCursor *c, gsize max, const guint8 **out, gsize *out_len)
{
    gint32 n = (gint32) ptl_cursor_be32(c);
    *out = NULL;
    *out_len = 0;
    if (!ptl_cursor_ok(c) || n < -1 || (n > 0 && (gsize) n > max))
        return FALSE;
    if (n <= 0)
        return TRUE;
    *out = ptl_cursor_take(c, (gsize) n);
    *out_len = (gsize) n;
    return *out != NULL;
}

static gboolean
zookeeper_skip_blob(PtlCursor *c)
{
    const guint8 *p;
    gsize n;
    return zookeeper_read_blob(c, ZOOKEEPER_MAX_PACKET, &p, &n);
}

static void
zookeeper_confirm(ZookeeperState *s, const PtlFlowContext *ctx)
{
    if (s->is_confirmed)
        return;
    s->is_confirmed = TRUE;
    ptl_fact(ctx, PTL_FACT_CONFIRMED, zookeeper_kind_names[s->kind]);
}

static void
zookeeper_add_server_id(ZookeeperState *s, gint64 sid)
{
    if (sid < 0)
        return;
    for (guint i = 0; i < s->n_server_ids; i++) {
        if (s->server_ids[i] == sid)
            return;
    }
    if (s->n_server_ids == ZOOKEEPER_MAX_SERVER_IDS) {
        s->server_ids_dropped++;
        return;
    }
    s->server_ids[s->n_server_ids++] = sid;
}

/* Sets the error and returns -1, the feed's failure value. */
static gssize
zookeeper_fail(GError **error, PtlDissectError code, const char *what, guint64 value,
               guint64 limit)
{
    if (limit > 0)
        return ptl_dissect_fail(error, code, "zookeeper", "%s %" G_GUINT64_FORMAT
                                " over limit %" G_GUINT64_FORMAT, what, value, limit);
    return ptl_dissect_fail(error, code, "zookeeper", "%s %" G_GINT64_FORMAT, what,
                            (gint64) value);
}

/* ---- probe: one verdict per kind, combined in zookeeper_classify ------ */

/* The bytes seen so far must be a prefix of `text`; YES once all of it is there. */
static PtlProbe
zookeeper_probe_prefix(const guint8 *data, gsize len, const char *text)
{
    gsize n = strlen(text);
    PtlCursor c = ptl_cursor_init(data, len);
    const guint8 *p = ptl_cursor_peek(&c, MIN(len, n));
    if (p == NULL || memcmp(p, text, MIN(len, n)) != 0)
        return PTL_PROBE_NO;
    return len >= n ? PTL_PROBE_YES : PTL_PROBE_MAYBE;
}

static gint
zookeeper_four_letter_index(const guint8 *p)
{
    for (guint i = 0; i < G_N_ELEMENTS(zookeeper_four_letter_words); i++) {
        if (memcmp(p, zookeeper_four_letter_words[i], 4) == 0)
            return (gint) i;
    }
    return -1;
}

static PtlProbe
zookeeper_probe_four_letter(const guint8 *data, gsize len, PtlDirection dir)
{
    if (dir == PTL_DIR_TO_CLIENT) {
        PtlProbe best = PTL_PROBE_NO;
        for (guint i = 0; i < G_N_ELEMENTS(zookeeper_four_letter_answers); i++)
            best = MAX(best, zookeeper_probe_prefix(data, len, zookeeper_four_letter_answers[i]));
        return best;
    }
    PtlProbe best = PTL_PROBE_NO;
    for (guint i = 0; i < G_N_ELEMENTS(zookeeper_four_letter_words); i++)
        best = MAX(best, zookeeper_probe_prefix(data, len, zookeeper_four_letter_words[i]));
    if (best != PTL_PROBE_YES || len == 4)
        return best;
    /* "stat\n" from nc/echo; stmk carries an 8-byte mask */
    PtlCursor c = ptl_cursor_init(data, len);
    const guint8 *word = ptl_cursor_take(&c, 4);
    guint8 next = ptl_cursor_u8(&c);
    if (next == '\n' || next == '\r' || memcmp(word, "stmk", 4) == 0)
        return PTL_PROBE_YES;
    return PTL_PROBE_NO;
}

/* 3.5+ notification: state, leader, zxid, epoch, peer epoch, version 2, config */
static PtlProbe
zookeeper_probe_notification(PtlCursor *c)
{
    guint32 size = ptl_cursor_be32(c);
    if (ptl_cursor_ok(c) && (size < ZOOKEEPER_NOTIFICATION_V2_HEADER
                             || size > ZOOKEEPER_MAX_NOTIFICATION))
        return PTL_PROBE_NO;
    guint32 state = ptl_cursor_be32(c);
    if (ptl_cursor_ok(c) && state >= ZOOKEEPER_N_PEER_STATES)
        return PTL_PROBE_NO;
    (void) ptl_cursor_skip(c, 32);               /* leader, zxid, epoch, peer epoch */
    gint32 version = (gint32) ptl_cursor_be32(c);
    guint32 config_len = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    if (version != 2 || config_len != size - ZOOKEEPER_NOTIFICATION_V2_HEADER)
        return PTL_PROBE_NO;
    return PTL_PROBE_YES;
}

static PtlProbe
zookeeper_probe_election(const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    if (dir == PTL_DIR_TO_SERVER) {
        static const guint8 magic[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
        const guint8 *p = ptl_cursor_peek(&c, MIN(len, sizeof magic));
        if (p != NULL && memcmp(p, magic, MIN(len, sizeof magic)) == 0) {
            gint64 version = (gint64) ptl_cursor_be64(&c);
            (void) ptl_cursor_be64(&c);          /* sid */
            guint32 addr_len = ptl_cursor_be32(&c);
            if (!ptl_cursor_ok(&c))
                return PTL_PROBE_MAYBE;
            if ((version != ZOOKEEPER_ELECTION_V1 && version != ZOOKEEPER_ELECTION_V2)
                || addr_len == 0 || addr_len > ZOOKEEPER_MAX_ELECTION_ADDR)
                return PTL_PROBE_NO;
            return PTL_PROBE_YES;
        }
    }
    return zookeeper_probe_notification(&c);
}

/* ConnectRequest {version, lastZxidSeen, timeout, sessionId, passwd[, readOnly]} and
 * ConnectResponse {version, timeout, sessionId, passwd[, readOnly]} differ only by
 * lastZxidSeen: one shape check serves both. */
static PtlProbe
zookeeper_probe_connect_shape(PtlCursor *c, guint32 size, gboolean has_zxid)
{
    guint32 fixed = has_zxid ? 28 : 20;          /* bytes before the password */
    if (size < fixed || size > fixed + 1 + ZOOKEEPER_MAX_PASSWD)
        return PTL_PROBE_NO;
    gint32 version = (gint32) ptl_cursor_be32(c);
    if (ptl_cursor_ok(c) && version != 0)
        return PTL_PROBE_NO;
    if (has_zxid)
        (void) ptl_cursor_skip(c, 8);            /* last zxid seen */
    gint32 timeout = (gint32) ptl_cursor_be32(c);
    (void) ptl_cursor_skip(c, 8);                /* session id */
    guint32 pw_len = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    if (version != 0 || timeout < 0 || pw_len > ZOOKEEPER_MAX_PASSWD
        || (size != fixed + pw_len && size != fixed + 1 + pw_len))
        return PTL_PROBE_NO;
    return PTL_PROBE_YES;
}

static PtlProbe
zookeeper_probe_connect_request(PtlCursor *c, guint32 size)
{
    return zookeeper_probe_connect_shape(c, size, TRUE);
}

static PtlProbe
zookeeper_probe_connect_response(PtlCursor *c, guint32 size)
{
    return zookeeper_probe_connect_shape(c, size, FALSE);
}

static PtlProbe
zookeeper_probe_connect(PtlCursor *c, guint32 size, PtlDirection dir)
{
    PtlCursor shape = *c;
    return dir == PTL_DIR_TO_SERVER ? zookeeper_probe_connect_request(&shape, size)
                                    : zookeeper_probe_connect_response(&shape, size);
}

static PtlProbe
zookeeper_probe_request(PtlCursor *c, guint32 size)
{
    gint32 xid = (gint32) ptl_cursor_be32(c);
    gint32 opcode = (gint32) ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    gint op = zookeeper_opcode_index(opcode);
    if (size < 8 || op < 0 || !zookeeper_is_request_xid(xid))
        return PTL_PROBE_NO;
    if (opcode == ZOOKEEPER_OP_PING)
        return xid == ZOOKEEPER_XID_PING && size == 8 ? PTL_PROBE_YES : PTL_PROBE_NO;
    if (opcode == ZOOKEEPER_OP_AUTH)
        return xid == ZOOKEEPER_XID_AUTH ? PTL_PROBE_YES : PTL_PROBE_NO;
    if (!zookeeper_opcode_has_path[op])
        return PTL_PROBE_YES;
    if (size < 13)
        return PTL_PROBE_NO;
    guint32 path_len = ptl_cursor_be32(c);
    guint8 first = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    return path_len >= 1 && path_len <= size - 12 && first == '/' ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static PtlProbe
zookeeper_probe_reply(PtlCursor *c, guint32 size)
{
    gint32 xid = (gint32) ptl_cursor_be32(c);
    gint64 zxid = (gint64) ptl_cursor_be64(c);
    gint32 err = (gint32) ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    if (size < 16 || !zookeeper_is_reply_xid(xid) || zxid < -1 || zookeeper_error_index(err) < 0)
        return PTL_PROBE_NO;
    if (xid == ZOOKEEPER_XID_PING)
        return size == 16 ? PTL_PROBE_YES : PTL_PROBE_NO;
    if (xid != ZOOKEEPER_XID_WATCH)
        return PTL_PROBE_YES;
    if (size < 28)
        return PTL_PROBE_NO;
    /* WatcherEvent: type, state, path */
    gint32 type = (gint32) ptl_cursor_be32(c);
    (void) ptl_cursor_be32(c);
    guint32 path_len = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    if (zxid != -1 || err != 0 || type < -1 || type + 1 >= (gint32) ZOOKEEPER_N_EVENTS
        || (path_len != G_MAXUINT32 && path_len > size - 28))
        return PTL_PROBE_NO;
    return PTL_PROBE_YES;
}

static PtlProbe
zookeeper_probe_client(const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    guint32 size = ptl_cursor_be32(&c);
    if (!ptl_cursor_ok(&c))
        return PTL_PROBE_MAYBE;
    if (size == 0 || size > ZOOKEEPER_MAX_PACKET)
        return PTL_PROBE_NO;
    PtlProbe connect = zookeeper_probe_connect(&c, size, dir);
    if (connect != PTL_PROBE_NO)
        return connect;
    return dir == PTL_DIR_TO_SERVER ? zookeeper_probe_request(&c, size)
                                    : zookeeper_probe_reply(&c, size);
}

/* authinfo: vector<Id{ustring scheme, ustring id}>; -1 on bad shape, 0 when
 * more bytes are needed, 1 when read */
static gint
zookeeper_read_authinfo(PtlCursor *c)
{
    gint32 count = (gint32) ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return 0;
    if (count < -1 || count > ZOOKEEPER_MAX_AUTHINFO)
        return -1;
    for (gint32 i = 0; i < count; i++) {
        for (guint field = 0; field < 2; field++) {
            const guint8 *p;
            gsize n;
            if (!zookeeper_read_blob(c, ZOOKEEPER_MAX_AUTHINFO_STRING, &p, &n))
                return ptl_cursor_ok(c) ? -1 : 0;
        }
    }
    return 1;
}

/* A whole, well-shaped QuorumPacket that fits in the probe window. */
static PtlProbe
zookeeper_probe_quorum(const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    guint32 type = ptl_cursor_be32(&c);
    if (!ptl_cursor_ok(&c))
        return PTL_PROBE_MAYBE;
    if (type == 0 || type >= ZOOKEEPER_N_QUORUM_TYPES)
        return PTL_PROBE_NO;
    const ZookeeperQuorumType *t = &zookeeper_quorum_types[type];
    if (dir == PTL_DIR_TO_SERVER ? !t->is_from_learner : !t->is_from_leader)
        return PTL_PROBE_NO;
    gint64 zxid = (gint64) ptl_cursor_be64(&c);
    gint32 data_len = (gint32) ptl_cursor_be32(&c);
    if (!ptl_cursor_ok(&c))
        return PTL_PROBE_MAYBE;
    if (zxid < -1 || data_len < -1)
        return PTL_PROBE_NO;
    if (data_len == -1 ? t->min_data != -1
                       : data_len < MAX(t->min_data, 0) || data_len > t->max_data
                             || data_len > PTL_PROBE_MAX_BYTES - 20)
        return PTL_PROBE_NO;
    if (data_len > 0 && !ptl_cursor_skip(&c, (gsize) data_len))
        return PTL_PROBE_MAYBE;
    gint auth = zookeeper_read_authinfo(&c);
    return auth < 0 ? PTL_PROBE_NO : auth == 0 ? PTL_PROBE_MAYBE : PTL_PROBE_YES;
}

/* Kinds in order; an undecided earlier kind holds back a later YES so the
 * answer never changes as more bytes arrive.  Quorum packets can look like
 * short client packets, so a whole quorum packet wins over a client header. */
static PtlProbe
zookeeper_classify(const guint8 *data, gsize len, PtlDirection dir, ZookeeperKind *kind)
{
    len = MIN(len, (gsize) PTL_PROBE_MAX_BYTES);
    *kind = ZOOKEEPER_KIND_UNKNOWN;
    PtlProbe v = zookeeper_probe_four_letter(data, len, dir);
    if (v != PTL_PROBE_NO) {
        *kind = v == PTL_PROBE_YES ? ZOOKEEPER_KIND_FOUR_LETTER : ZOOKEEPER_KIND_UNKNOWN;
        return v;
    }
    v = zookeeper_probe_election(data, len, dir);
    if (v != PTL_PROBE_NO) {
        *kind = v == PTL_PROBE_YES ? ZOOKEEPER_KIND_ELECTION : ZOOKEEPER_KIND_UNKNOWN;
        return v;
    }
    PtlProbe quorum = zookeeper_probe_quorum(data, len, dir);
    if (quorum != PTL_PROBE_NO) {
        *kind = quorum == PTL_PROBE_YES ? ZOOKEEPER_KIND_QUORUM : ZOOKEEPER_KIND_UNKNOWN;
        return quorum;
    }
    v = zookeeper_probe_client(data, len, dir);
    *kind = v == PTL_PROBE_YES ? ZOOKEEPER_KIND_CLIENT : ZOOKEEPER_KIND_UNKNOWN;
    return v;
}

static PtlProbe
zookeeper_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    ZookeeperKind kind;
    if (data == NULL || len == 0)
        return PTL_PROBE_MAYBE;
    return zookeeper_classify(data, len, dir, &kind);
}

/* ---- client protocol -------------------------------------------------- */

static void
zookeeper_pending_push(ZookeeperState *s, gint32 xid, gint op, gint64 ts_ns)
{
    if (s->pending_count == ZOOKEEPER_MAX_PENDING) {
        s->pending_head = (s->pending_head + 1) % ZOOKEEPER_MAX_PENDING;
        s->pending_count--;
        s->pending_dropped++;
    }
    guint slot = (s->pending_head + s->pending_count) % ZOOKEEPER_MAX_PENDING;
    s->pending[slot].xid = xid;
    s->pending[slot].op_index = (guint8) (op < 0 ? ZOOKEEPER_N_OPCODES : (guint) op);
    s->pending[slot].is_used = TRUE;
    s->pending[slot].ts_ns = ts_ns;
    s->pending_count++;
}

/* Whether a request `xid` was outstanding; then its opcode index (-1 unknown) and
 * time.  Replies come in request order, so the match is almost always at the head. */
static gboolean
zookeeper_pending_take(ZookeeperState *s, gint32 xid, gint *op, gint64 *ts_ns)
{
    gboolean is_found = FALSE;
    for (guint i = 0; i < s->pending_count; i++) {
        ZookeeperPending *p = &s->pending[(s->pending_head + i) % ZOOKEEPER_MAX_PENDING];
        if (p->is_used && p->xid == xid) {
            p->is_used = FALSE;
            *op = p->op_index < ZOOKEEPER_N_OPCODES ? p->op_index : -1;
            *ts_ns = p->ts_ns;
            is_found = TRUE;
            break;
        }
    }
    while (s->pending_count > 0 && !s->pending[s->pending_head].is_used) {
        s->pending_head = (s->pending_head + 1) % ZOOKEEPER_MAX_PENDING;
        s->pending_count--;
    }
    return is_found;
}

static void
zookeeper_read_path(ZookeeperState *s, PtlCursor *c)
{
    const guint8 *p;
    gsize n;
    if (zookeeper_read_blob(c, ZOOKEEPER_MAX_PACKET, &p, &n))
        ptl_name_counts_add(&s->paths, p, (gssize) n);
}

/* A jute vector count (-1 null); -1 when it cannot fit elements of at least
 * `min_size` bytes in what is left, so the loop it sizes stays in the view. */
static gint32
zookeeper_read_count(PtlCursor *c, gsize min_size)
{
    gint32 count = (gint32) ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c) || count < 0 || (gsize) count > ptl_cursor_remaining(c) / min_size)
        return -1;
    return count;
}

/* vector<ustring> of watched paths (SetWatches) */
static gboolean
zookeeper_read_path_vector(ZookeeperState *s, PtlCursor *c)
{
    gint32 count = zookeeper_read_count(c, 4);
    for (gint32 i = 0; i < count && ptl_cursor_ok(c); i++)
        zookeeper_read_path(s, c);
    return ptl_cursor_ok(c);
}

static void
zookeeper_read_set_watches(ZookeeperState *s, PtlCursor *c, guint vectors)
{
    (void) ptl_cursor_be64(c);                   /* relative zxid */
    for (guint i = 0; i < vectors; i++) {
        if (!zookeeper_read_path_vector(s, c))
            return;
    }
}

/* ACL vector: {perms int, Id{scheme, id}} */
static gboolean
zookeeper_skip_acl(PtlCursor *c)
{
    gint32 count = zookeeper_read_count(c, 12);
    for (gint32 i = 0; i < count; i++) {
        (void) ptl_cursor_be32(c);
        if (!zookeeper_skip_blob(c) || !zookeeper_skip_blob(c))
            return FALSE;
    }
    return TRUE;
}

/* One multi/multiRead operation after its MultiHeader; FALSE when the walk must stop. */
static gboolean
zookeeper_read_multi_op(ZookeeperState *s, PtlCursor *c, gint32 type)
{
    zookeeper_read_path(s, c);
    switch (type) {
    case ZOOKEEPER_OP_CREATE:
    case ZOOKEEPER_OP_CREATE2:
    case ZOOKEEPER_OP_CREATE_CONTAINER:
    case ZOOKEEPER_OP_CREATE_TTL:
        if (!zookeeper_skip_blob(c) || !zookeeper_skip_acl(c))
            return FALSE;
        (void) ptl_cursor_be32(c);               /* flags */
        if (type == ZOOKEEPER_OP_CREATE_TTL)
            (void) ptl_cursor_be64(c);
        break;
    case ZOOKEEPER_OP_SET_DATA:
        if (!zookeeper_skip_blob(c))
            return FALSE;
        (void) ptl_cursor_be32(c);               /* version */
        break;
    case ZOOKEEPER_OP_DELETE:
    case ZOOKEEPER_OP_DELETE_CONTAINER:
    case ZOOKEEPER_OP_CHECK:
        (void) ptl_cursor_be32(c);               /* version */
        break;
    case ZOOKEEPER_OP_GET_CHILDREN:
    case ZOOKEEPER_OP_GET_DATA:
        (void) ptl_cursor_u8(c);                 /* watch */
        break;
    default:
        return FALSE;
    }
    return ptl_cursor_ok(c);
}

static void
zookeeper_read_multi(ZookeeperState *s, PtlCursor *c)
{
    /* every round takes at least a 9-byte header, so the view bounds it */
    while (ptl_cursor_remaining(c) >= 9) {
        gint32 type = (gint32) ptl_cursor_be32(c);
        guint8 is_done = ptl_cursor_u8(c);
        (void) ptl_cursor_be32(c);               /* err */
        if (is_done != 0 || !zookeeper_read_multi_op(s, c, type))
            return;
    }
}

/* ACL schemes named in the output; any other scheme string is "other". */
static const char *const zookeeper_auth_schemes[] = {
    "digest", "sasl", "ip", "world", "auth", "x509", "super", "key",
};

/* AuthPacket {type, scheme, auth}: the scheme by its list name and, for digest
 * ("user:password"), the user only; other schemes' auth data is never read. */
static void
zookeeper_read_auth(ZookeeperState *s, const PtlFlowContext *ctx, PtlCursor *c)
{
    const guint8 *scheme, *auth;
    gsize scheme_len, auth_len;
    (void) ptl_cursor_be32(c);
    if (!zookeeper_read_blob(c, ZOOKEEPER_MAX_PACKET, &scheme, &scheme_len)
        || !zookeeper_read_blob(c, ZOOKEEPER_MAX_PACKET, &auth, &auth_len) || scheme == NULL)
        return;
    s->auth_packets++;
    const char *known = ptl_redact_known(scheme, scheme_len, zookeeper_auth_schemes,
                                         G_N_ELEMENTS(zookeeper_auth_schemes));
    if (s->auth_scheme == NULL)
        s->auth_scheme = g_strdup(known != NULL ? known : PTL_REDACT_OTHER);
    if (s->auth_user != NULL || g_strcmp0(known, "digest") != 0 || auth == NULL)
        return;
    PtlCursor a = ptl_cursor_init(auth, auth_len);
    gssize colon = ptl_cursor_find(&a, ':');
    s->auth_user = colon > 0 ? ptl_redact_user(auth, (gsize) colon) : NULL;
    g_autofree char *detail = s->auth_user != NULL
                                  ? g_strconcat("ZooKeeper digest user ", s->auth_user, NULL)
                                  : g_strdup("ZooKeeper digest");
    ptl_fact(ctx, PTL_FACT_CLEARTEXT_AUTH, detail);
}

static void
zookeeper_client_request(ZookeeperState *s, const PtlFlowContext *ctx, PtlCursor *c)
{
    gint32 xid = (gint32) ptl_cursor_be32(c);
    gint32 opcode = (gint32) ptl_cursor_be32(c);
    gint op = zookeeper_opcode_index(opcode);
    s->requests++;
    if (op < 0)
        s->unknown_opcodes++;
    else
        s->opcodes[op]++;
    zookeeper_pending_push(s, xid, op, ctx != NULL ? ctx->ts_ns : 0);
    if (op >= 0 && zookeeper_opcode_has_path[op]) {
        zookeeper_read_path(s, c);
        return;
    }
    switch (opcode) {
    case ZOOKEEPER_OP_AUTH:
        zookeeper_read_auth(s, ctx, c);
        break;
    case ZOOKEEPER_OP_MULTI:
    case ZOOKEEPER_OP_MULTI_READ:
        zookeeper_read_multi(s, c);
        break;
    case ZOOKEEPER_OP_SET_WATCHES:
        zookeeper_read_set_watches(s, c, 3);
        break;
    case ZOOKEEPER_OP_SET_WATCHES2:
        zookeeper_read_set_watches(s, c, 5);
        break;
    default:
        break;
    }
}

static void
zookeeper_record_error(ZookeeperState *s, const PtlFlowContext *ctx, gint op, gint32 err)
{
    gint e = zookeeper_error_index(err);
    guint slot = e < 0 ? ZOOKEEPER_N_ERRORS : (guint) e;
    s->errors[slot]++;
    if (op >= 0)
        s->failed_by_opcode[op]++;
    if (err == ZOOKEEPER_ERROR_NONODE || err == ZOOKEEPER_ERROR_NODEEXISTS
        || (s->failed_reported & (G_GUINT64_CONSTANT(1) << slot)) != 0)
        return;
    s->failed_reported |= G_GUINT64_CONSTANT(1) << slot;
    ptl_fact(ctx, PTL_FACT_REQUEST_FAILED, zookeeper_error_names[slot]);
}

/* One zookeeper_request record (docs/schema/zookeeper.md): the reply with its request. */
static void
zookeeper_record_reply(const PtlFlowContext *ctx, gint32 xid, gboolean is_matched, gint op,
                       gint32 err, gint64 request_ts_ns)
{
    if (xid == ZOOKEEPER_XID_PING)
        return;                  /* every few seconds on an idle session: counted, not logged */
    JsonBuilder *b = ptl_record_begin(ctx, "zookeeper_request");
    if (b == NULL)
        return;
    if (is_matched)
        ptl_emit_string(b, "opcode", op >= 0 ? zookeeper_opcode_names[op] : "unknown", -1);
    ptl_emit_int(b, "xid", xid);
    gint e = zookeeper_error_index(err);
    ptl_emit_string(b, "error", zookeeper_error_names[e < 0 ? ZOOKEEPER_N_ERRORS : (guint) e], -1);
    if (e < 0)
        ptl_emit_int(b, "error_code", err);
    if (is_matched && ctx->ts_ns >= request_ts_ns)
        ptl_emit_int(b, "latency_us", (ctx->ts_ns - request_ts_ns) / 1000);
    ptl_record_end(ctx);
}

static void
zookeeper_client_reply(ZookeeperState *s, const PtlFlowContext *ctx, PtlCursor *c)
{
    gint32 xid = (gint32) ptl_cursor_be32(c);
    (void) ptl_cursor_be64(c);                   /* zxid */
    gint32 err = (gint32) ptl_cursor_be32(c);
    if (xid == ZOOKEEPER_XID_WATCH) {
        gint32 type = (gint32) ptl_cursor_be32(c);
        s->watch_events++;
        if (ptl_cursor_ok(c) && type >= -1 && type + 1 < (gint32) ZOOKEEPER_N_EVENTS)
            s->event_types[type + 1]++;
        return;
    }
    s->replies++;
    gint op = -1;
    gint64 ts_ns = 0;
    gboolean is_matched = zookeeper_pending_take(s, xid, &op, &ts_ns);
    if (op < 0)
        s->unmatched_replies++;
    if (err != 0)
        zookeeper_record_error(s, ctx, op, err);
    zookeeper_record_reply(ctx, xid, is_matched, op, err, ts_ns);
}

static void
zookeeper_client_connect(ZookeeperState *s, PtlCursor *c, PtlDirection dir, guint32 size)
{
    s->has_connect = TRUE;
    s->protocol_version = (gint32) ptl_cursor_be32(c);
    if (dir == PTL_DIR_TO_SERVER)
        (void) ptl_cursor_be64(c);               /* last zxid seen */
    s->timeout_ms = (gint32) ptl_cursor_be32(c);
    gint64 session = (gint64) ptl_cursor_be64(c);
    if (session != 0 || dir == PTL_DIR_TO_CLIENT)
        s->session_id = session;
    guint32 pw_len = ptl_cursor_be32(c);
    (void) ptl_cursor_skip(c, pw_len);           /* the password: never kept */
    if (c->pos < size) {
        s->has_read_only = TRUE;
        s->is_read_only = ptl_cursor_u8(c) != 0;
    }
}

/* One client packet whose first `view` bytes are in `body`. */
static void
zookeeper_client_packet(ZookeeperState *s, const PtlFlowContext *ctx, PtlDirection dir,
                        PtlCursor *body, guint32 size)
{
    ZookeeperDir *d = &s->dirs[dir];
    gboolean is_first = !d->has_pdus;
    d->has_pdus = TRUE;
    if (is_first && zookeeper_probe_connect(body, size, dir) == PTL_PROBE_YES) {
        zookeeper_client_connect(s, body, dir, size);
        return;
    }
    if (dir == PTL_DIR_TO_SERVER)
        zookeeper_client_request(s, ctx, body);
    else
        zookeeper_client_reply(s, ctx, body);
}

/* ---- framing shared by the kinds ---------------------------------------- */

/* Consume up to `d->skip` bytes; returns bytes taken. */
static gsize
zookeeper_do_skip(ZookeeperDir *d, gsize available)
{
    gsize n = MIN(d->skip, available);
    d->skip -= n;
    if (d->skip == 0)
        d->phase = d->after_skip;
    return n;
}

static void
zookeeper_start_skip(ZookeeperDir *d, gsize n, ZookeeperPhase after)
{
    d->skip = n;
    d->after_skip = after;
    d->phase = n > 0 ? ZOOKEEPER_PHASE_SKIP : after;
}

static gssize
zookeeper_feed_client(ZookeeperState *s, const PtlFlowContext *ctx, PtlDirection dir,
                      const guint8 *data, gsize len, GError **error)
{
    ZookeeperDir *d = &s->dirs[dir];
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        if (d->phase == ZOOKEEPER_PHASE_SKIP) {
            c.pos += zookeeper_do_skip(d, ptl_cursor_remaining(&c));
            continue;
        }
        gsize start = c.pos;
        guint32 size = ptl_cursor_be32(&c);
        if (!ptl_cursor_ok(&c))
            return (gssize) start;
        if (size == 0)
            return zookeeper_fail(error, PTL_DISSECT_ERROR_MALFORMED, "packet length", 0, 0);
        if (size > ZOOKEEPER_MAX_PACKET)
            return zookeeper_fail(error, PTL_DISSECT_ERROR_LIMIT, "packet length", size,
                                  ZOOKEEPER_MAX_PACKET);
        gsize view = MIN((gsize) size, (gsize) ZOOKEEPER_HEAD_MAX);
        PtlCursor body = ptl_cursor_sub(&c, view);
        if (!ptl_cursor_ok(&c))
            return (gssize) start;
        zookeeper_confirm(s, ctx);
        zookeeper_client_packet(s, ctx, dir, &body, size);
        zookeeper_start_skip(d, size - view, ZOOKEEPER_PHASE_PDU);
    }
    return (gssize) c.pos;
}

/* ---- four-letter words -------------------------------------------------- */

static gssize
zookeeper_feed_four_letter(ZookeeperState *s, const PtlFlowContext *ctx, PtlDirection dir,
                           const guint8 *data, gsize len, GError **error)
{
    PtlCursor c = ptl_cursor_init(data, len);
    if (dir == PTL_DIR_TO_CLIENT) {
        /* plain text until close: count it, keep the first line */
        s->response_bytes += len;
        while (!s->has_first_line && ptl_cursor_remaining(&c) > 0) {
            guint8 ch = ptl_cursor_u8(&c);
            if (ch == '\n' || s->first_line_len == ZOOKEEPER_MAX_LINE)
                s->has_first_line = TRUE;
            else
                s->first_line[s->first_line_len++] = (char) ch;
        }
        zookeeper_confirm(s, ctx);
        return (gssize) len;
    }
    ZookeeperDir *d = &s->dirs[dir];
    while (ptl_cursor_remaining(&c) > 0) {
        if (d->phase == ZOOKEEPER_PHASE_SKIP) {
            c.pos += zookeeper_do_skip(d, ptl_cursor_remaining(&c));
            continue;
        }
        const guint8 *p = ptl_cursor_peek(&c, 1);
        if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') {
            c.pos++;
            continue;
        }
        p = ptl_cursor_peek(&c, 4);
        if (p == NULL)
            break;
        gint word = zookeeper_four_letter_index(p);
        if (word < 0) {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "zookeeper: unknown four-letter word");
            return -1;
        }
        c.pos += 4;
        if (s->n_commands < ZOOKEEPER_MAX_COMMANDS)
            s->commands[s->n_commands++] = (guint8) word;
        else
            s->commands_dropped++;
        if (memcmp(p, "stmk", 4) == 0)
            zookeeper_start_skip(d, 8, ZOOKEEPER_PHASE_PDU);    /* trace mask */
        zookeeper_confirm(s, ctx);
    }
    return (gssize) c.pos;
}

/* ---- quorum (ZAB) --------------------------------------------------------- */

static void
zookeeper_quorum_packet(ZookeeperState *s, guint32 type, PtlCursor *data)
{
    s->quorum_packets[type]++;
    if (type == ZOOKEEPER_QP_FOLLOWERINFO || type == ZOOKEEPER_QP_OBSERVERINFO) {
        gint64 sid = (gint64) ptl_cursor_be64(data);          /* LearnerInfo.serverid */
        if (ptl_cursor_ok(data))
            zookeeper_add_server_id(s, sid);
    } else if (type == ZOOKEEPER_QP_SNAP) {
        s->is_syncing = TRUE;
    } else if (type == ZOOKEEPER_QP_UPTODATE) {
        s->is_syncing = FALSE;
    }
}

/* Raw snapshot after SNAP: discard up to and including the signature; keep
 * the last bytes that could start it so a split signature is still found. */
static gsize
zookeeper_scan_snapshot(ZookeeperState *s, ZookeeperDir *d, PtlCursor *c)
{
    gsize start = c->pos;
    gsize sig_len = sizeof zookeeper_snap_signature;
    for (;;) {
        gssize off = ptl_cursor_find(c, 'B');
        if (off < 0) {
            gsize keep_from = c->len > sig_len - 1 ? c->len - (sig_len - 1) : 0;
            keep_from = MAX(keep_from, start);
            s->snapshot_bytes += keep_from - start;
            return keep_from;
        }
        gsize at = c->pos + (gsize) off;
        if (at < start + 4) {
            c->pos = at + 1;
            continue;
        }
        PtlCursor probe = *c;
        probe.pos = at - 4;
        const guint8 *p = ptl_cursor_peek(&probe, sig_len);
        if (p == NULL) {
            s->snapshot_bytes += at - 4 - start;
            return at - 4;                       /* wait for the rest */
        }
        if (memcmp(p, zookeeper_snap_signature, sig_len) == 0) {
            gsize end = at - 4 + sig_len;
            s->snapshot_bytes += end - start;
            d->phase = ZOOKEEPER_PHASE_PDU;
            return end;
        }
        c->pos = at + 1;
    }
}

/* During a sync the leader may stream things we cannot frame: fail soft by
 * scanning for the snapshot signature (returns 0); otherwise -1. */
static gssize
zookeeper_quorum_bad(ZookeeperState *s, ZookeeperDir *d, GError **error,
                     PtlDissectError code, const char *what, guint64 value, guint64 limit)
{
    if (s->is_syncing) {
        d->phase = ZOOKEEPER_PHASE_SNAPSHOT;
        return 0;
    }
    return zookeeper_fail(error, code, what, value, limit);
}

/* One QuorumPacket at the cursor: > 0 consumed, 0 wait (or resync), -1 error. */
static gssize
zookeeper_quorum_pdu(ZookeeperState *s, const PtlFlowContext *ctx, ZookeeperDir *d,
                     PtlCursor *c, GError **error)
{
    gsize start = c->pos;
    guint32 type = ptl_cursor_be32(c);
    (void) ptl_cursor_be64(c);                   /* zxid */
    gint32 data_len = (gint32) ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return 0;
    if (type == 0 || type >= ZOOKEEPER_N_QUORUM_TYPES)
        return zookeeper_quorum_bad(s, d, error, PTL_DISSECT_ERROR_MALFORMED,
                                    "quorum packet type", type, 0);
    if (data_len < -1)
        return zookeeper_quorum_bad(s, d, error, PTL_DISSECT_ERROR_MALFORMED,
                                    "quorum data length", (guint64) (gint64) data_len, 0);
    if (data_len > (gint32) ZOOKEEPER_MAX_PACKET)
        return zookeeper_quorum_bad(s, d, error, PTL_DISSECT_ERROR_LIMIT,
                                    "quorum data length", (guint64) data_len,
                                    ZOOKEEPER_MAX_PACKET);
    gsize dlen = data_len > 0 ? (gsize) data_len : 0;
    gsize view = MIN(dlen, (gsize) ZOOKEEPER_HEAD_MAX);
    PtlCursor data = ptl_cursor_sub(c, view);
    if (!ptl_cursor_ok(c))
        return 0;
    if (view == dlen) {
        gint auth = zookeeper_read_authinfo(c);
        if (auth == 0)
            return 0;
        if (auth < 0)
            return zookeeper_quorum_bad(s, d, error, PTL_DISSECT_ERROR_MALFORMED,
                                        "quorum authinfo for packet type", type, 0);
    }
    zookeeper_quorum_packet(s, type, &data);
    zookeeper_confirm(s, ctx);
    if (view < dlen)
        zookeeper_start_skip(d, dlen - view, ZOOKEEPER_PHASE_AUTHINFO);
    else if (type == ZOOKEEPER_QP_SNAP)
        d->phase = ZOOKEEPER_PHASE_SNAPSHOT;
    return (gssize) (c->pos - start);
}

static gssize
zookeeper_feed_quorum(ZookeeperState *s, const PtlFlowContext *ctx, PtlDirection dir,
                      const guint8 *data, gsize len, GError **error)
{
    ZookeeperDir *d = &s->dirs[dir];
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        gsize start = c.pos;
        if (d->phase == ZOOKEEPER_PHASE_SKIP) {
            c.pos += zookeeper_do_skip(d, ptl_cursor_remaining(&c));
        } else if (d->phase == ZOOKEEPER_PHASE_SNAPSHOT) {
            c.pos = zookeeper_scan_snapshot(s, d, &c);
            if (d->phase == ZOOKEEPER_PHASE_SNAPSHOT)
                break;
        } else if (d->phase == ZOOKEEPER_PHASE_AUTHINFO) {
            gint auth = zookeeper_read_authinfo(&c);
            if (auth == 0)
                return (gssize) start;
            if (auth < 0)
                return zookeeper_fail(error, PTL_DISSECT_ERROR_MALFORMED,
                                      "quorum authinfo after data of length", 0, 0);
            d->phase = ZOOKEEPER_PHASE_PDU;
        } else {
            gssize n = zookeeper_quorum_pdu(s, ctx, d, &c, error);
            if (n < 0)
                return -1;
            if (n == 0 && d->phase != ZOOKEEPER_PHASE_SNAPSHOT)
                return (gssize) start;
            c.pos = start + (gsize) n;
        }
    }
    return (gssize) c.pos;
}

/* ---- leader election ---------------------------------------------------- */

/* Initial message: protocol version, sid, "host:port" (or an old bare sid). */
static gssize
zookeeper_election_initial(ZookeeperState *s, PtlCursor *c, GError **error)
{
    gint64 first = (gint64) ptl_cursor_be64(c);
    if (!ptl_cursor_ok(c))
        return 0;
    if (first != ZOOKEEPER_ELECTION_V1 && first != ZOOKEEPER_ELECTION_V2) {
        zookeeper_add_server_id(s, first);      /* pre-3.5: the sid alone */
        return 8;
    }
    gint64 sid = (gint64) ptl_cursor_be64(c);
    guint32 addr_len = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return 0;
    if (addr_len == 0 || addr_len > ZOOKEEPER_MAX_ELECTION_ADDR)
        return zookeeper_fail(error, PTL_DISSECT_ERROR_LIMIT, "election address length",
                              addr_len, ZOOKEEPER_MAX_ELECTION_ADDR);
    const guint8 *addr = ptl_cursor_take(c, addr_len);
    if (addr == NULL)
        return 0;
    s->election_version = first;
    zookeeper_add_server_id(s, sid);
    if (s->election_address == NULL)
        s->election_address = g_utf8_make_valid((const char *) addr,
                                                (gssize) MIN(addr_len, (guint32) PTL_MAX_STRING));
    return (gssize) c->pos;
}

static void
zookeeper_election_notification(ZookeeperState *s, PtlCursor *body)
{
    guint32 state = ptl_cursor_be32(body);
    gint64 leader = (gint64) ptl_cursor_be64(body);
    s->notifications++;
    if (state < ZOOKEEPER_N_PEER_STATES)
        s->peer_states[state]++;
    zookeeper_add_server_id(s, leader);         /* the proposed leader's sid */
}

static gssize
zookeeper_feed_election(ZookeeperState *s, const PtlFlowContext *ctx, PtlDirection dir,
                        const guint8 *data, gsize len, GError **error)
{
    ZookeeperDir *d = &s->dirs[dir];
    PtlCursor c = ptl_cursor_init(data, len);
    /* a notification length is neither 0 nor negative: those start an initial message */
    if (dir == PTL_DIR_TO_SERVER && !d->has_pdus) {
        static const guint8 zero[4] = { 0 };
        const guint8 *p = ptl_cursor_peek(&c, 4);
        if (p == NULL)
            return 0;
        if (p[0] == 0xff || memcmp(p, zero, 4) == 0) {
            gssize n = zookeeper_election_initial(s, &c, error);
            if (n <= 0)
                return n;
            zookeeper_confirm(s, ctx);
        }
        d->has_pdus = TRUE;
    }
    while (ptl_cursor_remaining(&c) > 0) {
        if (d->phase == ZOOKEEPER_PHASE_SKIP) {
            c.pos += zookeeper_do_skip(d, ptl_cursor_remaining(&c));
            continue;
        }
        gsize start = c.pos;
        guint32 size = ptl_cursor_be32(&c);
        if (!ptl_cursor_ok(&c))
            return (gssize) start;
        if (size > ZOOKEEPER_MAX_NOTIFICATION)
            return zookeeper_fail(error, PTL_DISSECT_ERROR_LIMIT, "notification length", size,
                                  ZOOKEEPER_MAX_NOTIFICATION);
        if (size < ZOOKEEPER_MIN_NOTIFICATION)
            return zookeeper_fail(error, PTL_DISSECT_ERROR_MALFORMED, "notification length",
                                  size, 0);
        gsize view = MIN((gsize) size, (gsize) ZOOKEEPER_HEAD_MAX);
        PtlCursor body = ptl_cursor_sub(&c, view);
        if (!ptl_cursor_ok(&c))
            return (gssize) start;
        zookeeper_election_notification(s, &body);
        zookeeper_confirm(s, ctx);
        zookeeper_start_skip(d, size - view, ZOOKEEPER_PHASE_PDU);
    }
    return (gssize) c.pos;
}

/* ---- dissector callbacks ------------------------------------------------- */

static gpointer
zookeeper_state_new(void)
{
    ZookeeperState *s = g_new0(ZookeeperState, 1);
    ptl_name_counts_init(&s->paths, ZOOKEEPER_MAX_PATHS);
    return s;
}

static void
zookeeper_state_free(gpointer state)
{
    ZookeeperState *s = state;
    if (s == NULL)
        return;
    ptl_name_counts_clear(&s->paths);
    g_free(s->auth_scheme);
    g_free(s->auth_user);
    g_free(s->election_address);
    g_free(s);
}

/* The first bytes of whichever direction comes first pick the kind, with the
 * probe's own rules, so probe and feed always agree. */
static gboolean
zookeeper_pick_kind(ZookeeperState *s, PtlDirection dir, const guint8 *data, gsize len,
                    gboolean *is_waiting, GError **error)
{
    ZookeeperKind kind;
    PtlProbe v = zookeeper_classify(data, len, dir, &kind);
    *is_waiting = FALSE;
    if (v == PTL_PROBE_YES) {
        s->kind = kind;
        return TRUE;
    }
    if (v == PTL_PROBE_MAYBE && len < PTL_PROBE_MAX_BYTES) {
        *is_waiting = TRUE;
        return TRUE;
    }
    g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                "zookeeper: stream starts with no client, four-letter, quorum or election "
                "message");
    return FALSE;
}

static gssize
zookeeper_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir,
               const guint8 *data, gsize len, GError **error)
{
    ZookeeperState *s = state;
    g_return_val_if_fail(s != NULL && dir <= PTL_DIR_TO_CLIENT, -1);
    if (data == NULL || len == 0)
        return 0;
    if (s->kind == ZOOKEEPER_KIND_UNKNOWN) {
        gboolean is_waiting;
        if (!zookeeper_pick_kind(s, dir, data, len, &is_waiting, error))
            return -1;
        if (is_waiting)
            return 0;
    }
    switch (s->kind) {
    case ZOOKEEPER_KIND_CLIENT:
        return zookeeper_feed_client(s, ctx, dir, data, len, error);
    case ZOOKEEPER_KIND_FOUR_LETTER:
        return zookeeper_feed_four_letter(s, ctx, dir, data, len, error);
    case ZOOKEEPER_KIND_QUORUM:
        return zookeeper_feed_quorum(s, ctx, dir, data, len, error);
    case ZOOKEEPER_KIND_ELECTION:
        return zookeeper_feed_election(s, ctx, dir, data, len, error);
    default:
        g_assert_not_reached();
    }
    return -1;
}

/* Only unframed stretches survive a hole: a four-letter answer (plain text
 * to the close) and a raw snapshot (resynchronised on its signature). */
static gboolean
zookeeper_gap(gpointer state, PtlDirection dir, gsize missing)
{
    ZookeeperState *s = state;
    if (s == NULL || dir > PTL_DIR_TO_CLIENT)
        return FALSE;
    if (s->kind == ZOOKEEPER_KIND_FOUR_LETTER && dir == PTL_DIR_TO_CLIENT) {
        s->response_bytes += missing;
        s->has_first_line = TRUE;
        return TRUE;
    }
    if (s->kind == ZOOKEEPER_KIND_QUORUM && s->dirs[dir].phase == ZOOKEEPER_PHASE_SNAPSHOT) {
        s->snapshot_bytes += missing;
        return TRUE;
    }
    return FALSE;
}

static void
zookeeper_emit_nonzero(JsonBuilder *b, const char *key, guint64 value)
{
    if (value > 0)
        ptl_emit_int(b, key, (gint64) value);
}

static void
zookeeper_emit_server_ids(ZookeeperState *s, JsonBuilder *b)
{
    json_builder_set_member_name(b, "server_ids");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->n_server_ids; i++)
        json_builder_add_int_value(b, s->server_ids[i]);
    json_builder_end_array(b);
    zookeeper_emit_nonzero(b, "server_ids_dropped", s->server_ids_dropped);
}

static void
zookeeper_emit_client(ZookeeperState *s, JsonBuilder *b)
{
    if (s->has_connect) {
        char session[24];
        g_snprintf(session, sizeof session, "0x%016" G_GINT64_MODIFIER "x", s->session_id);
        ptl_emit_int(b, "protocol_version", s->protocol_version);
        ptl_emit_string(b, "session_id", session, -1);
        ptl_emit_int(b, "timeout_ms", s->timeout_ms);
    }
    if (s->has_read_only)
        ptl_emit_bool(b, "read_only", s->is_read_only);
    ptl_emit_int(b, "requests", (gint64) s->requests);
    ptl_emit_int(b, "replies", (gint64) s->replies);
    ptl_emit_counts(b, "opcodes", zookeeper_opcode_names, s->opcodes, ZOOKEEPER_N_OPCODES);
    zookeeper_emit_nonzero(b, "unknown_opcodes", s->unknown_opcodes);
    ptl_emit_counts(b, "errors", zookeeper_error_names, s->errors, ZOOKEEPER_N_ERRORS + 1);
    ptl_emit_counts(b, "failed_requests", zookeeper_opcode_names, s->failed_by_opcode,
                    ZOOKEEPER_N_OPCODES);
    ptl_emit_int(b, "watch_events", (gint64) s->watch_events);
    ptl_emit_counts(b, "watch_event_types", zookeeper_event_names, s->event_types,
                    ZOOKEEPER_N_EVENTS);
    ptl_name_counts_emit_names(&s->paths, b, "paths", NULL);
    zookeeper_emit_nonzero(b, "paths_dropped", s->paths.dropped);
    zookeeper_emit_nonzero(b, "unmatched_replies", s->unmatched_replies);
    zookeeper_emit_nonzero(b, "pending_dropped", s->pending_dropped);
    zookeeper_emit_nonzero(b, "auth_packets", s->auth_packets);
    ptl_emit_string(b, "auth_scheme", s->auth_scheme, -1);
    ptl_emit_string(b, "auth_user", s->auth_user, -1);
}

static void
zookeeper_emit_four_letter(ZookeeperState *s, JsonBuilder *b)
{
    json_builder_set_member_name(b, "commands");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->n_commands; i++)
        json_builder_add_string_value(b, zookeeper_four_letter_words[s->commands[i]]);
    json_builder_end_array(b);
    zookeeper_emit_nonzero(b, "commands_dropped", s->commands_dropped);
    ptl_emit_int(b, "response_bytes", (gint64) s->response_bytes);
    if (s->first_line_len > 0)
        ptl_emit_string(b, "response_first_line", s->first_line, s->first_line_len);
}

static void
zookeeper_emit_quorum(ZookeeperState *s, JsonBuilder *b)
{
    ptl_emit_counts(b, "quorum_packets", zookeeper_quorum_names, s->quorum_packets,
                    ZOOKEEPER_N_QUORUM_TYPES);
    zookeeper_emit_nonzero(b, "snapshot_bytes", s->snapshot_bytes);
    zookeeper_emit_server_ids(s, b);
}

static void
zookeeper_emit_election(ZookeeperState *s, JsonBuilder *b)
{
    if (s->election_version != 0)
        ptl_emit_int(b, "election_protocol_version", s->election_version);
    ptl_emit_string(b, "election_address", s->election_address, -1);
    ptl_emit_int(b, "notifications", (gint64) s->notifications);
    ptl_emit_counts(b, "peer_states", zookeeper_peer_states, s->peer_states,
                    ZOOKEEPER_N_PEER_STATES);
    zookeeper_emit_server_ids(s, b);
}

static void
zookeeper_emit(gpointer state, JsonBuilder *builder)
{
    ZookeeperState *s = state;
    if (s == NULL || s->kind == ZOOKEEPER_KIND_UNKNOWN)
        return;
    ptl_emit_string(builder, "kind", zookeeper_kind_names[s->kind], -1);
    switch (s->kind) {
    case ZOOKEEPER_KIND_CLIENT:
        zookeeper_emit_client(s, builder);
        break;
    case ZOOKEEPER_KIND_FOUR_LETTER:
        zookeeper_emit_four_letter(s, builder);
        break;
    case ZOOKEEPER_KIND_QUORUM:
        zookeeper_emit_quorum(s, builder);
        break;
    case ZOOKEEPER_KIND_ELECTION:
        zookeeper_emit_election(s, builder);
        break;
    default:
        break;
    }
}

static const guint16 zookeeper_default_ports[] = { 2181, 2888, 3888, 3181, 4181, 0 };

static const PtlDissector zookeeper_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "zookeeper",
    .default_ports = zookeeper_default_ports,
    .probe = zookeeper_probe,
    .state_new = zookeeper_state_new,
    .state_free = zookeeper_state_free,
    .feed = zookeeper_feed,
    .gap = zookeeper_gap,
    .emit = zookeeper_emit,
    .version = "1.0.0",
    .description = "Apache ZooKeeper: client jute sessions, four-letter words, ZAB quorum, "
                   "leader election",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(zookeeper_dissector)
