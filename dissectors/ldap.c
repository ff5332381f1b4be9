/* ldap.c: LDAPv3 messages (RFC 4511) as far as the StartTLS extended
 * operation (RFC 4511 section 4.14, OID 1.3.6.1.4.1.1466.20037).
 *
 * Each LDAPMessage is a BER SEQUENCE: messageID INTEGER, then the protocol
 * op, an APPLICATION tag.  Operations are counted by name; an ExtendedRequest
 * naming the StartTLS OID, answered by an ExtendedResponse with the same
 * messageID and resultCode success (0), ends at the switch point to TLS. */
#include <string.h>

#include "starttls-common.h"

#define LDAP_MAX_MESSAGE   (16u * 1024 * 1024)
#define LDAP_TAG_SEQUENCE  0x30
#define LDAP_TAG_INTEGER   0x02
#define LDAP_TAG_ENUM      0x0a
#define LDAP_APP_MASK      0x1f
#define LDAP_OP_EXT_REQ    23
#define LDAP_OP_EXT_RESP   24
#define LDAP_OP_COUNT      26
#define LDAP_TAG_EXT_NAME  0x80                   /* requestName [0] */

static const char ldap_starttls_oid[] = "1.3.6.1.4.1.1466.20037";

/* RFC 4511 section 4.2 onwards: APPLICATION tag numbers */
static const char *const ldap_op_names[LDAP_OP_COUNT] = {
    "bind_request", "bind_response", "unbind_request", "search_request", "search_result_entry",
    "search_result_done", "modify_request", "modify_response", "add_request", "add_response",
    "del_request", "del_response", "modify_dn_request", "modify_dn_response", "compare_request",
    "compare_response", "abandon_request", NULL, NULL, "search_result_reference", NULL, NULL, NULL,
    "extended_request", "extended_response", "intermediate_response",
};

typedef enum { LDAP_TLS_NONE, LDAP_TLS_REQUESTED, LDAP_TLS_GRANTED, LDAP_TLS_REFUSED } LdapTls;

static const char *const ldap_tls_names[] = { NULL, "requested", "granted", "refused" };

typedef struct {
    guint64 ops[LDAP_OP_COUNT];
    guint64 messages[2];
    guint32 starttls_id;
    LdapTls tls;
    StarttlsCommon common;
} LdapState;

/* A BER length (short form, or long form of 1..4 octets); FALSE if invalid. */
static gboolean
ldap_ber_length(PtlCursor *c, guint32 *len)
{
    guint8 first = ptl_cursor_u8(c);
    if (first < 0x80) {
        *len = first;
        return TRUE;
    }
    guint n = first & 0x7f;
    if (n == 0 || n > 4)
        return FALSE;
    guint32 v = 0;
    for (guint i = 0; i < n; i++)
        v = v << 8 | ptl_cursor_u8(c);
    *len = v;
    return TRUE;
}

typedef enum { LDAP_HEAD_OK, LDAP_HEAD_SHORT, LDAP_HEAD_BAD } LdapHead;

/* The message header: SEQUENCE, its length, messageID, the op's tag. */
static LdapHead
ldap_head(PtlCursor *c, guint32 *len, guint32 *id, guint8 *op_tag, gsize *body_start)
{
    if (ptl_cursor_u8(c) != LDAP_TAG_SEQUENCE)
        return ptl_cursor_ok(c) ? LDAP_HEAD_BAD : LDAP_HEAD_SHORT;
    gboolean is_valid = ldap_ber_length(c, len);
    if (!ptl_cursor_ok(c))
        return LDAP_HEAD_SHORT;
    if (!is_valid || *len < 5)
        return LDAP_HEAD_BAD;
    *body_start = c->pos;
    guint8 tag = ptl_cursor_u8(c);
    guint8 id_len = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return LDAP_HEAD_SHORT;
    if (tag != LDAP_TAG_INTEGER || id_len == 0 || id_len > 4)
        return LDAP_HEAD_BAD;
    *id = 0;
    for (guint i = 0; i < id_len; i++)
        *id = *id << 8 | ptl_cursor_u8(c);
    *op_tag = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return LDAP_HEAD_SHORT;
    if ((*op_tag & 0xc0) != 0x40 || (*op_tag & LDAP_APP_MASK) >= LDAP_OP_COUNT ||
        ldap_op_names[*op_tag & LDAP_APP_MASK] == NULL || *len < c->pos - *body_start)
        return LDAP_HEAD_BAD;
    return LDAP_HEAD_OK;
}

static PtlProbe
ldap_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    guint32 mlen = 0, id = 0;
    guint8 op = 0;
    gsize start = 0;
    switch (ldap_head(&c, &mlen, &id, &op, &start)) {
    case LDAP_HEAD_SHORT:
        return PTL_PROBE_MAYBE;
    case LDAP_HEAD_BAD:
        return PTL_PROBE_NO;
    case LDAP_HEAD_OK:
        break;
    }
    if (mlen > LDAP_MAX_MESSAGE)
        return PTL_PROBE_NO;
    /* requests have even tag numbers up to 16 (and 23), responses the others */
    guint n = op & LDAP_APP_MASK;
    gboolean is_request = n == 0 || n == 2 || n == 3 || n == 6 || n == 8 || n == 10 || n == 12 ||
                          n == 14 || n == 16 || n == LDAP_OP_EXT_REQ;
    return is_request == (dir == PTL_DIR_TO_SERVER) ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static gpointer
