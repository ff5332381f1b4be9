/* ptl-report-json.c: the report as one JSON document. */
#include "ptl-report.h"

#include "ptl-connection.h"

#include "ptl-config.h"
#include "ptl-flow-json.h"
#include "ptl-json.h"

#include <errno.h>
#include <string.h>

static void
report_ts(JsonBuilder *b, const char *key, gint64 ts_ns)
{
    char buf[PTL_TS_STRLEN];
    json_builder_set_member_name(b, key);
    if (ts_ns == 0)
        json_builder_add_null_value(b);
    else
        json_builder_add_string_value(b, ptl_ts_format(ts_ns, buf));
}

static void
report_strings(JsonBuilder *b, const char *key, const GPtrArray *lines)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (guint i = 0; lines != NULL && i < lines->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(lines, i));
    json_builder_end_array(b);
}

static void
report_file(JsonBuilder *b, const PtlCaptureFile *f, const PtlAnalyzer *analyzer, guint index)
{
    /* after clock jumps, the timeline's times: a jump moves neither */
    gint64 first_ts_ns = f->first_ts_ns, last_ts_ns = f->last_ts_ns;
    if (ptl_analyzer_clock(analyzer)->jumps == 0
        || !ptl_analyzer_file_times(analyzer, index, &first_ts_ns, &last_ts_ns)) {
        first_ts_ns = f->first_ts_ns;
        last_ts_ns = f->last_ts_ns;
    }
    json_builder_begin_object(b);
    ptl_emit_string(b, "path", f->path, -1);
    ptl_emit_string(b, "format", f->format, -1);
    ptl_emit_string(b, "linktype", f->linktype_name, -1);
    ptl_emit_int(b, "size", (gint64) f->size);
    ptl_emit_int(b, "packets", (gint64) f->packets);
    ptl_emit_int(b, "bytes", (gint64) f->bytes);
    ptl_emit_int(b, "filtered_out", (gint64) f->filtered_out);
    ptl_emit_int(b, "empty_records", (gint64) f->empty_records);
    report_ts(b, "first_ts", first_ts_ns);
    report_ts(b, "last_ts", last_ts_ns);
    ptl_emit_bool(b, "truncated", f->truncated);
    if (f->truncation != NULL)
        ptl_emit_string(b, "truncation", f->truncation, -1);
    json_builder_end_object(b);
}

static void
report_skipped(JsonBuilder *b, const PtlReportInput *in)
{
    const guint64 *counts = ptl_analyzer_skip_counts(in->analyzer);
    guint64 total = 0;
    json_builder_set_member_name(b, "skipped");
    json_builder_begin_object(b);
    for (int r = PTL_SKIP_NONE + 1; r < PTL_SKIP_COUNT; r++) {
        ptl_emit_int(b, ptl_skip_reason_name((PtlSkipReason) r), (gint64) counts[r]);
        total += counts[r];
    }
    json_builder_end_object(b);
    ptl_emit_int(b, "skipped_total", (gint64) total);
    GArray *linktypes = ptl_analyzer_unsupported_linktypes(in->analyzer);
    json_builder_set_member_name(b, "unsupported_linktypes");
    json_builder_begin_array(b);
    for (guint i = 0; linktypes != NULL && i < linktypes->len; i++)
        json_builder_add_string_value(b,
            ptl_capture_linktype_name(g_array_index(linktypes, int, i)));
    json_builder_end_array(b);
}

