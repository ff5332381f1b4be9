/* ptl-cli-session.c: what analyze and live share: loading plugins, rules and the
 * inventory from the options, and writing the reports at the end. */
#include "ptl-cli.h"

#include "ptl-flow-json.h"
#include "ptl-paths.h"
#include "ptl-records.h"
#include "ptl-report.h"
#include "ptl-time.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

GOptionGroup *
ptl_cli_analysis_group(PtlCliOptions *o)
{
    const GOptionEntry entries[] = {
        { "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->files,
          "Read packets from FILE (pcap, pcapng, gzip'd); repeatable", "FILE" },
        { "filter", 'f', 0, G_OPTION_ARG_STRING, &o->filter,
          "Only packets matching the BPF expression", "BPF" },
        { "json", 0, 0, G_OPTION_ARG_FILENAME, &o->json_path,
          "Write the whole report as JSON to FILE ('-' for stdout, not with --flows -)",
          "FILE" },
        { "flows", 0, 0, G_OPTION_ARG_FILENAME, &o->flows_path,
          "Write one JSON line per flow to FILE ('-' for stdout, not with --json -)", "FILE" },
        { "records", 0, 0, G_OPTION_ARG_FILENAME, &o->records_path,
          "Write one JSON line per dissector record (a request with its reply, a command) "
          "to FILE ('-' for stdout, alone there)", "FILE" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No terminal report", NULL },
        { "no-color", 0, 0, G_OPTION_ARG_NONE, &o->no_color, "No colours in the terminal report",
          NULL },
        { "progress", 0, 0, G_OPTION_ARG_NONE, &o->progress,
          "Show a progress line on stderr (default when stderr is a terminal)", NULL },
        { "no-progress", 0, 0, G_OPTION_ARG_NONE, &o->no_progress, "No progress line", NULL },
        { "fail-on", 0, 0, G_OPTION_ARG_STRING, &o->fail_on,
          "Exit 1 when a finding is at least this severe: error (default), warning, info, never",
          "SEVERITY" },
        { "product", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &o->products,
          "Check against this product's rules (repeatable); default: recognised from the traffic",
          "PRODUCT" },
        { "inventory", 'I', 0, G_OPTION_ARG_FILENAME, &o->inventory,
          "Hosts, roles, product and parameters from FILE", "FILE" },
        { "nodes", 0, 0, G_OPTION_ARG_STRING, &o->nodes,
          "The product's nodes: addresses, CIDRs, ranges, comma-separated", "LIST" },
        { "admins", 0, 0, G_OPTION_ARG_STRING, &o->admins, "Admin hosts", "LIST" },
        { "clients", 0, 0, G_OPTION_ARG_STRING, &o->clients, "Client hosts", "LIST" },
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->sets,
          "Set a rule parameter, e.g. wso2-das.offset=1 (repeatable)", "PRODUCT.NAME=VALUE" },
        { "site", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->sites,
          "A site overlay of extra allowed flows and exceptions (repeatable)", "FILE" },
        { "rules-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->rules_dir,
          "Read the product rules from DIR instead of the installed ones", "DIR" },
        { "no-rules", 0, 0, G_OPTION_ARG_NONE, &o->no_rules,
          "Flows and protocols only, no product rules (so none of --product, --inventory, "
          "--nodes, --admins, --clients, --set, --site, --rules-dir)", NULL },
        { "no-dissectors", 0, 0, G_OPTION_ARG_NONE, &o->no_dissectors,
          "Flows only: load no dissector module (fastest; protocols stay unknown; "
          "not with --plugin-dir)", NULL },
        { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->plugin_dirs,
          "Also load dissector modules from DIR (repeatable)", "DIR" },
        { "tcp-timeout", 0, 0, G_OPTION_ARG_STRING, &o->tcp_timeout_text,
          "End TCP flows idle this long, 1..604800 (default 3600)", "SECONDS" },
        { "udp-timeout", 0, 0, G_OPTION_ARG_STRING, &o->udp_timeout_text,
          "End UDP flows idle this long, 1..604800 (default 120)", "SECONDS" },
        { "max-flows", 0, 0, G_OPTION_ARG_STRING, &o->max_flows_text,
          "Most flows tracked at once, 1..100000000; the least recently active are ended "
          "(default 1000000)", "N" },
        { "memcap", 0, 0, G_OPTION_ARG_STRING, &o->memcap,
          "Memory budget for flows and their buffers (K, M, G suffixes; default 1G); when it "
          "is reached the least recently active flows are ended early", "SIZE" },
        { NULL },
    };
    GOptionGroup *group = g_option_group_new("analysis", "Analysis options:",
                                             "Show analysis options", NULL, NULL);
    g_option_group_add_entries(group, entries);
    return group;
}

