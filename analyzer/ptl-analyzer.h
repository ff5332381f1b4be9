/* ptl-analyzer.h: the per-packet pipeline: decode -> flow -> reassembly -> dissectors,
 * and what happens when a flow ends: summary, rule engine, flow record. */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "ptl-capture.h"
#include "ptl-clock.h"
#include "ptl-decode.h"
#include "ptl-flow.h"
#include "ptl-plugins.h"
#include "ptl-record-examples.h"
#include "ptl-rules.h"
#include "ptl-summary.h"
#include "ptl-verdict.h"

/* Called for each ended flow, after the rule engine has seen it (live mode's events). */
typedef void (*PtlFlowRecordFunc)(gpointer user_data, const PtlFlowRecord *rec);
/* A dissector record, with its "kind", "ts" and "flow_id"; transfer none. */
typedef void (*PtlDissectorRecordFunc)(gpointer user_data, JsonNode *record);

typedef struct {
    PtlDecoderConfig    decoder;
    PtlFlowConfig       flow;      /* timeouts and size; callbacks are the analyzer's */
    PtlStreamConfig     stream;    /* its memcap is the analyzer's */
    guint64             memcap;    /* memory budget in bytes; 0: PTL_MEMCAP_DEFAULT */
    const PtlPluginSet *plugins;   /* transfer none */
    const PtlRuleSet   *rules;     /* transfer none; may be NULL */
    PtlVerdict         *verdict;   /* transfer none; may be NULL */
    FILE               *flow_lines;/* flow JSON lines as flows end, or NULL */
    FILE               *flow_records; /* PtlFlowRecord per line, for the verdict pass */
    PtlFlowRecordFunc   on_flow_record;  /* may be NULL */
    /* An open flow as it is when a fact the rules judge (a protocol confirmed, a
     * clear-text login, an upgrade to TLS) is first raised on it: live findings do
     * not wait for the flow to end.  May be NULL (analyze: the report judges ends). */
    PtlFlowRecordFunc   on_flow_fact;
    gpointer            record_user_data;  /* for on_flow_record and on_flow_fact */
    PtlDissectorRecordFunc on_record;   /* may be NULL */
    gpointer            on_record_data;
    /* A few records of the flows the verdict keeps as examples, for the report; may be
     * NULL.  With neither this nor on_record, modules build no records. */
    PtlRecordExamples  *record_examples;
} PtlAnalyzerConfig;

typedef struct {
    guint64 packets, bytes;
    gint64  first_ts_ns, last_ts_ns;
    guint64 snaplen_cut;       /* caplen < wirelen */
    guint64 decoded;           /* became a flow packet */
    guint64 fragments_held;    /* waited for reassembly */
    guint64 icmp_errors, icmp_unmatched;
} PtlAnalyzerStats;

typedef struct _PtlAnalyzer PtlAnalyzer;

PtlAnalyzer *ptl_analyzer_new(const PtlAnalyzerConfig *cfg);
void         ptl_analyzer_free(PtlAnalyzer *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlAnalyzer, ptl_analyzer_free)

void ptl_analyzer_packet(PtlAnalyzer *a, const PtlPacket *pkt);
/* Ends idle flows at capture time now_ns (live mode calls it on a timer). */
void ptl_analyzer_expire(PtlAnalyzer *a, gint64 now_ns);
/* End of input: every flow ends, held fragments count as dropped. */
void ptl_analyzer_finish(PtlAnalyzer *a);

const PtlAnalyzerStats *ptl_analyzer_stats(const PtlAnalyzer *a);
/* transfer none: the timeline and its clock jumps; the memory budget */
const PtlClock         *ptl_analyzer_clock(const PtlAnalyzer *a);
const PtlMemcap        *ptl_analyzer_memcap(const PtlAnalyzer *a);
/* A file's first and last time on the timeline (clock jumps count at their
 * neighbours' time); FALSE when no packet of it was analyzed. */
gboolean                ptl_analyzer_file_times(const PtlAnalyzer *a, guint file_index,
                                                gint64 *first_ts_ns, gint64 *last_ts_ns);
const PtlSummary       *ptl_analyzer_summary(const PtlAnalyzer *a);
const guint64          *ptl_analyzer_skip_counts(const PtlAnalyzer *a);
guint                   ptl_analyzer_flows_now(const PtlAnalyzer *a);
guint                   ptl_analyzer_flows_peak(const PtlAnalyzer *a);
/* DLTs seen that no decoder reads; transfer none */
GArray                 *ptl_analyzer_unsupported_linktypes(const PtlAnalyzer *a);
