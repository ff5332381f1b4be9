/* ptl-app.c: identification by content and feeding of one flow's dissector. */
#include "ptl-app.h"

#include "ptl-time.h"

#include "ptl-json.h"

#include <string.h>

#define APP_MAX_CANDIDATES 32   /* one bit per dissector in the rejected masks */
#define APP_MAX_FACT_DETAILS 4
#define APP_MAX_DETAIL 120
/* an emptied pending buffer up to this size is kept for the flow's next split
 * message instead of being freed and allocated again */
#define APP_KEEP_PENDING (16 * 1024)

static const char *const app_fact_names[PTL_FACT_COUNT] = {
    [PTL_FACT_CONFIRMED] = "confirmed",
    [PTL_FACT_CLEARTEXT_AUTH] = "cleartext_auth",
    [PTL_FACT_UPGRADE_TLS] = "upgrade_tls",
    [PTL_FACT_UPGRADE_WEBSOCKET] = "upgrade_websocket",
    [PTL_FACT_REQUEST_FAILED] = "request_failed",
    [PTL_FACT_ENCRYPTED] = "encrypted",
};

struct _PtlApp {
    const PtlPluginSet *plugins;
    PtlFlowContext      ctx;
    PtlAppStatus        status;
    const PtlPlugin    *plugin;
    const PtlPlugin    *port_candidate;
    gboolean            is_forced;
    gpointer            state;
    guint8              order[APP_MAX_CANDIDATES]; /* plugin indexes, port candidate first */
    guint               n_order;
    guint32             all_mask;
    /* probing, per direction */
    GByteArray         *probe_buf[2];
    guint64             probe_missed[2];   /* bytes not kept while probing (limit, gap) */
    gboolean            is_probe_frozen[2];
    guint32             rejected[2];       /* bit per plugin index: said NO this way */
    /* feeding, per direction */
    GByteArray         *pending[2];
    gsize               pending_peak[2];   /* most bytes a pending buffer held */
    gboolean            is_closed[2];
    guint64             bytes[2];
    gboolean            has_gap;
    gboolean            is_truncated;
    char               *error;
    guint32             fact_mask;
    GPtrArray          *details[PTL_FACT_COUNT];
    /* records, facts as raised, the need() hint */
    const PtlAppHooks  *hooks;
    gpointer            hook_flow;
    guint64             flow_id;
    JsonBuilder        *record;            /* between record_begin and record_end */
    guint64             records;
    guint64             records_dropped;
    gsize               need[2];           /* bytes to wait for before feeding again */
    guint64             feeds_held;
    /* the memory budget */
    PtlMemcap          *memcap;
    gsize               charged;           /* what the budget holds for this app now */
    gsize               state_cost;
    gboolean            is_memcap_hit;
};

/* What a byte array takes on the heap: its header (a GSlice block, which has no
 * malloc size to ask for) and its data block. */
#define APP_ARRAY_HEADER 48
static gsize
app_array_cost(const GByteArray *array)
{
    if (array == NULL)
        return 0;
    return APP_ARRAY_HEADER + ptl_memcap_block_size(array->data);
}

/* Brings the budget up to date with what the app holds now. */
static void
app_account(PtlApp *app)
{
    if (app->memcap == NULL)
        return;
    gsize cost = ptl_memcap_block_size(app) + app->state_cost;
    for (int d = 0; d < 2; d++)
        cost += app_array_cost(app->probe_buf[d]) + app_array_cost(app->pending[d]);
    ptl_memcap_account(app->memcap, &app->charged, cost);
}

/* May `array` grow to `len` bytes?  Estimates GArray's power-of-two growth. */
static gboolean
app_may_grow(PtlApp *app, const GByteArray *array, gsize len)
{
    if (app->memcap == NULL)
        return TRUE;
    gsize have = array != NULL ? ptl_memcap_block_size(array->data) : 0;
    gsize want = len > 0 ? (gsize) 1 << g_bit_storage(len) : 0;
    if (want <= have)
        return TRUE;
    if (ptl_memcap_allows(app->memcap, want - have))
        return TRUE;
    app->is_memcap_hit = TRUE;
    return FALSE;
}

static gpointer
app_state_new(PtlApp *app, const PtlPlugin *plugin)
{
    return ptl_memcap_state_new(app->memcap, plugin->index, plugin->desc->state_new,
                                &app->state_cost);
}

