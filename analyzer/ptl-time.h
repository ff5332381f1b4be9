/* ptl-time.h: capture timestamps as text, and arithmetic on them that saturates
 * (a capture may carry any stamp up to the pcapng maximum). */
#pragma once

#include <glib.h>

/* "2024-05-01T10:00:00.123456Z" (RFC 3339, UTC, microseconds) into buf,
 * which holds at least PTL_TS_STRLEN bytes; returns buf */
#define PTL_TS_STRLEN 40
const char *ptl_ts_format(gint64 ts_ns, char *buf);

/* a + b and a - b, clamped to the gint64 range instead of overflowing */
static inline gint64
ptl_time_add_sat(gint64 a, gint64 b)
{
    gint64 sum;
    if (__builtin_add_overflow(a, b, &sum))
        return b > 0 ? G_MAXINT64 : G_MININT64;
    return sum;
}

static inline gint64
ptl_time_sub_sat(gint64 a, gint64 b)
{
    gint64 diff;
    if (__builtin_sub_overflow(a, b, &diff))
        return b < 0 ? G_MAXINT64 : G_MININT64;
    return diff;
}
