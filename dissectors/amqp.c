/* amqp.c: AMQP dissector.
 *
 * 0-9-1 (RabbitMQ and most brokers): after the "AMQP\0\0\x09\x01" header, frames of
 * type u8, channel u16, size u32, payload, 0xCE.  Method frames are read whole (they
 * are small) and their arguments decoded; content header and body frames are skipped
 * incrementally, so a body never has to fit in the core's pending buffer.  A capture
 * that starts mid-connection is read from the first frame boundary the probe found.
 *
 * 1.0: frames of size u32, doff u8, type u8, channel u16, extended header, body.  We
 * count performatives, read SASL-INIT for the mechanism and user, and follow the
 * SASL and TLS security layers.  0-8, 0-9 and 0-10 are named but not decoded.
 *
 * Secrets never leave this file: of a PLAIN response only the user is copied, of an
 * AMQPLAIN table only LOGIN. */
#include <string.h>

#include "ptl-module.h"
#include "ptl-redact.h"

#define AMQP_PROTOCOL_HEADER_SIZE 8            /* "AMQP" + 4 version octets */
#define AMQP_FRAME_HEADER_SIZE    7            /* type, channel, size */
#define AMQP_FRAME_END            0xCE
#define AMQP_DEFAULT_FRAME_MAX    (128 * 1024) /* RabbitMQ's frame_max until Tune says more */
#define AMQP_MAX_FRAME_SIZE       (1024 * 1024) /* hard cap, also used mid-stream */
#define AMQP_MAX_METHOD_PARSE     (64 * 1024)  /* bigger method frames are counted, not read */
#define AMQP_MAX_TABLE_ENTRIES    128          /* entries walked in one field table */
#define AMQP_MAX_NAMES            32           /* per exchanges/routing_keys/queues/tags list */
#define AMQP_MAX_CLOSES           8
#define AMQP_MAX_REPLY_WORD       48           /* "NOT_FOUND" out of "NOT_FOUND - no exchange" */
#define AMQP_MAX_VERSION_OCTET    15           /* an unknown "AMQP" header still looks like one */
#define AMQP_METHOD_MIN_SIZE      4            /* class u16 + method u16 */
#define AMQP_HEADER_MIN_SIZE      14           /* class, weight, body size u64, flags */

#define AMQP_FRAME_METHOD    1
#define AMQP_FRAME_HEADER    2
#define AMQP_FRAME_BODY      3
#define AMQP_FRAME_HEARTBEAT 8

#define AMQP10_FRAME_HEADER_SIZE 8
#define AMQP10_MIN_DOFF          2
#define AMQP10_TYPE_SASL         1
#define AMQP10_DESCRIPTOR_WINDOW 11           /* 0x00, 0x80, u64 code: enough to name it */
#define AMQP10_SASL_INIT         0x41

typedef enum {
    AMQP_MODE_START,  /* nothing read yet: a protocol header, or a frame mid-stream */
    AMQP_MODE_091,
    AMQP_MODE_10,
    AMQP_MODE_OPAQUE, /* a version named but not decoded, or TLS */
} AmqpMode;

typedef enum {
    AMQP_KIND_PLAIN,
    AMQP_KIND_START,
    AMQP_KIND_START_OK,
    AMQP_KIND_TUNE,
    AMQP_KIND_OPEN,
    AMQP_KIND_CLOSE,
    AMQP_KIND_PUBLISH,
    AMQP_KIND_DELIVER,
} AmqpKind;

/* args: the leading arguments up to the last one we keep.  '1' '2' '8' skip that
 * many octets, 's' skips a shortstr; 'x' exchange, 'k' routing key, 'q' queue and
 * 'c' consumer tag are shortstrs that go into their lists. */
typedef struct {
    guint16     class_id;
    guint16     method_id;
    const char *name;
    const char *args;
    AmqpKind    kind;
} AmqpMethod;

