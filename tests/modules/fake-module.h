/* fake-module.h: one fake dissector per test module, varied by macros, so the
 * loader can be shown good and bad modules.  FAKE_NAME, FAKE_ABI, FAKE_FEED. */
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

static const PtlDissector fake_dissector = {
    FAKE_ABI, FAKE_NAME, fake_ports, fake_probe, fake_state_new, g_free, FAKE_FEED, NULL,
    fake_emit, "0.0.1", "a module for the loader tests", NULL,
};
