/* test-stream.c: TCP stream reassembly (analyzer/ptl-stream.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-stream.h"

/* http/zeek-get.pcap, frame 4: 141.142.228.5:59856 -> 192.150.187.43:80, the
 * client's only data segment (seq 4263588411 after SYN ISN 4263588410). */
static const guint8 http_get[] = {
    0x47, 0x45, 0x54, 0x20, 0x2f, 0x64, 0x6f, 0x77, 0x6e, 0x6c, 0x6f, 0x61,
    0x64, 0x2f, 0x43, 0x48, 0x41, 0x4e, 0x47, 0x45, 0x53, 0x2e, 0x62, 0x72,
    0x6f, 0x2d, 0x61, 0x75, 0x78, 0x2e, 0x74, 0x78, 0x74, 0x20, 0x48, 0x54,
    0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x0d, 0x0a, 0x55, 0x73, 0x65, 0x72,
    0x2d, 0x41, 0x67, 0x65, 0x6e, 0x74, 0x3a, 0x20, 0x57, 0x67, 0x65, 0x74,
    0x2f, 0x31, 0x2e, 0x31, 0x34, 0x20, 0x28, 0x64, 0x61, 0x72, 0x77, 0x69,
    0x6e, 0x31, 0x32, 0x2e, 0x32, 0x2e, 0x30, 0x29, 0x0d, 0x0a, 0x41, 0x63,
    0x63, 0x65, 0x70, 0x74, 0x3a, 0x20, 0x2a, 0x2f, 0x2a, 0x0d, 0x0a, 0x48,
    0x6f, 0x73, 0x74, 0x3a, 0x20, 0x62, 0x72, 0x6f, 0x2e, 0x6f, 0x72, 0x67,
    0x0d, 0x0a, 0x43, 0x6f, 0x6e, 0x6e, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e,
    0x3a, 0x20, 0x4b, 0x65, 0x65, 0x70, 0x2d, 0x41, 0x6c, 0x69, 0x76, 0x65,
    0x0d, 0x0a, 0x0d, 0x0a,
};
#define HTTP_GET_LEN ((guint32) sizeof http_get)
#define HTTP_GET_ISN 4263588410u          /* the SYN of the same capture, frame 1 */

/* A stream, what it delivered, and the sequence number of message byte 0. */
typedef struct {
    PtlStream       stream;
    PtlStreamConfig cfg;
    PtlStreamSink   sink;
    GByteArray     *bytes;
    guint           gaps;
    guint64         gap_bytes;
    guint32         base;
} Fixture;

static void
collect_data(gpointer user_data, const guint8 *data, gsize len)
{
    Fixture *fx = user_data;
    assert_true(len > 0);
    g_byte_array_append(fx->bytes, data, (guint) len);
}

static void
collect_gap(gpointer user_data, guint64 missing)
{
    Fixture *fx = user_data;
    assert_true(missing > 0);
    fx->gaps++;
    fx->gap_bytes += missing;
}

static int
fixture_setup(void **state)
{
    Fixture *fx = g_new0(Fixture, 1);
    ptl_stream_init(&fx->stream);
    fx->sink = (PtlStreamSink) { collect_data, collect_gap, fx };
    fx->bytes = g_byte_array_new();
    fx->base = HTTP_GET_ISN + 1;
    *state = fx;
    return 0;
}

static int
fixture_teardown(void **state)
{
    Fixture *fx = *state;
    ptl_stream_clear(&fx->stream);
    g_byte_array_unref(fx->bytes);
    g_free(fx);
    return 0;
}

/* Feeds message bytes [off, off + len) of `msg` as one segment. */
static void
feed_bytes(Fixture *fx, const guint8 *msg, guint32 off, guint32 len, gboolean fin)
{
    /* a zero-length segment may lie past the message: point at nothing then */
    const guint8 *data = len > 0 ? msg + off : NULL;
    ptl_stream_segment(&fx->stream, &fx->cfg, fx->base + off, data, len, fin, &fx->sink);
}

static void
feed(Fixture *fx, guint32 off, guint32 len)
{
    feed_bytes(fx, http_get, off, len, FALSE);
}

static void
assert_delivered(const Fixture *fx, const guint8 *expect, gsize len)
{
    assert_int_equal(fx->bytes->len, len);
    assert_memory_equal(fx->bytes->data, expect, len);
    assert_int_equal(fx->stream.delivered, len);
}

static void
test_stream_in_order(void **state)
{
    Fixture *fx = *state;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 0, 40);
    feed(fx, 40, 60);
    feed(fx, 100, HTTP_GET_LEN - 100);
    assert_delivered(fx, http_get, HTTP_GET_LEN);
    assert_int_equal(fx->stream.next_seq, fx->base + HTTP_GET_LEN);
    assert_int_equal(fx->stream.out_of_order, 0);
    assert_int_equal(fx->stream.ooo_count, 0);
    assert_int_equal(fx->gaps, 0);
}

