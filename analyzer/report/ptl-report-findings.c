/* ptl-report-findings.c: the terminal's findings and per-service table, drawn
 * from the JSON report (the single source of every output).
 *
 * At any size it reads in ten seconds: one summary line per (kind, rule),
 * errors first, with counts and two examples; then the details of each group,
 * capped, with the count of the rest and the filter that lists them.  Every
 * line fits PTL_REPORT_TEXT_WIDTH columns; long messages wrap at spaces. */
#include "ptl-report.h"

#include "ptl-report-groups.h"

#include <string.h>

#define REPORT_FINDINGS_MAX_PRINTED  30   /* detail findings in all */
#define REPORT_FINDINGS_PER_GROUP    3    /* detail findings per group, when several */
#define REPORT_FINDINGS_RULE_COLUMN  34

static const char *
findings_severity_sgr(const PtlReportText *t, const char *severity)
{
    if (g_strcmp0(severity, "error") == 0)
        return ptl_report_text_sgr(t, "\033[31m");
    return g_strcmp0(severity, "warning") == 0 ? ptl_report_text_sgr(t, "\033[33m") : "";
}

static const char *
findings_label(const char *severity)
{
    return g_strcmp0(severity, "error") == 0 ? "ERROR"
         : g_strcmp0(severity, "warning") == 0 ? "WARN" : "INFO";
}

/* text cut to width columns (UTF-8 characters), "..." marking the cut; transfer full */
static char *
findings_fit(const char *text, guint width)
{
    if (text == NULL)
        return g_strdup("-");
    if (g_utf8_strlen(text, -1) <= (glong) width)
        return g_strdup(text);
    g_autofree char *head = g_utf8_substring(text, 0, width > 3 ? width - 3 : 0);
    return g_strconcat(head, "...", NULL);
}

static void
findings_example(GString *text, JsonObject *finding)
{
    g_string_append_printf(text, "%s -> %s %s/%" G_GINT64_FORMAT,
                           ptl_report_json_string(finding, "client"),
                           ptl_report_json_string(finding, "server"),
                           ptl_report_json_string(finding, "transport"),
                           ptl_report_json_int(finding, "port"));
}

static void
findings_print_group_line(const PtlReportText *t, const PtlReportGroup *g)
{
    g_autofree char *name = ptl_report_group_rule_name(g);
    g_autofree char *rule = findings_fit(name, REPORT_FINDINGS_RULE_COLUMN);
    const char *sgr = findings_severity_sgr(t, g->severity);
    fprintf(t->out, "  %s%-5s%s  %-21s  %-*s %7" G_GUINT64_FORMAT " %7u %7u\n", sgr,
            findings_label(g->severity), *sgr ? ptl_report_text_sgr(t, "\033[0m") : "",
            g->kind != NULL ? g->kind : "?", REPORT_FINDINGS_RULE_COLUMN, rule, g->flows,
            g->clients, g->servers);
    g_autoptr(GString) examples = g_string_new("e.g. ");
    for (guint i = 0; i < g->findings->len && i < 2; i++) {
        if (i > 0)
            g_string_append(examples, ", ");
        findings_example(examples, g_ptr_array_index(g->findings, i));
    }
    if (g->findings->len > 2)
        g_string_append(examples, ", ...");
    fprintf(t->out, "         ");
    ptl_report_text_wrap(t->out, examples->str, 9, 14);
}

static void
findings_print_summary(const PtlReportText *t, const GPtrArray *groups)
{
    fprintf(t->out, "  %-5s  %-21s  %-*s %7s %7s %7s\n", "", "KIND", REPORT_FINDINGS_RULE_COLUMN,
            "RULE", "FLOWS", "CLIENTS", "SERVERS");
    for (guint i = 0; i < groups->len; i++)
        findings_print_group_line(t, g_ptr_array_index(groups, i));
}

static void
findings_print_detail(const PtlReportText *t, JsonObject *f)
{
    g_autoptr(GString) head = g_string_new(NULL);
    findings_example(head, f);
    const char *sgr = findings_severity_sgr(t, ptl_report_json_string(f, "severity"));
    fprintf(t->out, "    %s%-5s%s  %s  x%" G_GINT64_FORMAT "\n", sgr,
            findings_label(ptl_report_json_string(f, "severity")),
            *sgr ? ptl_report_text_sgr(t, "\033[0m") : "", head->str, ptl_report_json_int(f, "flows"));
    fprintf(t->out, "      ");
    ptl_report_text_wrap(t->out, ptl_report_json_string(f, "message"), 6, 6);
    fprintf(t->out, "      advice: ");
    ptl_report_text_wrap(t->out, ptl_report_json_string(f, "advice"), 14, 14);
}

/* the options that list a group's findings: what a reader types next */
static char *
findings_group_filter(const PtlReportGroup *g)
{
    const char *service = ptl_report_json_string(g->first, "service");
    const char *product = ptl_report_json_string(g->first, "product");
    if (service == NULL)
        return g_strdup_printf("--kind %s", g->kind);
    return g_strdup_printf("--kind %s --only-product %s --service %s", g->kind, product, service);
}

