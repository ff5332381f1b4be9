/* test-plugins.c: the loader takes good modules (ABI 2, and ABI 1 built against the
 * frozen old header) and refuses, with a reason that names the file, a wrong ABI, a
 * descriptor too small for its ABI, a missing callback, a taken name and a non-module. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-plugins.h"

static const char *
modules_dir(void)
{
    const char *dir = g_getenv("PTL_TEST_MODULES_DIR");
    assert_non_null(dir);
    return dir;
}

static gboolean
has_line(GPtrArray *lines, const char *file, const char *words)
{
    for (guint i = 0; i < lines->len; i++) {
        const char *line = g_ptr_array_index(lines, i);
        if (strstr(line, file) != NULL && strstr(line, words) != NULL)
            return TRUE;
    }
    return FALSE;
}

static void
test_plugins_load_dir_refuses_bad_modules(void **state)
{
    g_autoptr(PtlPluginSet) set = ptl_plugin_set_new();
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    guint loaded = ptl_plugin_set_load_dir(set, modules_dir(), warnings);
    assert_int_equal(loaded, 2);
    assert_int_equal(ptl_plugin_set_count(set), 2);
    const PtlPlugin *good = ptl_plugin_set_find(set, "good");
    assert_non_null(good);
    assert_non_null(strstr(good->path, "libtest-good."));
    assert_string_equal(good->desc->version, "0.0.1");
    assert_int_equal(warnings->len, 5);
    assert_true(has_line(warnings, "libtest-short-size.",
                         "descriptor of 16 bytes, ABI 2 needs at least"));
    assert_true(has_line(warnings, "libtest-same-name.", "'good' is already loaded from"));
    assert_true(has_line(warnings, "libtest-wrong-abi.", "ABI version 3"));
    assert_true(has_line(warnings, "libtest-no-feed.", "missing or invalid feed"));
    assert_true(has_line(warnings, "libtest-no-entry.", "not a portolan dissector"));
}

static void
test_plugins_load_file_errors(void **state)
{
    g_autoptr(PtlPluginSet) set = ptl_plugin_set_new();
    g_autoptr(GError) error = NULL;
    assert_false(ptl_plugin_set_load_file(set, "/nonexistent/libx.so", &error));
    assert_true(g_error_matches(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_OPEN));
    assert_non_null(strstr(error->message, "/nonexistent/libx.so"));
    g_clear_error(&error);
    g_autofree char *abi = g_build_filename(modules_dir(), "libtest-wrong-abi.so", NULL);
    assert_false(ptl_plugin_set_load_file(set, abi, &error));
    assert_true(g_error_matches(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_ABI));
}

static void
abi1_fact(const PtlFlowContext *ctx, PtlFact fact, const char *detail)
{
    g_strlcpy(ctx->core_data, detail, 16);
    assert_int_equal(fact, PTL_FACT_CONFIRMED);
}

/* The ABI 1 module's fields land in their ABI 2 places and it runs under a full context. */
static void
test_plugins_abi1_module_loads_and_works(void **state)
{
    g_autoptr(PtlPluginSet) set = ptl_plugin_set_new();
    g_autofree char *path = g_build_filename(modules_dir(), "libtest-abi1.so", NULL);
    g_autoptr(GError) error = NULL;
    assert_true(ptl_plugin_set_load_file(set, path, &error));
    const PtlDissector *d = ptl_plugin_set_find(set, "oldie")->desc;
    assert_int_equal(d->abi_version, 1);
    assert_int_equal(d->struct_size, sizeof(PtlDissector));
    assert_string_equal(d->version, "0.1.0");
    assert_string_equal(d->description, "an ABI 1 module");
    assert_int_equal(d->default_ports[0], 9998);
    assert_null(d->gap);
    assert_non_null(d->probe_datagram);
    assert_int_equal(d->probe_datagram((const guint8 *) "x", 1, PTL_DIR_TO_SERVER, 9998),
                     PTL_PROBE_NO);
    assert_int_equal(d->probe((const guint8 *) "x", 1, PTL_DIR_TO_SERVER), PTL_PROBE_YES);
    assert_ptr_equal(ptl_plugin_set_for_port(set, 9998, TRUE), ptl_plugin_set_find(set, "oldie"));

    char detail[16] = "";
    PtlFlowContext ctx = { .fact = abi1_fact, .core_data = detail,
                           .struct_size = sizeof(PtlFlowContext) };
    gpointer st = d->state_new();
    assert_int_equal(d->feed(st, &ctx, PTL_DIR_TO_SERVER, (const guint8 *) "hello", 5, NULL), 5);
    assert_string_equal(detail, "abi1");
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    d->emit(st, b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *json = json_to_string(root, FALSE);
    assert_string_equal(json, "{\"bytes\":5}");
    d->state_free(st);
}

/* A descriptor shorter than ABI 2's first layout is refused before any field past the
 * size is read. */
static void
test_plugins_short_descriptor_refused(void **state)
{
    g_autoptr(PtlPluginSet) set = ptl_plugin_set_new();
    g_autofree char *path = g_build_filename(modules_dir(), "libtest-short-size.so", NULL);
    g_autoptr(GError) error = NULL;
    assert_false(ptl_plugin_set_load_file(set, path, &error));
    assert_true(g_error_matches(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_ABI));
    assert_non_null(strstr(error->message, "libtest-short-size.so: descriptor of 16 bytes"));
    assert_non_null(strstr(error->message, "PTL_DISSECTOR_HEADER"));
    assert_int_equal(ptl_plugin_set_count(set), 0);
}

static void
test_plugins_missing_dir_is_empty(void **state)
{
    g_autoptr(PtlPluginSet) set = ptl_plugin_set_new();
    assert_int_equal(ptl_plugin_set_load_dir(set, "/nonexistent", NULL), 0);
    assert_null(ptl_plugin_set_for_port(set, 9999, FALSE));
}

static void
test_plugins_for_port(void **state)
{
    g_autoptr(PtlPluginSet) set = ptl_plugin_set_new();
    ptl_plugin_set_load_dir(set, modules_dir(), NULL);
    assert_string_equal(ptl_plugin_set_for_port(set, 9999, FALSE)->desc->name, "good");
    assert_null(ptl_plugin_set_for_port(set, 9999, TRUE)); /* no datagram probe */
    assert_null(ptl_plugin_set_for_port(set, 80, FALSE));
}

static void
test_plugins_env_path_and_extra_dirs(void **state)
{
    g_autoptr(PtlPluginSet) set = ptl_plugin_set_new();
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_setenv("PORTOLAN_PLUGIN_PATH", modules_dir(), TRUE);
    char *extra[] = { (char *) "/nonexistent/plugins", NULL };
    ptl_plugin_set_load_default(set, extra, warnings);
    g_unsetenv("PORTOLAN_PLUGIN_PATH");
    assert_non_null(ptl_plugin_set_find(set, "good"));
    assert_true(has_line(warnings, "/nonexistent/plugins", "no such plugin directory"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugins_load_dir_refuses_bad_modules),
        cmocka_unit_test(test_plugins_load_file_errors),
        cmocka_unit_test(test_plugins_abi1_module_loads_and_works),
        cmocka_unit_test(test_plugins_short_descriptor_refused),
        cmocka_unit_test(test_plugins_missing_dir_is_empty),
        cmocka_unit_test(test_plugins_for_port),
        cmocka_unit_test(test_plugins_env_path_and_extra_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
