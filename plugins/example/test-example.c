/* test-example.c: tests for the reference plugin (plugins/example/example.c).
 *
 * Copy this layout with the plugin (STYLE.md section 6): probe YES/NO/MAYBE,
 * split-invariance, every truncation, malformed input and limits, emit on a fresh
 * state.  The dissector is reached only through ptl_dissector_entry(), as the core
 * reaches it, and a fake core stands in for the real one.
 *
 * ECHO has no public captures, so its fixture is synthetic; for a real protocol, copy
 * TCP payloads from captures and name the file and frame above each array. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-dissector.h"

const PtlDissector *ptl_dissector_entry(void);

/* A client that sends two requests and quits; the server answers both. */
static const char conv_to_server[] = "ECHO hello\nECHO wörld\nQUIT\n";
static const char conv_to_client[] = "hello\nwörld\n";

/* ---- fake core: keeps what feed did not consume, records facts and records ----
 *
 * portolan's own dissector tests share this machinery in tests/dissector-harness.c.
 * This file keeps a small copy on purpose: it is the template you copy out of tree,
 * where only the installed headers (ptl-dissector.h, ptl-module.h, ptl-cursor.h) exist, and the
 * copy shows in a few lines exactly what the core promises feed(). */

typedef struct {
    PtlFlowContext      ctx;
    const PtlDissector *d;
    gpointer            state;
    GByteArray         *pending[2];
    GPtrArray          *facts;    /* "<fact>:<detail>" */
    GPtrArray          *records;  /* each record as compact JSON */
    JsonBuilder        *open;     /* the record between record_begin and record_end */
    gsize               need[2];  /* bytes the dissector said it needs before more work */
    GError             *error;
} Core;

static void
core_fact(const PtlFlowContext *ctx, PtlFact fact, const char *detail)
{
    Core *core = ctx->core_data;
    g_ptr_array_add(core->facts, g_strdup_printf("%d:%s", (int) fact, detail ? detail : ""));
}

/* The core opens the record's object with its own members; the module adds the rest. */
static JsonBuilder *
core_record_begin(const PtlFlowContext *ctx, const char *kind)
{
    Core *core = ctx->core_data;
    assert_null(core->open);
    core->open = json_builder_new();
    json_builder_begin_object(core->open);
    ptl_emit_string(core->open, "kind", kind, -1);
    /* the core writes the packet time as ISO 8601 UTC; the fake core's clock is at 1 s */
    assert_true(ctx->ts_ns == 1000000000);
    ptl_emit_string(core->open, "ts", "1970-01-01T00:00:01.000000Z", -1);
    ptl_emit_int(core->open, "flow_id", 1);
    return core->open;
}

static void
core_record_end(const PtlFlowContext *ctx)
{
    Core *core = ctx->core_data;
    assert_non_null(core->open);
    json_builder_end_object(core->open);
    JsonNode *root = json_builder_get_root(core->open);
    g_ptr_array_add(core->records, json_to_string(root, FALSE));
    json_node_unref(root);
    g_clear_object(&core->open);
}

static void
core_need(const PtlFlowContext *ctx, PtlDirection dir, gsize more)
{
    Core *core = ctx->core_data;
    core->need[dir == PTL_DIR_TO_CLIENT] = more;
}

static Core *
core_new(void)
{
    Core *core = g_new0(Core, 1);
    core->d = ptl_dissector_entry();
    core->ctx.fact = core_fact;
    core->ctx.core_data = core;
    core->ctx.transport = PTL_TRANSPORT_TCP;
    core->ctx.server_port = 7777;
    core->ctx.struct_size = sizeof(PtlFlowContext);
    core->ctx.ts_ns = 1000000000;
    core->ctx.record_begin = core_record_begin;
    core->ctx.record_end = core_record_end;
    core->ctx.need = core_need;
    core->state = core->d->state_new();
    core->pending[0] = g_byte_array_new();
    core->pending[1] = g_byte_array_new();
    core->facts = g_ptr_array_new_with_free_func(g_free);
    core->records = g_ptr_array_new_with_free_func(g_free);
    return core;
}

static void
core_free(Core *core)
{
    core->d->state_free(core->state);
    g_byte_array_unref(core->pending[0]);
    g_byte_array_unref(core->pending[1]);
    g_ptr_array_unref(core->facts);
    g_ptr_array_unref(core->records);
    assert_null(core->open);
    g_clear_error(&core->error);
    g_free(core);
}

