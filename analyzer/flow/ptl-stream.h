/* ptl-stream.h: one direction of a TCP connection reassembled into in-order bytes.
 *
 * Handles out-of-order segments (buffered up to a cap), retransmissions and
 * overlaps (first data wins, as most stacks do), sequence wraparound, and holes:
 * a hole that is never filled is reported as a gap of N bytes, after which
 * delivery resumes at the next buffered byte. */
#pragma once

#include <glib.h>

#include "ptl-memcap.h"

typedef struct {
    gsize      max_buffered; /* out-of-order bytes held per direction; default 256 KiB */
    guint      max_segments; /* out-of-order segments held per direction; default 512 */
    PtlMemcap *memcap;       /* asked before buffering (may be NULL); the caller charges
                              * ptl_stream_held_bytes() differences */
} PtlStreamConfig;

/* Called with in-order bytes (transfer none, valid for the call). */
typedef void (*PtlStreamDataFunc)(gpointer user_data, const guint8 *data, gsize len);
/* Called when `missing` bytes will never come; delivery resumes after them. */
typedef void (*PtlStreamGapFunc)(gpointer user_data, guint64 missing);

typedef struct {
    PtlStreamDataFunc on_data;
    PtlStreamGapFunc  on_gap;
    gpointer          user_data;
} PtlStreamSink;

typedef struct _PtlStreamSeg PtlStreamSeg;

typedef struct {
    guint32       next_seq;      /* first byte not yet delivered */
    guint32       fin_seq;       /* sequence number of the FIN itself; valid when fin_seen */
    guint8        has_isn;       /* next_seq is known */
    guint8        fin_seen;
    guint8        is_memcap_hit; /* bytes were dropped because the memory budget was full */
    guint32       ooo_count;
    guint64       delivered;     /* bytes delivered */
    guint64       retransmitted; /* segments wholly already seen */
    guint64       out_of_order;  /* segments that arrived ahead of next_seq */
    guint64       gaps;          /* holes given up */
    guint64       gap_bytes;     /* bytes missing in them */
    guint64       dropped;       /* out-of-order bytes dropped by the caps or the budget */
    PtlStreamSeg *ooo;           /* sorted list of buffered segments */
    gsize         ooo_bytes;
} PtlStream;

/* Heap bytes the buffered segments take (what the budget is charged). */
gsize ptl_stream_held_bytes(const PtlStream *s);

void ptl_stream_init(PtlStream *s);
/* frees buffered segments; the struct itself is the caller's */
void ptl_stream_clear(PtlStream *s);

/* The SYN (or SYN/ACK): data starts at isn + 1. */
void ptl_stream_syn(PtlStream *s, guint32 isn);

/* A segment: seq of its first payload byte.  Without a SYN seen the first
 * segment sets the start (mid-stream pickup).  fin: the segment carries FIN. */
void ptl_stream_segment(PtlStream *s, const PtlStreamConfig *cfg, guint32 seq,
                        const guint8 *data, gsize len, gboolean fin, const PtlStreamSink *sink);

/* An ACK from the other side for `ack`: bytes below it that we never saw are
 * lost for good (capture dropped them), so report the gap and go on with what
 * is buffered. */
void ptl_stream_acked(PtlStream *s, guint32 ack, const PtlStreamSink *sink);

/* End of flow: every remaining hole becomes a gap, buffered data is delivered. */
void ptl_stream_flush(PtlStream *s, const PtlStreamSink *sink);