static void
app_keep_detail(PtlApp *app, PtlFact fact, const char *detail)
{
    if (detail == NULL || *detail == '\0')
        return;
    if (app->details[fact] == NULL)
        app->details[fact] = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *list = app->details[fact];
    if (list->len >= APP_MAX_FACT_DETAILS)
        return;
    g_autofree char *valid = g_utf8_make_valid(detail, (gssize) strnlen(detail, APP_MAX_DETAIL));
    for (guint i = 0; i < list->len; i++)
        if (strcmp(g_ptr_array_index(list, i), valid) == 0)
            return;
    g_ptr_array_add(list, g_steal_pointer(&valid));
}

static void
app_fact(const PtlFlowContext *ctx, PtlFact fact, const char *detail)
{
    PtlApp *app = ctx->core_data;
    if ((guint) fact >= PTL_FACT_COUNT)
        return;
    gboolean is_new = !(app->fact_mask & (1u << fact));
    app->fact_mask |= 1u << fact;
    app_keep_detail(app, fact, detail);
    /* judged now, not at flow end: a live finding on a long connection */
    if (is_new && app->hooks != NULL && app->hooks->fact != NULL)
        app->hooks->fact(app->hooks->user_data, app->hook_flow, fact);
}


static void
app_add_candidate(PtlApp *app, const PtlPlugin *plugin)
{
    if (plugin == NULL || plugin->index >= APP_MAX_CANDIDATES)
        return;
    guint32 bit = 1u << plugin->index;
    if (app->all_mask & bit)
        return;
    if (app->ctx.transport == PTL_TRANSPORT_UDP && plugin->desc->probe_datagram == NULL)
        return;
    app->all_mask |= bit;
    app->order[app->n_order++] = (guint8) plugin->index;
}

/* NULL (build nothing) over the cap, counted, or when nobody reads records. */
static JsonBuilder *
app_record_begin(const PtlFlowContext *ctx, const char *kind)
{
    PtlApp *app = ctx->core_data;
    if (app->record != NULL || kind == NULL)
        return NULL;                    /* a module that nests records gets none */
    app->records++;
    if (app->records > PTL_APP_MAX_RECORDS) {
        app->records_dropped++;
        return NULL;
    }
    if (app->hooks == NULL || app->hooks->record == NULL)
        return NULL;
    char ts[PTL_TS_STRLEN];
    app->record = json_builder_new();
    json_builder_begin_object(app->record);
    ptl_emit_string(app->record, "kind", kind, -1);
    ptl_emit_string(app->record, "ts", ptl_ts_format(ctx->ts_ns, ts), -1);
    ptl_emit_int(app->record, "flow_id", (gint64) app->flow_id);
    return app->record;
}

static void
app_record_end(const PtlFlowContext *ctx)
{
    PtlApp *app = ctx->core_data;
    if (app->record == NULL)
        return;
    json_builder_end_object(app->record);
    g_autoptr(JsonNode) root = json_builder_get_root(app->record);
    g_clear_object(&app->record);
    if (root != NULL)
        app->hooks->record(app->hooks->user_data, app->hook_flow, root);
}

static void
app_need(const PtlFlowContext *ctx, PtlDirection dir, gsize more)
{
    PtlApp *app = ctx->core_data;
    if ((guint) dir < 2 && app->ctx.transport == PTL_TRANSPORT_TCP)  /* datagrams are whole */
        app->need[dir] = MIN(more, (gsize) PTL_PENDING_MAX);
}

PtlApp *
ptl_app_new(const PtlPluginSet *plugins, PtlTransport transport, guint16 client_port,
            guint16 server_port, const PtlPlugin *forced)
{
    PtlApp *app = g_new0(PtlApp, 1);
    app->plugins = plugins;
    app->ctx.fact = app_fact;
    app->ctx.struct_size = sizeof(PtlFlowContext);
    app->ctx.record_begin = app_record_begin;
    app->ctx.record_end = app_record_end;
    app->ctx.need = app_need;
    app->ctx.core_data = app;
    app->ctx.transport = transport;
    app->ctx.client_port = client_port;
    app->ctx.server_port = server_port;
    app->port_candidate = ptl_plugin_set_for_port(plugins, server_port,
                                                  transport == PTL_TRANSPORT_UDP);
    app_add_candidate(app, forced);
    app_add_candidate(app, app->port_candidate);
    for (guint i = 0; i < ptl_plugin_set_count(plugins); i++)
        app_add_candidate(app, ptl_plugin_set_get(plugins, i));
    if (forced != NULL) {
        app->is_forced = TRUE;
        app->plugin = forced;
        app->status = PTL_APP_IDENTIFIED;
        app->state = forced->desc->state_new();
    } else if (app->n_order == 0) {
        app->status = PTL_APP_UNKNOWN;
    }
    return app;
}

