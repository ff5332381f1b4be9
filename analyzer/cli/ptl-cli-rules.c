/* ptl-cli-rules.c: `portolan rules list|check`: the rules as the engine reads them. */
#include "ptl-cli.h"

#include "ptl-paths.h"

static char *
rules_sources_text(const PtlRule *r)
{
    static const struct { guint32 role; const char *name; } names[] = {
        { PTL_ROLE_NODE, "nodes" }, { PTL_ROLE_ADMIN, "admins" },
        { PTL_ROLE_CLIENT, "clients" }, { PTL_ROLE_EXTERNAL, "external" },
    };
    GString *text = g_string_new(NULL);
    if ((r->sources & PTL_ROLE_ANY) == PTL_ROLE_ANY) {
        g_string_append(text, "any");
    } else {
        for (guint i = 0; i < G_N_ELEMENTS(names); i++)
            if (r->sources & names[i].role)
                g_string_append_printf(text, "%s%s", text->len ? "," : "", names[i].name);
    }
    for (char **h = r->source_hosts; h != NULL && *h != NULL; h++)
        g_string_append_printf(text, "%s%s", text->len ? "," : "", *h);
    return g_string_free(text, FALSE);
}

static void
rules_emit_json(JsonBuilder *b, const PtlRule *r)
{
    json_builder_begin_object(b);
    ptl_emit_string(b, "product", r->product, -1);
    ptl_emit_string(b, "service", r->service, -1);
    ptl_rule_emit_ports(b, r);
    ptl_emit_string(b, "port_text", r->port_text, -1);
    ptl_emit_string(b, "transport", ptl_rule_transport_name(r->transport), -1);
    ptl_emit_string(b, "protocol", r->protocol, -1);
    ptl_emit_string(b, "direction", ptl_rule_direction_name(r->direction), -1);
    json_builder_set_member_name(b, "sources");
    json_builder_begin_array(b);
    g_autofree char *sources = rules_sources_text(r);
    g_auto(GStrv) parts = g_strsplit(sources, ",", -1);
    for (char **p = parts; *p != NULL; p++)
        if (**p != '\0')
            json_builder_add_string_value(b, *p);
    json_builder_end_array(b);
    ptl_emit_string(b, "access", r->access == PTL_ACCESS_INTERNAL ? "internal" : "external", -1);
    ptl_emit_string(b, "description", r->description, -1);
    ptl_emit_string(b, "file", r->file, -1);
    ptl_emit_int(b, "line", r->line);
    ptl_emit_string(b, "source", r->seed, -1);
    ptl_emit_bool(b, "enabled", r->is_enabled);
    ptl_emit_bool(b, "dynamic", r->is_dynamic);
    ptl_emit_bool(b, "install_only", r->is_install_only);
    if (r->note != NULL)
        ptl_emit_string(b, "note", r->note, -1);
    json_builder_end_object(b);
}

static void
rules_print(const PtlRuleSet *set, const char *product, gboolean is_json)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    if (!is_json)
        printf("%-13s %-12s %-5s %-10s %-13s %-16s %-8s %s\n", "PRODUCT", "PORT", "PROTO",
               "EXPECTS", "DIRECTION", "SOURCES", "ACCESS", "SERVICE (FILE:LINE)");
    for (guint i = 0; i < ptl_rule_set_count(set); i++) {
        const PtlRule *r = ptl_rule_set_get(set, i);
        if (product != NULL && g_strcmp0(r->product, product) != 0)
            continue;
        if (is_json) {
            rules_emit_json(b, r);
            continue;
        }
        g_autofree char *sources = rules_sources_text(r);
        g_autofree char *ports = r->port_low == r->port_high
                                     ? g_strdup_printf("%u", r->port_low)
                                     : g_strdup_printf("%u-%u", r->port_low, r->port_high);
        printf("%-13s %-12s %-5s %-10s %-13s %-16s %-8s %s (%s:%u)%s\n", r->product, ports,
               ptl_rule_transport_name(r->transport), r->protocol, ptl_rule_direction_name(r->direction),
               sources, r->access == PTL_ACCESS_INTERNAL ? "internal" : "external", r->service,
               r->file, r->line, r->is_enabled ? "" : " [disabled]");
    }
    json_builder_end_array(b);
    if (is_json) {
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        g_autofree char *text = json_to_string(root, TRUE);
        puts(text);
    }
}