/* Busiest classes first: the lookup is a short linear scan. */
static const AmqpMethod amqp_methods[] = {
    { 60, 40, "Basic.Publish", "2xk", AMQP_KIND_PUBLISH },
    { 60, 60, "Basic.Deliver", "c81xk", AMQP_KIND_DELIVER },
    { 60, 80, "Basic.Ack", NULL, AMQP_KIND_PLAIN },
    { 60, 120, "Basic.Nack", NULL, AMQP_KIND_PLAIN },
    { 60, 90, "Basic.Reject", NULL, AMQP_KIND_PLAIN },
    { 60, 70, "Basic.Get", "2q", AMQP_KIND_PLAIN },
    { 60, 71, "Basic.GetOk", "81xk", AMQP_KIND_DELIVER },
    { 60, 72, "Basic.GetEmpty", NULL, AMQP_KIND_PLAIN },
    { 60, 10, "Basic.Qos", NULL, AMQP_KIND_PLAIN },
    { 60, 11, "Basic.QosOk", NULL, AMQP_KIND_PLAIN },
    { 60, 20, "Basic.Consume", "2qc", AMQP_KIND_PLAIN },
    { 60, 21, "Basic.ConsumeOk", "c", AMQP_KIND_PLAIN },
    { 60, 30, "Basic.Cancel", "c", AMQP_KIND_PLAIN },
    { 60, 31, "Basic.CancelOk", "c", AMQP_KIND_PLAIN },
    { 60, 50, "Basic.Return", "2sxk", AMQP_KIND_PLAIN },
    { 60, 100, "Basic.RecoverAsync", NULL, AMQP_KIND_PLAIN },
    { 60, 110, "Basic.Recover", NULL, AMQP_KIND_PLAIN },
    { 60, 111, "Basic.RecoverOk", NULL, AMQP_KIND_PLAIN },
    { 10, 10, "Connection.Start", NULL, AMQP_KIND_START },
    { 10, 11, "Connection.StartOk", NULL, AMQP_KIND_START_OK },
    { 10, 20, "Connection.Secure", NULL, AMQP_KIND_PLAIN },
    { 10, 21, "Connection.SecureOk", NULL, AMQP_KIND_PLAIN },
    { 10, 30, "Connection.Tune", NULL, AMQP_KIND_TUNE },
    { 10, 31, "Connection.TuneOk", NULL, AMQP_KIND_TUNE },
    { 10, 40, "Connection.Open", NULL, AMQP_KIND_OPEN },
    { 10, 41, "Connection.OpenOk", NULL, AMQP_KIND_PLAIN },
    { 10, 50, "Connection.Close", NULL, AMQP_KIND_CLOSE },
    { 10, 51, "Connection.CloseOk", NULL, AMQP_KIND_PLAIN },
    { 10, 60, "Connection.Blocked", NULL, AMQP_KIND_PLAIN },
    { 10, 61, "Connection.Unblocked", NULL, AMQP_KIND_PLAIN },
    { 10, 70, "Connection.UpdateSecret", NULL, AMQP_KIND_PLAIN },
    { 10, 71, "Connection.UpdateSecretOk", NULL, AMQP_KIND_PLAIN },
    { 20, 10, "Channel.Open", NULL, AMQP_KIND_PLAIN },
    { 20, 11, "Channel.OpenOk", NULL, AMQP_KIND_PLAIN },
    { 20, 20, "Channel.Flow", NULL, AMQP_KIND_PLAIN },
    { 20, 21, "Channel.FlowOk", NULL, AMQP_KIND_PLAIN },
    { 20, 40, "Channel.Close", NULL, AMQP_KIND_CLOSE },
    { 20, 41, "Channel.CloseOk", NULL, AMQP_KIND_PLAIN },
    { 40, 10, "Exchange.Declare", "2x", AMQP_KIND_PLAIN },
    { 40, 11, "Exchange.DeclareOk", NULL, AMQP_KIND_PLAIN },
    { 40, 20, "Exchange.Delete", "2x", AMQP_KIND_PLAIN },
    { 40, 21, "Exchange.DeleteOk", NULL, AMQP_KIND_PLAIN },
    { 40, 30, "Exchange.Bind", "2xxk", AMQP_KIND_PLAIN },
    { 40, 31, "Exchange.BindOk", NULL, AMQP_KIND_PLAIN },
    { 40, 40, "Exchange.Unbind", "2xxk", AMQP_KIND_PLAIN },
    { 40, 51, "Exchange.UnbindOk", NULL, AMQP_KIND_PLAIN },
    { 50, 10, "Queue.Declare", "2q", AMQP_KIND_PLAIN },
    { 50, 11, "Queue.DeclareOk", "q", AMQP_KIND_PLAIN },
    { 50, 20, "Queue.Bind", "2qxk", AMQP_KIND_PLAIN },
    { 50, 21, "Queue.BindOk", NULL, AMQP_KIND_PLAIN },
    { 50, 30, "Queue.Purge", "2q", AMQP_KIND_PLAIN },
    { 50, 31, "Queue.PurgeOk", NULL, AMQP_KIND_PLAIN },
    { 50, 40, "Queue.Delete", "2q", AMQP_KIND_PLAIN },
    { 50, 41, "Queue.DeleteOk", NULL, AMQP_KIND_PLAIN },
    { 50, 50, "Queue.Unbind", "2qxk", AMQP_KIND_PLAIN },
    { 50, 51, "Queue.UnbindOk", NULL, AMQP_KIND_PLAIN },
    { 85, 10, "Confirm.Select", NULL, AMQP_KIND_PLAIN },
    { 85, 11, "Confirm.SelectOk", NULL, AMQP_KIND_PLAIN },
    { 90, 10, "Tx.Select", NULL, AMQP_KIND_PLAIN },
    { 90, 11, "Tx.SelectOk", NULL, AMQP_KIND_PLAIN },
    { 90, 20, "Tx.Commit", NULL, AMQP_KIND_PLAIN },
    { 90, 21, "Tx.CommitOk", NULL, AMQP_KIND_PLAIN },
    { 90, 30, "Tx.Rollback", NULL, AMQP_KIND_PLAIN },
    { 90, 31, "Tx.RollbackOk", NULL, AMQP_KIND_PLAIN },
};

typedef struct {
    guint64     code;
    const char *name;
} AmqpPerformative;

/* AMQP 1.0 performatives and SASL frames by descriptor code. */
static const AmqpPerformative amqp10_performatives[] = {
    { 0x10, "open" },           { 0x11, "begin" },         { 0x12, "attach" },
    { 0x13, "flow" },           { 0x14, "transfer" },      { 0x15, "disposition" },
    { 0x16, "detach" },         { 0x17, "end" },           { 0x18, "close" },
    { 0x40, "sasl-mechanisms" }, { 0x41, "sasl-init" },    { 0x42, "sasl-challenge" },
    { 0x43, "sasl-response" },  { 0x44, "sasl-outcome" },
};

#define AMQP_N_METHODS  G_N_ELEMENTS(amqp_methods)
#define AMQP_N_COUNTERS (G_N_ELEMENTS(amqp_methods) + G_N_ELEMENTS(amqp10_performatives))

typedef struct {
    guint8      octets[4];
    const char *name;
    AmqpMode    mode;
    gboolean    is_sasl;
    gboolean    is_tls;
} AmqpVersion;

static const AmqpVersion amqp_versions[] = {
    { { 0, 0, 9, 1 }, "0-9-1", AMQP_MODE_091, FALSE, FALSE },
    { { 0, 1, 0, 0 }, "1.0", AMQP_MODE_10, FALSE, FALSE },
    { { 3, 1, 0, 0 }, "1.0", AMQP_MODE_10, TRUE, FALSE },
    { { 2, 1, 0, 0 }, "1.0", AMQP_MODE_OPAQUE, FALSE, TRUE },
    { { 1, 1, 0, 9 }, "0-9", AMQP_MODE_OPAQUE, FALSE, FALSE },
    { { 1, 1, 9, 1 }, "0-9", AMQP_MODE_OPAQUE, FALSE, FALSE },
    { { 1, 1, 8, 0 }, "0-8", AMQP_MODE_OPAQUE, FALSE, FALSE },
    { { 1, 1, 0, 10 }, "0-10", AMQP_MODE_OPAQUE, FALSE, FALSE },
};

static const AmqpVersion amqp_version_unknown = {
    { 0, 0, 0, 0 }, "unknown", AMQP_MODE_OPAQUE, FALSE, FALSE
};

/* Borrowed bytes of the current frame. */
typedef struct {
    const guint8 *data;
    gsize         len;
} AmqpSlice;

typedef struct {
    const char *method;  /* static */
    guint16     code;
    PtlTextBuf    text;
} AmqpClose;

typedef struct {
    AmqpMode mode;
    guint32  skip_left;        /* payload octets of a streamed frame still to skip */
    gboolean needs_frame_end;  /* 0-9-1: the 0xCE after the skipped payload */
} AmqpDirState;