/* Every order of four segments gives the same bytes. */
static void
test_stream_out_of_order_permutations(void **state)
{
    (void) state;
    static const guint32 cuts[5] = { 0, 17, 60, 61, HTTP_GET_LEN };
    for (guint p = 0; p < 24; p++) {
        guint order[4] = { 0, 1, 2, 3 };
        guint rest = p;
        for (guint i = 0; i < 4; i++) {            /* p-th permutation, factorial base */
            guint pick = i + rest % (4 - i);
            rest /= 4 - i;
            guint t = order[i];
            order[i] = order[pick];
            order[pick] = t;
        }
        void *st = NULL;
        fixture_setup(&st);
        Fixture *fx = st;
        ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
        for (guint i = 0; i < 4; i++)
            feed(fx, cuts[order[i]], cuts[order[i] + 1] - cuts[order[i]]);
        assert_delivered(fx, http_get, HTTP_GET_LEN);
        assert_int_equal(fx->stream.ooo_count, 0);
        assert_int_equal(fx->stream.ooo_bytes, 0);
        assert_int_equal(fx->gaps, 0);
        assert_int_equal(fx->stream.retransmitted, 0);
        fixture_teardown(&st);
    }
}

static void
test_stream_overlap_partial(void **state)
{
    Fixture *fx = *state;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 0, 50);
    feed(fx, 30, 50);                              /* 30..50 old, 50..80 new */
    feed(fx, 70, HTTP_GET_LEN - 70);
    assert_delivered(fx, http_get, HTTP_GET_LEN);
    assert_int_equal(fx->stream.retransmitted, 0);
}

/* Buffered data that came first wins over later, different bytes: both for a
 * later out-of-order segment and for the in-order one that fills the hole. */
static void
test_stream_overlap_first_wins(void **state)
{
    Fixture *fx = *state;
    guint8 other[HTTP_GET_LEN];
    memset(other, 'X', sizeof other);
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 50, 30);                              /* real 50..80 first */
    feed_bytes(fx, other, 40, 50, FALSE);          /* X 40..90: only 40..50, 80..90 new */
    assert_int_equal(fx->stream.ooo_bytes, 50);
    assert_int_equal(fx->stream.ooo_count, 3);
    feed_bytes(fx, other, 0, 100, FALSE);          /* in order, overlaps all of it */
    guint8 expect[100];
    memset(expect, 'X', sizeof expect);
    memcpy(expect + 50, http_get + 50, 30);
    assert_delivered(fx, expect, sizeof expect);
    assert_int_equal(fx->stream.ooo_count, 0);

    feed_bytes(fx, other, 60, 60, FALSE);          /* 60..100 old, 100..120 new */
    assert_int_equal(fx->bytes->len, 120);
    assert_int_equal(fx->bytes->data[119], 'X');
}

static void
test_stream_retransmission(void **state)
{
    Fixture *fx = *state;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 0, 60);
    feed(fx, 0, 60);                               /* whole retransmission */
    feed(fx, 10, 20);                              /* inside old data */
    assert_int_equal(fx->stream.retransmitted, 2);
    feed(fx, 0, 90);                               /* retransmission carrying 60..90 */
    assert_int_equal(fx->stream.retransmitted, 2);
    assert_delivered(fx, http_get, 90);
    feed(fx, 100, 20);                             /* buffered ... */
    feed(fx, 100, 20);                             /* ... and seen again */
    assert_int_equal(fx->stream.retransmitted, 3);
    assert_int_equal(fx->stream.ooo_bytes, 20);
}

/* The message crosses 2^32, in order and out of order. */
static void
test_stream_wraparound(void **state)
{
    Fixture *fx = *state;
    fx->base = 0xffffffc0u;                        /* byte 64 sits at seq 0 */
    ptl_stream_syn(&fx->stream, fx->base - 1);
    feed(fx, 0, 50);
    feed(fx, 100, HTTP_GET_LEN - 100);             /* after the wrap, ahead */
    feed(fx, 70, 40);                              /* ahead too, overlaps 100.. */
    assert_int_equal(fx->stream.ooo_bytes, HTTP_GET_LEN - 70);
    feed(fx, 40, 40);                              /* crosses 2^32, fills the hole */
    assert_delivered(fx, http_get, HTTP_GET_LEN);
    assert_int_equal(fx->stream.next_seq, fx->base + HTTP_GET_LEN);
    assert_true(fx->stream.next_seq < 100);
    feed(fx, 60, 10);                              /* old data just past the wrap */
    assert_int_equal(fx->stream.retransmitted, 1);
    ptl_stream_acked(&fx->stream, fx->base + HTTP_GET_LEN, &fx->sink);
    assert_int_equal(fx->gaps, 0);
}

