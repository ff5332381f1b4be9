/* ptl-analyzer.c: the per-packet pipeline.  Nothing here allocates per packet:
 * flows allocate when they start, their streams and app layer when they first
 * carry payload, the stream only for out-of-order segments.  All of it is
 * charged to one memory budget; when it is full the least recently active flow
 * is ended early to make room. */
#include "ptl-analyzer.h"

#include "ptl-app.h"
#include "ptl-flow-json.h"

#include <string.h>

#define ANALYZER_TCP_SYN 0x02
#define ANALYZER_TCP_FIN 0x01
#define ANALYZER_TCP_ACK 0x10

struct _PtlAnalyzer {
    PtlAnalyzerConfig cfg;
    PtlDecoder       *decoder;
    PtlFlowTable     *flows;
    PtlSummary       *summary;
    PtlAnalyzerStats  stats;
    PtlClock          clock;
    PtlMemcap         memcap;
    /* a packet off the timeline, held (copied) until the next one tells whether
     * it is a clock jump or the capture moved on */
    gboolean          has_held;
    PtlPacket         held;
    guint8           *held_data;
    gsize             held_size;
    GArray           *file_times;   /* AnalyzerFileTimes by file index */
    PtlAppHooks       app_hooks;    /* records and facts as raised, for every flow */
    gint64            packet_ts_ns; /* the packet being handled: what its bytes are stamped */
};

typedef struct {
    gboolean has_time;
    gint64   first_ts_ns, last_ts_ns;
} AnalyzerFileTimes;

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
    ptl_app_set_memcap(flow->app, &a->memcap);
    ptl_app_set_hooks(flow->app, &a->app_hooks, flow, flow->id);
    return flow->app;
}

/* The app of a flow whose bytes of the current packet are about to be given. */
static PtlApp *
analyzer_app_now(PtlAnalyzer *a, PtlFlow *flow)
{
    PtlApp *app = analyzer_app(a, flow);
    ptl_app_set_time(app, a->packet_ts_ns);
    return app;
}

static void
analyzer_on_record(gpointer user_data, gpointer flow, JsonNode *record)
{
    PtlAnalyzer *a = user_data;
    if (a->cfg.record_examples != NULL)
        ptl_record_examples_offer(a->cfg.record_examples, ((PtlFlow *) flow)->id, record);
    if (a->cfg.on_record != NULL)
        a->cfg.on_record(a->cfg.on_record_data, record);
}

/* Only the facts a finding rests on; the others wait for the flow's end. */
static void
analyzer_on_fact(gpointer user_data, gpointer flow_data, PtlFact fact)
{
    PtlAnalyzer *a = user_data;
    PtlFlow *flow = flow_data;
    if (fact != PTL_FACT_CONFIRMED && fact != PTL_FACT_CLEARTEXT_AUTH &&
        fact != PTL_FACT_UPGRADE_TLS)
        return;
    PtlFlowRecord rec;
    ptl_flow_record_fill(&rec, flow, PTL_FLOW_END_CAPTURE, flow->app);
    a->cfg.on_flow_fact(a->cfg.record_user_data, &rec);
}

