/* ptl-frag.c: IPv4/IPv6 fragment reassembly under memory, count and time caps. */
#include "ptl-frag.h"

#include <string.h>

typedef struct {
    guint32 start, end;   /* [start, end) of the fragmentable part */
    guint8 *data;
} FragPiece;

typedef struct {
    guint32 start, end;
} FragRange;

typedef struct {
    PtlFragKey key;
    gint64     first_ts_ns;
    GList      age_link;    /* node in PtlFrag.by_age, oldest first */
    GArray    *pieces;      /* FragPiece by start, never overlapping: holes are the gaps */
    guint32    covered;     /* bytes held */
    guint32    total_len;   /* known once has_last */
    gboolean   has_last;
    guint32    n_packets;   /* fragment packets held in it */
    gsize      charged;     /* against max_bytes */
} FragDatagram;

struct _PtlFrag {
    gsize        max_bytes;
    guint        max_datagrams;
    gint64       timeout_ns;
    GHashTable  *datagrams;  /* &FragDatagram.key -> FragDatagram */
    GQueue       by_age;
    gsize        held_bytes;
    guint64      dropped;    /* fragment packets, not yet taken */
    PtlFragStats stats;
    guint8      *out;        /* PTL_FRAG_MAX_DATAGRAM bytes, from the first completion on */
};

/* Bookkeeping charged with the bytes, so a flood of 8-byte fragments pays for
 * what it really costs. */
#define FRAG_PIECE_OVERHEAD    ((gsize) sizeof(FragPiece) + 32)
#define FRAG_DATAGRAM_OVERHEAD ((gsize) sizeof(FragDatagram) + 64)

typedef enum {
    FRAG_OVERLAP_NONE,
    FRAG_OVERLAP_DUPLICATE,
    FRAG_OVERLAP_CONFLICT,
} FragOverlap;

static guint
frag_hash_bytes(guint h, const guint8 *bytes, gsize n)
{
    for (gsize i = 0; i < n; i++)
        h = (h ^ bytes[i]) * 16777619u;     /* FNV-1a */
    return h;
}

static guint
frag_key_hash(gconstpointer p)
{
    const PtlFragKey *key = p;
    gsize addr_len = key->src.family == 6 ? 16 : 4;
    guint8 tail[6] = { (guint8) (key->id >> 24), (guint8) (key->id >> 16),
                       (guint8) (key->id >> 8), (guint8) key->id, key->proto, key->src.family };

    guint h = frag_hash_bytes(2166136261u, key->src.bytes, addr_len);
    h = frag_hash_bytes(h, key->dst.bytes, addr_len);
    return frag_hash_bytes(h, tail, sizeof tail) ^ key->tunnel_id;
}

static gboolean
frag_key_equal(gconstpointer pa, gconstpointer pb)
{
    const PtlFragKey *a = pa;
    const PtlFragKey *b = pb;

    return a->id == b->id && a->proto == b->proto && a->tunnel_id == b->tunnel_id
           && ptl_addr_equal(&a->src, &b->src)
           && ptl_addr_equal(&a->dst, &b->dst);
}

PtlFrag *
ptl_frag_new(gsize max_bytes, guint max_datagrams, gint64 timeout_ns)
{
    PtlFrag *frag = g_new0(PtlFrag, 1);

    frag->max_bytes = max_bytes;
    frag->max_datagrams = max_datagrams;
    frag->timeout_ns = timeout_ns;
    frag->datagrams = g_hash_table_new(frag_key_hash, frag_key_equal);
    g_queue_init(&frag->by_age);
    return frag;
}

static void
frag_datagram_free(FragDatagram *dg)
{
    for (guint i = 0; i < dg->pieces->len; i++)
        g_free(g_array_index(dg->pieces, FragPiece, i).data);
    g_array_unref(dg->pieces);
    g_free(dg);
}

static void
frag_remove(PtlFrag *frag, FragDatagram *dg)
{
    g_hash_table_remove(frag->datagrams, &dg->key);
    g_queue_unlink(&frag->by_age, &dg->age_link);
    frag->held_bytes -= dg->charged;
    frag_datagram_free(dg);
}

/* a datagram given up: its held fragment packets count as dropped */
static void
frag_discard(PtlFrag *frag, FragDatagram *dg, guint64 *reason)
{
    frag->dropped += dg->n_packets;
    if (reason != NULL)
        (*reason)++;
    frag_remove(frag, dg);
}

void
ptl_frag_drop_all(PtlFrag *frag)
{
    g_return_if_fail(frag != NULL);
    while (frag->by_age.head != NULL)
        frag_discard(frag, frag->by_age.head->data, NULL);
}

void
ptl_frag_free(PtlFrag *frag)
{
    if (frag == NULL)
        return;
    ptl_frag_drop_all(frag);
    g_hash_table_unref(frag->datagrams);
    g_free(frag->out);
    g_free(frag);
}

