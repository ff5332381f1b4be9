/* ptl-flow-hash.h: the flow table's index: a keyed hash and intrusive chains.
 *
 * Captures are written by whoever is on the network, so the hash is SipHash-1-3
 * under a 128-bit key drawn at random for every index: nobody can craft keys
 * that pile up in one bucket without knowing it.  The chains are singly linked
 * through a node each entry embeds (no allocation per insert), and the bucket
 * array doubles when the entries outnumber the buckets. */
#pragma once

#include <glib.h>

typedef struct {
    guint64 k0, k1;
} PtlHashSeed;

/* SipHash-1-3 of n little-endian 64-bit words (a whole-word message). */
guint64 ptl_siphash13_words(const PtlHashSeed *seed, const guint64 *words, gsize n);

/* 16 random bytes from the kernel (getrandom), else from GLib's generator. */
void    ptl_hash_seed_random(PtlHashSeed *seed);

typedef struct _PtlHashNode PtlHashNode;
struct _PtlHashNode {
    PtlHashNode *next;
    guint64      hash;
};

typedef struct {
    PtlHashNode **buckets;
    gsize         mask;       /* buckets - 1; a power of two minus one */
    gsize         count;
    PtlHashSeed   seed;
} PtlHashIndex;

/* What a bad hash would show: long chains. */
typedef struct {
    gsize buckets, entries, used_buckets, longest_chain;
    double mean_probe;        /* chain nodes visited per successful lookup, on average */
} PtlHashStats;

void ptl_hash_index_init(PtlHashIndex *index);    /* random seed, a few buckets */
void ptl_hash_index_clear(PtlHashIndex *index);   /* frees the buckets, not the nodes */
/* The first node of the chain hash falls in; walk ->next and compare ->hash and keys. */
static inline PtlHashNode *
ptl_hash_index_chain(const PtlHashIndex *index, guint64 hash)
{
    return index->buckets[hash & index->mask];
}
void ptl_hash_index_insert(PtlHashIndex *index, PtlHashNode *node, guint64 hash);
void ptl_hash_index_remove(PtlHashIndex *index, PtlHashNode *node);
/* Bytes of bucket array, for memory accounting. */
gsize ptl_hash_index_bytes(const PtlHashIndex *index);
void ptl_hash_index_stats(const PtlHashIndex *index, PtlHashStats *stats);
