/* thrift.c: Apache Thrift RPC dissector.
 *
 * Reads the binary protocol (strict 0x8001 version word and the old non-strict
 * form), the compact protocol (0x82), each framed (int32 length first) or
 * unframed, on TCP and as UDP datagrams (Jaeger agent).  Frames are skipped by
 * their length; unframed message bodies are walked structurally with an
 * explicit stack kept in the state, so a body of any size is consumed piece by
 * piece.  Method names, seqids and types feed the counters and the call log. */
#include <string.h>

#include "ptl-module.h"

/* TFramedTransport's default maximum frame, also used for strings and counts */
#define THRIFT_MAX_FRAME      16384000u
#define THRIFT_MAX_STRING     THRIFT_MAX_FRAME
/* every element takes at least one byte, so no count can exceed the size cap */
#define THRIFT_MAX_ITEMS      THRIFT_MAX_FRAME
#define THRIFT_MAX_NAME       256
#define THRIFT_MAX_DEPTH      64
#define THRIFT_MAX_METHODS    64
#define THRIFT_MAX_CALLS      32
#define THRIFT_MAX_PENDING    128
/* bytes searched for a message header after a hole or a mid-message start */
#define THRIFT_MAX_SCAN       (1024 * 1024)
/* messages up to this size are consumed whole; larger ones piece by piece */
#define THRIFT_WHOLE_MAX      (PTL_PENDING_MAX / 2)
/* a frame length and the first byte of a message */
#define THRIFT_SCAN_WINDOW    5

#define THRIFT_STRICT_MARK    0x80
#define THRIFT_STRICT_VERSION 0x01
#define THRIFT_COMPACT_MARK   0x82
#define THRIFT_COMPACT_VERSION 0x01

G_STATIC_ASSERT(THRIFT_MAX_METHODS >= THRIFT_MAX_CALLS);  /* logged names are always interned */

typedef enum {
    THRIFT_PROTO_BINARY,
    THRIFT_PROTO_BINARY_OLD,
    THRIFT_PROTO_COMPACT,
    THRIFT_PROTO_COUNT
} ThriftProto;

/* One bit per protocol and framing: (proto * 2 + framed) */
#define THRIFT_VARIANTS_ALL   0x3fu
#define THRIFT_VARIANTS_OLD   0x0cu
#define THRIFT_VARIANTS_FRAMED 0x2au

typedef enum {
    THRIFT_MSG_CALL = 1,
    THRIFT_MSG_REPLY = 2,
    THRIFT_MSG_EXCEPTION = 3,
    THRIFT_MSG_ONEWAY = 4,
} ThriftMessageType;

/* Field types, numbered as on the binary wire; compact codes are mapped onto them. */
typedef enum {
    THRIFT_T_STOP = 0,
    THRIFT_T_BOOL = 2,
    THRIFT_T_BYTE = 3,
    THRIFT_T_DOUBLE = 4,
    THRIFT_T_I16 = 6,
    THRIFT_T_I32 = 8,
    THRIFT_T_I64 = 10,
    THRIFT_T_STRING = 11,
    THRIFT_T_STRUCT = 12,
    THRIFT_T_MAP = 13,
    THRIFT_T_SET = 14,
    THRIFT_T_LIST = 15,
    THRIFT_T_UUID = 16,
    THRIFT_T_COUNT
} ThriftType;

typedef enum { THRIFT_OK, THRIFT_MORE, THRIFT_BAD } ThriftVerdict;

typedef enum { THRIFT_SYNC_START, THRIFT_SYNC_SCAN, THRIFT_SYNC_OK } ThriftSync;

/* Why bytes were rejected; turned into a GError only by feed. */
typedef struct {
    PtlDissectError code;
    const char     *what;
    guint64         value;
    guint64         limit;   /* 0: not a limit */
} ThriftFault;

typedef struct {
    ThriftProto   proto;
    gboolean      is_framed;
    guint8        type;
    gint32        seqid;
    const guint8 *name;      /* borrowed from the fed bytes */
    gsize         name_len;
    gsize         pdu_len;   /* framed: 4 + frame length */
} ThriftHeader;

/* An open struct, list/set or map in an unframed body. */
typedef struct {
    guint8  type;            /* THRIFT_T_STRUCT, THRIFT_T_LIST (also sets) or THRIFT_T_MAP */
    guint8  elem;            /* list element or map key type */
    guint8  value;           /* map value type */
    guint32 left;            /* elements still to read; a map counts keys and values */
} ThriftFrame;

/* What reading one value asks of the walker afterwards. */
typedef struct {
    gboolean    has_push;
    ThriftFrame push;
    guint32     skip;        /* string bytes to pass over */
} ThriftValue;

typedef struct {
    ThriftSync  sync;
    gboolean    is_in_body;  /* a recorded message is partly consumed */
    ThriftProto proto;       /* of the message being walked */
    guint64     skip_left;   /* frame or string bytes still to pass over */
    guint64     scanned;     /* bytes passed over looking for a header */
    guint       depth;
    ThriftFrame stack[THRIFT_MAX_DEPTH];
} ThriftDir;

typedef struct {
    guint8  method;          /* index into the method table */
    guint8  type;
    gint32  seqid;
} ThriftLogEntry;

typedef struct {
    gint32  seqid;
    guint32 name_hash;
    gint64  ts_ns;           /* when the call was read: the reply's latency */
} ThriftPending;

