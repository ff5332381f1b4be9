/* ptl-tunnel.c: interned tunnel contexts.  A packet mostly comes through the
 * tunnel the previous one did, so the last hit is tried before the hash. */
#include "ptl-tunnel.h"

#include <string.h>

struct _PtlTunnelTable {
    GHashTable *by_key;      /* PtlTunnel* -> itself */
    GPtrArray  *list;        /* owns the entries */
    PtlTunnel  *last;
};

/* endpoints in either order are one tunnel */
static void
tunnel_ends(const PtlTunnel *t, const PtlAddr **low, const PtlAddr **high)
{
    gboolean is_src_low = ptl_addr_compare(&t->outer_src, &t->outer_dst) <= 0;
    *low = is_src_low ? &t->outer_src : &t->outer_dst;
    *high = is_src_low ? &t->outer_dst : &t->outer_src;
}

static guint
tunnel_hash(gconstpointer p)
{
    const PtlTunnel *t = p;
    const PtlAddr *low, *high;
    tunnel_ends(t, &low, &high);
    guint h = ptl_addr_hash(low) * 33u + ptl_addr_hash(high);
    return ((h * 33u + t->parent_id) * 33u + t->type) * 33u + t->key;
}

static gboolean
tunnel_equal(gconstpointer pa, gconstpointer pb)
{
    const PtlTunnel *a = pa, *b = pb;
    if (a->parent_id != b->parent_id || a->type != b->type || a->has_key != b->has_key
        || a->key != b->key)
        return FALSE;
    const PtlAddr *a_low, *a_high, *b_low, *b_high;
    tunnel_ends(a, &a_low, &a_high);
    tunnel_ends(b, &b_low, &b_high);
    return ptl_addr_equal(a_low, b_low) && ptl_addr_equal(a_high, b_high);
}

PtlTunnelTable *
ptl_tunnel_table_new(void)
{
    PtlTunnelTable *table = g_new0(PtlTunnelTable, 1);
    table->by_key = g_hash_table_new(tunnel_hash, tunnel_equal);
    table->list = g_ptr_array_new_with_free_func(g_free);
    return table;
}

void
ptl_tunnel_table_free(PtlTunnelTable *table)
{
    if (table == NULL)
        return;
    g_hash_table_unref(table->by_key);
    g_ptr_array_unref(table->list);
    g_free(table);
}

PtlTunnel *
ptl_tunnel_table_intern(PtlTunnelTable *table, const PtlTunnel *parent, guint8 type,
                        gboolean has_key, guint32 key, const PtlAddr *src, const PtlAddr *dst)
{
    PtlTunnel probe;
    memset(&probe, 0, sizeof probe);
    probe.parent_id = parent != NULL ? parent->id : 0;
    probe.depth = parent != NULL ? parent->depth + 1u : 1u;
    probe.type = type;
    probe.has_key = has_key;
    probe.key = has_key ? key : 0;
    probe.outer_src = *src;
    probe.outer_dst = *dst;
    if (table->last != NULL && tunnel_equal(table->last, &probe))
        return table->last;
    PtlTunnel *found = g_hash_table_lookup(table->by_key, &probe);
    if (found == NULL) {
        if (table->list->len >= PTL_TUNNEL_MAX)
            return NULL;
        found = g_memdup2(&probe, sizeof probe);
        found->id = table->list->len + 1u;
        g_ptr_array_add(table->list, found);
        g_hash_table_add(table->by_key, found);
    }
    table->last = found;
    return found;
}

const GPtrArray *
ptl_tunnel_table_list(const PtlTunnelTable *table)
{
    return table->list;
}
