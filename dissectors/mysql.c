/* mysql.c: the MySQL/MariaDB client/server protocol as far as its TLS switch
 * (MySQL internals: Connection Phase, Protocol::SSLRequest).
 *
 * Packets are a 3-byte little-endian length, a sequence id and the payload.
 * The server speaks first: HandshakeV10 (protocol 10, a NUL-terminated server
 * version, capability flags with CLIENT_SSL).  A client wanting TLS answers
 * with the 32-byte SSLRequest (sequence 1, CLIENT_SSL set) and starts its TLS
 * handshake straight after: that packet's end is the switch point.  Other
 * packets are counted and skipped. */
#include <string.h>

#include "starttls-common.h"

#define MYSQL_HEADER_SIZE       4
#define MYSQL_MAX_PAYLOAD       0xffffffu     /* longer payloads continue in the next packet */
#define MYSQL_PROTOCOL_10       10
#define MYSQL_CLIENT_SSL        0x0800u
#define MYSQL_CLIENT_PROTOCOL_41 0x0200u
#define MYSQL_SSL_REQUEST_SIZE  32
#define MYSQL_MAX_VERSION       64

typedef enum { MYSQL_SSL_NONE, MYSQL_SSL_SENT, MYSQL_SSL_NOT_SENT } MysqlSsl;

static const char *const mysql_ssl_names[] = { NULL, "sent", "not-sent" };

typedef struct {
    gboolean has_greeting;
    gboolean server_has_ssl;
    char     server_version[MYSQL_MAX_VERSION + 1];
    MysqlSsl ssl;
    guint64  packets[2];
    StarttlsCommon common;
} MysqlState;

/* The 3-byte little-endian payload length (read in order: operand order is unspecified). */
static guint32
mysql_length(PtlCursor *c)
{
    guint32 low = ptl_cursor_le16(c);
    guint32 high = ptl_cursor_u8(c);
    return low | high << 16;
}

/* A HandshakeV10's first fields: protocol 10, then a printable version and its NUL. */
static PtlProbe
mysql_probe_greeting(PtlCursor *c, guint32 len)
{
    if (ptl_cursor_u8(c) != MYSQL_PROTOCOL_10)
        return ptl_cursor_ok(c) ? PTL_PROBE_NO : PTL_PROBE_MAYBE;
    for (guint i = 0; i <= MYSQL_MAX_VERSION && i + 1 < len; i++) {
        guint8 ch = ptl_cursor_u8(c);
        if (!ptl_cursor_ok(c))
            return PTL_PROBE_MAYBE;
        if (ch == 0)
            return i > 0 ? PTL_PROBE_YES : PTL_PROBE_NO;
        if (ch < 0x20 || ch > 0x7e)
            return PTL_PROBE_NO;
    }
    return PTL_PROBE_NO;
}

static PtlProbe
mysql_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    guint32 plen = mysql_length(&c);
    guint8 seq = ptl_cursor_u8(&c);
    if (!ptl_cursor_ok(&c))
        return len >= 3 && plen == 0 ? PTL_PROBE_NO : PTL_PROBE_MAYBE;
    if (dir == PTL_DIR_TO_CLIENT)
        return seq == 0 && plen >= 40 && plen <= 1024 ? mysql_probe_greeting(&c, plen) : PTL_PROBE_NO;
    /* the client: an SSLRequest, or a HandshakeResponse41 (sequence 1) */
    guint32 caps = ptl_cursor_le32(&c);
    if (seq != 1 || plen < MYSQL_SSL_REQUEST_SIZE || plen > 4096)
        return PTL_PROBE_NO;
    if (!ptl_cursor_ok(&c))
        return PTL_PROBE_MAYBE;
    if (!(caps & MYSQL_CLIENT_PROTOCOL_41))
        return PTL_PROBE_NO;
    return plen == MYSQL_SSL_REQUEST_SIZE && (caps & MYSQL_CLIENT_SSL) ? PTL_PROBE_YES
                                                                       : PTL_PROBE_MAYBE;
}

static gpointer
mysql_state_new(void)
{
    return g_new0(MysqlState, 1);
}