static void
analyzer_stream_data(gpointer user_data, const guint8 *data, gsize len)
{
    AnalyzerStreamTarget *t = user_data;
    ptl_app_data(analyzer_app_now(t->analyzer, t->flow), t->dir, data, len);
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

static gboolean
analyzer_is_memcap_hit(const PtlFlow *flow)
{
    if (flow->is_memcap_evicted || (flow->app != NULL && ptl_app_is_memcap_hit(flow->app)))
        return TRUE;
    return flow->stream != NULL && (flow->stream[0].is_memcap_hit || flow->stream[1].is_memcap_hit);
}

/* The budget is full: end the least recently active flow (not the one whose
 * packet is being handled), counting what it held as given up. */
static gboolean
analyzer_reclaim(gpointer user_data)
{
    PtlAnalyzer *a = user_data;
    PtlFlow *oldest = ptl_flow_table_oldest(a->flows);
    if (oldest == NULL)
        return FALSE;
    gsize held = oldest->app != NULL ? ptl_app_held_bytes(oldest->app) : 0;
    for (int d = 0; oldest->stream != NULL && d < 2; d++)
        held += oldest->stream[d].ooo_bytes;
    ptl_memcap_dropped(&a->memcap, held);
    a->memcap.flows_evicted++;
    oldest->is_memcap_evicted = TRUE;
    ptl_flow_table_end_early(a->flows, oldest);
    return TRUE;
}

static void
analyzer_flow_end(gpointer user_data, PtlFlow *flow, PtlFlowEnd why)
{
    PtlAnalyzer *a = user_data;
    if (flow->stream != NULL) {
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
    gboolean is_example = a->cfg.verdict != NULL && ptl_verdict_add(a->cfg.verdict, &rec);
    if (a->cfg.record_examples != NULL && !is_example)
        ptl_record_examples_forget(a->cfg.record_examples, flow->id);
    analyzer_write_flow(a, flow, why, &rec);
    if (a->cfg.on_flow_record != NULL)
        a->cfg.on_flow_record(a->cfg.record_user_data, &rec);
    if (analyzer_is_memcap_hit(flow))
        a->memcap.flows_affected++;
    g_clear_pointer(&flow->app, ptl_app_free);
}

PtlAnalyzer *
ptl_analyzer_new(const PtlAnalyzerConfig *cfg)
{
    PtlAnalyzer *a = g_new0(PtlAnalyzer, 1);
    a->cfg = *cfg;
    ptl_clock_init(&a->clock);
    ptl_memcap_init(&a->memcap, cfg->memcap);
    a->memcap.reclaim = analyzer_reclaim;
    a->memcap.reclaim_data = a;
    a->cfg.stream.memcap = &a->memcap;
    a->decoder = ptl_decoder_new(&cfg->decoder);
    PtlFlowConfig flow_cfg = cfg->flow;
    flow_cfg.memcap = &a->memcap;
    flow_cfg.is_service_port = analyzer_is_service_port;
    flow_cfg.port_user_data = a;
    flow_cfg.on_end = analyzer_flow_end;
    flow_cfg.end_user_data = a;
    a->flows = ptl_flow_table_new(&flow_cfg);
    a->summary = ptl_summary_new();
    a->file_times = g_array_new(FALSE, TRUE, sizeof(AnalyzerFileTimes));
    a->app_hooks = (PtlAppHooks) {
        .record = cfg->on_record != NULL || cfg->record_examples != NULL ? analyzer_on_record
                                                                         : NULL,
        .fact = cfg->on_flow_fact != NULL ? analyzer_on_fact : NULL,
        .user_data = a,
    };
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
    g_free(a->held_data);
    g_array_unref(a->file_times);
    g_free(a);
}

static gsize
analyzer_stream_held(const PtlFlow *flow)
{
    return ptl_stream_held_bytes(&flow->stream[0]) + ptl_stream_held_bytes(&flow->stream[1]);
}

/* Streams exist from the SYN/ACK, data or FIN on: a SYN alone (a flood, a scan)
 * needs none, its ISN is in the flow. */
static void
analyzer_tcp(PtlAnalyzer *a, PtlFlow *flow, PtlDirection dir, const PtlDecoded *d)
{
    gboolean is_syn = (d->tcp_flags & ANALYZER_TCP_SYN) != 0;
    gboolean is_fin = (d->tcp_flags & ANALYZER_TCP_FIN) != 0;
    if (flow->stream == NULL) {
        gboolean is_synack = is_syn && dir == PTL_DIR_TO_CLIENT;
        if (!is_synack && d->payload_len == 0 && !is_fin)
            return;
        ptl_flow_table_streams(a->flows, flow);
        if (flow->has_syn)
            ptl_stream_syn(&flow->stream[PTL_DIR_TO_SERVER], flow->client_isn);
    }
    gsize held_before = analyzer_stream_held(flow);
    AnalyzerStreamTarget target = { a, flow, dir };
    PtlStreamSink sink = analyzer_sink(&target);
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
    ptl_memcap_adjust(&a->memcap, held_before, analyzer_stream_held(flow));
}

/* One packet through the pipeline, at capture time pkt->ts_ns. */
static void
analyzer_process(PtlAnalyzer *a, const PtlPacket *pkt)
{
    PtlAnalyzerStats *s = &a->stats;
    s->packets++;
    s->bytes += pkt->wirelen;
    s->snaplen_cut += pkt->caplen < pkt->wirelen;
    if (s->packets == 1 || pkt->ts_ns < s->first_ts_ns)
        s->first_ts_ns = pkt->ts_ns;
    s->last_ts_ns = s->packets == 1 ? pkt->ts_ns : MAX(s->last_ts_ns, pkt->ts_ns);
    if (pkt->file_index >= a->file_times->len)    /* once per input file */
        g_array_set_size(a->file_times, pkt->file_index + 1);
    AnalyzerFileTimes *ft = &g_array_index(a->file_times, AnalyzerFileTimes, pkt->file_index);
    ft->first_ts_ns = ft->has_time ? MIN(ft->first_ts_ns, pkt->ts_ns) : pkt->ts_ns;
    ft->last_ts_ns = ft->has_time ? MAX(ft->last_ts_ns, pkt->ts_ns) : pkt->ts_ns;
    a->packet_ts_ns = pkt->ts_ns;
    ft->has_time = TRUE;

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
        ptl_app_data(analyzer_app_now(a, flow), dir, d.payload, d.payload_len);
}

/* The held packet, now that the next stamp (if any) is known. */
static void
analyzer_release_held(PtlAnalyzer *a, gboolean has_next, gint64 next_ts_ns)
{
    if (!a->has_held)
        return;
    a->has_held = FALSE;
    PtlClockStamp stamp = { a->held.file_index, a->held.number, a->held.ts_ns };
    gboolean was_first_odd;
    if (ptl_clock_resolve(&a->clock, &stamp, has_next, next_ts_ns, &was_first_odd)) {
        if (was_first_odd) {  /* the capture starts here, not at the first odd stamp */
            a->stats.first_ts_ns = a->stats.last_ts_ns = a->held.ts_ns;
            for (guint i = 0; i < a->file_times->len; i++)
                g_array_index(a->file_times, AnalyzerFileTimes, i).has_time = FALSE;
        }
        ptl_clock_accept(&a->clock, &a->held);
    } else {
        a->held.ts_ns = a->clock.now_ns;
    }
    analyzer_process(a, &a->held);
}

void
ptl_analyzer_packet(PtlAnalyzer *a, const PtlPacket *pkt)
{
    analyzer_release_held(a, TRUE, pkt->ts_ns);
    if (ptl_clock_is_off(&a->clock, pkt->ts_ns)) {
        if (a->held_size < pkt->caplen) {        /* rare: clock jumps only */
            a->held_size = MAX(pkt->caplen, 2048u);
            a->held_data = g_realloc(a->held_data, a->held_size);
        }
        if (pkt->caplen > 0)
            memcpy(a->held_data, pkt->data, pkt->caplen);
        a->held = *pkt;
        a->held.data = a->held_data;
        a->has_held = TRUE;
        return;
    }
    ptl_clock_accept(&a->clock, pkt);
    analyzer_process(a, pkt);
}

void
ptl_analyzer_expire(PtlAnalyzer *a, gint64 now_ns)
{
    ptl_flow_table_expire(a->flows, now_ns);
}

void
ptl_analyzer_finish(PtlAnalyzer *a)
{
    analyzer_release_held(a, FALSE, 0);
    ptl_decoder_finish(a->decoder);
    ptl_flow_table_flush(a->flows);
}

const PtlClock *
ptl_analyzer_clock(const PtlAnalyzer *a)
{
    return &a->clock;
}

const PtlMemcap *
ptl_analyzer_memcap(const PtlAnalyzer *a)
{
    return &a->memcap;
}

gboolean
ptl_analyzer_file_times(const PtlAnalyzer *a, guint file_index, gint64 *first_ts_ns,
                        gint64 *last_ts_ns)
{
    if (file_index >= a->file_times->len)
        return FALSE;
    const AnalyzerFileTimes *ft = &g_array_index(a->file_times, AnalyzerFileTimes, file_index);
    *first_ts_ns = ft->first_ts_ns;
    *last_ts_ns = ft->last_ts_ns;
    return ft->has_time;
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
