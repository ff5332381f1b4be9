/* dissector-harness.c: the fake core shared by the dissector tests (see the header).
 *
 * It follows analyzer/ptl-app.c where the ABI leaves room: zero-byte payloads are
 * never fed, a failed flow is fed no more, and a dissector that makes the core hold
 * more than PTL_PENDING_MAX unconsumed bytes fails the test (the core would drop
 * the flow).  It is stricter where a test should be: feed may not claim more bytes
 * than it was given, and a failure must carry a PTL_DISSECT_ERROR. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dissector-harness.h"

static const char *const harness_fact_names[] = {
    [PTL_FACT_CONFIRMED] = "CONFIRMED",
    [PTL_FACT_CLEARTEXT_AUTH] = "CLEARTEXT_AUTH",
    [PTL_FACT_UPGRADE_TLS] = "UPGRADE_TLS",
    [PTL_FACT_UPGRADE_WEBSOCKET] = "UPGRADE_WEBSOCKET",
    [PTL_FACT_REQUEST_FAILED] = "REQUEST_FAILED",
    [PTL_FACT_ENCRYPTED] = "ENCRYPTED",
};
G_STATIC_ASSERT(G_N_ELEMENTS(harness_fact_names) == PTL_FACT_COUNT);

/* ---- facts ---- */

static void
harness_fact_clear(gpointer data)
{
    HarnessFact *fact = data;
    g_free(fact->detail);
}

/* The core copies the detail: it is borrowed for the call only. */
static void
harness_record_fact(const PtlFlowContext *ctx, PtlFact fact, const char *detail)
{
    HarnessFlow *flow = ctx->core_data;
    assert_true(fact < PTL_FACT_COUNT);
    HarnessFact record = { fact, g_strdup(detail != NULL ? detail : "") };
    g_array_append_val(flow->facts, record);
}

/* transfer full: "CONFIRMED 0-9-1", or the bare name when there is no detail */
static char *
harness_fact_text(const HarnessFact *fact)
{
    const char *name = harness_fact_names[fact->fact];
    if (fact->detail[0] == '\0')
        return g_strdup(name);
    return g_strconcat(name, " ", fact->detail, NULL);
}

static const HarnessFact *
harness_flow_fact(const HarnessFlow *flow, guint i)
{
    return &g_array_index(flow->facts, HarnessFact, i);
}

guint
harness_flow_count_facts(const HarnessFlow *flow, PtlFact fact, const char *detail)
{
    guint n = 0;
    for (guint i = 0; i < flow->facts->len; i++) {
        const HarnessFact *f = harness_flow_fact(flow, i);
        n += f->fact == fact && (detail == NULL || strcmp(f->detail, detail) == 0);
    }
    return n;
}

gboolean
harness_flow_has_fact(const HarnessFlow *flow, PtlFact fact, const char *detail)
{
    return harness_flow_count_facts(flow, fact, detail) > 0;
}

guint
harness_flow_count_facts_with_prefix(const HarnessFlow *flow, const char *prefix)
{
    guint n = 0;
    for (guint i = 0; i < flow->facts->len; i++) {
        g_autofree char *text = harness_fact_text(harness_flow_fact(flow, i));
        n += g_str_has_prefix(text, prefix);
    }
    return n;
}

char *
harness_flow_facts_text(const HarnessFlow *flow)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < flow->facts->len; i++) {
        g_autofree char *text = harness_fact_text(harness_flow_fact(flow, i));
        g_string_append_printf(out, "%s%s", i > 0 ? "\n" : "", text);
    }
    return g_string_free(out, FALSE);
}

/* ---- records ---- */

static JsonBuilder *
harness_record_begin(const PtlFlowContext *ctx, const char *kind)
{
    HarnessFlow *flow = ctx->core_data;
    if (flow->open_record != NULL)
        fail_msg("record_begin(\"%s\") while a record is open", kind);
    assert_non_null(kind);
    flow->open_record = json_builder_new();
    json_builder_begin_object(flow->open_record);
    ptl_emit_string(flow->open_record, "kind", kind, -1);
    assert_true(ctx->ts_ns == HARNESS_TS_NS);
    ptl_emit_string(flow->open_record, "ts", HARNESS_TS, -1);
    ptl_emit_int(flow->open_record, "flow_id", HARNESS_FLOW_ID);
    return flow->open_record;
}

static void
harness_record_end(const PtlFlowContext *ctx)
{
    HarnessFlow *flow = ctx->core_data;
    if (flow->open_record == NULL)
        fail_msg("record_end without record_begin");
    json_builder_end_object(flow->open_record);
    g_ptr_array_add(flow->records, json_builder_get_root(flow->open_record));
    g_clear_object(&flow->open_record);
}

