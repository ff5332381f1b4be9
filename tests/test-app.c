/* test-app.c: identification by content, pending bytes, gaps and facts, records and
 * the need() hint, with small fake dissectors registered straight into a plugin set. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-app.h"
#include "ptl-module.h"

/* A fake protocol: lines "<TAG> ...\n"; feed consumes whole lines, "!" is an
 * error, "AUTH <user>" raises cleartext auth, "UPGRADE" websocket. */
typedef struct {
    guint lines[2];
    guint gaps;
} FakeState;

static gpointer
fake_state_new(void)
{
    return g_new0(FakeState, 1);
}

static PtlProbe
fake_probe_prefix(const guint8 *data, gsize len, const char *tag)
{
    gsize n = strlen(tag);
    if (len < n)
        return memcmp(data, tag, len) == 0 ? PTL_PROBE_MAYBE : PTL_PROBE_NO;
    return memcmp(data, tag, n) == 0 ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static PtlProbe
alpha_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    return fake_probe_prefix(data, len, "ALPHA");
}

static PtlProbe
beta_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    return fake_probe_prefix(data, len, "BETA");
}

static PtlProbe
beta_probe_datagram(const guint8 *data, gsize len, PtlDirection dir, guint16 port)
{
    return port == 137 ? beta_probe(data, len, dir) : PTL_PROBE_NO;
}

static gssize
fake_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
          gsize len, GError **error)
{
    FakeState *s = state;
    gsize used = 0;
    for (;;) {
        const guint8 *nl = memchr(data + used, '\n', len - used);
        if (nl == NULL)
            return (gssize) used;
        gsize line_len = (gsize) (nl - (data + used));
        const char *line = (const char *) data + used;
        if (line_len > 0 && line[0] == '!') {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED, "fake: bad line");
            return -1;
        }
        if (line_len >= 5 && memcmp(line, "AUTH ", 5) == 0) {
            g_autofree char *detail = g_strdup_printf("FAKE user %.*s", (int) line_len - 5,
                                                      line + 5);
            ctx->fact(ctx, PTL_FACT_CLEARTEXT_AUTH, detail);
        }
        if (line_len == 7 && memcmp(line, "UPGRADE", 7) == 0)
            ctx->fact(ctx, PTL_FACT_UPGRADE_WEBSOCKET, NULL);
        ctx->fact(ctx, PTL_FACT_CONFIRMED, "v1");
        s->lines[dir]++;
        used += line_len + 1;
    }
}

static gboolean
fake_gap(gpointer state, PtlDirection dir, gsize missing)
{
    ((FakeState *) state)->gaps++;
    return TRUE;
}

static void
fake_emit(gpointer state, JsonBuilder *b)
{
    FakeState *s = state;
    ptl_emit_int(b, "lines_to_server", s->lines[PTL_DIR_TO_SERVER]);
    ptl_emit_int(b, "lines_to_client", s->lines[PTL_DIR_TO_CLIENT]);
    ptl_emit_int(b, "gaps", s->gaps);
}

/* gamma: "OMEGA\n", then frames "<4 decimal digits: body length><body>", each a record;
 * an incomplete frame asks, through need(), not to be shown again before it is whole. */
typedef struct {
    gboolean has_header;
    guint    frames;
} GammaState;

static gpointer
gamma_state_new(void)
{
    return g_new0(GammaState, 1);
}

static PtlProbe
gamma_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    return fake_probe_prefix(data, len, "OMEGA\n");
}

static gssize
gamma_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
           gsize len, GError **error)
{
    GammaState *s = state;
    PtlCursor c = ptl_cursor_init(data, len);
    if (!s->has_header) {
        if (len < 6)
            return 0;
        ptl_cursor_skip(&c, 6);
        s->has_header = TRUE;
    }
    gsize used = c.pos;
    while (ptl_cursor_remaining(&c) >= 4) {
        char digits[5] = "";
        memcpy(digits, ptl_cursor_take(&c, 4), 4);
        gsize body = (gsize) g_ascii_strtoull(digits, NULL, 10);
        if (ptl_cursor_remaining(&c) < body) {
            ptl_need(ctx, dir, body - ptl_cursor_remaining(&c));
            break;
        }
        ptl_cursor_skip(&c, body);
        used = c.pos;
        s->frames++;
        JsonBuilder *b = ptl_record_begin(ctx, "gamma_frame");
        if (b != NULL) {
            ptl_emit_int(b, "len", (gint64) body);
            ptl_record_end(ctx);
        }
    }
    return (gssize) used;
}