static void
app_drop_probe(PtlApp *app)
{
    for (int d = 0; d < 2; d++)
        g_clear_pointer(&app->probe_buf[d], g_byte_array_unref);
}

void
ptl_app_free(PtlApp *app)
{
    if (app == NULL)
        return;
    if (app->state != NULL)
        app->plugin->desc->state_free(app->state);
    app_drop_probe(app);
    for (int d = 0; d < 2; d++)
        g_clear_pointer(&app->pending[d], g_byte_array_unref);
    for (int f = 0; f < PTL_FACT_COUNT; f++)
        g_clear_pointer(&app->details[f], g_ptr_array_unref);
    g_free(app->error);
    g_clear_object(&app->record);   /* a module that began a record and failed */
    ptl_memcap_adjust(app->memcap, app->charged, 0);
    g_free(app);
}

void
ptl_app_set_hooks(PtlApp *app, const PtlAppHooks *hooks, gpointer flow, guint64 flow_id)
{
    app->hooks = hooks;
    app->hook_flow = flow;
    app->flow_id = flow_id;
}

void
ptl_app_set_time(PtlApp *app, gint64 ts_ns)
{
    app->ctx.ts_ns = ts_ns;
}

guint64
ptl_app_records(const PtlApp *app)
{
    return app->records;
}

guint64
ptl_app_records_dropped(const PtlApp *app)
{
    return app->records_dropped;
}

guint64
ptl_app_feeds_held(const PtlApp *app)
{
    return app->feeds_held;
}

void
ptl_app_set_memcap(PtlApp *app, PtlMemcap *m)
{
    g_return_if_fail(app != NULL && app->memcap == NULL);
    app->memcap = m;
    if (m != NULL && app->state != NULL && app->plugin->index < PTL_MEMCAP_STATE_SLOTS
        && m->state_cost[app->plugin->index] > 0)
        app->state_cost = m->state_cost[app->plugin->index] - 1;
    app_account(app);
}

gsize
ptl_app_held_bytes(const PtlApp *app)
{
    gsize held = 0;
    for (int d = 0; d < 2; d++) {
        held += app->probe_buf[d] != NULL ? app->probe_buf[d]->len : 0;
        held += app->pending[d] != NULL ? app->pending[d]->len : 0;
    }
    return held;
}

gboolean
ptl_app_is_memcap_hit(const PtlApp *app)
{
    return app->is_memcap_hit;
}

/* The budget is full: this direction's held bytes and the new ones are given up. */
static void
app_give_up(PtlApp *app, PtlDirection dir, gsize incoming)
{
    GByteArray *pending = app->pending[dir];
    ptl_memcap_dropped(app->memcap, incoming + (pending != NULL ? pending->len : 0));
    if (pending != NULL && pending->len > 0)
        app->is_truncated = TRUE;
    app->is_closed[dir] = TRUE;
    g_clear_pointer(&app->pending[dir], g_byte_array_unref);
}

static void
app_fail(PtlApp *app, char *message)
{
    if (app->error == NULL)
        app->error = message;
    else
        g_free(message);
    for (int d = 0; d < 2; d++) {
        app->is_closed[d] = TRUE;
        g_clear_pointer(&app->pending[d], g_byte_array_unref);
    }
}

static void
app_keep_peak(PtlApp *app, PtlDirection dir)
{
    if (app->pending[dir] != NULL)
        app->pending_peak[dir] = MAX(app->pending_peak[dir], app->pending[dir]->len);
}

