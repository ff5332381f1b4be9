/* ptl-report.h: the whole-run report, as one JSON document (schema
 * portolan/report-1, see docs/report-schema.md) or as text for a person. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "ptl-analyzer.h"
#include "ptl-capture.h"
#include "ptl-plugins.h"
#include "ptl-verdict.h"

#define PTL_REPORT_SCHEMA "portolan/report-1"
#define PTL_REPORT_TOP_PORTS 100  /* ports listed in flows_summary.ports */
#define PTL_REPORT_TEXT_ROWS 12   /* rows per table in the terminal report */

typedef struct {
    const PtlCapture   *capture;
    const PtlAnalyzer  *analyzer;
    PtlVerdict         *verdict;   /* NULL: no rules */
    const PtlPluginSet *plugins;
    const char         *filter;    /* BPF or NULL */
    const char         *interface; /* live capture: the interface, else NULL */
    const GPtrArray    *errors;    /* input that could not be read, one line each */
    const GPtrArray    *warnings;  /* everything else worth a line */
    double              elapsed_s; /* analysis wall time */
    gboolean            is_compact;/* --compact: the JSON report on one line */
} PtlReportInput;

/* transfer full */
JsonNode *ptl_report_json(const PtlReportInput *in);
gboolean  ptl_report_write_json(const PtlReportInput *in, const char *path, GError **error);
void      ptl_report_text(const PtlReportInput *in, FILE *out, gboolean color);

/* "1.2 MB" style into buf (at least 16 bytes) */
const char *ptl_report_human_bytes(guint64 bytes, char *buf);
