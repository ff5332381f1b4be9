/* test-rules.c: rule files, their errors, parameters, site overlays and the
 * coverage of every port the vendors' documents print (rules/seed-ports.txt).
 *
 * The real rules/ directory comes from PTL_RULES_DIR (set by meson) or argv[1]. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "ptl-rules.h"

static const char *test_rules_dir;
static const char *const test_dissectors[] = {
    "amqp", "http", "smb", "thrift", "zookeeper", "tls", NULL,
};

/* ---- helpers --------------------------------------------------------------- */

/* A scratch directory removed with its files when the test ends. */
typedef struct {
    char      *dir;
    GPtrArray *files;
} Scratch;

static Scratch *
scratch_new(void)
{
    Scratch *s = g_new0(Scratch, 1);
    s->dir = g_dir_make_tmp("ptl-rules-XXXXXX", NULL);
    assert_non_null(s->dir);
    s->files = g_ptr_array_new_with_free_func(g_free);
    return s;
}

static const char *
scratch_write(Scratch *s, const char *name, const char *text)
{
    char *path = g_build_filename(s->dir, name, NULL);
    assert_true(g_file_set_contents(path, text, -1, NULL));
    g_ptr_array_add(s->files, path);
    return path;
}

static void
scratch_free(Scratch *s)
{
    for (guint i = 0; i < s->files->len; i++)
        g_unlink(g_ptr_array_index(s->files, i));
    g_rmdir(s->dir);
    g_ptr_array_unref(s->files);
    g_free(s->dir);
    g_free(s);
}

static PtlRuleSet *
load_real_rules(void)
{
    PtlRuleSet *set = ptl_rule_set_new();
    ptl_rule_set_set_known_protocols(set, test_dissectors);
    g_autoptr(GError) error = NULL;
    gboolean is_ok = ptl_rule_set_load_dir(set, test_rules_dir, &error);
    if (!is_ok)
        print_error("%s\n", error->message);
    assert_true(is_ok);
    return set;
}

/* The one rule of product named service, or fail. */
static const PtlRule *
find_service(const PtlRuleSet *set, const char *product, const char *service)
{
    for (guint i = 0; i < ptl_rule_set_count(set); i++) {
        const PtlRule *rule = ptl_rule_set_get(set, i);
        if (g_strcmp0(rule->product, product) == 0 && g_strcmp0(rule->service, service) == 0)
            return rule;
    }
    print_error("no service %s/%s\n", product, service);
    fail();
    return NULL;
}

static gboolean
match_has_service(const PtlRuleSet *set, const char *product, guint8 transport, guint16 port,
                  const char *service)
{
    g_autoptr(GPtrArray) rules = ptl_rule_set_match(set, product, transport, port);
    for (guint i = 0; i < rules->len; i++)
        if (g_strcmp0(((const PtlRule *) g_ptr_array_index(rules, i))->service, service) == 0)
            return TRUE;
    return FALSE;
}

static guint
match_count(const PtlRuleSet *set, const char *product, guint8 transport, guint16 port)
{
    g_autoptr(GPtrArray) rules = ptl_rule_set_match(set, product, transport, port);
    return rules->len;
}

/* ---- coverage of the vendors' documents ------------------------------------ */

/* A rule with this seed reference documents the port ("icmp": an ICMP rule). */
static gboolean
coverage_is_documented(const PtlRuleSet *set, const char *seed, const char *port_text)
{
    gboolean is_icmp = g_strcmp0(port_text, "icmp") == 0;
    guint64 low = 0, high = 0;
    if (!is_icmp) {
        g_auto(GStrv) ends = g_strsplit(port_text, "-", 2);
        assert_true(g_ascii_string_to_unsigned(ends[0], 10, 1, 65535, &low, NULL));
        high = low;
        if (ends[1] != NULL)
            assert_true(g_ascii_string_to_unsigned(ends[1], 10, low, 65535, &high, NULL));
    }
    for (guint64 port = low; port <= high; port++) {
        gboolean is_found = FALSE;
        for (guint i = 0; i < ptl_rule_set_count(set) && !is_found; i++) {
            const PtlRule *rule = ptl_rule_set_get(set, i);
            is_found = g_strcmp0(rule->seed, seed) == 0 &&
                       (is_icmp ? rule->transport == PTL_RULE_ICMP
                                : rule->transport != PTL_RULE_ICMP && rule->port_low <= port &&
                                      port <= rule->port_high);
        }
        if (!is_found) {
            print_error("%s: port %" G_GUINT64_FORMAT " (of %s) has no rule\n", seed, port,
                        port_text);
            return FALSE;
        }
    }
    return TRUE;
}