static void
report_capture(JsonBuilder *b, const PtlReportInput *in)
{
    const PtlAnalyzerStats *st = ptl_analyzer_stats(in->analyzer);
    gboolean is_truncated = FALSE;
    json_builder_set_member_name(b, "capture");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "files");
    json_builder_begin_array(b);
    for (guint i = 0; i < ptl_capture_n_files(in->capture); i++) {
        const PtlCaptureFile *f = ptl_capture_file(in->capture, i);
        report_file(b, f, in->analyzer, i);
        is_truncated |= f->truncated;
    }
    json_builder_end_array(b);
    ptl_json_string_or_null(b, "interface", in->interface);
    ptl_json_string_or_null(b, "filter", in->filter);
    ptl_emit_int(b, "packets", (gint64) st->packets);
    ptl_emit_int(b, "bytes", (gint64) st->bytes);
    report_ts(b, "first_ts", st->first_ts_ns);
    report_ts(b, "last_ts", st->last_ts_ns);
    json_builder_set_member_name(b, "duration_s");
    json_builder_add_double_value(b, (st->last_ts_ns - st->first_ts_ns) / 1e9);
    ptl_emit_bool(b, "truncated", is_truncated);
    ptl_emit_int(b, "snaplen_cut", (gint64) st->snaplen_cut);
    ptl_emit_int(b, "clock_jumps", (gint64) ptl_analyzer_clock(in->analyzer)->jumps);
    report_skipped(b, in);
    ptl_emit_int(b, "icmp_errors", (gint64) st->icmp_errors);
    ptl_emit_int(b, "icmp_unmatched", (gint64) st->icmp_unmatched);
    report_strings(b, "errors", in->errors);
    report_strings(b, "warnings", in->warnings);
    json_builder_end_object(b);
}

static const char *
report_role_name(guint32 role)
{
    if (role & PTL_ROLE_NODE)
        return "node";
    if (role & PTL_ROLE_ADMIN)
        return "admin";
    if (role & PTL_ROLE_CLIENT)
        return "client";
    if (role & PTL_ROLE_EXTERNAL)
        return "external";
    return NULL;
}

