/* ptl-app.h: the application layer of one flow.
 *
 * Probes each direction's first bytes with every dissector (the port only
 * orders the candidates; content decides), then feeds the chosen dissector the
 * reassembled bytes, holding what it did not consume (at most PTL_PENDING_MAX
 * per direction).  Keeps the facts dissectors report for the rule engine.
 * Allocated only for flows that carry payload. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ptl-dissector.h"
#include "ptl-memcap.h"
#include "ptl-plugins.h"

typedef enum {
    PTL_APP_PROBING,     /* not decided yet */
    PTL_APP_IDENTIFIED,  /* a dissector accepted the content (or the rules forced one) */
    PTL_APP_UNKNOWN,     /* every dissector said no */
    PTL_APP_UNDECIDED,   /* ended while a dissector still wanted more bytes: unconfirmed */
} PtlAppStatus;

typedef struct _PtlApp PtlApp;

/* Records a flow keeps; later ones are counted as dropped and not built. */
#define PTL_APP_MAX_RECORDS 1000

/* Where an app's records and newly raised facts go; one for all flows (the analyzer's).
 * Facts and records arrive during ptl_app_data, while the packet is handled. */
typedef struct {
    /* NULL: nobody reads records, so record_begin tells modules to build none */
    void (*record)(gpointer user_data, gpointer flow, JsonNode *record); /* transfer none */
    /* a fact raised for the first time on this flow; may be NULL */
    void (*fact)(gpointer user_data, gpointer flow, PtlFact fact);
    gpointer user_data;
} PtlAppHooks;

/* forced: a dissector the rules put on this port (protocol_by "port"), or NULL.
 * transfer full */
PtlApp      *ptl_app_new(const PtlPluginSet *plugins, PtlTransport transport, guint16 client_port,
                         guint16 server_port, const PtlPlugin *forced);
void         ptl_app_free(PtlApp *app);
/* Charges the app, its dissector state and its buffers to m from now on; a buffer
 * that would not fit is given up (that direction stops) and counted. */
void         ptl_app_set_memcap(PtlApp *app, PtlMemcap *m);
/* Facts and records of this app go to hooks (transfer none, outlives the app), tagged
 * with `flow` and, inside each record, flow_id. */
void         ptl_app_set_hooks(PtlApp *app, const PtlAppHooks *hooks, gpointer flow,
                               guint64 flow_id);
/* Capture time of the bytes about to be given: ctx->ts_ns and the records' "ts". */
void         ptl_app_set_time(PtlApp *app, gint64 ts_ns);
/* Records the dissector produced (built or not), and those over PTL_APP_MAX_RECORDS. */
guint64      ptl_app_records(const PtlApp *app);
guint64      ptl_app_records_dropped(const PtlApp *app);
/* Feeds the need() hint saved (pending bytes not presented again). */
guint64      ptl_app_feeds_held(const PtlApp *app);
/* Bytes held for later (probe and pending buffers). */
gsize        ptl_app_held_bytes(const PtlApp *app);
/* Bytes were given up because the memory budget was full. */
gboolean     ptl_app_is_memcap_hit(const PtlApp *app);

/* In-order stream bytes of one direction (TCP), or one whole datagram (UDP). */
void         ptl_app_data(PtlApp *app, PtlDirection dir, const guint8 *data, gsize len);
/* `missing` bytes of dir will never come. */
void         ptl_app_gap(PtlApp *app, PtlDirection dir, guint64 missing);
/* End of flow: unconsumed bytes make it truncated; an undecided flow is unknown. */
void         ptl_app_finish(PtlApp *app);

PtlAppStatus ptl_app_status(const PtlApp *app);
/* "amqp", "websocket" after an upgrade, "unknown" (also when undecided), or NULL
 * while probing. transfer none */
const char  *ptl_app_protocol(const PtlApp *app);
/* transfer none: the identified dissector, or NULL */
const PtlPlugin *ptl_app_plugin(const PtlApp *app);
gboolean     ptl_app_has_fact(const PtlApp *app, PtlFact fact);
/* transfer none: distinct details of a fact (at most a few), or NULL */
const GPtrArray *ptl_app_fact_details(const PtlApp *app, PtlFact fact);
/* transfer none: the dissector's error, or NULL */
const char  *ptl_app_error(const PtlApp *app);
gboolean     ptl_app_is_truncated(const PtlApp *app);
gboolean     ptl_app_has_gap(const PtlApp *app);

/* Members of a flow object: protocol, protocol_by, port_candidate, app {name: {...}},
 * and when they apply dissector_error, truncated, unknown_bytes, undecided. */
void         ptl_app_emit(PtlApp *app, JsonBuilder *builder);
/* For flows without an app (no payload): protocol null and the port candidate. */
void         ptl_app_emit_none(const PtlPluginSet *plugins, PtlTransport transport,
                               guint16 server_port, JsonBuilder *builder);
