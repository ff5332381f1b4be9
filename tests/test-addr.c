/* test-addr.c: addresses as text and as keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-decode.h"

static void
test_addr_round_trip(void **state)
{
    const char *texts[] = { "10.20.0.11", "0.0.0.0", "255.255.255.255", "fe80::1", "2001:db8::",
                            "::ffff:10.0.0.1" };
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        PtlAddr addr;
        char buf[PTL_ADDR_STRLEN];
        assert_true(ptl_addr_parse(texts[i], &addr));
        assert_string_equal(ptl_addr_to_string(&addr, buf), texts[i]);
    }
}

static void
test_addr_rejects_garbage(void **state)
{
    const char *bad[] = { "", "10.0.0", "10.0.0.256", "host.example", "fe80::1::2", "10.0.0.1/24" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        PtlAddr addr;
        assert_false(ptl_addr_parse(bad[i], &addr));
    }
}

static void
test_addr_equal_needs_same_family(void **state)
{
    PtlAddr v4, v6, other;
    assert_true(ptl_addr_parse("0.0.0.1", &v4));
    assert_true(ptl_addr_parse("::1", &v6));
    assert_false(ptl_addr_equal(&v4, &v6));
    assert_true(ptl_addr_parse("0.0.0.1", &other));
    assert_true(ptl_addr_equal(&v4, &other));
    other.bytes[3] = 2;
    assert_false(ptl_addr_equal(&v4, &other));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_round_trip),
        cmocka_unit_test(test_addr_rejects_garbage),
        cmocka_unit_test(test_addr_equal_needs_same_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