static void
report_hosts(JsonBuilder *b, const PtlReportInput *in)
{
    const PtlSummary *s = ptl_analyzer_summary(in->analyzer);
    g_autoptr(GPtrArray) hosts = ptl_summary_hosts_by_bytes(s);
    json_builder_set_member_name(b, "hosts");
    json_builder_begin_array(b);
    for (guint i = 0; i < hosts->len; i++) {
        const PtlHostStats *h = g_ptr_array_index(hosts, i);
        char ip[PTL_ADDR_STRLEN];
        gboolean is_inferred = FALSE;
        guint32 role = in->verdict ? ptl_verdict_host_role(in->verdict, &h->addr, &is_inferred) : 0;
        json_builder_begin_object(b);
        ptl_emit_string(b, "ip", ptl_addr_to_string(&h->addr, ip), -1);
        ptl_json_string_or_null(b, "role", report_role_name(role));
        ptl_emit_bool(b, "inferred", is_inferred);
        ptl_emit_string(b, "kind", ptl_host_kind_name(in->verdict
                                   ? ptl_verdict_host_kind(in->verdict, &h->addr)
                                   : ptl_host_kind_of_addr(&h->addr)), -1);
        ptl_emit_int(b, "packets_sent", (gint64) h->packets_sent);
        ptl_emit_int(b, "packets_received", (gint64) h->packets_received);
        ptl_emit_int(b, "bytes_sent", (gint64) h->bytes_sent);
        ptl_emit_int(b, "bytes_received", (gint64) h->bytes_received);
        ptl_emit_int(b, "flows_as_client", (gint64) h->flows_as_client);
        ptl_emit_int(b, "flows_as_server", (gint64) h->flows_as_server);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    ptl_emit_int(b, "hosts_dropped", (gint64) s->hosts_dropped);
}

static void
report_name_counts(JsonBuilder *b, const char *key, GHashTable *table)
{
    g_autoptr(GList) names = g_list_sort(g_hash_table_get_keys(table), (GCompareFunc) strcmp);
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    for (GList *l = names; l != NULL; l = l->next)
        ptl_emit_int(b, l->data, (gint64) GPOINTER_TO_SIZE(g_hash_table_lookup(table, l->data)));
    json_builder_end_object(b);
}

static void
report_states(JsonBuilder *b, const guint64 *states)
{
    json_builder_set_member_name(b, "states");
    json_builder_begin_object(b);
    for (int i = 0; i < PTL_FLOW_STATE_COUNT; i++)
        if (states[i] > 0)
            ptl_emit_int(b, ptl_flow_state_name((PtlFlowState) i), (gint64) states[i]);
    json_builder_end_object(b);
}

static void
report_ports(JsonBuilder *b, const PtlReportInput *in, const PtlSummary *s)
{
    g_autoptr(GPtrArray) services = ptl_summary_services_by_flows(s);
    json_builder_set_member_name(b, "ports");
    json_builder_begin_array(b);
    for (guint i = 0; i < services->len && i < PTL_REPORT_TOP_PORTS; i++) {
        const PtlServiceStats *sv = g_ptr_array_index(services, i);
        const PtlPlugin *candidate = ptl_plugin_set_for_port(in->plugins, sv->port,
                                                             sv->proto == PTL_TRANSPORT_UDP);
        json_builder_begin_object(b);
        ptl_emit_string(b, "transport", sv->proto == PTL_TRANSPORT_TCP ? "tcp" : "udp", -1);
        ptl_emit_int(b, "port", sv->port);
        ptl_emit_int(b, "flows", (gint64) sv->flows);
        ptl_emit_int(b, "packets", (gint64) sv->packets);
        ptl_emit_int(b, "bytes", (gint64) sv->bytes);
        ptl_emit_int(b, "payload_bytes", (gint64) sv->payload_bytes);
        ptl_emit_int(b, "clients", (gint64) (g_hash_table_size(sv->clients) + sv->clients_dropped));
        ptl_emit_int(b, "servers", (gint64) (g_hash_table_size(sv->servers) + sv->servers_dropped));
        report_name_counts(b, "protocols", sv->protocols);
        report_states(b, sv->states);
        ptl_json_string_or_null(b, "port_candidate",
                                candidate != NULL ? candidate->desc->name : NULL);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    ptl_emit_int(b, "ports_not_listed",
                 (gint64) (services->len > PTL_REPORT_TOP_PORTS ? services->len - PTL_REPORT_TOP_PORTS
                                                                : 0) + (gint64) s->services_dropped);
}

static void
report_failed(JsonBuilder *b, const PtlSummary *s)
{
    g_autoptr(GPtrArray) failed = ptl_summary_failed_sorted(s);
    json_builder_set_member_name(b, "failed_connections");
    json_builder_begin_array(b);
    for (guint i = 0; i < failed->len; i++) {
        const PtlFailedConn *fc = g_ptr_array_index(failed, i);
        char client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
        json_builder_begin_object(b);
        ptl_emit_string(b, "client", ptl_addr_to_string(&fc->client, client), -1);
        ptl_emit_string(b, "server", ptl_addr_to_string(&fc->server, server), -1);
        ptl_emit_string(b, "transport", fc->proto == PTL_TRANSPORT_TCP ? "tcp" : "udp", -1);
        ptl_emit_int(b, "port", fc->port);
        ptl_emit_string(b, "state", ptl_flow_state_name(fc->state), -1);
        ptl_emit_int(b, "flows", (gint64) fc->count);
        report_ts(b, "first_ts", fc->first_ts_ns);
        report_ts(b, "last_ts", fc->last_ts_ns);
        if (fc->icmp_type != 0) {
            ptl_emit_int(b, "icmp_type", fc->icmp_type);
            ptl_emit_int(b, "icmp_code", fc->icmp_code);
        }
        json_builder_set_member_name(b, "example_flows");
        json_builder_begin_array(b);
        for (guint64 e = 0; e < MIN(fc->count, (guint64) PTL_SUMMARY_EXAMPLES); e++)
            json_builder_add_int_value(b, (gint64) fc->examples[e]);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    ptl_emit_int(b, "failed_dropped", (gint64) s->failed_dropped);
}

static void
report_flows_summary(JsonBuilder *b, const PtlReportInput *in)
{
    const PtlSummary *s = ptl_analyzer_summary(in->analyzer);
    const PtlFlowsSummary *f = &s->flows;
    json_builder_set_member_name(b, "flows_summary");
    json_builder_begin_object(b);
    ptl_emit_int(b, "total", (gint64) f->total);
    ptl_emit_int(b, "tcp", (gint64) f->tcp);
    ptl_emit_int(b, "udp", (gint64) f->udp);
    report_states(b, f->states);
    report_name_counts(b, "protocols", f->protocols);
    ptl_emit_int(b, "initiator_inferred", (gint64) f->inferred_initiator);
    ptl_emit_int(b, "with_gaps", (gint64) f->with_gaps);
    ptl_emit_int(b, "gap_bytes", (gint64) f->gap_bytes);
    ptl_emit_int(b, "truncated", (gint64) f->truncated);
    ptl_emit_int(b, "dissector_errors", (gint64) f->dissector_errors);
    ptl_emit_int(b, "records", (gint64) f->records);
    ptl_emit_int(b, "records_dropped", (gint64) f->records_dropped);
    ptl_emit_int(b, "retransmissions", (gint64) f->retransmissions);
    ptl_emit_int(b, "out_of_order", (gint64) f->out_of_order);
    ptl_emit_int(b, "ended_idle", (gint64) f->ended_idle);
    ptl_emit_int(b, "ended_evicted", (gint64) f->ended_evicted);
    ptl_emit_int(b, "ended_reused", (gint64) f->ended_reused);
    ptl_emit_int(b, "peak_concurrent", ptl_analyzer_flows_peak(in->analyzer));
    const PtlMemcap *m = ptl_analyzer_memcap(in->analyzer);
    ptl_emit_int(b, "memcap_bytes", (gint64) m->cap);
    ptl_emit_int(b, "memory_peak_bytes", (gint64) m->peak);
    ptl_emit_int(b, "memcap_dropped_bytes", (gint64) MIN(m->dropped_bytes, (guint64) G_MAXINT64));
    ptl_emit_int(b, "memcap_flows_affected", (gint64) m->flows_affected);
    ptl_emit_int(b, "memcap_flows_evicted", (gint64) m->flows_evicted);
    report_ports(b, in, s);
    report_failed(b, s);
    json_builder_end_object(b);
}

/* once per report: how much of the conversations the capture point sees */
static void
report_vantage(JsonBuilder *b, const PtlReportInput *in)
{
    const PtlFlowsSummary *f = &ptl_analyzer_summary(in->analyzer)->flows;
    guint64 one_sided = f->states[PTL_FLOW_ONE_SIDED];
    g_autofree char *note = ptl_connection_vantage_note(one_sided, f->tcp);
    json_builder_set_member_name(b, "vantage");
    json_builder_begin_object(b);
    ptl_emit_int(b, "one_sided_flows", (gint64) one_sided);
    ptl_emit_int(b, "tcp_flows", (gint64) f->tcp);
    json_builder_set_member_name(b, "note");
    if (note != NULL)
        json_builder_add_string_value(b, note);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
}

JsonNode *
ptl_report_json(const PtlReportInput *in)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ptl_emit_string(b, "schema", PTL_REPORT_SCHEMA, -1);
    json_builder_set_member_name(b, "generator");
    json_builder_begin_object(b);
    ptl_emit_string(b, "name", "portolan", -1);
    ptl_emit_string(b, "version", PTL_VERSION, -1);
    json_builder_end_object(b);
    report_capture(b, in);
    report_vantage(b, in);
    report_hosts(b, in);
    report_flows_summary(b, in);
    if (in->verdict != NULL)
        ptl_verdict_emit_json(in->verdict, b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

gboolean
ptl_report_write_json(const PtlReportInput *in, const char *path, GError **error)
{
    g_autoptr(JsonNode) root = ptl_report_json(in);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    gsize len = 0;
    g_autofree char *text = json_generator_to_data(gen, &len);
    if (g_strcmp0(path, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fputc('\n', stdout) == EOF ||
            fflush(stdout) != 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "stdout: %s", g_strerror(errno));
            return FALSE;
        }
        return TRUE;
    }
    g_autofree char *with_newline = g_strconcat(text, "\n", NULL);
    if (!g_file_set_contents(path, with_newline, -1, error)) {
        g_prefix_error(error, "--json: ");
        return FALSE;
    }
    return TRUE;
}
