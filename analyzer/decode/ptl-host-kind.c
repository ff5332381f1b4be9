/* ptl-host-kind.c: broadcast, multicast, network and unspecified addresses. */
#include "ptl-host-kind.h"

#include <string.h>

struct _PtlHostKinds {
    const PtlInventory *inv;
    GHashTable         *senders;    /* PtlAddr* set */
    GHashTable         *prefixes;   /* senders' IPv4 /8, /16, /24: prefix | bits */
};

static const char *const host_kind_names[PTL_HOST_KIND_COUNT] = {
    "host", "broadcast", "multicast", "network", "unspecified",
};

const char *
ptl_host_kind_name(PtlHostKind kind)
{
    g_return_val_if_fail((guint) kind < PTL_HOST_KIND_COUNT, "host");
    return host_kind_names[kind];
}

static guint32
host_kind_v4(const PtlAddr *addr)
{
    const guint8 *b = addr->bytes;
    return (guint32) b[0] << 24 | (guint32) b[1] << 16 | (guint32) b[2] << 8 | b[3];
}

PtlHostKind
ptl_host_kind_of_addr(const PtlAddr *addr)
{
    g_return_val_if_fail(addr != NULL, PTL_HOST_KIND_HOST);
    if (addr->family == 6) {
        static const guint8 zero[16];
        if (addr->bytes[0] == 0xff)
            return PTL_HOST_KIND_MULTICAST;
        return memcmp(addr->bytes, zero, 16) == 0 ? PTL_HOST_KIND_UNSPECIFIED
                                                  : PTL_HOST_KIND_HOST;
    }
    guint32 v4 = host_kind_v4(addr);
    if (v4 == 0xffffffffu)
        return PTL_HOST_KIND_BROADCAST;
    if ((v4 & 0xf0000000u) == 0xe0000000u)
        return PTL_HOST_KIND_MULTICAST;
    return v4 == 0 ? PTL_HOST_KIND_UNSPECIFIED : PTL_HOST_KIND_HOST;
}

/* a sender's /8, /16 and /24 as one key each: the prefix length in the low byte */
static gpointer
host_kind_prefix_key(guint32 v4, guint bits)
{
    return GUINT_TO_POINTER((v4 & (0xffffffffu << (32 - bits))) | bits);
}

PtlHostKinds *
ptl_host_kinds_new(const PtlInventory *inv)
{
    PtlHostKinds *kinds = g_new0(PtlHostKinds, 1);
    kinds->inv = inv;
    kinds->senders = g_hash_table_new_full(ptl_addr_hash, ptl_addr_key_equal, g_free, NULL);
    kinds->prefixes = g_hash_table_new(g_direct_hash, g_direct_equal);
    return kinds;
}

void
ptl_host_kinds_free(PtlHostKinds *kinds)
{
    if (kinds == NULL)
        return;
    g_hash_table_unref(kinds->senders);
    g_hash_table_unref(kinds->prefixes);
    g_free(kinds);
}

void
ptl_host_kinds_add_sender(PtlHostKinds *kinds, const PtlAddr *addr)
{
    g_return_if_fail(kinds != NULL && addr != NULL);
    if (g_hash_table_contains(kinds->senders, addr))
        return;
    g_hash_table_add(kinds->senders, g_memdup2(addr, sizeof *addr));
    if (addr->family != 4 || ptl_host_kind_of_addr(addr) != PTL_HOST_KIND_HOST)
        return;
    guint32 v4 = host_kind_v4(addr);
    for (guint bits = 8; bits <= 24; bits += 8)
        g_hash_table_add(kinds->prefixes, host_kind_prefix_key(v4, bits));
}

/* the all-ones or all-zeros address of a sender's /24, /16 or /8 (longest first) */
static PtlHostKind
host_kind_beside_sender(const PtlHostKinds *kinds, guint32 v4)
{
    for (guint bits = 24; bits >= 8; bits -= 8) {
        guint32 host_mask = 0xffffffffu >> bits;
        guint32 host = v4 & host_mask;
        if (host != host_mask && host != 0)
            continue;
        if (g_hash_table_contains(kinds->prefixes, host_kind_prefix_key(v4, bits)))
            return host == 0 ? PTL_HOST_KIND_NETWORK : PTL_HOST_KIND_BROADCAST;
    }
    return PTL_HOST_KIND_HOST;
}

PtlHostKind
ptl_host_kinds_classify(const PtlHostKinds *kinds, const PtlAddr *addr)
{
    g_return_val_if_fail(kinds != NULL && addr != NULL, PTL_HOST_KIND_HOST);
    PtlHostKind kind = ptl_host_kind_of_addr(addr);
    if (kind != PTL_HOST_KIND_HOST || addr->family != 4)
        return kind;
    gboolean is_broadcast = FALSE;
    if (kinds->inv != NULL && ptl_inventory_subnet_edge(kinds->inv, addr, &is_broadcast))
        return is_broadcast ? PTL_HOST_KIND_BROADCAST : PTL_HOST_KIND_NETWORK;
    /* a machine at x.y.z.255 that answered anything is a machine */
    if (g_hash_table_contains(kinds->senders, addr))
        return PTL_HOST_KIND_HOST;
    return host_kind_beside_sender(kinds, host_kind_v4(addr));
}
