/* fake-module.h: one fake dissector per test module, varied by macros, so the
 * loader can be shown good and bad modules.  FAKE_NAME, FAKE_ABI, FAKE_FEED, and
 * FAKE_SIZE (struct_size; default the true one). */
#include "ptl-dissector.h"

static PtlProbe
fake_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    return PTL_PROBE_NO;
}

static gpointer
fake_state_new(void)
{
    return g_new0(int, 1);
}

G_GNUC_UNUSED static gssize
fake_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
          gsize len, GError **error)
{
    return (gssize) len;
}

static void
fake_emit(gpointer state, JsonBuilder *builder)
{
}

static const guint16 fake_ports[] = { 9999, 0 };

#ifndef FAKE_SIZE
#define FAKE_SIZE sizeof(PtlDissector)
#endif

static const PtlDissector fake_dissector = {
    .abi_version = FAKE_ABI, .struct_size = (guint32) (FAKE_SIZE), .name = FAKE_NAME,
    .version = "0.0.1", .description = "a module for the loader tests",
    .default_ports = fake_ports, .probe = fake_probe, .state_new = fake_state_new,
    .state_free = g_free, .feed = FAKE_FEED, .emit = fake_emit,
};
