/* flowhash.c: the flow table against crafted keys (issue 12, hash flooding).
 *
 *   flowhash [FLOWS]     (default 100000)
 *
 * Times FLOWS IPv6 SYNs and then one ACK each through a fresh flow table, for
 * three key sets: random; crafted against the unkeyed hash portolan had before
 * (an address word solved so every key hashed alike); and crafted against the
 * keyed hash under a seed the attacker knows (low 8 bits of the hash zero).
 * Each runs in a table with its own random seed; the last also with the known
 * seed, which is what the attack would do if the seed leaked.  Prints seconds
 * and chain statistics.  Figures, not pass/fail: `bench/run --hostile` runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptl-flow.h"

#define FLOWHASH_DEFAULT_FLOWS 100000
#define FLOWHASH_KNOWN_BITS    8

/* the pre-fix hash's constants (analyzer/ptl-flow.c before the keyed hash) */
#define OLD_MUL    G_GUINT64_CONSTANT(0xff51afd7ed558ccd)
#define OLD_EVEN   G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)

static const PtlHashSeed flowhash_known_seed = { 0x1234, 0x5678 };

static PtlDecoded
flowhash_packet(const guint64 src[2], const guint64 dst[2], guint16 sport, guint8 flags)
{
    PtlDecoded pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.tuple.src.family = pkt.tuple.dst.family = 6;
    memcpy(pkt.tuple.src.bytes, src, 16);
    memcpy(pkt.tuple.dst.bytes, dst, 16);
    pkt.tuple.proto = pkt.ip_proto = 6;
    pkt.tuple.sport = sport;
    pkt.tuple.dport = 443;
    pkt.tcp_flags = flags;
    return pkt;
}

static void
flowhash_random(GRand *rng, GArray *out, guint n)
{
    for (guint i = 0; i < n; i++) {
        guint64 src[2] = { g_rand_int(rng) | (guint64) g_rand_int(rng) << 32, i };
        guint64 dst[2] = { G_MAXUINT64, 1 };
        PtlDecoded pkt = flowhash_packet(src, dst, (guint16) (1024 + i % 60000), 0x02);
        g_array_append_val(out, pkt);
    }
}

/* The old hash ran w[0], w[2], w[4] through one multiply chain: for any lower
 * address word w0, the higher address word w2 = (seed ^ w0) * M ^ T brings the
 * chain to T, and with everything else fixed every key hashed alike. */
static void
flowhash_crafted_old(GRand *rng, GArray *out, guint n)
{
    const guint64 target = G_GUINT64_CONSTANT(0x0123456789abcdef);
    while (out->len < n) {
        guint64 w0 = g_rand_int(rng) | (guint64) g_rand_int(rng) << 32;
        guint64 w2 = ((OLD_EVEN ^ w0) * OLD_MUL) ^ target;
        if (w0 >= w2)
            continue;                          /* w0 must be the canonical lower side */
        guint64 src[2] = { w0, 7 }, dst[2] = { w2, 9 };
        PtlDecoded pkt = flowhash_packet(src, dst, 5000, 0x02);
        g_array_append_val(out, pkt);
    }
}

/* Brute force against the keyed hash with a known seed: keep keys whose low bits
 * are zero, which all share bucket 0 of any table up to 2^FLOWHASH_KNOWN_BITS. */
static void
flowhash_crafted_known(GRand *rng, GArray *out, guint n)
{
    PtlFlowTable *table = ptl_flow_table_new(NULL);
    ptl_flow_table_set_hash_seed(table, &flowhash_known_seed);
    const guint64 mask = (1u << FLOWHASH_KNOWN_BITS) - 1;
    while (out->len < n) {
        guint64 src[2] = { g_rand_int(rng) | (guint64) g_rand_int(rng) << 32, 3 };
        guint64 dst[2] = { G_MAXUINT64, 1 };
        PtlDecoded pkt = flowhash_packet(src, dst, 5000, 0x02);
        if ((ptl_flow_table_hash_of(table, &pkt) & mask) == 0)
            g_array_append_val(out, pkt);
    }
    ptl_flow_table_free(table);
}

static void
flowhash_run(const char *label, const GArray *pkts, const PtlHashSeed *seed)
{
    PtlFlowTable *table = ptl_flow_table_new(NULL);
    if (seed != NULL)
        ptl_flow_table_set_hash_seed(table, seed);
    gint64 start = g_get_monotonic_time();
    gint64 ts = G_GINT64_CONSTANT(1714557600000000000);
    for (guint pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < pkts->len; i++) {
            PtlDecoded pkt = g_array_index(pkts, PtlDecoded, i);
            pkt.tcp_flags = pass == 0 ? 0x02 : 0x10;   /* SYN, then an ACK of the same flow */
            PtlDirection dir;
            ptl_flow_table_packet(table, &pkt, ts++, 74, &dir);
        }
    }
    double seconds = (g_get_monotonic_time() - start) / 1e6;
    PtlHashStats stats;
    ptl_flow_table_hash_stats(table, &stats);
    printf("%-44s %8u %9.3f %10" G_GSIZE_FORMAT " %11.2f\n", label,
           ptl_flow_table_size(table), seconds, stats.longest_chain, stats.mean_probe);
    ptl_flow_table_free(table);
}

int
main(int argc, char **argv)
{
    guint n = argc > 1 ? (guint) strtoul(argv[1], NULL, 10) : FLOWHASH_DEFAULT_FLOWS;
    if (n == 0)
        n = FLOWHASH_DEFAULT_FLOWS;
    g_autoptr(GRand) rng = g_rand_new_with_seed(12);
    g_autoptr(GArray) random = g_array_new(FALSE, FALSE, sizeof(PtlDecoded));
    g_autoptr(GArray) old = g_array_new(FALSE, FALSE, sizeof(PtlDecoded));
    g_autoptr(GArray) known = g_array_new(FALSE, FALSE, sizeof(PtlDecoded));
    flowhash_random(rng, random, n);
    flowhash_crafted_old(rng, old, n);
    flowhash_crafted_known(rng, known, n);

    printf("%-44s %8s %9s %10s %11s\n", "keys (2 packets a flow)", "flows", "seconds",
           "max chain", "mean probe");
    flowhash_run("random IPv6", random, NULL);
    flowhash_run("crafted against the old unkeyed hash", old, NULL);
    flowhash_run("crafted against a known seed, own seed", known, NULL);
    flowhash_run("crafted against a known seed, that seed", known, &flowhash_known_seed);
    return 0;
}