static void
gamma_emit(gpointer state, JsonBuilder *b)
{
    ptl_emit_int(b, "frames", ((GammaState *) state)->frames);
}

static const guint16 gamma_ports[] = { 3000, 0 };

static const PtlDissector gamma_dissector = {
    PTL_DISSECTOR_HEADER, .name = "gamma", .version = "1.0.0", .description = "fake gamma",
    .default_ports = gamma_ports, .probe = gamma_probe, .state_new = gamma_state_new,
    .state_free = g_free, .feed = gamma_feed, .emit = gamma_emit,
};

static const guint16 alpha_ports[] = { 1000, 0 };
static const guint16 beta_ports[] = { 2000, 137, 0 };

static const PtlDissector alpha_dissector = {
    PTL_DISSECTOR_HEADER, .name = "alpha", .version = "1.0.0", .description = "fake alpha",
    .default_ports = alpha_ports, .probe = alpha_probe, .state_new = fake_state_new,
    .state_free = g_free, .feed = fake_feed, .emit = fake_emit,
};
static const PtlDissector beta_dissector = {
    PTL_DISSECTOR_HEADER, .name = "beta", .version = "1.0.0", .description = "fake beta",
    .default_ports = beta_ports, .probe = beta_probe, .probe_datagram = beta_probe_datagram,
    .state_new = fake_state_new, .state_free = g_free, .feed = fake_feed, .gap = fake_gap,
    .emit = fake_emit,
};

static int
setup(void **state)
{
    PtlPluginSet *set = ptl_plugin_set_new();
    assert_true(ptl_plugin_set_add(set, &alpha_dissector, "built-in", NULL));
    assert_true(ptl_plugin_set_add(set, &beta_dissector, "built-in", NULL));
    assert_true(ptl_plugin_set_add(set, &gamma_dissector, "built-in", NULL));
    *state = set;
    return 0;
}

static int
teardown(void **state)
{
    ptl_plugin_set_free(*state);
    return 0;
}

static void
feed_text(PtlApp *app, PtlDirection dir, const char *text)
{
    ptl_app_data(app, dir, (const guint8 *) text, strlen(text));
}

/* The flow's JSON members as a string, for whole-object comparisons. */
static char *
emit_json(PtlApp *app)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ptl_app_emit(app, b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

static void
test_app_identifies_by_content_not_port(void **state)
{
    /* beta's port, alpha's bytes */
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "ALPHA hello\n");
    assert_int_equal(ptl_app_status(app), PTL_APP_IDENTIFIED);
    assert_string_equal(ptl_app_protocol(app), "alpha");
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"protocol_by\":\"content\""));
    assert_non_null(strstr(json, "\"port_candidate\":\"beta\""));
    assert_non_null(strstr(json, "\"lines_to_server\":1"));
    ptl_app_free(app);
}

static void
test_app_maybe_waits_for_more(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 9, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "BE");
    assert_int_equal(ptl_app_status(app), PTL_APP_PROBING);
    assert_null(ptl_app_protocol(app));
    feed_text(app, PTL_DIR_TO_SERVER, "TA x\nBETA y\n");
    assert_string_equal(ptl_app_protocol(app), "beta");
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"lines_to_server\":2"));
    ptl_app_free(app);
}

static void
test_app_unknown_counts_bytes(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 1000, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "GAMMA\n");
    assert_int_equal(ptl_app_status(app), PTL_APP_PROBING); /* the server may still say */
    feed_text(app, PTL_DIR_TO_CLIENT, "DELTA!\n");
    assert_int_equal(ptl_app_status(app), PTL_APP_UNKNOWN);
    feed_text(app, PTL_DIR_TO_CLIENT, "more");
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"protocol\":\"unknown\""));
    assert_non_null(strstr(json, "\"unknown_bytes\":{\"to_server\":6,\"to_client\":11}"));
    ptl_app_free(app);
}

static void
test_app_too_few_bytes_is_undecided(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 9, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "BE");   /* beta still says MAYBE */
    ptl_app_finish(app);
    assert_int_equal(ptl_app_status(app), PTL_APP_UNDECIDED);
    assert_string_equal(ptl_app_protocol(app), "unknown");
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"undecided\":true"));
    ptl_app_free(app);
}

