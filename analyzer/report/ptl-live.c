/* ptl-live.c: the findings of a live run reported as they occur, each
 * (kind, client, server, port) once. */
#include "ptl-live.h"

#include "ptl-community-id.h"
#include "ptl-flow-json.h"
#include "ptl-report.h"

#include <string.h>

/* ---- findings as they occur -------------------------------------------------- */

typedef struct {
    PtlAddr client, server;
    guint16 port;
    guint8  transport;
    guint8  kind;
} LiveEventKey;

typedef struct {
    LiveEventKey key;
    gint64       first_ts_ns;
    guint64      count;
} LiveEvent;

struct _PtlLiveEvents {
    PtlLiveEventsConfig cfg;
    GHashTable         *seen;      /* LiveEvent* set */
    GArray             *pending;   /* PtlFlowRecord */
    JsonBuilder        *builder;
    JsonGenerator      *generator;
    PtlLiveEventCounts  counts;
};

static guint
live_addr_hash(const PtlAddr *a, guint h)
{
    guint n = a->family == 4 ? 4 : 16;
    h = h * 31 + a->family;
    for (guint i = 0; i < n; i++)
        h = h * 31 + a->bytes[i];
    return h;
}

static guint
live_event_hash(gconstpointer p)
{
    const LiveEventKey *k = &((const LiveEvent *) p)->key;
    guint h = live_addr_hash(&k->client, 17);
    h = live_addr_hash(&k->server, h);
    return ((h * 31 + k->port) * 31 + k->transport) * 31 + k->kind;
}

static gboolean
live_event_equal(gconstpointer pa, gconstpointer pb)
{
    const LiveEventKey *a = &((const LiveEvent *) pa)->key;
    const LiveEventKey *b = &((const LiveEvent *) pb)->key;
    return a->port == b->port && a->transport == b->transport && a->kind == b->kind &&
           ptl_addr_equal(&a->client, &b->client) && ptl_addr_equal(&a->server, &b->server);
}

PtlLiveEvents *
ptl_live_events_new(const PtlLiveEventsConfig *cfg)
{
    g_return_val_if_fail(cfg != NULL && cfg->judge != NULL, NULL);
    PtlLiveEvents *ev = g_new0(PtlLiveEvents, 1);
    ev->cfg = *cfg;
    if (ev->cfg.max_events == 0)
        ev->cfg.max_events = PTL_LIVE_EVENTS_MAX;
    if (ev->cfg.max_pending == 0)
        ev->cfg.max_pending = PTL_LIVE_PENDING_MAX;
    ev->seen = g_hash_table_new_full(live_event_hash, live_event_equal, g_free, NULL);
    ev->pending = g_array_new(FALSE, FALSE, sizeof(PtlFlowRecord));
    ev->builder = json_builder_new();
    ev->generator = json_generator_new();
    return ev;
}

void
ptl_live_events_free(PtlLiveEvents *ev)
{
    if (ev == NULL)
        return;
    g_hash_table_unref(ev->seen);
    g_array_unref(ev->pending);
    g_object_unref(ev->builder);
    g_object_unref(ev->generator);
    g_free(ev);
}

void
ptl_live_events_queue(PtlLiveEvents *ev, const PtlFlowRecord *rec)
{
    if (ev->pending->len >= ev->cfg.max_pending) {
        ev->counts.not_judged++;
        return;
    }
    g_array_append_val(ev->pending, *rec);
}

guint
ptl_live_events_pending(const PtlLiveEvents *ev)
{
    return ev->pending->len;
}

const PtlLiveEventCounts *
ptl_live_events_counts(const PtlLiveEvents *ev)
{
    return &ev->counts;
}

static gboolean
live_kind_parse(const char *name, guint8 *out)
{
    for (guint k = 0; name != NULL && k < PTL_FINDING_KIND_COUNT; k++) {
        if (strcmp(name, ptl_finding_kind_name((PtlFindingKind) k)) == 0) {
            *out = (guint8) k;
            return TRUE;
        }
    }
    return FALSE;
}

