/* ptl-decap-framing.c: link framings around IP: PPP (RFC 1661), PPPoE
 * sessions (RFC 2516), Cisco HDLC, and 802.1ah provider backbone bridging. */
#include "ptl-decap.h"

#define FRAMING_PPP_ADDRESS   0xffu
#define FRAMING_PPP_CONTROL   0x03u
#define FRAMING_PPP_IPV4      0x0021u
#define FRAMING_PPP_IPV6      0x0057u
#define FRAMING_PPP_MPLS      0x0281u
#define FRAMING_PPPOE_VERTYPE 0x11u
#define FRAMING_PPPOE_SESSION 0x00u
#define FRAMING_PBB_ISID      0x00ffffffu

PtlDecapResult
ptl_decap_ppp(PtlCursor *c, PtlDecap *out)
{
    const guint8 *head = ptl_cursor_peek(c, 2);
    if (head == NULL)
        return PTL_DECAP_TRUNCATED;            /* not even a protocol and a byte of data */
    if (head[0] == FRAMING_PPP_ADDRESS && head[1] == FRAMING_PPP_CONTROL)
        ptl_cursor_skip(c, 2);
    guint16 protocol = ptl_cursor_u8(c);
    if (!(protocol & 1u))                      /* not compressed to one byte (RFC 1661 6.5) */
        protocol = (guint16) (protocol << 8 | ptl_cursor_u8(c));
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    out->has_id = FALSE;
    if (protocol == FRAMING_PPP_IPV4)
        out->inner = PTL_DECAP_IPV4;
    else if (protocol == FRAMING_PPP_IPV6)
        out->inner = PTL_DECAP_IPV6;
    else if (protocol == FRAMING_PPP_MPLS)
        out->inner = PTL_DECAP_MPLS;
    else
        out->inner = PTL_DECAP_NOT_DATA;       /* LCP, IPCP, CHAP ... */
    return PTL_DECAP_OK;
}

PtlDecapResult
ptl_decap_pppoe(PtlCursor *c, PtlDecap *out)
{
    guint8 ver_type = ptl_cursor_u8(c);
    guint8 code = ptl_cursor_u8(c);
    guint16 session = ptl_cursor_be16(c);
    guint16 length = ptl_cursor_be16(c);
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    if (ver_type != FRAMING_PPPOE_VERTYPE || code != FRAMING_PPPOE_SESSION)
        return PTL_DECAP_MALFORMED;
    /* the PPP frame is length bytes; Ethernet padding after it is not */
    *c = ptl_cursor_sub(c, MIN((gsize) length, ptl_cursor_remaining(c)));
    PtlDecapResult result = ptl_decap_ppp(c, out);
    out->has_id = TRUE;
    out->id = session;
    return result;
}

PtlDecapResult
ptl_decap_chdlc(PtlCursor *c, PtlDecap *out)
{
    ptl_cursor_skip(c, 2);                     /* address (unicast 0x0f, broadcast 0x8f), control */
    guint16 protocol = ptl_cursor_be16(c);
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    out->has_id = FALSE;
    if (protocol == 0x6558 || !ptl_decap_from_ethertype(protocol, &out->inner))
        out->inner = PTL_DECAP_NOT_DATA;       /* SLARP, CDP ... */
    return PTL_DECAP_OK;
}

PtlDecapResult
ptl_decap_pbb(PtlCursor *c, PtlDecap *out)
{
    guint32 itag = ptl_cursor_be32(c);         /* priority, DEI, UCA, reserved, I-SID */
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    out->inner = PTL_DECAP_ETHERNET;           /* the customer's addresses and ethertype */
    out->has_id = TRUE;
    out->id = itag & FRAMING_PBB_ISID;
    return PTL_DECAP_OK;
}
