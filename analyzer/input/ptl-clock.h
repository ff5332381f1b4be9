/* ptl-clock.h: the capture's own timeline, and packets whose stamp leaves it.
 *
 * A packet stamped more than PTL_CLOCK_MAX_JUMP_NS away from its neighbours (a
 * clock stepped back and forth, a stamp of 0 or 2038 in the middle of a 2024
 * capture) is a clock jump: it is analyzed at the timeline's time, so it moves
 * no first or last time and ends or splits no flow.  Whether an odd stamp is a
 * jump or the capture really moved on (a pause, files put together) is known
 * at the next packet, so the caller holds the odd packet until then: when the
 * next one agrees with it, the timeline moves there. */
#pragma once

#include <glib.h>

#include "ptl-capture.h"

#define PTL_CLOCK_MAX_JUMP_NS (G_GINT64_CONSTANT(3600) * G_GINT64_CONSTANT(1000000000))

typedef struct {
    guint   file_index;
    guint64 number;          /* packet number within its file */
    gint64  ts_ns;           /* the stamp as written */
} PtlClockStamp;

typedef struct {
    gint64        now_ns;        /* the timeline: the last stamp accepted */
    gboolean      has_time;
    guint64       run;           /* packets accepted since the timeline (re)started */
    PtlClockStamp first_packet;
    guint64       jumps;
    PtlClockStamp first_jump;    /* valid when jumps > 0 */
} PtlClock;

void     ptl_clock_init(PtlClock *clock);
/* Is this stamp off the timeline (to be held until the next packet says)? */
gboolean ptl_clock_is_off(const PtlClock *clock, gint64 ts_ns);
/* The packet is analyzed at its own stamp: the timeline follows it. */
void     ptl_clock_accept(PtlClock *clock, const PtlPacket *pkt);
/* The held odd packet, given the stamp of the one after it (has_next FALSE at
 * the end of input): TRUE when the capture moved on (accept it), FALSE when it
 * is a jump (counted; analyze it at now_ns).  *was_first_odd: the capture moved
 * on after a single packet, so that first packet was the jump (counted). */
gboolean ptl_clock_resolve(PtlClock *clock, const PtlClockStamp *held, gboolean has_next,
                           gint64 next_ts_ns, gboolean *was_first_odd);
