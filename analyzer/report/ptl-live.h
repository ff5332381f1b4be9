/* ptl-live.h: capturing from an interface: the packet source (ptl-source.h),
 * -Z and the interface watch, the signal flags and the read loop (each in its
 * own module, included here), and the findings seen while running, each
 * (kind, client, server, port) reported once. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "ptl-format.h"
#include "ptl-live-interface.h"
#include "ptl-live-loop.h"
#include "ptl-live-signals.h"
#include "ptl-source.h"
#include "ptl-verdict.h"

#define PTL_LIVE_EVENTS_MAX         65536     /* distinct findings remembered */
#define PTL_LIVE_PENDING_MAX        65536     /* ended flows waiting to be judged */

/* ---- findings as they occur --------------------------------------------- */

/* How a flow is judged: ptl_report_json_flow_findings' members (product,
 * service, findings [{kind, severity, state, connection, message ...}]) into b;
 * a finding given as a bare kind string is taken too.  Tests pass their own. */
typedef void (*PtlLiveJudgeFunc)(gpointer judge_data, const PtlFlowRecord *rec, JsonBuilder *b);

typedef struct {
    FILE            *lines;       /* one line per new finding for a person, or NULL */
    FILE            *json;        /* --events: one JSON object per line, flushed, or NULL */
    PtlFormatWriter *format;      /* --events in another --format than portolan's, or NULL */
    PtlLiveJudgeFunc judge;
    gpointer         judge_data;
    guint            max_events;  /* 0: PTL_LIVE_EVENTS_MAX */
    guint            max_pending; /* 0: PTL_LIVE_PENDING_MAX */
} PtlLiveEventsConfig;

typedef struct {
    guint64 distinct;         /* (kind, client, server, port) reported */
    guint64 occurrences;      /* flows with a finding, repeats included */
    guint64 not_remembered;   /* new keys past max_events: counted, not reported */
    guint64 not_judged;       /* ended flows past max_pending */
} PtlLiveEventCounts;

typedef struct _PtlLiveEvents PtlLiveEvents;

PtlLiveEvents *ptl_live_events_new(const PtlLiveEventsConfig *cfg);
void           ptl_live_events_free(PtlLiveEvents *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlLiveEvents, ptl_live_events_free)

/* An ended flow, judged at the next flush (after the engine's refresh). */
void  ptl_live_events_queue(PtlLiveEvents *ev, const PtlFlowRecord *rec);
guint ptl_live_events_pending(const PtlLiveEvents *ev);
/* Judges the queued flows; prints and writes each new finding; returns how many were new. */
guint ptl_live_events_flush(PtlLiveEvents *ev);
const PtlLiveEventCounts *ptl_live_events_counts(const PtlLiveEvents *ev);
/* The judge for a real engine (judge_data: the PtlVerdict) */
void  ptl_live_judge_verdict(gpointer verdict, const PtlFlowRecord *rec, JsonBuilder *b);
