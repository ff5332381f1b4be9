/* test-plugins.c: the loader takes good modules and refuses, with a reason that
 * names the file, a wrong ABI, a missing callback, a taken name and a non-module. */
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
    assert_int_equal(loaded, 1);
    assert_int_equal(ptl_plugin_set_count(set), 1);
    const PtlPlugin *good = ptl_plugin_set_find(set, "good");
    assert_non_null(good);
    assert_non_null(strstr(good->path, "libtest-good."));
    assert_string_equal(good->desc->version, "0.0.1");
    assert_int_equal(warnings->len, 4);
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
        cmocka_unit_test(test_plugins_missing_dir_is_empty),
        cmocka_unit_test(test_plugins_for_port),
        cmocka_unit_test(test_plugins_env_path_and_extra_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
