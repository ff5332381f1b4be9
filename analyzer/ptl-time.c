/* ptl-time.c: capture timestamps as text. */
#include "ptl-time.h"

#include <time.h>

const char *
ptl_ts_format(gint64 ts_ns, char *buf)
{
    gint64 secs = ts_ns / 1000000000;
    gint64 frac = ts_ns % 1000000000;
    if (frac < 0) { /* before 1970: keep the fraction positive */
        frac += 1000000000;
        secs--;
    }
    time_t t = (time_t) secs;
    struct tm tm;
    char date[32] = "1970-01-01T00:00:00";
    if (gmtime_r(&t, &tm) != NULL)
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    g_snprintf(buf, PTL_TS_STRLEN, "%s.%06ldZ", date, (long) (frac / 1000));
    return buf;
}
