/* ptl-plugins.h: loading dissector modules (GModule) and checking their ABI. */
#pragma once

#include <glib.h>
#include <gmodule.h>

#include "ptl-dissector.h"

#define PTL_LOADER_ERROR (ptl_loader_error_quark())
GQuark ptl_loader_error_quark(void);

typedef enum {
    PTL_LOADER_ERROR_OPEN,      /* dlopen failed */
    PTL_LOADER_ERROR_SYMBOL,    /* no ptl_dissector_entry, or it returned NULL */
    PTL_LOADER_ERROR_ABI,       /* abi_version unknown, or struct_size too small for it */
    PTL_LOADER_ERROR_CALLBACK,  /* a required field is NULL */
    PTL_LOADER_ERROR_DUPLICATE, /* a module of that name is loaded already */
} PtlLoaderError;

typedef struct {
    /* owned by the set: the module's descriptor in the current layout (abi_version
     * says which ABI the module was built for); its strings and tables are the module's */
    const PtlDissector *desc;
    char               *path;   /* file, or "built-in" */
    guint               index;  /* position in the set */
} PtlPlugin;

typedef struct _PtlPluginSet PtlPluginSet;

PtlPluginSet *ptl_plugin_set_new(void);
/* modules stay loaded until exit (dissector tables live in them) */
void          ptl_plugin_set_free(PtlPluginSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlPluginSet, ptl_plugin_set_free)

/* Checks a descriptor (ABI 1 or 2, read by its abi_version and struct_size) and adds
 * a copy in the current layout; path is only for messages. */
gboolean ptl_plugin_set_add(PtlPluginSet *set, const PtlDissector *desc, const char *path,
                            GError **error);
/* Opens one module file and adds its dissector. */
gboolean ptl_plugin_set_load_file(PtlPluginSet *set, const char *path, GError **error);
/* Loads every module in dir (sorted by name).  Each refused module adds one line
 * to warnings ("file: why").  Returns how many were loaded; a missing dir is 0. */
guint    ptl_plugin_set_load_dir(PtlPluginSet *set, const char *dir, GPtrArray *warnings);
/* The standard search: the install dir (or, when running from the build tree, its
 * dissectors/ and plugins/), then PORTOLAN_PLUGIN_PATH (':'-separated), then extra_dirs. */
void     ptl_plugin_set_load_default(PtlPluginSet *set, char **extra_dirs, GPtrArray *warnings);

guint            ptl_plugin_set_count(const PtlPluginSet *set);
const PtlPlugin *ptl_plugin_set_get(const PtlPluginSet *set, guint index);      /* transfer none */
const PtlPlugin *ptl_plugin_set_find(const PtlPluginSet *set, const char *name); /* transfer none */
/* the plugin whose default_ports has port (first loaded wins), or NULL */
const PtlPlugin *ptl_plugin_set_for_port(const PtlPluginSet *set, guint16 port, gboolean is_udp);
