/* ptl-analyzer.c: the per-packet pipeline.  Nothing here allocates per packet:
 * flows allocate when they start, the app layer when a flow first carries
 * payload, the stream only for out-of-order segments. */
#include "ptl-analyzer.h"

#include "ptl-app.h"
#include "ptl-flow-json.h"

#define ANALYZER_TCP_SYN 0x02
#define ANALYZER_TCP_FIN 0x01
#define ANALYZER_TCP_ACK 0x10

struct _PtlAnalyzer {
    PtlAnalyzerConfig cfg;
    PtlDecoder       *decoder;
    PtlFlowTable     *flows;
    PtlSummary       *summary;
    PtlAnalyzerStats  stats;
};

/* What a stream callback needs to reach the flow's app layer. */
typedef struct {
    PtlAnalyzer *analyzer;
    PtlFlow     *flow;
    PtlDirection dir;
} AnalyzerStreamTarget;

static gboolean
analyzer_is_service_port(gpointer user_data, guint8 proto, guint16 port)
{
    PtlAnalyzer *a = user_data;
    if (port < 1024)
        return TRUE;
    if (a->cfg.rules != NULL && ptl_rule_set_is_documented(a->cfg.rules, proto, port))
        return TRUE;
    return ptl_plugin_set_for_port(a->cfg.plugins, port, proto == PTL_TRANSPORT_UDP) != NULL;
}

static PtlApp *
analyzer_app(PtlAnalyzer *a, PtlFlow *flow)
{
    if (flow->app != NULL)
        return flow->app;
    const PtlPlugin *forced = NULL;
    if (a->cfg.rules != NULL) {
        const char *name = ptl_rule_set_forced_protocol(a->cfg.rules, flow->proto,
                                                        flow->server_port);
        forced = name != NULL ? ptl_plugin_set_find(a->cfg.plugins, name) : NULL;
    }
    flow->app = ptl_app_new(a->cfg.plugins, (PtlTransport) flow->proto, flow->client_port,
                            flow->server_port, forced);
    return flow->app;
}

static void
analyzer_stream_data(gpointer user_data, const guint8 *data, gsize len)
{
    AnalyzerStreamTarget *t = user_data;
    ptl_app_data(analyzer_app(t->analyzer, t->flow), t->dir, data, len);
}

static void
analyzer_stream_gap(gpointer user_data, guint64 missing)
{
    AnalyzerStreamTarget *t = user_data;
    ptl_app_gap(analyzer_app(t->analyzer, t->flow), t->dir, missing);
}

static PtlStreamSink
analyzer_sink(AnalyzerStreamTarget *target)
{
    PtlStreamSink sink = { analyzer_stream_data, analyzer_stream_gap, target };
    return sink;
}

static void
analyzer_write_flow(PtlAnalyzer *a, PtlFlow *flow, PtlFlowEnd why, const PtlFlowRecord *rec)
{
    if (a->cfg.flow_lines == NULL)
        return;
    g_autofree char *line = ptl_flow_json_line(flow, why, flow->app, a->cfg.plugins);
    fputs(line, a->cfg.flow_lines);
    fputc('\n', a->cfg.flow_lines);
    if (a->cfg.flow_records != NULL)
        fwrite(rec, sizeof *rec, 1, a->cfg.flow_records);
}

static void
analyzer_flow_end(gpointer user_data, PtlFlow *flow, PtlFlowEnd why)
{
    PtlAnalyzer *a = user_data;
    if (flow->proto == PTL_TRANSPORT_TCP) {
        for (int d = 0; d < 2; d++) {
            AnalyzerStreamTarget target = { a, flow, (PtlDirection) d };
            PtlStreamSink sink = analyzer_sink(&target);
            ptl_stream_flush(&flow->stream[d], &sink);
        }
    }
    if (flow->app != NULL)
        ptl_app_finish(flow->app);
    PtlFlowRecord rec;
    ptl_flow_record_fill(&rec, flow, why, flow->app);
    ptl_summary_add_flow(a->summary, flow, why, flow->app);
    if (a->cfg.verdict != NULL)
        ptl_verdict_add(a->cfg.verdict, &rec);
    analyzer_write_flow(a, flow, why, &rec);
    if (a->cfg.on_flow_record != NULL)
        a->cfg.on_flow_record(a->cfg.record_user_data, &rec);
    g_clear_pointer(&flow->app, ptl_app_free);
}

