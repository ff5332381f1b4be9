/* test-products.c: which ports are evidence of a product, and when a product is
 * recognised from conversations alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "ptl-products.h"

/* gamma and delta share 7000, and 7400 (where delta's nodes connect out to); gamma's 8080
 * is well-known to other software */
static const char gamma_rules[] =
    "product  gamma\n"
    "title    \"Gamma cluster ports\"\n"
    "seed     gamma-doc.txt\n"
    "7000        | tcp | opaque | shared     | inbound       | nodes | internal |         | x | row 1\n"
    "7100        | tcp | opaque | gamma-rpc  | bidirectional | nodes | internal |         | x | row 2\n"
    "7200        | tcp | http   | gamma-web  | inbound       | any   | external |         | x | row 3\n"
    "8080        | tcp | http   | gamma-ui   | inbound       | any   | external |         | x | row 4\n"
    "20000-30000 | tcp | any    | dynamic    | bidirectional | nodes | internal | dynamic | x | row 5\n"
    "7300        | udp | any    | gamma-disc | inbound       | nodes | internal |         | x | row 6\n"
    "7400        | tcp | http   | gamma-api  | inbound       | any   | external |         | x | row 7\n";
static const char delta_rules[] =
    "product  delta\n"
    "seed     delta-doc.txt\n"
    "7000 | tcp | opaque | shared    | inbound  | nodes    | internal | | x | row 1\n"
    "7400 | tcp | tls    | licensing | outbound | external | external | | x | row 2\n";

typedef struct {
    char        *dir;
    PtlRuleSet  *rules;
    PtlProducts *p;
    GPtrArray   *conversations;
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
    fx->dir = g_dir_make_tmp("test-products-XXXXXX", NULL);
    write_file(fx->dir, "gamma.rules", gamma_rules);
    write_file(fx->dir, "delta.rules", delta_rules);
    fx->rules = ptl_rule_set_new();
    g_autoptr(GError) error = NULL;
    if (!ptl_rule_set_load_dir(fx->rules, fx->dir, &error))
        fail_msg("rules: %s", error->message);
    fx->p = ptl_products_new(fx->rules, NULL, NULL);
    fx->conversations = g_ptr_array_new_with_free_func(g_free);
    *state = fx;
    return 0;
}

static int
fixture_teardown(void **state)
{
    Fixture *fx = *state;
    ptl_products_free(fx->p);
    ptl_rule_set_free(fx->rules);
    g_ptr_array_unref(fx->conversations);
    g_autofree char *a = g_build_filename(fx->dir, "gamma.rules", NULL);
    g_autofree char *b = g_build_filename(fx->dir, "delta.rules", NULL);
    g_unlink(a);
    g_unlink(b);
    g_rmdir(fx->dir);
    g_free(fx->dir);
    g_free(fx);
    return 0;
}

static void
talk(Fixture *fx, const char *client, const char *server, guint16 port)
{
    PtlConversation *c = g_new0(PtlConversation, 1);
    assert_true(ptl_addr_parse(client, &c->key.client));
    assert_true(ptl_addr_parse(server, &c->key.server));
    c->key.transport = 6;
    c->key.server_port = port;
    c->key.state = PTL_FLOW_CLOSED;
    c->flows = 1;
    g_ptr_array_add(fx->conversations, c);
}

static const PtlProduct *
product(Fixture *fx, const char *name)
{
    const GPtrArray *list = ptl_products_list(fx->p);
    for (guint i = 0; i < list->len; i++) {
        const PtlProduct *one = g_ptr_array_index(list, i);
        if (strcmp(one->name, name) == 0)
            return one;
    }
    fail_msg("no product %s", name);
    return NULL;
}

static void
test_products_generic_ports(void **state)
{
    Fixture *fx = *state;
    assert_true(ptl_products_is_generic_port(fx->p, 6, 7000));    /* two products */
    assert_true(ptl_products_is_generic_port(fx->p, 6, 7400));    /* another's outbound */
    assert_true(ptl_products_is_generic_port(fx->p, 6, 8080));    /* well-known */
    assert_true(ptl_products_is_generic_port(fx->p, 6, 443));     /* documented by nobody */
    assert_true(ptl_products_is_generic_port(fx->p, 6, 25000));   /* dynamic only */
    assert_true(ptl_products_is_generic_port(fx->p, 17, 137));    /* NetBIOS */
    assert_false(ptl_products_is_generic_port(fx->p, 6, 7100));
    assert_false(ptl_products_is_generic_port(fx->p, 6, 7200));
    assert_false(ptl_products_is_generic_port(fx->p, 17, 7300));
    assert_true(ptl_products_is_generic_port(fx->p, 6, 7300));    /* gamma documents udp only */
}

