/* ptl-cli-plugins.c: `portolan plugins`: the dissectors that would be used. */
#include "ptl-cli.h"

static void
plugins_print_json(const PtlPluginSet *set, const GPtrArray *refused)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "plugins");
    json_builder_begin_array(b);
    for (guint i = 0; i < ptl_plugin_set_count(set); i++) {
        const PtlPlugin *p = ptl_plugin_set_get(set, i);
        json_builder_begin_object(b);
        ptl_emit_string(b, "name", p->desc->name, -1);
        ptl_emit_string(b, "version", p->desc->version ? p->desc->version : "", -1);
        ptl_emit_string(b, "description", p->desc->description ? p->desc->description : "", -1);
        ptl_emit_bool(b, "udp", p->desc->probe_datagram != NULL);
        json_builder_set_member_name(b, "default_ports");
        json_builder_begin_array(b);
        for (const guint16 *port = p->desc->default_ports; *port != 0; port++)
            json_builder_add_int_value(b, *port);
        json_builder_end_array(b);
        ptl_emit_string(b, "file", p->path, -1);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "refused");
    json_builder_begin_array(b);
    for (guint i = 0; i < refused->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(refused, i));
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, TRUE);
    puts(text);
}

static void
plugins_print_text(const PtlPluginSet *set)
{
    printf("%-10s %-8s %-8s %s\n", "NAME", "VERSION", "UDP", "FILE");
    for (guint i = 0; i < ptl_plugin_set_count(set); i++) {
        const PtlPlugin *p = ptl_plugin_set_get(set, i);
        g_autoptr(GString) ports = g_string_new(NULL);
        for (const guint16 *port = p->desc->default_ports; *port != 0; port++)
            g_string_append_printf(ports, "%s%u", ports->len ? "," : "", *port);
        printf("%-10s %-8s %-8s %s\n", p->desc->name, p->desc->version ? p->desc->version : "-",
               p->desc->probe_datagram != NULL ? "yes" : "no", p->path);
        printf("           ports %s: %s\n", ports->str,
               p->desc->description != NULL ? p->desc->description : "");
    }
}

int
ptl_cli_plugins(int argc, char **argv)
{
    g_auto(GStrv) dirs = NULL;
    gboolean is_json = FALSE;
    const GOptionEntry entries[] = {
        { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs,
          "Also load dissector modules from DIR (repeatable)", "DIR" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &is_json, "Print JSON", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("");
    g_option_context_set_summary(ctx,
        "Lists the dissector modules loaded from the install directory, then\n"
        "PORTOLAN_PLUGIN_PATH, then --plugin-dir; refused modules are named with why.\n\n"
        "Examples:\n"
        "  portolan plugins\n"
        "  portolan plugins --plugin-dir ./build/plugins/example --json");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
        !ptl_cli_check_dirs("--plugin-dir", dirs, &error)) {
        fprintf(stderr, "portolan plugins: %s (try --help)\n", error->message);
        return PTL_EXIT_FAILED;
    }
    g_autoptr(PtlPluginSet) set = ptl_plugin_set_new();
    g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func(g_free);
    ptl_plugin_set_load_default(set, dirs, refused);
    for (guint i = 0; i < refused->len; i++)
        fprintf(stderr, "portolan: warning: plugin refused: %s\n",
                (const char *) g_ptr_array_index(refused, i));
    if (is_json)
        plugins_print_json(set, refused);
    else
        plugins_print_text(set);
    return ptl_plugin_set_count(set) > 0 ? PTL_EXIT_OK : PTL_EXIT_FAILED;
}
