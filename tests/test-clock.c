/* test-clock.c: the capture's timeline (analyzer/ptl-clock.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-clock.h"

#define SECOND_NS G_GINT64_CONSTANT(1000000000)
#define T2024_NS  (G_GINT64_CONSTANT(1714557600) * SECOND_NS)
#define T2038_NS  (G_GINT64_CONSTANT(2147483648) * SECOND_NS)

/* Feeds stamps as the analyzer does: odd ones are held until the next. Returns the
 * times the packets were analyzed at, in the order they were analyzed. */
static GArray *
clock_run(PtlClock *clock, const gint64 *stamps, guint n)
{
    GArray *at = g_array_new(FALSE, FALSE, sizeof(gint64));
    gboolean has_held = FALSE;
    PtlPacket held = { 0 };
    for (guint i = 0; i <= n; i++) {
        gboolean has_next = i < n;
        PtlPacket pkt = { .ts_ns = has_next ? stamps[i] : 0, .number = i + 1 };
        if (has_held) {
            gboolean was_first_odd;
            PtlClockStamp stamp = { 0, held.number, held.ts_ns };
            if (ptl_clock_resolve(clock, &stamp, has_next, pkt.ts_ns, &was_first_odd))
                ptl_clock_accept(clock, &held);
            else
                held.ts_ns = clock->now_ns;
            g_array_append_val(at, held.ts_ns);
            has_held = FALSE;
        }
        if (!has_next)
            break;
        if (ptl_clock_is_off(clock, pkt.ts_ns)) {
            held = pkt;
            has_held = TRUE;
            continue;
        }
        ptl_clock_accept(clock, &pkt);
        g_array_append_val(at, pkt.ts_ns);
    }
    return at;
}

static gint64
at_index(const GArray *at, guint i)
{
    assert_true(i < at->len);
    return g_array_index(at, gint64, i);
}

/* One packet of 2038, 0, 0xffffffff s or the pcapng maximum in a 2024 capture:
 * a jump, analyzed at its neighbour's time, counted with its number. */
static void
test_clock_single_jump(void **state)
{
    (void) state;
    const gint64 odd[] = { T2038_NS, 0, G_GINT64_CONSTANT(0xffffffff) * SECOND_NS, G_MAXINT64 };
    for (guint k = 0; k < G_N_ELEMENTS(odd); k++) {
        const gint64 stamps[] = { T2024_NS, T2024_NS + 1, odd[k], T2024_NS + 2, T2024_NS + 3 };
        PtlClock clock;
        ptl_clock_init(&clock);
        g_autoptr(GArray) at = clock_run(&clock, stamps, G_N_ELEMENTS(stamps));
        assert_int_equal(at->len, 5);
        assert_int_equal(clock.jumps, 1);
        assert_int_equal(clock.first_jump.number, 3);
        assert_true(clock.first_jump.ts_ns == odd[k]);
        assert_true(at_index(at, 2) == T2024_NS + 1);
        assert_true(clock.now_ns == T2024_NS + 3);
    }
}

/* A pause of two hours is the capture moving on, not a jump. */
static void
test_clock_real_gap(void **state)
{
    (void) state;
    const gint64 later = T2024_NS + 7200 * SECOND_NS;
    const gint64 stamps[] = { T2024_NS, T2024_NS + 1, later, later + 1, later + 2 };
    PtlClock clock;
    ptl_clock_init(&clock);
    g_autoptr(GArray) at = clock_run(&clock, stamps, G_N_ELEMENTS(stamps));
    assert_int_equal(clock.jumps, 0);
    for (guint i = 0; i < G_N_ELEMENTS(stamps); i++)
        assert_true(at_index(at, i) == stamps[i]);
}

/* An odd first packet is seen as such once two others agree with each other. */
static void
test_clock_first_odd(void **state)
{
    (void) state;
    const gint64 stamps[] = { 0, T2024_NS, T2024_NS + 1 };
    PtlClock clock;
    ptl_clock_init(&clock);
    g_autoptr(GArray) at = clock_run(&clock, stamps, G_N_ELEMENTS(stamps));
    assert_int_equal(clock.jumps, 1);
    assert_int_equal(clock.first_jump.number, 1);
    assert_true(at_index(at, 1) == T2024_NS);
}

/* The last packet has one neighbour only; it disagrees, so it is a jump. */
static void
test_clock_last_odd(void **state)
{
    (void) state;
    const gint64 stamps[] = { T2024_NS, T2024_NS + 1, G_MAXINT64 };
    PtlClock clock;
    ptl_clock_init(&clock);
    g_autoptr(GArray) at = clock_run(&clock, stamps, G_N_ELEMENTS(stamps));
    assert_int_equal(clock.jumps, 1);
    assert_true(at_index(at, 2) == T2024_NS + 1);
}

/* A whole capture at the extremes is a timeline like any other. */
static void
test_clock_all_at_extremes(void **state)
{
    (void) state;
    const gint64 edges[] = { 0, G_GINT64_CONSTANT(0xffffffff) * SECOND_NS, G_MAXINT64 };
    for (guint k = 0; k < G_N_ELEMENTS(edges); k++) {
        const gint64 stamps[] = { edges[k], edges[k], edges[k] };
        PtlClock clock;
        ptl_clock_init(&clock);
        g_autoptr(GArray) at = clock_run(&clock, stamps, G_N_ELEMENTS(stamps));
        assert_int_equal(clock.jumps, 0);
        assert_true(at_index(at, 2) == edges[k]);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_single_jump),
        cmocka_unit_test(test_clock_real_gap),
        cmocka_unit_test(test_clock_first_odd),
        cmocka_unit_test(test_clock_last_odd),
        cmocka_unit_test(test_clock_all_at_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