static void
test_stream_gap_by_ack(void **state)
{
    Fixture *fx = *state;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 0, 10);
    feed(fx, 20, 10);
    feed(fx, 40, 10);
    ptl_stream_acked(&fx->stream, fx->base + 10, &fx->sink);   /* nothing unseen */
    ptl_stream_acked(&fx->stream, fx->base + 5, &fx->sink);    /* old ACK */
    assert_int_equal(fx->gaps, 0);
    ptl_stream_acked(&fx->stream, fx->base + 45, &fx->sink);   /* 10..20 and 30..40 lost */
    assert_int_equal(fx->gaps, 2);
    assert_int_equal(fx->gap_bytes, 20);
    assert_int_equal(fx->stream.gaps, 2);
    assert_int_equal(fx->stream.gap_bytes, 20);
    assert_int_equal(fx->bytes->len, 30);
    assert_memory_equal(fx->bytes->data + 10, http_get + 20, 10);
    assert_memory_equal(fx->bytes->data + 20, http_get + 40, 10);
    ptl_stream_acked(&fx->stream, fx->base + 80, &fx->sink);   /* nothing buffered */
    assert_int_equal(fx->gap_bytes, 50);
    assert_int_equal(fx->stream.next_seq, fx->base + 80);
    feed(fx, 60, 40);                              /* the "lost" bytes arrive late */
    assert_int_equal(fx->bytes->len, 50);
    assert_memory_equal(fx->bytes->data + 30, http_get + 80, 20);
}

static void
test_stream_gap_by_flush(void **state)
{
    Fixture *fx = *state;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 0, 10);
    feed(fx, 30, 10);
    feed(fx, 60, 20);
    feed_bytes(fx, http_get, 100, 10, TRUE);       /* FIN at 110, 80..100 never seen */
    ptl_stream_flush(&fx->stream, &fx->sink);
    assert_int_equal(fx->gaps, 3);
    assert_int_equal(fx->gap_bytes, 20 + 20 + 20);
    assert_int_equal(fx->bytes->len, 50);
    assert_memory_equal(fx->bytes->data + 40, http_get + 100, 10);
    assert_int_equal(fx->stream.next_seq, fx->base + 110);
    assert_int_equal(fx->stream.ooo_count, 0);
    ptl_stream_flush(&fx->stream, &fx->sink);      /* idempotent */
    assert_int_equal(fx->gaps, 3);
}

static void
test_stream_cap_bytes(void **state)
{
    Fixture *fx = *state;
    fx->cfg.max_buffered = 40;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 0, 10);
    feed(fx, 20, 20);
    feed(fx, 50, 20);
    assert_int_equal(fx->stream.ooo_bytes, 40);
    feed(fx, 80, 10);                              /* over the cap: dropped */
    assert_int_equal(fx->stream.dropped, 10);
    /* the cap was hit, so the hole 10..20 was given up and delivery went on */
    assert_int_equal(fx->gaps, 1);
    assert_int_equal(fx->gap_bytes, 10);
    assert_int_equal(fx->bytes->len, 30);
    assert_int_equal(fx->stream.ooo_bytes, 20);
    feed(fx, 40, 10);                              /* fills 40..50: 50..70 follows */
    assert_int_equal(fx->bytes->len, 60);
    assert_int_equal(fx->stream.ooo_bytes, 0);
    feed(fx, 80, HTTP_GET_LEN - 80);               /* 56 bytes: over the cap on its own */
    assert_int_equal(fx->stream.dropped, 10 + HTTP_GET_LEN - 80);
    assert_int_equal(fx->stream.ooo_count, 0);
}

static void
test_stream_cap_segments(void **state)
{
    Fixture *fx = *state;
    fx->cfg.max_segments = 2;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 10, 5);
    feed(fx, 20, 5);
    feed(fx, 30, 5);                               /* third segment: dropped */
    assert_int_equal(fx->stream.dropped, 5);
    assert_int_equal(fx->gaps, 1);                 /* 0..10 given up */
    assert_int_equal(fx->bytes->len, 5);
    assert_int_equal(fx->stream.ooo_count, 1);
    assert_int_equal(fx->stream.next_seq, fx->base + 15);
    ptl_stream_flush(&fx->stream, &fx->sink);
    assert_int_equal(fx->bytes->len, 10);
    assert_int_equal(fx->stream.out_of_order, 3);
}

