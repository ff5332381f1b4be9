/* starttls-checks.h: the checks every clear-text-start dissector test makes
 * (STYLE.md section 6), over the fixtures each test file gives: a session that
 * upgrades to TLS, one whose upgrade is refused, and probe samples.  Include
 * after cmocka.h and dissector-harness.h; define the fixture, then call
 * STARTTLS_TEST_MAIN(fixture). */
#pragma once

#include <string.h>

typedef struct {
    const char          *name;          /* the dissector's name */
    HarnessFlowConfig    config;
    HarnessScript        upgrade;       /* ends with TLS bytes after the grant */
    gsize                tls_to_server; /* TLS bytes of the upgrade script after the grant */
    const char          *fact;          /* the UPGRADE_TLS detail */
    HarnessScript        refused;       /* the upgrade asked for and refused */
    const char          *json_key;      /* the emitted member telling the upgrade */
    const char          *granted;       /* its value on the upgrade script */
    const char          *refused_value; /* its value on the refused script */
    const HarnessSegment *yes;          /* probe says YES on each, NULL-data terminated */
    const HarnessSegment *no;
    const HarnessSegment *maybe;
    const HarnessSegment *malformed;    /* feed fails on each with `malformed_code` */
    const gint           *malformed_codes;
    /* optional: a clear-text login, the CLEARTEXT_AUTH detail it raises, its password */
    HarnessScript        login;
    const char          *login_fact;
    const char          *login_secret;
    /* the client's side alone switches too: its TLS record after its request */
    gboolean             is_client_switch;
} StarttlsFixture;

static const StarttlsFixture *starttls_fx;

static void
starttls_probe_each(const HarnessSegment *segs, PtlProbe want)
{
    const PtlDissector *d = ptl_dissector_entry();
    for (gsize i = 0; segs[i].data != NULL; i++) {
        PtlProbe got = d->probe(segs[i].data, segs[i].len, segs[i].dir);
        if (got != want)
            fail_msg("probe sample %zu: %d, expected %d", i, got, want);
    }
}

static void
test_starttls_descriptor(void **unused)
{
    (void) unused;
    harness_assert_descriptor(ptl_dissector_entry(), starttls_fx->name, "1.0.0", FALSE);
}

static void
test_starttls_probe(void **unused)
{
    (void) unused;
    starttls_probe_each(starttls_fx->yes, PTL_PROBE_YES);
    starttls_probe_each(starttls_fx->no, PTL_PROBE_NO);
    starttls_probe_each(starttls_fx->maybe, PTL_PROBE_MAYBE);
}

/* The grant is the switch point: the dissector stops right after it, raises
 * the fact once, and (with no TLS dissector behind it here) counts the rest. */
static void
test_starttls_upgrade(void **unused)
{
    (void) unused;
    g_autoptr(HarnessFlow) flow = harness_flow_new(&starttls_fx->config);
    harness_flow_feed_segments(flow, starttls_fx->upgrade.segs, starttls_fx->upgrade.n);
    assert_true(harness_flow_has_fact(flow, PTL_FACT_UPGRADE_TLS, starttls_fx->fact));
    assert_int_equal(harness_flow_count_facts(flow, PTL_FACT_UPGRADE_TLS, NULL), 1);
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CONFIRMED, NULL));
    g_autoptr(JsonNode) node = harness_flow_node(flow);
    JsonObject *o = json_node_get_object(node);
    assert_string_equal(harness_obj_str(o, starttls_fx->json_key), starttls_fx->granted);
    if (starttls_fx->tls_to_server > 0)
        assert_int_equal(harness_obj_int(o, "after_upgrade_to_server"),
                         starttls_fx->tls_to_server);
    for (int d = 0; d < 2; d++)
        assert_true(flow->pending[d] == NULL || flow->pending[d]->len == 0);
}

static void
test_starttls_refused(void **unused)
{
    (void) unused;
    g_autoptr(HarnessFlow) flow = harness_flow_new(&starttls_fx->config);
    harness_flow_feed_segments(flow, starttls_fx->refused.segs, starttls_fx->refused.n);
    assert_false(harness_flow_has_fact(flow, PTL_FACT_UPGRADE_TLS, NULL));
    g_autoptr(JsonNode) node = harness_flow_node(flow);
    assert_string_equal(harness_obj_str(json_node_get_object(node), starttls_fx->json_key),
                        starttls_fx->refused_value);
}

/* A password sent before any TLS: one CLEARTEXT_AUTH naming the mechanism or
 * user, and the password itself nowhere (docs/secrets.md). */