static void
harness_need(const PtlFlowContext *ctx, PtlDirection dir, gsize more)
{
    HarnessFlow *flow = ctx->core_data;
    assert_true(dir == PTL_DIR_TO_SERVER || dir == PTL_DIR_TO_CLIENT);
    flow->need[dir] = more;
}

static const char *
harness_record_kind(JsonNode *node)
{
    return json_object_get_string_member(json_node_get_object(node), "kind");
}

guint
harness_flow_count_records(const HarnessFlow *flow, const char *kind)
{
    guint n = 0;
    for (guint i = 0; i < flow->records->len; i++)
        n += kind == NULL || strcmp(harness_record_kind(g_ptr_array_index(flow->records, i)),
                                    kind) == 0;
    return n;
}

JsonObject *
harness_flow_record(const HarnessFlow *flow, const char *kind, guint i)
{
    for (guint k = 0; k < flow->records->len; k++) {
        JsonNode *node = g_ptr_array_index(flow->records, k);
        if ((kind == NULL || strcmp(harness_record_kind(node), kind) == 0) && i-- == 0)
            return json_node_get_object(node);
    }
    fail_msg("no record %s #%u", kind != NULL ? kind : "(any)", i);
    return NULL;
}

char *
harness_flow_records_text(const HarnessFlow *flow)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < flow->records->len; i++) {
        g_autofree char *line = json_to_string(g_ptr_array_index(flow->records, i), FALSE);
        g_string_append_printf(out, "%s\n", line);
    }
    return g_string_free(out, FALSE);
}

/* ---- the fake core ---- */

HarnessFlow *
harness_flow_new(const HarnessFlowConfig *config)
{
    HarnessFlow *flow = g_new0(HarnessFlow, 1);
    flow->d = ptl_dissector_entry();
    flow->state = flow->d->state_new();
    flow->ctx = (PtlFlowContext) {
        .fact = harness_record_fact,
        .core_data = flow,
        .transport = config->transport,
        .client_port = config->client_port,
        .server_port = config->server_port,
        .struct_size = sizeof(PtlFlowContext),
        .ts_ns = HARNESS_TS_NS,
        .record_begin = harness_record_begin,
        .record_end = harness_record_end,
        .need = harness_need,
    };
    flow->records = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
    for (gsize i = 0; i < G_N_ELEMENTS(flow->pending); i++)
        flow->pending[i] = g_byte_array_new();
    flow->facts = g_array_new(FALSE, FALSE, sizeof(HarnessFact));
    g_array_set_clear_func(flow->facts, harness_fact_clear);
    return flow;
}

void
harness_flow_free(HarnessFlow *flow)
{
    flow->d->state_free(flow->state);
    for (gsize i = 0; i < G_N_ELEMENTS(flow->pending); i++)
        g_byte_array_unref(flow->pending[i]);
    g_array_unref(flow->facts);
    g_ptr_array_unref(flow->records);
    if (flow->open_record != NULL)
        fail_msg("a record was left open");
    g_clear_error(&flow->error);
    g_free(flow);
}

gboolean
harness_flow_feed(HarnessFlow *flow, PtlDirection dir, const void *data, gsize len)
{
    if (flow->error != NULL)
        return FALSE;
    if (len == 0)
        return TRUE;
    GByteArray *pending = flow->pending[dir];
    g_byte_array_append(pending, data, (guint) len);
    if (flow->need[dir] > len) {    /* as the core: the dissector said it cannot progress */
        flow->need[dir] -= len;
        flow->feeds_held++;
        return TRUE;
    }
    flow->need[dir] = 0;
    flow->last_used = flow->d->feed(flow->state, &flow->ctx, dir, pending->data, pending->len,
                                    &flow->error);
    if (flow->last_used < 0) {
        assert_int_equal(flow->last_used, -1);
        assert_non_null(flow->error);
        assert_int_equal(flow->error->domain, PTL_DISSECT_ERROR);
        return FALSE;
    }
    assert_null(flow->error);
    assert_null(flow->open_record);
    assert_true((gsize) flow->last_used <= pending->len);
    g_byte_array_remove_range(pending, 0, (guint) flow->last_used);
    assert_true(pending->len <= PTL_PENDING_MAX);
    flow->max_pending = MAX(flow->max_pending, pending->len);
    return TRUE;
}

void
harness_flow_feed_ok(HarnessFlow *flow, PtlDirection dir, const void *data, gsize len)
{
    if (!harness_flow_feed(flow, dir, data, len))
        fail_msg("feed refused %" G_GSIZE_FORMAT " bytes: %s", len, flow->error->message);
}

