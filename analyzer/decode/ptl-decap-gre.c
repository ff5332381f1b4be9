/* ptl-decap-gre.c: GRE (RFC 2784 with the key and sequence of RFC 2890; the
 * enhanced version 1 of PPTP, RFC 2637) and the ERSPAN mirror headers carried
 * in it (types I, II and III, draft-foschiano-erspan). */
#include "ptl-decap.h"

#define GRE_FLAG_CHECKSUM  0x8000u
#define GRE_FLAG_ROUTING   0x4000u   /* RFC 1701 source routes: deprecated, not followed */
#define GRE_FLAG_KEY       0x2000u
#define GRE_FLAG_SEQUENCE  0x1000u
#define GRE_FLAG_ACK       0x0080u   /* version 1 only */
#define GRE_VERSION_MASK   0x0007u

#define GRE_PROTO_ERSPAN_2 0x88beu   /* type II; type I when no sequence number */
#define GRE_PROTO_ERSPAN_3 0x22ebu
#define GRE_PROTO_PPP      0x880bu

#define GRE_ERSPAN_SESSION 0x03ffu
#define GRE_ERSPAN3_PLATFORM 0x0001u /* O: an 8-byte platform sub-header follows */
#define GRE_ERSPAN3_FT_SHIFT 10
#define GRE_ERSPAN3_FT_MASK  0x1fu
#define GRE_ERSPAN3_FT_ETHERNET 0u
#define GRE_ERSPAN3_FT_IP       2u

static PtlDecapResult
gre_erspan2(PtlCursor *c, PtlDecap *out)
{
    guint16 ver_vlan = ptl_cursor_be16(c);
    guint16 session = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 4);                     /* reserved, index */
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    if (ver_vlan >> 12 != 1)
        return PTL_DECAP_MALFORMED;
    out->inner = PTL_DECAP_ETHERNET;
    out->has_id = TRUE;
    out->id = session & GRE_ERSPAN_SESSION;
    return PTL_DECAP_OK;
}

static PtlDecapResult
gre_erspan3(PtlCursor *c, PtlDecap *out)
{
    guint16 ver_vlan = ptl_cursor_be16(c);
    guint16 session = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 6);                     /* timestamp, security group tag */
    guint16 bits = ptl_cursor_be16(c);
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    if (ver_vlan >> 12 != 2)
        return PTL_DECAP_MALFORMED;
    if ((bits & GRE_ERSPAN3_PLATFORM) && !ptl_cursor_skip(c, 8))
        return PTL_DECAP_TRUNCATED;
    guint frame_type = (bits >> GRE_ERSPAN3_FT_SHIFT) & GRE_ERSPAN3_FT_MASK;
    out->has_id = TRUE;
    out->id = session & GRE_ERSPAN_SESSION;
    if (frame_type == GRE_ERSPAN3_FT_ETHERNET)
        out->inner = PTL_DECAP_ETHERNET;
    else if (frame_type == GRE_ERSPAN3_FT_IP)
        out->inner = PTL_DECAP_IP;
    else
        out->inner = PTL_DECAP_NOT_DATA;
    return PTL_DECAP_OK;
}

PtlDecapResult
ptl_decap_gre(PtlCursor *c, PtlDecap *out, PtlTunnelType *type)
{
    guint16 flags = ptl_cursor_be16(c);
    guint16 protocol = ptl_cursor_be16(c);
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    guint version = flags & GRE_VERSION_MASK;
    if (version > 1 || (flags & GRE_FLAG_ROUTING))
        return PTL_DECAP_MALFORMED;
    if (version == 1 && (protocol != GRE_PROTO_PPP || !(flags & GRE_FLAG_KEY)))
        return PTL_DECAP_MALFORMED;            /* enhanced GRE always carries PPP and a call id */
    if (flags & GRE_FLAG_CHECKSUM)
        ptl_cursor_skip(c, 4);                 /* checksum, reserved */
    out->has_id = (flags & GRE_FLAG_KEY) != 0;
    if (out->has_id && version == 1) {
        ptl_cursor_skip(c, 2);                 /* payload length */
        out->id = ptl_cursor_be16(c);          /* call id */
    } else if (out->has_id) {
        out->id = ptl_cursor_be32(c);
    }
    gboolean has_sequence = (flags & GRE_FLAG_SEQUENCE) != 0;
    if (has_sequence)
        ptl_cursor_skip(c, 4);
    if (version == 1 && (flags & GRE_FLAG_ACK))
        ptl_cursor_skip(c, 4);
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;

    *type = PTL_TUNNEL_GRE;
    if (protocol == GRE_PROTO_ERSPAN_2 && !has_sequence) {
        *type = PTL_TUNNEL_ERSPAN;             /* type I: the mirrored frame follows */
        out->inner = PTL_DECAP_ETHERNET;
        return PTL_DECAP_OK;
    }
    if (protocol == GRE_PROTO_ERSPAN_2 || protocol == GRE_PROTO_ERSPAN_3) {
        *type = PTL_TUNNEL_ERSPAN;
        return protocol == GRE_PROTO_ERSPAN_2 ? gre_erspan2(c, out) : gre_erspan3(c, out);
    }
    if (!ptl_decap_from_ethertype(protocol, &out->inner))
        out->inner = PTL_DECAP_NOT_DATA;       /* keep-alives, WCCP, NHRP ... */
    return PTL_DECAP_OK;
}
