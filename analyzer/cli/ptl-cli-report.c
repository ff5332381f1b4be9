/* ptl-cli-report.c: `portolan report [OPTIONS] REPORT.json`: draws a saved JSON
 * report again, as the HTML page (-o), as JSON (--json) or as the terminal's
 * findings, with the same filters as analyze.  The JSON is the single source:
 * `analyze --html` and `report -o` give the same bytes. */
#include "ptl-cli.h"

#include "ptl-report.h"

#include <unistd.h>

static const char report_summary[] =
    "Draws a saved JSON report (analyze --json) again: as one self-contained HTML page\n"
    "(-o), as JSON (--json, e.g. filtered), or, by default, as the terminal's findings\n"
    "summary and service table.\n"
    "\n"
    "Examples:\n"
    "  portolan report report.json -o report.html\n"
    "  portolan report report.json --severity warning --host 10.20.0.11\n"
    "  portolan report report.json --kind source-not-allowed --json sna.json\n"
    "\n"
    "Exit status: 0 written, 2 the report could not be read or an option is wrong.";

typedef struct {
    char    *output, *json_path;
    gboolean no_color;
    PtlReportFilter shown;   /* as typed, then checked */
    char   **positional;
} ReportOptions;

static void
report_options_clear(ReportOptions *o)
{
    g_free(o->output);
    g_free(o->json_path);
    ptl_report_filter_clear(&o->shown);
    g_strfreev(o->positional);
}

/* transfer full; NULL with a one-line error naming the file */
static JsonNode *
report_load(const char *path, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) local = NULL;
    if (!json_parser_load_from_file(parser, path, &local)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", path, local->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *o = root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root)
                                                                  : NULL;
    const char *schema = o != NULL && json_object_has_member(o, "schema")
                         ? json_object_get_string_member_with_default(o, "schema", NULL) : NULL;
    if (g_strcmp0(schema, PTL_REPORT_SCHEMA) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a portolan report "
                    "(schema '%s', expected '%s': write one with analyze --json)", path,
                    schema != NULL ? schema : "none", PTL_REPORT_SCHEMA);
        return NULL;
    }
    return json_node_copy(root);
}

static gboolean
report_parse(ReportOptions *o, int argc, char **argv, GError **error)
{
    const GOptionEntry entries[] = {
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output,
          "Write the HTML page to FILE ('-' for stdout)", "FILE" },
        { "json", 0, 0, G_OPTION_ARG_FILENAME, &o->json_path,
          "Write the (filtered) JSON report to FILE ('-' for stdout)", "FILE" },
        { "no-color", 0, 0, G_OPTION_ARG_NONE, &o->no_color, "No colours in the terminal text",
          NULL },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->positional, NULL,
          "REPORT.json" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("[OPTIONS] REPORT.json");
    g_option_context_set_summary(ctx, report_summary);
    GOptionGroup *group = g_option_group_new("report", "Report options:", "Show report options",
                                             NULL, NULL);
    g_option_group_add_entries(group, entries);
    ptl_cli_filter_add_entries(group, &o->shown);
    g_option_context_set_main_group(ctx, group);
    if (!g_option_context_parse(ctx, &argc, &argv, error))
        return FALSE;
    if (o->positional == NULL || o->positional[0] == NULL || o->positional[1] != NULL) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "takes exactly one JSON report");
        return FALSE;
    }
    if (g_strcmp0(o->output, "-") == 0 && g_strcmp0(o->json_path, "-") == 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "-o - and --json - would both write to standard output");
        return FALSE;
    }
    return ptl_cli_check_output("--output", o->output, error) &&
           ptl_cli_check_output("--json", o->json_path, error);
}

static int
report_run(const ReportOptions *o, const PtlReportFilter *filter)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = report_load(o->positional[0], &error);
    if (root == NULL) {
        fprintf(stderr, "portolan report: error: %s\n", error->message);
        return PTL_EXIT_FAILED;
    }
    ptl_report_filter_apply(filter, json_node_get_object(root));
    int status = PTL_EXIT_OK;
    if (o->output == NULL && o->json_path == NULL) {
        gboolean color = !o->no_color && isatty(STDOUT_FILENO) && g_getenv("NO_COLOR") == NULL;
        ptl_report_text_findings(json_node_get_object(root), stdout, color);
    }
    if (o->output != NULL && !ptl_report_write_html(root, o->output, &error)) {
        fprintf(stderr, "portolan report: error: -o %s: %s\n", o->output, error->message);
        g_clear_error(&error);
        status = PTL_EXIT_FAILED;
    }
    if (o->json_path != NULL && !ptl_report_write_json_node(root, o->json_path, FALSE, &error)) {
        fprintf(stderr, "portolan report: error: %s\n", error->message);
        status = PTL_EXIT_FAILED;
    }
    return status;
}

int
ptl_cli_report(int argc, char **argv)
{
    ReportOptions o = { 0 };
    g_autoptr(GError) error = NULL;
    int status = PTL_EXIT_FAILED;
    if (!report_parse(&o, argc, argv, &error) || !ptl_report_filter_check(&o.shown, &error))
        fprintf(stderr, "portolan report: %s (try --help)\n", error->message);
    else
        status = report_run(&o, &o.shown);
    report_options_clear(&o);
    return status;
}