gboolean
harness_flow_feed_chunked(HarnessFlow *flow, PtlDirection dir, const void *data, gsize len,
                          gsize chunk)
{
    g_assert(chunk > 0 || len == 0);
    const guint8 *bytes = data;
    gboolean is_ok = TRUE;
    for (gsize off = 0; off < len && is_ok; off += chunk)
        is_ok = harness_flow_feed(flow, dir, bytes + off, MIN(chunk, len - off));
    return is_ok;
}

/* Segment `i` in two feeds cut at `cut` (its length: whole); fails the test on a refusal. */
static void
harness_feed_segment_cut(HarnessFlow *flow, const HarnessSegment *segs, gsize i, gsize cut)
{
    const HarnessSegment *seg = &segs[i];
    if (seg->len == 0)
        return;                     /* an empty side of an exchange; data may be NULL */
    if (!harness_flow_feed(flow, seg->dir, seg->data, cut) ||
        !harness_flow_feed(flow, seg->dir, seg->data + cut, seg->len - cut))
        fail_msg("segment %" G_GSIZE_FORMAT " cut at %" G_GSIZE_FORMAT " refused: %s", i, cut,
                 flow->error->message);
}

void
harness_flow_feed_segments(HarnessFlow *flow, const HarnessSegment *segs, gsize n)
{
    for (gsize i = 0; i < n; i++)
        harness_feed_segment_cut(flow, segs, i, segs[i].len);
}

gboolean
harness_flow_gap(HarnessFlow *flow, PtlDirection dir, gsize missing)
{
    g_byte_array_set_size(flow->pending[dir], 0);
    flow->need[dir] = 0;
    return flow->d->gap(flow->state, dir, missing);
}

/* ---- emitted JSON ---- */

JsonNode *
harness_emit_node(const PtlDissector *d, gpointer state)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    d->emit(state, builder);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

char *
harness_emit_json(const PtlDissector *d, gpointer state)
{
    g_autoptr(JsonNode) root = harness_emit_node(d, state);
    return json_to_string(root, FALSE);
}

JsonNode *
harness_flow_node(const HarnessFlow *flow)
{
    return harness_emit_node(flow->d, flow->state);
}

char *
harness_flow_json(const HarnessFlow *flow)
{
    return harness_emit_json(flow->d, flow->state);
}

char *
harness_flow_output(const HarnessFlow *flow)
{
    g_autofree char *json = harness_flow_json(flow);
    g_autofree char *facts = harness_flow_facts_text(flow);
    g_autofree char *records = harness_flow_records_text(flow);
    return g_strconcat(json, "\n", facts, "\n", records, NULL);
}

void
harness_assert_not_emitted(const HarnessFlow *flow, const char *secret)
{
    g_autofree char *out = harness_flow_output(flow);
    if (strstr(out, secret) != NULL)
        fail_msg("secret \"%s\" emitted: %s", secret, out);
}

void
harness_assert_auth(const HarnessFlow *flow, const char *mechanism_key, const char *mechanism,
                    const char *user_key, const char *user, const char *fact,
                    const char *const *secrets)
{
    g_autoptr(JsonNode) root = harness_flow_node(flow);
    JsonObject *o = json_node_get_object(root);
    assert_string_equal(harness_obj_str(o, mechanism_key), mechanism);
    if (user != NULL)
        assert_string_equal(harness_obj_str(o, user_key), user);
    else
        assert_false(json_object_has_member(o, user_key));
    assert_int_equal(harness_flow_count_facts(flow, PTL_FACT_CLEARTEXT_AUTH, NULL),
                     fact != NULL ? 1 : 0);
    if (fact != NULL)
        assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, fact));
    for (gsize i = 0; secrets[i] != NULL; i++)
        harness_assert_not_emitted(flow, secrets[i]);
}

gint64
harness_obj_int(JsonObject *o, const char *key)
{
    assert_true(json_object_has_member(o, key));
    return json_object_get_int_member(o, key);
}

const char *
harness_obj_str(JsonObject *o, const char *key)
{
    assert_true(json_object_has_member(o, key));
    return json_object_get_string_member(o, key);
}

gboolean
harness_obj_array_has(JsonObject *o, const char *key, const char *value)
{
    JsonArray *a = json_object_get_array_member(o, key);
    assert_non_null(a);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        if (g_strcmp0(json_array_get_string_element(a, i), value) == 0)
            return TRUE;
    }
    return FALSE;
}

/* ---- synthetic messages ---- */

void
harness_put_bytes(GByteArray *b, const void *data, gsize len)
{
    g_byte_array_append(b, data, (guint) len);
}

void
harness_put_zeros(GByteArray *b, gsize n)
{
    for (gsize i = 0; i < n; i++)
        harness_put_u8(b, 0);
}