typedef struct {
    AmqpDirState dirs[2];
    const char  *version;      /* static; NULL until a header or a frame says */
    gboolean     is_confirmed;
    gboolean     has_sasl_layer;
    gboolean     has_tls_layer;
    gboolean     has_frame_max;
    guint32      frame_max;    /* as negotiated by Tune/TuneOk */
    guint32      frame_limit;  /* largest frame accepted */
    guint64      frames;
    guint64      published;
    guint64      delivered;
    guint64      body_bytes;
    guint64      heartbeats;
    guint64      counts[AMQP_N_COUNTERS];
    PtlTextBuf     vhost;
    PtlTextBuf     mechanism;
    PtlTextBuf     user;
    PtlTextBuf     server_product;
    PtlTextBuf     server_version;
    PtlTextBuf     client_product;
    PtlNameCounts exchanges;
    PtlNameCounts routing_keys;
    PtlNameCounts queues;
    PtlNameCounts consumer_tags;
    AmqpClose    closes[AMQP_MAX_CLOSES];
    guint        n_closes;
    guint64      closes_dropped;
} AmqpState;

static const guint16 amqp_ports[] = { 5672, 0 };

/* ---- small helpers ---- */

static gboolean
amqp_slice_equals(AmqpSlice s, const char *literal)
{
    gsize n = strlen(literal);
    return s.len == n && (n == 0 || memcmp(s.data, literal, n) == 0);
}

static AmqpSlice
amqp_read_bytes(PtlCursor *c, gsize len)
{
    const guint8 *p = ptl_cursor_take(c, len);
    AmqpSlice s = { p, p != NULL ? len : 0 };
    return s;
}

static AmqpSlice
amqp_read_shortstr(PtlCursor *c)
{
    return amqp_read_bytes(c, ptl_cursor_u8(c));
}

static AmqpSlice
amqp_read_longstr(PtlCursor *c)
{
    return amqp_read_bytes(c, ptl_cursor_be32(c));
}

/* transfer full: at most PTL_MAX_STRING octets of s as valid UTF-8 */
static char *
amqp_slice_to_utf8(AmqpSlice s)
{
    if (s.data == NULL)
        return g_strdup("");
    return g_utf8_make_valid((const char *) s.data, (gssize) MIN(s.len, (gsize) PTL_MAX_STRING));
}

/* transfer none */
static AmqpDirState *
amqp_dir(AmqpState *s, PtlDirection dir)
{
    return &s->dirs[dir == PTL_DIR_TO_CLIENT ? 1 : 0];
}

static void
amqp_confirm(AmqpState *s, const PtlFlowContext *ctx, const char *variant)
{
    if (s->is_confirmed)
        return;
    s->is_confirmed = TRUE;
    ptl_fact(ctx, PTL_FACT_CONFIRMED, variant);
}

/* ---- field tables ---- */

/* Octets of a fixed-size field value, or -1 for a length-prefixed one, -2 unknown.
 * Letters as RabbitMQ sends them (0-9-1 errata). */
static gssize
amqp_field_fixed_size(guint8 type)
{
    switch (type) {
    case 'V':
        return 0;
    case 't': case 'b': case 'B':
        return 1;
    case 's': case 'u':
        return 2;
    case 'I': case 'i': case 'f':
        return 4;
    case 'D':
        return 5;
    case 'l': case 'L': case 'd': case 'T':
        return 8;
    case 'S': case 'x': case 'A': case 'F':
        return -1;
    default:
        return -2;
    }
}

/* Finds the longstr value of `key` among the top-level entries.  Nested tables and
 * arrays are skipped by their length, so depth costs nothing; walking stops at the
 * entry cap or at a type we cannot size. */
static gboolean
amqp_table_find(PtlCursor table, const char *key, AmqpSlice *value)
{
    for (guint i = 0; i < AMQP_MAX_TABLE_ENTRIES && ptl_cursor_remaining(&table) > 0; i++) {
        AmqpSlice name = amqp_read_shortstr(&table);
        guint8 type = ptl_cursor_u8(&table);
        gssize fixed = amqp_field_fixed_size(type);
        if (fixed == -2 || !ptl_cursor_ok(&table))
            return FALSE;
        if (fixed >= 0) {
            ptl_cursor_skip(&table, (gsize) fixed);
            continue;
        }
        AmqpSlice v = amqp_read_longstr(&table);
        if (!ptl_cursor_ok(&table))
            return FALSE;
        if (type == 'S' && amqp_slice_equals(name, key)) {
            *value = v;
            return TRUE;
        }
    }
    return FALSE;
}

static void
amqp_table_keep(PtlCursor table, const char *key, PtlTextBuf *out)
{
    AmqpSlice v;
    if (out->data == NULL && amqp_table_find(table, key, &v))
        ptl_text_set(out, v.data, v.len);
}

/* ---- authentication, closes ---- */

/* SASL mechanisms named in the output (IANA SASL registry, RabbitMQ's own); any
 * other mechanism string is emitted as "other". */
static const char *const amqp_sasl_mechanisms[] = {
    "PLAIN", "AMQPLAIN", "EXTERNAL", "ANONYMOUS", "RABBIT-CR-DEMO", "CRAM-MD5", "DIGEST-MD5",
    "GSSAPI", "GS2-KRB5", "NTLM", "OAUTHBEARER", "XOAUTH2", "SCRAM-SHA-1", "SCRAM-SHA-256",
    "SCRAM-SHA-512", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512-PLUS",
};

/* PLAIN is "authzid\0authcid\0password": the user is authcid.  The password
 * is never looked at beyond the second NUL. */
static AmqpSlice
amqp_plain_user(AmqpSlice response)
{
    AmqpSlice none = { NULL, 0 };
    PtlCursor r = ptl_cursor_init(response.data, response.len);
    gssize authzid_len = ptl_cursor_find(&r, 0);
    if (authzid_len < 0)
        return none;
    ptl_cursor_skip(&r, (gsize) authzid_len + 1);
    gssize authcid_len = ptl_cursor_find(&r, 0);
    if (authcid_len < 0)
        return none;
    return amqp_read_bytes(&r, (gsize) authcid_len);
}

/* The mechanism and the user only: the mechanism by its name on this list (else
 * "other"), the user where the mechanism carries one in clear (PLAIN's authcid,
 * AMQPLAIN's LOGIN, EXTERNAL's authzid) and it is a printable name. */