typedef struct {
    guint          variants;  /* 0 until the first message, then its one variant bit */
    ThriftProto    proto;
    gboolean       is_framed;
    gboolean       is_confirmed;
    ThriftDir      dirs[2];

    const char    *method_names[THRIFT_MAX_METHODS];
    guint64        method_counts[THRIFT_MAX_METHODS];
    guint32        method_hashes[THRIFT_MAX_METHODS];
    guint16        method_lens[THRIFT_MAX_METHODS];
    guint          n_methods;
    guint64        methods_dropped;

    ThriftLogEntry calls[THRIFT_MAX_CALLS];
    guint          n_calls;
    guint64        calls_dropped;

    ThriftPending  pending[THRIFT_MAX_PENDING];
    guint          n_pending;
    guint64        pending_dropped;

    guint64        calls_total;
    guint64        replies;
    guint64        exceptions;
    guint64        oneway;
    guint64        unmatched_replies;
    guint64        skipped_bytes;
} ThriftState;

static const char *const thrift_proto_names[THRIFT_PROTO_COUNT] = {
    "binary", "binary-old", "compact",
};

static const char *const thrift_variant_names[THRIFT_PROTO_COUNT][2] = {
    { "binary unframed", "binary framed" },
    { "binary-old unframed", "binary-old framed" },
    { "compact unframed", "compact framed" },
};

static const char *const thrift_message_names[] = {
    NULL, "call", "reply", "exception", "oneway",
};

/* compact type codes 0..13 as wire types; both bool codes are bools */
static const guint8 thrift_compact_types[] = {
    THRIFT_T_STOP, THRIFT_T_BOOL, THRIFT_T_BOOL, THRIFT_T_BYTE, THRIFT_T_I16, THRIFT_T_I32,
    THRIFT_T_I64, THRIFT_T_DOUBLE, THRIFT_T_STRING, THRIFT_T_LIST, THRIFT_T_SET, THRIFT_T_MAP,
    THRIFT_T_STRUCT, THRIFT_T_UUID,
};

/* binary wire size of fixed-size types, 0 for the others */
static const guint8 thrift_fixed_sizes[THRIFT_T_COUNT] = {
    [THRIFT_T_BOOL] = 1, [THRIFT_T_BYTE] = 1, [THRIFT_T_DOUBLE] = 8, [THRIFT_T_I16] = 2,
    [THRIFT_T_I32] = 4, [THRIFT_T_I64] = 8, [THRIFT_T_UUID] = 16,
};

/* compact varint length limits of the integer types, 0 for the others */
static const guint8 thrift_varint_sizes[THRIFT_T_COUNT] = {
    [THRIFT_T_I16] = 3, [THRIFT_T_I32] = 5, [THRIFT_T_I64] = 10,
};

static const gboolean thrift_valid_types[THRIFT_T_COUNT] = {
    [THRIFT_T_BOOL] = TRUE, [THRIFT_T_BYTE] = TRUE, [THRIFT_T_DOUBLE] = TRUE,
    [THRIFT_T_I16] = TRUE, [THRIFT_T_I32] = TRUE, [THRIFT_T_I64] = TRUE,
    [THRIFT_T_STRING] = TRUE, [THRIFT_T_STRUCT] = TRUE, [THRIFT_T_MAP] = TRUE,
    [THRIFT_T_SET] = TRUE, [THRIFT_T_LIST] = TRUE, [THRIFT_T_UUID] = TRUE,
};

static const guint16 thrift_default_ports[] = { 9090, 9160, 7611, 21000, 21050, 10000, 0 };

/* ---- reading ----------------------------------------------------------- */

static ThriftVerdict
thrift_bad(ThriftFault *fault, PtlDissectError code, const char *what, guint64 value,
           guint64 limit)
{
    if (fault != NULL) {
        fault->code = code;
        fault->what = what;
        fault->value = value;
        fault->limit = limit;
    }
    return THRIFT_BAD;
}

static guint
thrift_variant_bit(ThriftProto proto, gboolean is_framed)
{
    return 1u << (proto * 2 + (is_framed ? 1 : 0));
}

/* An unsigned LEB128 varint of at most max_bytes. */
static ThriftVerdict
thrift_read_varint(PtlCursor *c, guint max_bytes, guint64 *value, ThriftFault *fault)
{
    guint64 v = 0;
    for (guint i = 0; i < max_bytes; i++) {
        guint8 b = ptl_cursor_u8(c);
        if (!ptl_cursor_ok(c))
            return THRIFT_MORE;
        v |= (guint64) (b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *value = v;
            return THRIFT_OK;
        }
    }
    return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "varint longer than its type, bytes",
                      max_bytes, 0);
}

static gboolean
thrift_is_name_char(guint8 ch)
{
    return g_ascii_isalnum(ch) || ch == '_' || ch == '.' || ch == ':' || ch == '-' || ch == '$';
}

/* Method names are identifiers ("ExecuteStatement", "Service:method"); checking
 * the bytes already here lets the probe say NO early. */
static ThriftVerdict
thrift_read_name(PtlCursor *c, guint64 len, ThriftHeader *h, ThriftFault *fault)
{
    if (len == 0)
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "empty method name, length", 0, 0);
    if (len > THRIFT_MAX_NAME)
        return thrift_bad(fault, PTL_DISSECT_ERROR_LIMIT, "method name length", len,
                          THRIFT_MAX_NAME);
    gsize avail = MIN((gsize) len, ptl_cursor_remaining(c));
    const guint8 *p = ptl_cursor_peek(c, avail);
    if (avail > 0 && !g_ascii_isalpha(p[0]) && p[0] != '_')
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "method name starts with byte",
                          p[0], 0);
    for (gsize i = 0; i < avail; i++) {
        if (!thrift_is_name_char(p[i]))
            return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "method name byte", p[i], 0);
    }
    h->name = ptl_cursor_take(c, (gsize) len);
    h->name_len = (gsize) len;
    return h->name != NULL ? THRIFT_OK : THRIFT_MORE;
}

static ThriftVerdict
thrift_check_message_type(guint type, ThriftHeader *h, ThriftFault *fault)
{
    if (type < THRIFT_MSG_CALL || type > THRIFT_MSG_ONEWAY)
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "message type", type, 0);
    h->type = (guint8) type;
    return THRIFT_OK;
}