ldap_state_new(void)
{
    return g_new0(LdapState, 1);
}

/* Inside an ExtendedRequest: is its requestName the StartTLS OID? */
static gboolean
ldap_is_starttls_request(PtlCursor op)
{
    guint32 len = 0;
    if (!ldap_ber_length(&op, &len) || ptl_cursor_u8(&op) != LDAP_TAG_EXT_NAME)
        return FALSE;
    guint32 name_len = 0;
    if (!ldap_ber_length(&op, &name_len) || name_len != sizeof ldap_starttls_oid - 1)
        return FALSE;
    const guint8 *name = ptl_cursor_take(&op, name_len);
    return name != NULL && memcmp(name, ldap_starttls_oid, name_len) == 0;
}

/* Inside an ExtendedResponse: its resultCode, or -1 when unreadable. */
static gint
ldap_result_code(PtlCursor op)
{
    guint32 len = 0;
    if (!ldap_ber_length(&op, &len) || ptl_cursor_u8(&op) != LDAP_TAG_ENUM)
        return -1;
    guint8 code_len = ptl_cursor_u8(&op);
    if (code_len == 0 || code_len > 4)
        return -1;
    guint32 code = 0;
    for (guint i = 0; i < code_len; i++)
        code = code << 8 | ptl_cursor_u8(&op);
    return ptl_cursor_ok(&op) ? (gint) MIN(code, (guint32) G_MAXINT) : -1;
}

static gssize
ldap_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
          gsize len, GError **error)
{
    LdapState *s = state;
    if (s->tls == LDAP_TLS_GRANTED)
        return starttls_after_upgrade(&s->common, dir, len);
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        gsize before = c.pos;
        /* the client went on in TLS after its StartTLS request: the response was
         * not captured, the client's TLS record is the switch point */
        if (starttls_client_went_tls(dir, s->tls == LDAP_TLS_REQUESTED, &c)) {
            s->tls = LDAP_TLS_GRANTED;
            ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "LDAP StartTLS");
            return (gssize) c.pos;
        }
        guint32 mlen = 0, id = 0;
        guint8 op = 0;
        gsize start = 0;
        LdapHead head = ldap_head(&c, &mlen, &id, &op, &start);
        if (head == LDAP_HEAD_SHORT) {
            c.pos = before;
            break;
        }
        if (head == LDAP_HEAD_BAD || mlen > LDAP_MAX_MESSAGE) {
            g_set_error(error, PTL_DISSECT_ERROR, head == LDAP_HEAD_BAD
                            ? PTL_DISSECT_ERROR_MALFORMED : PTL_DISSECT_ERROR_LIMIT,
                        "ldap: %s at offset %zu",
                        head == LDAP_HEAD_BAD ? "not an LDAPMessage" : "message over 16 MiB",
                        before);
            return -1;
        }
        if (ptl_cursor_remaining(&c) < mlen - (c.pos - start)) {
            c.pos = before;
            break;                             /* wait for the whole message */
        }
        PtlCursor rest = ptl_cursor_sub(&c, mlen - (c.pos - start));
        guint n = op & LDAP_APP_MASK;
        s->ops[n]++;
        s->messages[dir]++;
        if (s->messages[0] + s->messages[1] == 1)
            ptl_fact(ctx, PTL_FACT_CONFIRMED, NULL);
        if (n == LDAP_OP_EXT_REQ && dir == PTL_DIR_TO_SERVER && ldap_is_starttls_request(rest)) {
            s->tls = LDAP_TLS_REQUESTED;
            s->starttls_id = id;
        } else if (n == LDAP_OP_EXT_RESP && dir == PTL_DIR_TO_CLIENT &&
                   s->tls == LDAP_TLS_REQUESTED && id == s->starttls_id) {
            if (ldap_result_code(rest) == 0) {
                s->tls = LDAP_TLS_GRANTED;
                ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "LDAP StartTLS");
                return (gssize) c.pos;         /* the switch point */
            }
            s->tls = LDAP_TLS_REFUSED;
        }
    }
    return (gssize) c.pos;
}

static gboolean
ldap_gap(gpointer state, PtlDirection dir, gsize missing)
{
    (void) dir;
    (void) missing;
    return ((LdapState *) state)->tls == LDAP_TLS_GRANTED;
}

static void
ldap_emit(gpointer state, JsonBuilder *b)
{
    LdapState *s = state;
    ptl_emit_int(b, "messages_to_server", (gint64) s->messages[PTL_DIR_TO_SERVER]);
    ptl_emit_int(b, "messages_to_client", (gint64) s->messages[PTL_DIR_TO_CLIENT]);
    ptl_emit_counts(b, "operations", ldap_op_names, s->ops, LDAP_OP_COUNT);
    if (s->tls != LDAP_TLS_NONE)
        ptl_emit_string(b, "starttls", ldap_tls_names[s->tls], -1);
    starttls_emit_after(&s->common, b);
}

static const guint16 ldap_ports[] = { 389, 3268, 0 };

static const PtlDissector ldap_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "ldap",
    .default_ports = ldap_ports,
    .probe = ldap_probe,
    .state_new = ldap_state_new,
    .state_free = g_free,
    .feed = ldap_feed,
    .gap = ldap_gap,
    .emit = ldap_emit,
    .version = "1.0.0",
    .description = "LDAP operations and the StartTLS extended operation",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(ldap_dissector)
