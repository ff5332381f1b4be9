/* ptl-memcap.c: the global memory budget. */
#include "ptl-memcap.h"

#include <malloc.h>
#include <errno.h>
#include <string.h>

/* glibc keeps a size word before every chunk */
#define MEMCAP_CHUNK_HEADER sizeof(gsize)
/* ends at most this many flows for one request: a request bigger than what old
 * flows hold is refused instead of emptying the table */
#define MEMCAP_MAX_RECLAIM 64

void
ptl_memcap_init(PtlMemcap *m, guint64 cap)
{
    memset(m, 0, sizeof *m);
    m->cap = cap > 0 ? cap : PTL_MEMCAP_DEFAULT;
    m->limit = m->cap - m->cap / 4;
}

const char *
ptl_memcap_format_size(guint64 bytes, char buf[32])
{
    static const char units[] = { 'G', 'M', 'K' };
    for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
        guint shift = 30 - 10 * i;
        if (bytes > 0 && bytes % (G_GUINT64_CONSTANT(1) << shift) == 0) {
            g_snprintf(buf, 32, "%" G_GUINT64_FORMAT "%c", bytes >> shift, units[i]);
            return buf;
        }
    }
    g_snprintf(buf, 32, "%" G_GUINT64_FORMAT, bytes);
    return buf;
}

static gboolean
memcap_fits(const PtlMemcap *m, gsize more)
{
    return m->used <= m->limit && more <= m->limit - m->used;
}

gboolean
ptl_memcap_allows(PtlMemcap *m, gsize more)
{
    if (m == NULL)
        return TRUE;
    for (guint i = 0; !memcap_fits(m, more) && i < MEMCAP_MAX_RECLAIM; i++) {
        if (m->reclaim == NULL || m->is_reclaiming)
            break;
        m->is_reclaiming = TRUE;
        gboolean has_freed = m->reclaim(m->reclaim_data);
        m->is_reclaiming = FALSE;
        if (!has_freed)
            break;
    }
    return memcap_fits(m, more);
}

void
ptl_memcap_adjust(PtlMemcap *m, gsize before, gsize after)
{
    if (m == NULL)
        return;
    if (after >= before) {
        m->used += after - before;
        m->peak = MAX(m->peak, m->used);
    } else {
        m->used -= MIN((guint64) (before - after), m->used);
    }
}

void
ptl_memcap_account(PtlMemcap *m, gsize *charged, gsize now)
{
    ptl_memcap_adjust(m, *charged, now);
    *charged = now;
}

void
ptl_memcap_dropped(PtlMemcap *m, guint64 bytes)
{
    if (m != NULL && !g_uint64_checked_add(&m->dropped_bytes, m->dropped_bytes, bytes))
        m->dropped_bytes = G_MAXUINT64;
}

gsize
ptl_memcap_block_size(gconstpointer block)
{
    return block != NULL ? malloc_usable_size((gpointer) block) + MEMCAP_CHUNK_HEADER : 0;
}

gpointer
ptl_memcap_state_new(PtlMemcap *m, guint slot, gpointer (*state_new)(void), gsize *cost)
{
    *cost = 0;
    if (m == NULL)
        return state_new();
    if (slot < PTL_MEMCAP_STATE_SLOTS && m->state_cost[slot] != 0) {
        *cost = m->state_cost[slot] - 1;
        return state_new();
    }
    /* a state is the module's business (sub-arrays, tables): ask the heap */
    struct mallinfo2 before = mallinfo2();
    gpointer state = state_new();
    struct mallinfo2 after = mallinfo2();
    *cost = after.uordblks > before.uordblks ? after.uordblks - before.uordblks : 0;
    /* past the remembered slots each state is measured: slower, never uncharged */
    if (slot < PTL_MEMCAP_STATE_SLOTS)
        m->state_cost[slot] = *cost + 1;
    return state;
}

gboolean
ptl_memcap_parse_size(const char *text, guint64 *bytes)
{
    if (text == NULL || !g_ascii_isdigit(text[0]))
        return FALSE;
    char *end = NULL;
    errno = 0;
    guint64 value = g_ascii_strtoull(text, &end, 10);
    if (errno != 0)
        return FALSE;
    guint shift = 0;
    switch (g_ascii_toupper(*end)) {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    default: break;
    }
    if (shift > 0 && *end == 'i')
        end++;
    if (g_ascii_toupper(*end) == 'B')
        end++;
    if (*end != '\0' || value == 0 || value > (G_MAXUINT64 >> shift))
        return FALSE;
    *bytes = value << shift;
    return TRUE;
}
