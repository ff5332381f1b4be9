/* ptl-flow-hash.c: SipHash-1-3 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012: c = 1 compression and d = 3 finalisation rounds) and
 * the chained index of the flow table. */
#include "ptl-flow-hash.h"

#include <string.h>
#include <sys/random.h>

#define HASH_MIN_BUCKETS 64

static inline guint64
hash_rotl(guint64 x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define HASH_SIPROUND(v0, v1, v2, v3) \
    do { \
        v0 += v1; v1 = hash_rotl(v1, 13); v1 ^= v0; v0 = hash_rotl(v0, 32); \
        v2 += v3; v3 = hash_rotl(v3, 16); v3 ^= v2; \
        v0 += v3; v3 = hash_rotl(v3, 21); v3 ^= v0; \
        v2 += v1; v1 = hash_rotl(v1, 17); v1 ^= v2; v2 = hash_rotl(v2, 32); \
    } while (0)

guint64
ptl_siphash13_words(const PtlHashSeed *seed, const guint64 *words, gsize n)
{
    guint64 v0 = seed->k0 ^ G_GUINT64_CONSTANT(0x736f6d6570736575);
    guint64 v1 = seed->k1 ^ G_GUINT64_CONSTANT(0x646f72616e646f6d);
    guint64 v2 = seed->k0 ^ G_GUINT64_CONSTANT(0x6c7967656e657261);
    guint64 v3 = seed->k1 ^ G_GUINT64_CONSTANT(0x7465646279746573);
    for (gsize i = 0; i < n; i++) {
        guint64 m = GUINT64_TO_LE(words[i]);
        v3 ^= m;
        HASH_SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    /* the last block holds only the message length: every message is whole words */
    guint64 last = (guint64) ((n * 8) & 0xff) << 56;
    v3 ^= last;
    HASH_SIPROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    HASH_SIPROUND(v0, v1, v2, v3);
    HASH_SIPROUND(v0, v1, v2, v3);
    HASH_SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

void
ptl_hash_seed_random(PtlHashSeed *seed)
{
    guint8 bytes[16];
    gsize got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n <= 0)
            break;
        got += (gsize) n;
    }
    for (; got < sizeof bytes; got += 4) {     /* no getrandom: GLib's seeded generator */
        guint32 r = g_random_int();
        memcpy(bytes + got, &r, MIN(sizeof r, sizeof bytes - got));
    }
    memcpy(&seed->k0, bytes, 8);
    memcpy(&seed->k1, bytes + 8, 8);
}

void
ptl_hash_index_init(PtlHashIndex *index)
{
    memset(index, 0, sizeof *index);
    index->buckets = g_new0(PtlHashNode *, HASH_MIN_BUCKETS);
    index->mask = HASH_MIN_BUCKETS - 1;
    ptl_hash_seed_random(&index->seed);
}

void
ptl_hash_index_clear(PtlHashIndex *index)
{
    g_clear_pointer(&index->buckets, g_free);
    index->count = 0;
}

static void
hash_index_grow(PtlHashIndex *index)
{
    gsize old_size = index->mask + 1;
    if (old_size > G_MAXSIZE / 2 / sizeof(PtlHashNode *))
        return;                                /* chains just get longer */
    gsize size = old_size * 2;
    PtlHashNode **buckets = g_new0(PtlHashNode *, size);
    for (gsize b = 0; b < old_size; b++) {
        PtlHashNode *node = index->buckets[b];
        while (node != NULL) {
            PtlHashNode *next = node->next;
            PtlHashNode **head = &buckets[node->hash & (size - 1)];
            node->next = *head;
            *head = node;
            node = next;
        }
    }
    g_free(index->buckets);
    index->buckets = buckets;
    index->mask = size - 1;
}

void
ptl_hash_index_insert(PtlHashIndex *index, PtlHashNode *node, guint64 hash)
{
    if (index->count >= index->mask + 1)
        hash_index_grow(index);
    node->hash = hash;
    PtlHashNode **head = &index->buckets[hash & index->mask];
    node->next = *head;
    *head = node;
    index->count++;
}

void
ptl_hash_index_remove(PtlHashIndex *index, PtlHashNode *node)
{
    for (PtlHashNode **link = &index->buckets[node->hash & index->mask]; *link != NULL;
         link = &(*link)->next) {
        if (*link == node) {
            *link = node->next;
            node->next = NULL;
            index->count--;
            return;
        }
    }
    g_return_if_reached();
}

gsize
ptl_hash_index_bytes(const PtlHashIndex *index)
{
    return (index->mask + 1) * sizeof(PtlHashNode *);
}

void
ptl_hash_index_stats(const PtlHashIndex *index, PtlHashStats *stats)
{
    memset(stats, 0, sizeof *stats);
    stats->buckets = index->mask + 1;
    stats->entries = index->count;
    double probes = 0;
    for (gsize b = 0; b <= index->mask; b++) {
        gsize len = 0;
        for (const PtlHashNode *n = index->buckets[b]; n != NULL; n = n->next)
            len++;
        stats->used_buckets += len > 0;
        stats->longest_chain = MAX(stats->longest_chain, len);
        probes += (double) len * (double) (len + 1) / 2.0;   /* 1 + 2 + ... + len */
    }
    stats->mean_probe = index->count > 0 ? probes / (double) index->count : 0.0;
}