static void
app_feed(PtlApp *app, PtlDirection dir, const guint8 *data, gsize len)
{
    if (app->is_closed[dir] || len == 0)
        return;
    const PtlDissector *desc = app->plugin->desc;
    GByteArray *pending = app->pending[dir];
    const guint8 *p = data;
    gsize n = len;
    gboolean is_buffered = pending != NULL && pending->len > 0;
    if (is_buffered) {
        if (!app_may_grow(app, pending, pending->len + len)) {
            app_give_up(app, dir, len);
            return;
        }
        g_byte_array_append(pending, data, (guint) len);
        p = pending->data;
        n = pending->len;
        /* the dissector said these bytes cannot progress yet: keep them, feed later */
        if (app->need[dir] > len && pending->len <= PTL_PENDING_MAX) {
            app->need[dir] -= len;
            app->feeds_held++;
            app_keep_peak(app, dir);
            return;
        }
    }
    app->need[dir] = 0;
    g_autoptr(GError) error = NULL;
    gssize used = desc->feed(app->state, &app->ctx, dir, p, n, &error);
    if (used < 0) {
        app_fail(app, g_strdup(error != NULL ? error->message : "dissector failed without a reason"));
        return;
    }
    gsize consumed = MIN((gsize) used, n); /* a module that claims more is clamped */
    gsize rest = n - consumed;
    if (is_buffered) {
        g_byte_array_remove_range(pending, 0, (guint) consumed);
    } else if (rest > 0) {
        if (!app_may_grow(app, app->pending[dir], MAX(rest, MIN(rest * 2, PTL_PENDING_MAX)))) {
            app_give_up(app, dir, rest);
            return;
        }
        if (app->pending[dir] == NULL)
            app->pending[dir] = g_byte_array_sized_new((guint) MIN(rest * 2, PTL_PENDING_MAX));
        g_byte_array_append(app->pending[dir], p + consumed, (guint) rest);
    }
    app_keep_peak(app, dir);
    if (consumed > 0 && rest == 0)
        app->need[dir] = 0;             /* a hint is about the bytes left over */
    if (rest > PTL_PENDING_MAX) {
        app_fail(app, g_strdup_printf("%s: more than %u bytes without a complete message",
                                      desc->name, (guint) PTL_PENDING_MAX));
        return;
    }
    if (app->pending[dir] != NULL && app->pending[dir]->len == 0 &&
        app->pending_peak[dir] > APP_KEEP_PENDING) {
        g_clear_pointer(&app->pending[dir], g_byte_array_unref);
        app->pending_peak[dir] = 0;
    }
}

/* A direction whose first bytes were not at a message boundary (or after a hole):
 * go on only when the dissector can find the next boundary itself. */
static gboolean
app_resync(PtlApp *app, PtlDirection dir, guint64 missing)
{
    const PtlDissector *desc = app->plugin->desc;
    g_clear_pointer(&app->pending[dir], g_byte_array_unref);
    app->need[dir] = 0;
    if (desc->gap != NULL && desc->gap(app->state, dir, (gsize) MIN(missing, G_MAXSIZE)))
        return TRUE;
    app->is_closed[dir] = TRUE;
    return FALSE;
}

static void
app_identify(PtlApp *app, const PtlPlugin *plugin)
{
    app->plugin = plugin;
    app->status = PTL_APP_IDENTIFIED;
    app->state = app_state_new(app, plugin);
    guint32 bit = 1u << plugin->index;
    for (int d = 0; d < 2; d++) {
        GByteArray *buf = app->probe_buf[d];
        if (buf == NULL)
            continue;
        if ((app->rejected[d] & bit) && !app_resync(app, (PtlDirection) d, 0))
            continue;
        app_feed(app, (PtlDirection) d, buf->data, buf->len);
        if (app->probe_missed[d] > 0) {
            app->has_gap = TRUE;
            app_resync(app, (PtlDirection) d, app->probe_missed[d]);
        }
    }
    app_drop_probe(app);
}