/* 0x80 0x01 0x00 type, int32 name length, name, int32 seqid */
static ThriftVerdict
thrift_read_strict(PtlCursor *c, ThriftHeader *h, ThriftFault *fault)
{
    (void) ptl_cursor_u8(c);
    guint8 version = ptl_cursor_u8(c);
    guint8 unused = ptl_cursor_u8(c);
    guint8 type = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return THRIFT_MORE;
    if (version != THRIFT_STRICT_VERSION)
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "binary protocol version", version,
                          0);
    if (unused != 0)
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "binary version word byte", unused,
                          0);
    ThriftVerdict v = thrift_check_message_type(type, h, fault);
    if (v != THRIFT_OK)
        return v;
    guint32 name_len = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return THRIFT_MORE;
    v = thrift_read_name(c, name_len, h, fault);
    if (v != THRIFT_OK)
        return v;
    h->seqid = (gint32) ptl_cursor_be32(c);
    h->proto = THRIFT_PROTO_BINARY;
    return ptl_cursor_ok(c) ? THRIFT_OK : THRIFT_MORE;
}

/* int32 name length, name, type byte, int32 seqid */
static ThriftVerdict
thrift_read_old(PtlCursor *c, ThriftHeader *h, ThriftFault *fault)
{
    guint32 name_len = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return THRIFT_MORE;
    ThriftVerdict v = thrift_read_name(c, name_len, h, fault);
    if (v != THRIFT_OK)
        return v;
    guint8 type = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return THRIFT_MORE;
    v = thrift_check_message_type(type, h, fault);
    if (v != THRIFT_OK)
        return v;
    h->seqid = (gint32) ptl_cursor_be32(c);
    h->proto = THRIFT_PROTO_BINARY_OLD;
    return ptl_cursor_ok(c) ? THRIFT_OK : THRIFT_MORE;
}

/* 0x82, type << 5 | version, varint seqid, varint name length, name */
static ThriftVerdict
thrift_read_compact(PtlCursor *c, ThriftHeader *h, ThriftFault *fault)
{
    (void) ptl_cursor_u8(c);
    guint8 type_version = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return THRIFT_MORE;
    if ((type_version & 0x1f) != THRIFT_COMPACT_VERSION)
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "compact protocol version",
                          type_version & 0x1f, 0);
    ThriftVerdict v = thrift_check_message_type(type_version >> 5, h, fault);
    if (v != THRIFT_OK)
        return v;
    guint64 seqid = 0;
    v = thrift_read_varint(c, 5, &seqid, fault);
    if (v != THRIFT_OK)
        return v;
    guint64 name_len = 0;
    v = thrift_read_varint(c, 5, &name_len, fault);
    if (v != THRIFT_OK)
        return v;
    v = thrift_read_name(c, name_len, h, fault);
    h->seqid = (gint32) (guint32) seqid;
    h->proto = THRIFT_PROTO_COMPACT;
    return v;
}

static ThriftVerdict
thrift_read_message(PtlCursor *c, ThriftHeader *h, ThriftFault *fault)
{
    const guint8 *p = ptl_cursor_peek(c, 1);
    if (p == NULL)
        return THRIFT_MORE;
    switch (p[0]) {
    case THRIFT_STRICT_MARK:
        return thrift_read_strict(c, h, fault);
    case THRIFT_COMPACT_MARK:
        return thrift_read_compact(c, h, fault);
    case 0x00:
        return thrift_read_old(c, h, fault);
    default:
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "message starts with byte", p[0],
                          0);
    }
}

/* A frame starts 0x00 (length under 16 MB) with a message start at byte 4; an
 * old unframed message has a name character there instead. */
static gboolean
thrift_looks_framed(const guint8 *window)
{
    return window[0] == 0x00 && (window[4] == THRIFT_STRICT_MARK ||
                                 window[4] == THRIFT_COMPACT_MARK || window[4] == 0x00);
}

/* The optional frame length and the message header, in one of `allowed` variants. */
static ThriftVerdict
thrift_read_header(PtlCursor *c, guint allowed, ThriftHeader *h, ThriftFault *fault)
{
    memset(h, 0, sizeof *h);
    const guint8 *p = ptl_cursor_peek(c, 1);
    if (p == NULL)
        return THRIFT_MORE;
    /* a known flow decides; a new one by the first bytes */
    gboolean is_framed = (allowed & ~THRIFT_VARIANTS_FRAMED) == 0;
    if ((allowed & THRIFT_VARIANTS_FRAMED) != 0 && !is_framed && p[0] == 0x00) {
        p = ptl_cursor_peek(c, THRIFT_SCAN_WINDOW);
        if (p == NULL)
            return THRIFT_MORE;
        is_framed = thrift_looks_framed(p);
    }
    gsize start = c->pos;
    guint32 frame_len = 0;
    if (is_framed) {
        frame_len = ptl_cursor_be32(c);
        if (frame_len > THRIFT_MAX_FRAME)
            return thrift_bad(fault, PTL_DISSECT_ERROR_LIMIT, "frame size", frame_len,
                              THRIFT_MAX_FRAME);
    }
    ThriftVerdict v = thrift_read_message(c, h, fault);
    if (v != THRIFT_OK)
        return v;
    if ((allowed & thrift_variant_bit(h->proto, is_framed)) == 0)
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED,
                          "message variant differs from the flow's, protocol", h->proto, 0);
    h->is_framed = is_framed;
    if (is_framed) {
        h->pdu_len = (gsize) frame_len + 4;
        if (h->pdu_len <= c->pos - start)  /* the body needs at least its STOP */
            return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED,
                              "frame shorter than its message header, size", frame_len, 0);
    }
    return THRIFT_OK;
}

/* ---- structural walk of a message body --------------------------------- */

