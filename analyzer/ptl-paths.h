/* ptl-paths.h: where modules and rule files are, installed or in the build tree. */
#pragma once

#include <glib.h>

/* The meson build directory the running binary belongs to, or NULL when it
 * runs installed.  transfer full */
char *ptl_paths_build_tree(void);
/* The default rules directory: the source tree's rules/ when running from the
 * build tree, else the installed one.  transfer full */
char *ptl_paths_rules_dir(void);