static void
amqp_note_auth(AmqpState *s, const PtlFlowContext *ctx, AmqpSlice mechanism,
               AmqpSlice response)
{
    const char *known = ptl_redact_known(mechanism.data, mechanism.len, amqp_sasl_mechanisms,
                                         G_N_ELEMENTS(amqp_sasl_mechanisms));
    const char *mech = known != NULL ? known : PTL_REDACT_OTHER;
    AmqpSlice user = { NULL, 0 };
    gboolean is_cleartext = TRUE;
    if (g_strcmp0(known, "PLAIN") == 0) {
        user = amqp_plain_user(response);
    } else if (g_strcmp0(known, "AMQPLAIN") == 0) {
        /* a field table without its length prefix; only LOGIN is read */
        (void) amqp_table_find(ptl_cursor_init(response.data, response.len), "LOGIN", &user);
    } else if (g_strcmp0(known, "EXTERNAL") == 0) {
        user = response;              /* the identity asked for; the proof is the certificate */
        is_cleartext = FALSE;
    } else {
        is_cleartext = FALSE;
    }
    g_autofree char *name = ptl_redact_user(user.data, user.len);
    AmqpSlice mech_slice = { (const guint8 *) mech, strlen(mech) };
    AmqpSlice user_slice = { (const guint8 *) name, name != NULL ? strlen(name) : 0 };
    ptl_text_set_once(&s->mechanism, mech_slice.data, mech_slice.len);
    ptl_text_set_once(&s->user, user_slice.data, user_slice.len);
    if (!is_cleartext)
        return;
    g_autofree char *detail = name != NULL ? g_strdup_printf("AMQP %s user %s", mech, name)
                                           : g_strdup_printf("AMQP %s", mech);
    ptl_fact(ctx, PTL_FACT_CLEARTEXT_AUTH, detail);
}

static void
amqp_note_close(AmqpState *s, const PtlFlowContext *ctx, const char *method, guint16 code,
                AmqpSlice text)
{
    if (s->n_closes < AMQP_MAX_CLOSES) {
        AmqpClose *c = &s->closes[s->n_closes++];
        c->method = method;
        c->code = code;
        ptl_text_set(&c->text, text.data, text.len);
    } else {
        s->closes_dropped++;
    }
    if (code < 300)
        return;
    /* the reply text starts with the code's name: "NOT_FOUND - no exchange ..." */
    PtlCursor t = ptl_cursor_init(text.data, text.len);
    gssize space = ptl_cursor_find(&t, ' ');
    AmqpSlice word = { text.data, space < 0 ? text.len : (gsize) space };
    word.len = MIN(word.len, (gsize) AMQP_MAX_REPLY_WORD);
    g_autofree char *name = amqp_slice_to_utf8(word);
    g_autofree char *detail = g_strdup_printf("%s %u %s", method, code, name);
    ptl_fact(ctx, PTL_FACT_REQUEST_FAILED, detail);
}

/* ---- 0-9-1 methods ---- */

/* transfer none */
static const AmqpMethod *
amqp_method_lookup(guint16 class_id, guint16 method_id, gsize *index)
{
    for (gsize i = 0; i < AMQP_N_METHODS; i++) {
        if (amqp_methods[i].class_id == class_id && amqp_methods[i].method_id == method_id) {
            *index = i;
            return &amqp_methods[i];
        }
    }
    return NULL;
}

static void
amqp_count_method(AmqpState *s, const AmqpMethod *m, gsize index)
{
    s->counts[index]++;
    if (m->kind == AMQP_KIND_PUBLISH)
        s->published++;
    else if (m->kind == AMQP_KIND_DELIVER)
        s->delivered++;
}

/* transfer none */
static PtlNameCounts *
amqp_list_for(AmqpState *s, char field)
{
    switch (field) {
    case 'x':
        return &s->exchanges;
    case 'k':
        return &s->routing_keys;
    case 'q':
        return &s->queues;
    default:
        return &s->consumer_tags;
    }
}

/* The names among the leading arguments of a method: fields[i] is the spec letter. */
typedef struct {
    AmqpSlice names[4];
    char      fields[4];
    guint     n;
} AmqpNamedArgs;

/* Reads the leading arguments described by `spec`; FALSE when they overrun the frame. */
static gboolean
amqp_read_named_args(PtlCursor *args, const char *spec, AmqpNamedArgs *out)
{
    AmqpSlice *names = out->names;
    char *fields = out->fields;
    guint n = 0;
    for (const char *f = spec; *f != '\0'; f++) {
        switch (*f) {
        case '1':
        case '2':
        case '8':
            ptl_cursor_skip(args, (gsize) (*f - '0'));
            break;
        case 's':
            (void) amqp_read_shortstr(args);
            break;
        default:
            g_assert(n < G_N_ELEMENTS(out->names));
            fields[n] = *f;
            names[n++] = amqp_read_shortstr(args);
            break;
        }
    }
    out->n = n;
    return ptl_cursor_ok(args);
}

/* Names are kept only once all of them were inside the frame. */
static gboolean
amqp_parse_named_args(AmqpState *s, PtlCursor *args, const char *spec)
{
    AmqpNamedArgs named;
    if (!amqp_read_named_args(args, spec, &named))
        return FALSE;
    for (guint i = 0; i < named.n; i++)
        ptl_name_counts_add(amqp_list_for(s, named.fields[i]), named.names[i].data,
                            (gssize) named.names[i].len);
    return TRUE;
}

/* One amqp_method record (docs/schema/amqp.md).  `args` is NULL for a method frame too
 * big to read whole; else the arguments, whose exchange and routing key a publish or a
 * delivery carries as the app object does. */
static void
amqp_record_method(const PtlFlowContext *ctx, PtlDirection dir, const AmqpMethod *m,
                   guint16 channel, const PtlCursor *args)
{
    JsonBuilder *b = ptl_record_begin(ctx, "amqp_method");
    if (b == NULL)
        return;
    ptl_emit_string(b, "method", m->name, -1);
    ptl_emit_int(b, "channel", channel);
    ptl_emit_string(b, "from", dir == PTL_DIR_TO_SERVER ? "client" : "server", -1);
    AmqpNamedArgs named = { .n = 0 };
    PtlCursor copy = args != NULL ? *args : ptl_cursor_init(NULL, 0);
    gboolean is_routed = m->kind == AMQP_KIND_PUBLISH || m->kind == AMQP_KIND_DELIVER;
    if (is_routed && args != NULL && amqp_read_named_args(&copy, m->args, &named)) {
        for (guint i = 0; i < named.n; i++) {
            const char *key = named.fields[i] == 'x' ? "exchange"
                              : named.fields[i] == 'k' ? "routing_key" : NULL;
            if (key != NULL && named.names[i].data != NULL)
                ptl_emit_string(b, key, (const char *) named.names[i].data,
                                (gssize) named.names[i].len);
        }
    }
    ptl_record_end(ctx);
}

