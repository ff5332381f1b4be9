/* An ABI 1 module, built against the frozen ABI 1 header next to this file (quoted
 * includes search this directory first): the loader must still take it and the core
 * must feed it.  Confirms on any bytes, consumes them all, counts them. */
#include "ptl-dissector.h"

typedef struct {
    guint64 bytes;
} Abi1State;

static PtlProbe
abi1_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    return len > 0 ? PTL_PROBE_YES : PTL_PROBE_MAYBE;
}

static PtlProbe
abi1_probe_datagram(const guint8 *data, gsize len, PtlDirection dir, guint16 server_port)
{
    return PTL_PROBE_NO;
}

static gpointer
abi1_state_new(void)
{
    return g_new0(Abi1State, 1);
}

static gssize
abi1_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
          gsize len, GError **error)
{
    Abi1State *s = state;
    if (s->bytes == 0 && ctx != NULL && ctx->fact != NULL)
        ctx->fact(ctx, PTL_FACT_CONFIRMED, "abi1");
    s->bytes += len;
    return (gssize) len;
}

static void
abi1_emit(gpointer state, JsonBuilder *b)
{
    ptl_emit_int(b, "bytes", (gint64) ((Abi1State *) state)->bytes);
}

static const guint16 abi1_ports[] = { 9998, 0 };

static const PtlDissector abi1_dissector = {
    .abi_version = PTL_DISSECTOR_ABI_VERSION,
    .name = "oldie",
    .default_ports = abi1_ports,
    .probe = abi1_probe,
    .state_new = abi1_state_new,
    .state_free = g_free,
    .feed = abi1_feed,
    .gap = NULL,
    .emit = abi1_emit,
    .version = "0.1.0",
    .description = "an ABI 1 module",
    .probe_datagram = abi1_probe_datagram,
};

G_STATIC_ASSERT(PTL_DISSECTOR_ABI_VERSION == 1);
PTL_DISSECTOR_DEFINE(abi1_dissector)
