/* ptl-plugins.c: the GModule loader.  A module is refused, with a reason, for a
 * wrong ABI version or descriptor size, a missing callback or a name already
 * taken; the run goes on.  Every accepted descriptor is copied into the current
 * layout (ABI 1 converted, a shorter ABI 2 one zero-filled), so the rest of the
 * core reads one struct. */
#include "ptl-plugins.h"

#include "ptl-dissector-abi1.h"

#include "ptl-config.h"
#include "ptl-paths.h"

#include <string.h>

G_DEFINE_QUARK(ptl-loader-error-quark, ptl_loader_error)

struct _PtlPluginSet {
    GPtrArray  *plugins;  /* of PtlPlugin* */
    GHashTable *by_name;  /* name -> PtlPlugin*, transfer none */
};

static void
plugin_free(gpointer data)
{
    PtlPlugin *plugin = data;
    g_free((gpointer) plugin->desc);
    g_free(plugin->path);
    g_free(plugin);
}

PtlPluginSet *
ptl_plugin_set_new(void)
{
    PtlPluginSet *set = g_new0(PtlPluginSet, 1);
    set->plugins = g_ptr_array_new_with_free_func(plugin_free);
    set->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return set;
}

void
ptl_plugin_set_free(PtlPluginSet *set)
{
    if (set == NULL)
        return;
    g_hash_table_destroy(set->by_name);
    g_ptr_array_free(set->plugins, TRUE);
    g_free(set);
}

static gboolean
plugins_name_is_valid(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > 32)
        return FALSE;
    for (const char *p = name; *p; p++)
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_' && *p != '-')
            return FALSE;
    return TRUE;
}

static const char *
plugins_missing_field(const PtlDissector *desc)
{
    if (!plugins_name_is_valid(desc->name))
        return "name (lower case letters, digits, '_' or '-', at most 32)";
    if (desc->default_ports == NULL)
        return "default_ports";
    if (desc->probe == NULL)
        return "probe";
    if (desc->state_new == NULL)
        return "state_new";
    if (desc->state_free == NULL)
        return "state_free";
    if (desc->feed == NULL)
        return "feed";
    if (desc->emit == NULL)
        return "emit";
    return NULL;
}

static PtlDissector *
plugins_from_abi1(const PtlDissectorAbi1 *old)
{
    PtlDissector *desc = g_new0(PtlDissector, 1);
    desc->abi_version = PTL_DISSECTOR_ABI_1;
    desc->struct_size = sizeof(PtlDissector);
    desc->name = old->name;
    desc->version = old->version;
    desc->description = old->description;
    desc->default_ports = old->default_ports;
    desc->probe = old->probe;
    desc->probe_datagram = old->probe_datagram;
    desc->state_new = old->state_new;
    desc->state_free = old->state_free;
    desc->feed = old->feed;
    desc->gap = old->gap;
    desc->emit = old->emit;
    return desc;
}

/* transfer full: the descriptor in the current layout, or NULL with the reason.
 * abi_version is read first; struct_size only once the version says it exists. */
static PtlDissector *
plugins_normalise(gconstpointer module_desc, const char *path, GError **error)
{
    guint32 abi = *(const guint32 *) module_desc;
    if (abi == PTL_DISSECTOR_ABI_1)
        return plugins_from_abi1(module_desc);
    if (abi != PTL_DISSECTOR_ABI_VERSION) {
        g_set_error(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_ABI,
                    "%s: ABI version %u, this portolan reads 1 and %u: rebuild the module",
                    path, abi, PTL_DISSECTOR_ABI_VERSION);
        return NULL;
    }
    guint32 size = ((const PtlDissector *) module_desc)->struct_size;
    if (size < PTL_DISSECTOR_SIZE_2) {
        g_set_error(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_ABI,
                    "%s: descriptor of %u bytes, ABI %u needs at least %u: "
                    "set it with PTL_DISSECTOR_HEADER and rebuild the module",
                    path, size, abi, (guint) PTL_DISSECTOR_SIZE_2);
        return NULL;
    }
    /* a newer module may be longer: read only the fields this core knows */
    PtlDissector *desc = g_new0(PtlDissector, 1);
    memcpy(desc, module_desc, MIN((gsize) size, sizeof(PtlDissector)));
    desc->struct_size = sizeof(PtlDissector);
    return desc;
}

gboolean
ptl_plugin_set_add(PtlPluginSet *set, const PtlDissector *module_desc, const char *path,
                   GError **error)
{
    g_autofree PtlDissector *desc = plugins_normalise(module_desc, path, error);
    if (desc == NULL)
        return FALSE;
    const char *missing = plugins_missing_field(desc);
    if (missing != NULL) {
        g_set_error(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_CALLBACK,
                    "%s: missing or invalid %s", path, missing);
        return FALSE;
    }
    const PtlPlugin *other = g_hash_table_lookup(set->by_name, desc->name);
    if (other != NULL) {
        g_set_error(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_DUPLICATE,
                    "%s: dissector '%s' is already loaded from %s", path, desc->name,
                    other->path);
        return FALSE;
    }
    PtlPlugin *plugin = g_new0(PtlPlugin, 1);
    plugin->desc = g_steal_pointer(&desc);
    plugin->path = g_strdup(path);
    plugin->index = set->plugins->len;
    g_ptr_array_add(set->plugins, plugin);
    g_hash_table_insert(set->by_name, (gpointer) plugin->desc->name, plugin);
    return TRUE;
}