void
ptl_frag_expire(PtlFrag *frag, gint64 now_ns)
{
    g_return_if_fail(frag != NULL);
    while (frag->by_age.head != NULL) {
        FragDatagram *dg = frag->by_age.head->data;
        /* unsigned difference: timestamps are untrusted and may be far apart */
        if (now_ns <= dg->first_ts_ns
            || (guint64) now_ns - (guint64) dg->first_ts_ns < (guint64) frag->timeout_ns)
            break;
        frag_discard(frag, dg, &frag->stats.timed_out);
    }
}

guint64
ptl_frag_take_dropped(PtlFrag *frag)
{
    g_return_val_if_fail(frag != NULL, 0);
    guint64 dropped = frag->dropped;
    frag->dropped = 0;
    return dropped;
}

guint
ptl_frag_n_datagrams(const PtlFrag *frag)
{
    return g_hash_table_size(frag->datagrams);
}

gsize
ptl_frag_held_bytes(const PtlFrag *frag)
{
    return frag->held_bytes;
}

const PtlFragStats *
ptl_frag_stats(const PtlFrag *frag)
{
    return &frag->stats;
}

static FragDatagram *
frag_oldest_except(const PtlFrag *frag, const FragDatagram *keep)
{
    for (GList *l = frag->by_age.head; l != NULL; l = l->next) {
        if (l->data != keep)
            return l->data;
    }
    return NULL;
}

static FragDatagram *
frag_datagram_new(PtlFrag *frag, const PtlFragment *fragment)
{
    if (g_hash_table_size(frag->datagrams) >= frag->max_datagrams) {
        FragDatagram *oldest = frag_oldest_except(frag, NULL);
        if (oldest == NULL)
            return NULL;                        /* max_datagrams is 0 */
        frag_discard(frag, oldest, &frag->stats.evicted);
    }
    FragDatagram *dg = g_new0(FragDatagram, 1);
    dg->key = fragment->key;
    dg->first_ts_ns = fragment->ts_ns;
    dg->age_link.data = dg;
    dg->pieces = g_array_new(FALSE, FALSE, sizeof(FragPiece));
    dg->charged = FRAG_DATAGRAM_OVERHEAD;
    frag->held_bytes += dg->charged;
    g_hash_table_insert(frag->datagrams, &dg->key, dg);
    g_queue_push_tail_link(&frag->by_age, &dg->age_link);
    return dg;
}

/* A fragment that can never be part of a datagram. */
static gboolean
frag_is_valid(const PtlFragment *fragment)
{
    if (fragment->len == 0 || fragment->max_end > PTL_FRAG_MAX_DATAGRAM)
        return FALSE;
    if (fragment->has_more && fragment->len % 8 != 0)
        return FALSE;
    return fragment->offset <= fragment->max_end
           && fragment->len <= fragment->max_end - fragment->offset;
}

static guint32
frag_last_end(const FragDatagram *dg)
{
    if (dg->pieces->len == 0)
        return 0;
    return g_array_index(dg->pieces, FragPiece, dg->pieces->len - 1).end;
}

/* The last fragment fixes the length; nothing may lie beyond it. */
static gboolean
frag_fits_datagram(const FragDatagram *dg, const PtlFragment *fragment)
{
    guint32 end = fragment->offset + fragment->len;

    if (fragment->has_more)
        return !dg->has_last || end <= dg->total_len;
    if (dg->has_last)
        return end == dg->total_len;
    return frag_last_end(dg) <= end;
}

/* IPv6: an exact duplicate is harmless, any other overlap condemns the datagram. */
static FragOverlap
frag_v6_overlap(const FragDatagram *dg, const PtlFragment *fragment)
{
    guint32 start = fragment->offset;
    guint32 end = start + fragment->len;

    for (guint i = 0; i < dg->pieces->len; i++) {
        const FragPiece *p = &g_array_index(dg->pieces, FragPiece, i);
        if (p->end <= start || p->start >= end)
            continue;
        if (p->start == start && p->end == end && memcmp(p->data, fragment->data, end - start) == 0)
            return FRAG_OVERLAP_DUPLICATE;
        return FRAG_OVERLAP_CONFLICT;
    }
    return FRAG_OVERLAP_NONE;
}

/* IPv4: the parts of [start, end) no piece holds yet; the first copy wins. */
static guint
frag_find_gaps(const FragDatagram *dg, guint32 start, guint32 end, FragRange *gaps)
{
    guint n = 0;
    guint32 pos = start;

    for (guint i = 0; i < dg->pieces->len && pos < end; i++) {
        const FragPiece *p = &g_array_index(dg->pieces, FragPiece, i);
        if (p->end <= pos)
            continue;
        if (p->start >= end)
            break;
        if (p->start > pos)
            gaps[n++] = (FragRange) { pos, p->start };
        pos = p->end;
    }
    if (pos < end)
        gaps[n++] = (FragRange) { pos, end };
    return n;
}

static gsize
frag_gaps_charge(const FragRange *gaps, guint n)
{
    gsize charge = 0;

    for (guint i = 0; i < n; i++)
        charge += gaps[i].end - gaps[i].start + FRAG_PIECE_OVERHEAD;
    return charge;
}

