/* postgresql.c: the PostgreSQL frontend/backend protocol (v3) as far as its
 * SSLRequest (PostgreSQL docs, "Message Flow: SSL Session Encryption").
 *
 * The client's first message has no type byte: SSLRequest or GSSENCRequest
 * (length 8, code 80877103 / 80877104), a CancelRequest or a StartupMessage
 * (protocol 3.0).
 * The server answers an SSLRequest with one byte: 'S' is the switch point to
 * TLS, 'N' a refusal after which the client sends its StartupMessage (a
 * GSSENCRequest is answered 'G', GSSAPI encryption, or 'N' the same way).  Later
 * messages are a type byte and a length, skipped by count. */
#include "starttls-common.h"

#define POSTGRESQL_SSL_REQUEST   80877103u
#define POSTGRESQL_GSSENC_REQUEST 80877104u
#define POSTGRESQL_CANCEL_REQUEST 80877102u   /* length 16: pid and key */
#define POSTGRESQL_PROTOCOL_3    0x00030000u
#define POSTGRESQL_MAX_STARTUP   10000u            /* the server's own limit */
#define POSTGRESQL_MAX_MESSAGE   (1024u * 1024 * 1024) /* a message length, 1 GiB */

typedef enum {
    POSTGRESQL_SSL_NONE,
    POSTGRESQL_SSL_REQUESTED,
    POSTGRESQL_SSL_GRANTED,
    POSTGRESQL_SSL_REFUSED,
} PostgresqlSsl;

static const char *const postgresql_ssl_names[] = { NULL, "requested", "granted", "refused" };

typedef struct {
    PostgresqlSsl ssl;
    gboolean      has_gss_request;
    gboolean      is_gss_answered;
    gboolean      is_gss_encrypted;  /* 'G': the rest is GSSAPI-encrypted */
    gboolean      has_startup;
    gboolean      is_confirmed;
    guint64       messages[2];
    StarttlsCommon common;
} PostgresqlState;

/* The client's untyped first message: length and code. */
static PtlProbe
postgresql_probe_untyped(PtlCursor *c)
{
    guint32 len = ptl_cursor_be32(c);
    guint32 code = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    if (len == 8 && (code == POSTGRESQL_SSL_REQUEST || code == POSTGRESQL_GSSENC_REQUEST))
        return PTL_PROBE_YES;
    if ((code == POSTGRESQL_PROTOCOL_3 && len > 8 && len <= POSTGRESQL_MAX_STARTUP) ||
        (code == POSTGRESQL_CANCEL_REQUEST && len == 16))
        return PTL_PROBE_YES;
    return PTL_PROBE_NO;
}

static PtlProbe
postgresql_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    if (len == 0)
        return PTL_PROBE_MAYBE;
    if (dir == PTL_DIR_TO_SERVER) {
        /* a prefix of the length must still fit one of the messages above */
        PtlCursor head = ptl_cursor_init(data, MIN(len, (gsize) 4));
        guint8 b0 = ptl_cursor_u8(&head), b1 = ptl_cursor_u8(&head);
        if (b0 != 0 || (len > 1 && b1 > 0x27))
            return PTL_PROBE_NO;
        return postgresql_probe_untyped(&c);
    }
    /* the server: 'S' or 'N' alone says little; an 'R' authentication request more */
    guint8 type = ptl_cursor_u8(&c);
    if (len == 1)
        return type == 'S' || type == 'N' ? PTL_PROBE_MAYBE : PTL_PROBE_NO;
    if (type == 'S' || type == 'N')
        type = ptl_cursor_u8(&c);
    guint32 mlen = ptl_cursor_be32(&c);
    guint32 code = ptl_cursor_be32(&c);
    if (type != 'R')
        return PTL_PROBE_NO;
    if (!ptl_cursor_ok(&c))
        return PTL_PROBE_MAYBE;
    return mlen >= 8 && mlen <= 2048 && code <= 12 ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static gpointer
postgresql_state_new(void)
{
    return g_new0(PostgresqlState, 1);
}

static gboolean
postgresql_fail(GError **error, gint code, const char *what, guint32 value)
{
    g_set_error(error, PTL_DISSECT_ERROR, code, "postgresql: %s %" G_GUINT32_FORMAT, what, value);
    return FALSE;
}

/* The client's untyped message; FALSE with error set when it is invalid. */
static gboolean
postgresql_untyped(PostgresqlState *s, PtlCursor *c, GError **error)
{
    PtlCursor head = *c;
    guint32 len = ptl_cursor_be32(&head);
    guint32 code = ptl_cursor_be32(&head);
    if (!ptl_cursor_ok(&head))
        return TRUE;                    /* wait */
    if (len == 8 && code == POSTGRESQL_SSL_REQUEST) {
        s->ssl = POSTGRESQL_SSL_REQUESTED;
    } else if (len == 8 && code == POSTGRESQL_GSSENC_REQUEST) {
        s->has_gss_request = TRUE;
    } else if (code == POSTGRESQL_CANCEL_REQUEST && len == 16) {
        if (ptl_cursor_remaining(c) < len)
            return TRUE;
    } else if (code == POSTGRESQL_PROTOCOL_3) {
        if (len <= 8 || len > POSTGRESQL_MAX_STARTUP)
            return postgresql_fail(error, PTL_DISSECT_ERROR_LIMIT, "startup length", len);
        if (ptl_cursor_remaining(c) < len)
            return TRUE;
        s->has_startup = TRUE;
    } else {
        return postgresql_fail(error, PTL_DISSECT_ERROR_MALFORMED, "first message code", code);
    }
    ptl_cursor_skip(c, len);
    s->messages[PTL_DIR_TO_SERVER]++;
    return TRUE;
}