void
harness_put_u8(GByteArray *b, guint8 v)
{
    harness_put_bytes(b, &v, 1);
}

void
harness_put_be(GByteArray *b, guint32 v, guint size)
{
    g_assert(size >= 1 && size <= 4);
    for (guint i = size; i > 0; i--)
        harness_put_u8(b, (guint8) (v >> (8 * (i - 1))));
}

void
harness_put_le(GByteArray *b, guint32 v, guint size)
{
    g_assert(size >= 1 && size <= 4);
    for (guint i = 0; i < size; i++)
        harness_put_u8(b, (guint8) (v >> (8 * i)));
}

/* ---- the checks every dissector test makes ---- */

void
harness_assert_descriptor(const PtlDissector *d, const char *name, const char *version,
                          gboolean has_probe_datagram)
{
    assert_int_equal(d->abi_version, PTL_DISSECTOR_ABI_VERSION);
    assert_int_equal(d->struct_size, sizeof(PtlDissector));
    assert_string_equal(d->name, name);
    assert_string_equal(d->version, version);
    assert_non_null(d->description);
    assert_non_null(d->probe);
    assert_non_null(d->state_new);
    assert_non_null(d->state_free);
    assert_non_null(d->feed);
    assert_non_null(d->gap);
    assert_non_null(d->emit);
    assert_int_equal(d->probe_datagram != NULL, has_probe_datagram);
}

GByteArray *
harness_script_stream(const HarnessScript *script, PtlDirection dir)
{
    GByteArray *out = g_byte_array_new();
    for (gsize i = 0; i < script->n; i++) {
        if (script->segs[i].dir == dir)
            harness_put_bytes(out, script->segs[i].data, script->segs[i].len);
    }
    return out;
}

/* transfer full: what the script produces with segment `cut_seg` cut at `cut`
 * (cut_seg past the end: every segment whole) */
static char *
harness_script_output(const HarnessFlowConfig *config, const HarnessScript *script,
                      gsize cut_seg, gsize cut, HarnessFlowCheck check)
{
    g_autoptr(HarnessFlow) flow = harness_flow_new(config);
    for (gsize i = 0; i < script->n; i++)
        harness_feed_segment_cut(flow, script->segs, i, i == cut_seg ? cut : script->segs[i].len);
    if (check != NULL)
        check(flow);
    return harness_flow_output(flow);
}

void
harness_assert_split_invariant(const HarnessFlowConfig *config, const HarnessScript *script,
                               HarnessFlowCheck check)
{
    g_autofree char *whole = harness_script_output(config, script, script->n, 0, check);
    for (gsize i = 0; i < script->n; i++) {
        /* cuts at 0 and len feed nothing extra: the core never feeds zero bytes */
        for (gsize cut = 1; cut < script->segs[i].len; cut++) {
            g_autofree char *split = harness_script_output(config, script, i, cut, check);
            if (strcmp(split, whole) != 0)
                fail_msg("%s: segment %" G_GSIZE_FORMAT " cut at %" G_GSIZE_FORMAT ":\n%s\n"
                         "!=\n%s", script->name, i, cut, split, whole);
        }
    }
}

/* Feeds a copy sized to the prefix, so the sanitizer sees any read past its end. */
static void
harness_assert_truncation(const HarnessFlowConfig *config, PtlDirection dir,
                          const guint8 *data, gsize n)
{
    g_autoptr(HarnessFlow) flow = harness_flow_new(config);
    g_autofree guint8 *prefix = g_memdup2(data, n);
    g_autoptr(GError) error = NULL;
    gssize used = flow->d->feed(flow->state, &flow->ctx, dir, n > 0 ? prefix : data, n, &error);
    if (error != NULL)
        fail_msg("prefix of %" G_GSIZE_FORMAT " bytes refused: %s", n, error->message);
    if (used < 0 || (gsize) used > n)
        fail_msg("prefix of %" G_GSIZE_FORMAT " bytes: feed answered %" G_GSSIZE_FORMAT, n, used);
    g_free(harness_flow_json(flow));
}

void
harness_assert_every_truncation(const HarnessFlowConfig *config, PtlDirection dir,
                                const guint8 *data, gsize len)
{
    for (gsize n = 0; n <= len; n++)
        harness_assert_truncation(config, dir, data, n);
}

void
harness_assert_script_truncations(const HarnessFlowConfig *config, const HarnessScript *script)
{
    static const PtlDirection dirs[] = { PTL_DIR_TO_SERVER, PTL_DIR_TO_CLIENT };
    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autoptr(GByteArray) stream = harness_script_stream(script, dirs[i]);
        harness_assert_every_truncation(config, dirs[i], stream->data, stream->len);
    }
}
