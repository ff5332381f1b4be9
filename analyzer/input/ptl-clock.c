/* ptl-clock.c: the capture's own timeline. */
#include "ptl-clock.h"

#include "ptl-time.h"

#include <string.h>

static gboolean
clock_is_near(gint64 a, gint64 b)
{
    gint64 d = ptl_time_sub_sat(a, b);
    return d <= PTL_CLOCK_MAX_JUMP_NS && d >= -PTL_CLOCK_MAX_JUMP_NS;
}

static void
clock_count_jump(PtlClock *clock, const PtlClockStamp *stamp)
{
    if (clock->jumps++ == 0)
        clock->first_jump = *stamp;
}

void
ptl_clock_init(PtlClock *clock)
{
    memset(clock, 0, sizeof *clock);
}

gboolean
ptl_clock_is_off(const PtlClock *clock, gint64 ts_ns)
{
    return clock->has_time && !clock_is_near(ts_ns, clock->now_ns);
}

void
ptl_clock_accept(PtlClock *clock, const PtlPacket *pkt)
{
    if (!clock->has_time)
        clock->first_packet = (PtlClockStamp) { pkt->file_index, pkt->number, pkt->ts_ns };
    clock->has_time = TRUE;
    clock->now_ns = pkt->ts_ns;
    clock->run++;
}

gboolean
ptl_clock_resolve(PtlClock *clock, const PtlClockStamp *held, gboolean has_next,
                  gint64 next_ts_ns, gboolean *was_first_odd)
{
    *was_first_odd = FALSE;
    gboolean has_moved = has_next && clock_is_near(next_ts_ns, held->ts_ns)
                         && !clock_is_near(next_ts_ns, clock->now_ns);
    if (!has_moved) {
        clock_count_jump(clock, held);
        return FALSE;
    }
    /* a timeline of one packet was that packet's own odd stamp */
    if (clock->run == 1) {
        *was_first_odd = TRUE;
        clock_count_jump(clock, &clock->first_packet);
    }
    clock->now_ns = held->ts_ns;
    clock->run = 0;
    return TRUE;
}
