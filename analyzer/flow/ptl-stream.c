/* ptl-stream.c: one direction of a TCP connection reassembled into in-order bytes.
 *
 * Every position is an unsigned 32-bit offset from next_seq, so sequence
 * wraparound needs no special case: an offset below 2^31 is ahead, the rest is
 * behind.  Buffered segments never overlap each other (first data wins) and
 * stay sorted, and after every call the list head lies ahead of next_seq, so
 * delivery only ever looks at the head. */
#include "ptl-stream.h"

#include <string.h>

#define STREAM_DEFAULT_MAX_BUFFERED (256 * 1024)
#define STREAM_DEFAULT_MAX_SEGMENTS 512
/* Further ahead than this is not a segment the capture missed but garbage; it
 * also keeps every offset we add up well below 2^31. */
#define STREAM_MAX_JUMP (1u << 30)
#define STREAM_BEHIND   (1u << 31)

struct _PtlStreamSeg {
    PtlStreamSeg *next;
    guint32       seq;
    guint32       len;  /* valid bytes; a FIN may trim it below the allocation */
    guint8        data[];
};

/* a segment's heap cost besides its bytes: header and allocator word, rounded up */
#define STREAM_SEG_COST (sizeof(PtlStreamSeg) + 2 * sizeof(gsize))

static inline guint32
stream_offset(const PtlStream *s, guint32 seq)
{
    return seq - s->next_seq;
}

static inline gboolean
stream_is_behind(guint32 offset)
{
    return offset >= STREAM_BEHIND;
}

static void
stream_deliver(PtlStream *s, const guint8 *data, guint32 len, const PtlStreamSink *sink)
{
    if (len == 0)
        return;
    s->next_seq += len;
    s->delivered += len;
    if (sink != NULL && sink->on_data != NULL)
        sink->on_data(sink->user_data, data, len);
}

static void
stream_gap(PtlStream *s, guint32 missing, const PtlStreamSink *sink)
{
    s->next_seq += missing;
    s->gaps++;
    s->gap_bytes += missing;
    if (sink != NULL && sink->on_gap != NULL)
        sink->on_gap(sink->user_data, missing);
}

/* transfer full: the head segment, unlinked */
static PtlStreamSeg *
stream_pop(PtlStream *s)
{
    PtlStreamSeg *seg = s->ooo;
    s->ooo = seg->next;
    s->ooo_bytes -= seg->len;
    s->ooo_count--;
    return seg;
}

/* Delivers buffered segments that start at or before next_seq. */
static void
stream_drain(PtlStream *s, const PtlStreamSink *sink)
{
    while (s->ooo != NULL) {
        guint32 offset = stream_offset(s, s->ooo->seq);
        if (offset != 0 && !stream_is_behind(offset))
            return;                                  /* a hole before the head */
        g_autofree PtlStreamSeg *seg = stream_pop(s);
        guint32 skip = 0u - offset;                  /* bytes already delivered */
        if (skip < seg->len)
            stream_deliver(s, seg->data + skip, seg->len - skip, sink);
    }
}

/* A segment starting at or before next_seq: deliver its new bytes straight from
 * the caller's buffer, except where buffered data (which came first) covers. */
static void
stream_deliver_in_order(PtlStream *s, guint32 seq, const guint8 *data, guint32 len,
                        const PtlStreamSink *sink)
{
    guint32 end = seq + len;
    for (;;) {
        stream_drain(s, sink);
        guint32 left = end - s->next_seq;
        if (left == 0 || stream_is_behind(left))
            return;
        guint32 n = left;
        if (s->ooo != NULL)
            n = MIN(n, stream_offset(s, s->ooo->seq));
        stream_deliver(s, data + (s->next_seq - seq), n, sink);
    }
}

/* Every hole below `upto` becomes a gap; buffered data in between is delivered. */
static void
stream_skip_holes(PtlStream *s, guint32 upto, const PtlStreamSink *sink)
{
    for (;;) {
        guint32 left = stream_offset(s, upto);
        if (left == 0 || stream_is_behind(left))
            return;
        guint32 hole = left;
        if (s->ooo != NULL)
            hole = MIN(hole, stream_offset(s, s->ooo->seq));
        stream_gap(s, hole, sink);
        stream_drain(s, sink);
    }
}