static gboolean
thrift_wire_type(ThriftProto proto, guint code, guint8 *type)
{
    if (proto == THRIFT_PROTO_COMPACT) {
        if (code >= G_N_ELEMENTS(thrift_compact_types))
            return FALSE;
        code = thrift_compact_types[code];
    }
    if (code >= THRIFT_T_COUNT || !thrift_valid_types[code])
        return FALSE;
    *type = (guint8) code;
    return TRUE;
}

static ThriftVerdict
thrift_check_count(guint64 count, const char *what, ThriftFault *fault)
{
    if (count > THRIFT_MAX_ITEMS)
        return thrift_bad(fault, PTL_DISSECT_ERROR_LIMIT, what, count, THRIFT_MAX_ITEMS);
    return THRIFT_OK;
}

static ThriftVerdict
thrift_read_list_header(ThriftProto proto, PtlCursor *c, ThriftValue *val, ThriftFault *fault)
{
    guint code = 0;
    guint64 count = 0;
    if (proto == THRIFT_PROTO_COMPACT) {
        guint8 b = ptl_cursor_u8(c);
        if (!ptl_cursor_ok(c))
            return THRIFT_MORE;
        code = b & 0x0f;
        count = b >> 4;
        if (count == 15) {
            ThriftVerdict v = thrift_read_varint(c, 5, &count, fault);
            if (v != THRIFT_OK)
                return v;
        }
    } else {
        code = ptl_cursor_u8(c);
        count = ptl_cursor_be32(c);
        if (!ptl_cursor_ok(c))
            return THRIFT_MORE;
    }
    if (!thrift_wire_type(proto, code, &val->push.elem))
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "list element type", code, 0);
    if (thrift_check_count(count, "list size", fault) != THRIFT_OK)
        return THRIFT_BAD;
    val->has_push = count > 0;
    val->push.type = THRIFT_T_LIST;
    val->push.left = (guint32) count;
    return THRIFT_OK;
}

static ThriftVerdict
thrift_read_map_header(ThriftProto proto, PtlCursor *c, ThriftValue *val, ThriftFault *fault)
{
    guint64 count = 0;
    guint key = 0;
    guint value = 0;
    if (proto == THRIFT_PROTO_COMPACT) {
        ThriftVerdict v = thrift_read_varint(c, 5, &count, fault);
        if (v != THRIFT_OK)
            return v;
        if (count == 0)
            return THRIFT_OK;           /* an empty map has no type byte */
        guint8 kinds = ptl_cursor_u8(c);
        key = kinds >> 4;
        value = kinds & 0x0f;
    } else {
        key = ptl_cursor_u8(c);
        value = ptl_cursor_u8(c);
        count = ptl_cursor_be32(c);
    }
    if (!ptl_cursor_ok(c))
        return THRIFT_MORE;
    if (!thrift_wire_type(proto, key, &val->push.elem))
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "map key type", key, 0);
    if (!thrift_wire_type(proto, value, &val->push.value))
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "map value type", value, 0);
    if (thrift_check_count(count, "map size", fault) != THRIFT_OK)
        return THRIFT_BAD;
    val->has_push = count > 0;
    val->push.type = THRIFT_T_MAP;
    val->push.left = (guint32) count * 2;
    return THRIFT_OK;
}

static ThriftVerdict
thrift_read_string_header(ThriftProto proto, PtlCursor *c, ThriftValue *val, ThriftFault *fault)
{
    guint64 len = 0;
    if (proto == THRIFT_PROTO_COMPACT) {
        ThriftVerdict v = thrift_read_varint(c, 5, &len, fault);
        if (v != THRIFT_OK)
            return v;
    } else {
        len = ptl_cursor_be32(c);
        if (!ptl_cursor_ok(c))
            return THRIFT_MORE;
    }
    if (len > THRIFT_MAX_STRING)
        return thrift_bad(fault, PTL_DISSECT_ERROR_LIMIT, "string length", len,
                          THRIFT_MAX_STRING);
    val->skip = (guint32) len;
    return THRIFT_OK;
}

/* A value of `type`: scalars whole, strings and containers by their header. */
static ThriftVerdict
thrift_read_value(ThriftProto proto, guint8 type, PtlCursor *c, ThriftValue *val,
                  ThriftFault *fault)
{
    memset(val, 0, sizeof *val);
    switch (type) {
    case THRIFT_T_STRING:
        return thrift_read_string_header(proto, c, val, fault);
    case THRIFT_T_STRUCT:
        val->has_push = TRUE;
        val->push.type = THRIFT_T_STRUCT;
        return THRIFT_OK;
    case THRIFT_T_LIST:
    case THRIFT_T_SET:
        return thrift_read_list_header(proto, c, val, fault);
    case THRIFT_T_MAP:
        return thrift_read_map_header(proto, c, val, fault);
    default:
        break;
    }
    if (proto == THRIFT_PROTO_COMPACT && thrift_varint_sizes[type] > 0) {
        guint64 ignored = 0;
        return thrift_read_varint(c, thrift_varint_sizes[type], &ignored, fault);
    }
    return ptl_cursor_skip(c, thrift_fixed_sizes[type]) ? THRIFT_OK : THRIFT_MORE;
}

static ThriftVerdict
thrift_apply_value(ThriftDir *d, const ThriftValue *val, ThriftFault *fault)
{
    d->skip_left = val->skip;
    if (!val->has_push)
        return THRIFT_OK;
    if (d->depth >= THRIFT_MAX_DEPTH)
        return thrift_bad(fault, PTL_DISSECT_ERROR_LIMIT, "nesting depth", d->depth + 1,
                          THRIFT_MAX_DEPTH);
    d->stack[d->depth++] = val->push;
    return THRIFT_OK;
}

