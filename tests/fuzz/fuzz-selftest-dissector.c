/* fuzz-selftest-dissector.c: a dissector that breaks one rule of the plugin contract,
 * chosen at build time by SELFTEST_BREAK, so that the tests prove fuzz-dissector.c
 * notices each (tests/fuzz/meson.build: every variant must abort on selftest.input,
 * and SELFTEST_BREAK=0, which breaks nothing, must pass). */
#include "ptl-dissector.h"

enum {
    SELFTEST_FEED_OVER = 1,     /* returns more than it was given */
    SELFTEST_FAIL_SILENTLY,     /* -1 without an error */
    SELFTEST_ERROR_ON_SUCCESS,  /* an error, but a count */
    SELFTEST_PROBE_OUT_OF_RANGE,
    SELFTEST_EMIT_UNBALANCED,   /* opens an object it never closes */
    SELFTEST_EMIT_INVALID_UTF8,
    SELFTEST_EMIT_UNCUT,        /* a string past PTL_MAX_STRING */
};

static const guint16 selftest_ports[] = { 9, 0 };

static PtlProbe
selftest_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    return SELFTEST_BREAK == SELFTEST_PROBE_OUT_OF_RANGE ? (PtlProbe) 7 : PTL_PROBE_MAYBE;
}

static gpointer
selftest_state_new(void)
{
    return g_new0(guint64, 1);
}

static gssize
selftest_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
              gsize len, GError **error)
{
    switch (SELFTEST_BREAK) {
    case SELFTEST_FEED_OVER:
        return (gssize) len + 1;
    case SELFTEST_FAIL_SILENTLY:
        return -1;
    case SELFTEST_ERROR_ON_SUCCESS:
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED, "selftest");
        return 0;
    default:
        *(guint64 *) state += len;
        return (gssize) len;
    }
}

static void
selftest_emit(gpointer state, JsonBuilder *b)
{
    ptl_emit_int(b, "bytes", (gint64) *(guint64 *) state);
    if (*(guint64 *) state == 0)
        return;                 /* a fresh state emits right: only fed ones break */
    if (SELFTEST_BREAK == SELFTEST_EMIT_UNBALANCED) {
        json_builder_set_member_name(b, "open");
        json_builder_begin_object(b);
    } else if (SELFTEST_BREAK == SELFTEST_EMIT_INVALID_UTF8) {
        json_builder_set_member_name(b, "raw");
        json_builder_add_string_value(b, "\xff\xfe");
    } else if (SELFTEST_BREAK == SELFTEST_EMIT_UNCUT) {
        g_autofree char *long_value = g_strnfill(4 * PTL_MAX_STRING, 'a');
        json_builder_set_member_name(b, "long");
        json_builder_add_string_value(b, long_value);
    }
}

static const PtlDissector selftest_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "selftest",
    .default_ports = selftest_ports,
    .probe = selftest_probe,
    .state_new = selftest_state_new,
    .state_free = g_free,
    .feed = selftest_feed,
    .emit = selftest_emit,
};

PTL_DISSECTOR_DEFINE(selftest_dissector)
