/* rdp.c: RDP's X.224 connection negotiation ([MS-RDPBCGR] 2.2.1.1 and 2.2.1.2)
 * as far as the switch to TLS.
 *
 * TPKT (RFC 1006: version 3, a 16-bit length) carries an X.224 Connection
 * Request (0xE0) with an optional cookie or routing token and RDP_NEG_REQ, and
 * the Connection Confirm (0xD0) with RDP_NEG_RSP or RDP_NEG_FAILURE.  When the
 * server selects TLS, CredSSP (HYBRID) or RDSTLS, the Confirm's end is the
 * switch point.  A Request that carries ISO TSAP parameters instead (S7comm
 * on port 102 uses the same framing) is not RDP.  Later TPKTs are counted. */
#include <string.h>

#include "starttls-common.h"

#define RDP_TPKT_VERSION   3
#define RDP_TPKT_HEADER    4
#define RDP_X224_CR        0xe0
#define RDP_X224_CC        0xd0
#define RDP_X224_FIXED     7          /* LI, code, dst-ref, src-ref, class */
#define RDP_NEG_SIZE       8
#define RDP_NEG_REQ        0x01
#define RDP_NEG_RSP        0x02
#define RDP_NEG_FAILURE    0x03
#define RDP_PROTOCOL_SSL   0x1u
#define RDP_PROTOCOL_HYBRID 0x2u
#define RDP_PROTOCOL_RDSTLS 0x4u
#define RDP_PROTOCOL_HYBRID_EX 0x8u
#define RDP_PROTOCOL_TLS_ANY (RDP_PROTOCOL_SSL | RDP_PROTOCOL_HYBRID | RDP_PROTOCOL_RDSTLS | \
                              RDP_PROTOCOL_HYBRID_EX)

typedef enum { RDP_NEG_NONE, RDP_NEG_SELECTED, RDP_NEG_FAILED } RdpNeg;

typedef struct {
    gboolean has_request;
    gboolean has_confirm;
    gboolean has_cookie;
    guint32  requested;           /* RDP_NEG_REQ requestedProtocols */
    guint32  selected;            /* RDP_NEG_RSP selectedProtocol */
    guint32  failure_code;
    RdpNeg   neg;
    gboolean is_tls;
    guint64  tpkts[2];
    guint64  fastpath_bytes;      /* standard RDP security: fast-path PDUs, no TPKT */
    StarttlsCommon common;
} RdpState;

typedef enum { RDP_READ_OK, RDP_READ_SHORT, RDP_READ_BAD } RdpRead;

typedef struct {
    guint8  code;
    gboolean has_cookie;
    gboolean has_neg;
    guint8  neg_type;
    guint32 neg_value;
} RdpX224;

/* One TPKT holding an X.224 CR or CC of RDP's shape. */
static RdpRead
rdp_read_x224(PtlCursor *c, guint8 want, RdpX224 *x, gsize *tpkt_len)
{
    guint8 version = ptl_cursor_u8(c);
    (void) ptl_cursor_u8(c);
    guint16 len = ptl_cursor_be16(c);
    if (!ptl_cursor_ok(c))
        return version == RDP_TPKT_VERSION || c->len == 0 ? RDP_READ_SHORT : RDP_READ_BAD;
    if (version != RDP_TPKT_VERSION || len < RDP_TPKT_HEADER + RDP_X224_FIXED)
        return RDP_READ_BAD;
    *tpkt_len = len;
    guint8 li = ptl_cursor_u8(c);
    x->code = ptl_cursor_u8(c) & 0xf0;
    if (!ptl_cursor_ok(c))
        return RDP_READ_SHORT;
    if (x->code != want || li != len - RDP_TPKT_HEADER - 1)
        return RDP_READ_BAD;
    if (ptl_cursor_remaining(c) < (gsize) len - RDP_TPKT_HEADER - 2)
        return RDP_READ_SHORT;
    PtlCursor body = ptl_cursor_sub(c, (gsize) len - RDP_TPKT_HEADER - 2);
    ptl_cursor_skip(&body, RDP_X224_FIXED - 2);   /* dst-ref, src-ref, class */
    gsize rest = ptl_cursor_remaining(&body);
    const guint8 *tail = ptl_cursor_peek(&body, rest);
    if (rest > 0 && tail != NULL && rest >= 8 && memcmp(tail, "Cookie: ", 8) == 0) {
        gssize nl = ptl_cursor_find(&body, '\n');
        if (nl < 0)
            return RDP_READ_BAD;
        ptl_cursor_skip(&body, (gsize) nl + 1);
        x->has_cookie = TRUE;
        rest = ptl_cursor_remaining(&body);
    }
    if (rest == 0)
        return RDP_READ_OK;
    if (rest != RDP_NEG_SIZE)
        return RDP_READ_BAD;                      /* TSAP parameters: ISO, not RDP */
    x->neg_type = ptl_cursor_u8(&body);
    (void) ptl_cursor_u8(&body);                  /* flags */
    guint16 neg_len = ptl_cursor_le16(&body);
    x->neg_value = ptl_cursor_le32(&body);
    gboolean is_type_ok = want == RDP_X224_CR ? x->neg_type == RDP_NEG_REQ
                                              : x->neg_type == RDP_NEG_RSP ||
                                                    x->neg_type == RDP_NEG_FAILURE;
    if (neg_len != RDP_NEG_SIZE || !is_type_ok)
        return RDP_READ_BAD;
    x->has_neg = TRUE;
    return RDP_READ_OK;
}