/* A field header and the start of its value, or the STOP closing the struct. */
static ThriftVerdict
thrift_step_field(ThriftDir *d, PtlCursor *c, ThriftFault *fault)
{
    guint8 head = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return THRIFT_MORE;
    if (head == THRIFT_T_STOP) {
        d->depth--;
        return THRIFT_OK;
    }
    guint code = head;
    if (d->proto == THRIFT_PROTO_COMPACT) {
        code = head & 0x0f;
        guint64 field_id = 0;
        if ((head >> 4) == 0) {             /* no delta: a zigzag i16 id follows */
            ThriftVerdict v = thrift_read_varint(c, 3, &field_id, fault);
            if (v != THRIFT_OK)
                return v;
        }
    } else {
        (void) ptl_cursor_be16(c);          /* field id */
    }
    guint8 type = 0;
    if (!thrift_wire_type(d->proto, code, &type))
        return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED, "field type", code, 0);
    if (d->proto == THRIFT_PROTO_COMPACT && type == THRIFT_T_BOOL)
        return THRIFT_OK;                   /* the value is in the type code */
    ThriftValue val;
    ThriftVerdict v = thrift_read_value(d->proto, type, c, &val, fault);
    if (v != THRIFT_OK)
        return v;
    if (!ptl_cursor_ok(c))
        return THRIFT_MORE;
    return thrift_apply_value(d, &val, fault);
}

/* One list/set element or one map key or value. */
static ThriftVerdict
thrift_step_element(ThriftDir *d, PtlCursor *c, ThriftFault *fault)
{
    ThriftFrame *top = &d->stack[d->depth - 1];
    gboolean is_map_value = top->type == THRIFT_T_MAP && (top->left & 1) == 1;
    ThriftValue val;
    ThriftVerdict v = thrift_read_value(d->proto, is_map_value ? top->value : top->elem, c, &val,
                                        fault);
    if (v != THRIFT_OK)
        return v;
    /* the container is done once its last element starts; pop before a child is pushed */
    if (--top->left == 0)
        d->depth--;
    return thrift_apply_value(d, &val, fault);
}

/* Walks the body from the direction's stack; OK once the outer struct closed.
 * Moves `c` past every whole token; a cut token stays unconsumed. */
static ThriftVerdict
thrift_walk_body(ThriftDir *d, PtlCursor *c, ThriftFault *fault)
{
    for (;;) {
        if (d->skip_left > 0) {
            gsize n = (gsize) MIN(d->skip_left, (guint64) ptl_cursor_remaining(c));
            ptl_cursor_skip(c, n);
            d->skip_left -= n;
            if (d->skip_left > 0)
                return THRIFT_MORE;
        }
        if (d->depth == 0)
            return THRIFT_OK;
        PtlCursor token = *c;
        ThriftVerdict v = d->stack[d->depth - 1].type == THRIFT_T_STRUCT
                              ? thrift_step_field(d, &token, fault)
                              : thrift_step_element(d, &token, fault);
        if (v != THRIFT_OK)
            return v;
        *c = token;
    }
}

static void
thrift_dir_begin_body(ThriftDir *d, ThriftProto proto)
{
    d->proto = proto;
    d->skip_left = 0;
    d->depth = 1;
    d->stack[0] = (ThriftFrame) { .type = THRIFT_T_STRUCT };
}

static void
thrift_dir_reset_body(ThriftDir *d)
{
    d->is_in_body = FALSE;
    d->skip_left = 0;
    d->depth = 0;
}

/* ---- probe -------------------------------------------------------------- */

/* A header at the cursor whose body walks cleanly as far as it goes; a whole
 * frame must hold exactly one message.  With need_whole the body must end (or
 * fill THRIFT_WHOLE_MAX) before OK, so a resync does not latch onto a marker
 * inside other data. */
static ThriftVerdict
thrift_check_start(const PtlCursor *c, guint variants, gboolean need_whole)
{
    PtlCursor t = *c;
    ThriftHeader h;
    ThriftVerdict v = thrift_read_header(&t, variants, &h, NULL);
    if (v != THRIFT_OK)
        return v;
    gsize body_len = h.is_framed ? h.pdu_len - (t.pos - c->pos) : G_MAXSIZE;
    gsize avail = MIN(body_len, ptl_cursor_remaining(&t));
    PtlCursor body = ptl_cursor_sub(&t, avail);
    ThriftDir scratch;
    thrift_dir_begin_body(&scratch, h.proto);
    v = thrift_walk_body(&scratch, &body, NULL);
    if (h.is_framed && v == THRIFT_OK && body.pos != body_len)
        return THRIFT_BAD;                  /* bytes after the message inside its frame */
    if (h.is_framed && v == THRIFT_MORE && avail == body_len)
        return THRIFT_BAD;                  /* the message runs past its frame */
    if (v == THRIFT_MORE && (!need_whole || ptl_cursor_remaining(c) >= THRIFT_WHOLE_MAX))
        return THRIFT_OK;
    return v;
}

static PtlProbe
thrift_probe_bytes(const guint8 *data, gsize len, gboolean is_datagram)
{
    PtlCursor c = ptl_cursor_init(data, len);
    switch (thrift_check_start(&c, THRIFT_VARIANTS_ALL, FALSE)) {
    case THRIFT_OK:
        return PTL_PROBE_YES;
    case THRIFT_MORE:
        return is_datagram ? PTL_PROBE_NO : PTL_PROBE_MAYBE;
    case THRIFT_BAD:
    default:
        return PTL_PROBE_NO;
    }
}

static PtlProbe
thrift_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    (void) dir;
    return thrift_probe_bytes(data, len, FALSE);
}

static PtlProbe
thrift_probe_datagram(const guint8 *data, gsize len, PtlDirection dir, guint16 server_port)
{
    (void) dir;
    (void) server_port;
    return thrift_probe_bytes(data, len, TRUE);
}

/* ---- recording ---------------------------------------------------------- */