static void
test_products_recognised(void **state)
{
    Fixture *fx = *state;
    /* generic ports only, with node links: nothing */
    talk(fx, "10.0.0.1", "10.0.0.2", 7000);
    talk(fx, "10.0.0.2", "10.0.0.1", 7000);
    talk(fx, "10.0.0.9", "10.0.0.1", 8080);
    ptl_products_choose(fx->p, fx->conversations, NULL);
    assert_int_equal(ptl_products_origin(fx->p), PTL_PRODUCTS_NONE);
    assert_false(product(fx, "gamma")->is_recognised);
    assert_int_equal(product(fx, "gamma")->specific_ports, 0);
    assert_int_equal(ptl_products_rank(fx->p, "gamma"), 0);
    assert_int_equal(ptl_products_nodes(fx->p)->len, 0);

    /* its own port too: several services, one specific, servers talking on node ports */
    talk(fx, "10.0.0.9", "10.0.0.1", 7200);
    ptl_products_choose(fx->p, fx->conversations, NULL);
    const PtlProduct *gamma = product(fx, "gamma");
    assert_true(gamma->is_recognised);
    assert_true(gamma->is_selected);
    assert_false(gamma->is_declared);
    assert_int_equal(gamma->specific_ports, 1);
    assert_int_equal(gamma->node_links, 2);
    assert_false(product(fx, "delta")->is_selected);   /* 7000 only: one service */
    assert_int_equal(ptl_products_origin(fx->p), PTL_PRODUCTS_INFERRED);
    assert_true(ptl_products_rank(fx->p, "gamma") > PTL_PRODUCTS_RANK_SITE);
    assert_false(ptl_products_is_declared(fx->p, "gamma"));
    assert_true(ptl_products_is_declared(fx->p, PTL_RULE_SITE_PRODUCT));
    assert_true(ptl_products_is_inferring_nodes(fx->p));
    assert_int_equal(ptl_products_nodes(fx->p)->len, 2);
}

/* a broadcast address answering nothing never becomes a node */
static void
test_products_no_broadcast_nodes(void **state)
{
    Fixture *fx = *state;
    talk(fx, "10.0.0.1", "10.0.255.255", 7100);
    talk(fx, "10.0.255.255", "10.0.0.1", 7100);
    talk(fx, "10.0.0.9", "10.0.0.1", 7200);
    g_autoptr(PtlHostKinds) kinds = ptl_host_kinds_new(NULL);
    PtlAddr sender;
    assert_true(ptl_addr_parse("10.0.0.1", &sender));
    ptl_host_kinds_add_sender(kinds, &sender);
    ptl_products_choose(fx->p, fx->conversations, kinds);
    assert_false(product(fx, "gamma")->is_recognised);
    /* without host kinds the same traffic looks like two nodes */
    ptl_products_choose(fx->p, fx->conversations, NULL);
    assert_true(product(fx, "gamma")->is_recognised);
}

static void
test_products_declared(void **state)
{
    Fixture *fx = *state;
    char *forced[] = { "delta", NULL };
    g_autoptr(PtlProducts) p = ptl_products_new(fx->rules, NULL, forced);
    talk(fx, "10.0.0.9", "10.0.0.1", 7200);
    ptl_products_choose(p, fx->conversations, NULL);
    assert_int_equal(ptl_products_origin(p), PTL_PRODUCTS_DECLARED);
    assert_true(ptl_products_is_declared(p, "delta"));
    assert_false(ptl_products_is_declared(p, "gamma"));
    assert_int_equal(ptl_products_rank(p, "gamma"), 0);
}

#define PRODUCTS_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PRODUCTS_TEST(test_products_generic_ports),
        PRODUCTS_TEST(test_products_recognised),
        PRODUCTS_TEST(test_products_no_broadcast_nodes),
        PRODUCTS_TEST(test_products_declared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