/* Appends, feeds all that is pending, drops what was consumed; FALSE once feed failed. */
static gboolean
core_feed(Core *core, PtlDirection dir, const char *data, gsize len)
{
    if (core->error != NULL)
        return FALSE;
    GByteArray *p = core->pending[dir == PTL_DIR_TO_CLIENT];
    g_byte_array_append(p, (const guint8 *) data, (guint) len);
    gsize *need = &core->need[dir == PTL_DIR_TO_CLIENT];
    if (*need > len) {  /* the dissector asked not to see these bytes again yet */
        *need -= len;
        return TRUE;
    }
    *need = 0;
    gssize n = core->d->feed(core->state, &core->ctx, dir, p->data, p->len, &core->error);
    if (n < 0) {
        assert_non_null(core->error);
        assert_int_equal(core->error->domain, PTL_DISSECT_ERROR);
        return FALSE;
    }
    assert_null(core->error);
    assert_true((gsize) n <= p->len);
    g_byte_array_remove_range(p, 0, (guint) n);
    return TRUE;
}

/* transfer full: the members emit adds, as one JSON object */
static char *
emit_json(const PtlDissector *d, gpointer state)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    d->emit(state, b);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *json = json_to_string(root, FALSE);
    json_node_unref(root);
    return json;
}

static PtlProbe
probe(const char *data, PtlDirection dir)
{
    return ptl_dissector_entry()->probe((const guint8 *) data, strlen(data), dir);
}

/* ---- tests ---- */

static void
test_example_descriptor(void **unused)
{
    (void) unused;
    const PtlDissector *d = ptl_dissector_entry();
    assert_int_equal(d->abi_version, PTL_DISSECTOR_ABI_VERSION);
    assert_int_equal(d->struct_size, sizeof(PtlDissector));
    assert_string_equal(d->name, "example");
    assert_int_equal(d->default_ports[0], 7777);
    assert_int_equal(d->default_ports[1], 0);
    assert_string_equal(d->version, "1.0.0");
    assert_non_null(d->description);
    assert_null(d->probe_datagram);
}

/* 1. probe answers YES, NO and MAYBE, and never YES to the other protocols' bytes */
static void
test_example_probe(void **unused)
{
    (void) unused;
    assert_int_equal(probe("ECHO hi\n", PTL_DIR_TO_SERVER), PTL_PROBE_YES);
    assert_int_equal(probe("QUIT\n", PTL_DIR_TO_SERVER), PTL_PROBE_YES);
    assert_int_equal(probe("", PTL_DIR_TO_SERVER), PTL_PROBE_MAYBE);
    assert_int_equal(probe("ECH", PTL_DIR_TO_SERVER), PTL_PROBE_MAYBE);
    assert_int_equal(probe("ECHO no end of line yet", PTL_DIR_TO_SERVER), PTL_PROBE_MAYBE);
    assert_int_equal(probe("hi\n", PTL_DIR_TO_CLIENT), PTL_PROBE_NO);
    assert_int_equal(probe("GET / HTTP/1.1\r\n", PTL_DIR_TO_SERVER), PTL_PROBE_NO);
    assert_int_equal(probe("AMQP\x01\x01", PTL_DIR_TO_SERVER), PTL_PROBE_NO);
    assert_int_equal(probe("\x16\x03\x01\x00\x05", PTL_DIR_TO_SERVER), PTL_PROBE_NO);
    g_autofree char *long_line = g_strnfill(2000, 'x');
    g_autofree char *too_long = g_strconcat("ECHO ", long_line, "\n", NULL);
    assert_int_equal(probe(too_long, PTL_DIR_TO_SERVER), PTL_PROBE_NO);
}

static char *
feed_whole(void)
{
    Core *core = core_new();
    assert_true(core_feed(core, PTL_DIR_TO_SERVER, conv_to_server, strlen(conv_to_server)));
    assert_true(core_feed(core, PTL_DIR_TO_CLIENT, conv_to_client, strlen(conv_to_client)));
    assert_int_equal(core->facts->len, 1);
    assert_string_equal(g_ptr_array_index(core->facts, 0), "0:ECHO");  /* CONFIRMED */
    char *json = emit_json(core->d, core->state);
    core_free(core);
    return json;
}

static void
test_example_feed(void **unused)
{
    (void) unused;
    g_autofree char *json = feed_whole();
    assert_string_equal(json, "{\"requests\":2,\"replies\":2,\"quit\":true,"
                              "\"texts\":[\"hello\",\"wörld\"],\"texts_dropped\":0}");
}

/* 2. split-invariance: every cut into two feeds emits what one feed emits */
static void
test_example_feed_any_split(void **unused)
{
    (void) unused;
    g_autofree char *want = feed_whole();
    gsize len = strlen(conv_to_server);
    for (gsize cut = 0; cut <= len; cut++) {
        Core *core = core_new();
        assert_true(core_feed(core, PTL_DIR_TO_SERVER, conv_to_server, cut));
        assert_true(core_feed(core, PTL_DIR_TO_SERVER, conv_to_server + cut, len - cut));
        assert_true(core_feed(core, PTL_DIR_TO_CLIENT, conv_to_client, strlen(conv_to_client)));
        g_autofree char *got = emit_json(core->d, core->state);
        assert_string_equal(got, want);
        core_free(core);
    }
}

