/* ptl-paths.c: finding our own files without installing them first, so the
 * README's commands run straight from a fresh build. */
#include "ptl-paths.h"

#include "ptl-config.h"

char *
ptl_paths_build_tree(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe == NULL)
        return NULL;
    g_autofree char *bindir = g_path_get_dirname(exe);
    char *top = g_path_get_dirname(bindir);
    g_autofree char *marker = g_build_filename(top, "meson-private", NULL);
    if (!g_file_test(marker, G_FILE_TEST_IS_DIR)) {
        g_free(top);
        return NULL;
    }
    return top;
}

char *
ptl_paths_rules_dir(void)
{
    g_autofree char *build = ptl_paths_build_tree();
    if (build != NULL)
        return g_build_filename(PTL_SOURCE_DIR, "rules", NULL);
    return g_strdup(PTL_RULES_DIR);
}