/* FNV-1a: pairs replies with calls without keeping the name */
static guint32
thrift_name_hash(const guint8 *name, gsize len)
{
    guint32 hash = 2166136261u;
    for (gsize i = 0; i < len; i++)
        hash = (hash ^ name[i]) * 16777619u;
    return hash;
}

/* Index of the name in the method table, adding it when there is room; -1 when full. */
static gint
thrift_intern_method(ThriftState *s, const ThriftHeader *h, guint32 hash)
{
    for (guint i = 0; i < s->n_methods; i++) {
        if (s->method_hashes[i] == hash && s->method_lens[i] == h->name_len &&
            memcmp(s->method_names[i], h->name, h->name_len) == 0)
            return (gint) i;
    }
    if (s->n_methods == THRIFT_MAX_METHODS)
        return -1;
    guint i = s->n_methods++;
    s->method_names[i] = g_strndup((const char *) h->name, h->name_len);
    s->method_hashes[i] = hash;
    s->method_lens[i] = (guint16) h->name_len;
    return (gint) i;
}

static void
thrift_count_method(ThriftState *s, gint method)
{
    if (method < 0)
        s->methods_dropped++;
    else
        s->method_counts[method]++;
}

static void
thrift_log_message(ThriftState *s, gint method, const ThriftHeader *h)
{
    if (method < 0 || s->n_calls == THRIFT_MAX_CALLS) {
        s->calls_dropped++;
        return;
    }
    s->calls[s->n_calls++] = (ThriftLogEntry) {
        .method = (guint8) method, .type = h->type, .seqid = h->seqid,
    };
}

static void
thrift_add_pending(ThriftState *s, gint32 seqid, guint32 hash, gint64 ts_ns)
{
    if (s->n_pending == THRIFT_MAX_PENDING) {
        s->pending_dropped++;
        return;
    }
    s->pending[s->n_pending++] = (ThriftPending) {
        .seqid = seqid, .name_hash = hash, .ts_ns = ts_ns,
    };
}

/* Whether the call was outstanding; then *ts_ns is when it was read. */
static gboolean
thrift_take_pending(ThriftState *s, gint32 seqid, guint32 hash, gint64 *ts_ns)
{
    for (guint i = 0; i < s->n_pending; i++) {
        if (s->pending[i].seqid == seqid && s->pending[i].name_hash == hash) {
            *ts_ns = s->pending[i].ts_ns;
            s->pending[i] = s->pending[--s->n_pending];
            return TRUE;
        }
    }
    return FALSE;
}

/* One thrift_call record (docs/schema/thrift.md): a reply or exception with its call
 * (latency when the call was seen), or a oneway call. */
static void
thrift_record_call(const PtlFlowContext *ctx, const ThriftHeader *h, gboolean is_matched,
                   gint64 call_ts_ns)
{
    JsonBuilder *b = ptl_record_begin(ctx, "thrift_call");
    if (b == NULL)
        return;
    ptl_emit_string(b, "method", (const char *) h->name, (gssize) h->name_len);
    ptl_emit_int(b, "seqid", h->seqid);
    ptl_emit_string(b, "type", thrift_message_names[h->type], -1);
    if (h->type != THRIFT_MSG_ONEWAY)
        ptl_emit_bool(b, "call_seen", is_matched);
    if (is_matched && ctx->ts_ns >= call_ts_ns)
        ptl_emit_int(b, "latency_us", (ctx->ts_ns - call_ts_ns) / 1000);
    ptl_record_end(ctx);
}

static void
thrift_report_exception(const PtlFlowContext *ctx, const ThriftHeader *h)
{
    static const char suffix[] = " exception";
    char detail[THRIFT_MAX_NAME + sizeof suffix];
    memcpy(detail, h->name, h->name_len);
    memcpy(detail + h->name_len, suffix, sizeof suffix);
    ptl_fact(ctx, PTL_FACT_REQUEST_FAILED, detail);
}

/* Counts a message once its header is consumed.  methods{} counts each RPC
 * once: by its request, or by its answer when the request was not seen. */
static void
thrift_record(ThriftState *s, const PtlFlowContext *ctx, const ThriftHeader *h)
{
    if (s->variants == 0) {
        s->variants = thrift_variant_bit(h->proto, h->is_framed);
        s->proto = h->proto;
        s->is_framed = h->is_framed;
    }
    guint32 hash = thrift_name_hash(h->name, h->name_len);
    gint method = thrift_intern_method(s, h, hash);
    thrift_log_message(s, method, h);
    switch ((ThriftMessageType) h->type) {
    case THRIFT_MSG_CALL:
        s->calls_total++;
        thrift_add_pending(s, h->seqid, hash, ctx != NULL ? ctx->ts_ns : 0);
        thrift_count_method(s, method);
        break;
    case THRIFT_MSG_ONEWAY:
        s->oneway++;
        thrift_count_method(s, method);
        thrift_record_call(ctx, h, FALSE, 0);
        break;
    case THRIFT_MSG_EXCEPTION:
    case THRIFT_MSG_REPLY:
        if (h->type == THRIFT_MSG_EXCEPTION) {
            s->exceptions++;
            thrift_report_exception(ctx, h);
        } else {
            s->replies++;
        }
        gint64 call_ts_ns = 0;
        gboolean is_matched = thrift_take_pending(s, h->seqid, hash, &call_ts_ns);
        if (!is_matched) {
            s->unmatched_replies++;
            thrift_count_method(s, method);
        }
        thrift_record_call(ctx, h, is_matched, call_ts_ns);
        break;
    }
}

static void
thrift_complete(ThriftState *s, const PtlFlowContext *ctx)
{
    if (s->is_confirmed)
        return;
    s->is_confirmed = TRUE;
    ptl_fact(ctx, PTL_FACT_CONFIRMED, thrift_variant_names[s->proto][s->is_framed ? 1 : 0]);
}