PtlAnalyzer *
ptl_analyzer_new(const PtlAnalyzerConfig *cfg)
{
    PtlAnalyzer *a = g_new0(PtlAnalyzer, 1);
    a->cfg = *cfg;
    a->decoder = ptl_decoder_new(&cfg->decoder);
    PtlFlowConfig flow_cfg = cfg->flow;
    flow_cfg.is_service_port = analyzer_is_service_port;
    flow_cfg.port_user_data = a;
    flow_cfg.on_end = analyzer_flow_end;
    flow_cfg.end_user_data = a;
    a->flows = ptl_flow_table_new(&flow_cfg);
    a->summary = ptl_summary_new();
    return a;
}

void
ptl_analyzer_free(PtlAnalyzer *a)
{
    if (a == NULL)
        return;
    g_clear_pointer(&a->flows, ptl_flow_table_free);
    ptl_decoder_free(a->decoder);
    ptl_summary_free(a->summary);
    g_free(a);
}

static void
analyzer_tcp(PtlAnalyzer *a, PtlFlow *flow, PtlDirection dir, const PtlDecoded *d)
{
    AnalyzerStreamTarget target = { a, flow, dir };
    PtlStreamSink sink = analyzer_sink(&target);
    gboolean is_syn = (d->tcp_flags & ANALYZER_TCP_SYN) != 0;
    gboolean is_fin = (d->tcp_flags & ANALYZER_TCP_FIN) != 0;
    if (is_syn)
        ptl_stream_syn(&flow->stream[dir], d->seq);
    if (d->payload_len > 0 || is_fin)
        ptl_stream_segment(&flow->stream[dir], &a->cfg.stream, d->seq + (is_syn ? 1u : 0u),
                           d->payload, d->payload_len, is_fin, &sink);
    if (d->tcp_flags & ANALYZER_TCP_ACK) {
        AnalyzerStreamTarget other = { a, flow, (PtlDirection) !dir };
        PtlStreamSink other_sink = analyzer_sink(&other);
        ptl_stream_acked(&flow->stream[!dir], d->ack, &other_sink);
    }
}

void
ptl_analyzer_packet(PtlAnalyzer *a, const PtlPacket *pkt)
{
    PtlAnalyzerStats *s = &a->stats;
    s->packets++;
    s->bytes += pkt->wirelen;
    if (s->first_ts_ns == 0 || pkt->ts_ns < s->first_ts_ns)
        s->first_ts_ns = pkt->ts_ns;
    s->last_ts_ns = MAX(s->last_ts_ns, pkt->ts_ns);
    s->snaplen_cut += pkt->caplen < pkt->wirelen;

    PtlDecoded d;
    PtlDecodeResult result = ptl_decode_packet(a->decoder, pkt, &d);
    if (result == PTL_DECODE_HELD) {
        s->fragments_held++;
        return;
    }
    if (result != PTL_DECODE_OK)
        return;
    if (d.is_icmp_error) {
        s->icmp_errors++;
        if (ptl_flow_table_icmp_error(a->flows, &d, pkt->ts_ns) == NULL)
            s->icmp_unmatched++;
        return;
    }
    s->decoded++;
    PtlDirection dir;
    PtlFlow *flow = ptl_flow_table_packet(a->flows, &d, pkt->ts_ns, pkt->wirelen, &dir);
    if (flow == NULL)
        return;
    if (d.tuple.proto == PTL_TRANSPORT_TCP)
        analyzer_tcp(a, flow, dir, &d);
    else if (d.payload_len > 0)
        ptl_app_data(analyzer_app(a, flow), dir, d.payload, d.payload_len);
}

void
ptl_analyzer_expire(PtlAnalyzer *a, gint64 now_ns)
{
    ptl_flow_table_expire(a->flows, now_ns);
}

void
ptl_analyzer_finish(PtlAnalyzer *a)
{
    ptl_decoder_finish(a->decoder);
    ptl_flow_table_flush(a->flows);
}

const PtlAnalyzerStats *
ptl_analyzer_stats(const PtlAnalyzer *a)
{
    return &a->stats;
}

const PtlSummary *
ptl_analyzer_summary(const PtlAnalyzer *a)
{
    return a->summary;
}

const guint64 *
ptl_analyzer_skip_counts(const PtlAnalyzer *a)
{
    return ptl_decoder_skip_counts(a->decoder);
}

guint
ptl_analyzer_flows_now(const PtlAnalyzer *a)
{
    return ptl_flow_table_size(a->flows);
}

guint
ptl_analyzer_flows_peak(const PtlAnalyzer *a)
{
    return ptl_flow_table_peak(a->flows);
}

GArray *
ptl_analyzer_unsupported_linktypes(const PtlAnalyzer *a)
{
    return ptl_decoder_unsupported_linktypes(a->decoder);
}
