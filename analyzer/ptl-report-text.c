/* ptl-report-text.c: the terminal report, readable in ten seconds: capture facts,
 * findings, top ports, failed connections, hosts. */
#include "ptl-report.h"

#include "ptl-connection.h"
#include "ptl-flow-json.h"

#include <string.h>

typedef struct {
    FILE    *out;
    gboolean color;
} ReportText;

static const char *
report_text_sgr(const ReportText *t, const char *code)
{
    return t->color ? code : "";
}

#define RT_BOLD(t)  report_text_sgr(t, "\033[1m")
#define RT_RED(t)   report_text_sgr(t, "\033[31m")
#define RT_RESET(t) report_text_sgr(t, "\033[0m")

const char *
ptl_report_human_bytes(guint64 bytes, char *buf)
{
    static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
    double value = (double) bytes;
    guint unit = 0;
    while (value >= 1000.0 && unit < G_N_ELEMENTS(units) - 1) {
        value /= 1000.0;
        unit++;
    }
    if (unit == 0)
        g_snprintf(buf, 16, "%" G_GUINT64_FORMAT " B", bytes);
    else
        g_snprintf(buf, 16, "%.1f %s", value, units[unit]);
    return buf;
}

static void
report_text_heading(const ReportText *t, const char *title)
{
    fprintf(t->out, "\n%s%s%s\n", RT_BOLD(t), title, RT_RESET(t));
}

static void
report_text_capture(const ReportText *t, const PtlReportInput *in)
{
    const PtlAnalyzerStats *st = ptl_analyzer_stats(in->analyzer);
    char size[16], first[PTL_TS_STRLEN], last[PTL_TS_STRLEN];
    guint n = ptl_capture_n_files(in->capture);
    g_autofree char *source = in->interface != NULL
                                  ? g_strdup_printf("live on %s", in->interface)
                                  : g_strdup_printf("%u file%s", n, n == 1 ? "" : "s");
    fprintf(t->out, "%sportolan%s  %s, %" G_GUINT64_FORMAT " packets, %s", RT_BOLD(t),
            RT_RESET(t), source, st->packets, ptl_report_human_bytes(st->bytes, size));
    if (st->packets > 0)
        fprintf(t->out, ", %s .. %s (%.1f s)", ptl_ts_format(st->first_ts_ns, first),
                ptl_ts_format(st->last_ts_ns, last), (st->last_ts_ns - st->first_ts_ns) / 1e9);
    fputc('\n', t->out);
    for (guint i = 0; i < n; i++) {
        const PtlCaptureFile *f = ptl_capture_file(in->capture, i);
        fprintf(t->out, "  %s  %s, %s, %" G_GUINT64_FORMAT " packets%s\n", f->path, f->format,
                f->linktype_name, f->packets, f->truncated ? ", TRUNCATED" : "");
    }
    const guint64 *skips = ptl_analyzer_skip_counts(in->analyzer);
    GString *line = g_string_new(NULL);
    guint64 total = 0;
    for (int r = PTL_SKIP_NONE + 1; r < PTL_SKIP_COUNT; r++) {
        if (skips[r] == 0)
            continue;
        total += skips[r];
        g_string_append_printf(line, "%s%s %" G_GUINT64_FORMAT, line->len ? ", " : "",
                               ptl_skip_reason_name((PtlSkipReason) r), skips[r]);
    }
    if (total > 0)
        fprintf(t->out, "  skipped %" G_GUINT64_FORMAT " packets: %s\n", total, line->str);
    if (st->snaplen_cut > 0)
        fprintf(t->out, "  %" G_GUINT64_FORMAT " packets cut by the snap length\n",
                st->snaplen_cut);
    guint64 jumps = ptl_analyzer_clock(in->analyzer)->jumps;
    if (jumps > 0)
        fprintf(t->out, "  %" G_GUINT64_FORMAT " clock jump%s: packets stamped more than an hour "
                "from their neighbours, analyzed at their neighbours' time\n", jumps,
                jumps == 1 ? "" : "s");
    g_string_free(line, TRUE);
}

