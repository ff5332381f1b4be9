/* xmpp.c: XMPP streams (RFC 6120) as far as STARTTLS (section 5).
 *
 * The stream opens with <stream:stream ...> in the jabber:client or
 * jabber:server namespace.  The client's <starttls/> answered by the server's
 * <proceed/> (urn:ietf:params:xml:ns:xmpp-tls) is the switch point to TLS;
 * <failure/> refuses it.  No XML parser: the stream is cut at each '>' and
 * each piece is matched against the few element names that matter. */
#include <string.h>

#include "starttls-common.h"

#define XMPP_MAX_PIECE 8192       /* bytes up to a '>' */

typedef enum { XMPP_TLS_NONE, XMPP_TLS_REQUESTED, XMPP_TLS_GRANTED, XMPP_TLS_REFUSED } XmppTls;

static const char *const xmpp_tls_names[] = { NULL, "requested", "granted", "refused" };

typedef struct {
    gboolean is_stream_open[2];
    gboolean is_server_to_server;
    gboolean is_tls_offered;
    XmppTls  tls;
    guint64  elements[2];
    StarttlsCommon common;
} XmppState;

static gboolean
xmpp_has(const guint8 *piece, gsize len, const char *needle)
{
    gsize n = strlen(needle);
    for (gsize i = 0; n <= len && i <= len - n; i++)
        if (memcmp(piece + i, needle, n) == 0)
            return TRUE;
    return FALSE;
}

/* Does a (possibly partial) stream start read as XMPP?  An XML declaration,
 * then the stream element with an XMPP namespace. */
static PtlProbe
xmpp_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    (void) dir;
    static const char decl[] = "<?xml";
    static const char stream[] = "<stream:stream";
    PtlCursor c = ptl_cursor_init(data, len);
    const guint8 *all = ptl_cursor_peek(&c, len);
    if (len == 0 || all == NULL)
        return PTL_PROBE_MAYBE;
    gsize n = MIN(len, sizeof decl - 1);
    gsize m = MIN(len, sizeof stream - 1);
    if (memcmp(all, decl, n) != 0 && memcmp(all, stream, m) != 0)
        return PTL_PROBE_NO;
    if (xmpp_has(all, len, stream) &&
        (xmpp_has(all, len, "jabber:client") || xmpp_has(all, len, "jabber:server") ||
         xmpp_has(all, len, "http://etherx.jabber.org/streams")))
        return PTL_PROBE_YES;
    /* the stream element's '>' came without an XMPP namespace */
    return xmpp_has(all, len, stream) && memchr(all, '>', len) != NULL &&
                   xmpp_has(all, len, "version=") ? PTL_PROBE_NO : PTL_PROBE_MAYBE;
}

static gpointer
xmpp_state_new(void)
{
    return g_new0(XmppState, 1);
}

/* TRUE when this piece granted the upgrade. */
static gboolean
xmpp_piece(XmppState *s, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *p, gsize n)
{
    if (xmpp_has(p, n, "<stream:stream")) {
        if (!s->is_stream_open[dir] && dir == PTL_DIR_TO_CLIENT)
            ptl_fact(ctx, PTL_FACT_CONFIRMED, NULL);
        s->is_stream_open[dir] = TRUE;
        s->is_server_to_server |= xmpp_has(p, n, "jabber:server");
        return FALSE;
    }
    if (xmpp_has(p, n, "<") && !xmpp_has(p, n, "</"))
        s->elements[dir]++;
    gboolean is_tls_ns = xmpp_has(p, n, "urn:ietf:params:xml:ns:xmpp-tls");
    if (!is_tls_ns)
        return FALSE;
    if (dir == PTL_DIR_TO_SERVER && xmpp_has(p, n, "<starttls")) {
        s->tls = XMPP_TLS_REQUESTED;
    } else if (dir == PTL_DIR_TO_CLIENT && xmpp_has(p, n, "<starttls")) {
        s->is_tls_offered = TRUE;
    } else if (dir == PTL_DIR_TO_CLIENT && s->tls == XMPP_TLS_REQUESTED) {
        if (xmpp_has(p, n, "<proceed")) {
            s->tls = XMPP_TLS_GRANTED;
            return TRUE;
        }
        if (xmpp_has(p, n, "<failure"))
            s->tls = XMPP_TLS_REFUSED;
    }
    return FALSE;
}

static gssize
xmpp_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
          gsize len, GError **error)
{
    XmppState *s = state;
    if (s->tls == XMPP_TLS_GRANTED)
        return starttls_after_upgrade(&s->common, dir, len);
    PtlCursor c = ptl_cursor_init(data, len);
    for (;;) {
        if (starttls_client_went_tls(dir, s->tls == XMPP_TLS_REQUESTED, &c)) {
            s->tls = XMPP_TLS_GRANTED;
            ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "XMPP STARTTLS");
            return (gssize) c.pos;
        }
        gssize gt = ptl_cursor_find(&c, '>');
        if (gt < 0) {
            if (ptl_cursor_remaining(&c) > XMPP_MAX_PIECE) {
                g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                            "xmpp: over %d bytes without a '>'", XMPP_MAX_PIECE);
                return -1;
            }
            return (gssize) c.pos;
        }
        const guint8 *piece = ptl_cursor_take(&c, (gsize) gt + 1);
        if (piece == NULL || memchr(piece, '\0', (gsize) gt + 1) != NULL) {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "xmpp: NUL byte in the XML stream");
            return -1;
        }
        if (xmpp_piece(s, ctx, dir, piece, (gsize) gt + 1)) {
            ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "XMPP STARTTLS");
            return (gssize) c.pos;             /* the switch point */
        }
    }
}

static gboolean
xmpp_gap(gpointer state, PtlDirection dir, gsize missing)
{
    (void) dir;
    (void) missing;
    (void) state;
    return TRUE;                               /* the next '>' ends whatever the hole cut */
}

static void
xmpp_emit(gpointer state, JsonBuilder *b)
{
    XmppState *s = state;
    ptl_emit_string(b, "stream", s->is_server_to_server ? "server" : "client", -1);
    ptl_emit_bool(b, "tls_offered", s->is_tls_offered);
    if (s->tls != XMPP_TLS_NONE)
        ptl_emit_string(b, "starttls", xmpp_tls_names[s->tls], -1);
    ptl_emit_int(b, "elements_to_server", (gint64) s->elements[PTL_DIR_TO_SERVER]);
    ptl_emit_int(b, "elements_to_client", (gint64) s->elements[PTL_DIR_TO_CLIENT]);
    starttls_emit_after(&s->common, b);
}

static const guint16 xmpp_ports[] = { 5222, 5269, 0 };

static const PtlDissector xmpp_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "xmpp",
    .default_ports = xmpp_ports,
    .probe = xmpp_probe,
    .state_new = xmpp_state_new,
    .state_free = g_free,
    .feed = xmpp_feed,
    .gap = xmpp_gap,
    .emit = xmpp_emit,
    .version = "1.0.0",
    .description = "XMPP stream header and STARTTLS",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(xmpp_dissector)
