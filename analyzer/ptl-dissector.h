/* ptl-dissector.h: the dissector plugin ABI (STYLE.md section 1, docs/plugin-abi.md).
 *
 * A dissector is a GModule exporting `ptl_dissector_entry`, which returns a
 * static const PtlDissector.  Modules never call into the core: only this
 * header, ptl-module.h, ptl-cursor.h, GLib and json-glib cross the boundary.
 *
 * Versioning: abi_version says which layout a descriptor has; within ABI 2,
 * struct_size (sizeof at the module's build time, set by PTL_DISSECTOR_HEADER)
 * says how many of its fields the module has.  New fields are only ever
 * appended, so the core reads the first struct_size bytes and treats the rest as
 * NULL.  The same holds for PtlFlowContext, whose struct_size the core sets.
 * ABI 1 modules still load: the loader keeps a frozen copy of that layout. */
#pragma once

#include <stddef.h>

#include <glib.h>
#include <gmodule.h>
#include <json-glib/json-glib.h>

#include "ptl-cursor.h"

#define PTL_DISSECTOR_ABI_VERSION 2u

/* probe sees at most this many bytes of one direction; MAYBE at the limit is NO */
#define PTL_PROBE_MAX_BYTES 2048
/* unconsumed bytes the core holds per direction before it gives up on a flow */
#define PTL_PENDING_MAX (128 * 1024)
/* longest string a dissector emits, in bytes, after g_utf8_make_valid */
#define PTL_MAX_STRING 256

typedef enum { PTL_DIR_TO_SERVER, PTL_DIR_TO_CLIENT } PtlDirection;
typedef enum { PTL_PROBE_NO, PTL_PROBE_MAYBE, PTL_PROBE_YES } PtlProbe;

/* What the rule engine needs to know, told through ctx->fact(). */
typedef enum {
    PTL_FACT_CONFIRMED,         /* a complete, valid PDU was parsed; detail: variant ("0-9-1") */
    PTL_FACT_CLEARTEXT_AUTH,    /* credentials crossed in clear; detail: "AMQP PLAIN user guest" */
    PTL_FACT_UPGRADE_TLS,       /* the stream switched to TLS (STARTTLS, TLS record seen) */
    PTL_FACT_UPGRADE_WEBSOCKET, /* HTTP 101 to websocket: the flow is now websocket */
    PTL_FACT_REQUEST_FAILED,    /* an application error reply; detail: the code or name */
    PTL_FACT_ENCRYPTED,         /* payload encrypted by the protocol itself (SMB3 transform) */
    PTL_FACT_COUNT
} PtlFact;

typedef enum { PTL_TRANSPORT_TCP = 6, PTL_TRANSPORT_UDP = 17 } PtlTransport;

typedef struct _PtlFlowContext PtlFlowContext;

/* Given to feed(); owned by the core, valid for the call only.  Modules call the
 * function pointers through ptl-module.h, which checks struct_size first. */
struct _PtlFlowContext {
    /* ---- ABI 1 ---- */
    /* detail: transfer none, copied by the core; may be NULL.  Never a secret.
     * The core judges the fact at once (a live finding does not wait for the end). */
    void     (*fact)(const PtlFlowContext *ctx, PtlFact fact, const char *detail);
    gpointer     core_data;     /* the core's; modules never touch it */
    PtlTransport transport;
    guint16      client_port;
    guint16      server_port;
    /* ---- ABI 2: valid when struct_size covers them (0 = ABI-1 members only) ---- */
    guint32      struct_size;   /* sizeof(PtlFlowContext) in the core that filled it */
    gint64       ts_ns;         /* capture time of the packet whose bytes are being fed */
    /* One record (a request with its reply, a command, a session event): transfer
     * none, a builder with an object already open holding the core's members
     * "kind", "ts" (ts_ns as ISO 8601 UTC text) and "flow_id"; add members with ptl_emit_*, then record_end.
     * NULL when the flow's record cap is reached (the core counts it dropped) or
     * nobody consumes records: then build nothing.  kind: a static lower_snake
     * name ("http_request"). */
    JsonBuilder *(*record_begin)(const PtlFlowContext *ctx, const char *kind);
    void         (*record_end)(const PtlFlowContext *ctx);
    /* The "needed" hint: do not present this direction's pending bytes again until
     * `more` further bytes arrived (a length header said so).  Cleared by any feed
     * that consumes bytes; a hint is never required for correctness. */
    void         (*need)(const PtlFlowContext *ctx, PtlDirection dir, gsize more);
};