/* The hole before the first buffered segment will not be waited for. */
static void
stream_give_up_hole(PtlStream *s, const PtlStreamSink *sink)
{
    if (s->ooo != NULL)
        stream_skip_holes(s, s->ooo->seq, sink);
}

static PtlStreamSeg *
stream_seg_new(guint32 seq, const guint8 *data, guint32 len)
{
    PtlStreamSeg *seg = g_malloc(sizeof *seg + len);
    seg->next = NULL;
    seg->seq = seq;
    seg->len = len;
    memcpy(seg->data, data, len);
    return seg;
}

/* Walks the sorted list for the pieces of [seq, seq + len) no buffered segment
 * holds yet (first data wins) and counts them; with is_commit also links copies
 * of them in.  seq is ahead of next_seq, len at most the byte cap. */
static void
stream_place(PtlStream *s, guint32 seq, const guint8 *data, guint32 len, gboolean is_commit,
             gsize *new_bytes, guint *new_segs)
{
    PtlStreamSeg **link = &s->ooo;
    guint32 start = stream_offset(s, seq);
    guint32 pos = start;
    guint32 end = start + len;
    while (pos < end) {
        PtlStreamSeg *cur = *link;
        guint32 cur_start = cur != NULL ? stream_offset(s, cur->seq) : end;
        guint32 cur_end = cur != NULL ? cur_start + cur->len : end;
        if (pos < cur_start) {
            guint32 piece = MIN(end, cur_start) - pos;
            *new_bytes += piece;
            (*new_segs)++;
            if (is_commit) {
                PtlStreamSeg *seg = stream_seg_new(s->next_seq + pos, data + (pos - start), piece);
                seg->next = cur;
                *link = seg;
                link = &seg->next;
                s->ooo_bytes += piece;
                s->ooo_count++;
            }
            pos += piece;
            continue;
        }
        pos = MAX(pos, cur_end);                   /* covered by earlier data */
        link = &cur->next;
    }
}

static void
stream_buffer(PtlStream *s, const PtlStreamConfig *cfg, guint32 seq, const guint8 *data,
              guint32 len, const PtlStreamSink *sink)
{
    gsize max_bytes = cfg != NULL && cfg->max_buffered > 0 ? cfg->max_buffered
                                                           : STREAM_DEFAULT_MAX_BUFFERED;
    guint max_segs = cfg != NULL && cfg->max_segments > 0 ? cfg->max_segments
                                                           : STREAM_DEFAULT_MAX_SEGMENTS;
    s->out_of_order++;
    gsize new_bytes = 0;
    guint new_segs = 0;
    if (len <= max_bytes)
        stream_place(s, seq, data, len, FALSE, &new_bytes, &new_segs);
    else
        new_bytes = len;                           /* could never fit: do not walk */
    if (new_bytes == 0) {
        s->retransmitted++;                        /* all of it is buffered already */
        return;
    }
    gboolean is_over_caps = new_bytes > max_bytes - MIN(s->ooo_bytes, max_bytes)
                            || new_segs > max_segs - MIN(s->ooo_count, max_segs);
    PtlMemcap *memcap = cfg != NULL ? cfg->memcap : NULL;
    if (!is_over_caps
        && !ptl_memcap_allows(memcap, new_bytes + new_segs * STREAM_SEG_COST)) {
        is_over_caps = TRUE;
        s->is_memcap_hit = TRUE;
        ptl_memcap_dropped(memcap, new_bytes);
    }
    if (is_over_caps) {
        /* The caps are hit: drop this one, and since waiting for the hole
         * cannot succeed any more, give it up so delivery moves on. */
        s->dropped += new_bytes;
        stream_give_up_hole(s, sink);
        return;
    }
    new_bytes = 0;
    new_segs = 0;
    stream_place(s, seq, data, len, TRUE, &new_bytes, &new_segs);
}