/* a string member, or NULL when missing, null or not a string */
static const char *
live_string_member(JsonObject *o, const char *name)
{
    JsonNode *node = json_object_get_member(o, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static void
live_json_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

typedef struct {
    const char *product, *service;
} LiveTag;

/* What the judge said of one finding beyond its kind (NULL when it gave only the kind). */
typedef struct {
    const char *severity, *message, *state, *connection;
} LiveFindingText;

static void
live_write_json(PtlLiveEvents *ev, const LiveEvent *e, const PtlFlowRecord *rec,
                const LiveTag *tag, const LiveFindingText *text)
{
    char ts[PTL_TS_STRLEN], client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
    JsonBuilder *b = ev->builder;
    json_builder_reset(b);
    json_builder_begin_object(b);
    live_json_string(b, "schema", PTL_FLOW_SCHEMA);
    live_json_string(b, "event_type", "event");
    live_json_string(b, "ts", ptl_ts_format(e->first_ts_ns, ts));
    live_json_string(b, "kind", ptl_finding_kind_name((PtlFindingKind) e->key.kind));
    live_json_string(b, "severity", text->severity);
    live_json_string(b, "client", ptl_addr_to_string(&e->key.client, client));
    live_json_string(b, "server", ptl_addr_to_string(&e->key.server, server));
    json_builder_set_member_name(b, "port");
    json_builder_add_int_value(b, e->key.port);
    live_json_string(b, "transport", e->key.transport == PTL_TRANSPORT_UDP ? "udp" : "tcp");
    live_json_string(b, "product", tag->product);
    live_json_string(b, "service", tag->service);
    live_json_string(b, "protocol", rec->protocol);
    live_json_string(b, "state", text->state != NULL ? text->state
                                                     : ptl_flow_state_name(rec->state));
    live_json_string(b, "connection", text->connection);
    live_json_string(b, "message", text->message);
    /* mechanism and user only: the record never holds the secret itself */
    if (e->key.kind == PTL_FINDING_CLEARTEXT_CREDENTIALS && rec->auth_detail[0] != '\0')
        live_json_string(b, "auth", rec->auth_detail);
    json_builder_set_member_name(b, "flow_id");
    json_builder_add_int_value(b, (gint64) rec->id);
    char community_id[PTL_COMMUNITY_ID_STRLEN];   /* of the example flow, flow_id */
    live_json_string(b, "community_id", ptl_community_id_flow(&rec->client, rec->client_port,
                     &rec->server, rec->server_port, rec->transport, community_id));
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    if (ev->cfg.format != NULL) {
        ptl_format_writer_event(ev->cfg.format, json_node_get_object(root));
        return;
    }
    json_generator_set_root(ev->generator, root);
    g_autofree char *line = json_generator_to_data(ev->generator, NULL);
    fprintf(ev->cfg.json, "%s\n", line);
    fflush(ev->cfg.json);
}

static void
live_print_line(PtlLiveEvents *ev, const LiveEvent *e, const LiveTag *tag,
                const LiveFindingText *text)
{
    char ts[PTL_TS_STRLEN], client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
    /* the labels of the analyze report: INFO, WARN, ERROR */
    const char *sev = text->severity != NULL ? text->severity : "-";
    g_autofree char *severity = g_ascii_strup(strcmp(sev, "warning") == 0 ? "warn" : sev, -1);
    fprintf(ev->cfg.lines, "%s  %-7s %-22s %s -> %s %s/%u  %s %s\n",
            ptl_ts_format(e->first_ts_ns, ts), severity,
            ptl_finding_kind_name((PtlFindingKind) e->key.kind),
            ptl_addr_to_string(&e->key.client, client), ptl_addr_to_string(&e->key.server, server),
            e->key.transport == PTL_TRANSPORT_UDP ? "udp" : "tcp", e->key.port,
            tag->product != NULL ? tag->product : "-", tag->service != NULL ? tag->service : "-");
    if (text->message != NULL)
        fprintf(ev->cfg.lines, "           %s\n", text->message);
}

/* TRUE when this (kind, client, server, port) is new */
static gboolean
live_events_note(PtlLiveEvents *ev, const PtlFlowRecord *rec, guint8 kind, const LiveTag *tag,
                 const LiveFindingText *text)
{
    ev->counts.occurrences++;
    LiveEvent probe = { { rec->client, rec->server, rec->server_port, rec->transport, kind },
                        rec->first_ts_ns, 1 };
    LiveEvent *e = g_hash_table_lookup(ev->seen, &probe);
    if (e != NULL) {
        e->count++;
        e->first_ts_ns = MIN(e->first_ts_ns, rec->first_ts_ns);
        return FALSE;
    }
    if (g_hash_table_size(ev->seen) >= ev->cfg.max_events) {
        ev->counts.not_remembered++;
        return FALSE;
    }
    e = g_memdup2(&probe, sizeof probe);
    g_hash_table_add(ev->seen, e);
    ev->counts.distinct++;
    if (ev->cfg.lines != NULL)
        live_print_line(ev, e, tag, text);
    if (ev->cfg.json != NULL)
        live_write_json(ev, e, rec, tag, text);
    return TRUE;
}

static guint
live_events_judge(PtlLiveEvents *ev, const PtlFlowRecord *rec)
{
    json_builder_reset(ev->builder);
    json_builder_begin_object(ev->builder);
    ev->cfg.judge(ev->cfg.judge_data, rec, ev->builder);
    json_builder_end_object(ev->builder);
    g_autoptr(JsonNode) root = json_builder_get_root(ev->builder);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return 0;
    JsonObject *o = json_node_get_object(root);
    LiveTag tag = { live_string_member(o, "product"), live_string_member(o, "service") };
    JsonNode *findings = json_object_get_member(o, "findings");
    if (findings == NULL || !JSON_NODE_HOLDS_ARRAY(findings))
        return 0;
    JsonArray *kinds = json_node_get_array(findings);
    guint fresh = 0;
    for (guint i = 0; i < json_array_get_length(kinds); i++) {
        JsonNode *item = json_array_get_element(kinds, i);
        guint8 kind;
        LiveFindingText text = { NULL };
        const char *name = NULL;
        if (JSON_NODE_HOLDS_OBJECT(item)) {
            JsonObject *f = json_node_get_object(item);
            name = live_string_member(f, "kind");
            text = (LiveFindingText) { live_string_member(f, "severity"),
                                       live_string_member(f, "message"),
                                       live_string_member(f, "state"),
                                       live_string_member(f, "connection") };
        } else if (JSON_NODE_HOLDS_VALUE(item) &&
                   json_node_get_value_type(item) == G_TYPE_STRING) {
            name = json_node_get_string(item);
        }
        if (live_kind_parse(name, &kind))
            fresh += live_events_note(ev, rec, kind, &tag, &text);
    }
    return fresh;
}

guint
ptl_live_events_flush(PtlLiveEvents *ev)
{
    guint fresh = 0;
    for (guint i = 0; i < ev->pending->len; i++)
        fresh += live_events_judge(ev, &g_array_index(ev->pending, PtlFlowRecord, i));
    g_array_set_size(ev->pending, 0);
    if (fresh > 0 && ev->cfg.lines != NULL)
        fflush(ev->cfg.lines);
    return fresh;
}

void
ptl_live_judge_verdict(gpointer verdict, const PtlFlowRecord *rec, JsonBuilder *b)
{
    ptl_report_json_flow_findings(verdict, rec, b);
}