static void
findings_print_details(const PtlReportText *t, const GPtrArray *groups, guint64 total)
{
    guint per_group = groups->len > 1 ? REPORT_FINDINGS_PER_GROUP : REPORT_FINDINGS_MAX_PRINTED;
    guint64 printed = 0;
    for (guint i = 0; i < groups->len && printed < REPORT_FINDINGS_MAX_PRINTED; i++) {
        const PtlReportGroup *g = g_ptr_array_index(groups, i);
        g_autofree char *name = ptl_report_group_rule_name(g);
        const char *sgr = findings_severity_sgr(t, g->severity);
        fprintf(t->out, "  %s%s%s %s, %s: %u finding%s\n", sgr, findings_label(g->severity),
                *sgr ? ptl_report_text_sgr(t, "\033[0m") : "", g->kind, name, g->findings->len,
                g->findings->len == 1 ? "" : "s");
        guint shown = 0;
        for (; shown < g->findings->len && shown < per_group &&
               printed < REPORT_FINDINGS_MAX_PRINTED; shown++, printed++)
            findings_print_detail(t, g_ptr_array_index(g->findings, shown));
        if (shown < g->findings->len) {
            g_autofree char *filter = findings_group_filter(g);
            g_autofree char *rest = g_strdup_printf("... %u more like this (%s lists them)",
                                                    g->findings->len - shown, filter);
            fputs("    ", t->out);
            ptl_report_text_wrap(t->out, rest, 4, 8);
        }
    }
    if (printed < total && printed >= REPORT_FINDINGS_MAX_PRINTED) {
        g_autofree char *rest = g_strdup_printf("... %" G_GUINT64_FORMAT " findings not detailed "
                                                "here: filter with --kind, --severity, --service "
                                                "or --host, or see --json or --html",
                                                total - printed);
        fputs("  ", t->out);
        ptl_report_text_wrap(t->out, rest, 2, 6);
    }
}

static void
findings_print_scores(GString *out, JsonArray *products)
{
    for (guint i = 0; products != NULL && i < json_array_get_length(products); i++) {
        JsonObject *p = json_array_get_object_element(products, i);
        gboolean is_forced = json_object_get_boolean_member_with_default(p, "forced", FALSE);
        gboolean is_declared = json_object_get_boolean_member_with_default(p, "declared", FALSE);
        gboolean is_selected = json_object_get_boolean_member_with_default(p, "selected", FALSE);
        g_string_append_printf(out, "%s%s %.2f%s", i > 0 ? ", " : "",
                               ptl_report_json_string(p, "name"),
                json_object_get_double_member_with_default(p, "score", 0), is_forced
                ? " (forced)" : is_declared ? " (declared)" : is_selected ? " (recognised)" : "");
    }
}

static void
findings_print_products(FILE *out, JsonObject *report)
{
    JsonArray *products = json_object_has_member(report, "products")
                          ? json_object_get_array_member(report, "products") : NULL;
    g_autoptr(GString) scores = g_string_new(NULL);
    findings_print_scores(scores, products);
    if (g_strcmp0(ptl_report_json_string(report, "product_selection"), "none") != 0) {
        fputs("  Products: ", out);
        ptl_report_text_wrap(out, scores->str, 12, 12);
        return;
    }
    fputs("  No product recognised.  Scores (share of answered flows on documented ports):\n    ",
          out);
    ptl_report_text_wrap(out, scores->str, 4, 4);
    fputs("  A product is recognised by its own structure: several of its services, one on a "
          "port only it\n  documents, served by hosts that talk to each other on its node-to-node "
          "ports; generic ports\n  (80, 443, 445, 2181 ...) are no evidence.  To judge the traffic "
          "against a product's rules, name\n  it: --product NAME, or a 'product NAME' line in an "
          "--inventory file.\n", out);
}

static void
findings_print_filter(FILE *out, JsonObject *report, guint total)
{
    if (!json_object_has_member(report, "filter"))
        return;
    JsonObject *filter = json_object_get_object_member(report, "filter");
    fprintf(out, "  Filtered: %u of %" G_GINT64_FORMAT " findings shown\n", total,
            ptl_report_json_int(filter, "findings_before"));
}

static void
findings_print_findings(const PtlReportText *t, JsonObject *report)
{
    JsonObject *summary = json_object_get_object_member(report, "findings_summary");
    gint64 errors = ptl_report_json_int(summary, "error");
    gint64 warnings = ptl_report_json_int(summary, "warning");
    JsonArray *findings = json_object_get_array_member(report, "findings");
    g_autoptr(GPtrArray) groups = ptl_report_groups_new(findings);
    guint total = json_array_get_length(findings);
    fprintf(t->out, "\n%sFindings%s  %" G_GINT64_FORMAT " error%s, %" G_GINT64_FORMAT
            " warning%s, %" G_GINT64_FORMAT " info", ptl_report_text_sgr(t, "\033[1m"),
            ptl_report_text_sgr(t, "\033[0m"), errors, errors == 1 ? "" : "s", warnings,
            warnings == 1 ? "" : "s", ptl_report_json_int(summary, "info"));
    if (total > 0)
        fprintf(t->out, " in %u group%s", groups->len, groups->len == 1 ? "" : "s");
    fputc('\n', t->out);
    findings_print_filter(t->out, report, total);
    findings_print_products(t->out, report);
    if (groups->len > 0) {
        findings_print_summary(t, groups);
        fputc('\n', t->out);
        findings_print_details(t, groups, total);
    }
    gint64 not_judged = ptl_report_json_int(report, "flows_not_judged");
    if (not_judged > 0)
        fprintf(t->out, "  %" G_GINT64_FORMAT " flows not judged (conversation table full)\n",
                not_judged);
}

