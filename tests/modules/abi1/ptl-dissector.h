/* FROZEN: analyzer/ptl-dissector.h as ABI 1 shipped it (portolan before ABI 2), kept
 * verbatim below this comment so tests/modules/abi1.c is built exactly as a module in
 * the field was.  Never edit. */
/* ptl-dissector.h: the dissector plugin ABI (see STYLE.md section 1).
 *
 * A dissector is a GModule exporting `ptl_dissector_entry`, which returns a
 * static const PtlDissector.  Modules never call into the core: only this
 * header, ptl-cursor.h, GLib and json-glib cross the boundary.  Any change
 * here bumps PTL_DISSECTOR_ABI_VERSION; fields are never reordered. */
#pragma once

#include <glib.h>
#include <gmodule.h>
#include <json-glib/json-glib.h>

#include "ptl-cursor.h"

#define PTL_DISSECTOR_ABI_VERSION 1u

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

/* Given to feed(); owned by the core, valid for the call only. */
struct _PtlFlowContext {
    /* detail: transfer none, copied by the core; may be NULL.  Never a secret. */
    void     (*fact)(const PtlFlowContext *ctx, PtlFact fact, const char *detail);
    gpointer     core_data;     /* the core's; modules never touch it */
    PtlTransport transport;
    guint16      client_port;
    guint16      server_port;
};

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
    const char    *name;           /* "amqp": unique, lower case, JSON key */
    const guint16 *default_ports;  /* 0-terminated */
    PtlProbe  (*probe)(const guint8 *data, gsize len, PtlDirection dir);
    gpointer (*state_new)(void);
    void     (*state_free)(gpointer state);
    gssize   (*feed)(gpointer state, const PtlFlowContext *ctx, PtlDirection dir,
                     const guint8 *data, gsize len, GError **error);
    gboolean (*gap)(gpointer state, PtlDirection dir, gsize missing);  /* optional */
    void     (*emit)(gpointer state, JsonBuilder *builder);
    /* ABI 1, after the style guide's core fields */
    const char    *version;        /* the module's own version, "1.0.0" */
    const char    *description;    /* one line for `portolan plugins` */
    /* optional: NULL means TCP only.  Datagram probe for UDP flows; the port is
     * the server's, since UDP services (NetBIOS 137) are known by port. */
    PtlProbe  (*probe_datagram)(const guint8 *data, gsize len, PtlDirection dir,
                                guint16 server_port);
} PtlDissector;

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
