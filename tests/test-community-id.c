/* test-community-id.c: Community ID v1 against the spec's published baseline
 * (corelight/community-id-spec, baseline/baseline_deflt.json: seed 0, base64). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-community-id.h"

typedef struct {
    guint8      proto;
    const char *saddr, *daddr;
    int         sport, dport;   /* -1: the protocol has no ports */
    const char *expected;
} Vector;

/* baseline_deflt.json, every entry; ICMP ports there are already the type and its
 * counterpart (or code) */
static const Vector vectors[] = {
    { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
      "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
    { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
      "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
    { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
      "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
    { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135,
      "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
    { 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
      "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=" },
    { 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
      "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
    { 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
      "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
    { 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128,
      "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
    { 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
    { 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00=" },
    { 1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
    { 1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
    { 1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
    { 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
    { 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
    { 132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
    { 132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
    { 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
    { 6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
    { 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
    { 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
    { 46, "10.1.12.1", "10.1.12.2", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
    { 46, "10.1.12.2", "10.1.12.1", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
};

static void
test_community_id_baseline(void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
        const Vector *v = &vectors[i];
        PtlAddr s, d;
        assert_true(ptl_addr_parse(v->saddr, &s));
        assert_true(ptl_addr_parse(v->daddr, &d));
        char out[PTL_COMMUNITY_ID_STRLEN];
        gboolean has_ports = v->sport >= 0;
        /* the baseline's ICMP entries are ordered pairs, as a two-way type gives */
        ptl_community_id(&s, &d, v->proto, has_ports, has_ports ? (guint16) v->sport : 0,
                         has_ports ? (guint16) v->dport : 0, FALSE, out);
        assert_string_equal(out, v->expected);
    }
}

static void
test_community_id_flow_is_direction_free(void **state)
{
    (void) state;
    PtlAddr a, b;
    assert_true(ptl_addr_parse("128.232.110.120", &a));
    assert_true(ptl_addr_parse("66.35.250.204", &b));
    char one[PTL_COMMUNITY_ID_STRLEN], two[PTL_COMMUNITY_ID_STRLEN];
    ptl_community_id_flow(&a, 34855, &b, 80, 6, one);
    ptl_community_id_flow(&b, 80, &a, 34855, 6, two);
    assert_string_equal(one, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    assert_string_equal(one, two);
    /* equal addresses: the ports decide */
    ptl_community_id_flow(&a, 2000, &a, 1000, 17, one);
    ptl_community_id_flow(&a, 1000, &a, 2000, 17, two);
    assert_string_equal(one, two);
}

static void
test_community_id_icmp_ports(void **state)
{
    (void) state;
    guint16 sp, dp;
    gboolean one_way;
    ptl_community_id_icmp_ports(1, 8, 0, &sp, &dp, &one_way);     /* echo request */
    assert_int_equal(sp, 8);
    assert_int_equal(dp, 0);
    assert_false(one_way);
    ptl_community_id_icmp_ports(1, 3, 3, &sp, &dp, &one_way);     /* port unreachable */
    assert_int_equal(sp, 3);
    assert_int_equal(dp, 3);
    assert_true(one_way);
    ptl_community_id_icmp_ports(58, 135, 0, &sp, &dp, &one_way);  /* neighbor solicitation */
    assert_int_equal(dp, 136);
    assert_false(one_way);
    /* a one-way type keeps its direction: the baseline's time exceeded, reversed, differs */
    PtlAddr s, d;
    assert_true(ptl_addr_parse("10.0.0.1", &s));
    assert_true(ptl_addr_parse("10.0.0.2", &d));
    char out[PTL_COMMUNITY_ID_STRLEN];
    ptl_community_id_icmp_ports(1, 11, 0, &sp, &dp, &one_way);
    ptl_community_id(&s, &d, 1, TRUE, sp, dp, one_way, out);
    assert_string_equal(out, "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
    ptl_community_id(&d, &s, 1, TRUE, sp, dp, one_way, out);
    assert_string_not_equal(out, "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_community_id_baseline),
        cmocka_unit_test(test_community_id_flow_is_direction_free),
        cmocka_unit_test(test_community_id_icmp_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
