/* fuzz-regress-main.c: a fuzz target without libFuzzer, for the normal test suite.
 *
 * Runs LLVMFuzzerTestOneInput once on each file named, or on each file of each
 * directory named (sorted), as libFuzzer does when it reproduces a crash.  A
 * reproducer that still breaks the contract aborts, and ASan/UBSan report the
 * rest.  Exit 77 (skipped) when no argument names an existing file or directory. */
#include "fuzz-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static guint
regress_run_file(const char *path)
{
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &contents, &len, &error)) {
        fprintf(stderr, "%s\n", error->message);
        exit(1);
    }
    /* libFuzzer's copy is exactly len bytes: so is this one, for ASan */
    g_autofree uint8_t *copy = g_memdup2(contents, len);
    LLVMFuzzerTestOneInput(copy, len);
    fprintf(stderr, "ok %s (%" G_GSIZE_FORMAT " bytes)\n", path, len);
    return 1;
}

static int
regress_compare(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static guint
regress_run_dir(const char *dir)
{
    g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
    if (handle == NULL)
        return 0;
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(handle)) != NULL) {
        char *path = g_build_filename(dir, name, NULL);
        if (name[0] != '.' && g_file_test(path, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add(paths, path);
        else
            g_free(path);
    }
    g_ptr_array_sort(paths, regress_compare);
    guint n = 0;
    for (guint i = 0; i < paths->len; i++)
        n += regress_run_file(g_ptr_array_index(paths, i));
    return n;
}

int
main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    guint n = 0;
    for (int i = 1; i < argc; i++) {
        if (g_file_test(argv[i], G_FILE_TEST_IS_DIR))
            n += regress_run_dir(argv[i]);
        else if (g_file_test(argv[i], G_FILE_TEST_IS_REGULAR))
            n += regress_run_file(argv[i]);
    }
    if (n == 0) {
        fprintf(stderr, "no reproducer in the directories given: skipped\n");
        return 77;
    }
    fprintf(stderr, "%u inputs, no contract broken\n", n);
    return 0;
}