static void
test_starttls_cleartext_login(void **unused)
{
    (void) unused;
    if (starttls_fx->login_fact == NULL)
        skip();
    g_autoptr(HarnessFlow) flow = harness_flow_new(&starttls_fx->config);
    harness_flow_feed_segments(flow, starttls_fx->login.segs, starttls_fx->login.n);
    assert_true(harness_flow_has_fact(flow, PTL_FACT_CLEARTEXT_AUTH, starttls_fx->login_fact));
    assert_int_equal(harness_flow_count_facts(flow, PTL_FACT_CLEARTEXT_AUTH, NULL), 1);
    harness_assert_not_emitted(flow, starttls_fx->login_secret);
    harness_assert_split_invariant(&starttls_fx->config, &starttls_fx->login, NULL);
}

/* A one-sided capture (the client's side only): the request, then a TLS record. */
static void
test_starttls_client_side_only(void **unused)
{
    (void) unused;
    if (!starttls_fx->is_client_switch)
        skip();
    g_autoptr(HarnessFlow) flow = harness_flow_new(&starttls_fx->config);
    for (gsize i = 0; i < starttls_fx->upgrade.n; i++) {
        const HarnessSegment *seg = &starttls_fx->upgrade.segs[i];
        if (seg->dir == PTL_DIR_TO_SERVER)
            harness_flow_feed_ok(flow, seg->dir, seg->data, seg->len);
    }
    assert_true(harness_flow_has_fact(flow, PTL_FACT_UPGRADE_TLS, starttls_fx->fact));
    /* the TLS record is left for the core at the switch point, or was counted after it */
    gsize held = flow->pending[PTL_DIR_TO_SERVER] != NULL ? flow->pending[PTL_DIR_TO_SERVER]->len
                                                          : 0;
    assert_true(held == 0 || held == starttls_fx->tls_to_server);
}

static void
test_starttls_any_split(void **unused)
{
    (void) unused;
    harness_assert_split_invariant(&starttls_fx->config, &starttls_fx->upgrade, NULL);
    harness_assert_split_invariant(&starttls_fx->config, &starttls_fx->refused, NULL);
}

static void
test_starttls_truncations(void **unused)
{
    (void) unused;
    harness_assert_script_truncations(&starttls_fx->config, &starttls_fx->upgrade);
    harness_assert_script_truncations(&starttls_fx->config, &starttls_fx->refused);
}

static void
test_starttls_malformed(void **unused)
{
    (void) unused;
    for (gsize i = 0; starttls_fx->malformed[i].data != NULL; i++) {
        const HarnessSegment *seg = &starttls_fx->malformed[i];
        g_autoptr(HarnessFlow) flow = harness_flow_new(&starttls_fx->config);
        assert_false(harness_flow_feed(flow, seg->dir, seg->data, seg->len));
        assert_non_null(flow->error);
        assert_true(g_error_matches(flow->error, PTL_DISSECT_ERROR,
                                    starttls_fx->malformed_codes[i]));
    }
}

static void
test_starttls_gap_and_fresh_emit(void **unused)
{
    (void) unused;
    const PtlDissector *d = ptl_dissector_entry();
    gpointer state = d->state_new();
    g_autofree char *json = harness_emit_json(d, state);
    assert_non_null(strstr(json, "{"));
    /* a hole in a fresh stream: resynchronising or not, the state still emits */
    (void) d->gap(state, PTL_DIR_TO_CLIENT, 100);
    g_autofree char *after = harness_emit_json(d, state);
    assert_non_null(strstr(after, "{"));
    d->state_free(state);
}

/* The entries of a cmocka test array, for a file that adds tests of its own. */
#define STARTTLS_TESTS                                                               \
    cmocka_unit_test(test_starttls_descriptor),                                      \
    cmocka_unit_test(test_starttls_probe),                                           \
    cmocka_unit_test(test_starttls_upgrade),                                         \
    cmocka_unit_test(test_starttls_refused),                                         \
    cmocka_unit_test(test_starttls_cleartext_login),                                 \
    cmocka_unit_test(test_starttls_client_side_only),                                \
    cmocka_unit_test(test_starttls_any_split),                                       \
    cmocka_unit_test(test_starttls_truncations),                                     \
    cmocka_unit_test(test_starttls_malformed),                                       \
    cmocka_unit_test(test_starttls_gap_and_fresh_emit)

#define STARTTLS_TEST_MAIN(fixture)                                                  \
    int                                                                              \
    main(void)                                                                       \
    {                                                                                \
        starttls_fx = &(fixture);                                                    \
        const struct CMUnitTest tests[] = { STARTTLS_TESTS };                        \
        return cmocka_run_group_tests(tests, NULL, NULL);                            \
    }
