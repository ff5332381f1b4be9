/* test-host-kind.c: broadcast, multicast, network and unspecified addresses are no hosts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-host-kind.h"

static PtlAddr
addr(const char *text)
{
    PtlAddr a;
    assert_true(ptl_addr_parse(text, &a));
    return a;
}

static PtlHostKind
of_addr(const char *text)
{
    PtlAddr a = addr(text);
    return ptl_host_kind_of_addr(&a);
}

static PtlHostKind
classify(const PtlHostKinds *kinds, const char *text)
{
    PtlAddr a = addr(text);
    return ptl_host_kinds_classify(kinds, &a);
}

static void
sender(PtlHostKinds *kinds, const char *text)
{
    PtlAddr a = addr(text);
    ptl_host_kinds_add_sender(kinds, &a);
}

static void
test_host_kind_of_addr(void **state)
{
    (void) state;
    assert_int_equal(of_addr("255.255.255.255"), PTL_HOST_KIND_BROADCAST);
    assert_int_equal(of_addr("224.0.0.251"), PTL_HOST_KIND_MULTICAST);
    assert_int_equal(of_addr("239.255.255.250"), PTL_HOST_KIND_MULTICAST);
    assert_int_equal(of_addr("240.0.0.1"), PTL_HOST_KIND_HOST);
    assert_int_equal(of_addr("223.255.255.255"), PTL_HOST_KIND_HOST);
    assert_int_equal(of_addr("0.0.0.0"), PTL_HOST_KIND_UNSPECIFIED);
    assert_int_equal(of_addr("ff02::fb"), PTL_HOST_KIND_MULTICAST);
    assert_int_equal(of_addr("::"), PTL_HOST_KIND_UNSPECIFIED);
    assert_int_equal(of_addr("fe80::1"), PTL_HOST_KIND_HOST);
    /* the address alone cannot tell a subnet broadcast */
    assert_int_equal(of_addr("10.77.255.255"), PTL_HOST_KIND_HOST);
    assert_string_equal(ptl_host_kind_name(PTL_HOST_KIND_BROADCAST), "broadcast");
    assert_string_equal(ptl_host_kind_name(PTL_HOST_KIND_NETWORK), "network");
    assert_string_equal(ptl_host_kind_name(PTL_HOST_KIND_HOST), "host");
}

/* NetBIOS name broadcasts from 10.77.1.5 to its /16's broadcast address */
static void
test_host_kind_inferred_subnet(void **state)
{
    (void) state;
    g_autoptr(PtlHostKinds) kinds = ptl_host_kinds_new(NULL);
    sender(kinds, "10.77.1.5");
    sender(kinds, "192.168.3.9");
    sender(kinds, "172.16.5.255");      /* a machine at .255 that answered */
    assert_int_equal(classify(kinds, "10.77.255.255"), PTL_HOST_KIND_BROADCAST);
    assert_int_equal(classify(kinds, "10.77.1.255"), PTL_HOST_KIND_BROADCAST);
    assert_int_equal(classify(kinds, "10.255.255.255"), PTL_HOST_KIND_BROADCAST);
    assert_int_equal(classify(kinds, "10.77.0.0"), PTL_HOST_KIND_NETWORK);
    assert_int_equal(classify(kinds, "192.168.3.255"), PTL_HOST_KIND_BROADCAST);
    assert_int_equal(classify(kinds, "192.168.3.0"), PTL_HOST_KIND_NETWORK);
    assert_int_equal(classify(kinds, "172.16.5.255"), PTL_HOST_KIND_HOST);
    /* no sender in that subnet: nothing says it is one */
    assert_int_equal(classify(kinds, "10.88.255.255"), PTL_HOST_KIND_HOST);
    assert_int_equal(classify(kinds, "11.0.0.255"), PTL_HOST_KIND_HOST);
    assert_int_equal(classify(kinds, "192.168.4.255"), PTL_HOST_KIND_HOST);
    /* not all ones or all zeros on an octet boundary */
    assert_int_equal(classify(kinds, "10.77.1.127"), PTL_HOST_KIND_HOST);
    assert_int_equal(classify(kinds, "10.77.1.6"), PTL_HOST_KIND_HOST);
    assert_int_equal(classify(kinds, "224.0.0.251"), PTL_HOST_KIND_MULTICAST);
}

static void
test_host_kind_declared_subnet(void **state)
{
    (void) state;
    g_autoptr(PtlInventory) inv = ptl_inventory_new();
    assert_true(ptl_inventory_add_hosts(inv, PTL_ROLE_NODE, "10.20.1.0/25, 10.20.2.1-10.20.2.9",
                                        NULL));
    assert_true(ptl_inventory_add_hosts(inv, PTL_ROLE_CLIENT, "10.30.0.0/31", NULL));
    g_autoptr(PtlHostKinds) kinds = ptl_host_kinds_new(inv);
    sender(kinds, "10.20.1.127");      /* declared: the inventory wins over what it sent */
    assert_int_equal(classify(kinds, "10.20.1.127"), PTL_HOST_KIND_BROADCAST);
    assert_int_equal(classify(kinds, "10.20.1.0"), PTL_HOST_KIND_NETWORK);
    assert_int_equal(classify(kinds, "10.20.1.5"), PTL_HOST_KIND_HOST);
    /* a span is no subnet; a /31 has no broadcast (RFC 3021) */
    assert_int_equal(classify(kinds, "10.20.2.9"), PTL_HOST_KIND_HOST);
    assert_int_equal(classify(kinds, "10.30.0.1"), PTL_HOST_KIND_HOST);
    gboolean is_broadcast = FALSE;
    PtlAddr a = addr("10.20.1.127");
    assert_true(ptl_inventory_subnet_edge(inv, &a, &is_broadcast));
    assert_true(is_broadcast);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_kind_of_addr),
        cmocka_unit_test(test_host_kind_inferred_subnet),
        cmocka_unit_test(test_host_kind_declared_subnet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
