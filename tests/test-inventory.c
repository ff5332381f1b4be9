/* test-inventory.c: address lists (single, CIDR v4/v6, ranges), overlapping
 * roles, the inventory file and its errors with line numbers, and the checks
 * against the rules (product names, parameters, named hosts) with line numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ptl-inventory.h"

static guint32
role_of(const PtlInventory *inv, const char *text)
{
    PtlAddr addr;
    assert_true(ptl_addr_parse(text, &addr));
    return ptl_inventory_role(inv, &addr);
}

/* Writes text to a fresh temporary file; the caller unlinks and frees the path. */
static char *
write_temp(const char *text)
{
    g_autoptr(GError) error = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("ptl-inventory-XXXXXX", &path, &error);
    assert_true(fd >= 0);
    close(fd);
    assert_true(g_file_set_contents(path, text, -1, &error));
    return path;
}

/* The error starts with "path:line: " ("path: " for line 0) and holds needle. */
static void
assert_error_at(guint case_number, const GError *error, const char *path, guint line,
                const char *needle)
{
    assert_non_null(error);
    g_autofree char *prefix = line > 0 ? g_strdup_printf("%s:%u: ", path, line)
                                       : g_strdup_printf("%s: ", path);
    if (!g_str_has_prefix(error->message, prefix) || strstr(error->message, needle) == NULL)
        print_error("case %u: %s\n", case_number, error->message);
    assert_true(g_str_has_prefix(error->message, prefix));
    assert_non_null(strstr(error->message, needle));
}

static void
test_inventory_single_and_ranges(void **state)
{
    (void) state;
    g_autoptr(PtlInventory) inv = ptl_inventory_new();
    assert_false(ptl_inventory_declares(inv, PTL_ROLE_ANY));
    g_autoptr(GError) error = NULL;
    assert_true(ptl_inventory_add_hosts(inv, PTL_ROLE_NODE,
                                        "10.20.0.11-10.20.0.13, 10.9.9.9 fe80::1-fe80::a",
                                        &error));
    assert_true(ptl_inventory_declares(inv, PTL_ROLE_ANY));
    assert_int_equal(role_of(inv, "10.20.0.10"), 0);
    assert_int_equal(role_of(inv, "10.20.0.11"), PTL_ROLE_NODE);
    assert_int_equal(role_of(inv, "10.20.0.13"), PTL_ROLE_NODE);
    assert_int_equal(role_of(inv, "10.20.0.14"), 0);
    assert_int_equal(role_of(inv, "10.9.9.9"), PTL_ROLE_NODE);
    assert_int_equal(role_of(inv, "10.9.9.8"), 0);
    assert_int_equal(role_of(inv, "fe80::a"), PTL_ROLE_NODE);
    assert_int_equal(role_of(inv, "fe80::b"), 0);
    /* an IPv4 range never holds an IPv6 address with the same leading bytes */
    assert_int_equal(role_of(inv, "a14:b::"), 0);
}

static void
test_inventory_cidr_v4_v6(void **state)
{
    (void) state;
    g_autoptr(PtlInventory) inv = ptl_inventory_new();
    assert_true(ptl_inventory_add_hosts(inv, PTL_ROLE_CLIENT,
                                        "192.168.0.0/16,10.0.0.77/30,2001:db8:1::/64,"
                                        "172.16.0.1/32", NULL));
    assert_int_equal(role_of(inv, "192.168.0.0"), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(inv, "192.168.255.255"), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(inv, "192.169.0.0"), 0);
    /* host bits are cleared: .77/30 is .76-.79 */
    assert_int_equal(role_of(inv, "10.0.0.75"), 0);
    assert_int_equal(role_of(inv, "10.0.0.76"), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(inv, "10.0.0.79"), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(inv, "10.0.0.80"), 0);
    assert_int_equal(role_of(inv, "2001:db8:1::1"), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(inv, "2001:db8:1:0:ffff:ffff:ffff:ffff"), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(inv, "2001:db8:2::"), 0);
    assert_int_equal(role_of(inv, "172.16.0.1"), PTL_ROLE_CLIENT);
    assert_int_equal(role_of(inv, "172.16.0.2"), 0);
    g_autoptr(PtlInventory) all = ptl_inventory_new();
    assert_true(ptl_inventory_add_hosts(all, PTL_ROLE_ADMIN, "0.0.0.0/0, ::/0", NULL));
    assert_int_equal(role_of(all, "255.255.255.255"), PTL_ROLE_ADMIN);
    assert_int_equal(role_of(all, "::1"), PTL_ROLE_ADMIN);
}

