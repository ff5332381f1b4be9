/* test-module.c: the helpers modules share (analyzer/ptl-module.h): calls into the
 * context checked against its size, the error formatter, the capped text buffer and
 * the capped name -> count table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-module.h"

static char *
emit_json(void (*emit)(JsonBuilder *b, gconstpointer data), gconstpointer data)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    emit(b, data);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

static guint calls;

static JsonBuilder *
count_begin(const PtlFlowContext *ctx, const char *kind)
{
    calls++;
    return NULL;
}

static void
count_need(const PtlFlowContext *ctx, PtlDirection dir, gsize more)
{
    calls++;
}

/* NULL context, a context of ABI 1's size (struct_size 0) and a full one. */
static void
test_module_ctx_calls_checked(void **unused)
{
    calls = 0;
    assert_null(ptl_record_begin(NULL, "x"));
    ptl_record_end(NULL);
    ptl_need(NULL, PTL_DIR_TO_SERVER, 10);
    ptl_fact(NULL, PTL_FACT_CONFIRMED, NULL);
    PtlFlowContext old = { .record_begin = count_begin, .record_end = NULL, .need = count_need };
    assert_null(ptl_record_begin(&old, "x"));
    ptl_need(&old, PTL_DIR_TO_SERVER, 10);
    assert_int_equal(calls, 0);
    PtlFlowContext now = { .struct_size = sizeof(PtlFlowContext), .record_begin = count_begin,
                           .need = count_need };
    assert_null(ptl_record_begin(&now, "x"));      /* no record_end: not even asked */
    assert_int_equal(calls, 0);
    ptl_need(&now, PTL_DIR_TO_SERVER, 0);           /* nothing to wait for */
    ptl_need(&now, PTL_DIR_TO_SERVER, 10);
    assert_int_equal(calls, 1);
    assert_true(PTL_FLOW_CONTEXT_SIZE_2 <= sizeof(PtlFlowContext));
}

static void
test_module_dissect_fail(void **unused)
{
    g_autoptr(GError) error = NULL;
    assert_int_equal(ptl_dissect_fail(&error, PTL_DISSECT_ERROR_LIMIT, "amqp",
                                      "frame size %u over limit %u", 9u, 8u), -1);
    assert_true(g_error_matches(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT));
    assert_string_equal(error->message, "amqp: frame size 9 over limit 8");
    assert_int_equal(ptl_dissect_fail(NULL, PTL_DISSECT_ERROR_MALFORMED, "x", "y"), -1);
}

static void
emit_text(JsonBuilder *b, gconstpointer data)
{
    ptl_text_emit(data, b, "t");
}

static void
test_module_text_buf(void **unused)
{
    PtlTextBuf t = { 0 };
    g_autofree char *unset = emit_json(emit_text, &t);
    assert_string_equal(unset, "{}");
    ptl_text_set_once(&t, "guest", 5);
    ptl_text_set_once(&t, "other", 5);              /* the first value wins */
    assert_string_equal(ptl_text_str(&t), "guest");
    ptl_text_set(&t, "\xff" "ab", 3);
    g_autofree char *invalid = emit_json(emit_text, &t);
    assert_string_equal(invalid, "{\"t\":\"\xef\xbf\xbd" "ab\"}");
    g_autofree char *big = g_strnfill(PTL_MAX_STRING + 10, 'x');
    ptl_text_set(&t, "ab", 2);
    ptl_text_append(&t, big, strlen(big));
    assert_int_equal(t.len, PTL_MAX_STRING);
    assert_true(t.is_cut);
    ptl_text_set(&t, "", 0);                         /* set to empty: present, "" */
    assert_true(ptl_text_is_set(&t));
    assert_false(t.is_cut);
    ptl_text_clear(&t);
    assert_false(ptl_text_is_set(&t));
}

static void
emit_counts(JsonBuilder *b, gconstpointer data)
{
    ptl_name_counts_emit(data, b, "methods", "methods_dropped");
    ptl_name_counts_emit_names(data, b, "names", NULL);
}

static void
test_module_name_counts(void **unused)
{
    PtlNameCounts t;
    ptl_name_counts_init(&t, 2);
    assert_int_equal(ptl_name_counts_add(&t, "get", -1), 0);
    assert_true(ptl_name_counts_add_new(&t, "put", 3));
    assert_false(ptl_name_counts_add_new(&t, "get", -1));   /* known */
    assert_int_equal(ptl_name_counts_add(&t, "del", -1), -1); /* full: dropped */
    assert_int_equal(ptl_name_counts_add(&t, "del", -1), -1);
    assert_int_equal(ptl_name_counts_add(&t, "", -1), -1);    /* empty: not a name */
    assert_int_equal(ptl_name_counts_add(&t, NULL, 0), -1);
    ptl_name_counts_add_n(&t, "put", -1, 5);
    g_autofree char *json = emit_json(emit_counts, &t);
    assert_string_equal(json, "{\"methods\":{\"get\":2,\"put\":6},\"methods_dropped\":2,"
                              "\"names\":[\"get\",\"put\"]}");
    ptl_name_counts_clear(&t);
    assert_int_equal(ptl_name_counts_len(&t), 0);
    ptl_name_counts_clear(&t);                         /* twice is harmless */
}

/* Names are compared on their first PTL_MAX_STRING bytes, which is what is kept. */
static void
test_module_name_counts_cut(void **unused)
{
    PtlNameCounts t;
    ptl_name_counts_init(&t, 4);
    g_autofree char *a = g_strnfill(PTL_MAX_STRING + 5, 'a');
    g_autofree char *b = g_strdup(a);
    b[PTL_MAX_STRING + 1] = 'b';
    ptl_name_counts_add(&t, a, -1);
    ptl_name_counts_add(&t, b, -1);
    assert_int_equal(ptl_name_counts_len(&t), 1);
    assert_int_equal(ptl_name_counts_get(&t, 0)->len, PTL_MAX_STRING);
    assert_int_equal(ptl_name_counts_get(&t, 0)->count, 2);
    ptl_name_counts_clear(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_module_ctx_calls_checked),
        cmocka_unit_test(test_module_dissect_fail),
        cmocka_unit_test(test_module_text_buf),
        cmocka_unit_test(test_module_name_counts),
        cmocka_unit_test(test_module_name_counts_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