/* Probes one direction; returns the accepting plugin or NULL. */
static const PtlPlugin *
app_probe(PtlApp *app, PtlDirection dir, const guint8 *data, gsize len)
{
    gboolean is_udp = app->ctx.transport == PTL_TRANSPORT_UDP;
    const guint8 *probe_data = data;
    gsize probe_len = MIN(len, (gsize) PTL_PROBE_MAX_BYTES);
    gboolean is_at_limit = TRUE;
    if (!is_udp) {
        if (app->is_probe_frozen[dir]) {
            app->probe_missed[dir] += len;
            return NULL;
        }
        gsize have = app->probe_buf[dir] != NULL ? app->probe_buf[dir]->len : 0;
        gsize take = MIN(len, (gsize) PTL_PROBE_MAX_BYTES - have);
        if (!app_may_grow(app, app->probe_buf[dir], have + take)) {
            /* no room to look further: decide on what is held, or never */
            ptl_memcap_dropped(app->memcap, len);
            app->is_probe_frozen[dir] = TRUE;
            if (app->probe_buf[dir] == NULL) {
                app->probe_missed[dir] += len;
                return NULL;
            }
            take = 0;
        }
        if (app->probe_buf[dir] == NULL)
            app->probe_buf[dir] = g_byte_array_sized_new(MIN(len, (gsize) PTL_PROBE_MAX_BYTES));
        GByteArray *buf = app->probe_buf[dir];
        g_byte_array_append(buf, data, (guint) take);
        app->probe_missed[dir] += len - take;
        probe_data = buf->data;
        probe_len = buf->len;
        is_at_limit = buf->len >= PTL_PROBE_MAX_BYTES;
    }
    for (guint i = 0; i < app->n_order; i++) {
        guint32 bit = 1u << app->order[i];
        if (app->rejected[dir] & bit)
            continue;
        const PtlPlugin *plugin = ptl_plugin_set_get(app->plugins, app->order[i]);
        const PtlDissector *desc = plugin->desc;
        PtlProbe answer = is_udp ? desc->probe_datagram(probe_data, probe_len, dir,
                                                        app->ctx.server_port)
                                 : desc->probe(probe_data, probe_len, dir);
        if (answer == PTL_PROBE_YES)
            return plugin;
        /* a datagram is whole: MAYBE on it is NO for that datagram only */
        if (answer == PTL_PROBE_NO || (answer == PTL_PROBE_MAYBE && is_at_limit && !is_udp))
            app->rejected[dir] |= bit;
    }
    return NULL;
}

static void
app_data(PtlApp *app, PtlDirection dir, const guint8 *data, gsize len)
{
    app->bytes[dir] += len;
    if (app->status == PTL_APP_PROBING) {
        const PtlPlugin *plugin = app_probe(app, dir, data, len);
        if (plugin != NULL) {
            app_identify(app, plugin);
            if (app->ctx.transport == PTL_TRANSPORT_UDP)
                app_feed(app, dir, data, len);
        } else if (app->rejected[0] == app->all_mask && app->rejected[1] == app->all_mask) {
            app->status = PTL_APP_UNKNOWN;
            app_drop_probe(app);
        }
        return;
    }
    if (app->status == PTL_APP_IDENTIFIED)
        app_feed(app, dir, data, len);
}

void
ptl_app_data(PtlApp *app, PtlDirection dir, const guint8 *data, gsize len)
{
    if (len == 0)
        return;
    app_data(app, dir, data, len);
    app_account(app);
}

void
ptl_app_gap(PtlApp *app, PtlDirection dir, guint64 missing)
{
    app->has_gap = TRUE;
    if (app->status == PTL_APP_PROBING) {
        if (app->probe_buf[dir] != NULL)
            app->is_probe_frozen[dir] = TRUE;
        app->probe_missed[dir] += missing;
        return;
    }
    if (app->status == PTL_APP_IDENTIFIED && !app->is_closed[dir])
        app_resync(app, dir, missing);
    app_account(app);
}

/* TRUE when some direction that carried bytes still has a dissector saying MAYBE */
static gboolean
app_is_undecided(const PtlApp *app)
{
    for (int d = 0; d < 2; d++)
        if (app->bytes[d] > 0 && app->rejected[d] != app->all_mask)
            return TRUE;
    return FALSE;
}

void
ptl_app_finish(PtlApp *app)
{
    if (app->status == PTL_APP_PROBING) {
        app->status = app_is_undecided(app) ? PTL_APP_UNDECIDED : PTL_APP_UNKNOWN;
        app_drop_probe(app);
    }
    for (int d = 0; d < 2; d++) {
        if (app->pending[d] != NULL && app->pending[d]->len > 0)
            app->is_truncated = TRUE;
        g_clear_pointer(&app->pending[d], g_byte_array_unref);
    }
    app_account(app);
}