static gboolean
amqp_parse_start(AmqpState *s, PtlCursor *args)
{
    ptl_cursor_skip(args, 2);  /* version major, minor */
    AmqpSlice props = amqp_read_longstr(args);
    (void) amqp_read_longstr(args);  /* mechanisms */
    (void) amqp_read_longstr(args);  /* locales */
    if (!ptl_cursor_ok(args))
        return FALSE;
    amqp_table_keep(ptl_cursor_init(props.data, props.len), "product", &s->server_product);
    amqp_table_keep(ptl_cursor_init(props.data, props.len), "version", &s->server_version);
    return TRUE;
}

static gboolean
amqp_parse_start_ok(AmqpState *s, const PtlFlowContext *ctx, PtlCursor *args)
{
    AmqpSlice props = amqp_read_longstr(args);
    AmqpSlice mechanism = amqp_read_shortstr(args);
    AmqpSlice response = amqp_read_longstr(args);
    if (!ptl_cursor_ok(args))
        return FALSE;
    amqp_table_keep(ptl_cursor_init(props.data, props.len), "product", &s->client_product);
    amqp_note_auth(s, ctx, mechanism, response);
    return TRUE;
}

static guint32
amqp_limit_for_frame_max(guint32 frame_max)
{
    if (frame_max == 0)
        return AMQP_MAX_FRAME_SIZE;  /* 0 means "no limit": ours applies */
    return CLAMP(frame_max, AMQP_DEFAULT_FRAME_MAX, AMQP_MAX_FRAME_SIZE);
}

static gboolean
amqp_parse_tune(AmqpState *s, PtlCursor *args)
{
    ptl_cursor_skip(args, 2);  /* channel-max */
    guint32 frame_max = ptl_cursor_be32(args);
    ptl_cursor_skip(args, 2);  /* heartbeat */
    if (!ptl_cursor_ok(args))
        return FALSE;
    s->has_frame_max = TRUE;
    s->frame_max = frame_max;
    s->frame_limit = amqp_limit_for_frame_max(frame_max);
    return TRUE;
}

static gboolean
amqp_parse_open(AmqpState *s, PtlCursor *args)
{
    AmqpSlice vhost = amqp_read_shortstr(args);
    if (!ptl_cursor_ok(args))
        return FALSE;
    ptl_text_set_once(&s->vhost, vhost.data, vhost.len);
    return TRUE;
}

static gboolean
amqp_parse_close(AmqpState *s, const PtlFlowContext *ctx, const AmqpMethod *m, PtlCursor *args)
{
    guint16 code = ptl_cursor_be16(args);
    AmqpSlice text = amqp_read_shortstr(args);
    ptl_cursor_skip(args, 4);  /* failing class and method */
    if (!ptl_cursor_ok(args))
        return FALSE;
    amqp_note_close(s, ctx, m->name, code, text);
    return TRUE;
}

static gboolean
amqp_parse_method_args(AmqpState *s, const PtlFlowContext *ctx, const AmqpMethod *m,
                       PtlCursor *args)
{
    switch (m->kind) {
    case AMQP_KIND_START:
        return amqp_parse_start(s, args);
    case AMQP_KIND_START_OK:
        return amqp_parse_start_ok(s, ctx, args);
    case AMQP_KIND_TUNE:
        return amqp_parse_tune(s, args);
    case AMQP_KIND_OPEN:
        return amqp_parse_open(s, args);
    case AMQP_KIND_CLOSE:
        return amqp_parse_close(s, ctx, m, args);
    default:
        return m->args == NULL || amqp_parse_named_args(s, args, m->args);
    }
}

/* ---- 0-9-1 frames ---- */

static gboolean
amqp_check_frame_end(guint8 end, GError **error)
{
    if (end != AMQP_FRAME_END) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "amqp: frame end 0x%02x instead of 0xce", end);
        return FALSE;
    }
    return TRUE;
}

static gboolean
amqp_frame_type_ok(guint8 type)
{
    return type == AMQP_FRAME_METHOD || type == AMQP_FRAME_HEADER || type == AMQP_FRAME_BODY
           || type == AMQP_FRAME_HEARTBEAT;
}

/* The type is known to be valid. */
static gboolean
amqp_check_frame_header(const AmqpState *s, guint8 type, guint32 size, GError **error)
{
    const char *problem = NULL;
    guint32 min_size = 0;
    switch (type) {
    case AMQP_FRAME_METHOD:
        min_size = AMQP_METHOD_MIN_SIZE;
        break;
    case AMQP_FRAME_HEADER:
        min_size = AMQP_HEADER_MIN_SIZE;
        break;
    case AMQP_FRAME_BODY:
        break;
    case AMQP_FRAME_HEARTBEAT:
        if (size != 0)
            problem = "heartbeat frame with a payload";
        break;
    default:
        break;
    }
    if (size > s->frame_limit) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                    "amqp: frame size %" G_GUINT32_FORMAT " over limit %" G_GUINT32_FORMAT,
                    size, s->frame_limit);
        return FALSE;
    }
    if (size < min_size)
        problem = "frame shorter than its fixed fields";
    if (problem != NULL) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "amqp: %s (type %u, size %" G_GUINT32_FORMAT ")", problem, type, size);
        return FALSE;
    }
    return TRUE;
}

/* transfer none: the method named by the payload's ids, counted; NULL if unknown */
static const AmqpMethod *
amqp_method_counted(AmqpState *s, PtlCursor *payload, GError **error)
{
    guint16 class_id = ptl_cursor_be16(payload);
    guint16 method_id = ptl_cursor_be16(payload);
    gsize index = 0;
    const AmqpMethod *m = amqp_method_lookup(class_id, method_id, &index);
    if (m == NULL) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "amqp: unknown method %u.%u", class_id, method_id);
        return NULL;
    }
    amqp_count_method(s, m, index);
    return m;
}

/* A method frame small enough to wait for, read whole. */
static gssize
amqp091_method_whole(AmqpState *s, const PtlFlowContext *ctx, PtlDirection dir,
                     const PtlCursor *in, guint16 channel, guint32 size, GError **error)
{
    PtlCursor f = *in;
    ptl_cursor_skip(&f, AMQP_FRAME_HEADER_SIZE);
    PtlCursor payload = ptl_cursor_sub(&f, size);
    guint8 end = ptl_cursor_u8(&f);
    if (!ptl_cursor_ok(&f))
        return 0;
    if (!amqp_check_frame_end(end, error))
        return -1;
    const AmqpMethod *m = amqp_method_counted(s, &payload, error);
    if (m == NULL)
        return -1;
    s->frames++;
    PtlCursor args = payload;
    if (!amqp_parse_method_args(s, ctx, m, &payload)) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "amqp: %s arguments overrun the frame", m->name);
        return -1;
    }
    amqp_confirm(s, ctx, "0-9-1");
    amqp_record_method(ctx, dir, m, channel, &args);
    return (gssize) (f.pos - in->pos);
}