static PtlProbe
rdp_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    RdpX224 x = { 0 };
    gsize tpkt_len = 0;
    switch (rdp_read_x224(&c, dir == PTL_DIR_TO_SERVER ? RDP_X224_CR : RDP_X224_CC, &x,
                          &tpkt_len)) {
    case RDP_READ_OK:
        return PTL_PROBE_YES;
    case RDP_READ_SHORT:
        return PTL_PROBE_MAYBE;
    default:
        return PTL_PROBE_NO;
    }
}

static gpointer
rdp_state_new(void)
{
    return g_new0(RdpState, 1);
}

static gssize
rdp_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
         gsize len, GError **error)
{
    RdpState *s = state;
    if (s->is_tls)
        return starttls_after_upgrade(&s->common, dir, len);
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        gsize before = c.pos;
        gboolean is_negotiation = dir == PTL_DIR_TO_SERVER ? !s->has_request : !s->has_confirm;
        if (!is_negotiation) {
            guint8 version = ptl_cursor_u8(&c);
            (void) ptl_cursor_u8(&c);
            guint16 tlen = ptl_cursor_be16(&c);
            if (!ptl_cursor_ok(&c)) {
                c.pos = before;
                break;
            }
            /* RDP fast-path PDUs after the negotiation have no TPKT: count them opaque */
            if (version != RDP_TPKT_VERSION || tlen < RDP_TPKT_HEADER) {
                c.pos = before;
                s->fastpath_bytes += ptl_cursor_remaining(&c);
                ptl_cursor_skip(&c, ptl_cursor_remaining(&c));
                break;
            }
            if (ptl_cursor_remaining(&c) < (gsize) tlen - RDP_TPKT_HEADER) {
                c.pos = before;
                break;
            }
            ptl_cursor_skip(&c, (gsize) tlen - RDP_TPKT_HEADER);
            s->tpkts[dir]++;
            continue;
        }
        RdpX224 x = { 0 };
        gsize tpkt_len = 0;
        RdpRead r = rdp_read_x224(&c, dir == PTL_DIR_TO_SERVER ? RDP_X224_CR : RDP_X224_CC, &x,
                                  &tpkt_len);
        if (r == RDP_READ_SHORT) {
            c.pos = before;
            break;
        }
        if (r == RDP_READ_BAD) {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "rdp: no X.224 Connection %s of RDP's shape",
                        dir == PTL_DIR_TO_SERVER ? "Request" : "Confirm");
            return -1;
        }
        s->tpkts[dir]++;
        if (dir == PTL_DIR_TO_SERVER) {
            s->has_request = TRUE;
            s->has_cookie = x.has_cookie;
            s->requested = x.has_neg ? x.neg_value : 0;
            continue;
        }
        s->has_confirm = TRUE;
        ptl_fact(ctx, PTL_FACT_CONFIRMED, NULL);
        if (x.has_neg && x.neg_type == RDP_NEG_FAILURE) {
            s->neg = RDP_NEG_FAILED;
            s->failure_code = x.neg_value;
            ptl_fact(ctx, PTL_FACT_REQUEST_FAILED, "RDP negotiation failure");
        } else if (x.has_neg) {
            s->neg = RDP_NEG_SELECTED;
            s->selected = x.neg_value;
            if (x.neg_value & RDP_PROTOCOL_TLS_ANY) {
                s->is_tls = TRUE;
                ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "RDP X.224 TLS");
                return (gssize) c.pos;         /* the switch point */
            }
        }
    }
    return (gssize) c.pos;
}

static gboolean
rdp_gap(gpointer state, PtlDirection dir, gsize missing)
{
    (void) dir;
    (void) missing;
    return ((RdpState *) state)->is_tls;
}

static const char *
rdp_protocol_name(guint32 p)
{
    switch (p) {
    case 0: return "rdp";
    case RDP_PROTOCOL_SSL: return "ssl";
    case RDP_PROTOCOL_HYBRID: return "hybrid";
    case RDP_PROTOCOL_RDSTLS: return "rdstls";
    case RDP_PROTOCOL_HYBRID_EX: return "hybrid_ex";
    default: return "other";
    }
}

static void
rdp_emit(gpointer state, JsonBuilder *b)
{
    RdpState *s = state;
    ptl_emit_bool(b, "connection_request", s->has_request);
    ptl_emit_bool(b, "connection_confirm", s->has_confirm);
    if (s->has_request) {
        ptl_emit_bool(b, "cookie", s->has_cookie);  /* its user name is never emitted */
        ptl_emit_int(b, "requested_protocols", s->requested);
    }
    if (s->neg == RDP_NEG_SELECTED)
        ptl_emit_string(b, "selected_protocol", rdp_protocol_name(s->selected), -1);
    else if (s->neg == RDP_NEG_FAILED)
        ptl_emit_int(b, "negotiation_failure", s->failure_code);
    else if (s->has_confirm)
        ptl_emit_string(b, "selected_protocol", "rdp", -1);
    ptl_emit_int(b, "tpkts_to_server", (gint64) s->tpkts[PTL_DIR_TO_SERVER]);
    ptl_emit_int(b, "tpkts_to_client", (gint64) s->tpkts[PTL_DIR_TO_CLIENT]);
    if (s->fastpath_bytes > 0)
        ptl_emit_int(b, "fastpath_bytes", (gint64) s->fastpath_bytes);
    starttls_emit_after(&s->common, b);
}

static const guint16 rdp_ports[] = { 3389, 0 };

static const PtlDissector rdp_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "rdp",
    .default_ports = rdp_ports,
    .probe = rdp_probe,
    .state_new = rdp_state_new,
    .state_free = g_free,
    .feed = rdp_feed,
    .gap = rdp_gap,
    .emit = rdp_emit,
    .version = "1.0.0",
    .description = "RDP X.224 negotiation and the switch to TLS",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(rdp_dissector)
