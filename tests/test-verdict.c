/* test-verdict.c: the rule engine: product selection, roles, every finding
 * kind, aggregation, JSON and terminal output.  Rules and inventories are
 * small files written to a temporary directory in the rules/ format. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "ptl-verdict.h"

/* Two products sharing 2181 (both zookeeper) and 8081 (http vs thrift). */
static const char alpha_rules[] =
    "# test product alpha\n"
    "product  alpha\n"
    "title    \"Alpha\"\n"
    "seed     alpha-doc.txt\n"
    "\n"
    "2181        | tcp | zookeeper | zk-client   | inbound       | nodes,admins        | internal"
    " |              | ZooKeeper clients | row 1\n"
    "2888        | tcp | zookeeper | zk-quorum   | bidirectional | nodes               | internal"
    " |              | ZooKeeper quorum  | row 2\n"
    "7711        | tcp | tls       | receiver-ssl| inbound       | any                 | external"
    " |              | SSL receiver      | row 3\n"
    "5672        | tcp | amqp      | broker      | inbound       | nodes,clients       | internal"
    " |              | message broker    | row 4\n"
    "443         | tcp | tls       | licensing   | outbound      | external            | external"
    " |              | licensing         | row 5\n"
    "5052        | tcp | any       | shipper     | outbound      | listener.logz.io    | external"
    " |              | log shipping      | row 6\n"
    "4249        | tcp | opaque    | searchiq    | bidirectional | nodes               | internal"
    " | disabled     | commented out     | row 7\n"
    "20123-32768 | tcp | any       | dynamic     | bidirectional | nodes               | internal"
    " | dynamic      | dynamic services  | row 8\n"
    "5986        | tcp | tls       | installer   | inbound       | any                 | external"
    " | install-only | installer WinRM   | row 9\n"
    "8081        | tcp | http      | web         | inbound       | any                 | external"
    " |              | web UI            | row 10\n"
    "9000        | tcp | opaque    | rpc         | inbound       | nodes               | internal"
    " |              | private RPC       | row 11\n"
    "7000        | tcp | http      | partner-api | inbound       | partner.example.com | external"
    " |              | partner callbacks | row 12\n";
#define ALPHA_LINE_ZK_QUORUM 7

static const char beta_rules[] =
    "product  beta\n"
    "seed     beta-doc.txt\n"
    "2181 | tcp | zookeeper | zk          | inbound | nodes | internal | | ZooKeeper   | row 1\n"
    "8081 | tcp | thrift    | thrift-8081 | inbound | any   | external | | Thrift RPC  | row 2\n"
    "6000 | tcp | thrift    | beta-rpc    | inbound | nodes | internal | | RPC         | row 3\n"
    "6001 | tcp | http      | beta-web    | inbound | nodes | internal | | web         | row 4\n";

static const char cluster_inventory[] =
    "# three nodes, one admin, the log host\n"
    "nodes    10.20.0.11-10.20.0.13\n"
    "admins   10.30.0.5\n"
    "host     listener.logz.io = 203.0.113.50\n"
    "host     partner.example.com = 198.51.100.7\n";

/* 2024-05-01T10:00:00Z */
#define TEST_BASE_NS G_GINT64_CONSTANT(1714557600000000000)

typedef struct {
    char         *dir;
    PtlRuleSet   *rules;
    PtlInventory *inv;
    PtlVerdict   *v;
    JsonNode     *report;
    guint64       next_id;
} Fixture;

static void
write_file(const char *dir, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    assert_true(g_file_set_contents(path, text, -1, NULL));
}

static int
fixture_setup(void **state)
{
    Fixture *fx = g_new0(Fixture, 1);
    fx->dir = g_dir_make_tmp("test-verdict-XXXXXX", NULL);
    assert_non_null(fx->dir);
    write_file(fx->dir, "alpha.rules", alpha_rules);
    write_file(fx->dir, "beta.rules", beta_rules);
    fx->rules = ptl_rule_set_new();
    g_autoptr(GError) error = NULL;
    gboolean is_ok = ptl_rule_set_load_dir(fx->rules, fx->dir, &error);
    if (!is_ok)
        fail_msg("rules: %s", error->message);
    fx->next_id = 1;
    *state = fx;
    return 0;
}

