/* ptl-flow-json.h: one flow as a JSON object (the --flows lines) and as the
 * compact record the rule engine judges. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "ptl-app.h"
#include "ptl-flow.h"
#include "ptl-format.h"
#include "ptl-time.h"
#include "ptl-report-filter.h"
#include "ptl-verdict.h"

/* the "schema" member of every flow line: bumped when a member changes meaning */
#define PTL_FLOW_SCHEMA "portolan/flow-1"

void ptl_flow_record_fill(PtlFlowRecord *rec, const PtlFlow *flow, PtlFlowEnd why,
                          const PtlApp *app);
/* id, ts_start, ts_end, transport, client, server, initiator, state, end, directions,
 * handshake, packets, bytes, payload_bytes, tcp_flags, retransmissions, out_of_order, gaps,
 * vlan, icmp {type, code, meaning}, protocol..., app */
void ptl_flow_json_add(JsonBuilder *b, const PtlFlow *flow, PtlFlowEnd why, PtlApp *app,
                       const PtlPluginSet *plugins);
/* One flow object as a JSON line (no trailing newline); transfer full */
char *ptl_flow_json_line(const PtlFlow *flow, PtlFlowEnd why, PtlApp *app,
                         const PtlPluginSet *plugins);

/* Copies the lines to out, each with the verdict's product, service, rule and
 * findings spliced in (records: the PtlFlowRecord of each line, same order). */
gboolean ptl_flow_lines_finish(FILE *lines, FILE *records, PtlVerdict *verdict,
                               const PtlReportFilter *filter, PtlFormatWriter *out,
                               GError **error);