/* Drops buffered bytes at or after the FIN. */
static void
stream_trim_after_fin(PtlStream *s)
{
    PtlStreamSeg **link = &s->ooo;
    while (*link != NULL) {
        PtlStreamSeg *seg = *link;
        guint32 room = s->fin_seq - seg->seq;
        if (room == 0 || stream_is_behind(room)) {
            *link = seg->next;
            s->ooo_bytes -= seg->len;
            s->ooo_count--;
            g_free(seg);
            continue;
        }
        if (room < seg->len) {
            s->ooo_bytes -= seg->len - room;
            seg->len = room;
        }
        link = &seg->next;
    }
}

/* Bytes of [seq, seq + len) that lie before the FIN (all when none was seen). */
static guint32
stream_clip_to_fin(const PtlStream *s, guint32 seq, guint32 len)
{
    if (!s->fin_seen)
        return len;
    guint32 room = s->fin_seq - seq;
    return stream_is_behind(room) ? 0 : MIN(len, room);
}

gsize
ptl_stream_held_bytes(const PtlStream *s)
{
    g_return_val_if_fail(s != NULL, 0);
    return s->ooo_bytes + s->ooo_count * STREAM_SEG_COST;
}

void
ptl_stream_init(PtlStream *s)
{
    g_return_if_fail(s != NULL);
    memset(s, 0, sizeof *s);
}

void
ptl_stream_clear(PtlStream *s)
{
    g_return_if_fail(s != NULL);
    while (s->ooo != NULL)
        g_free(stream_pop(s));
}

void
ptl_stream_syn(PtlStream *s, guint32 isn)
{
    g_return_if_fail(s != NULL);
    /* A retransmitted SYN changes nothing; once bytes moved, a SYN of another
     * ISN belongs to another connection, which the flow table separates. */
    gboolean has_progress = s->delivered > 0 || s->gaps > 0 || s->ooo != NULL || s->fin_seen;
    if (s->has_isn && has_progress)
        return;
    s->has_isn = TRUE;
    s->next_seq = isn + 1;
}

void
ptl_stream_segment(PtlStream *s, const PtlStreamConfig *cfg, guint32 seq, const guint8 *data,
                   gsize len, gboolean fin, const PtlStreamSink *sink)
{
    g_return_if_fail(s != NULL);
    g_return_if_fail(data != NULL || len == 0);
    if (len == 0 && !fin)
        return;                                    /* pure ACK, window probe */
    if (len > STREAM_MAX_JUMP) {
        s->dropped += len;                         /* no real segment is that long */
        return;
    }
    if (!s->has_isn) {
        s->has_isn = TRUE;                         /* mid-stream pickup */
        s->next_seq = seq;
    }
    if (fin && !s->fin_seen) {
        s->fin_seen = TRUE;
        s->fin_seq = seq + (guint32) len;
        stream_trim_after_fin(s);
    }
    guint32 used = stream_clip_to_fin(s, seq, (guint32) len);
    if (used == 0)
        return;
    guint32 offset = stream_offset(s, seq);
    if (stream_is_behind(offset) && 0u - offset >= used) {
        s->retransmitted++;
        return;
    }
    if (offset == 0 || stream_is_behind(offset)) {
        stream_deliver_in_order(s, seq, data, used, sink);
        return;
    }
    if (offset > STREAM_MAX_JUMP) {
        s->dropped += used;
        return;
    }
    stream_buffer(s, cfg, seq, data, used, sink);
}

void
ptl_stream_acked(PtlStream *s, guint32 ack, const PtlStreamSink *sink)
{
    g_return_if_fail(s != NULL);
    if (!s->has_isn)
        return;
    guint32 offset = stream_offset(s, ack);
    if (offset == 0 || offset > STREAM_MAX_JUMP)
        return;                                    /* nothing new, old or bogus ACK */
    guint32 upto = ack;
    /* the ACK of a FIN counts the FIN itself, which is no data */
    if (s->fin_seen && stream_clip_to_fin(s, s->next_seq, offset) < offset)
        upto = s->fin_seq;
    stream_skip_holes(s, upto, sink);
}

void
ptl_stream_flush(PtlStream *s, const PtlStreamSink *sink)
{
    g_return_if_fail(s != NULL);
    while (s->ooo != NULL)
        stream_give_up_hole(s, sink);
    if (s->fin_seen)
        stream_skip_holes(s, s->fin_seq, sink);
}