static void
test_rules_seed_ports_covered(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    g_autofree char *path = g_build_filename(test_rules_dir, "seed-ports.txt", NULL);
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GRegex) row = g_regex_new("^(\\S+)\\s+(\\d+)\\s+(\\S.*)$", 0, 0, NULL);
    guint ports = 0;
    for (char **line = lines; *line != NULL; line++) {
        g_strstrip(*line);
        if (**line == '\0' || **line == '#')
            continue;
        g_autoptr(GMatchInfo) fields = NULL;
        assert_true(g_regex_match(row, *line, 0, &fields));
        g_autofree char *file = g_match_info_fetch(fields, 1);
        g_autofree char *number = g_match_info_fetch(fields, 2);
        g_autofree char *list = g_match_info_fetch(fields, 3);
        g_autofree char *seed = g_strdup_printf("%s row %s", file, number);
        g_auto(GStrv) items = g_strsplit(list, ",", -1);
        for (char **item = items; *item != NULL; item++) {
            assert_true(coverage_is_documented(set, seed, g_strstrip(*item)));
            ports++;
        }
        g_hash_table_add(listed, g_steal_pointer(&seed));
    }
    assert_true(g_hash_table_size(listed) >= 130);  /* 79 + 27 + 19 + 14 + 6 rows */
    assert_true(ports >= 150);
    /* and the other way round: every rule cites a listed row */
    for (guint i = 0; i < ptl_rule_set_count(set); i++) {
        const PtlRule *rule = ptl_rule_set_get(set, i);
        if (!g_hash_table_contains(listed, rule->seed))
            print_error("%s:%u: seed '%s' not in seed-ports.txt\n", rule->file, rule->line,
                        rule->seed);
        assert_true(g_hash_table_contains(listed, rule->seed));
    }
}

/* ---- the real rule files --------------------------------------------------- */