static void
report_text_vantage(const ReportText *t, const PtlReportInput *in)
{
    const PtlFlowsSummary *f = &ptl_analyzer_summary(in->analyzer)->flows;
    g_autofree char *note = ptl_connection_vantage_note(f->states[PTL_FLOW_ONE_SIDED], f->tcp);
    if (note != NULL)
        fprintf(t->out, "  %sNOTE%s  %s.\n", RT_BOLD(t), RT_RESET(t), note);
}

static void
report_text_flows(const ReportText *t, const PtlReportInput *in)
{
    const PtlFlowsSummary *f = &ptl_analyzer_summary(in->analyzer)->flows;
    fprintf(t->out, "  %" G_GUINT64_FORMAT " flows (tcp %" G_GUINT64_FORMAT ", udp %"
            G_GUINT64_FORMAT "):", f->total, f->tcp, f->udp);
    for (int i = 0; i < PTL_FLOW_STATE_COUNT; i++)
        if (f->states[i] > 0)
            fprintf(t->out, " %s %" G_GUINT64_FORMAT, ptl_flow_state_name((PtlFlowState) i),
                    f->states[i]);
    fputc('\n', t->out);
    if (f->retransmissions + f->out_of_order + f->with_gaps + f->dissector_errors > 0)
        fprintf(t->out, "  %" G_GUINT64_FORMAT " retransmissions, %" G_GUINT64_FORMAT
                " out of order, %" G_GUINT64_FORMAT " flows with gaps, %" G_GUINT64_FORMAT
                " dissector errors\n", f->retransmissions, f->out_of_order, f->with_gaps,
                f->dissector_errors);
    if (f->records_dropped > 0)
        fprintf(t->out, "  %" G_GUINT64_FORMAT " dissector records over the cap of %u per flow"
                " not written (of %" G_GUINT64_FORMAT ")\n", f->records_dropped,
                (guint) PTL_APP_MAX_RECORDS, f->records);
    const PtlMemcap *m = ptl_analyzer_memcap(in->analyzer);
    if (m->flows_affected > 0) {
        char cap[32], dropped[16];
        fprintf(t->out, "  memory budget --memcap %s reached: %" G_GUINT64_FORMAT
                " flows affected (%" G_GUINT64_FORMAT " ended early), %s not analyzed\n",
                ptl_memcap_format_size(m->cap, cap), m->flows_affected, m->flows_evicted,
                ptl_report_human_bytes(m->dropped_bytes, dropped));
    }
}

static void
report_text_protocols(GString *out, GHashTable *protocols)
{
    g_autoptr(GList) names = g_list_sort(g_hash_table_get_keys(protocols), (GCompareFunc) strcmp);
    for (GList *l = names; l != NULL; l = l->next)
        g_string_append_printf(out, "%s%s %" G_GSIZE_FORMAT, out->len ? ", " : "",
                               (const char *) l->data,
                               GPOINTER_TO_SIZE(g_hash_table_lookup(protocols, l->data)));
}

static void
report_text_ports(const ReportText *t, const PtlReportInput *in)
{
    g_autoptr(GPtrArray) services = ptl_summary_services_by_flows(ptl_analyzer_summary(in->analyzer));
    if (services->len == 0)
        return;
    report_text_heading(t, "Top ports");
    fprintf(t->out, "  %-11s %7s %10s %7s  %s\n", "PORT", "FLOWS", "BYTES", "CLIENTS",
            "PROTOCOLS SEEN");
    for (guint i = 0; i < services->len && i < PTL_REPORT_TEXT_ROWS; i++) {
        const PtlServiceStats *sv = g_ptr_array_index(services, i);
        char port[16], bytes[16];
        g_snprintf(port, sizeof port, "%s/%u", sv->proto == PTL_TRANSPORT_TCP ? "tcp" : "udp",
                   sv->port);
        g_autoptr(GString) protocols = g_string_new(NULL);
        report_text_protocols(protocols, sv->protocols);
        fprintf(t->out, "  %-11s %7" G_GUINT64_FORMAT " %10s %7u  %s\n", port, sv->flows,
                ptl_report_human_bytes(sv->bytes, bytes), g_hash_table_size(sv->clients),
                protocols->len ? protocols->str : "-");
    }
    if (services->len > PTL_REPORT_TEXT_ROWS)
        fprintf(t->out, "  ... %u more ports (see --json)\n", services->len - PTL_REPORT_TEXT_ROWS);
}