static PtlRuleSet *
rules_new_set(char **plugin_dirs)
{
    g_autoptr(PtlPluginSet) plugins = ptl_plugin_set_new();
    ptl_plugin_set_load_default(plugins, plugin_dirs, NULL);
    PtlRuleSet *set = ptl_rule_set_new();
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (guint i = 0; i < ptl_plugin_set_count(plugins); i++)
        g_ptr_array_add(names, g_strdup(ptl_plugin_set_get(plugins, i)->desc->name));
    g_ptr_array_add(names, NULL);
    ptl_rule_set_set_known_protocols(set, (const char *const *) names->pdata);
    for (guint i = 0; i + 1 < names->len; i++)
        g_free(g_ptr_array_index(names, i));
    return set;
}

int
ptl_cli_rules(int argc, char **argv)
{
    g_autofree char *product = NULL;
    g_autofree char *dir = NULL;
    g_auto(GStrv) sets = NULL;
    g_auto(GStrv) plugin_dirs = NULL;
    g_auto(GStrv) rest = NULL;
    gboolean is_json = FALSE;
    const GOptionEntry entries[] = {
        { "product", 'p', 0, G_OPTION_ARG_STRING, &product, "Only this product's rules", "P" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &is_json, "Print JSON", NULL },
        { "rules-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Rules from DIR", "DIR" },
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Set a parameter (wso2-das.offset=1)",
          "P.NAME=VALUE" },
        { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs,
          "Also know the protocols of modules in DIR", "DIR" },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("list|check [FILE...]");
    g_option_context_set_summary(ctx,
        "list: every rule with its file and line.  check: validate rule files.\n\n"
        "Examples:\n"
        "  portolan rules list --product sisense\n"
        "  portolan rules list --json --set wso2-das.offset=1\n"
        "  portolan rules check rules/*.rules my-site.rules");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
        !ptl_cli_check_dirs("--plugin-dir", plugin_dirs, &error)) {
        fprintf(stderr, "portolan rules: %s (try --help)\n", error->message);
        return PTL_EXIT_FAILED;
    }
    const char *verb = rest != NULL ? rest[0] : NULL;
    gboolean is_list = g_strcmp0(verb, "list") == 0, is_check = g_strcmp0(verb, "check") == 0;
    if (!is_list && !is_check) {
        fprintf(stderr, "portolan rules: say 'list' or 'check' (try --help)\n");
        return PTL_EXIT_FAILED;
    }
    if (is_check && product != NULL) {
        fprintf(stderr, "portolan rules: --product is for 'rules list'; 'rules check' checks "
                "whole files\n");
        return PTL_EXIT_FAILED;
    }
    g_autoptr(PtlRuleSet) set = rules_new_set(plugin_dirs);
    if (is_check && rest[1] != NULL) {
        int status = PTL_EXIT_OK;
        for (char **f = rest + 1; *f != NULL; f++) {
            g_autoptr(PtlRuleSet) one = rules_new_set(plugin_dirs);
            if (!ptl_rule_set_load_file(one, *f, &error)) {
                fprintf(stderr, "%s\n", error->message);
                g_clear_error(&error);
                status = PTL_EXIT_FAILED;
            } else {
                printf("%s: %u rules, ok\n", *f, ptl_rule_set_count(one));
            }
        }
        return status;
    }
    g_autofree char *rules_dir = dir != NULL ? g_strdup(dir) : ptl_paths_rules_dir();
    if (!ptl_rule_set_load_dir(set, rules_dir, &error)) {
        fprintf(stderr, "%s\n", error->message);
        return PTL_EXIT_FAILED;
    }
    for (char **s = sets; s != NULL && *s != NULL; s++) {
        if (!ptl_rule_set_set_param(set, *s, &error)) {
            fprintf(stderr, "portolan rules: --set: %s\n", error->message);
            return PTL_EXIT_FAILED;
        }
    }
    if (is_check) {
        printf("%s: %u rules in %u products, ok\n", rules_dir, ptl_rule_set_count(set),
               ptl_rule_set_products(set)->len);
        return PTL_EXIT_OK;
    }
    const char *name = product != NULL ? ptl_rule_set_resolve_product(set, product, &error)
                                       : NULL;
    if (product != NULL && name == NULL) {
        fprintf(stderr, "portolan rules: --product: %s\n", error->message);
        return PTL_EXIT_FAILED;
    }
    if (name != NULL && g_strcmp0(name, product) != 0)
        fprintf(stderr, "portolan: note: --product '%s' taken as '%s'\n", product, name);
    rules_print(set, name, is_json);
    return PTL_EXIT_OK;
}
