/* record-checks.c: checks of the records a dissector writes (see the header). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "record-checks.h"

/* A core whose record cap is already reached. */
static JsonBuilder *
record_refuse(const PtlFlowContext *ctx, const char *kind)
{
    (void) ctx;
    (void) kind;
    return NULL;
}

static void
record_end_never(const PtlFlowContext *ctx)
{
    (void) ctx;
    fail_msg("record_end after record_begin gave NULL");
}

/* The fake core's own record_begin, the same for every flow. */
static JsonBuilder *(*record_harness_begin)(const PtlFlowContext *ctx, const char *kind);

static JsonBuilder *
record_begin_any_time(const PtlFlowContext *ctx, const char *kind)
{
    PtlFlowContext at_harness_time = *ctx;
    at_harness_time.ts_ns = HARNESS_TS_NS;
    return record_harness_begin(&at_harness_time, kind);
}

void
record_allow_clock(HarnessFlow *flow)
{
    if (flow->ctx.record_begin != record_begin_any_time) {
        record_harness_begin = flow->ctx.record_begin;
        flow->ctx.record_begin = record_begin_any_time;
    }
}

void
record_assert_refused_same(const HarnessFlowConfig *config, const HarnessScript *script)
{
    g_autoptr(HarnessFlow) taken = harness_flow_new(config);
    harness_flow_feed_segments(taken, script->segs, script->n);
    g_autoptr(HarnessFlow) refused = harness_flow_new(config);
    refused->ctx.record_begin = record_refuse;
    refused->ctx.record_end = record_end_never;
    harness_flow_feed_segments(refused, script->segs, script->n);
    if (harness_flow_count_records(taken, NULL) == 0)
        fail_msg("%s: the script writes no record, so refusing them proves nothing", script->name);
    assert_int_equal(harness_flow_count_records(refused, NULL), 0);
    g_autofree char *json_taken = harness_flow_json(taken);
    g_autofree char *json_refused = harness_flow_json(refused);
    assert_string_equal(json_refused, json_taken);
    g_autofree char *facts_taken = harness_flow_facts_text(taken);
    g_autofree char *facts_refused = harness_flow_facts_text(refused);
    assert_string_equal(facts_refused, facts_taken);
}

void
record_assert_not_recorded(const HarnessFlow *flow, const char *secret)
{
    g_autofree char *text = harness_flow_records_text(flow);
    if (strstr(text, secret) != NULL)
        fail_msg("secret \"%s\" recorded: %s", secret, text);
}

char *
record_summary(const HarnessFlow *flow, const char *kind)
{
    GString *out = g_string_new(NULL);
    guint n = harness_flow_count_records(flow, kind);
    for (guint i = 0; i < n; i++) {
        JsonObject *o = harness_flow_record(flow, kind, i);
        g_autoptr(GList) members = json_object_get_members(o);
        gboolean is_first = TRUE;
        for (GList *m = members; m != NULL; m = m->next) {
            const char *key = m->data;
            if (strcmp(key, "kind") == 0 || strcmp(key, "ts") == 0 || strcmp(key, "flow_id") == 0)
                continue;
            JsonNode *v = json_object_get_member(o, key);
            g_autofree char *value = json_to_string(v, FALSE);
            g_string_append_printf(out, "%s%s=%s", is_first ? "" : " ", key, value);
            is_first = FALSE;
        }
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}