static void
test_rules_products_sorted(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    const GPtrArray *products = ptl_rule_set_products(set);
    static const char *const expected[] = {
        "clustron-dkv", "impala", "sisense", "thoughtspot", "wso2-das",
    };
    assert_int_equal(products->len, G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
        assert_string_equal(g_ptr_array_index(products, i), expected[i]);
}

static void
test_rules_thoughtspot_quirks(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    /* 3181 is both a ZooKeeper client and a quorum port: two rules, both noted */
    g_autoptr(GPtrArray) zk = ptl_rule_set_match(set, "thoughtspot", PTL_RULE_TCP, 3181);
    assert_int_equal(zk->len, 2);
    for (guint i = 0; i < zk->len; i++) {
        const PtlRule *rule = g_ptr_array_index(zk, i);
        assert_string_equal(rule->protocol, "zookeeper");
        assert_non_null(strstr(rule->note, "twice"));
    }
    assert_true(match_has_service(set, "thoughtspot", PTL_RULE_TCP, 4853, "elk-manager-rpc"));
    assert_true(match_has_service(set, "thoughtspot", PTL_RULE_TCP, 4853, "elk-manager-http"));
    /* the commented-out row is kept but never matched */
    const PtlRule *searchiq = find_service(set, "thoughtspot", "searchiq");
    assert_false(searchiq->is_enabled);
    assert_int_equal(searchiq->port_low, 4249);
    assert_int_equal(match_count(set, "thoughtspot", PTL_RULE_TCP, 4249), 0);
    /* the dynamic range */
    const PtlRule *dynamic = find_service(set, "thoughtspot", "dynamic-services");
    assert_true(dynamic->is_dynamic);
    assert_int_equal(dynamic->port_low, 20123);
    assert_int_equal(dynamic->port_high, 32768);
    assert_true(match_has_service(set, "thoughtspot", PTL_RULE_TCP, 25000, "dynamic-services"));
    assert_false(match_has_service(set, "thoughtspot", PTL_RULE_TCP, 32769,
                                   "dynamic-services"));
    /* ICMP health check and the admin sources */
    const PtlRule *icmp = find_service(set, "thoughtspot", "icmp-health-check");
    assert_int_equal(icmp->transport, PTL_RULE_ICMP);
    assert_int_equal(icmp->port_low, 0);
    assert_true(match_has_service(set, "thoughtspot", PTL_RULE_ICMP, 0, "icmp-health-check"));
    const PtlRule *oreo = find_service(set, "thoughtspot", "oreo-http");
    assert_int_equal(oreo->sources, PTL_ROLE_ADMIN | PTL_ROLE_NODE);
    assert_string_equal(oreo->seed, "000_99707963bf9363f9.txt row 12");
    assert_int_equal(oreo->access, PTL_ACCESS_INTERNAL);
}

static void
test_rules_sisense_quirks(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    const PtlRule *storage = find_service(set, "sisense", "storage-manager");
    assert_int_equal(storage->port_low, 15000);
    assert_int_equal(storage->port_high, 15050);
    assert_non_null(strstr(storage->note, "1500-15050"));
    const PtlRule *winrm = find_service(set, "sisense", "installer-winrm");
    assert_true(winrm->is_install_only);
    assert_int_equal(winrm->port_low, 5986);
    const PtlRule *shipper = find_service(set, "sisense", "shipper-logzio");
    assert_int_equal(shipper->direction, PTL_RULE_OUTBOUND);
    assert_string_equal(shipper->source_hosts[0], "listener.logz.io");
    assert_null(shipper->source_hosts[1]);
    /* NetBIOS on udp, SMB on tcp */
    assert_true(match_has_service(set, "sisense", PTL_RULE_UDP, 137, "orchestrator-netbios-name"));
    assert_int_equal(match_count(set, "sisense", PTL_RULE_TCP, 137), 0);
    assert_string_equal(find_service(set, "sisense", "broker-amqp")->protocol, "amqp");
    assert_string_equal(find_service(set, "sisense", "broker-amqps")->protocol, "tls");
    /* 811 is outbound from the orchestrator and inbound to ECMS */
    assert_true(match_has_service(set, "sisense", PTL_RULE_TCP, 812,
                                  "orchestrator-elasticube-commands"));
    assert_true(match_has_service(set, "sisense", PTL_RULE_TCP, 812, "ecms"));
    assert_int_equal(match_count(set, "sisense", PTL_RULE_TCP, 15025), 11);
}

static void
test_rules_impala_access(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    const PtlRule *frontend = find_service(set, "impala", "impalad-frontend-hs2");
    assert_int_equal(frontend->access, PTL_ACCESS_EXTERNAL);
    assert_int_equal(frontend->sources, PTL_ROLE_ANY);
    assert_string_equal(frontend->protocol, "thrift");
    const PtlRule *backend = find_service(set, "impala", "impalad-backend");
    assert_int_equal(backend->access, PTL_ACCESS_INTERNAL);
    assert_int_equal(backend->sources, PTL_ROLE_NODE);
    assert_string_equal(find_service(set, "impala", "impalad-web")->protocol, "http");
}

static void
test_rules_lookup_by_transport(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    assert_true(ptl_rule_set_is_documented(set, PTL_RULE_TCP, 7611));
    assert_false(ptl_rule_set_is_documented(set, PTL_RULE_UDP, 7611));
    assert_false(ptl_rule_set_is_documented(set, PTL_RULE_TCP, 1));
    assert_false(ptl_rule_set_is_documented(set, 47, 7611));   /* GRE: never */
    assert_false(ptl_rule_set_is_documented(set, PTL_RULE_TCP, 4249));   /* disabled */
    assert_null(ptl_rule_set_forced_protocol(set, PTL_RULE_TCP, 7611));
    /* NULL product: every product's rules; 8081 is Sisense's gateway and two others */
    assert_int_equal(match_count(set, NULL, PTL_RULE_TCP, 8081), 3);
    assert_int_equal(match_count(set, "impala", PTL_RULE_TCP, 8081), 0);
}

/* ---- parameters ------------------------------------------------------------ */

static void
test_rules_set_offset_moves_ports(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    assert_true(match_has_service(set, "wso2-das", PTL_RULE_TCP, 7611, "thrift-receiver"));
    g_autoptr(GError) error = NULL;
    assert_true(ptl_rule_set_set_param(set, "wso2-das.offset=1", &error));
    assert_false(match_has_service(set, "wso2-das", PTL_RULE_TCP, 7611, "thrift-receiver"));
    assert_true(match_has_service(set, "wso2-das", PTL_RULE_TCP, 7612, "thrift-receiver"));
    assert_true(match_has_service(set, "wso2-das", PTL_RULE_TCP, 7712, "thrift-receiver-ssl"));
    const PtlRule *receiver = find_service(set, "wso2-das", "thrift-receiver");
    assert_string_equal(receiver->port_text, "7611+offset");
    assert_int_equal(receiver->port_low, 7612);
    /* other products keep their ports */
    assert_true(match_has_service(set, "impala", PTL_RULE_TCP, 21000, "impalad-frontend-beeswax"));
    /* executors: one port per core above the driver's */
    assert_false(match_has_service(set, "wso2-das", PTL_RULE_TCP, 12003, "spark-executors"));
    assert_true(ptl_rule_set_set_param(set, " wso2-das . cores = 2 ", &error));
    assert_true(match_has_service(set, "wso2-das", PTL_RULE_TCP, 12003, "spark-executors"));
    assert_false(match_has_service(set, "wso2-das", PTL_RULE_TCP, 12000, "spark-executors"));
}

static void
test_rules_set_param_errors(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    static const struct { const char *assignment; const char *needle; } cases[] = {
        { "wso2.offset=1", "unknown product 'wso2'" },
        { "wso2-das.ofset=1", "no parameter 'ofset'" },
        { "wso2-das.offset=-1", "not a number" },
        { "wso2-das.offset=65536", "not a number" },
        { "wso2-das.offset", "PRODUCT.PARAM=VALUE" },
        { "offset=1", "PRODUCT.PARAM=VALUE" },
        { "wso2-das.offset=60000", "out of 1..65535" },
        { "clustron-dkv.nodes=0", "reversed" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        assert_false(ptl_rule_set_set_param(set, cases[i].assignment, &error));
        assert_true(g_error_matches(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM) ||
                    g_error_matches(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT));
        if (strstr(error->message, cases[i].needle) == NULL)
            print_error("%s: %s\n", cases[i].assignment, error->message);
        assert_non_null(strstr(error->message, cases[i].needle));
    }
    /* a refused value changes nothing */
    assert_true(match_has_service(set, "wso2-das", PTL_RULE_TCP, 7611, "thrift-receiver"));
    assert_true(match_has_service(set, "clustron-dkv", PTL_RULE_TCP, 7813, "cluster"));
}

static void
test_rules_clustron_ranges(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    g_autoptr(GError) error = NULL;
    assert_true(ptl_rule_set_set_param(set, "clustron-dkv.nodes=3", &error));
    const PtlRule *cluster = find_service(set, "clustron-dkv", "cluster");
    assert_int_equal(cluster->port_low, 7811);
    assert_int_equal(cluster->port_high, 7813);
    const PtlRule *client = find_service(set, "clustron-dkv", "client");
    assert_int_equal(client->port_low, 7861);
    assert_int_equal(client->port_high, 7863);
    assert_true(match_has_service(set, "clustron-dkv", PTL_RULE_TCP, 7813, "cluster"));
    assert_false(match_has_service(set, "clustron-dkv", PTL_RULE_TCP, 7814, "cluster"));
    /* the installer's fixed range still documents 7814 */
    assert_true(match_has_service(set, "clustron-dkv", PTL_RULE_TCP, 7814,
                                  "installer-cluster-range"));
    assert_true(ptl_rule_set_set_param(set, "clustron-dkv.cluster_port=40000", &error));
    assert_true(ptl_rule_set_set_param(set, "clustron-dkv.nodes=5", &error));
    assert_int_equal(cluster->port_low, 40000);
    assert_int_equal(cluster->port_high, 40004);
    assert_int_equal(client->port_high, 7865);
    assert_true(match_has_service(set, "clustron-dkv", PTL_RULE_TCP, 40004, "cluster"));
    assert_false(ptl_rule_set_is_documented(set, PTL_RULE_TCP, 40005));
}

/* ---- errors in rule files --------------------------------------------------- */

#define TEST_HEADER "product demo\nseed demo.txt\nparam base = 100\n"
#define TEST_ROW(port, proto, dir, src, access, flags) \
    port " | tcp | " proto " | svc | " dir " | " src " | " access " | " flags " | d | row 1\n"

static void
test_rules_file_errors(void **state)
{
    (void) state;
    static const struct {
        const char *text;
        PtlRulesError code;
        guint line;
        const char *needle;
    } cases[] = {
        { TEST_HEADER "80 | tcp | http | svc | inbound | nodes | internal | | d\n",
          PTL_RULES_ERROR_SYNTAX, 4, "9 columns" },
        { TEST_HEADER TEST_ROW("0", "http", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_PORT, 4, "0 is out of 1..65535" },
        { TEST_HEADER TEST_ROW("70000", "http", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_PORT, 4, "over 65535" },
        { TEST_HEADER TEST_ROW("65000+base*2", "http", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_PORT, 4, "expected '+' or '-'" },
        { TEST_HEADER TEST_ROW("65500+base", "http", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_PORT, 4, "65600 is out of" },
        { TEST_HEADER TEST_ROW("90-80", "http", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_PORT, 4, "reversed" },
        { TEST_HEADER TEST_ROW("base+offset", "http", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_PARAM, 4, "unknown parameter 'offset'" },
        { TEST_HEADER TEST_ROW("80", "htp", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_PROTOCOL, 4, "unknown protocol 'htp'" },
        { TEST_HEADER TEST_ROW("80", "http", "in", "nodes", "internal", ""),
          PTL_RULES_ERROR_DIRECTION, 4, "unknown direction 'in'" },
        { TEST_HEADER TEST_ROW("80", "http", "inbound", "nodes,node", "internal", ""),
          PTL_RULES_ERROR_SOURCE, 4, "unknown source 'node'" },
        { TEST_HEADER TEST_ROW("80", "http", "inbound", "", "internal", ""),
          PTL_RULES_ERROR_SOURCE, 4, "no sources" },
        { TEST_HEADER TEST_ROW("80", "http", "inbound", "nodes", "inside", ""),
          PTL_RULES_ERROR_ACCESS, 4, "unknown access 'inside'" },
        { TEST_HEADER TEST_ROW("80", "http", "inbound", "nodes", "internal", "")
          "\n" TEST_ROW("81", "http", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_DUPLICATE, 6, "service 'svc' is already defined" },
        { TEST_HEADER TEST_ROW("80", "http", "inbound", "nodes", "internal", "disabled,fast"),
          PTL_RULES_ERROR_SYNTAX, 4, "unknown flag 'fast'" },
        { TEST_HEADER TEST_ROW("80", "opaque", "inbound", "nodes", "internal", "force"),
          PTL_RULES_ERROR_SYNTAX, 4, "needs a dissector" },
        { TEST_HEADER "80 | icmp | any | svc | inbound | nodes | internal | | d | row 1\n",
          PTL_RULES_ERROR_PORT, 4, "icmp rules take port 0" },
        { TEST_HEADER "80 | sctp | any | svc | inbound | nodes | internal | | d | row 1\n",
          PTL_RULES_ERROR_SYNTAX, 4, "unknown transport 'sctp'" },
        { TEST_HEADER "80 | tcp | any | svc | inbound | nodes | internal | | d | line 1\n",
          PTL_RULES_ERROR_SYNTAX, 4, "not 'row N'" },
        { "# a comment\n" TEST_ROW("80", "http", "inbound", "nodes", "internal", ""),
          PTL_RULES_ERROR_SYNTAX, 2, "before the 'product' line" },
        { TEST_HEADER "port 80\n", PTL_RULES_ERROR_SYNTAX, 4, "unknown line 'port'" },
        { TEST_HEADER "param base = 7\n", PTL_RULES_ERROR_PARAM, 4, "declared twice" },
        { TEST_HEADER "param Base = x\n", PTL_RULES_ERROR_PARAM, 4, "lower-case name" },
        { TEST_HEADER "product other\n", PTL_RULES_ERROR_SYNTAX, 4, "second 'product'" },
        { TEST_HEADER "\n# note: dangling\n", PTL_RULES_ERROR_SYNTAX, 5, "note without a rule" },
        { "product site\n", PTL_RULES_ERROR_SYNTAX, 1, "reserved" },
        /* strings: a quote opens and closes the whole value */
        { "product demo\ntitle \"unterminated\n", PTL_RULES_ERROR_SYNTAX, 2,
          "unterminated string" },
        { "product demo\ntitle \"cut # by a comment\n", PTL_RULES_ERROR_SYNTAX, 2,
          "unterminated string" },
        { "product demo\nseed demo.txt\"\n", PTL_RULES_ERROR_SYNTAX, 2, "stray '\"'" },
        { "product demo\ntitle \"a\" \"b\"\n", PTL_RULES_ERROR_SYNTAX, 2, "inside the string" },
        { "product demo\ntitle \"\"\n", PTL_RULES_ERROR_SYNTAX, 2, "empty string" },
        { "product demo\ntitle \"a\"\ntitle \"b\"\n", PTL_RULES_ERROR_DUPLICATE, 3,
          "second 'title'" },
        { TEST_HEADER "seed other.txt\n", PTL_RULES_ERROR_DUPLICATE, 4, "second 'seed'" },
        /* the header comes before the rules */
        { TEST_HEADER TEST_ROW("80", "http", "inbound", "nodes", "internal", "")
          "param late = 1\n", PTL_RULES_ERROR_SYNTAX, 5, "before the first rule" },
    };
    Scratch *s = scratch_new();
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *name = g_strdup_printf("bad-%u.rules", i);
        const char *path = scratch_write(s, name, cases[i].text);
        g_autoptr(PtlRuleSet) set = ptl_rule_set_new();
        ptl_rule_set_set_known_protocols(set, test_dissectors);
        g_autoptr(GError) error = NULL;
        assert_false(ptl_rule_set_load_file(set, path, &error));
        g_autofree char *prefix = g_strdup_printf("%s:%u: ", path, cases[i].line);
        if (!g_error_matches(error, PTL_RULES_ERROR, cases[i].code) ||
            !g_str_has_prefix(error->message, prefix) ||
            strstr(error->message, cases[i].needle) == NULL)
            print_error("case %u: %s\n", i, error->message);
        assert_true(g_error_matches(error, PTL_RULES_ERROR, cases[i].code));
        assert_true(g_str_has_prefix(error->message, prefix));
        assert_non_null(strstr(error->message, cases[i].needle));
        /* a failed file leaves nothing behind */
        assert_int_equal(ptl_rule_set_count(set), 0);
        assert_int_equal(ptl_rule_set_products(set)->len, 0);
    }
    scratch_free(s);
}

/* A quoted title may hold '#' and '|'; the quotes go. */
static void
test_rules_quoted_header(void **state)
{
    (void) state;
    Scratch *s = scratch_new();
    const char *path = scratch_write(s, "demo.rules",
                                     "product demo\ntitle \"Demo #1 | ports\"  # a comment\n"
                                     "seed \"demo.txt\"\n"
                                     TEST_ROW("80", "http", "inbound", "nodes", "internal", ""));
    g_autoptr(PtlRuleSet) set = ptl_rule_set_new();
    g_autoptr(GError) error = NULL;
    assert_true(ptl_rule_set_load_file(set, path, &error));
    assert_string_equal(ptl_rule_set_get(set, 0)->seed, "demo.txt row 1");
    scratch_free(s);
}

/* User-typed product names: exact, case and separators forgiven, else the known names. */
static void
test_rules_resolve_product(void **state)
{
    (void) state;
    g_autoptr(PtlRuleSet) set = load_real_rules();
    static const struct { const char *given, *expected; } good[] = {
        { "sisense", "sisense" }, { "Sisense", "sisense" }, { "SISENSE", "sisense" },
        { "WSO2-DAS", "wso2-das" }, { "wso2 das", "wso2-das" }, { "wso2_das", "wso2-das" },
        { "ThoughtSpot", "thoughtspot" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;
        const char *name = ptl_rule_set_resolve_product(set, good[i].given, &error);
        assert_non_null(name);
        assert_string_equal(name, good[i].expected);
    }
    static const char *const bad[] = { "sisens", "nope", "", "-", "sisense2" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        assert_null(ptl_rule_set_resolve_product(set, bad[i], &error));
        assert_true(g_error_matches(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM));
        assert_non_null(strstr(error->message, "known: clustron-dkv, impala, sisense"));
    }
}

static void
test_rules_io_and_duplicate_product(void **state)
{
    (void) state;
    Scratch *s = scratch_new();
    const char *path = scratch_write(s, "demo.rules", TEST_HEADER
                                     TEST_ROW("base+1", "http", "inbound", "nodes", "internal",
                                              ""));
    g_autoptr(PtlRuleSet) set = ptl_rule_set_new();
    g_autoptr(GError) error = NULL;
    assert_true(ptl_rule_set_load_file(set, path, &error));
    assert_int_equal(ptl_rule_set_get(set, 0)->port_low, 101);
    assert_false(ptl_rule_set_load_file(set, path, &error));
    assert_true(g_error_matches(error, PTL_RULES_ERROR, PTL_RULES_ERROR_DUPLICATE));
    g_clear_error(&error);
    g_autofree char *missing = g_build_filename(s->dir, "none.rules", NULL);
    assert_false(ptl_rule_set_load_file(set, missing, &error));
    assert_true(g_error_matches(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO));
    g_clear_error(&error);
    assert_false(ptl_rule_set_load_dir(set, missing, &error));
    assert_true(g_error_matches(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO));
    assert_int_equal(ptl_rule_set_count(set), 1);
    scratch_free(s);
}

static void
test_rules_known_protocols(void **state)
{
    (void) state;
    Scratch *s = scratch_new();
    const char *path = scratch_write(s, "demo.rules", TEST_HEADER
                                     TEST_ROW("5432", "postgres", "inbound", "nodes",
                                              "internal", ""));
    g_autoptr(PtlRuleSet) strict = ptl_rule_set_new();
    ptl_rule_set_set_known_protocols(strict, test_dissectors);
    g_autoptr(GError) error = NULL;
    assert_false(ptl_rule_set_load_file(strict, path, &error));
    assert_true(g_error_matches(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PROTOCOL));
    assert_non_null(strstr(error->message, "known: amqp, http"));
    g_autoptr(PtlRuleSet) open = ptl_rule_set_new();
    assert_true(ptl_rule_set_load_file(open, path, NULL));
    assert_string_equal(ptl_rule_set_get(open, 0)->protocol, "postgres");
    scratch_free(s);
}

static void
test_rules_notes_flags_force(void **state)
{
    (void) state;
    Scratch *s = scratch_new();
    const char *path = scratch_write(s, "demo.rules",
        "product demo   # the product\n"
        "title \"Demo product\"\n"
        "seed demo.txt\n"
        "# an ordinary comment\n"
        "# note: first half,\n"
        "# note: second half\n"
        "8080 | tcp | http | web | inbound | any | external | force | Web UI | row 7\n"
        "5000-5002 | udp | any | dyn | bidirectional | nodes | internal | dynamic, "
        "install-only | Dynamic | row 8\n");
    g_autoptr(PtlRuleSet) set = ptl_rule_set_new();
    g_autoptr(GError) error = NULL;
    assert_true(ptl_rule_set_load_file(set, path, &error));
    const PtlRule *web = find_service(set, "demo", "web");
    assert_string_equal(web->note, "first half, second half");
    assert_string_equal(web->seed, "demo.txt row 7");
    assert_string_equal(web->file, path);
    assert_int_equal(web->line, 7);
    assert_true(ptl_rule_is_forced(web));
    assert_string_equal(ptl_rule_set_forced_protocol(set, PTL_RULE_TCP, 8080), "http");
    assert_null(ptl_rule_set_forced_protocol(set, PTL_RULE_UDP, 8080));
    const PtlRule *dyn = find_service(set, "demo", "dyn");
    assert_null(dyn->note);
    assert_true(dyn->is_dynamic && dyn->is_install_only && dyn->is_enabled);
    assert_false(ptl_rule_is_forced(dyn));
    assert_true(ptl_rule_set_is_documented(set, PTL_RULE_UDP, 5002));
    assert_false(ptl_rule_set_is_documented(set, PTL_RULE_TCP, 5002));
    scratch_free(s);
}

/* ---- site overlays ---------------------------------------------------------- */

static void
test_rules_site_overlay(void **state)
{
    (void) state;
    Scratch *s = scratch_new();
    const char *product = scratch_write(s, "demo.rules", TEST_HEADER
                                        TEST_ROW("443", "tls", "inbound", "nodes", "internal",
                                                 ""));
    const char *everyone = scratch_write(s, "site.rules",
        "# external clients may reach 443 on nodes\n"
        "443 | tcp | tls | external-https | inbound | clients,external | external | | "
        "HTTPS from outside | CHG-1234\n");
    const char *named = scratch_write(s, "site-demo.rules",
        "product demo\n"
        "base+10 | tcp | http | extra | inbound | admins | internal | | Local tool |\n");
    g_autoptr(PtlRuleSet) set = ptl_rule_set_new();
    ptl_rule_set_set_known_protocols(set, test_dissectors);
    g_autoptr(GError) error = NULL;
    assert_true(ptl_rule_set_load_file(set, product, &error));
    assert_true(ptl_rule_set_load_site(set, everyone, &error));
    assert_true(ptl_rule_set_load_site(set, named, &error));
    /* the site rule comes after the product's own, for any product */
    g_autoptr(GPtrArray) rules = ptl_rule_set_match(set, "demo", PTL_RULE_TCP, 443);
    assert_int_equal(rules->len, 2);
    const PtlRule *site = g_ptr_array_index(rules, 1);
    assert_string_equal(site->product, PTL_RULE_SITE_PRODUCT);
    assert_string_equal(site->seed, "CHG-1234");
    assert_int_equal(site->sources, PTL_ROLE_CLIENT | PTL_ROLE_EXTERNAL);
    assert_int_equal(match_count(set, "other", PTL_RULE_TCP, 443), 1);
    /* a product's site rule uses and follows its parameters */
    assert_true(match_has_service(set, "demo", PTL_RULE_TCP, 110, "extra"));
    assert_string_equal(find_service(set, "demo", "extra")->seed, "site");
    assert_true(ptl_rule_set_set_param(set, "demo.base=200", &error));
    assert_true(match_has_service(set, "demo", PTL_RULE_TCP, 210, "extra"));
    assert_int_equal(ptl_rule_set_products(set)->len, 1);
    scratch_free(s);
}

static void
test_rules_site_errors(void **state)
{
    (void) state;
    static const struct { const char *text; PtlRulesError code; guint line; } cases[] = {
        { "product nope\n", PTL_RULES_ERROR_PARAM, 1 },
        { "param x = 1\n", PTL_RULES_ERROR_SYNTAX, 1 },
        { "product demo\n443 | tcp | tls | svc | inbound | any | external | | dup |\n",
          PTL_RULES_ERROR_DUPLICATE, 2 },
        { "base | tcp | tls | mine | inbound | any | external | | no params here |\n",
          PTL_RULES_ERROR_PARAM, 1 },
        { "1 | tcp | tls | a | inbound | any | external | | |\n"
          "2 | tcp | tls | a | inbound | any | external | | |\n", PTL_RULES_ERROR_DUPLICATE, 2 },
        /* a product line after site-wide rules would move them to the product */
        { "1 | tcp | tls | a | inbound | any | external | | |\nproduct demo\n",
          PTL_RULES_ERROR_SYNTAX, 2 },
        { "title \"x\"\n", PTL_RULES_ERROR_SYNTAX, 1 },
    };
    Scratch *s = scratch_new();
    const char *product = scratch_write(s, "demo.rules", TEST_HEADER
                                        TEST_ROW("443", "tls", "inbound", "nodes", "internal",
                                                 ""));
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(PtlRuleSet) set = ptl_rule_set_new();
        assert_true(ptl_rule_set_load_file(set, product, NULL));
        g_autofree char *name = g_strdup_printf("site-%u.rules", i);
        const char *path = scratch_write(s, name, cases[i].text);
        g_autoptr(GError) error = NULL;
        assert_false(ptl_rule_set_load_site(set, path, &error));
        g_autofree char *prefix = g_strdup_printf("%s:%u: ", path, cases[i].line);
        if (!g_error_matches(error, PTL_RULES_ERROR, cases[i].code))
            print_error("case %u: %s\n", i, error->message);
        assert_true(g_error_matches(error, PTL_RULES_ERROR, cases[i].code));
        assert_true(g_str_has_prefix(error->message, prefix));
        assert_int_equal(ptl_rule_set_count(set), 1);
    }
    scratch_free(s);
}

int
main(int argc, char **argv)
{
    test_rules_dir = argc > 1 ? argv[1] : g_getenv("PTL_RULES_DIR");
    if (test_rules_dir == NULL) {
        g_printerr("test-rules: set PTL_RULES_DIR or pass the rules directory\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_seed_ports_covered),
        cmocka_unit_test(test_rules_products_sorted),
        cmocka_unit_test(test_rules_thoughtspot_quirks),
        cmocka_unit_test(test_rules_sisense_quirks),
        cmocka_unit_test(test_rules_impala_access),
        cmocka_unit_test(test_rules_lookup_by_transport),
        cmocka_unit_test(test_rules_set_offset_moves_ports),
        cmocka_unit_test(test_rules_set_param_errors),
        cmocka_unit_test(test_rules_clustron_ranges),
        cmocka_unit_test(test_rules_file_errors),
        cmocka_unit_test(test_rules_quoted_header),
        cmocka_unit_test(test_rules_resolve_product),
        cmocka_unit_test(test_rules_io_and_duplicate_product),
        cmocka_unit_test(test_rules_known_protocols),
        cmocka_unit_test(test_rules_notes_flags_force),
        cmocka_unit_test(test_rules_site_overlay),
        cmocka_unit_test(test_rules_site_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
