/* ptl-decap-overlay.c: data-centre overlays on UDP: VXLAN (RFC 7348) and
 * Geneve (RFC 8926).  Both carry a 24-bit virtual network id. */
#include "ptl-decap.h"

#define OVERLAY_VXLAN_FLAG_VNI   0x08u   /* the I flag: the VNI is valid */
#define OVERLAY_GENEVE_VERSION   0u
#define OVERLAY_GENEVE_CONTROL   0x80u   /* O: an OAM/control message, no tenant data */

static const char *const decap_tunnel_names[PTL_TUNNEL_TYPE_COUNT] = {
    [PTL_TUNNEL_NONE] = "none",
    [PTL_TUNNEL_VXLAN] = "vxlan",
    [PTL_TUNNEL_GENEVE] = "geneve",
    [PTL_TUNNEL_GRE] = "gre",
    [PTL_TUNNEL_ERSPAN] = "erspan",
    [PTL_TUNNEL_IPIP] = "ip-in-ip",
    [PTL_TUNNEL_GTPU] = "gtp-u",
    [PTL_TUNNEL_TEREDO] = "teredo",
    [PTL_TUNNEL_AYIYA] = "ayiya",
    [PTL_TUNNEL_MPLS_UDP] = "mpls-udp",
};

const char *
ptl_tunnel_type_name(PtlTunnelType type)
{
    g_return_val_if_fail(type < PTL_TUNNEL_TYPE_COUNT, "unknown");
    return decap_tunnel_names[type];
}

gboolean
ptl_decap_from_ethertype(guint16 type, PtlDecapInner *inner)
{
    switch (type) {
    case 0x6558:                               /* transparent Ethernet bridging */
        *inner = PTL_DECAP_ETHERNET;
        return TRUE;
    case 0x0800:
        *inner = PTL_DECAP_IPV4;
        return TRUE;
    case 0x86dd:
        *inner = PTL_DECAP_IPV6;
        return TRUE;
    case 0x8847:
    case 0x8848:
        *inner = PTL_DECAP_MPLS;
        return TRUE;
    case 0x880b:
        *inner = PTL_DECAP_PPP;
        return TRUE;
    default:
        return FALSE;
    }
}

PtlDecapResult
ptl_decap_vxlan(PtlCursor *c, PtlDecap *out)
{
    guint8 flags = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 3);                     /* reserved */
    guint32 vni = ptl_cursor_be24(c);
    ptl_cursor_skip(c, 1);                     /* reserved */
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    if ((flags & OVERLAY_VXLAN_FLAG_VNI) == 0)
        return PTL_DECAP_MALFORMED;
    out->inner = PTL_DECAP_ETHERNET;
    out->has_id = TRUE;
    out->id = vni;
    return PTL_DECAP_OK;
}

PtlDecapResult
ptl_decap_geneve(PtlCursor *c, PtlDecap *out)
{
    guint8 ver_optlen = ptl_cursor_u8(c);
    guint8 flags = ptl_cursor_u8(c);
    guint16 protocol = ptl_cursor_be16(c);
    guint32 vni = ptl_cursor_be24(c);
    ptl_cursor_skip(c, 1);                     /* reserved */
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    if (ver_optlen >> 6 != OVERLAY_GENEVE_VERSION)
        return PTL_DECAP_MALFORMED;
    /* options: 6 bits of 4-byte words, at most 252 bytes: skipped whole */
    if (!ptl_cursor_skip(c, (gsize) (ver_optlen & 0x3fu) * 4u))
        return PTL_DECAP_TRUNCATED;
    out->has_id = TRUE;
    out->id = vni;
    if (flags & OVERLAY_GENEVE_CONTROL) {
        out->inner = PTL_DECAP_NOT_DATA;
        return PTL_DECAP_OK;
    }
    if (!ptl_decap_from_ethertype(protocol, &out->inner))
        out->inner = PTL_DECAP_NOT_DATA;
    return PTL_DECAP_OK;
}
