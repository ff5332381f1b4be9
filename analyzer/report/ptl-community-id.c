/* ptl-community-id.c: Community ID v1 (seed 0, SHA-1, base64), written from the spec's
 * pseudo code: sha1(seed . saddr . daddr . proto . 0 . sport . dport). */
#include "ptl-community-id.h"

#include <string.h>

#define COMMUNITY_ID_SEED     0u
#define COMMUNITY_ID_MAX_INPUT (2 + 16 + 16 + 2 + 4)

static int
community_id_addr_compare(const PtlAddr *a, const PtlAddr *b)
{
    return memcmp(a->bytes, b->bytes, a->family == 6 ? 16 : 4);
}

static gsize
community_id_put_addr(guint8 *buf, gsize at, const PtlAddr *addr)
{
    gsize n = addr->family == 6 ? 16 : 4;
    memcpy(buf + at, addr->bytes, n);
    return at + n;
}

static gsize
community_id_put_be16(guint8 *buf, gsize at, guint16 v)
{
    buf[at] = (guint8) (v >> 8);
    buf[at + 1] = (guint8) v;
    return at + 2;
}

const char *
ptl_community_id(const PtlAddr *src, const PtlAddr *dst, guint8 proto, gboolean has_ports,
                 guint16 src_port, guint16 dst_port, gboolean is_one_way,
                 char out[PTL_COMMUNITY_ID_STRLEN])
{
    g_return_val_if_fail(src->family == dst->family, NULL);
    /* the smaller address (then port) first, so both directions hash alike */
    int order = community_id_addr_compare(src, dst);
    if (!is_one_way && (order > 0 || (order == 0 && src_port > dst_port))) {
        const PtlAddr *addr = src;
        src = dst;
        dst = addr;
        guint16 port = src_port;
        src_port = dst_port;
        dst_port = port;
    }
    guint8 buf[COMMUNITY_ID_MAX_INPUT];
    gsize n = community_id_put_be16(buf, 0, COMMUNITY_ID_SEED);
    n = community_id_put_addr(buf, n, src);
    n = community_id_put_addr(buf, n, dst);
    buf[n++] = proto;
    buf[n++] = 0;                               /* padding to 32 bits */
    if (has_ports) {
        n = community_id_put_be16(buf, n, src_port);
        n = community_id_put_be16(buf, n, dst_port);
    }
    guint8 digest[20];
    gsize digest_len = sizeof digest;
    GChecksum *sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sha1, buf, n);
    g_checksum_get_digest(sha1, digest, &digest_len);
    g_checksum_free(sha1);
    g_autofree char *b64 = g_base64_encode(digest, digest_len);
    g_snprintf(out, PTL_COMMUNITY_ID_STRLEN, "1:%s", b64);
    return out;
}

/* type -> counterpart type, both directions listed; the spec takes these from Zeek */
typedef struct {
    guint8 type, counterpart;
} CommunityIdIcmpPair;

static const CommunityIdIcmpPair community_id_icmp4[] = {
    { 8, 0 }, { 0, 8 },        /* echo */
    { 13, 14 }, { 14, 13 },    /* timestamp */
    { 15, 16 }, { 16, 15 },    /* information */
    { 10, 9 }, { 9, 10 },      /* router solicitation / advertisement */
    { 17, 18 }, { 18, 17 },    /* address mask */
};

static const CommunityIdIcmpPair community_id_icmp6[] = {
    { 128, 129 }, { 129, 128 }, /* echo */
    { 133, 134 }, { 134, 133 }, /* router solicitation / advertisement */
    { 135, 136 }, { 136, 135 }, /* neighbor solicitation / advertisement */
    { 130, 131 }, { 131, 130 }, /* multicast listener query / report */
    { 144, 145 }, { 145, 144 }, /* home agent address discovery */
    { 146, 147 }, { 147, 146 }, /* mobile prefix */
    { 139, 140 }, { 140, 139 }, /* node information */
};

void
ptl_community_id_icmp_ports(guint8 proto, guint8 type, guint8 code, guint16 *src_port,
                            guint16 *dst_port, gboolean *is_one_way)
{
    const CommunityIdIcmpPair *pairs = proto == 58 ? community_id_icmp6 : community_id_icmp4;
    gsize n = proto == 58 ? G_N_ELEMENTS(community_id_icmp6) : G_N_ELEMENTS(community_id_icmp4);
    *src_port = type;
    for (gsize i = 0; i < n; i++) {
        if (pairs[i].type == type) {
            *dst_port = pairs[i].counterpart;
            *is_one_way = FALSE;
            return;
        }
    }
    *dst_port = code;
    *is_one_way = TRUE;
}

const char *
ptl_community_id_flow(const PtlAddr *client, guint16 client_port, const PtlAddr *server,
                      guint16 server_port, guint8 proto, char out[PTL_COMMUNITY_ID_STRLEN])
{
    return ptl_community_id(client, server, proto, TRUE, client_port, server_port, FALSE, out);
}