/* "http:390,none:2" */
static char *
findings_observed_text(JsonObject *service)
{
    JsonObject *observed = json_object_has_member(service, "observed")
                           ? json_object_get_object_member(service, "observed") : NULL;
    GString *text = g_string_new(NULL);
    g_autoptr(GList) names = observed != NULL ? json_object_get_members(observed) : NULL;
    for (GList *l = names; l != NULL; l = l->next)
        g_string_append_printf(text, "%s%s:%" G_GINT64_FORMAT, text->len > 0 ? "," : "",
                               (const char *) l->data,
                               json_object_get_int_member(observed, l->data));
    return g_string_free(text, FALSE);
}

typedef struct {
    guint product, service, port, expected;
} FindingsWidths;

/* Widest values per column, so that OBSERVED keeps 12 of the 100 columns; a
 * longer value is cut with "..." (the JSON and HTML have it whole). */
static const FindingsWidths findings_widths_max = { 12, 30, 11, 9 };

static guint
findings_width(guint current, const char *value, guint max)
{
    guint len = value != NULL ? (guint) g_utf8_strlen(value, -1) : 1;
    return MAX(current, MIN(len, max));
}

static void
findings_print_services(const PtlReportText *t, JsonObject *report)
{
    JsonArray *services = json_object_has_member(report, "services")
                          ? json_object_get_array_member(report, "services") : NULL;
    guint n = services != NULL ? json_array_get_length(services) : 0;
    if (n == 0)
        return;
    FindingsWidths w = { strlen("PRODUCT"), strlen("SERVICE"), strlen("PORT"),
                         strlen("EXPECTED") };
    for (guint i = 0; i < n; i++) {
        JsonObject *s = json_array_get_object_element(services, i);
        w.product = findings_width(w.product, ptl_report_json_string(s, "product"),
                                   findings_widths_max.product);
        w.service = findings_width(w.service, ptl_report_json_string(s, "service"),
                                   findings_widths_max.service);
        w.port = findings_width(w.port, ptl_report_json_string(s, "port"),
                                   findings_widths_max.port);
        w.expected = findings_width(w.expected, ptl_report_json_string(s, "expected"),
                                   findings_widths_max.expected);
    }
    fprintf(t->out, "\n%sServices%s\n", ptl_report_text_sgr(t, "\033[1m"), ptl_report_text_sgr(t, "\033[0m"));
    fprintf(t->out, "  %-*s %-*s %-*s %-*s %7s %10s  %s\n", w.product, "PRODUCT", w.service,
            "SERVICE", w.port, "PORT", w.expected, "EXPECTED", "FLOWS", "BYTES", "OBSERVED");
    guint observed_column = 2 + w.product + 1 + w.service + 1 + w.port + 1 + w.expected + 1 +
                            7 + 1 + 10 + 2;
    for (guint i = 0; i < n; i++) {
        JsonObject *s = json_array_get_object_element(services, i);
        g_autofree char *product = findings_fit(ptl_report_json_string(s, "product"), w.product);
        g_autofree char *service = findings_fit(ptl_report_json_string(s, "service"), w.service);
        g_autofree char *port = findings_fit(ptl_report_json_string(s, "port"), w.port);
        g_autofree char *expected = findings_fit(ptl_report_json_string(s, "expected"),
                                                 w.expected);
        g_autofree char *observed = findings_observed_text(s);
        gboolean is_install = json_object_get_boolean_member_with_default(s, "install_only",
                                                                          FALSE);
        g_autofree char *last = g_strdup_printf("%s%s", observed,
                                                is_install ? " (install only)" : "");
        char bytes[16];
        fprintf(t->out, "  %-*s %-*s %-*s %-*s %7" G_GINT64_FORMAT " %10s  ", w.product, product,
                w.service, service, w.port, port, w.expected, expected,
                ptl_report_json_int(s, "flows"),
                ptl_report_human_bytes((guint64) ptl_report_json_int(s, "bytes"), bytes));
        /* the observed list wraps at its commas, under its own column */
        g_strdelimit(last, ",", ' ');
        ptl_report_text_wrap(t->out, last, observed_column, observed_column);
    }
}

void
ptl_report_text_findings(JsonObject *report, FILE *out, gboolean color)
{
    g_return_if_fail(report != NULL && out != NULL);
    if (!json_object_has_member(report, "findings"))
        return;
    PtlReportText t = { out, color };
    findings_print_findings(&t, report);
    findings_print_services(&t, report);
}