/* ---- feed --------------------------------------------------------------- */

static guint
thrift_allowed_variants(const ThriftState *s)
{
    return s->variants != 0 ? s->variants : THRIFT_VARIANTS_ALL;
}

/* The old binary form has no marker to search for. */
static guint
thrift_scan_variants(const ThriftState *s)
{
    return thrift_allowed_variants(s) & ~THRIFT_VARIANTS_OLD;
}

static void
thrift_set_error(GError **error, const ThriftFault *fault)
{
    if (fault->limit > 0)
        ptl_dissect_fail(error, fault->code, "thrift",
                         "%s %" G_GUINT64_FORMAT " over limit %" G_GUINT64_FORMAT, fault->what,
                         fault->value, fault->limit);
    else
        ptl_dissect_fail(error, fault->code, "thrift", "%s %" G_GUINT64_FORMAT, fault->what,
                         fault->value);
}

/* A direction's first bytes: a header, or the middle of a message (capture
 * started mid-stream), in which case search for the next header. */
static ThriftVerdict
thrift_feed_start(ThriftState *s, ThriftDir *d, const PtlCursor *c)
{
    ThriftVerdict v = thrift_check_start(c, thrift_allowed_variants(s), TRUE);
    if (v == THRIFT_MORE)
        return THRIFT_MORE;
    d->sync = v == THRIFT_OK ? THRIFT_SYNC_OK : THRIFT_SYNC_SCAN;
    return THRIFT_OK;
}

/* Passes over bytes up to the next strict or compact header (optionally framed). */
static ThriftVerdict
thrift_feed_scan(ThriftState *s, ThriftDir *d, PtlCursor *c, ThriftFault *fault)
{
    guint variants = thrift_scan_variants(s);
    for (;;) {
        /* keep the last bytes: a frame length may come before a marker */
        const guint8 *p = ptl_cursor_peek(c, THRIFT_SCAN_WINDOW);
        if (p == NULL)
            return THRIFT_MORE;
        gboolean is_marker = p[0] == THRIFT_STRICT_MARK || p[0] == THRIFT_COMPACT_MARK ||
                             thrift_looks_framed(p);
        if (is_marker && variants != 0) {
            ThriftVerdict v = thrift_check_start(c, variants, TRUE);
            if (v == THRIFT_MORE)
                return THRIFT_MORE;
            if (v == THRIFT_OK) {
                d->sync = THRIFT_SYNC_OK;
                d->scanned = 0;
                return THRIFT_OK;
            }
        }
        if (d->scanned >= THRIFT_MAX_SCAN)
            return thrift_bad(fault, PTL_DISSECT_ERROR_MALFORMED,
                              "no message header found in bytes", d->scanned, 0);
        ptl_cursor_skip(c, 1);
        d->scanned++;
        s->skipped_bytes++;
    }
}

static ThriftVerdict
thrift_take_frame(ThriftState *s, ThriftDir *d, const PtlFlowContext *ctx, PtlCursor *c,
                  const PtlCursor *after_header, const ThriftHeader *h)
{
    if (h->pdu_len <= ptl_cursor_remaining(c)) {
        thrift_record(s, ctx, h);
        ptl_cursor_skip(c, h->pdu_len);
        thrift_complete(s, ctx);
        return THRIFT_OK;
    }
    if (h->pdu_len <= THRIFT_WHOLE_MAX)
        return THRIFT_MORE;
    thrift_record(s, ctx, h);
    d->is_in_body = TRUE;
    d->depth = 0;
    d->skip_left = h->pdu_len - (after_header->pos - c->pos);
    *c = *after_header;
    return THRIFT_OK;
}

static ThriftVerdict
thrift_take_unframed(ThriftState *s, ThriftDir *d, const PtlFlowContext *ctx, PtlCursor *c,
                     PtlCursor *body, const ThriftHeader *h, ThriftFault *fault)
{
    thrift_dir_begin_body(d, h->proto);
    ThriftVerdict v = thrift_walk_body(d, body, fault);
    if (v == THRIFT_BAD)
        return v;
    if (v == THRIFT_OK) {
        thrift_record(s, ctx, h);
        *c = *body;
        thrift_complete(s, ctx);
        return THRIFT_OK;
    }
    if (ptl_cursor_remaining(c) < THRIFT_WHOLE_MAX) {
        thrift_dir_reset_body(d);          /* walk again from the header with more bytes */
        return THRIFT_MORE;
    }
    thrift_record(s, ctx, h);
    d->is_in_body = TRUE;
    *c = *body;
    return THRIFT_OK;
}

static ThriftVerdict
thrift_feed_message(ThriftState *s, ThriftDir *d, const PtlFlowContext *ctx, PtlCursor *c,
                    ThriftFault *fault)
{
    PtlCursor after = *c;
    ThriftHeader h;
    ThriftVerdict v = thrift_read_header(&after, thrift_allowed_variants(s), &h, fault);
    if (v != THRIFT_OK)
        return v;
    if (h.is_framed)
        return thrift_take_frame(s, d, ctx, c, &after, &h);
    return thrift_take_unframed(s, d, ctx, c, &after, &h, fault);
}

static ThriftVerdict
thrift_feed_body(ThriftState *s, ThriftDir *d, const PtlFlowContext *ctx, PtlCursor *c,
                 ThriftFault *fault)
{
    ThriftVerdict v = thrift_walk_body(d, c, fault);
    if (v != THRIFT_OK)
        return v;
    d->is_in_body = FALSE;
    thrift_complete(s, ctx);
    return THRIFT_OK;
}