PtlAppStatus
ptl_app_status(const PtlApp *app)
{
    return app->status;
}

const char *
ptl_app_protocol(const PtlApp *app)
{
    switch (app->status) {
    case PTL_APP_IDENTIFIED:
        if (app->fact_mask & (1u << PTL_FACT_UPGRADE_WEBSOCKET))
            return "websocket";
        return app->plugin->desc->name;
    case PTL_APP_UNKNOWN:
    case PTL_APP_UNDECIDED:
        return "unknown";
    default:
        return NULL;
    }
}

const PtlPlugin *
ptl_app_plugin(const PtlApp *app)
{
    return app->status == PTL_APP_IDENTIFIED ? app->plugin : NULL;
}

gboolean
ptl_app_has_fact(const PtlApp *app, PtlFact fact)
{
    return (app->fact_mask & (1u << fact)) != 0;
}

const GPtrArray *
ptl_app_fact_details(const PtlApp *app, PtlFact fact)
{
    return (guint) fact < PTL_FACT_COUNT ? app->details[fact] : NULL;
}

const char *
ptl_app_error(const PtlApp *app)
{
    return app->error;
}

gboolean
ptl_app_is_truncated(const PtlApp *app)
{
    return app->is_truncated;
}

gboolean
ptl_app_has_gap(const PtlApp *app)
{
    return app->has_gap;
}

static void
app_emit_candidate(const PtlPlugin *candidate, JsonBuilder *b)
{
    ptl_json_string_or_null(b, "port_candidate", candidate != NULL ? candidate->desc->name : NULL);
}

static void
app_emit_facts(const PtlApp *app, JsonBuilder *b)
{
    if (app->fact_mask == 0)
        return;
    json_builder_set_member_name(b, "facts");
    json_builder_begin_object(b);
    for (int f = 0; f < PTL_FACT_COUNT; f++) {
        if (!(app->fact_mask & (1u << f)))
            continue;
        json_builder_set_member_name(b, app_fact_names[f]);
        json_builder_begin_array(b);
        for (guint i = 0; app->details[f] != NULL && i < app->details[f]->len; i++)
            json_builder_add_string_value(b, g_ptr_array_index(app->details[f], i));
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

void
ptl_app_emit(PtlApp *app, JsonBuilder *b)
{
    const char *protocol = ptl_app_protocol(app);
    json_builder_set_member_name(b, "protocol");
    json_builder_add_string_value(b, protocol != NULL ? protocol : "unknown");
    if (app->status == PTL_APP_IDENTIFIED) {
        json_builder_set_member_name(b, "protocol_by");
        json_builder_add_string_value(b, app->is_forced ? "port" : "content");
    }
    app_emit_candidate(app->port_candidate, b);
    if (app->status == PTL_APP_IDENTIFIED) {
        json_builder_set_member_name(b, "app");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, app->plugin->desc->name);
        json_builder_begin_object(b);
        app->plugin->desc->emit(app->state, b);
        json_builder_end_object(b);
        json_builder_end_object(b);
    } else {
        json_builder_set_member_name(b, "unknown_bytes");
        json_builder_begin_object(b);
        ptl_emit_int(b, "to_server", (gint64) app->bytes[PTL_DIR_TO_SERVER]);
        ptl_emit_int(b, "to_client", (gint64) app->bytes[PTL_DIR_TO_CLIENT]);
        json_builder_end_object(b);
        if (app->status == PTL_APP_UNDECIDED)
            ptl_emit_bool(b, "undecided", TRUE);
    }
    app_emit_facts(app, b);
    if (app->records > 0) {             /* absent for modules that make no records */
        ptl_emit_int(b, "records", (gint64) app->records);
        ptl_emit_int(b, "records_dropped", (gint64) app->records_dropped);
    }
    if (app->error != NULL)
        ptl_emit_string(b, "dissector_error", app->error, -1);
    if (app->is_truncated)
        ptl_emit_bool(b, "truncated", TRUE);
}

void
ptl_app_emit_none(const PtlPluginSet *plugins, PtlTransport transport, guint16 server_port,
                  JsonBuilder *b)
{
    json_builder_set_member_name(b, "protocol");
    json_builder_add_null_value(b);
    app_emit_candidate(ptl_plugin_set_for_port(plugins, server_port,
                                               transport == PTL_TRANSPORT_UDP), b);
}