static void
test_app_maybe_at_probe_limit_is_no(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 9, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "B");
    g_autofree guint8 *filler = g_malloc0(PTL_PROBE_MAX_BYTES);
    ptl_app_data(app, PTL_DIR_TO_SERVER, filler, PTL_PROBE_MAX_BYTES);
    ptl_app_data(app, PTL_DIR_TO_CLIENT, filler, 10);
    assert_int_equal(ptl_app_status(app), PTL_APP_UNKNOWN);
    ptl_app_free(app);
}

static void
test_app_split_at_every_offset(void **state)
{
    const char *stream = "BETA one\nBETA two\nAUTH bob\nBETA three\n";
    gsize len = strlen(stream);
    PtlApp *whole = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    feed_text(whole, PTL_DIR_TO_SERVER, stream);
    ptl_app_finish(whole);
    g_autofree char *expected = emit_json(whole);
    ptl_app_free(whole);
    for (gsize cut = 1; cut < len; cut++) {
        PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
        ptl_app_data(app, PTL_DIR_TO_SERVER, (const guint8 *) stream, cut);
        ptl_app_data(app, PTL_DIR_TO_SERVER, (const guint8 *) stream + cut, len - cut);
        ptl_app_finish(app);
        g_autofree char *got = emit_json(app);
        assert_string_equal(got, expected);
        ptl_app_free(app);
    }
}

static void
test_app_unconsumed_at_end_is_truncated(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "BETA one\nBETA cut sh");
    ptl_app_finish(app);
    assert_true(ptl_app_is_truncated(app));
    assert_null(ptl_app_error(app));
    ptl_app_free(app);
}

static void
test_app_dissector_error_stops_feeding(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "BETA one\n!boom\nBETA two\n");
    assert_string_equal(ptl_app_error(app), "fake: bad line");
    feed_text(app, PTL_DIR_TO_CLIENT, "BETA reply\n");
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"lines_to_client\":0"));
    assert_non_null(strstr(json, "\"dissector_error\":\"fake: bad line\""));
    ptl_app_free(app);
}

static void
test_app_pending_over_limit_fails(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "BETA");
    g_autofree guint8 *chunk = g_malloc(4096);
    memset(chunk, 'x', 4096);
    for (int i = 0; i < PTL_PENDING_MAX / 4096 + 1; i++)
        ptl_app_data(app, PTL_DIR_TO_SERVER, chunk, 4096);
    assert_non_null(ptl_app_error(app));
    assert_non_null(strstr(ptl_app_error(app), "without a complete message"));
    ptl_app_free(app);
}

static void
test_app_gap_resyncs_or_closes(void **state)
{
    PtlApp *beta = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    feed_text(beta, PTL_DIR_TO_SERVER, "BETA one\nBETA par");
    ptl_app_gap(beta, PTL_DIR_TO_SERVER, 100);
    feed_text(beta, PTL_DIR_TO_SERVER, "BETA two\n");
    assert_true(ptl_app_has_gap(beta));
    g_autofree char *json = emit_json(beta);
    assert_non_null(strstr(json, "\"lines_to_server\":2,\"lines_to_client\":0,\"gaps\":1"));
    ptl_app_free(beta);

    /* alpha has no gap callback: the direction closes */
    PtlApp *alpha = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 1000, NULL);
    feed_text(alpha, PTL_DIR_TO_SERVER, "ALPHA one\n");
    ptl_app_gap(alpha, PTL_DIR_TO_SERVER, 10);
    feed_text(alpha, PTL_DIR_TO_SERVER, "ALPHA two\n");
    feed_text(alpha, PTL_DIR_TO_CLIENT, "ALPHA reply\n");
    g_autofree char *json2 = emit_json(alpha);
    assert_non_null(strstr(json2, "\"lines_to_server\":1,\"lines_to_client\":1"));
    ptl_app_free(alpha);
}

static void
test_app_midstream_direction_resyncs(void **state)
{
    /* client side starts inside a message; the server's first bytes identify */
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "tail of something\n");
    feed_text(app, PTL_DIR_TO_CLIENT, "BETA reply\n");
    assert_string_equal(ptl_app_protocol(app), "beta");
    feed_text(app, PTL_DIR_TO_SERVER, "BETA next\n");
    g_autofree char *json = emit_json(app);
    /* beta resyncs through its gap callback (called with 0 missing) */
    assert_non_null(strstr(json, "\"gaps\":1"));
    ptl_app_free(app);
}