static void
test_inventory_roles_overlap(void **state)
{
    (void) state;
    g_autoptr(PtlInventory) inv = ptl_inventory_new();
    assert_true(ptl_inventory_add_hosts(inv, PTL_ROLE_NODE, "10.0.0.0/24", NULL));
    assert_true(ptl_inventory_add_hosts(inv, PTL_ROLE_ADMIN, "10.0.0.5, 10.1.0.5", NULL));
    assert_int_equal(role_of(inv, "10.0.0.5"), PTL_ROLE_NODE | PTL_ROLE_ADMIN);
    assert_int_equal(role_of(inv, "10.0.0.6"), PTL_ROLE_NODE);
    assert_int_equal(role_of(inv, "10.1.0.5"), PTL_ROLE_ADMIN);
}

static void
test_inventory_bad_tokens(void **state)
{
    (void) state;
    static const char *const lists[][2] = {
        { "10.0.0.1, 10.0.0.300", "'10.0.0.300'" },
        { "10.0.0.0/33", "'10.0.0.0/33'" },
        { "fe80::/129", "'fe80::/129'" },
        { "10.0.0.0/", "'10.0.0.0/'" },
        { "10.0.0.0/-1", "'10.0.0.0/-1'" },
        { "10.0.0.9-10.0.0.1", "'10.0.0.9-10.0.0.1'" },
        { "10.0.0.1-fe80::1", "'10.0.0.1-fe80::1'" },
        { "node1.example.com", "'node1.example.com'" },
        { " , ", "no address" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(lists); i++) {
        g_autoptr(PtlInventory) inv = ptl_inventory_new();
        g_autoptr(GError) error = NULL;
        assert_false(ptl_inventory_add_hosts(inv, PTL_ROLE_NODE, lists[i][0], &error));
        assert_true(g_error_matches(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_ADDRESS));
        if (strstr(error->message, lists[i][1]) == NULL)
            print_error("%s: %s\n", lists[i][0], error->message);
        assert_non_null(strstr(error->message, lists[i][1]));
        /* nothing of a refused list is kept */
        assert_false(ptl_inventory_declares(inv, PTL_ROLE_ANY));
    }
}

static void
test_inventory_file(void **state)
{
    (void) state;
    g_autofree char *path = write_temp(
        "# lab cluster\n"
        "product  sisense\n"
        "product  wso2-das, sisense   # listed twice: kept once\n"
        "nodes    10.20.0.11-10.20.0.13, 10.20.1.0/24\n"
        "admins   10.30.0.5\n"
        "\n"
        "clients  192.168.0.0/16, 2001:db8::/32\n"
        "set      wso2-das.offset = 1\n"
        "host     Listener.logz.io = 203.0.113.50\n");
    g_autoptr(PtlInventory) inv = ptl_inventory_new();
    g_autoptr(GError) error = NULL;
    assert_true(ptl_inventory_load_file(inv, path, &error));
    const GPtrArray *products = ptl_inventory_products(inv);
    assert_int_equal(products->len, 2);
    assert_string_equal(g_ptr_array_index(products, 0), "sisense");
    assert_string_equal(g_ptr_array_index(products, 1), "wso2-das");
    ptl_inventory_add_product(inv, "impala");
    ptl_inventory_add_product(inv, "impala");
    assert_int_equal(products->len, 3);
    const GPtrArray *params = ptl_inventory_params(inv);
    assert_int_equal(params->len, 1);
    assert_string_equal(g_ptr_array_index(params, 0), "wso2-das.offset=1");
    assert_int_equal(role_of(inv, "10.20.1.200"), PTL_ROLE_NODE);
    assert_int_equal(role_of(inv, "10.30.0.5"), PTL_ROLE_ADMIN);
    assert_int_equal(role_of(inv, "2001:db8:ffff::1"), PTL_ROLE_CLIENT);
    const PtlAddr *logz = ptl_inventory_named_host(inv, "listener.logz.io");
    assert_non_null(logz);
    char text[PTL_ADDR_STRLEN];
    assert_string_equal(ptl_addr_to_string(logz, text), "203.0.113.50");
    assert_null(ptl_inventory_named_host(inv, "logz.io"));
    g_unlink(path);
}

static void
test_inventory_file_errors(void **state)
{
    (void) state;
    static const struct {
        const char *text;
        PtlInventoryError code;
        guint line;
        const char *needle;
    } cases[] = {
        { "nodes 10.0.0.1\n\nnode 10.0.0.2\n", PTL_INVENTORY_ERROR_SYNTAX, 3, "'node'" },
        { "# x\nadmins 10.0.0.1, 10.0.0.256\n", PTL_INVENTORY_ERROR_ADDRESS, 2, "'10.0.0.256'" },
        { "clients\n", PTL_INVENTORY_ERROR_SYNTAX, 1, "needs a value" },
        { "set offset=1\n", PTL_INVENTORY_ERROR_SYNTAX, 1, "PRODUCT.PARAM=VALUE" },
        { "set wso2-das.offset=\n", PTL_INVENTORY_ERROR_SYNTAX, 1, "PRODUCT.PARAM=VALUE" },
        { "host logz 203.0.113.50\n", PTL_INVENTORY_ERROR_SYNTAX, 1, "NAME = ADDRESS" },
        { "host logz = nowhere\n", PTL_INVENTORY_ERROR_ADDRESS, 1, "'nowhere'" },
        { "host a = 10.0.0.1\nhost A = 10.0.0.2\n", PTL_INVENTORY_ERROR_SYNTAX, 2, "twice" },
        { "set wso2-das.offset=1\nset wso2-das.offset = 2\n", PTL_INVENTORY_ERROR_SYNTAX, 2,
          "set twice (first on line 1)" },
        { "nodes 10.0.0.9-10.0.0.1\n", PTL_INVENTORY_ERROR_ADDRESS, 1, "reversed" },
        { "nodes 10.0.0.1-fe80::1\n", PTL_INVENTORY_ERROR_ADDRESS, 1, "mixes IPv4 and IPv6" },
        { "nodes 10.0.0.0/33\n", PTL_INVENTORY_ERROR_ADDRESS, 1, "0..32" },
        { "nodes fe80::/129\n", PTL_INVENTORY_ERROR_ADDRESS, 1, "0..128" },
        { "nodes , ,\n", PTL_INVENTORY_ERROR_ADDRESS, 1, "no address" },
        { "Nodes 10.0.0.1\n", PTL_INVENTORY_ERROR_SYNTAX, 1, "unknown keyword 'Nodes'" },
        { "product caf\xc3\n", PTL_INVENTORY_ERROR_IO, 0, "UTF-8" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = write_temp(cases[i].text);
        g_autoptr(PtlInventory) inv = ptl_inventory_new();
        g_autoptr(GError) error = NULL;
        assert_false(ptl_inventory_load_file(inv, path, &error));
        assert_true(g_error_matches(error, PTL_INVENTORY_ERROR, cases[i].code));
        assert_error_at(i, error, path, cases[i].line, cases[i].needle);
        g_unlink(path);
    }
    g_autoptr(PtlInventory) inv = ptl_inventory_new();
    g_autoptr(GError) error = NULL;
    assert_false(ptl_inventory_load_file(inv, "/nonexistent/ptl-inventory", &error));
    assert_true(g_error_matches(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_IO));
}

static PtlRuleSet *
load_rules(void)
{
    PtlRuleSet *rules = ptl_rule_set_new();
    const char *dir = g_getenv("PTL_RULES_DIR");
    assert_non_null(dir);
    g_autoptr(GError) error = NULL;
    assert_true(ptl_rule_set_load_dir(rules, dir, &error));
    return rules;
}

/* What only the rules can tell is checked by ptl_inventory_apply(), still with file:line. */
static void
test_inventory_apply_errors(void **state)
{
    (void) state;
    static const struct { const char *text; guint line; const char *needle; } cases[] = {
        { "nodes 10.0.0.1\nproduct sisens\n", 2,
          "product: unknown product 'sisens' (known: clustron-dkv, impala, sisense" },
        { "product sisense, nope\n", 1, "unknown product 'nope'" },
        { "# x\n\nset wso2-das.ofset=1\n", 3, "has no parameter 'ofset'" },
        { "set wso2-da.offset=1\n", 1, "unknown product 'wso2-da'" },
        { "set wso2-das.offset=70000\n", 1, "not a number 0..65535" },
        { "set wso2-das.offset=65000\n", 1, "out of" },
        { "host listener.logz.i = 203.0.113.50\n", 1,
          "no rule names this host (rules name: listener.logz.io" },
    };
    g_autoptr(PtlRuleSet) rules = load_rules();
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = write_temp(cases[i].text);
        g_autoptr(PtlInventory) inv = ptl_inventory_new();
        g_autoptr(GError) error = NULL;
        assert_true(ptl_inventory_load_file(inv, path, &error));
        assert_false(ptl_inventory_apply(inv, rules, NULL, &error));
        assert_error_at(i, error, path, cases[i].line, cases[i].needle);
        g_unlink(path);
    }
}

/* "Sisense" means sisense: taken as such, with a note naming the line. */
static void
test_inventory_apply_resolves(void **state)
{
    (void) state;
    g_autofree char *path = write_temp("product Sisense, WSO2-DAS\n"
                                       "set wso2-das.offset = 1\n"
                                       "host listener.logz.io = 203.0.113.50\n"
                                       "nodes 10.20.0.0/24 10.20.1.7/24\n");
    g_autoptr(PtlRuleSet) rules = load_rules();
    g_autoptr(PtlInventory) inv = ptl_inventory_new();
    g_autoptr(GError) error = NULL;
    assert_true(ptl_inventory_load_file(inv, path, &error));
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    assert_true(ptl_inventory_apply(inv, rules, notes, &error));
    const GPtrArray *products = ptl_inventory_products(inv);
    assert_int_equal(products->len, 2);
    assert_string_equal(g_ptr_array_index(products, 0), "sisense");
    assert_string_equal(g_ptr_array_index(products, 1), "wso2-das");
    assert_int_equal(notes->len, 3);
    g_autofree char *bits = g_strdup_printf("%s:4: '10.20.1.7/24' has host bits set: taken as "
                                            "the whole block 10.20.1.0/24", path);
    assert_string_equal(g_ptr_array_index(notes, 0), bits);
    g_autofree char *first = g_strdup_printf("%s:1: product 'Sisense' taken as 'sisense'", path);
    assert_string_equal(g_ptr_array_index(notes, 1), first);
    assert_int_equal(role_of(inv, "10.20.1.200"), PTL_ROLE_NODE);
    /* one file per inventory */
    assert_false(ptl_inventory_load_file(inv, path, &error));
    assert_non_null(strstr(error->message, "one inventory file only"));
    g_unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inventory_single_and_ranges),
        cmocka_unit_test(test_inventory_cidr_v4_v6),
        cmocka_unit_test(test_inventory_roles_overlap),
        cmocka_unit_test(test_inventory_bad_tokens),
        cmocka_unit_test(test_inventory_file),
        cmocka_unit_test(test_inventory_file_errors),
        cmocka_unit_test(test_inventory_apply_errors),
        cmocka_unit_test(test_inventory_apply_resolves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
