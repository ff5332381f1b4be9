/* ptl-verdict.h: the rule engine.  Tags flows with product and service and
 * checks them against the documented direction, allowed sources, access and
 * protocol.
 *
 * Flows are folded in as they end (ptl_verdict_add) into conversation
 * aggregates; at the end ptl_verdict_finish selects the products (declared, or
 * recognised from their structure in the traffic, or none: ptl-products.h),
 * infers roles the inventory does not give (and marks them inferred), and
 * judges each aggregate.  Every finding records whether the product and roles
 * it rests on were declared or inferred; a policy finding on inferred evidence
 * is at most a warning.  Findings are aggregated by (kind, client, server, port). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "ptl-decode.h"
#include "ptl-flow.h"
#include "ptl-host-kind.h"
#include "ptl-inventory.h"
#include "ptl-record-examples.h"
#include "ptl-rules.h"

typedef enum {
    PTL_FINDING_SOURCE_NOT_ALLOWED,
    PTL_FINDING_DIRECTION_VIOLATION,
    PTL_FINDING_PROTOCOL_MISMATCH,
    PTL_FINDING_UNDOCUMENTED_PORT,
    PTL_FINDING_CONNECTION_REFUSED,
    PTL_FINDING_CONNECTION_UNANSWERED,
    PTL_FINDING_CLEARTEXT_CREDENTIALS,
    PTL_FINDING_KIND_COUNT
} PtlFindingKind;

/* stable ids: "source-not-allowed" ... */
const char *ptl_finding_kind_name(PtlFindingKind kind);

typedef enum { PTL_SEVERITY_INFO, PTL_SEVERITY_WARNING, PTL_SEVERITY_ERROR } PtlSeverity;
const char *ptl_severity_name(PtlSeverity severity);   /* "info" ... */
gboolean    ptl_severity_parse(const char *text, PtlSeverity *out);

#define PTL_AUTH_DETAIL_MAX 96

/* What the engine needs of an ended flow (plain data: written to a temp file
 * and read back in the same process). */
typedef struct {
    guint64      id;
    PtlAddr      client, server;
    guint8       transport;       /* 6 or 17 */
    guint16      client_port, server_port;
    PtlFlowState state;
    guint8       refusal;         /* PtlRefusal */
    guint8       icmp_type, icmp_code; /* the unreachable, when refused by ICMP */
    guint8       handshake;       /* PtlHandshake */
    const char  *protocol;        /* interned: dissector name, "websocket", "unknown"; NULL: no payload */
    guint32      facts;           /* 1 << PtlFact */
    char         auth_detail[PTL_AUTH_DETAIL_MAX]; /* first cleartext-auth detail
                                                      ("AMQP PLAIN user guest"), or "" */
    gint64       first_ts_ns, last_ts_ns;
    guint64      packets, bytes;
} PtlFlowRecord;

typedef struct _PtlVerdict PtlVerdict;

/* rules and inv: transfer none, must outlive the engine.  products: forced
 * selection (--product), NULL-terminated, or NULL to use the inventory's or score. */
PtlVerdict *ptl_verdict_new(const PtlRuleSet *rules, const PtlInventory *inv,
                            char **products);
void        ptl_verdict_free(PtlVerdict *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlVerdict, ptl_verdict_free)

/* TRUE when the flow is kept as one of its conversation's example flows (a finding
 * on that conversation will name it): worth keeping its example records. */
gboolean ptl_verdict_add(PtlVerdict *v, const PtlFlowRecord *rec);
/* Findings in the JSON report show the example flows' records from store (transfer
 * none, outlives v; NULL: none). */
void ptl_verdict_set_record_examples(PtlVerdict *v, const PtlRecordExamples *store);
/* Selects products and infers roles from what was added so far, so that
 * judge_flow can be used while flows keep coming (live mode).  Cheap enough to
 * call every few seconds; finish() does it once more and judges everything. */
void ptl_verdict_refresh(PtlVerdict *v);
void ptl_verdict_finish(PtlVerdict *v);

/* After finish.  Adds product, service, rule {file,line,source} (or null) and
 * findings [kind ...] members to a flow object. */
void ptl_verdict_judge_flow(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b);
/* Like judge_flow, but each finding is the whole finding object of the report
 * (kind, severity, protocol, state, connection, message, advice ...), as for
 * one flow: live --events.  Transient failures need the whole capture, so a
 * single flow never is one. */
void ptl_verdict_judge_flow_findings(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b);
/* Adds the report's products, services and findings members. */
void ptl_verdict_emit_json(PtlVerdict *v, JsonBuilder *b);
/* role mask of addr and whether it was inferred; 0 when unknown */
guint32 ptl_verdict_host_role(PtlVerdict *v, const PtlAddr *addr, gboolean *is_inferred);
/* host, or the broadcast, multicast, network or unspecified address addr is */
PtlHostKind ptl_verdict_host_kind(PtlVerdict *v, const PtlAddr *addr);
/* Terminal: findings, errors first, then the per-service table. */
void ptl_verdict_print(PtlVerdict *v, FILE *out, gboolean color);
/* findings at or above min */
guint64 ptl_verdict_count_findings(const PtlVerdict *v, PtlSeverity min);