/* 3. every truncation is consumed in part (0..len), never refused */
static void
test_example_feed_every_truncation(void **unused)
{
    (void) unused;
    for (gsize len = 0; len <= strlen(conv_to_server); len++) {
        Core *core = core_new();
        GError *error = NULL;
        gssize n = core->d->feed(core->state, &core->ctx, PTL_DIR_TO_SERVER,
                                 (const guint8 *) conv_to_server, len, &error);
        assert_null(error);
        assert_true(n >= 0 && (gsize) n <= len);
        core_free(core);
    }
}

/* 4. malformed input and limits give PTL_DISSECT_ERROR_* naming the protocol */
static void
test_example_feed_malformed(void **unused)
{
    (void) unused;
    Core *core = core_new();
    assert_false(core_feed(core, PTL_DIR_TO_SERVER, "HELO x\n", 7));
    assert_int_equal(core->error->code, PTL_DISSECT_ERROR_MALFORMED);
    assert_string_equal(core->error->message, "example: request is neither ECHO nor QUIT");
    core_free(core);

    core = core_new();
    g_autofree char *long_line = g_strnfill(1100, 'x');
    assert_false(core_feed(core, PTL_DIR_TO_SERVER, long_line, strlen(long_line)));
    assert_int_equal(core->error->code, PTL_DISSECT_ERROR_LIMIT);
    assert_string_equal(core->error->message, "example: line over limit 1024");
    core_free(core);
}

/* The list keeps the first distinct texts and counts the rest. */
static void
test_example_texts_capped(void **unused)
{
    (void) unused;
    Core *core = core_new();
    for (guint i = 0; i < 12; i++) {
        g_autofree char *line = g_strdup_printf("ECHO text-%u\nECHO text-0\n", i);
        assert_true(core_feed(core, PTL_DIR_TO_SERVER, line, strlen(line)));
    }
    g_autofree char *json = emit_json(core->d, core->state);
    assert_non_null(strstr(json, "\"requests\":24"));
    assert_non_null(strstr(json, "\"text-7\"],\"texts_dropped\":4"));
    core_free(core);
}

/* Each request is one record, with the core's members first; none without a core. */
static void
test_example_records(void **unused)
{
    (void) unused;
    Core *core = core_new();
    assert_true(core_feed(core, PTL_DIR_TO_SERVER, conv_to_server, strlen(conv_to_server)));
    assert_int_equal(core->records->len, 3);
    assert_string_equal(g_ptr_array_index(core->records, 0),
                        "{\"kind\":\"example_echo\",\"ts\":\"1970-01-01T00:00:01.000000Z\",\"flow_id\":1,"
                        "\"text\":\"hello\"}");
    assert_string_equal(g_ptr_array_index(core->records, 2),
                        "{\"kind\":\"example_quit\",\"ts\":\"1970-01-01T00:00:01.000000Z\",\"flow_id\":1}");
    core_free(core);

    /* a context of ABI 1's size (struct_size 0) and no context at all: no record, no crash */
    core = core_new();
    core->ctx.struct_size = 0;
    assert_true(core_feed(core, PTL_DIR_TO_SERVER, conv_to_server, strlen(conv_to_server)));
    assert_int_equal(core->records->len, 0);
    core_free(core);
    const PtlDissector *d = ptl_dissector_entry();
    gpointer state = d->state_new();
    assert_int_equal(d->feed(state, NULL, PTL_DIR_TO_SERVER, (const guint8 *) "QUIT\n", 5, NULL),
                     5);
    d->state_free(state);
}

/* 5. emit on a state that saw no data */
static void
test_example_emit_fresh_state(void **unused)
{
    (void) unused;
    const PtlDissector *d = ptl_dissector_entry();
    gpointer state = d->state_new();
    g_autofree char *json = emit_json(d, state);
    assert_string_equal(json, "{\"requests\":0,\"replies\":0,\"quit\":false,\"texts\":[],"
                              "\"texts_dropped\":0}");
    assert_false(d->gap(state, PTL_DIR_TO_SERVER, 10));
    d->state_free(state);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_descriptor),
        cmocka_unit_test(test_example_probe),
        cmocka_unit_test(test_example_feed),
        cmocka_unit_test(test_example_feed_any_split),
        cmocka_unit_test(test_example_feed_every_truncation),
        cmocka_unit_test(test_example_feed_malformed),
        cmocka_unit_test(test_example_texts_capped),
        cmocka_unit_test(test_example_records),
        cmocka_unit_test(test_example_emit_fresh_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
