/* many.c: one of the copies built to load more than 32 modules at once.  Each
 * copy is named by MANY_NAME and accepts only a stream that starts with it and
 * a space ("many-3 " is not "many-36 "). */
#include "ptl-dissector.h"

#include <string.h>

static PtlProbe
many_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    static const char tag[] = MANY_NAME " ";
    gsize n = sizeof tag - 1;
    if (len < n)
        return memcmp(data, tag, len) == 0 ? PTL_PROBE_MAYBE : PTL_PROBE_NO;
    return memcmp(data, tag, n) == 0 ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static gpointer
many_state_new(void)
{
    return g_new0(int, 1);
}

static gssize
many_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
          gsize len, GError **error)
{
    return (gssize) len;
}

static void
many_emit(gpointer state, JsonBuilder *builder)
{
}

static const guint16 many_ports[] = { 0 };   /* no port: every copy is probed in load order */

static const PtlDissector many_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = MANY_NAME,
    .default_ports = many_ports,
    .probe = many_probe,
    .state_new = many_state_new,
    .state_free = g_free,
    .feed = many_feed,
    .emit = many_emit,
    .version = "0.0.1",
    .description = "a copy for the more-than-32-modules test",
};

PTL_DISSECTOR_DEFINE(many_dissector)
