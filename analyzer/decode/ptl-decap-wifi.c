/* ptl-decap-wifi.c: 802.11 data frames (IEEE 802.11-2020 9.2, 9.3.2) with their
 * LLC/SNAP header (RFC 1042), behind an optional radiotap header.  Management,
 * control and protected (encrypted) frames carry nothing readable. */
#include "ptl-decap.h"

#define WIFI_RADIOTAP_VERSION 0u
#define WIFI_TYPE_MASK        0x000cu
#define WIFI_TYPE_DATA        0x0008u
#define WIFI_SUBTYPE_QOS      0x0080u
#define WIFI_SUBTYPE_NULL     0x0040u   /* null data: no body */
#define WIFI_FLAG_TO_DS       0x0100u
#define WIFI_FLAG_FROM_DS     0x0200u
#define WIFI_FLAG_PROTECTED   0x4000u
#define WIFI_FLAG_ORDER       0x8000u   /* with QoS: an HT control field follows */
#define WIFI_HEADER           24u       /* control, duration, three addresses, sequence */

PtlDecapResult
ptl_decap_radiotap(PtlCursor *c)
{
    guint8 version = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 1);                     /* pad */
    guint16 length = ptl_cursor_le16(c);       /* the whole radiotap header */
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    if (version != WIFI_RADIOTAP_VERSION || length < 8)
        return PTL_DECAP_MALFORMED;
    return ptl_cursor_skip(c, length - 4u) ? PTL_DECAP_OK : PTL_DECAP_TRUNCATED;
}

PtlDecapResult
ptl_decap_wifi(PtlCursor *c, PtlDecap *out)
{
    guint16 control = ptl_cursor_le16(c);
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    out->has_id = FALSE;
    out->inner = PTL_DECAP_NOT_DATA;
    gboolean is_qos = (control & WIFI_SUBTYPE_QOS) != 0;
    if ((control & WIFI_TYPE_MASK) != WIFI_TYPE_DATA || (control & WIFI_SUBTYPE_NULL)
        || (control & WIFI_FLAG_PROTECTED))
        return PTL_DECAP_OK;
    gsize header = WIFI_HEADER - 2u;
    if ((control & WIFI_FLAG_TO_DS) && (control & WIFI_FLAG_FROM_DS))
        header += 6;                           /* a fourth address: mesh, WDS */
    if (is_qos)
        header += 2;
    if (is_qos && (control & WIFI_FLAG_ORDER))
        header += 4;
    ptl_cursor_skip(c, header);
    const guint8 *snap = ptl_cursor_take(c, 6);  /* AA AA 03, OUI 00 00 00 */
    guint16 type = ptl_cursor_be16(c);
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    if (snap[0] != 0xaa || snap[1] != 0xaa || snap[2] != 0x03)
        return PTL_DECAP_OK;                   /* not SNAP: nothing we follow */
    if (!ptl_decap_from_ethertype(type, &out->inner) || out->inner == PTL_DECAP_ETHERNET)
        out->inner = PTL_DECAP_NOT_DATA;
    return PTL_DECAP_OK;
}