/* OK after progress (bytes or state), MORE with `c` at the last whole piece. */
static ThriftVerdict
thrift_feed_step(ThriftState *s, ThriftDir *d, const PtlFlowContext *ctx, PtlCursor *c,
                 ThriftFault *fault)
{
    switch (d->sync) {
    case THRIFT_SYNC_START:
        return thrift_feed_start(s, d, c);
    case THRIFT_SYNC_SCAN:
        return thrift_feed_scan(s, d, c, fault);
    case THRIFT_SYNC_OK:
    default:
        break;
    }
    if (d->is_in_body)
        return thrift_feed_body(s, d, ctx, c, fault);
    return thrift_feed_message(s, d, ctx, c, fault);
}

/* One whole message per datagram; a cut body is a short capture, not an error. */
static gssize
thrift_feed_datagram(ThriftState *s, ThriftDir *d, const PtlFlowContext *ctx,
                     const guint8 *data, gsize len, GError **error)
{
    PtlCursor c = ptl_cursor_init(data, len);
    ThriftFault fault = { 0 };
    ThriftHeader h;
    ThriftVerdict v = thrift_read_header(&c, thrift_allowed_variants(s), &h, &fault);
    if (v == THRIFT_OK && !h.is_framed) {
        thrift_dir_begin_body(d, h.proto);
        v = thrift_walk_body(d, &c, &fault);
        thrift_dir_reset_body(d);
        if (v == THRIFT_MORE)
            v = THRIFT_OK;
    }
    if (v == THRIFT_BAD) {
        thrift_set_error(error, &fault);
        return -1;
    }
    if (v == THRIFT_MORE) {
        s->skipped_bytes += len;
        return (gssize) len;
    }
    thrift_record(s, ctx, &h);
    thrift_complete(s, ctx);
    return (gssize) len;
}

static gssize
thrift_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
            gsize len, GError **error)
{
    ThriftState *s = state;
    g_return_val_if_fail(s != NULL, -1);
    ThriftDir *d = &s->dirs[dir == PTL_DIR_TO_CLIENT ? 1 : 0];
    if (ctx != NULL && ctx->transport == PTL_TRANSPORT_UDP)
        return thrift_feed_datagram(s, d, ctx, data, len, error);

    PtlCursor c = ptl_cursor_init(data, len);
    ThriftFault fault = { 0 };
    ThriftVerdict v = THRIFT_OK;
    while (v == THRIFT_OK && ptl_cursor_remaining(&c) > 0)
        v = thrift_feed_step(s, d, ctx, &c, &fault);
    if (v == THRIFT_BAD) {
        thrift_set_error(error, &fault);
        return -1;
    }
    return (gssize) c.pos;
}

/* Inside a frame or string the hole is passed over exactly; elsewhere search
 * for the next strict or compact header. */
static gboolean
thrift_gap(gpointer state, PtlDirection dir, gsize missing)
{
    ThriftState *s = state;
    ThriftDir *d = &s->dirs[dir == PTL_DIR_TO_CLIENT ? 1 : 0];
    if (d->sync == THRIFT_SYNC_OK && d->is_in_body && missing > 0 && missing <= d->skip_left) {
        d->skip_left -= missing;
        return TRUE;
    }
    thrift_dir_reset_body(d);
    d->sync = THRIFT_SYNC_SCAN;
    d->scanned = 0;
    return thrift_scan_variants(s) != 0;
}

/* ---- state and emit ----------------------------------------------------- */

static gpointer
thrift_state_new(void)
{
    return g_new0(ThriftState, 1);
}

static void
thrift_state_free(gpointer state)
{
    ThriftState *s = state;
    if (s == NULL)
        return;
    for (guint i = 0; i < s->n_methods; i++)
        g_free((gpointer) s->method_names[i]);
    g_free(s);
}

static void
thrift_emit_calls(const ThriftState *s, JsonBuilder *b)
{
    json_builder_set_member_name(b, "calls");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->n_calls; i++) {
        const ThriftLogEntry *e = &s->calls[i];
        json_builder_begin_object(b);
        ptl_emit_string(b, "method", s->method_names[e->method], -1);
        ptl_emit_string(b, "type", thrift_message_names[e->type], -1);
        ptl_emit_int(b, "seqid", e->seqid);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void
thrift_emit(gpointer state, JsonBuilder *b)
{
    const ThriftState *s = state;
    if (s->variants != 0) {
        ptl_emit_string(b, "protocol", thrift_proto_names[s->proto], -1);
        ptl_emit_bool(b, "framed", s->is_framed);
    }
    ptl_emit_counts(b, "methods", s->method_names, s->method_counts, s->n_methods);
    ptl_emit_int(b, "methods_dropped", (gint64) s->methods_dropped);
    thrift_emit_calls(s, b);
    ptl_emit_int(b, "calls_dropped", (gint64) s->calls_dropped);
    ptl_emit_int(b, "calls_total", (gint64) s->calls_total);
    ptl_emit_int(b, "replies", (gint64) s->replies);
    ptl_emit_int(b, "exceptions", (gint64) s->exceptions);
    ptl_emit_int(b, "oneway", (gint64) s->oneway);
    ptl_emit_int(b, "unanswered", (gint64) s->n_pending);
    ptl_emit_int(b, "unmatched_replies", (gint64) s->unmatched_replies);
    ptl_emit_int(b, "pending_dropped", (gint64) s->pending_dropped);
    ptl_emit_int(b, "skipped_bytes", (gint64) s->skipped_bytes);
}

static const PtlDissector thrift_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "thrift",
    .default_ports = thrift_default_ports,
    .probe = thrift_probe,
    .state_new = thrift_state_new,
    .state_free = thrift_state_free,
    .feed = thrift_feed,
    .gap = thrift_gap,
    .emit = thrift_emit,
    .version = "1.0.0",
    .description = "Apache Thrift RPC: binary (strict, old), compact; framed or not; TCP and UDP",
    .probe_datagram = thrift_probe_datagram,
};

PTL_DISSECTOR_DEFINE(thrift_dissector)
