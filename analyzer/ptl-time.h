/* ptl-time.h: capture timestamps as text. */
#pragma once

#include <glib.h>

/* "2024-05-01T10:00:00.123456Z" (RFC 3339, UTC, microseconds) into buf,
 * which holds at least PTL_TS_STRLEN bytes; returns buf */
#define PTL_TS_STRLEN 40
const char *ptl_ts_format(gint64 ts_ns, char *buf);
