/* ptl-report-filter.h: which findings a report shows (--kind, --severity,
 * --only, --only-product, --service, --host).
 *
 * The filter works on the JSON report, the single source of every output, so
 * `analyze` and `report` (re-rendering a saved JSON report) select alike: it
 * drops the findings and services that do not match, recounts
 * findings_summary and records itself as the report's "filter" member. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
    char   **kinds;      /* finding kinds; NULL: every kind */
    char    *severity;   /* at least this severe; NULL: any */
    char    *only;       /* exactly this severity; NULL: any */
    char   **products, **services;  /* NULL: any */
    char   **hosts;      /* addresses, canonical text; client or server */
} PtlReportFilter;

/* Options as typed (repeatable, each may be comma-separated); checks them:
 * an unknown kind or severity or a host that is no address fails with the
 * valid values (G_OPTION_ERROR_BAD_VALUE). */
gboolean ptl_report_filter_init(PtlReportFilter *f, char **kinds, const char *severity,
                                const char *only, char **products, char **services,
                                char **hosts, GError **error);
void     ptl_report_filter_clear(PtlReportFilter *f);
gboolean ptl_report_filter_is_active(const PtlReportFilter *f);
/* TRUE when the finding object (a member of the report's findings) is shown */
gboolean ptl_report_filter_finding(const PtlReportFilter *f, JsonObject *finding);
/* Applies f to a report root (see above); no-op when f is NULL or inactive. */
void     ptl_report_filter_apply(const PtlReportFilter *f, JsonObject *report);