static void
mysql_greeting(MysqlState *s, PtlCursor p)
{
    (void) ptl_cursor_u8(&p);                      /* protocol 10 */
    gssize nul = ptl_cursor_find(&p, 0);
    if (nul < 0 || nul > MYSQL_MAX_VERSION)
        return;
    const guint8 *version = ptl_cursor_take(&p, (gsize) nul + 1);
    if (version != NULL)
        memcpy(s->server_version, version, (gsize) nul);
    ptl_cursor_skip(&p, 4 + 8 + 1);                /* connection id, auth data 1, filler */
    guint16 caps = ptl_cursor_le16(&p);
    if (ptl_cursor_ok(&p))
        s->server_has_ssl = (caps & MYSQL_CLIENT_SSL) != 0;
}

static gssize
mysql_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
           gsize len, GError **error)
{
    MysqlState *s = state;
    if (s->ssl == MYSQL_SSL_SENT)
        return starttls_after_upgrade(&s->common, dir, len);
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        if (s->common.body_left[dir] > 0) {
            starttls_skip_body(&s->common, dir, &c);
            continue;
        }
        gsize before = c.pos;
        guint32 plen = mysql_length(&c);
        guint8 seq = ptl_cursor_u8(&c);
        if (!ptl_cursor_ok(&c)) {
            c.pos = before;
            break;
        }
        gboolean is_first = s->packets[dir] == 0;
        gboolean wants_whole = is_first && (dir == PTL_DIR_TO_CLIENT || seq == 1);
        if (wants_whole && plen > 4096) {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                        "mysql: handshake packet of %" G_GUINT32_FORMAT " bytes", plen);
            return -1;
        }
        if (wants_whole && ptl_cursor_remaining(&c) < plen) {
            c.pos = before;
            break;                                 /* read the handshake whole */
        }
        s->packets[dir]++;
        if (wants_whole && dir == PTL_DIR_TO_CLIENT) {
            PtlCursor p = ptl_cursor_sub(&c, plen);
            if (seq != 0 || ptl_cursor_u8(&p) != MYSQL_PROTOCOL_10) {
                g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_UNSUPPORTED,
                            "mysql: first server packet is no HandshakeV10");
                return -1;
            }
            s->has_greeting = TRUE;
            mysql_greeting(s, ptl_cursor_init(p.data, p.len));
            ptl_fact(ctx, PTL_FACT_CONFIRMED, NULL);
            continue;
        }
        if (wants_whole) {
            PtlCursor p = ptl_cursor_sub(&c, plen);
            guint32 caps = ptl_cursor_le32(&p);
            if (plen == MYSQL_SSL_REQUEST_SIZE && (caps & MYSQL_CLIENT_SSL)) {
                s->ssl = MYSQL_SSL_SENT;
                ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "MySQL SSLRequest");
                return (gssize) c.pos;             /* the switch point */
            }
            s->ssl = MYSQL_SSL_NOT_SENT;
            continue;
        }
        s->common.body_left[dir] = plen;
    }
    return (gssize) c.pos;
}

static gboolean
mysql_gap(gpointer state, PtlDirection dir, gsize missing)
{
    MysqlState *s = state;
    if (s->ssl == MYSQL_SSL_SENT)
        return TRUE;
    return starttls_gap_in_body(&s->common, dir, missing);
}

static void
mysql_emit(gpointer state, JsonBuilder *b)
{
    MysqlState *s = state;
    if (s->has_greeting) {
        ptl_emit_string(b, "server_version", s->server_version, -1);
        ptl_emit_bool(b, "server_offers_ssl", s->server_has_ssl);
    }
    if (s->ssl != MYSQL_SSL_NONE)
        ptl_emit_string(b, "ssl_request", mysql_ssl_names[s->ssl], -1);
    ptl_emit_int(b, "packets_to_server", (gint64) s->packets[PTL_DIR_TO_SERVER]);
    ptl_emit_int(b, "packets_to_client", (gint64) s->packets[PTL_DIR_TO_CLIENT]);
    starttls_emit_after(&s->common, b);
}

static const guint16 mysql_ports[] = { 3306, 0 };

static const PtlDissector mysql_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "mysql",
    .default_ports = mysql_ports,
    .probe = mysql_probe,
    .state_new = mysql_state_new,
    .state_free = g_free,
    .feed = mysql_feed,
    .gap = mysql_gap,
    .emit = mysql_emit,
    .version = "1.0.0",
    .description = "MySQL server greeting, SSLRequest and packet counts",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(mysql_dissector)