void
ptl_cli_options_clear(PtlCliOptions *o)
{
    g_strfreev(o->files);
    g_free(o->filter);
    g_free(o->json_path);
    g_free(o->flows_path);
    g_free(o->records_path);
    g_free(o->fail_on);
    g_free(o->memcap);
    g_strfreev(o->plugin_dirs);
    g_free(o->rules_dir);
    g_strfreev(o->sites);
    g_free(o->inventory);
    g_free(o->nodes);
    g_free(o->admins);
    g_free(o->clients);
    g_strfreev(o->products);
    g_strfreev(o->sets);
    g_free(o->tcp_timeout_text);
    g_free(o->udp_timeout_text);
    g_free(o->max_flows_text);
}

static void
cli_line(GPtrArray *list, const char *kind, const char *fmt, va_list args)
{
    char *line = g_strdup_vprintf(fmt, args);
    fprintf(stderr, "portolan: %s: %s\n", kind, line);
    g_ptr_array_add(list, line);
}

void
ptl_cli_warn(PtlCliSession *session, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    cli_line(session->warnings, "warning", fmt, args);
    va_end(args);
}

void
ptl_cli_fail(PtlCliSession *session, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    cli_line(session->errors, "error", fmt, args);
    va_end(args);
}

/* Said on stderr only: it changes nothing of the analysis. */
static void G_GNUC_PRINTF(1, 2)
cli_note(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    g_autofree char *line = g_strdup_vprintf(fmt, args);
    va_end(args);
    fprintf(stderr, "portolan: note: %s\n", line);
}

/* --product names as the rules spell them ("Sisense" -> "sisense"), or an error. */
static gboolean
cli_resolve_products(PtlCliSession *s, GError **error)
{
    for (char **p = s->opts->products; p != NULL && *p != NULL; p++) {
        const char *name = ptl_rule_set_resolve_product(s->rules, *p, error);
        if (name == NULL) {
            g_prefix_error(error, "--product: ");
            return FALSE;
        }
        if (g_strcmp0(name, *p) != 0) {
            cli_note("--product '%s' taken as '%s'", *p, name);
            g_free(*p);
            *p = g_strdup(name);
        }
    }
    return TRUE;
}

static gboolean
cli_load_rules(PtlCliSession *s, GError **error)
{
    PtlCliOptions *o = s->opts;
    if (o->no_rules)
        return TRUE;
    g_autofree char *dir = o->rules_dir ? g_strdup(o->rules_dir) : ptl_paths_rules_dir();
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        if (o->rules_dir != NULL) {
            g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO, "%s: no such rules directory",
                        dir);
            return FALSE;
        }
        const char *flag = ptl_cli_rule_option_given(o);
        if (flag != NULL) {
            g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO,
                        "%s: no rules installed, and %s only matters to them (give "
                        "--rules-dir DIR)", dir, flag);
            return FALSE;
        }
        ptl_cli_warn(s, "%s: no rules installed; reporting flows and protocols only", dir);
        return TRUE;
    }
    s->rules = ptl_rule_set_new();
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (guint i = 0; i < ptl_plugin_set_count(s->plugins); i++)
        g_ptr_array_add(names, (gpointer) ptl_plugin_set_get(s->plugins, i)->desc->name);
    g_ptr_array_add(names, NULL);
    ptl_rule_set_set_known_protocols(s->rules, (const char *const *) names->pdata);
    if (!ptl_rule_set_load_dir(s->rules, dir, error))
        return FALSE;
    for (char **site = o->sites; site != NULL && *site != NULL; site++)
        if (!ptl_rule_set_load_site(s->rules, *site, error))
            return FALSE;
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    gboolean is_ok = ptl_inventory_apply(s->inventory, s->rules, notes, error);
    for (guint i = 0; i < notes->len; i++)
        cli_note("%s", (const char *) g_ptr_array_index(notes, i));
    if (!is_ok)
        return FALSE;
    for (char **set = o->sets; set != NULL && *set != NULL; set++) {
        if (!ptl_rule_set_set_param(s->rules, *set, error)) {
            g_prefix_error(error, "--set ");
            return FALSE;
        }
    }
    return cli_resolve_products(s, error);
}

