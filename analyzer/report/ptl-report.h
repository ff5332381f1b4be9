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
#define PTL_REPORT_MAX_TUNNELS 100 /* tunnels listed in capture.tunnels */
#define PTL_REPORT_TEXT_WIDTH 100 /* columns of the terminal report */

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
/* report: the JSON report of in (filtered), which the findings part is drawn from */
void      ptl_report_text(const PtlReportInput *in, JsonObject *report, FILE *out,
                          gboolean color);
/* Writes the JSON report to path ("-": stdout), newline-terminated; indented unless
 * is_compact (--compact: one line). */
gboolean  ptl_report_write_json_node(JsonNode *report, const char *path, gboolean is_compact,
                                     GError **error);

/* A terminal being written: where, and whether with ANSI colours. */
typedef struct {
    FILE    *out;
    gboolean color;
} PtlReportText;

/* code ("\033[1m") when t is coloured, else "" */
const char *ptl_report_text_sgr(const PtlReportText *t, const char *code);
/* Writes text wrapped at spaces: the first line continues a line already
 * first_indent columns wide, the rest start after indent columns; no line is
 * wider than PTL_REPORT_TEXT_WIDTH (a longer word is cut, never dropped). */
void ptl_report_text_wrap(FILE *out, const char *text, guint first_indent, guint indent);
/* "1.2 MB" style into buf (at least 16 bytes) */
const char *ptl_report_human_bytes(guint64 bytes, char *buf);

/* The judge's part of the JSON report: products, services, findings,
 * findings_summary, roles, flows_not_judged members (ptl-report-verdict.c). */
void ptl_report_json_verdict(const PtlVerdict *v, JsonBuilder *b);
/* One flow's product, service, rule {file,line,source,doc,row} (or null) and
 * findings [kind ...] members: flow lines. */
void ptl_report_json_flow_verdict(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b);
/* Like flow_verdict, but each finding is the whole finding object of the
 * report (kind, severity, protocol, state, connection, message, advice ...),
 * as for one flow: live --events. */
void ptl_report_json_flow_findings(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b);
/* Terminal, from the JSON report: findings grouped by (kind, rule), errors
 * first, their details, then the per-service table (ptl-report-findings.c). */
void ptl_report_text_findings(JsonObject *report, FILE *out, gboolean color);
/* The HTML page of a JSON report to path (ptl-report-html.c; docs/report.md). */
gboolean ptl_report_write_html(JsonNode *report, const char *path, GError **error);