/* The size of the first ABI 2 layout of PtlFlowContext: a core fills at least this. */
#define PTL_FLOW_CONTEXT_SIZE_2 \
    (offsetof(PtlFlowContext, need) + sizeof(((PtlFlowContext *) 0)->need))

#define PTL_DISSECT_ERROR (ptl_dissect_error_quark())
typedef enum {
    PTL_DISSECT_ERROR_MALFORMED,   /* bytes break the protocol's grammar */
    PTL_DISSECT_ERROR_LIMIT,       /* a length is over the protocol maximum or a cap */
    PTL_DISSECT_ERROR_UNSUPPORTED, /* valid, but a variant this dissector does not read */
} PtlDissectError;

/* Inline so modules need no core symbol. */
static inline GQuark
ptl_dissect_error_quark(void)
{
    return g_quark_from_static_string("ptl-dissect-error-quark");
}

typedef struct {
    guint32        abi_version;    /* always first; PTL_DISSECTOR_ABI_VERSION */
    guint32        struct_size;    /* sizeof(PtlDissector) when the module was built */
    const char    *name;           /* "amqp": unique, lower case, JSON key */
    const char    *version;        /* the module's own version, "1.0.0" */
    const char    *description;    /* one line for `portolan plugins` */
    const guint16 *default_ports;  /* 0-terminated */
    PtlProbe  (*probe)(const guint8 *data, gsize len, PtlDirection dir);
    /* optional: NULL means TCP only.  Datagram probe for UDP flows; the port is
     * the server's, since UDP services (NetBIOS 137) are known by port. */
    PtlProbe  (*probe_datagram)(const guint8 *data, gsize len, PtlDirection dir,
                                guint16 server_port);
    gpointer (*state_new)(void);
    void     (*state_free)(gpointer state);
    gssize   (*feed)(gpointer state, const PtlFlowContext *ctx, PtlDirection dir,
                     const guint8 *data, gsize len, GError **error);
    gboolean (*gap)(gpointer state, PtlDirection dir, gsize missing);  /* optional */
    void     (*emit)(gpointer state, JsonBuilder *builder);
    /* later ABI 2 fields are appended here, never inserted */
} PtlDissector;

/* The size of the first ABI 2 descriptor: the loader refuses a smaller struct_size. */
#define PTL_DISSECTOR_SIZE_2 (offsetof(PtlDissector, emit) + sizeof(((PtlDissector *) 0)->emit))

/* First line of every descriptor's designated initializer:
 *   static const PtlDissector amqp_dissector = { PTL_DISSECTOR_HEADER, .name = "amqp", ... }; */
#define PTL_DISSECTOR_HEADER \
    .abi_version = PTL_DISSECTOR_ABI_VERSION, .struct_size = (guint32) sizeof(PtlDissector)

/* last line of every dissector file */
#define PTL_DISSECTOR_DEFINE(desc) \
    G_MODULE_EXPORT const PtlDissector *ptl_dissector_entry(void); \
    G_MODULE_EXPORT const PtlDissector *ptl_dissector_entry(void) { return &(desc); }

/* Helpers for modules: emit a capped, valid UTF-8 string member. */
static inline void
ptl_emit_string(JsonBuilder *b, const char *key, const char *value, gssize len)
{
    if (value == NULL)
        return;
    gsize n = len < 0 ? strlen(value) : (gsize) len;
    if (n > PTL_MAX_STRING)
        n = PTL_MAX_STRING;
    g_autofree char *valid = g_utf8_make_valid(value, (gssize) n);
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, valid);
}

static inline void
ptl_emit_int(JsonBuilder *b, const char *key, gint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

static inline void
ptl_emit_bool(JsonBuilder *b, const char *key, gboolean value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_boolean_value(b, value);
}

/* A {name: count} object from parallel arrays, skipping zero counts: the
 * usual shape for per-opcode / per-method counters. */
static inline void
ptl_emit_counts(JsonBuilder *b, const char *key, const char *const *names,
                const guint64 *counts, gsize n)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    for (gsize i = 0; i < n; i++) {
        if (counts[i] == 0 || names[i] == NULL)
            continue;
        json_builder_set_member_name(b, names[i]);
        json_builder_add_int_value(b, (gint64) counts[i]);
    }
    json_builder_end_object(b);
}
