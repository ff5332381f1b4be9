/* ptl-addr.c: IPv4/IPv6 addresses as flow keys and text. */
#include "ptl-decode.h"

#include <arpa/inet.h>
#include <string.h>

static gsize
addr_len(const PtlAddr *addr)
{
    return addr->family == 6 ? 16 : 4;
}

const char *
ptl_addr_to_string(const PtlAddr *addr, char *buf)
{
    if (addr->family == 6) {
        if (inet_ntop(AF_INET6, addr->bytes, buf, PTL_ADDR_STRLEN) == NULL)
            g_strlcpy(buf, "?", PTL_ADDR_STRLEN);
    } else {
        g_snprintf(buf, PTL_ADDR_STRLEN, "%u.%u.%u.%u", addr->bytes[0], addr->bytes[1],
                   addr->bytes[2], addr->bytes[3]);
    }
    return buf;
}

gboolean
ptl_addr_equal(const PtlAddr *a, const PtlAddr *b)
{
    if (a->family != b->family)
        return FALSE;
    return memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

gboolean
ptl_addr_parse(const char *text, PtlAddr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = 4;
        return TRUE;
    }
    if (inet_pton(AF_INET6, text, out->bytes) == 1) {
        out->family = 6;
        return TRUE;
    }
    return FALSE;
}

guint
ptl_addr_hash(gconstpointer key)
{
    const PtlAddr *addr = key;
    guint h = addr->family;
    for (gsize i = 0; i < addr_len(addr); i++)
        h = h * 31 + addr->bytes[i];
    return h;
}

gboolean
ptl_addr_key_equal(gconstpointer a, gconstpointer b)
{
    return ptl_addr_equal(a, b);
}

int
ptl_addr_compare(const PtlAddr *a, const PtlAddr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, addr_len(a));
}