/* Evicts the oldest other datagrams until need more bytes fit. */
static gboolean
frag_make_room(PtlFrag *frag, const FragDatagram *keep, gsize need)
{
    if (keep->charged > frag->max_bytes || need > frag->max_bytes - keep->charged)
        return FALSE;
    while (frag->held_bytes > frag->max_bytes || need > frag->max_bytes - frag->held_bytes) {
        FragDatagram *victim = frag_oldest_except(frag, keep);
        if (victim == NULL)
            return FALSE;
        frag_discard(frag, victim, &frag->stats.evicted);
    }
    return TRUE;
}

static void
frag_insert_piece(FragDatagram *dg, const PtlFragment *fragment, FragRange range)
{
    FragPiece piece = {
        range.start, range.end,
        g_memdup2(fragment->data + (range.start - fragment->offset), range.end - range.start),
    };
    guint i = 0;

    while (i < dg->pieces->len && g_array_index(dg->pieces, FragPiece, i).start < range.start)
        i++;
    g_array_insert_val(dg->pieces, i, piece);
    dg->covered += range.end - range.start;
}

static PtlFragResult
frag_refuse(PtlFrag *frag, FragDatagram *dg, guint64 *reason)
{
    if (dg != NULL)
        frag_discard(frag, dg, NULL);
    (*reason)++;
    return PTL_FRAG_DROPPED;
}

static PtlFragResult
frag_complete(PtlFrag *frag, FragDatagram *dg, const guint8 **data, guint32 *len)
{
    if (frag->out == NULL)
        frag->out = g_malloc(PTL_FRAG_MAX_DATAGRAM);
    for (guint i = 0; i < dg->pieces->len; i++) {
        const FragPiece *p = &g_array_index(dg->pieces, FragPiece, i);
        memcpy(frag->out + p->start, p->data, p->end - p->start);
    }
    *data = frag->out;
    *len = dg->total_len;
    frag->stats.completed++;
    frag_remove(frag, dg);
    return PTL_FRAG_COMPLETE;
}

/* The new ranges the fragment brings; FALSE when it conflicts (IPv6 overlap). */
static gboolean
frag_new_ranges(const FragDatagram *dg, const PtlFragment *fragment, FragRange *gaps,
                guint *n_gaps)
{
    guint32 end = fragment->offset + fragment->len;

    if (fragment->key.src.family != 6) {
        *n_gaps = frag_find_gaps(dg, fragment->offset, end, gaps);
        return TRUE;
    }
    FragOverlap overlap = frag_v6_overlap(dg, fragment);
    if (overlap == FRAG_OVERLAP_CONFLICT)
        return FALSE;
    *n_gaps = 0;
    if (overlap == FRAG_OVERLAP_NONE)
        gaps[(*n_gaps)++] = (FragRange) { fragment->offset, end };
    return TRUE;
}

PtlFragResult
ptl_frag_add(PtlFrag *frag, const PtlFragment *fragment, const guint8 **data, guint32 *len)
{
    g_return_val_if_fail(frag != NULL && fragment != NULL, PTL_FRAG_DROPPED);
    g_return_val_if_fail(data != NULL && len != NULL, PTL_FRAG_DROPPED);
    *data = NULL;
    *len = 0;

    PtlFragment trimmed = *fragment;
    /* IPv4 (like Linux): a non-last fragment keeps only whole 8-byte units */
    if (trimmed.key.src.family == 4 && trimmed.has_more)
        trimmed.len &= ~7u;
    fragment = &trimmed;

    FragDatagram *dg = g_hash_table_lookup(frag->datagrams, &fragment->key);
    if (!frag_is_valid(fragment) || (dg != NULL && !frag_fits_datagram(dg, fragment)))
        return frag_refuse(frag, dg, &frag->stats.invalid);
    if (dg == NULL)
        dg = frag_datagram_new(frag, fragment);
    if (dg == NULL)
        return frag_refuse(frag, NULL, &frag->stats.evicted);

    FragRange gaps[PTL_FRAG_MAX_PIECES + 1];
    guint n_gaps = 0;
    if (!frag_new_ranges(dg, fragment, gaps, &n_gaps))
        return frag_refuse(frag, dg, &frag->stats.overlaps);
    if (n_gaps > PTL_FRAG_MAX_PIECES - dg->pieces->len)
        return frag_refuse(frag, dg, &frag->stats.invalid);
    gsize need = frag_gaps_charge(gaps, n_gaps);
    if (!frag_make_room(frag, dg, need))
        return frag_refuse(frag, dg, &frag->stats.evicted);

    for (guint i = 0; i < n_gaps; i++)
        frag_insert_piece(dg, fragment, gaps[i]);
    dg->charged += need;
    frag->held_bytes += need;
    dg->n_packets++;
    if (!fragment->has_more) {
        dg->has_last = TRUE;
        dg->total_len = fragment->offset + fragment->len;
    }
    if (dg->has_last && dg->covered == dg->total_len)
        return frag_complete(frag, dg, data, len);
    return PTL_FRAG_HELD;
}