static void
test_app_facts_and_websocket(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    feed_text(app, PTL_DIR_TO_SERVER,
              "BETA\nAUTH bob\nAUTH bob\nAUTH amy\nAUTH c\nAUTH d\nAUTH e\n");
    assert_true(ptl_app_has_fact(app, PTL_FACT_CLEARTEXT_AUTH));
    const GPtrArray *details = ptl_app_fact_details(app, PTL_FACT_CLEARTEXT_AUTH);
    assert_int_equal(details->len, 4); /* distinct, capped */
    assert_string_equal(g_ptr_array_index(details, 0), "FAKE user bob");
    assert_string_equal(g_ptr_array_index(details, 1), "FAKE user amy");
    assert_false(ptl_app_has_fact(app, PTL_FACT_UPGRADE_WEBSOCKET));
    feed_text(app, PTL_DIR_TO_CLIENT, "UPGRADE\n");
    assert_string_equal(ptl_app_protocol(app), "websocket");
    ptl_app_free(app);
}

static void
test_app_forced_by_port(void **state)
{
    const PtlPlugin *alpha = ptl_plugin_set_find(*state, "alpha");
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 7777, alpha);
    feed_text(app, PTL_DIR_TO_SERVER, "not alpha at all\n");
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"protocol\":\"alpha\",\"protocol_by\":\"port\""));
    ptl_app_free(app);
}

static void
test_app_udp_datagrams(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_UDP, 40000, 137, NULL);
    feed_text(app, PTL_DIR_TO_SERVER, "BETA query\n");
    feed_text(app, PTL_DIR_TO_CLIENT, "BETA answer\n");
    assert_string_equal(ptl_app_protocol(app), "beta");
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"lines_to_server\":1,\"lines_to_client\":1"));
    ptl_app_free(app);
    /* alpha has no datagram probe and beta wants port 137 */
    PtlApp *other = ptl_app_new(*state, PTL_TRANSPORT_UDP, 40000, 5000, NULL);
    feed_text(other, PTL_DIR_TO_SERVER, "BETA query\n");
    ptl_app_finish(other);
    assert_string_equal(ptl_app_protocol(other), "unknown");
    ptl_app_free(other);
}

typedef struct {
    GPtrArray *records;   /* compact JSON */
    GArray    *facts;     /* PtlFact, as raised */
} Sink;

static Sink
sink_init(void)
{
    Sink sink = { g_ptr_array_new_with_free_func(g_free),
                  g_array_new(FALSE, FALSE, sizeof(PtlFact)) };
    return sink;
}

static void
sink_clear(Sink *sink)
{
    g_ptr_array_unref(sink->records);
    g_array_unref(sink->facts);
}

static void
sink_record(gpointer user_data, gpointer flow, JsonNode *record)
{
    Sink *sink = user_data;
    assert_ptr_equal(flow, sink);
    g_ptr_array_add(sink->records, json_to_string(record, FALSE));
}

static void
sink_fact(gpointer user_data, gpointer flow, PtlFact fact)
{
    g_array_append_val(((Sink *) user_data)->facts, fact);
}

static GByteArray *
gamma_stream(guint frames, gsize body)
{
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, (const guint8 *) "OMEGA\n", 6);
    for (guint i = 0; i < frames; i++) {
        char head[5];
        g_snprintf(head, sizeof head, "%04u", (guint) body);
        g_byte_array_append(b, (const guint8 *) head, 4);
        for (gsize k = 0; k < body; k++)
            g_byte_array_append(b, (const guint8 *) "x", 1);
    }
    return b;
}

/* Each record reaches the hook with the core's members first; over the cap they are
 * counted, not built; the counts are in the flow's JSON. */