typedef const PtlDissector *(*PluginsEntryFunc)(void);

gboolean
ptl_plugin_set_load_file(PtlPluginSet *set, const char *path, GError **error)
{
    GModule *module = g_module_open(path, G_MODULE_BIND_LOCAL);
    if (module == NULL) {
        g_set_error(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_OPEN, "%s: %s", path,
                    g_module_error());
        return FALSE;
    }
    gpointer symbol = NULL;
    const PtlDissector *desc = NULL;
    if (g_module_symbol(module, "ptl_dissector_entry", &symbol) && symbol != NULL)
        desc = ((PluginsEntryFunc) symbol)();
    if (desc == NULL) {
        g_set_error(error, PTL_LOADER_ERROR, PTL_LOADER_ERROR_SYMBOL,
                    "%s: not a portolan dissector (no ptl_dissector_entry)", path);
        g_module_close(module);
        return FALSE;
    }
    if (!ptl_plugin_set_add(set, desc, path, error)) {
        g_module_close(module);
        return FALSE;
    }
    g_module_make_resident(module); /* its tables are used until exit */
    return TRUE;
}

static int
plugins_compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

guint
ptl_plugin_set_load_dir(PtlPluginSet *set, const char *dir, GPtrArray *warnings)
{
    g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
    if (handle == NULL)
        return 0;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(handle)) != NULL)
        if (g_str_has_suffix(name, "." G_MODULE_SUFFIX))
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, plugins_compare_names);
    guint loaded = 0;
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        g_autoptr(GError) error = NULL;
        if (ptl_plugin_set_load_file(set, path, &error))
            loaded++;
        else if (warnings != NULL)
            g_ptr_array_add(warnings, g_strdup(error->message));
    }
    return loaded;
}

/* Running from the build tree (build/analyzer/portolan): the modules are in
 * build/dissectors and build/plugins/tls, not yet installed. */
static guint
plugins_load_build_tree(PtlPluginSet *set, GPtrArray *warnings)
{
    g_autofree char *top = ptl_paths_build_tree();
    if (top == NULL)
        return 0;
    g_autofree char *dissectors = g_build_filename(top, "dissectors", NULL);
    g_autofree char *tls = g_build_filename(top, "plugins", "tls", NULL);
    return ptl_plugin_set_load_dir(set, dissectors, warnings) +
           ptl_plugin_set_load_dir(set, tls, warnings);
}

void
ptl_plugin_set_load_default(PtlPluginSet *set, char **extra_dirs, GPtrArray *warnings)
{
    if (plugins_load_build_tree(set, warnings) == 0)
        ptl_plugin_set_load_dir(set, PTL_DISSECTOR_DIR, warnings);
    const char *env = g_getenv("PORTOLAN_PLUGIN_PATH");
    if (env != NULL) {
        g_auto(GStrv) dirs = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
        for (char **d = dirs; *d; d++)
            if (**d != '\0')
                ptl_plugin_set_load_dir(set, *d, warnings);
    }
    for (char **d = extra_dirs; d != NULL && *d != NULL; d++) {
        if (!g_file_test(*d, G_FILE_TEST_IS_DIR)) {
            if (warnings != NULL)
                g_ptr_array_add(warnings, g_strdup_printf("%s: no such plugin directory", *d));
            continue;
        }
        ptl_plugin_set_load_dir(set, *d, warnings);
    }
}

guint
ptl_plugin_set_count(const PtlPluginSet *set)
{
    return set->plugins->len;
}

const PtlPlugin *
ptl_plugin_set_get(const PtlPluginSet *set, guint index)
{
    g_return_val_if_fail(index < set->plugins->len, NULL);
    return g_ptr_array_index(set->plugins, index);
}

const PtlPlugin *
ptl_plugin_set_find(const PtlPluginSet *set, const char *name)
{
    return g_hash_table_lookup(set->by_name, name);
}

const PtlPlugin *
ptl_plugin_set_for_port(const PtlPluginSet *set, guint16 port, gboolean is_udp)
{
    for (guint i = 0; i < set->plugins->len; i++) {
        const PtlPlugin *plugin = g_ptr_array_index(set->plugins, i);
        if (is_udp && plugin->desc->probe_datagram == NULL)
            continue;
        for (const guint16 *p = plugin->desc->default_ports; *p != 0; p++)
            if (*p == port)
                return plugin;
    }
    return NULL;
}