/* The fixed part of a frame we do not wait for; the rest is skipped as it comes. */
static gssize
amqp091_frame_streamed(AmqpState *s, AmqpDirState *d, const PtlFlowContext *ctx,
                       PtlDirection dir, const PtlCursor *in, guint8 type, guint16 channel,
                       guint32 size, GError **error)
{
    PtlCursor f = *in;
    ptl_cursor_skip(&f, AMQP_FRAME_HEADER_SIZE);
    guint32 read = 0;
    if (type == AMQP_FRAME_METHOD) {
        PtlCursor ids = ptl_cursor_sub(&f, AMQP_METHOD_MIN_SIZE);
        if (!ptl_cursor_ok(&f))
            return 0;
        const AmqpMethod *m = amqp_method_counted(s, &ids, error);
        if (m == NULL)
            return -1;
        amqp_record_method(ctx, dir, m, channel, NULL);
        read = AMQP_METHOD_MIN_SIZE;
    } else if (type == AMQP_FRAME_BODY) {
        s->body_bytes += size;
    } else if (type == AMQP_FRAME_HEARTBEAT) {
        s->heartbeats++;
    }
    s->frames++;
    d->skip_left = size - read;
    d->needs_frame_end = TRUE;
    return (gssize) (f.pos - in->pos);
}

static gssize
amqp091_frame(AmqpState *s, AmqpDirState *d, const PtlFlowContext *ctx, PtlDirection dir,
              const PtlCursor *in, GError **error)
{
    PtlCursor f = *in;
    guint8 type = ptl_cursor_u8(&f);
    guint16 channel = ptl_cursor_be16(&f);
    guint32 size = ptl_cursor_be32(&f);
    if (!amqp_frame_type_ok(type)) {
        /* checked before the header is complete: more bytes cannot help */
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "amqp: unknown frame type %u", type);
        return -1;
    }
    if (!ptl_cursor_ok(&f))
        return 0;
    if (!amqp_check_frame_header(s, type, size, error))
        return -1;
    if (type == AMQP_FRAME_METHOD && size <= AMQP_MAX_METHOD_PARSE)
        return amqp091_method_whole(s, ctx, dir, in, channel, size, error);
    return amqp091_frame_streamed(s, d, ctx, dir, in, type, channel, size, error);
}

/* ---- 1.0 frames ---- */

/* The descriptor code of a described performative, or G_MAXUINT64. */
static guint64
amqp10_descriptor(PtlCursor *body)
{
    if (ptl_cursor_u8(body) != 0x00)
        return G_MAXUINT64;
    switch (ptl_cursor_u8(body)) {
    case 0x53: /* smallulong */
        return ptl_cursor_u8(body);
    case 0x80: /* ulong */
        return ptl_cursor_be64(body);
    case 0x44: /* ulong0 */
        return 0;
    default:
        return G_MAXUINT64;
    }
}

static void
amqp10_count(AmqpState *s, guint64 code)
{
    for (gsize i = 0; i < G_N_ELEMENTS(amqp10_performatives); i++) {
        if (amqp10_performatives[i].code == code) {
            s->counts[AMQP_N_METHODS + i]++;
            return;
        }
    }
}

/* A symbol or binary with a 1-octet (small) or 4-octet length constructor. */
static AmqpSlice
amqp10_read_variable(PtlCursor *c, guint8 small, guint8 large)
{
    AmqpSlice none = { NULL, 0 };
    guint8 constructor = ptl_cursor_u8(c);
    if (constructor == small)
        return amqp_read_shortstr(c);
    if (constructor == large)
        return amqp_read_longstr(c);
    return none;
}

/* sasl-init is a list (mechanism symbol, initial-response binary, hostname). */
static void
amqp10_parse_sasl_init(AmqpState *s, const PtlFlowContext *ctx, PtlCursor *body)
{
    guint8 list = ptl_cursor_u8(body);
    if (list == 0xc0)
        ptl_cursor_skip(body, 2);  /* size u8, count u8 */
    else if (list == 0xd0)
        ptl_cursor_skip(body, 8);  /* size u32, count u32 */
    else
        return;
    AmqpSlice mechanism = amqp10_read_variable(body, 0xa3, 0xb3);
    AmqpSlice response = amqp10_read_variable(body, 0xa0, 0xb0);
    if (mechanism.data != NULL && ptl_cursor_ok(body))
        amqp_note_auth(s, ctx, mechanism, response);
}

static gssize amqp_protocol_header(AmqpState *s, AmqpDirState *d, PtlDirection dir,
                                   const PtlFlowContext *ctx, const PtlCursor *in,
                                   GError **error);

static gssize
amqp10_frame(AmqpState *s, AmqpDirState *d, PtlDirection dir, const PtlFlowContext *ctx,
             const PtlCursor *in, GError **error)
{
    /* after the SASL layer both peers send a fresh protocol header */
    const guint8 *magic = ptl_cursor_peek(in, 4);
    if (magic != NULL && memcmp(magic, "AMQP", 4) == 0)
        return amqp_protocol_header(s, d, dir, ctx, in, error);
    PtlCursor f = *in;
    guint32 size = ptl_cursor_be32(&f);
    guint8 doff = ptl_cursor_u8(&f);
    guint8 type = ptl_cursor_u8(&f);
    (void) ptl_cursor_be16(&f);  /* channel */
    if (!ptl_cursor_ok(&f))
        return 0;
    if (size > s->frame_limit) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                    "amqp: 1.0 frame size %" G_GUINT32_FORMAT " over limit %" G_GUINT32_FORMAT,
                    size, s->frame_limit);
        return -1;
    }
    if (doff < AMQP10_MIN_DOFF || (guint32) doff * 4 > size || type > AMQP10_TYPE_SASL) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "amqp: 1.0 frame size %" G_GUINT32_FORMAT " doff %u type %u invalid",
                    size, doff, type);
        return -1;
    }
    guint32 body_len = size - (guint32) doff * 4;
    /* small frames are read whole; of a big one only enough to name it */
    gboolean is_whole = size <= AMQP_MAX_METHOD_PARSE;
    guint32 window = is_whole ? body_len : MIN(body_len, (guint32) AMQP10_DESCRIPTOR_WINDOW);
    ptl_cursor_skip(&f, (gsize) doff * 4 - AMQP10_FRAME_HEADER_SIZE);
    PtlCursor body = ptl_cursor_sub(&f, window);
    if (!ptl_cursor_ok(&f))
        return 0;
    s->frames++;
    if (body_len == 0) {
        s->heartbeats++;  /* an empty frame keeps the connection alive */
    } else {
        guint64 code = amqp10_descriptor(&body);
        amqp10_count(s, code);
        if (code == AMQP10_SASL_INIT && is_whole)
            amqp10_parse_sasl_init(s, ctx, &body);
    }
    amqp_confirm(s, ctx, "1.0");
    d->skip_left = body_len - window;
    d->needs_frame_end = FALSE;
    return (gssize) (f.pos - in->pos);
}