static void
report_text_failed(const ReportText *t, const PtlReportInput *in)
{
    g_autoptr(GPtrArray) failed = ptl_summary_failed_sorted(ptl_analyzer_summary(in->analyzer));
    if (failed->len == 0)
        return;
    report_text_heading(t, "Failed connections");
    for (guint i = 0; i < failed->len && i < PTL_REPORT_TEXT_ROWS; i++) {
        const PtlFailedConn *fc = g_ptr_array_index(failed, i);
        char client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
        fprintf(t->out, "  %s%-10s%s %s -> %s %s/%u  x%" G_GUINT64_FORMAT "\n", RT_RED(t),
                ptl_flow_state_name(fc->state), RT_RESET(t),
                ptl_addr_to_string(&fc->client, client), ptl_addr_to_string(&fc->server, server),
                fc->proto == PTL_TRANSPORT_TCP ? "tcp" : "udp", fc->port, fc->count);
    }
    if (failed->len > PTL_REPORT_TEXT_ROWS)
        fprintf(t->out, "  ... %u more (see --json)\n", failed->len - PTL_REPORT_TEXT_ROWS);
}

static void
report_text_hosts(const ReportText *t, const PtlReportInput *in)
{
    g_autoptr(GPtrArray) hosts = ptl_summary_hosts_by_bytes(ptl_analyzer_summary(in->analyzer));
    if (hosts->len == 0)
        return;
    report_text_heading(t, "Hosts");
    fprintf(t->out, "  %-39s %-9s %10s %10s %7s %7s\n", "ADDRESS", "ROLE", "SENT", "RECEIVED",
            "CLIENT", "SERVER");
    for (guint i = 0; i < hosts->len && i < PTL_REPORT_TEXT_ROWS; i++) {
        const PtlHostStats *h = g_ptr_array_index(hosts, i);
        char ip[PTL_ADDR_STRLEN], sent[16], received[16], role[16] = "-";
        gboolean is_inferred = FALSE;
        guint32 mask = in->verdict ? ptl_verdict_host_role(in->verdict, &h->addr, &is_inferred) : 0;
        const char *name = (mask & PTL_ROLE_NODE) ? "node" : (mask & PTL_ROLE_ADMIN) ? "admin"
                         : (mask & PTL_ROLE_CLIENT) ? "client" : (mask & PTL_ROLE_EXTERNAL)
                         ? "external" : NULL;
        PtlHostKind kind = in->verdict ? ptl_verdict_host_kind(in->verdict, &h->addr)
                                       : ptl_host_kind_of_addr(&h->addr);
        if (kind != PTL_HOST_KIND_HOST)
            g_strlcpy(role, ptl_host_kind_name(kind), sizeof role);   /* no machine */
        else if (name != NULL)
            g_snprintf(role, sizeof role, "%s%s", name, is_inferred ? "?" : "");
        fprintf(t->out, "  %-39s %-9s %10s %10s %7" G_GUINT64_FORMAT " %7" G_GUINT64_FORMAT "\n",
                ptl_addr_to_string(&h->addr, ip), role, ptl_report_human_bytes(h->bytes_sent, sent),
                ptl_report_human_bytes(h->bytes_received, received), h->flows_as_client,
                h->flows_as_server);
    }
    if (hosts->len > PTL_REPORT_TEXT_ROWS)
        fprintf(t->out, "  ... %u more hosts (see --json)\n", hosts->len - PTL_REPORT_TEXT_ROWS);
}

static void
report_text_lines(const ReportText *t, const char *title, const GPtrArray *lines)
{
    if (lines == NULL || lines->len == 0)
        return;
    report_text_heading(t, title);
    for (guint i = 0; i < lines->len; i++)
        fprintf(t->out, "  %s\n", (const char *) g_ptr_array_index(lines, i));
}

void
ptl_report_text(const PtlReportInput *in, FILE *out, gboolean color)
{
    ReportText t = { out, color };
    report_text_capture(&t, in);
    report_text_vantage(&t, in);
    report_text_flows(&t, in);
    report_text_lines(&t, "Errors", in->errors);
    report_text_lines(&t, "Warnings", in->warnings);
    if (in->verdict != NULL)
        ptl_verdict_print(in->verdict, out, color);
    report_text_ports(&t, in);
    report_text_failed(&t, in);
    report_text_hosts(&t, in);
    fflush(out);
}
