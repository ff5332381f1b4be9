/* ptl-report-filter.h: which findings a report shows (--kind, --severity,
 * --only, --only-product, --service, --host).
 *
 * The filter works on the JSON report, the single source of every output, so
 * `analyze` and `report` (re-rendering a saved JSON report) select alike: it
 * drops the findings and services that do not match, recounts
 * findings_summary and records itself as the report's "filter" member.
 * Flow lines are selected from the same judgement (ptl_report_filter_flow). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ptl-verdict.h"

typedef struct {
    char   **kinds;      /* finding kinds; NULL: every kind */
    char    *severity;   /* at least this severe; NULL: any */
    char    *only;       /* exactly this severity; NULL: any */
    char   **products, **services;  /* NULL: any */
    char   **hosts;      /* addresses, canonical text; client or server */
} PtlReportFilter;

/* f holds the options as typed (the command line writes them in; lists
 * repeatable, each item may be comma-separated): checks and normalizes them
 * in place.  An unknown kind or severity, both --severity and --only, or a
 * host that is no address fails with the valid values (G_OPTION_ERROR_BAD_VALUE). */
gboolean ptl_report_filter_check(PtlReportFilter *f, GError **error);
void     ptl_report_filter_clear(PtlReportFilter *f);
gboolean ptl_report_filter_is_active(const PtlReportFilter *f);
/* TRUE when the finding object (a member of the report's findings) is shown */
gboolean ptl_report_filter_finding(const PtlReportFilter *f, JsonObject *finding);
/* TRUE when a flow line is shown: its client or server is a --host, its rule
 * is of --only-product and --service, and one of its findings is of --kind and
 * --severity (a kind or severity filter drops flows without findings).
 * j: the flow's judgement, NULL without rules (then only --host can match). */
gboolean ptl_report_filter_flow(const PtlReportFilter *f, const PtlFlowRecord *rec,
                                const PtlFlowJudgement *j);
/* Applies f to a report root (see above); no-op when f is NULL or inactive. */
void     ptl_report_filter_apply(const PtlReportFilter *f, JsonObject *report);
