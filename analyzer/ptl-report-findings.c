/* ptl-report-findings.c: the terminal's findings and per-service table. */
#include "ptl-report.h"

#include "ptl-finding-text.h"
#include "ptl-products.h"

#define REPORT_FINDINGS_MAX_PRINTED 30

static const char *
findings_sgr(gboolean color, const char *code)
{
    return color ? code : "";
}

static void
findings_print_scores(const GPtrArray *products, FILE *out)
{
    for (guint i = 0; i < products->len; i++) {
        const PtlProduct *product = g_ptr_array_index(products, i);
        fprintf(out, "%s %s %.2f%s", i > 0 ? "," : "", product->name, product->score,
                product->is_forced ? " (forced)" : product->is_declared ? " (declared)"
                : product->is_selected ? " (recognised)" : "");
    }
}

static void
findings_print_products(const PtlVerdict *v, FILE *out)
{
    const GPtrArray *products = ptl_products_list(ptl_verdict_products(v));
    if (ptl_products_origin(ptl_verdict_products(v)) != PTL_PRODUCTS_NONE) {
        fputs("  Products:", out);
        findings_print_scores(products, out);
        fputc('\n', out);
        return;
    }
    fputs("  No product recognised.  Scores (share of answered flows on documented ports):\n   ",
          out);
    findings_print_scores(products, out);
    fputs("\n  A product is recognised by its own structure: several of its services, one on a "
          "port only it\n  documents, served by hosts that talk to each other on its node-to-node "
          "ports; generic ports\n  (80, 443, 445, 2181 ...) are no evidence.  To judge the traffic "
          "against a product's rules, name\n  it: --product NAME, or a 'product NAME' line in an "
          "--inventory file.\n", out);
}

static void
findings_print_finding(const PtlVerdict *v, FILE *out, gboolean color, const PtlFinding *f)
{
    static const char *const labels[] = { "INFO", "WARN", "ERROR" };
    const char *sgr = f->severity == PTL_SEVERITY_ERROR ? "\033[31m"
                    : f->severity == PTL_SEVERITY_WARNING ? "\033[33m" : "";
    PtlFindingNames n;
    ptl_finding_names(f, &n);
    g_autofree char *message = ptl_finding_message(v, f);
    g_autofree char *advice = ptl_finding_advice(f);
    fprintf(out, "  %s%-5s%s  %s  %s -> %s %s  x%" G_GUINT64_FORMAT "  %s %s\n",
            findings_sgr(color, sgr), labels[f->severity], findings_sgr(color && *sgr, "\033[0m"),
            ptl_finding_kind_name(f->kind), n.client, n.server, n.where, f->flows,
            f->rule != NULL ? f->rule->product : "-", f->rule != NULL ? f->rule->service : "-");
    fprintf(out, "         %s\n         advice: %s\n", message, advice);
}

static void
findings_print_findings(const PtlVerdict *v, FILE *out, gboolean color)
{
    guint64 errors = ptl_verdict_count_findings(v, PTL_SEVERITY_ERROR);
    guint64 warnings = ptl_verdict_count_findings(v, PTL_SEVERITY_WARNING) - errors;
    const GPtrArray *findings = ptl_verdict_findings(v);
    guint64 infos = findings->len - errors - warnings;
    fprintf(out, "\n%sFindings%s  %" G_GUINT64_FORMAT " error%s, %" G_GUINT64_FORMAT
            " warning%s, %" G_GUINT64_FORMAT " info\n", findings_sgr(color, "\033[1m"),
            findings_sgr(color, "\033[0m"), errors, errors == 1 ? "" : "s", warnings,
            warnings == 1 ? "" : "s", infos);
    findings_print_products(v, out);
    for (guint i = 0; i < findings->len && i < REPORT_FINDINGS_MAX_PRINTED; i++)
        findings_print_finding(v, out, color, g_ptr_array_index(findings, i));
    if (findings->len > REPORT_FINDINGS_MAX_PRINTED)
        fprintf(out, "  ... %u more (see --json)\n",
                findings->len - REPORT_FINDINGS_MAX_PRINTED);
    guint64 not_judged = ptl_verdict_flows_not_judged(v);
    if (not_judged > 0)
        fprintf(out, "  %" G_GUINT64_FORMAT " flows not judged (conversation table full)\n",
                not_judged);
}

static void
findings_print_services(const PtlVerdict *v, FILE *out, gboolean color)
{
    g_autoptr(GPtrArray) services = ptl_verdict_services(v);
    if (services->len == 0)
        return;
    fprintf(out, "\n%sServices%s\n", findings_sgr(color, "\033[1m"), findings_sgr(color, "\033[0m"));
    fprintf(out, "  %-14s %-32s %-12s %-9s %-24s %8s %12s\n", "PRODUCT", "SERVICE", "PORT",
            "EXPECTED", "OBSERVED", "FLOWS", "BYTES");
    for (guint i = 0; i < services->len; i++) {
        const PtlService *s = g_ptr_array_index(services, i);
        g_autoptr(GString) observed = g_string_new(NULL);
        for (guint p = 0; p < s->observed->len; p++) {
            const PtlProtoCount *count = &g_array_index(s->observed, PtlProtoCount, p);
            g_string_append_printf(observed, "%s%s:%" G_GUINT64_FORMAT, p > 0 ? "," : "",
                                   count->name != NULL ? count->name : "none", count->flows);
        }
        fprintf(out, "  %-14s %-32s %-12s %-9s %-24s %8" G_GUINT64_FORMAT " %12"
                G_GUINT64_FORMAT "%s\n", s->rule->product, s->rule->service, s->rule->port_text,
                s->rule->protocol, observed->str, s->flows, s->bytes,
                s->rule->is_install_only ? "  (install only)" : "");
    }
}

void
ptl_report_text_findings(const PtlVerdict *v, FILE *out, gboolean color)
{
    g_return_if_fail(v != NULL && out != NULL);
    findings_print_findings(v, out, color);
    findings_print_services(v, out, color);
}