static gssize
postgresql_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
                gsize len, GError **error)
{
    PostgresqlState *s = state;
    if (s->ssl == POSTGRESQL_SSL_GRANTED || s->is_gss_encrypted)
        return starttls_after_upgrade(&s->common, dir, len);
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        if (s->common.body_left[dir] > 0) {
            starttls_skip_body(&s->common, dir, &c);
            continue;
        }
        gsize before = c.pos;
        gboolean is_gss_waiting = s->has_gss_request && !s->is_gss_answered;
        if (dir == PTL_DIR_TO_SERVER && !s->has_startup && s->ssl != POSTGRESQL_SSL_REQUESTED &&
            !is_gss_waiting) {
            if (!postgresql_untyped(s, &c, error))
                return -1;
            if (c.pos == before)
                break;
            continue;
        }
        if (dir == PTL_DIR_TO_CLIENT && s->has_gss_request && !s->is_gss_answered) {
            guint8 answer = ptl_cursor_u8(&c);
            s->is_gss_answered = TRUE;
            if (answer == 'G') {
                s->is_gss_encrypted = TRUE;
                ptl_fact(ctx, PTL_FACT_ENCRYPTED, "PostgreSQL GSSAPI encryption");
            }
            continue;
        }
        /* the answer to an SSLRequest, also when the capture missed the request */
        const guint8 *next = ptl_cursor_peek(&c, 1);
        gboolean is_answer = s->ssl == POSTGRESQL_SSL_REQUESTED ||
                             (s->ssl == POSTGRESQL_SSL_NONE && s->messages[0] + s->messages[1] == 0
                              && next != NULL && (*next == 'S' || *next == 'N'));
        if (dir == PTL_DIR_TO_CLIENT && is_answer) {
            guint8 answer = ptl_cursor_u8(&c);
            if (answer == 'S') {
                s->ssl = POSTGRESQL_SSL_GRANTED;
                ptl_fact(ctx, PTL_FACT_CONFIRMED, NULL);
                ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "PostgreSQL SSLRequest");
                return (gssize) c.pos;     /* the switch point */
            }
            if (answer != 'N') {
                g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                            "postgresql: SSLRequest answered 0x%02x", answer);
                return -1;
            }
            s->ssl = POSTGRESQL_SSL_REFUSED;
            continue;
        }
        if (dir == PTL_DIR_TO_SERVER && (s->ssl == POSTGRESQL_SSL_REQUESTED || is_gss_waiting))
            break;                          /* the client waits for the answer */
        (void) ptl_cursor_u8(&c);
        guint32 mlen = ptl_cursor_be32(&c);
        if (!ptl_cursor_ok(&c)) {
            c.pos = before;
            break;
        }
        if (mlen < 4 || mlen > POSTGRESQL_MAX_MESSAGE) {
            g_set_error(error, PTL_DISSECT_ERROR, mlen < 4 ? PTL_DISSECT_ERROR_MALFORMED
                                                           : PTL_DISSECT_ERROR_LIMIT,
                        "postgresql: message length %" G_GUINT32_FORMAT, mlen);
            return -1;
        }
        if (!s->is_confirmed && dir == PTL_DIR_TO_CLIENT) {
            s->is_confirmed = TRUE;
            ptl_fact(ctx, PTL_FACT_CONFIRMED, NULL);
        }
        s->messages[dir]++;
        s->common.body_left[dir] = mlen - 4;
    }
    return (gssize) c.pos;
}

static gboolean
postgresql_gap(gpointer state, PtlDirection dir, gsize missing)
{
    PostgresqlState *s = state;
    if (s->ssl == POSTGRESQL_SSL_GRANTED)
        return TRUE;
    return starttls_gap_in_body(&s->common, dir, missing);                           /* no message boundary to find */
}

static void
postgresql_emit(gpointer state, JsonBuilder *b)
{
    PostgresqlState *s = state;
    if (s->ssl != POSTGRESQL_SSL_NONE)
        ptl_emit_string(b, "ssl_request", postgresql_ssl_names[s->ssl], -1);
    if (s->has_gss_request)
        ptl_emit_string(b, "gssenc_request", !s->is_gss_answered ? "requested"
                                             : s->is_gss_encrypted ? "granted" : "refused", -1);
    ptl_emit_bool(b, "startup", s->has_startup);
    ptl_emit_int(b, "messages_to_server", (gint64) s->messages[PTL_DIR_TO_SERVER]);
    ptl_emit_int(b, "messages_to_client", (gint64) s->messages[PTL_DIR_TO_CLIENT]);
    starttls_emit_after(&s->common, b);
}

static const guint16 postgresql_ports[] = { 5432, 0 };

static const PtlDissector postgresql_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "postgresql",
    .default_ports = postgresql_ports,
    .probe = postgresql_probe,
    .state_new = postgresql_state_new,
    .state_free = g_free,
    .feed = postgresql_feed,
    .gap = postgresql_gap,
    .emit = postgresql_emit,
    .version = "1.0.0",
    .description = "PostgreSQL startup, SSLRequest and message counts",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(postgresql_dissector)