static gboolean
cli_load_inventory(PtlCliSession *s, GError **error)
{
    PtlCliOptions *o = s->opts;
    s->inventory = ptl_inventory_new();
    if (o->inventory != NULL && !ptl_inventory_load_file(s->inventory, o->inventory, error))
        return FALSE;
    const struct { const char *list; PtlRole role; const char *flag; } lists[] = {
        { o->nodes, PTL_ROLE_NODE, "--nodes" },
        { o->admins, PTL_ROLE_ADMIN, "--admins" },
        { o->clients, PTL_ROLE_CLIENT, "--clients" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(lists); i++) {
        if (lists[i].list != NULL &&
            !ptl_inventory_add_hosts(s->inventory, lists[i].role, lists[i].list, error)) {
            g_prefix_error(error, "%s: ", lists[i].flag);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
cli_parse_fail_on(PtlCliSession *s, GError **error)
{
    const char *text = s->opts->fail_on != NULL ? s->opts->fail_on : "error";
    if (g_strcmp0(text, "never") == 0) {
        s->is_fail_never = TRUE;
        return TRUE;
    }
    if (!ptl_severity_parse(text, &s->fail_on)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--fail-on: '%s' is not error, warning, info or never", text);
        return FALSE;
    }
    return TRUE;
}

/* Records stream out as they complete: a live run's file grows while it runs. */
static gboolean
cli_open_records(PtlCliSession *s, GError **error)
{
    const char *path = s->opts->records_path;
    if (path == NULL)
        return TRUE;
    s->records = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (s->records == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "--records: %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

void
ptl_cli_session_record(PtlCliSession *s, JsonNode *record)
{
    if (s->records == NULL || s->has_records_error)
        return;
    if (!ptl_records_write_line(s->records, record)) {
        s->has_records_error = TRUE;
        ptl_cli_fail(s, "--records %s: write failed: %s", s->opts->records_path,
                     g_strerror(errno));
    }
}

static void
cli_on_record(gpointer user_data, JsonNode *record)
{
    ptl_cli_session_record(user_data, record);
}

static gboolean
cli_open_flow_files(PtlCliSession *s, GError **error)
{
    if (!cli_open_records(s, error))
        return FALSE;
    if (s->opts->flows_path == NULL)
        return TRUE;
    s->flow_lines = tmpfile();
    s->flow_records = tmpfile();
    if (s->flow_lines == NULL || s->flow_records == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "--flows: temporary file: %s",
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

gboolean
ptl_cli_session_init(PtlCliSession *s, PtlCliOptions *opts, GError **error)
{
    s->opts = opts;
    s->errors = g_ptr_array_new_with_free_func(g_free);
    s->warnings = g_ptr_array_new_with_free_func(g_free);
    if (!cli_parse_fail_on(s, error))
        return FALSE;
    s->plugins = ptl_plugin_set_new();
    if (!opts->no_dissectors) {
        g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func(g_free);
        ptl_plugin_set_load_default(s->plugins, opts->plugin_dirs, refused);
        for (guint i = 0; i < refused->len; i++)
            ptl_cli_warn(s, "plugin refused: %s", (const char *) g_ptr_array_index(refused, i));
        if (ptl_plugin_set_count(s->plugins) == 0)
            ptl_cli_warn(s, "no dissector modules found: protocols will be 'unknown'");
    }
    if (!cli_load_inventory(s, error) || !cli_load_rules(s, error))
        return FALSE;
    if (s->rules != NULL)
        s->verdict = ptl_verdict_new(s->rules, s->inventory, opts->products);
    if (s->verdict != NULL && opts->json_path != NULL) {
        s->record_examples = ptl_record_examples_new();
        ptl_verdict_set_record_examples(s->verdict, s->record_examples);
    }
    return cli_open_flow_files(s, error);
}

void
ptl_cli_session_clear(PtlCliSession *s)
{
    g_clear_pointer(&s->verdict, ptl_verdict_free);
    g_clear_pointer(&s->record_examples, ptl_record_examples_free);
    g_clear_pointer(&s->rules, ptl_rule_set_free);
    g_clear_pointer(&s->inventory, ptl_inventory_free);
    g_clear_pointer(&s->plugins, ptl_plugin_set_free);
    g_clear_pointer(&s->errors, g_ptr_array_unref);
    g_clear_pointer(&s->warnings, g_ptr_array_unref);
    g_clear_pointer(&s->flow_lines, fclose);
    g_clear_pointer(&s->flow_records, fclose);
    if (s->records != NULL && s->records != stdout)
        fclose(s->records);
    s->records = NULL;
}

PtlAnalyzerConfig
ptl_cli_session_analyzer_config(PtlCliSession *s)
{
    PtlAnalyzerConfig cfg = { 0 };
    PtlCliOptions *o = s->opts;
    /* checked by ptl_cli_parse_analysis_numbers(): no overflow, 0 is the default */
    cfg.flow.tcp_idle_ns = o->tcp_timeout * G_GINT64_CONSTANT(1000000000);
    cfg.flow.udp_idle_ns = o->udp_timeout * G_GINT64_CONSTANT(1000000000);
    cfg.flow.max_flows = (guint) o->max_flows;
    cfg.memcap = o->memcap_bytes;
    cfg.plugins = s->plugins;
    cfg.rules = s->rules;
    cfg.verdict = s->verdict;
    cfg.flow_lines = s->flow_lines;
    cfg.flow_records = s->flow_records;
    cfg.record_examples = s->record_examples;
    if (s->records != NULL) {
        cfg.on_record = cli_on_record;
        cfg.on_record_data = s;
    }
    return cfg;
}

static gboolean
cli_write_flows(PtlCliSession *s, GError **error)
{
    const char *path = s->opts->flows_path;
    gboolean is_stdout = g_strcmp0(path, "-") == 0;
    FILE *out = is_stdout ? stdout : fopen(path, "w");
    if (out == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "--flows: %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    gboolean is_ok = ptl_flow_lines_finish(s->flow_lines, s->flow_records, s->verdict, out, error);
    if (!is_stdout && fclose(out) != 0 && is_ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "--flows: %s: %s", path,
                    g_strerror(errno));
        is_ok = FALSE;
    }
    return is_ok;
}

static gboolean
cli_use_color(const PtlCliOptions *o)
{
    return !o->no_color && isatty(STDOUT_FILENO) && g_getenv("NO_COLOR") == NULL;
}

/* Once, for the first clock jump, and once if the memory budget cut anything. */
static void
cli_note_input(PtlCliSession *s, const PtlCapture *capture, const PtlAnalyzer *analyzer)
{
    const PtlClock *clock = ptl_analyzer_clock(analyzer);
    if (clock->jumps > 0) {
        const PtlClockStamp *jump = &clock->first_jump;
        const char *where = s->interface != NULL ? s->interface : "input";
        if (capture != NULL && jump->file_index < ptl_capture_n_files(capture))
            where = ptl_capture_file(capture, jump->file_index)->path;
        char ts[PTL_TS_STRLEN];
        ptl_cli_warn(s, "%s: packet %" G_GUINT64_FORMAT ": stamped %s, more than an hour from "
                     "its neighbours: analyzed at their time (%" G_GUINT64_FORMAT
                     " such packet%s in all)", where, jump->number, ptl_ts_format(jump->ts_ns, ts),
                     clock->jumps, clock->jumps == 1 ? "" : "s");
    }
    const PtlMemcap *m = ptl_analyzer_memcap(analyzer);
    if (m->flows_affected > 0) {
        char cap[32];
        ptl_cli_warn(s, "memory budget (--memcap %s) reached: %" G_GUINT64_FORMAT " flows ended "
                     "early, %" G_GUINT64_FORMAT " flows affected, %" G_GUINT64_FORMAT
                     " bytes not analyzed; raise --memcap for a complete analysis",
                     ptl_memcap_format_size(m->cap, cap), m->flows_evicted, m->flows_affected,
                     m->dropped_bytes);
    }
}

int
ptl_cli_session_report(PtlCliSession *s, const PtlCapture *capture, PtlAnalyzer *analyzer,
                       double elapsed_s)
{
    cli_note_input(s, capture, analyzer);
    if (s->verdict != NULL)
        ptl_verdict_finish(s->verdict);
    int status = s->errors->len > 0 ? PTL_EXIT_FAILED : PTL_EXIT_OK;
    g_autoptr(GError) error = NULL;
    if (s->flow_lines != NULL && !cli_write_flows(s, &error)) {
        ptl_cli_fail(s, "%s", error->message);
        g_clear_error(&error);
        status = PTL_EXIT_FAILED;
    }
    PtlReportInput in = {
        .capture = capture, .analyzer = analyzer, .verdict = s->verdict, .plugins = s->plugins,
        .filter = s->opts->filter, .interface = s->interface, .errors = s->errors, .warnings = s->warnings,
        .elapsed_s = elapsed_s,
    };
    gboolean is_json_stdout = g_strcmp0(s->opts->json_path, "-") == 0;
    gboolean is_flows_stdout = g_strcmp0(s->opts->flows_path, "-") == 0;
    gboolean is_records_stdout = g_strcmp0(s->opts->records_path, "-") == 0;
    if (s->records != NULL && fflush(s->records) != 0 && !s->has_records_error) {
        ptl_cli_fail(s, "--records %s: write failed: %s", s->opts->records_path,
                     g_strerror(errno));
        status = PTL_EXIT_FAILED;
    }
    if (!s->opts->quiet && !is_json_stdout && !is_flows_stdout && !is_records_stdout)
        ptl_report_text(&in, stdout, cli_use_color(s->opts));
    if (s->opts->json_path != NULL && !ptl_report_write_json(&in, s->opts->json_path, &error)) {
        fprintf(stderr, "portolan: error: %s\n", error->message);
        status = PTL_EXIT_FAILED;
    }
    if (status == PTL_EXIT_OK && s->verdict != NULL && !s->is_fail_never &&
        ptl_verdict_count_findings(s->verdict, s->fail_on) > 0)
        status = PTL_EXIT_FINDINGS;
    return status;
}
