/* ptl-verdict.h: the rule engine.  Tags flows with product and service and
 * checks them against the documented direction, allowed sources, access and
 * protocol.  It judges only: the words of its findings are ptl-finding-text.h's,
 * their JSON and terminal lines the report's (ptl-report.h); it gives them plain
 * read-only data (PtlFinding, PtlService).
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

#include "ptl-connection.h"
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
gboolean    ptl_finding_kind_parse(const char *text, PtlFindingKind *out);

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
    const char  *upgraded_from;   /* the clear-text start of a flow upgraded to TLS ("smtp"), or NULL */
    guint32      facts;           /* 1 << PtlFact */
    char         auth_detail[PTL_AUTH_DETAIL_MAX]; /* first cleartext-auth detail
                                                      ("AMQP PLAIN user guest"), or "" */
    gint64       first_ts_ns, last_ts_ns;
    guint64      packets, bytes;
    PtlTunnel    tunnel;          /* the tunnel it came through; id 0: none */
} PtlFlowRecord;

typedef struct _PtlVerdict PtlVerdict;
typedef struct _PtlProducts PtlProducts;   /* ptl-products.h */

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
/* the store set above, or NULL (transfer none) */
const PtlRecordExamples *ptl_verdict_record_examples(const PtlVerdict *v);
/* Selects products and infers roles from what was added so far, so that
 * judge_flow can be used while flows keep coming (live mode).  Cheap enough to
 * call every few seconds; finish() does it once more and judges everything. */
void ptl_verdict_refresh(PtlVerdict *v);
void ptl_verdict_finish(PtlVerdict *v);

/* ---- what the judge found: plain data, read-only, valid until free ---- */

#define PTL_VERDICT_EXAMPLES    3   /* example flow ids per finding */
#define PTL_VERDICT_MAX_ISSUES  4   /* findings of one flow */

/* One finding: a kind of trouble between one client and one server port. */
typedef struct {
    PtlFindingKind kind;
    PtlSeverity    severity;
    gboolean       is_product_inferred, is_roles_inferred;
    const PtlRule *rule;        /* NULL: untagged */
    PtlAddr        client, server;
    guint8         transport;
    guint16        port;
    PtlTunnel      tunnel;      /* the tunnel the flows came through; id 0: none */
    const char    *observed;    /* first record's protocol */
    PtlConnEvidence conn;       /* what the capture shows of the connection (the best record) */
    gboolean       is_transient;  /* failed, then accepted later: see transient */
    PtlConnTransient transient;
    char           auth_detail[PTL_AUTH_DETAIL_MAX];
    guint64        flows;
    gint64         first_ts_ns, last_ts_ns;
    guint          n_examples;
    guint64        examples[PTL_VERDICT_EXAMPLES];
} PtlFinding;

typedef struct {
    const char *name;           /* NULL: no payload */
    guint64     flows;
} PtlProtoCount;

/* The traffic one rule explained. */
typedef struct {
    const PtlRule *rule;
    guint64        flows, bytes;
    GArray        *observed;    /* PtlProtoCount, capped */
    guint64        observed_other;
    GArray        *clients, *servers;   /* PtlAddr, capped */
    gboolean       has_more_clients, has_more_servers;
} PtlService;

/* What the rules say about one flow, as findings of that flow alone. */
typedef struct {
    const PtlRule *rule;        /* NULL: untagged */
    guint          n_findings;
    PtlFinding     findings[PTL_VERDICT_MAX_ISSUES];
} PtlFlowJudgement;

/* After finish: the findings, errors first (PtlFinding*, transfer none). */
const GPtrArray   *ptl_verdict_findings(const PtlVerdict *v);
/* After finish: services in rule file order (PtlService*, transfer container). */
GPtrArray         *ptl_verdict_services(const PtlVerdict *v);
/* the product selection and nodes (transfer none) */
const PtlProducts *ptl_verdict_products(const PtlVerdict *v);
guint64            ptl_verdict_flows_not_judged(const PtlVerdict *v);
/* Judges one flow as the whole capture would (live mode, flow lines); selects
 * products first when nobody has.  Transient failures need the whole capture,
 * so a single flow never is one. */
void ptl_verdict_judge_record(PtlVerdict *v, const PtlFlowRecord *rec, PtlFlowJudgement *out);
/* findings about where traffic may go: they rest on the product and the roles */
gboolean ptl_finding_kind_is_policy(PtlFindingKind kind);
/* role mask of addr and whether it was inferred; 0 when unknown */
guint32 ptl_verdict_host_role(const PtlVerdict *v, const PtlAddr *addr, gboolean *is_inferred);
/* host, or the broadcast, multicast, network or unspecified address addr is */
PtlHostKind ptl_verdict_host_kind(const PtlVerdict *v, const PtlAddr *addr);
/* findings at or above min */
guint64 ptl_verdict_count_findings(const PtlVerdict *v, PtlSeverity min);