static void
test_stream_after_fin_ignored(void **state)
{
    Fixture *fx = *state;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 100, 30);                             /* buffered, partly after the FIN */
    feed_bytes(fx, http_get, 60, 20, TRUE);        /* FIN at 80 */
    assert_true(fx->stream.fin_seen);
    assert_int_equal(fx->stream.fin_seq, fx->base + 80);
    assert_int_equal(fx->stream.ooo_bytes, 20);    /* 60..80; 100..130 trimmed */
    feed(fx, 90, 20);                              /* after the FIN */
    feed(fx, 70, 30);                              /* only 70..80 counts */
    feed(fx, 0, 60);
    assert_delivered(fx, http_get, 80);
    ptl_stream_acked(&fx->stream, fx->base + 81, &fx->sink);  /* ACK of the FIN */
    ptl_stream_flush(&fx->stream, &fx->sink);
    assert_int_equal(fx->gaps, 0);
    assert_int_equal(fx->stream.next_seq, fx->base + 80);
}

static void
test_stream_mid_stream_start(void **state)
{
    Fixture *fx = *state;
    ptl_stream_segment(&fx->stream, NULL, fx->base, NULL, 0, FALSE, &fx->sink);  /* pure ACK */
    assert_false(fx->stream.has_isn);
    feed(fx, 30, 40);                              /* no SYN: this is the start */
    assert_true(fx->stream.has_isn);
    feed(fx, 0, 30);                               /* before the pickup: old */
    feed(fx, 70, HTTP_GET_LEN - 70);
    assert_delivered(fx, http_get + 30, HTTP_GET_LEN - 30);
    assert_int_equal(fx->stream.retransmitted, 1);
    ptl_stream_syn(&fx->stream, 12345);            /* a late SYN changes nothing now */
    assert_int_equal(fx->stream.next_seq, fx->base + HTTP_GET_LEN);
}

/* Pure ACKs and zero-length segments at odd positions disturb nothing. */
static void
test_stream_zero_length(void **state)
{
    Fixture *fx = *state;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 0, 20);
    feed(fx, 500, 0);
    feed(fx, 5, 0);
    ptl_stream_acked(&fx->stream, fx->base + 20, &fx->sink);
    feed(fx, 20, HTTP_GET_LEN - 20);
    assert_delivered(fx, http_get, HTTP_GET_LEN);
    assert_int_equal(fx->stream.retransmitted + fx->stream.out_of_order + fx->stream.gaps, 0);
}

/* Far ahead of next_seq is garbage, not a hole to wait for. */
static void
test_stream_far_jump_dropped(void **state)
{
    Fixture *fx = *state;
    ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
    feed(fx, 0, 10);
    ptl_stream_segment(&fx->stream, NULL, fx->base + 10 + (1u << 30) + 1, http_get, 20, FALSE,
                       &fx->sink);
    assert_int_equal(fx->stream.dropped, 20);
    assert_int_equal(fx->stream.ooo_count, 0);
    ptl_stream_acked(&fx->stream, fx->base + 10 + (1u << 30) + 1, &fx->sink);  /* bogus */
    assert_int_equal(fx->gaps, 0);
    feed(fx, 10, HTTP_GET_LEN - 10);
    assert_delivered(fx, http_get, HTTP_GET_LEN);
}

/* Cut anywhere, delivered in either order, the message comes out the same. */
static void
test_stream_split_any_offset(void **state)
{
    (void) state;
    for (guint32 cut = 1; cut < HTTP_GET_LEN; cut++) {
        for (guint is_reversed = 0; is_reversed < 2; is_reversed++) {
            void *st = NULL;
            fixture_setup(&st);
            Fixture *fx = st;
            ptl_stream_syn(&fx->stream, HTTP_GET_ISN);
            if (is_reversed)
                feed(fx, cut, HTTP_GET_LEN - cut);
            feed(fx, 0, cut);
            if (!is_reversed)
                feed(fx, cut, HTTP_GET_LEN - cut);
            assert_delivered(fx, http_get, HTTP_GET_LEN);
            fixture_teardown(&st);
        }
    }
}

#define STREAM_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        STREAM_TEST(test_stream_in_order),
        cmocka_unit_test(test_stream_out_of_order_permutations),
        STREAM_TEST(test_stream_overlap_partial),
        STREAM_TEST(test_stream_overlap_first_wins),
        STREAM_TEST(test_stream_retransmission),
        STREAM_TEST(test_stream_wraparound),
        STREAM_TEST(test_stream_gap_by_ack),
        STREAM_TEST(test_stream_gap_by_flush),
        STREAM_TEST(test_stream_cap_bytes),
        STREAM_TEST(test_stream_cap_segments),
        STREAM_TEST(test_stream_after_fin_ignored),
        STREAM_TEST(test_stream_mid_stream_start),
        STREAM_TEST(test_stream_zero_length),
        STREAM_TEST(test_stream_far_jump_dropped),
        cmocka_unit_test(test_stream_split_any_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
