/* ptl-decap-ipv6-transition.c: IPv6 carried in UDP to cross IPv4 NATs:
 * Teredo (RFC 4380, port 3544) and AYIYA (draft-massar-v6ops-ayiya, port 5072). */
#include "ptl-decap.h"

#define TEREDO_AUTH_INDICATOR   0x0001u
#define TEREDO_ORIGIN_INDICATOR 0x0000u
#define TEREDO_MAX_INDICATORS   2u          /* authentication, then origin */

#define AYIYA_OPCODE_FORWARD    1u
#define AYIYA_NEXT_IPV4         4u
#define AYIYA_NEXT_IPV6         41u
#define AYIYA_MAX_ID_LOG2       8u          /* identities of up to 256 bytes */

PtlDecapResult
ptl_decap_teredo(PtlCursor *c, PtlDecap *out)
{
    for (guint i = 0; i < TEREDO_MAX_INDICATORS; i++) {
        const guint8 *first = ptl_cursor_peek(c, 1);
        if (first == NULL)
            return PTL_DECAP_TRUNCATED;
        if (first[0] >> 4 == 6)
            break;
        guint16 indicator = ptl_cursor_be16(c);
        if (indicator == TEREDO_AUTH_INDICATOR) {
            guint8 id_len = ptl_cursor_u8(c);
            guint8 auth_len = ptl_cursor_u8(c);
            /* client id, authentication value, nonce (8), confirmation (1) */
            ptl_cursor_skip(c, (gsize) id_len + auth_len + 9u);
        } else if (indicator == TEREDO_ORIGIN_INDICATOR) {
            ptl_cursor_skip(c, 6);             /* obfuscated origin port and address */
        } else {
            return PTL_DECAP_MALFORMED;
        }
        if (!ptl_cursor_ok(c))
            return PTL_DECAP_TRUNCATED;
    }
    const guint8 *first = ptl_cursor_peek(c, 1);
    if (first == NULL)
        return PTL_DECAP_TRUNCATED;
    if (first[0] >> 4 != 6)
        return PTL_DECAP_MALFORMED;
    out->inner = PTL_DECAP_IPV6;
    out->has_id = FALSE;
    return PTL_DECAP_OK;
}

PtlDecapResult
ptl_decap_ayiya(PtlCursor *c, PtlDecap *out)
{
    guint8 id = ptl_cursor_u8(c);              /* id length (log2), id type */
    guint8 sig = ptl_cursor_u8(c);             /* signature length (4-byte words), hash */
    guint8 auth_op = ptl_cursor_u8(c);         /* authentication method, opcode */
    guint8 next = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 4);                     /* epoch time */
    if (!ptl_cursor_ok(c))
        return PTL_DECAP_TRUNCATED;
    guint id_log2 = id >> 4;
    if (id_log2 > AYIYA_MAX_ID_LOG2)
        return PTL_DECAP_MALFORMED;
    gsize id_len = (gsize) 1u << id_log2;
    if (!ptl_cursor_skip(c, id_len + (gsize) (sig >> 4) * 4u))
        return PTL_DECAP_TRUNCATED;
    out->has_id = FALSE;
    if ((auth_op & 0x0fu) != AYIYA_OPCODE_FORWARD)
        out->inner = PTL_DECAP_NOT_DATA;       /* echo, motd, query */
    else if (next == AYIYA_NEXT_IPV6)
        out->inner = PTL_DECAP_IPV6;
    else if (next == AYIYA_NEXT_IPV4)
        out->inner = PTL_DECAP_IPV4;
    else
        out->inner = PTL_DECAP_NOT_DATA;
    return PTL_DECAP_OK;
}