/* ---- protocol header and dispatch ---- */

/* transfer none */
static const AmqpVersion *
amqp_version_lookup(const guint8 *octets)
{
    for (gsize i = 0; i < G_N_ELEMENTS(amqp_versions); i++) {
        if (memcmp(amqp_versions[i].octets, octets, 4) == 0)
            return &amqp_versions[i];
    }
    return NULL;
}

static gssize
amqp_protocol_header(AmqpState *s, AmqpDirState *d, PtlDirection dir,
                     const PtlFlowContext *ctx, const PtlCursor *in, GError **error)
{
    PtlCursor h = *in;
    /* a partial "AMQ" waits; anything else fails at once */
    gsize have = MIN(ptl_cursor_remaining(&h), (gsize) 4);
    const guint8 *magic = ptl_cursor_take(&h, have);
    if (magic == NULL || memcmp(magic, "AMQP", have) != 0)
        return ptl_dissect_fail(error, PTL_DISSECT_ERROR_MALFORMED, "amqp", "bad protocol header");
    const guint8 *octets = ptl_cursor_take(&h, 4);
    if (octets == NULL || have < 4)
        return 0;
    const AmqpVersion *v = amqp_version_lookup(octets);
    if (v == NULL)
        v = &amqp_version_unknown;
    /* the client's header names the version; a server's only answers a mismatch */
    if (s->version == NULL || dir == PTL_DIR_TO_SERVER)
        s->version = v->name;
    s->has_sasl_layer |= v->is_sasl;
    d->mode = v->mode;
    if (v->mode == AMQP_MODE_091)
        s->frame_limit = MIN(s->frame_limit, (guint32) AMQP_DEFAULT_FRAME_MAX);
    amqp_confirm(s, ctx, v->name);
    s->has_tls_layer |= v->is_tls;
    /* the server's TLS header grants the layer: the core hands what follows to TLS */
    if (v->is_tls && dir == PTL_DIR_TO_CLIENT)
        ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "AMQP 1.0 TLS layer");
    return AMQP_PROTOCOL_HEADER_SIZE;
}

/* The first bytes of a direction: a protocol header, or frames picked up
 * mid-stream in the other direction's mode (0-9-1 when nothing is known). */
static void
amqp_choose_mode(AmqpState *s, AmqpDirState *d, const PtlCursor *in)
{
    const guint8 *first = ptl_cursor_peek(in, 1);
    AmqpMode other = (d == &s->dirs[0] ? s->dirs[1] : s->dirs[0]).mode;
    if (first != NULL && first[0] == 'A')
        return;
    d->mode = other == AMQP_MODE_START ? AMQP_MODE_091 : other;
}

static gssize
amqp_step(AmqpState *s, AmqpDirState *d, PtlDirection dir, const PtlFlowContext *ctx,
          const PtlCursor *in, GError **error)
{
    if (d->skip_left > 0) {
        guint32 n = (guint32) MIN((gsize) d->skip_left, ptl_cursor_remaining(in));
        d->skip_left -= n;
        return n;
    }
    if (d->needs_frame_end) {
        PtlCursor e = *in;
        guint8 end = ptl_cursor_u8(&e);
        if (!amqp_check_frame_end(end, error))
            return -1;
        d->needs_frame_end = FALSE;
        amqp_confirm(s, ctx, "0-9-1");
        return 1;
    }
    switch (d->mode) {
    case AMQP_MODE_START:
        amqp_choose_mode(s, d, in);
        if (d->mode == AMQP_MODE_START)
            return amqp_protocol_header(s, d, dir, ctx, in, error);
        return amqp_step(s, d, dir, ctx, in, error);
    case AMQP_MODE_091:
        return amqp091_frame(s, d, ctx, dir, in, error);
    case AMQP_MODE_10:
        return amqp10_frame(s, d, dir, ctx, in, error);
    default:
        return (gssize) ptl_cursor_remaining(in);
    }
}

/* ---- ABI callbacks ---- */

static gssize
amqp_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
          gsize len, GError **error)
{
    AmqpState *s = state;
    AmqpDirState *d = amqp_dir(s, dir);
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        gssize n = amqp_step(s, d, dir, ctx, &c, error);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        ptl_cursor_skip(&c, (gsize) n);
    }
    return (gssize) c.pos;
}

/* A hole inside a payload we were skipping anyway leaves the next frame boundary
 * known; anywhere else it does not. */
static gboolean
amqp_gap(gpointer state, PtlDirection dir, gsize missing)
{
    AmqpDirState *d = amqp_dir(state, dir);
    if (d->mode == AMQP_MODE_OPAQUE)
        return TRUE;
    if (missing > d->skip_left)
        return FALSE;
    d->skip_left -= (guint32) missing;
    return TRUE;
}

static PtlProbe
amqp_probe_header(PtlCursor *c)
{
    for (gsize i = 0; i < 4; i++) {
        if (ptl_cursor_remaining(c) == 0)
            return PTL_PROBE_MAYBE;
        if (ptl_cursor_u8(c) != (guint8) "AMQP"[i])
            return PTL_PROBE_NO;
    }
    const guint8 *octets = ptl_cursor_take(c, 4);
    if (octets == NULL)
        return PTL_PROBE_MAYBE;
    if (amqp_version_lookup(octets) != NULL)
        return PTL_PROBE_YES;
    for (gsize i = 0; i < 4; i++) {
        if (octets[i] > AMQP_MAX_VERSION_OCTET)
            return PTL_PROBE_NO;
    }
    return PTL_PROBE_YES;
}

/* One 0-9-1 frame at the start: sane header, known method, 0xCE where it belongs.
 * A body frame proves little alone, so the octet after it must start a frame too. */