static int
fixture_teardown(void **state)
{
    Fixture *fx = *state;
    g_clear_pointer(&fx->report, json_node_unref);
    g_clear_pointer(&fx->v, ptl_verdict_free);
    g_clear_pointer(&fx->inv, ptl_inventory_free);
    g_clear_pointer(&fx->rules, ptl_rule_set_free);
    g_autoptr(GDir) dir = g_dir_open(fx->dir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(fx->dir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(fx->dir);
    g_free(fx->dir);
    g_free(fx);
    return 0;
}

/* inventory: file text or NULL (none); products: forced list or NULL */
static void
fixture_start(Fixture *fx, const char *inventory, const char *const *products)
{
    fx->inv = ptl_inventory_new();
    if (inventory != NULL) {
        write_file(fx->dir, "inventory.txt", inventory);
        g_autofree char *path = g_build_filename(fx->dir, "inventory.txt", NULL);
        g_autoptr(GError) error = NULL;
        gboolean is_ok = ptl_inventory_load_file(fx->inv, path, &error);
        if (!is_ok)
            fail_msg("inventory: %s", error->message);
    }
    fx->v = ptl_verdict_new(fx->rules, fx->inv, (char **) products);
}

static PtlFlowRecord
make_rec(Fixture *fx, const char *client, const char *server, guint16 port, PtlFlowState state,
         const char *protocol)
{
    PtlFlowRecord rec;
    memset(&rec, 0, sizeof rec);
    rec.id = fx->next_id++;
    assert_true(ptl_addr_parse(client, &rec.client));
    assert_true(ptl_addr_parse(server, &rec.server));
    rec.transport = 6;
    rec.client_port = (guint16) (40000 + rec.id % 20000);
    rec.server_port = port;
    rec.state = state;
    rec.protocol = protocol;
    rec.first_ts_ns = TEST_BASE_NS + (gint64) rec.id * 1000;
    rec.last_ts_ns = rec.first_ts_ns + 500;
    rec.packets = 10;
    rec.bytes = 1000;
    return rec;
}

static void
add(Fixture *fx, const char *client, const char *server, guint16 port, PtlFlowState state,
    const char *protocol)
{
    PtlFlowRecord rec = make_rec(fx, client, server, port, state, protocol);
    ptl_verdict_add(fx->v, &rec);
}

static void
add_n(Fixture *fx, guint n, const char *client, const char *server, guint16 port,
      PtlFlowState state, const char *protocol)
{
    for (guint i = 0; i < n; i++)
        add(fx, client, server, port, state, protocol);
}

static void
add_cleartext(Fixture *fx, const char *client, const char *server, guint16 port,
              const char *protocol, const char *detail)
{
    PtlFlowRecord rec = make_rec(fx, client, server, port, PTL_FLOW_CLOSED, protocol);
    rec.facts = 1u << PTL_FACT_CLEARTEXT_AUTH | 1u << PTL_FACT_CONFIRMED;
    g_strlcpy(rec.auth_detail, detail, sizeof rec.auth_detail);
    ptl_verdict_add(fx->v, &rec);
}

static JsonObject *
report(Fixture *fx)
{
    if (fx->report == NULL) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        ptl_verdict_emit_json(fx->v, b);
        json_builder_end_object(b);
        g_autoptr(JsonNode) built = json_builder_get_root(b);
        /* parse the text back: the shape a reader sees */
        g_autoptr(JsonGenerator) gen = json_generator_new();
        json_generator_set_root(gen, built);
        g_autofree char *text = json_generator_to_data(gen, NULL);
        fx->report = json_from_string(text, NULL);
        assert_non_null(fx->report);
    }
    return json_node_get_object(fx->report);
}

static JsonObject *
find_finding(Fixture *fx, const char *kind, const char *client, const char *server, gint64 port)
{
    JsonArray *findings = json_object_get_array_member(report(fx), "findings");
    for (guint i = 0; i < json_array_get_length(findings); i++) {
        JsonObject *f = json_array_get_object_element(findings, i);
        if (g_strcmp0(json_object_get_string_member(f, "kind"), kind) == 0 &&
            g_strcmp0(json_object_get_string_member(f, "client"), client) == 0 &&
            g_strcmp0(json_object_get_string_member(f, "server"), server) == 0 &&
            json_object_get_int_member(f, "port") == port)
            return f;
    }
    return NULL;
}

static guint
count_findings_json(Fixture *fx)
{
    return json_array_get_length(json_object_get_array_member(report(fx), "findings"));
}

/* judge_flow of one record as "product/service: kind,kind" */
static char *
judge(Fixture *fx, const PtlFlowRecord *rec)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ptl_verdict_judge_flow(fx->v, rec, b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    JsonObject *o = json_node_get_object(root);
    GString *text = g_string_new(NULL);
    const char *product = json_object_get_string_member_with_default(o, "product", NULL);
    const char *service = json_object_get_string_member_with_default(o, "service", NULL);
    g_string_append_printf(text, "%s/%s:", product != NULL ? product : "-",
                           service != NULL ? service : "-");
    JsonArray *kinds = json_object_get_array_member(o, "findings");
    for (guint i = 0; i < json_array_get_length(kinds); i++)
        g_string_append_printf(text, "%s%s", i > 0 ? "," : " ",
                               json_array_get_string_element(kinds, i));
    return g_string_free(text, FALSE);
}

static void
assert_judged(Fixture *fx, const char *client, const char *server, guint16 port,
              PtlFlowState state, const char *protocol, const char *expected)
{
    PtlFlowRecord rec = make_rec(fx, client, server, port, state, protocol);
    g_autofree char *got = judge(fx, &rec);
    assert_string_equal(got, expected);
}

static const char *
member_string(JsonObject *o, const char *key)
{
    return json_object_get_string_member(o, key);
}

/* a finding's severity and what it rests on */
static void
assert_evidence(JsonObject *f, const char *severity, const char *product, const char *roles)
{
    assert_non_null(f);
    assert_string_equal(json_object_get_string_member(f, "severity"), severity);
    JsonObject *evidence = json_object_get_object_member(f, "evidence");
    assert_string_equal(json_object_get_string_member(evidence, "product"), product);
    assert_string_equal(json_object_get_string_member(evidence, "roles"), roles);
}

/* ---- finding kinds ---------------------------------------------------- */

static void
test_verdict_source_not_allowed(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add_n(fx, 3, "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.20.0.12", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.30.0.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "198.51.100.7", "10.20.0.11", 7000, PTL_FLOW_CLOSED, "http");
    add(fx, "198.51.100.8", "10.20.0.11", 7000, PTL_FLOW_CLOSED, "http");
    ptl_verdict_finish(fx->v);

    JsonObject *f = find_finding(fx, "source-not-allowed", "203.0.113.5", "10.20.0.11", 2181);
    assert_non_null(f);
    assert_string_equal(member_string(f, "severity"), "error");
    assert_string_equal(member_string(f, "product"), "alpha");
    assert_string_equal(member_string(f, "service"), "zk-client");
    assert_int_equal(json_object_get_int_member(f, "flows"), 3);
    JsonObject *rule = json_object_get_object_member(f, "rule");
    assert_string_equal(member_string(rule, "file"), "alpha.rules");
    assert_string_equal(member_string(rule, "source"), "alpha-doc.txt row 1");
    assert_non_null(strstr(member_string(f, "message"), "203.0.113.5"));
    /* the doc is cited by its title; the seed file name stays in rule.source */
    assert_non_null(strstr(member_string(f, "message"), "(Alpha, row 1; alpha.rules:"));
    assert_null(strstr(member_string(f, "message"), "alpha-doc.txt"));
    assert_string_equal(member_string(rule, "doc"), "Alpha");
    assert_int_equal(json_object_get_int_member(rule, "row"), 1);
    /* declared product, nodes and admins: the client is known to be neither */
    assert_evidence(f, "error", "declared", "declared");
    assert_null(strstr(member_string(f, "message"), "to confirm"));
    assert_non_null(strstr(member_string(f, "message"), "nodes, admins"));
    /* a named host is allowed only from the address the inventory maps */
    assert_non_null(find_finding(fx, "source-not-allowed", "198.51.100.8", "10.20.0.11", 7000));
    assert_null(find_finding(fx, "source-not-allowed", "198.51.100.7", "10.20.0.11", 7000));
    assert_int_equal(count_findings_json(fx), 2);
}

static void
test_verdict_refused_from_disallowed_source(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add(fx, "203.0.113.5", "10.20.0.11", 2888, PTL_FLOW_REFUSED, NULL);
    add(fx, "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_REFUSED, NULL);
    add(fx, "10.20.0.13", "10.20.0.12", 2888, PTL_FLOW_UNANSWERED, NULL);
    ptl_verdict_finish(fx->v);

    assert_judged(fx, "203.0.113.5", "10.20.0.11", 2888, PTL_FLOW_REFUSED, NULL,
                  "alpha/zk-quorum: source-not-allowed");
    assert_non_null(find_finding(fx, "source-not-allowed", "203.0.113.5", "10.20.0.11", 2888));
    assert_null(find_finding(fx, "connection-refused", "203.0.113.5", "10.20.0.11", 2888));
    JsonObject *refused = find_finding(fx, "connection-refused", "10.20.0.12", "10.20.0.13",
                                       2888);
    assert_evidence(refused, "error", "declared", "declared");
    g_autofree char *advice = g_strdup_printf("Check that the service runs on 10.20.0.13 and "
                                              "listens on tcp/2888 (rule alpha.rules:%d); the "
                                              "port was reached but nothing accepted it, so "
                                              "opening a firewall will not help.",
                                              ALPHA_LINE_ZK_QUORUM);
    assert_string_equal(member_string(refused, "advice"), advice);
    assert_string_equal(member_string(refused, "connection"), "refused-by-rst");
    assert_string_equal(member_string(refused, "state"), "refused");
    JsonObject *silent = find_finding(fx, "connection-unanswered", "10.20.0.13", "10.20.0.12",
                                      2888);
    assert_non_null(silent);
    assert_string_equal(member_string(silent, "severity"), "error");
    assert_string_equal(member_string(silent, "connection"), "unanswered");
    g_autofree char *silent_advice = g_strdup_printf("open TCP 2888 from 10.20.0.13 to "
                                                     "10.20.0.12 (rule alpha.rules:%d), or check "
                                                     "that 10.20.0.12 is up: its SYNs were "
                                                     "dropped", ALPHA_LINE_ZK_QUORUM);
    assert_string_equal(member_string(silent, "advice"), silent_advice);
    assert_int_equal(count_findings_json(fx), 3);
}

static void
test_verdict_direction_violation(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add(fx, "10.0.0.5", "10.20.0.11", 443, PTL_FLOW_CLOSED, "tls");
    add(fx, "10.20.0.11", "203.0.113.9", 443, PTL_FLOW_CLOSED, "tls");
    add(fx, "10.20.0.11", "203.0.113.77", 5052, PTL_FLOW_CLOSED, "http");
    ptl_verdict_finish(fx->v);

    JsonObject *f = find_finding(fx, "direction-violation", "10.0.0.5", "10.20.0.11", 443);
    assert_non_null(f);
    assert_string_equal(member_string(f, "severity"), "error");
    assert_string_equal(member_string(f, "service"), "licensing");
    /* out of a node on an outbound port: tagged, no finding, destination left alone */
    assert_judged(fx, "10.20.0.11", "203.0.113.9", 443, PTL_FLOW_CLOSED, "tls",
                  "alpha/licensing:");
    assert_judged(fx, "10.20.0.11", "203.0.113.77", 5052, PTL_FLOW_CLOSED, "http",
                  "alpha/shipper:");
    assert_int_equal(count_findings_json(fx), 1);
}

static void
test_verdict_protocol_mismatch(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add(fx, "10.0.0.5", "10.20.0.11", 7711, PTL_FLOW_CLOSED, "http");
    add(fx, "10.20.0.12", "10.20.0.11", 5672, PTL_FLOW_CLOSED, "unknown");
    add(fx, "10.20.0.13", "10.20.0.11", 5672, PTL_FLOW_CLOSED, NULL);
    add(fx, "10.20.0.12", "10.20.0.11", 9000, PTL_FLOW_CLOSED, "http");
    add(fx, "10.0.0.6", "10.20.0.11", 8081, PTL_FLOW_CLOSED, "websocket");
    add(fx, "10.0.0.7", "10.20.0.11", 7711, PTL_FLOW_CLOSED, "tls");
    ptl_verdict_finish(fx->v);

    JsonObject *clear = find_finding(fx, "protocol-mismatch", "10.0.0.5", "10.20.0.11", 7711);
    assert_non_null(clear);
    assert_string_equal(member_string(clear, "severity"), "error");
    assert_non_null(strstr(member_string(clear, "message"), "clear text"));
    JsonObject *unknown = find_finding(fx, "protocol-mismatch", "10.20.0.12", "10.20.0.11", 5672);
    assert_non_null(unknown);
    assert_string_equal(member_string(unknown, "severity"), "warning");
    assert_non_null(strstr(member_string(unknown, "message"), "unidentified bytes"));
    /* no payload is not a mismatch; opaque promises nothing; websocket is http */
    assert_judged(fx, "10.20.0.13", "10.20.0.11", 5672, PTL_FLOW_CLOSED, NULL, "alpha/broker:");
    assert_judged(fx, "10.20.0.12", "10.20.0.11", 9000, PTL_FLOW_CLOSED, "http", "alpha/rpc:");
    assert_judged(fx, "10.0.0.6", "10.20.0.11", 8081, PTL_FLOW_CLOSED, "websocket", "alpha/web:");
    assert_int_equal(count_findings_json(fx), 2);
}

static void
test_verdict_undocumented_port(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add(fx, "10.0.0.5", "10.20.0.11", 9999, PTL_FLOW_UNANSWERED, NULL);
    add(fx, "10.0.0.5", "10.20.0.11", 9999, PTL_FLOW_ESTABLISHED, NULL);
    add(fx, "10.0.0.5", "10.20.0.11", 9999, PTL_FLOW_REFUSED, NULL);
    add(fx, "10.0.0.6", "10.20.0.11", 9999, PTL_FLOW_UNANSWERED, NULL);
    add(fx, "10.20.0.12", "10.20.0.11", 4249, PTL_FLOW_CLOSED, NULL);
    add(fx, "10.20.0.12", "10.20.0.11", 25000, PTL_FLOW_REFUSED, NULL);
    add(fx, "10.0.0.5", "10.20.0.11", 25000, PTL_FLOW_CLOSED, NULL);
    add(fx, "10.0.0.5", "10.0.0.9", 9999, PTL_FLOW_CLOSED, "http");
    ptl_verdict_finish(fx->v);

    JsonObject *answered = find_finding(fx, "undocumented-port", "10.0.0.5", "10.20.0.11", 9999);
    assert_non_null(answered);
    /* one finding for the pair: the worst record's severity, every record's flows */
    assert_string_equal(member_string(answered, "severity"), "warning");
    assert_int_equal(json_object_get_int_member(answered, "flows"), 3);
    JsonObject *silent = find_finding(fx, "undocumented-port", "10.0.0.6", "10.20.0.11", 9999);
    assert_non_null(silent);
    assert_string_equal(member_string(silent, "severity"), "info");
    assert_true(json_object_get_null_member(silent, "rule"));
    /* the disabled row documents nothing */
    assert_non_null(find_finding(fx, "undocumented-port", "10.20.0.12", "10.20.0.11", 4249));
    /* a dynamic range between nodes: tagged, never a finding, even refused */
    assert_judged(fx, "10.20.0.12", "10.20.0.11", 25000, PTL_FLOW_REFUSED, NULL,
                  "alpha/dynamic:");
    assert_non_null(find_finding(fx, "source-not-allowed", "10.0.0.5", "10.20.0.11", 25000));
    /* a server that is not a node, no outbound rule: untagged, nothing */
    assert_judged(fx, "10.0.0.5", "10.0.0.9", 9999, PTL_FLOW_CLOSED, "http", "-/-:");
    assert_int_equal(count_findings_json(fx), 4);
}

static void
test_verdict_cleartext_credentials(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add_cleartext(fx, "10.20.0.12", "10.20.0.11", 5672, "amqp", "AMQP PLAIN user guest");
    add_cleartext(fx, "10.0.0.5", "10.20.0.11", 7711, "http", "HTTP Basic user admin");
    add_cleartext(fx, "10.0.0.5", "10.0.0.6", 21, "unknown", "FTP USER user bob");
    add_cleartext(fx, "10.0.0.7", "10.20.0.11", 7711, "tls", "HTTP Basic user admin");
    ptl_verdict_finish(fx->v);

    JsonObject *amqp = find_finding(fx, "cleartext-credentials", "10.20.0.12", "10.20.0.11",
                                    5672);
    assert_non_null(amqp);
    assert_string_equal(member_string(amqp, "severity"), "warning");
    assert_non_null(strstr(member_string(amqp, "message"), "AMQP PLAIN user guest"));
    JsonObject *where_tls = find_finding(fx, "cleartext-credentials", "10.0.0.5", "10.20.0.11",
                                         7711);
    assert_non_null(where_tls);
    assert_string_equal(member_string(where_tls, "severity"), "error");
    assert_non_null(find_finding(fx, "protocol-mismatch", "10.0.0.5", "10.20.0.11", 7711));
    JsonObject *untagged = find_finding(fx, "cleartext-credentials", "10.0.0.5", "10.0.0.6", 21);
    assert_non_null(untagged);
    assert_true(json_object_get_null_member(untagged, "product"));
    assert_string_equal(member_string(untagged, "severity"), "warning");
    /* inside TLS: nothing */
    assert_null(find_finding(fx, "cleartext-credentials", "10.0.0.7", "10.20.0.11", 7711));
    assert_int_equal(count_findings_json(fx), 4);
}

/* A finding shows a few records of its example flows; a flow kept as no example
 * gives its records back. */
static void
test_verdict_example_records(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    g_autoptr(PtlRecordExamples) store = ptl_record_examples_new();
    ptl_verdict_set_record_examples(fx->v, store);
    guint64 last_id = 0;
    for (guint i = 0; i < 5; i++) {
        PtlFlowRecord rec = make_rec(fx, "10.20.0.12", "10.20.0.11", 5672, PTL_FLOW_CLOSED,
                                     "amqp");
        rec.facts = 1u << PTL_FACT_CLEARTEXT_AUTH | 1u << PTL_FACT_CONFIRMED;
        g_strlcpy(rec.auth_detail, "AMQP PLAIN user guest", sizeof rec.auth_detail);
        for (guint k = 0; k < 2; k++) {
            g_autofree char *text = g_strdup_printf(
                "{\"kind\":\"amqp_method\",\"flow_id\":%" G_GUINT64_FORMAT ",\"n\":%u}",
                rec.id, k);
            g_autoptr(JsonNode) node = json_from_string(text, NULL);
            ptl_record_examples_offer(store, rec.id, node);
        }
        gboolean is_example = ptl_verdict_add(fx->v, &rec);
        assert_int_equal(is_example, i < 3);   /* a conversation keeps three examples */
        if (!is_example)
            ptl_record_examples_forget(store, rec.id);
        last_id = rec.id;
    }
    assert_null(ptl_record_examples_get(store, last_id));
    ptl_verdict_finish(fx->v);
    JsonObject *f = find_finding(fx, "cleartext-credentials", "10.20.0.12", "10.20.0.11", 5672);
    assert_non_null(f);
    JsonArray *records = json_object_get_array_member(f, "example_records");
    assert_non_null(records);
    assert_int_equal(json_array_get_length(records), PTL_RECORD_EXAMPLES_PER_FLOW);
    JsonObject *first = json_array_get_object_element(records, 0);
    assert_string_equal(json_object_get_string_member(first, "kind"), "amqp_method");
    assert_int_equal(json_object_get_int_member(first, "flow_id"),
                     json_array_get_int_element(json_object_get_array_member(f, "example_flows"),
                                                0));
}

static void
test_verdict_shared_port_by_protocol(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", "beta", NULL };
    fixture_start(fx, cluster_inventory, products);
    ptl_verdict_finish(fx->v);
    assert_judged(fx, "10.0.0.5", "10.20.0.11", 8081, PTL_FLOW_CLOSED, "thrift",
                  "beta/thrift-8081:");
    assert_judged(fx, "10.0.0.5", "10.20.0.11", 8081, PTL_FLOW_CLOSED, "http", "alpha/web:");
    assert_judged(fx, "10.0.0.5", "10.20.0.11", 8081, PTL_FLOW_CLOSED, NULL, "alpha/web:");
    assert_judged(fx, "10.20.0.12", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper",
                  "alpha/zk-client:");
    /* unidentified bytes match neither: the product listed first, and a mismatch */
    assert_judged(fx, "10.0.0.5", "10.20.0.11", 8081, PTL_FLOW_CLOSED, "unknown",
                  "alpha/web: protocol-mismatch");
}

static void
test_verdict_shared_port_product_order(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "beta", "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    ptl_verdict_finish(fx->v);
    assert_judged(fx, "10.20.0.12", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper",
                  "beta/zk:");
    /* admins may use alpha's 2181 but beta's row is the one that applies */
    assert_judged(fx, "10.30.0.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper",
                  "beta/zk: source-not-allowed");
}

/* ---- products --------------------------------------------------------- */

static JsonObject *
find_product(Fixture *fx, const char *name)
{
    JsonArray *products = json_object_get_array_member(report(fx), "products");
    for (guint i = 0; i < json_array_get_length(products); i++) {
        JsonObject *p = json_array_get_object_element(products, i);
        if (g_strcmp0(member_string(p, "name"), name) == 0)
            return p;
    }
    return NULL;
}

static void
test_verdict_product_scoring(void **state)
{
    Fixture *fx = *state;
    fixture_start(fx, cluster_inventory, NULL);
    add_n(fx, 6, "10.20.0.12", "10.20.0.11", 6000, PTL_FLOW_CLOSED, "thrift");
    add_n(fx, 2, "10.20.0.12", "10.20.0.11", 6001, PTL_FLOW_CLOSED, "http");
    add_n(fx, 2, "10.20.0.13", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add_n(fx, 5, "10.20.0.13", "10.20.0.11", 2888, PTL_FLOW_UNANSWERED, NULL);
    /* its two servers talk to each other on a port it documents between nodes */
    add_n(fx, 2, "10.20.0.11", "10.20.0.12", 6000, PTL_FLOW_CLOSED, "thrift");
    ptl_verdict_finish(fx->v);

    /* beta: 8 + 2 + 2/2 of 12 answered flows; alpha: 2/2 of 12 */
    JsonObject *beta = find_product(fx, "beta");
    JsonObject *alpha = find_product(fx, "alpha");
    assert_non_null(beta);
    assert_non_null(alpha);
    assert_float_equal(json_object_get_double_member(beta, "score"), 11.0 / 12, 1e-4);
    assert_float_equal(json_object_get_double_member(alpha, "score"), 1.0 / 12, 1e-4);
    assert_true(json_object_get_boolean_member(beta, "recognised"));
    assert_false(json_object_get_boolean_member(beta, "declared"));
    /* 6000 and 6001; 2181 is documented by both products */
    assert_int_equal(json_object_get_int_member(beta, "specific_port_count"), 2);
    assert_int_equal(json_object_get_int_member(beta, "node_links"), 3);
    assert_string_equal(member_string(report(fx), "product_selection"), "inferred");
    assert_true(json_object_get_boolean_member(beta, "selected"));
    assert_false(json_object_get_boolean_member(alpha, "selected"));
    assert_false(json_object_get_boolean_member(beta, "forced"));
    JsonArray *ports = json_object_get_array_member(beta, "explained_ports");
    assert_int_equal(json_array_get_length(ports), 3);
    assert_string_equal(json_array_get_string_element(ports, 0), "tcp/2181");
    assert_string_equal(json_array_get_string_element(ports, 2), "tcp/6001");
    /* 2888 is alpha's: with alpha not selected it is undocumented on a node */
    assert_non_null(find_finding(fx, "undocumented-port", "10.20.0.13", "10.20.0.11", 2888));
}

static void
test_verdict_product_needs_own_ports(void **state)
{
    Fixture *fx = *state;
    fixture_start(fx, cluster_inventory, NULL);
    /* one shared port explains half the traffic for each product: neither is chosen */
    add_n(fx, 4, "10.20.0.12", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    ptl_verdict_finish(fx->v);
    assert_float_equal(json_object_get_double_member(find_product(fx, "alpha"), "score"), 0.5,
                       1e-9);
    assert_false(json_object_get_boolean_member(find_product(fx, "alpha"), "selected"));
    assert_false(json_object_get_boolean_member(find_product(fx, "beta"), "selected"));
    assert_judged(fx, "10.20.0.12", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper",
                  "-/-: undocumented-port");
}

static void
test_verdict_product_forced_and_inventory(void **state)
{
    Fixture *fx = *state;
    g_autofree char *inventory = g_strconcat(cluster_inventory, "product beta\n", NULL);
    fixture_start(fx, inventory, NULL);
    add_n(fx, 4, "10.20.0.12", "10.20.0.11", 5672, PTL_FLOW_CLOSED, "amqp");
    add_n(fx, 4, "10.20.0.12", "10.20.0.11", 9000, PTL_FLOW_CLOSED, NULL);
    ptl_verdict_finish(fx->v);
    /* the inventory's product wins over a higher score */
    assert_true(json_object_get_boolean_member(find_product(fx, "beta"), "selected"));
    assert_false(json_object_get_boolean_member(find_product(fx, "alpha"), "selected"));
    assert_float_equal(json_object_get_double_member(find_product(fx, "alpha"), "score"), 1.0,
                       1e-9);
    ptl_verdict_free(g_steal_pointer(&fx->v));
    g_clear_pointer(&fx->report, json_node_unref);
    const char *const forced[] = { "alpha", NULL };
    fx->v = ptl_verdict_new(fx->rules, fx->inv, (char **) forced);
    ptl_verdict_finish(fx->v);
    JsonObject *alpha = find_product(fx, "alpha");
    assert_true(json_object_get_boolean_member(alpha, "selected"));
    assert_true(json_object_get_boolean_member(alpha, "forced"));
    assert_false(json_object_get_boolean_member(find_product(fx, "beta"), "selected"));
}

/* ---- roles ------------------------------------------------------------ */

static guint32
role_of(Fixture *fx, const char *text, gboolean *is_inferred)
{
    PtlAddr addr;
    assert_true(ptl_addr_parse(text, &addr));
    return ptl_verdict_host_role(fx->v, &addr, is_inferred);
}

static void
test_verdict_roles_inferred(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, NULL, products);
    add(fx, "10.20.0.11", "10.20.0.12", 2888, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.20.0.12", "10.20.0.11", 2888, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.20.0.12", "10.20.0.13", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "192.168.1.5", "10.20.0.11", 8081, PTL_FLOW_CLOSED, "http");
    add(fx, "203.0.113.5", "10.20.0.11", 8081, PTL_FLOW_CLOSED, "http");
    /* answers a node port, but only to an outsider: not a node */
    add(fx, "203.0.113.9", "10.20.0.50", 2181, PTL_FLOW_CLOSED, "zookeeper");
    /* answers a node, but on a port no rule opens to nodes: not a node */
    add(fx, "10.20.0.11", "10.20.0.70", 9999, PTL_FLOW_CLOSED, "http");
    ptl_verdict_finish(fx->v);

    gboolean is_inferred = FALSE;
    assert_int_equal(role_of(fx, "10.20.0.11", &is_inferred), PTL_ROLE_NODE);
    assert_true(is_inferred);
    assert_int_equal(role_of(fx, "10.20.0.13", &is_inferred), PTL_ROLE_NODE);
    assert_int_equal(role_of(fx, "10.20.0.50", &is_inferred), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(fx, "10.20.0.70", &is_inferred), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(fx, "192.168.1.5", &is_inferred), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(fx, "203.0.113.5", &is_inferred), PTL_ROLE_EXTERNAL);
    assert_true(is_inferred);
    assert_int_equal(role_of(fx, "fd00::1", &is_inferred), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(fx, "fe80::1", &is_inferred), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(fx, "2001:db8::1", &is_inferred), PTL_ROLE_EXTERNAL);
    JsonObject *roles = json_object_get_object_member(report(fx), "roles");
    assert_true(json_object_get_boolean_member(roles, "inferred"));
    JsonArray *nodes = json_object_get_array_member(roles, "nodes");
    assert_int_equal(json_array_get_length(nodes), 3);
    assert_string_equal(json_array_get_string_element(nodes, 0), "10.20.0.11");
    assert_string_equal(json_array_get_string_element(nodes, 2), "10.20.0.13");
    /* 10.20.0.50 is no node, so talking to it is nobody's business; 8081 is open to all */
    assert_null(find_finding(fx, "source-not-allowed", "203.0.113.9", "10.20.0.50", 2181));
    assert_int_equal(count_findings_json(fx), 0);
}

static void
test_verdict_roles_single_node(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, NULL, products);
    add(fx, "10.0.0.2", "10.0.0.1", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.0.0.3", "10.0.0.1", 2181, PTL_FLOW_CLOSED, "zookeeper");
    ptl_verdict_finish(fx->v);
    gboolean is_inferred = FALSE;
    assert_int_equal(role_of(fx, "10.0.0.1", &is_inferred), PTL_ROLE_NODE);
    assert_true(is_inferred);
    assert_int_equal(role_of(fx, "10.0.0.2", &is_inferred), PTL_ROLE_CLIENT);
    assert_non_null(find_finding(fx, "source-not-allowed", "10.0.0.2", "10.0.0.1", 2181));
}

static void
test_verdict_roles_declared_nodes(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, "nodes 10.20.0.11\nadmins 10.30.0.5\n", products);
    add(fx, "10.20.0.11", "10.20.0.12", 2888, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.20.0.12", "10.20.0.11", 2888, PTL_FLOW_CLOSED, "zookeeper");
    ptl_verdict_finish(fx->v);
    gboolean is_inferred = TRUE;
    assert_int_equal(role_of(fx, "10.20.0.11", &is_inferred), PTL_ROLE_NODE);
    assert_false(is_inferred);
    assert_int_equal(role_of(fx, "10.30.0.5", &is_inferred), PTL_ROLE_ADMIN);
    assert_false(is_inferred);
    /* inference is off: the peer stays a client */
    assert_int_equal(role_of(fx, "10.20.0.12", &is_inferred), PTL_ROLE_CLIENT);
    assert_true(is_inferred);
    JsonObject *roles = json_object_get_object_member(report(fx), "roles");
    assert_false(json_object_get_boolean_member(roles, "inferred"));
    JsonArray *nodes = json_object_get_array_member(roles, "nodes");
    assert_int_equal(json_array_get_length(nodes), 1);
    assert_non_null(find_finding(fx, "source-not-allowed", "10.20.0.12", "10.20.0.11", 2888));
}

/* ---- agreement, aggregation, output ----------------------------------- */

static void
test_verdict_judge_flow_agrees(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", "beta", NULL };
    fixture_start(fx, cluster_inventory, products);
    static const struct {
        const char  *client, *server;
        guint16      port;
        PtlFlowState state;
        const char  *protocol;
    } flows[] = {
        { "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper" },
        { "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_REFUSED, NULL },
        { "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_UNANSWERED, NULL },
        { "10.0.0.5", "10.20.0.11", 7711, PTL_FLOW_CLOSED, "http" },
        { "10.0.0.5", "10.20.0.11", 443, PTL_FLOW_CLOSED, "tls" },
        { "10.0.0.5", "10.20.0.11", 9999, PTL_FLOW_RESET, "unknown" },
        { "10.0.0.5", "10.20.0.11", 9999, PTL_FLOW_UNANSWERED, NULL },
        { "10.20.0.12", "10.20.0.11", 6000, PTL_FLOW_CLOSED, "http" },
        { "10.20.0.12", "10.20.0.11", 25000, PTL_FLOW_CLOSED, "http" },
    };
    GHashTable *expected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(flows); i++) {
        for (guint copy = 0; copy <= i % 3; copy++)
            add(fx, flows[i].client, flows[i].server, flows[i].port, flows[i].state,
                flows[i].protocol);
    }
    ptl_verdict_finish(fx->v);
    for (guint i = 0; i < G_N_ELEMENTS(flows); i++) {
        PtlFlowRecord rec = make_rec(fx, flows[i].client, flows[i].server, flows[i].port,
                                     flows[i].state, flows[i].protocol);
        g_autofree char *verdict = judge(fx, &rec);
        const char *kinds = strchr(verdict, ':') + 1;
        g_auto(GStrv) list = g_strsplit(*kinds == ' ' ? kinds + 1 : kinds, ",", -1);
        for (char **kind = list; *kind != NULL && **kind != '\0'; kind++) {
            g_autofree char *key = g_strdup_printf("%s %s %s %u", *kind, flows[i].client,
                                                   flows[i].server, flows[i].port);
            guint n = GPOINTER_TO_UINT(g_hash_table_lookup(expected, key));
            g_hash_table_insert(expected, g_strdup(key), GUINT_TO_POINTER(n + i % 3 + 1));
        }
    }
    /* every finding is what judge_flow said, with the same number of flows */
    JsonArray *findings = json_object_get_array_member(report(fx), "findings");
    assert_int_equal(json_array_get_length(findings), g_hash_table_size(expected));
    for (guint i = 0; i < json_array_get_length(findings); i++) {
        JsonObject *f = json_array_get_object_element(findings, i);
        g_autofree char *key = g_strdup_printf("%s %s %s %" G_GINT64_FORMAT,
                                               member_string(f, "kind"),
                                               member_string(f, "client"),
                                               member_string(f, "server"),
                                               json_object_get_int_member(f, "port"));
        assert_true(g_hash_table_contains(expected, key));
        assert_int_equal(json_object_get_int_member(f, "flows"),
                         GPOINTER_TO_UINT(g_hash_table_lookup(expected, key)));
    }
    g_hash_table_unref(expected);
}

static void
test_verdict_aggregation_cap(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    /* identical conversations fold into one aggregate with three examples */
    add_n(fx, 10, "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    PtlFlowRecord rec = make_rec(fx, "10.0.0.0", "10.20.0.11", 5672, PTL_FLOW_CLOSED, "amqp");
    const guint distinct = 262144 + 7;
    for (guint i = 1; i < distinct; i++) {
        rec.client.bytes[1] = (guint8) (i >> 16);
        rec.client.bytes[2] = (guint8) (i >> 8);
        rec.client.bytes[3] = (guint8) i;
        ptl_verdict_add(fx->v, &rec);
    }
    ptl_verdict_finish(fx->v);
    assert_int_equal(json_object_get_int_member(report(fx), "flows_not_judged"), 7);
    JsonObject *f = find_finding(fx, "source-not-allowed", "203.0.113.5", "10.20.0.11", 2181);
    assert_non_null(f);
    assert_int_equal(json_object_get_int_member(f, "flows"), 10);
    JsonArray *examples = json_object_get_array_member(f, "example_flows");
    assert_int_equal(json_array_get_length(examples), 3);
    assert_int_equal(json_array_get_int_element(examples, 0), 1);
    assert_int_equal(json_array_get_int_element(examples, 2), 3);
    /* service host lists are capped too */
    JsonArray *services = json_object_get_array_member(report(fx), "services");
    for (guint i = 0; i < json_array_get_length(services); i++) {
        JsonObject *s = json_array_get_object_element(services, i);
        if (g_strcmp0(member_string(s, "service"), "broker") != 0)
            continue;
        assert_int_equal(json_array_get_length(json_object_get_array_member(s, "clients")), 32);
        assert_true(json_object_get_boolean_member(s, "clients_truncated"));
    }
}

static void
assert_members(JsonObject *o, const char *const *keys)
{
    for (const char *const *key = keys; *key != NULL; key++)
        if (!json_object_has_member(o, *key))
            fail_msg("member '%s' missing", *key);
}

static void
test_verdict_json_shape(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add(fx, "10.0.0.5", "10.20.0.11", 9999, PTL_FLOW_UNANSWERED, NULL);
    add(fx, "10.0.0.5", "10.20.0.11", 9998, PTL_FLOW_CLOSED, NULL);
    add(fx, "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.0.0.5", "10.20.0.11", 5986, PTL_FLOW_CLOSED, "tls");
    add(fx, "10.0.0.5", "10.20.0.11", 5986, PTL_FLOW_CLOSED, NULL);
    ptl_verdict_finish(fx->v);

    static const char *const top[] = { "products", "services", "findings", "findings_summary",
                                       "roles", "flows_not_judged", NULL };
    assert_members(report(fx), top);
    static const char *const product_keys[] = { "name", "score", "selected", "forced",
                                                "explained_ports", NULL };
    assert_members(find_product(fx, "beta"), product_keys);
    JsonArray *findings = json_object_get_array_member(report(fx), "findings");
    assert_int_equal(json_array_get_length(findings), 3);
    static const char *const finding_keys[] = {
        "kind", "severity", "product", "service", "rule", "client", "server", "port",
        "transport", "flows", "example_flows", "first_ts", "last_ts", "message", "advice", NULL,
    };
    /* sorted: the error first, then the warning, then the info */
    static const char *const order[] = { "error", "warning", "info" };
    for (guint i = 0; i < 3; i++) {
        JsonObject *f = json_array_get_object_element(findings, i);
        assert_members(f, finding_keys);
        assert_string_equal(member_string(f, "severity"), order[i]);
    }
    JsonObject *first = json_array_get_object_element(findings, 0);
    /* flow 3 at TEST_BASE_NS + 3 us */
    assert_string_equal(member_string(first, "first_ts"), "2024-05-01T10:00:00.000003Z");
    assert_string_equal(member_string(first, "transport"), "tcp");
    JsonObject *rule = json_object_get_object_member(first, "rule");
    assert_int_equal(json_object_get_int_member(rule, "line"), 6);
    JsonObject *summary = json_object_get_object_member(report(fx), "findings_summary");
    assert_int_equal(json_object_get_int_member(summary, "error"), 1);
    assert_int_equal(json_object_get_int_member(summary, "warning"), 1);
    assert_int_equal(json_object_get_int_member(summary, "info"), 1);
    JsonObject *by_kind = json_object_get_object_member(summary, "by_kind");
    assert_int_equal(json_object_get_int_member(by_kind, "undocumented-port"), 2);
    JsonArray *services = json_object_get_array_member(report(fx), "services");
    assert_int_equal(json_array_get_length(services), 2);
    JsonObject *installer = json_array_get_object_element(services, 1);
    static const char *const service_keys[] = {
        "product", "service", "port", "ports", "transport", "expected", "observed", "flows",
        "bytes", "clients", "servers", "install_only", NULL,
    };
    assert_members(installer, service_keys);
    assert_string_equal(member_string(installer, "service"), "installer");
    assert_true(json_object_get_boolean_member(installer, "install_only"));
    JsonObject *observed = json_object_get_object_member(installer, "observed");
    assert_int_equal(json_object_get_int_member(observed, "tls"), 1);
    assert_int_equal(json_object_get_int_member(observed, "none"), 1);
    assert_int_equal(json_object_get_int_member(installer, "bytes"), 2000);
    JsonArray *range = json_array_get_array_element(
        json_object_get_array_member(installer, "ports"), 0);
    assert_int_equal(json_array_get_int_element(range, 0), 5986);
    assert_int_equal(json_array_get_int_element(range, 1), 5986);
    assert_int_equal(ptl_verdict_count_findings(fx->v, PTL_SEVERITY_ERROR), 1);
    assert_int_equal(ptl_verdict_count_findings(fx->v, PTL_SEVERITY_WARNING), 2);
    assert_int_equal(ptl_verdict_count_findings(fx->v, PTL_SEVERITY_INFO), 3);
}

static char *
print_to_string(PtlVerdict *v, gboolean color)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    ptl_verdict_print(v, out, color);
    fclose(out);
    return text;
}

static void
test_verdict_print(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add_n(fx, 3, "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.20.0.12", "10.20.0.11", 5672, PTL_FLOW_CLOSED, "unknown");
    for (guint i = 0; i < 35; i++)
        add(fx, "10.0.0.5", "10.20.0.11", (guint16) (10000 + i), PTL_FLOW_UNANSWERED, NULL);
    ptl_verdict_finish(fx->v);

    g_autofree char *plain = print_to_string(fx->v, FALSE);
    assert_non_null(strstr(plain, "Findings  1 error, 1 warning, 35 info"));
    assert_non_null(strstr(plain, "Products: alpha 0."));
    assert_non_null(strstr(plain, "ERROR  source-not-allowed  203.0.113.5 -> 10.20.0.11 "
                                  "tcp/2181  x3  alpha zk-client\n"));
    assert_non_null(strstr(plain, "WARN   protocol-mismatch  10.20.0.12 -> 10.20.0.11 tcp/5672"));
    assert_non_null(strstr(plain, "advice: If 203.0.113.5 belongs to the cluster"));
    assert_non_null(strstr(plain, "... 7 more (see --json)"));
    assert_non_null(strstr(plain, "Services"));
    assert_non_null(strstr(plain, "zk-client"));
    assert_null(strchr(plain, '\033'));
    g_autofree char *color = print_to_string(fx->v, TRUE);
    assert_non_null(strstr(color, "\033[31mERROR\033[0m  source-not-allowed"));
    assert_non_null(strstr(color, "\033[33mWARN \033[0m  protocol-mismatch"));
}

static void
test_verdict_refresh_then_finish(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add(fx, "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");
    /* judging before any refresh selects from what is known */
    assert_judged(fx, "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper",
                  "alpha/zk-client: source-not-allowed");
    ptl_verdict_refresh(fx->v);
    assert_judged(fx, "203.0.113.5", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper",
                  "alpha/zk-client: source-not-allowed");
    add(fx, "10.0.0.5", "10.20.0.11", 9999, PTL_FLOW_CLOSED, NULL);
    ptl_verdict_refresh(fx->v);
    ptl_verdict_finish(fx->v);
    assert_int_equal(count_findings_json(fx), 2);
    assert_int_equal(json_array_get_length(json_object_get_array_member(report(fx),
                                                                        "products")), 2);
}

static void
test_verdict_names(void **state)
{
    (void) state;
    PtlSeverity severity = PTL_SEVERITY_INFO;
    assert_true(ptl_severity_parse("warning", &severity));
    assert_int_equal(severity, PTL_SEVERITY_WARNING);
    assert_true(ptl_severity_parse("ERROR", &severity));
    assert_int_equal(severity, PTL_SEVERITY_ERROR);
    assert_false(ptl_severity_parse("never", &severity));
    assert_false(ptl_severity_parse(NULL, &severity));
    assert_string_equal(ptl_severity_name(PTL_SEVERITY_INFO), "info");
    static const char *const kinds[] = {
        "source-not-allowed", "direction-violation", "protocol-mismatch", "undocumented-port",
        "connection-refused", "connection-unanswered", "cleartext-credentials",
    };
    for (guint k = 0; k < PTL_FINDING_KIND_COUNT; k++)
        assert_string_equal(ptl_finding_kind_name((PtlFindingKind) k), kinds[k]);
}


/* ---- products only from evidence ------------------------------------------- */

/* zeek-tls1.2.pcap shaped: one host on a public web server, ports several products
 * (or other software) use: no product, so no role guess and no finding */
static void
test_verdict_generic_ports_no_product(void **state)
{
    Fixture *fx = *state;
    fixture_start(fx, NULL, NULL);
    add(fx, "10.0.0.80", "68.233.76.12", 8081, PTL_FLOW_CLOSED, "http");
    add(fx, "10.0.0.80", "68.233.76.12", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "68.233.76.12", "10.0.0.80", 2181, PTL_FLOW_CLOSED, "zookeeper");
    ptl_verdict_finish(fx->v);
    assert_string_equal(member_string(report(fx), "product_selection"), "none");
    assert_false(json_object_get_boolean_member(find_product(fx, "alpha"), "selected"));
    assert_false(json_object_get_boolean_member(find_product(fx, "alpha"), "recognised"));
    assert_float_equal(json_object_get_double_member(find_product(fx, "alpha"), "score"), 0.5,
                       1e-9);
    assert_int_equal(json_object_get_int_member(find_product(fx, "alpha"),
                                                "specific_port_count"), 0);
    assert_int_equal(count_findings_json(fx), 0);
    gboolean is_inferred = FALSE;
    assert_int_equal(role_of(fx, "68.233.76.12", &is_inferred), PTL_ROLE_EXTERNAL);
    g_autofree char *plain = print_to_string(fx->v, FALSE);
    assert_non_null(strstr(plain, "No product recognised.  Scores"));
    assert_non_null(strstr(plain, "alpha 0.50"));
    assert_non_null(strstr(plain, "--product NAME, or a 'product NAME' line in an"));
}

static void
test_verdict_product_needs_node_links(void **state)
{
    Fixture *fx = *state;
    fixture_start(fx, NULL, NULL);
    /* two services of its own, one server, nobody else serving them: not its structure */
    add_n(fx, 3, "10.0.0.2", "10.0.0.1", 6000, PTL_FLOW_CLOSED, "thrift");
    add_n(fx, 3, "10.0.0.2", "10.0.0.1", 6001, PTL_FLOW_CLOSED, "http");
    ptl_verdict_finish(fx->v);
    assert_string_equal(member_string(report(fx), "product_selection"), "none");
    assert_int_equal(json_object_get_int_member(find_product(fx, "beta"), "specific_port_count"),
                     2);
    assert_false(json_object_get_boolean_member(find_product(fx, "beta"), "selected"));
    assert_int_equal(count_findings_json(fx), 0);

    ptl_verdict_free(g_steal_pointer(&fx->v));
    g_clear_pointer(&fx->report, json_node_unref);
    fx->v = ptl_verdict_new(fx->rules, fx->inv, NULL);
    add_n(fx, 3, "10.0.0.2", "10.0.0.1", 6000, PTL_FLOW_CLOSED, "thrift");
    add_n(fx, 3, "10.0.0.2", "10.0.0.1", 6001, PTL_FLOW_CLOSED, "http");
    add(fx, "10.0.0.1", "10.0.0.3", 6000, PTL_FLOW_CLOSED, "thrift");
    add(fx, "10.0.0.3", "10.0.0.1", 6001, PTL_FLOW_CLOSED, "http");
    add(fx, "203.0.113.5", "10.0.0.1", 6000, PTL_FLOW_CLOSED, "thrift");
    ptl_verdict_finish(fx->v);
    assert_string_equal(member_string(report(fx), "product_selection"), "inferred");
    assert_true(json_object_get_boolean_member(find_product(fx, "beta"), "selected"));
    gboolean is_inferred = FALSE;
    assert_int_equal(role_of(fx, "10.0.0.3", &is_inferred), PTL_ROLE_NODE);
    assert_true(is_inferred);
    /* resting on a guessed product and guessed nodes: a warning that says how to confirm */
    JsonObject *f = find_finding(fx, "source-not-allowed", "203.0.113.5", "10.0.0.1", 6000);
    assert_evidence(f, "warning", "inferred", "inferred");
    assert_non_null(strstr(member_string(f, "message"),
                           "The product and the roles are inferred from the traffic: name the "
                           "product with --product and declare the nodes with --nodes or an "
                           "inventory to confirm."));
    assert_int_equal(ptl_verdict_count_findings(fx->v, PTL_SEVERITY_ERROR), 0);
    g_autofree char *plain = print_to_string(fx->v, FALSE);
    assert_non_null(strstr(plain, "beta 1.00 (recognised)"));
}

/* --product without nodes: policy findings are warnings, connection failures stay errors */
static void
test_verdict_inferred_roles_cap_policy(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, NULL, products);
    add(fx, "10.0.0.2", "10.0.0.1", 2181, PTL_FLOW_CLOSED, "zookeeper");
    add(fx, "10.0.0.2", "10.0.0.1", 5672, PTL_FLOW_REFUSED, NULL);
    ptl_verdict_finish(fx->v);
    JsonObject *f = find_finding(fx, "source-not-allowed", "10.0.0.2", "10.0.0.1", 2181);
    assert_evidence(f, "warning", "declared", "inferred");
    assert_non_null(strstr(member_string(f, "message"),
                           "The roles are inferred from the traffic: declare the nodes with "
                           "--nodes or an inventory to confirm."));
    JsonObject *refused = find_finding(fx, "connection-refused", "10.0.0.2", "10.0.0.1", 5672);
    assert_evidence(refused, "error", "declared", "inferred");
    assert_null(strstr(member_string(refused, "message"), "to confirm"));
    assert_string_equal(member_string(report(fx), "product_selection"), "declared");
}

/* The inventory declares nodes but not admins: whether a client is an admin is a guess. */
static void
test_verdict_undeclared_client_role(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, "nodes 10.20.0.11-10.20.0.13\n", products);
    add(fx, "10.0.0.9", "10.20.0.11", 2181, PTL_FLOW_CLOSED, "zookeeper");    /* nodes,admins */
    add(fx, "10.0.0.9", "10.20.0.11", 9000, PTL_FLOW_CLOSED, NULL);           /* nodes */
    ptl_verdict_finish(fx->v);
    assert_evidence(find_finding(fx, "source-not-allowed", "10.0.0.9", "10.20.0.11", 2181),
                    "warning", "declared", "inferred");
    assert_evidence(find_finding(fx, "source-not-allowed", "10.0.0.9", "10.20.0.11", 9000),
                    "error", "declared", "declared");
}

static void
add_udp(Fixture *fx, const char *client, const char *server, guint16 port)
{
    PtlFlowRecord rec = make_rec(fx, client, server, port, PTL_FLOW_REQUEST_ONLY, NULL);
    rec.transport = 17;
    ptl_verdict_add(fx->v, &rec);
}

static PtlHostKind
kind_of(Fixture *fx, const char *text)
{
    PtlAddr addr;
    assert_true(ptl_addr_parse(text, &addr));
    return ptl_verdict_host_kind(fx->v, &addr);
}

/* NetBIOS broadcasts to 10.77.255.255 are no host, even inside a declared node range */
static void
test_verdict_broadcast_not_a_host(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, "nodes 10.77.0.0/16\n", products);
    add_udp(fx, "10.77.1.5", "10.77.255.255", 137);
    add_udp(fx, "10.77.1.5", "224.0.0.251", 5353);
    add_udp(fx, "10.77.1.5", "10.77.1.6", 137);
    ptl_verdict_finish(fx->v);
    gboolean is_inferred = TRUE;
    assert_int_equal(role_of(fx, "10.77.255.255", &is_inferred), 0);
    assert_false(is_inferred);
    assert_int_equal(role_of(fx, "224.0.0.251", &is_inferred), 0);
    assert_int_equal(role_of(fx, "10.77.1.6", &is_inferred), PTL_ROLE_NODE);
    assert_int_equal(kind_of(fx, "10.77.255.255"), PTL_HOST_KIND_BROADCAST);
    assert_int_equal(kind_of(fx, "224.0.0.251"), PTL_HOST_KIND_MULTICAST);
    assert_int_equal(kind_of(fx, "10.77.1.6"), PTL_HOST_KIND_HOST);
    assert_null(find_finding(fx, "undocumented-port", "10.77.1.5", "10.77.255.255", 137));
    assert_non_null(find_finding(fx, "undocumented-port", "10.77.1.5", "10.77.1.6", 137));
    JsonArray *nodes = json_object_get_array_member(json_object_get_object_member(report(fx),
                                                                                  "roles"),
                                                    "nodes");
    assert_int_equal(json_array_get_length(nodes), 2);   /* 10.77.1.5, 10.77.1.6 */
}

/* ---- connection evidence ------------------------------------------------ */

#define SEC_NS G_GINT64_CONSTANT(1000000000)

/* a record of state at TEST_BASE_NS + at_ms (10:00:00 + at_ms) */
static void
add_at(Fixture *fx, const char *client, const char *server, guint16 port, PtlFlowState state,
       gint64 at_ms)
{
    PtlFlowRecord rec = make_rec(fx, client, server, port, state, NULL);
    rec.first_ts_ns = TEST_BASE_NS + at_ms * G_GINT64_CONSTANT(1000000);
    rec.last_ts_ns = rec.first_ts_ns + 100;
    if (state == PTL_FLOW_REFUSED)
        rec.refusal = PTL_REFUSED_BY_RST;
    ptl_verdict_add(fx->v, &rec);
}

static gboolean
member_bool(JsonObject *o, const char *key)
{
    return json_object_get_boolean_member(o, key);
}

static void
test_verdict_transient_refusal(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    /* starting: refused three times, then accepted */
    add_at(fx, "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_REFUSED, 1000);
    add_at(fx, "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_REFUSED, 2000);
    add_at(fx, "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_REFUSED, 4200);
    add_at(fx, "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_CLOSED, 7900);
    /* accepted first, refused after: the refusal is the last word, an error */
    add_at(fx, "10.20.0.11", "10.20.0.13", 2888, PTL_FLOW_CLOSED, 1000);
    add_at(fx, "10.20.0.11", "10.20.0.13", 2888, PTL_FLOW_REFUSED, 3000);
    /* up, down, up again: restarted; unanswered counts the same way */
    add_at(fx, "10.20.0.13", "10.20.0.12", 2888, PTL_FLOW_CLOSED, 500);
    add_at(fx, "10.20.0.13", "10.20.0.12", 2888, PTL_FLOW_UNANSWERED, 2000);
    add_at(fx, "10.20.0.13", "10.20.0.12", 2888, PTL_FLOW_CLOSED, 6000);
    ptl_verdict_finish(fx->v);

    JsonObject *starting = find_finding(fx, "connection-refused", "10.20.0.12", "10.20.0.13",
                                        2888);
    assert_non_null(starting);
    assert_string_equal(member_string(starting, "severity"), "info");
    assert_true(member_bool(starting, "transient"));
    assert_non_null(strstr(member_string(starting, "message"),
                           "; refused 3 times until 10:00:04.2, then accepted at 10:00:07.9: "
                           "the service was still starting."));
    assert_null(strstr(member_string(starting, "advice"), "open TCP"));
    assert_true(g_str_has_prefix(member_string(starting, "advice"), "None on the network"));

    JsonObject *lasting = find_finding(fx, "connection-refused", "10.20.0.11", "10.20.0.13",
                                       2888);
    assert_non_null(lasting);
    assert_string_equal(member_string(lasting, "severity"), "error");
    assert_false(member_bool(lasting, "transient"));

    JsonObject *restarted = find_finding(fx, "connection-unanswered", "10.20.0.13",
                                         "10.20.0.12", 2888);
    assert_non_null(restarted);
    assert_string_equal(member_string(restarted, "severity"), "info");
    assert_true(member_bool(restarted, "transient"));
    assert_non_null(strstr(member_string(restarted, "message"),
                           "unanswered once until 10:00:02.0, between accepted connections "
                           "(accepted again by 10:00:06.0): the service restarted"));
}

/* one-sided: accepted (no unanswered), and worded as what the capture shows */
static void
test_verdict_one_sided(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    add(fx, "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_ONE_SIDED, "zookeeper");
    add(fx, "10.20.0.12", "10.20.0.11", 7070, PTL_FLOW_ONE_SIDED, NULL);
    ptl_verdict_finish(fx->v);
    assert_int_equal(count_findings_json(fx), 1);
    JsonObject *f = find_finding(fx, "undocumented-port", "10.20.0.12", "10.20.0.11", 7070);
    assert_non_null(f);
    assert_string_equal(member_string(f, "severity"), "warning");
    assert_string_equal(member_string(f, "state"), "one-sided");
    assert_string_equal(member_string(f, "connection"), "one-sided");
    assert_string_equal(member_string(f, "message"),
                        "10.20.0.12 connected to node 10.20.0.11 on tcp/7070 (the capture "
                        "shows only one direction of this connection; it went on past the "
                        "SYN, so it was accepted), a port no rule of alpha documents.");
}

static void
test_verdict_icmp_refusal_words(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    PtlFlowRecord filtered = make_rec(fx, "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_REFUSED,
                                      NULL);
    filtered.refusal = PTL_REFUSED_BY_ICMP;
    filtered.icmp_type = 3;
    filtered.icmp_code = 13;
    ptl_verdict_add(fx->v, &filtered);
    PtlFlowRecord snmp = make_rec(fx, "10.30.0.5", "10.20.0.13", 161, PTL_FLOW_REFUSED,
                                  "unknown");
    snmp.transport = 17;
    snmp.refusal = PTL_REFUSED_BY_ICMP;
    snmp.icmp_type = 3;
    snmp.icmp_code = 3;
    ptl_verdict_add(fx->v, &snmp);
    PtlFlowRecord syslog = make_rec(fx, "10.30.0.5", "10.20.0.13", 514, PTL_FLOW_REQUEST_ONLY,
                                    NULL);
    syslog.transport = 17;
    ptl_verdict_add(fx->v, &syslog);
    /* a disallowed source that was refused: the doc's wish, said so */
    add(fx, "203.0.113.5", "10.20.0.11", 2888, PTL_FLOW_UNANSWERED, NULL);
    ptl_verdict_finish(fx->v);

    JsonObject *f = find_finding(fx, "connection-refused", "10.20.0.12", "10.20.0.13", 2888);
    assert_non_null(f);
    assert_string_equal(member_string(f, "connection"), "refused-by-icmp");
    assert_string_equal(member_string(f, "icmp"), "communication administratively prohibited");
    assert_true(g_str_has_prefix(member_string(f, "message"),
                                 "10.20.0.12 was blocked on its way to 10.20.0.13 on tcp/2888 "
                                 "(ICMP communication administratively prohibited: a firewall "
                                 "rejected it), documented as alpha zk-quorum"));
    g_autofree char *advice = g_strdup_printf("open TCP 2888 from 10.20.0.12 to 10.20.0.13 in "
                                              "the firewall that rejected it (rule "
                                              "alpha.rules:%d)", ALPHA_LINE_ZK_QUORUM);
    assert_string_equal(member_string(f, "advice"), advice);

    JsonObject *u = find_finding(fx, "undocumented-port", "10.30.0.5", "10.20.0.13", 161);
    assert_non_null(u);
    assert_string_equal(member_string(u, "severity"), "info");
    assert_string_equal(member_string(u, "message"),
                        "10.30.0.5 was refused by node 10.20.0.13 on udp/161 (ICMP port "
                        "unreachable: the host is up but nothing listens on the port), a port "
                        "no rule of alpha documents.");
    assert_string_equal(member_string(u, "advice"), "Nothing accepted udp/161 on 10.20.0.13; "
                        "check why 10.30.0.5 expects a service there.");
    JsonObject *quiet = find_finding(fx, "undocumented-port", "10.30.0.5", "10.20.0.13", 514);
    assert_non_null(quiet);
    assert_string_equal(member_string(quiet, "connection"), "no-reply");
    assert_non_null(strstr(member_string(quiet, "message"), "sent datagrams to node"));

    JsonObject *src = find_finding(fx, "source-not-allowed", "203.0.113.5", "10.20.0.11", 2888);
    assert_non_null(src);
    assert_true(g_str_has_prefix(member_string(src, "message"),
                                 "203.0.113.5 (external, inferred) got no answer from "
                                 "10.20.0.11 on tcp/2888 (SYN sent"));
    assert_true(g_str_has_prefix(member_string(src, "advice"),
                                 "The connection did not get through, as the doc wants"));
}

/* the live --events shape: whole finding objects for one flow */
static void
test_verdict_judge_flow_findings(void **state)
{
    Fixture *fx = *state;
    const char *const products[] = { "alpha", NULL };
    fixture_start(fx, cluster_inventory, products);
    ptl_verdict_refresh(fx->v);
    PtlFlowRecord rec = make_rec(fx, "10.20.0.12", "10.20.0.13", 2888, PTL_FLOW_REFUSED, NULL);
    rec.refusal = PTL_REFUSED_BY_RST;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ptl_verdict_judge_flow_findings(fx->v, &rec, b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    JsonObject *o = json_node_get_object(root);
    assert_string_equal(member_string(o, "service"), "zk-quorum");
    JsonArray *findings = json_object_get_array_member(o, "findings");
    assert_int_equal(json_array_get_length(findings), 1);
    JsonObject *f = json_array_get_object_element(findings, 0);
    assert_string_equal(member_string(f, "kind"), "connection-refused");
    assert_string_equal(member_string(f, "severity"), "error");
    assert_string_equal(member_string(f, "state"), "refused");
    assert_string_equal(member_string(f, "connection"), "refused-by-rst");
    assert_true(json_object_has_member(f, "protocol"));
    assert_true(g_str_has_prefix(member_string(f, "message"),
                                 "10.20.0.12 was refused by 10.20.0.13 on tcp/2888 (TCP reset"));
    assert_int_equal(json_object_get_int_member(f, "flows"), 1);
}

#define VERDICT_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        VERDICT_TEST(test_verdict_source_not_allowed),
        VERDICT_TEST(test_verdict_refused_from_disallowed_source),
        VERDICT_TEST(test_verdict_transient_refusal),
        VERDICT_TEST(test_verdict_one_sided),
        VERDICT_TEST(test_verdict_icmp_refusal_words),
        VERDICT_TEST(test_verdict_judge_flow_findings),
        VERDICT_TEST(test_verdict_direction_violation),
        VERDICT_TEST(test_verdict_protocol_mismatch),
        VERDICT_TEST(test_verdict_undocumented_port),
        VERDICT_TEST(test_verdict_cleartext_credentials),
        VERDICT_TEST(test_verdict_example_records),
        VERDICT_TEST(test_verdict_shared_port_by_protocol),
        VERDICT_TEST(test_verdict_shared_port_product_order),
        VERDICT_TEST(test_verdict_product_scoring),
        VERDICT_TEST(test_verdict_product_needs_own_ports),
        VERDICT_TEST(test_verdict_product_forced_and_inventory),
        VERDICT_TEST(test_verdict_generic_ports_no_product),
        VERDICT_TEST(test_verdict_product_needs_node_links),
        VERDICT_TEST(test_verdict_inferred_roles_cap_policy),
        VERDICT_TEST(test_verdict_undeclared_client_role),
        VERDICT_TEST(test_verdict_broadcast_not_a_host),
        VERDICT_TEST(test_verdict_roles_inferred),
        VERDICT_TEST(test_verdict_roles_single_node),
        VERDICT_TEST(test_verdict_roles_declared_nodes),
        VERDICT_TEST(test_verdict_judge_flow_agrees),
        VERDICT_TEST(test_verdict_aggregation_cap),
        VERDICT_TEST(test_verdict_json_shape),
        VERDICT_TEST(test_verdict_print),
        VERDICT_TEST(test_verdict_refresh_then_finish),
        cmocka_unit_test(test_verdict_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
