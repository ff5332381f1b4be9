/* test-memcap.c: the memory budget (analyzer/ptl-memcap.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-memcap.h"

static void
test_memcap_parse_size(void **state)
{
    (void) state;
    guint64 bytes = 0;
    assert_true(ptl_memcap_parse_size("1G", &bytes));
    assert_true(bytes == G_GUINT64_CONSTANT(1) << 30);
    assert_true(ptl_memcap_parse_size("512M", &bytes));
    assert_true(bytes == 512u << 20);
    assert_true(ptl_memcap_parse_size("64k", &bytes));
    assert_true(bytes == 64u << 10);
    assert_true(ptl_memcap_parse_size("2GiB", &bytes));
    assert_true(bytes == G_GUINT64_CONSTANT(2) << 30);
    assert_true(ptl_memcap_parse_size("1048576", &bytes));
    assert_true(bytes == 1048576u);
    const char *bad[] = { "", "G", "0", "-1G", "1T", "1.5G", "1 G", "12Mx", "99999999999999999999",
                          "17179869184G" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_false(ptl_memcap_parse_size(bad[i], &bytes));
}

typedef struct {
    PtlMemcap *m;
    gsize      holders[8];   /* bytes each "flow" holds; reclaim frees the first */
    guint      n, freed;
} Reclaim;

static gboolean
reclaim_first(gpointer user_data)
{
    Reclaim *r = user_data;
    if (r->freed >= r->n)
        return FALSE;
    ptl_memcap_account(r->m, &r->holders[r->freed++], 0);
    return TRUE;
}

/* A request over the budget ends old holders first, and is refused when even
 * that cannot make room. */
static void
test_memcap_reclaims_then_refuses(void **state)
{
    (void) state;
    PtlMemcap m;
    ptl_memcap_init(&m, 4000 / 3);
    m.limit = 1000;
    Reclaim r = { .m = &m };
    m.reclaim = reclaim_first;
    m.reclaim_data = &r;
    for (r.n = 0; r.n < 3; r.n++)
        ptl_memcap_account(&m, &r.holders[r.n], 300);
    assert_int_equal(m.used, 900);
    assert_true(ptl_memcap_allows(&m, 100));
    assert_int_equal(r.freed, 0);
    assert_true(ptl_memcap_allows(&m, 350));        /* one holder ended */
    assert_int_equal(r.freed, 1);
    assert_false(ptl_memcap_allows(&m, 2000));      /* more than the whole budget */
    assert_int_equal(r.freed, 3);
    assert_int_equal(m.used, 0);
    assert_int_equal(m.peak, 900);
    ptl_memcap_dropped(&m, G_MAXUINT64);
    ptl_memcap_dropped(&m, 5);                       /* saturates */
    assert_true(m.dropped_bytes == G_MAXUINT64);
    assert_true(ptl_memcap_allows(NULL, G_MAXSIZE));
}

static void
test_memcap_shares_and_names(void **state)
{
    (void) state;
    PtlMemcap m;
    ptl_memcap_init(&m, 0);
    assert_true(m.cap == PTL_MEMCAP_DEFAULT);
    assert_true(m.limit == PTL_MEMCAP_DEFAULT / 4 * 3);   /* a quarter for everything else */
    char buf[32];
    assert_string_equal(ptl_memcap_format_size(G_GUINT64_CONSTANT(1) << 30, buf), "1G");
    assert_string_equal(ptl_memcap_format_size(16u << 20, buf), "16M");
    assert_string_equal(ptl_memcap_format_size(1536u << 10, buf), "1536K");
    assert_string_equal(ptl_memcap_format_size(1000, buf), "1000");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcap_parse_size),
        cmocka_unit_test(test_memcap_reclaims_then_refuses),
        cmocka_unit_test(test_memcap_shares_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