static PtlProbe
amqp_probe_frame(PtlCursor *c)
{
    guint8 type = ptl_cursor_u8(c);
    if (!amqp_frame_type_ok(type))
        return PTL_PROBE_NO;
    guint16 channel = ptl_cursor_be16(c);
    guint32 size = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    if (size > AMQP_MAX_FRAME_SIZE
        || (type == AMQP_FRAME_HEARTBEAT && (size != 0 || channel != 0))
        || (type == AMQP_FRAME_METHOD && size < AMQP_METHOD_MIN_SIZE)
        || (type == AMQP_FRAME_HEADER && size < AMQP_HEADER_MIN_SIZE))
        return PTL_PROBE_NO;
    if (type == AMQP_FRAME_METHOD) {
        PtlCursor ids = *c;
        guint16 class_id = ptl_cursor_be16(&ids);
        guint16 method_id = ptl_cursor_be16(&ids);
        gsize index = 0;
        if (!ptl_cursor_ok(&ids))
            return PTL_PROBE_MAYBE;
        if (amqp_method_lookup(class_id, method_id, &index) == NULL)
            return PTL_PROBE_NO;
    }
    if (!ptl_cursor_skip(c, size))
        return PTL_PROBE_MAYBE;
    guint8 end = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    if (end != AMQP_FRAME_END)
        return PTL_PROBE_NO;
    if (type != AMQP_FRAME_BODY)
        return PTL_PROBE_YES;
    guint8 next = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    return amqp_frame_type_ok(next) ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static PtlProbe
amqp_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    (void) dir;  /* a server sends a header too when it refuses the version */
    PtlCursor c = ptl_cursor_init(data, len);
    const guint8 *first = ptl_cursor_peek(&c, 1);
    if (first == NULL)
        return PTL_PROBE_MAYBE;
    if (first[0] == 'A')
        return amqp_probe_header(&c);
    return amqp_probe_frame(&c);
}

static gpointer
amqp_state_new(void)
{
    AmqpState *s = g_new0(AmqpState, 1);
    s->frame_limit = AMQP_MAX_FRAME_SIZE;
    PtlNameCounts *lists[] = { &s->exchanges, &s->routing_keys, &s->queues, &s->consumer_tags };
    for (gsize i = 0; i < G_N_ELEMENTS(lists); i++)
        ptl_name_counts_init(lists[i], AMQP_MAX_NAMES);
    return s;
}

static void
amqp_state_free(gpointer state)
{
    AmqpState *s = state;
    if (s == NULL)
        return;
    ptl_text_clear(&s->vhost);
    ptl_text_clear(&s->mechanism);
    ptl_text_clear(&s->user);
    ptl_text_clear(&s->server_product);
    ptl_text_clear(&s->server_version);
    ptl_text_clear(&s->client_product);
    ptl_name_counts_clear(&s->exchanges);
    ptl_name_counts_clear(&s->routing_keys);
    ptl_name_counts_clear(&s->queues);
    ptl_name_counts_clear(&s->consumer_tags);
    for (guint i = 0; i < s->n_closes; i++)
        ptl_text_clear(&s->closes[i].text);
    g_free(s);
}

static void
amqp_emit_closes(JsonBuilder *b, const AmqpState *s)
{
    json_builder_set_member_name(b, "closes");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->n_closes; i++) {
        json_builder_begin_object(b);
        ptl_emit_string(b, "method", s->closes[i].method, -1);
        ptl_emit_int(b, "code", s->closes[i].code);
        ptl_text_emit(&s->closes[i].text, b, "text");
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    ptl_emit_int(b, "closes_dropped", (gint64) s->closes_dropped);
}

static void
amqp_emit_methods(JsonBuilder *b, const AmqpState *s)
{
    const char *names[AMQP_N_COUNTERS];
    for (gsize i = 0; i < AMQP_N_METHODS; i++)
        names[i] = amqp_methods[i].name;
    for (gsize i = 0; i < G_N_ELEMENTS(amqp10_performatives); i++)
        names[AMQP_N_METHODS + i] = amqp10_performatives[i].name;
    ptl_emit_counts(b, "methods", names, s->counts, AMQP_N_COUNTERS);
}

static void
amqp_emit(gpointer state, JsonBuilder *b)
{
    const AmqpState *s = state;
    /* mid-stream 0-9-1 has no header: its frames name the version */
    const char *version = s->version;
    if (version == NULL && s->is_confirmed)
        version = "0-9-1";
    ptl_emit_string(b, "version", version, -1);
    if (s->has_sasl_layer)
        ptl_emit_bool(b, "sasl_layer", TRUE);
    if (s->has_tls_layer)
        ptl_emit_bool(b, "tls_layer", TRUE);
    ptl_emit_int(b, "frames", (gint64) s->frames);
    amqp_emit_methods(b, s);
    ptl_text_emit(&s->vhost, b, "vhost");
    ptl_text_emit(&s->mechanism, b, "mechanism");
    ptl_text_emit(&s->user, b, "user");
    ptl_text_emit(&s->server_product, b, "server_product");
    ptl_text_emit(&s->server_version, b, "server_version");
    ptl_text_emit(&s->client_product, b, "client_product");
    if (s->has_frame_max)
        ptl_emit_int(b, "frame_max", s->frame_max);
    ptl_name_counts_emit_names(&s->exchanges, b, "exchanges", "exchanges_dropped");
    ptl_name_counts_emit_names(&s->routing_keys, b, "routing_keys", "routing_keys_dropped");
    ptl_name_counts_emit_names(&s->queues, b, "queues", "queues_dropped");
    ptl_name_counts_emit_names(&s->consumer_tags, b, "consumer_tags", "consumer_tags_dropped");
    ptl_emit_int(b, "published", (gint64) s->published);
    ptl_emit_int(b, "delivered", (gint64) s->delivered);
    ptl_emit_int(b, "body_bytes", (gint64) s->body_bytes);
    ptl_emit_int(b, "heartbeats", (gint64) s->heartbeats);
    amqp_emit_closes(b, s);
}

static const PtlDissector amqp_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "amqp",
    .default_ports = amqp_ports,
    .probe = amqp_probe,
    .state_new = amqp_state_new,
    .state_free = amqp_state_free,
    .feed = amqp_feed,
    .gap = amqp_gap,
    .emit = amqp_emit,
    .version = "1.0.0",
    .description = "AMQP 0-9-1 frames, methods, auth and closes; AMQP 1.0 framing and SASL",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(amqp_dissector)