static void
test_app_records_and_cap(void **state)
{
    Sink sink = sink_init();
    PtlAppHooks hooks = { sink_record, sink_fact, &sink };
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 3000, NULL);
    ptl_app_set_hooks(app, &hooks, &sink, 42);
    ptl_app_set_time(app, G_GINT64_CONSTANT(1767225600000000000));
    g_autoptr(GByteArray) stream = gamma_stream(PTL_APP_MAX_RECORDS + 5, 2);
    ptl_app_data(app, PTL_DIR_TO_SERVER, stream->data, 6);   /* probed on the header */
    ptl_app_data(app, PTL_DIR_TO_SERVER, stream->data + 6, stream->len - 6);
    assert_int_equal(sink.records->len, PTL_APP_MAX_RECORDS);
    assert_string_equal(g_ptr_array_index(sink.records, 0),
                        "{\"kind\":\"gamma_frame\",\"ts\":\"2026-01-01T00:00:00.000000Z\","
                        "\"flow_id\":42,\"len\":2}");
    assert_int_equal(ptl_app_records(app), PTL_APP_MAX_RECORDS + 5);
    assert_int_equal(ptl_app_records_dropped(app), 5);
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"records\":1005,\"records_dropped\":5"));
    ptl_app_free(app);
    sink_clear(&sink);
}

/* Nobody reads records: the module is told to build none, and they are still counted. */
static void
test_app_records_without_reader(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 3000, NULL);
    g_autoptr(GByteArray) stream = gamma_stream(3, 1);
    ptl_app_data(app, PTL_DIR_TO_SERVER, stream->data, stream->len);
    assert_int_equal(ptl_app_records(app), 3);
    assert_int_equal(ptl_app_records_dropped(app), 0);
    ptl_app_free(app);
}

/* A frame arriving a byte at a time is presented again only once it is whole. */
static void
test_app_need_hint_holds_pending(void **state)
{
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 3000, NULL);
    g_autoptr(GByteArray) stream = gamma_stream(2, 3000);
    for (guint i = 0; i < stream->len; i++)
        ptl_app_data(app, PTL_DIR_TO_SERVER, stream->data + i, 1);
    g_autofree char *json = emit_json(app);
    assert_non_null(strstr(json, "\"frames\":2"));
    assert_true(ptl_app_feeds_held(app) > 5900);  /* of 6008 one-byte feeds */
    ptl_app_finish(app);
    assert_false(ptl_app_is_truncated(app));
    ptl_app_free(app);
}

/* Facts reach the hook as they are raised, each kind once. */
static void
test_app_facts_as_raised(void **state)
{
    Sink sink = sink_init();
    PtlAppHooks hooks = { NULL, sink_fact, &sink };
    PtlApp *app = ptl_app_new(*state, PTL_TRANSPORT_TCP, 40000, 2000, NULL);
    ptl_app_set_hooks(app, &hooks, &sink, 7);
    feed_text(app, PTL_DIR_TO_SERVER, "BETA\nAUTH bob\n");
    assert_int_equal(sink.facts->len, 2);
    assert_int_equal(g_array_index(sink.facts, PtlFact, 0), PTL_FACT_CONFIRMED);
    assert_int_equal(g_array_index(sink.facts, PtlFact, 1), PTL_FACT_CLEARTEXT_AUTH);
    feed_text(app, PTL_DIR_TO_SERVER, "AUTH amy\n");
    assert_int_equal(sink.facts->len, 2);
    ptl_app_free(app);
    sink_clear(&sink);
}

static void
test_app_emit_none(void **state)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ptl_app_emit_none(*state, PTL_TRANSPORT_TCP, 1000, b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *json = json_to_string(root, FALSE);
    assert_string_equal(json, "{\"protocol\":null,\"port_candidate\":\"alpha\"}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_identifies_by_content_not_port),
        cmocka_unit_test(test_app_maybe_waits_for_more),
        cmocka_unit_test(test_app_unknown_counts_bytes),
        cmocka_unit_test(test_app_too_few_bytes_is_undecided),
        cmocka_unit_test(test_app_maybe_at_probe_limit_is_no),
        cmocka_unit_test(test_app_split_at_every_offset),
        cmocka_unit_test(test_app_unconsumed_at_end_is_truncated),
        cmocka_unit_test(test_app_dissector_error_stops_feeding),
        cmocka_unit_test(test_app_pending_over_limit_fails),
        cmocka_unit_test(test_app_gap_resyncs_or_closes),
        cmocka_unit_test(test_app_midstream_direction_resyncs),
        cmocka_unit_test(test_app_facts_and_websocket),
        cmocka_unit_test(test_app_forced_by_port),
        cmocka_unit_test(test_app_udp_datagrams),
        cmocka_unit_test(test_app_records_and_cap),
        cmocka_unit_test(test_app_records_without_reader),
        cmocka_unit_test(test_app_need_hint_holds_pending),
        cmocka_unit_test(test_app_facts_as_raised),
        cmocka_unit_test(test_app_emit_none),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
