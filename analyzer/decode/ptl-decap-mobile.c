/* ptl-decap-mobile.c: GTP-U, the user plane of mobile networks
 * (3GPP TS 29.281): a G-PDU carries one IP packet of a subscriber's bearer,
 * named by its tunnel endpoint id (TEID). */
#include "ptl-decap.h"

#define GTPU_VERSION       1u
#define GTPU_FLAG_PT       0x10u     /* GTP (1), not GTP' (0) */
#define GTPU_FLAGS_OPTIONAL 0x07u    /* E, S, PN: the 4 optional bytes are present */
#define GTPU_FLAG_EXTENSION 0x04u
#define GTPU_TYPE_GPDU     0xffu
#define GTPU_MAX_EXTENSIONS 8u

PtlDecapResult
ptl_decap_gtpu(PtlCursor *c, PtlDecap *out)
{
    guint8 flags = ptl_cursor_u8(c);
    guint8 type = ptl_cursor_u8(c);
    guint16 length = ptl_cursor_be16(c);       /* bytes after these first 8 */
    guint32 teid = ptl_cursor_be32(c);
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    if (flags >> 5 != GTPU_VERSION || !(flags & GTPU_FLAG_PT))
        return PTL_DECAP_MALFORMED;
    out->has_id = TRUE;
    out->id = teid;
    /* the message is at most length bytes: the rest of the datagram is not it */
    gsize message = MIN((gsize) length, ptl_cursor_remaining(c));
    PtlCursor body = ptl_cursor_sub(c, message);
    if (flags & GTPU_FLAGS_OPTIONAL) {
        ptl_cursor_skip(&body, 3);             /* sequence number, N-PDU number */
        guint8 next = ptl_cursor_u8(&body);
        guint n = 0;
        while ((flags & GTPU_FLAG_EXTENSION) && next != 0) {
            if (++n > GTPU_MAX_EXTENSIONS)
                return PTL_DECAP_MALFORMED;
            guint8 words = ptl_cursor_u8(&body); /* 4-byte units, next-type byte included */
            if (!ptl_cursor_ok(&body))
                break;
            if (words == 0)
                return PTL_DECAP_MALFORMED;
            ptl_cursor_skip(&body, (gsize) words * 4u - 2u);
            next = ptl_cursor_u8(&body);
        }
        if (!ptl_cursor_ok(&body))             /* past the claimed length, or cut */
            return message < length ? PTL_DECAP_TRUNCATED : PTL_DECAP_MALFORMED;
    }
    *c = body;                                 /* the caller goes on inside the message */
    out->inner = type == GTPU_TYPE_GPDU ? PTL_DECAP_IP : PTL_DECAP_NOT_DATA;
    return PTL_DECAP_OK;
}
