/* ptl-dissector-abi1.h: the frozen ABI 1 descriptor layout, for the loader only.
 *
 * ABI 1 modules keep loading: the loader reads their descriptor through this copy
 * and converts it to the current PtlDissector.  Never edit: modules in the field
 * were built against exactly this.  tests/modules/abi1/ builds a module against
 * the complete ABI 1 header to prove it. */
#pragma once

#include "ptl-dissector.h"

#define PTL_DISSECTOR_ABI_1 1u

/* ABI 1's PtlFlowContext is the first five members of today's: the core's context
 * serves both.  Its callback types are unchanged. */
typedef struct {
    guint32        abi_version;
    const char    *name;
    const guint16 *default_ports;
    PtlProbe  (*probe)(const guint8 *data, gsize len, PtlDirection dir);
    gpointer (*state_new)(void);
    void     (*state_free)(gpointer state);
    gssize   (*feed)(gpointer state, const PtlFlowContext *ctx, PtlDirection dir,
                     const guint8 *data, gsize len, GError **error);
    gboolean (*gap)(gpointer state, PtlDirection dir, gsize missing);
    void     (*emit)(gpointer state, JsonBuilder *builder);
    const char    *version;
    const char    *description;
    PtlProbe  (*probe_datagram)(const guint8 *data, gsize len, PtlDirection dir,
                                guint16 server_port);
} PtlDissectorAbi1;
