/* ptl-summary.h: what the reports say, aggregated from flows as they end.
 *
 * Flows are not kept: each ended flow is folded into per-host, per-port and
 * failed-connection tables (each capped, with what was dropped counted), so a
 * capture of millions of flows reports in bounded memory. */
#pragma once

#include <glib.h>

#include "ptl-app.h"
#include "ptl-decode.h"
#include "ptl-flow.h"

#define PTL_SUMMARY_MAX_HOSTS 65536
#define PTL_SUMMARY_MAX_SERVICES 65536
#define PTL_SUMMARY_MAX_FAILED 4096
#define PTL_SUMMARY_MAX_PEERS 256   /* distinct clients/servers listed per service */
#define PTL_SUMMARY_EXAMPLES 3      /* example flow ids kept per aggregate */

typedef struct {
    PtlAddr addr;
    guint64 packets_sent, packets_received;
    guint64 bytes_sent, bytes_received;
    guint64 flows_as_client, flows_as_server;
} PtlHostStats;

typedef struct {
    guint8      proto;
    guint16     port;
    guint64     flows, packets, bytes, payload_bytes;
    guint64     states[PTL_FLOW_STATE_COUNT];
    GHashTable *protocols;        /* observed protocol name (interned) -> count */
    GHashTable *clients, *servers;/* PtlAddr* set, capped at PTL_SUMMARY_MAX_PEERS */
    guint64     clients_dropped, servers_dropped;
} PtlServiceStats;

typedef struct {
    PtlAddr      client, server;
    guint8       proto;
    guint16      port;
    PtlFlowState state;           /* refused or unanswered */
    guint8       icmp_type, icmp_code;
    guint64      count;
    gint64       first_ts_ns, last_ts_ns;
    guint64      examples[PTL_SUMMARY_EXAMPLES];
} PtlFailedConn;

typedef struct {
    guint64 total, tcp, udp;
    guint64 states[PTL_FLOW_STATE_COUNT];
    guint64 inferred_initiator;
    guint64 with_gaps, gap_bytes, truncated, dissector_errors;
    guint64 records, records_dropped;   /* dissector records; dropped: over the per-flow cap */
    guint64 retransmissions, out_of_order;
    guint64 ended_idle, ended_evicted, ended_reused;
    GHashTable *protocols;        /* name -> count */
} PtlFlowsSummary;

typedef struct {
    PtlFlowsSummary flows;
    GHashTable     *hosts;        /* PtlAddr* -> PtlHostStats* */
    GHashTable     *services;     /* key (proto << 16 | port) -> PtlServiceStats* */
    GHashTable     *failed;       /* key -> PtlFailedConn* */
    guint64         hosts_dropped, services_dropped, failed_dropped;
} PtlSummary;

PtlSummary *ptl_summary_new(void);
void        ptl_summary_free(PtlSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlSummary, ptl_summary_free)

/* Folds one ended flow in; app may be NULL (no payload). */
void ptl_summary_add_flow(PtlSummary *summary, const PtlFlow *flow, PtlFlowEnd why,
                          const PtlApp *app);

/* Sorted views (transfer container: free the array, not the items). */
GPtrArray *ptl_summary_services_by_flows(const PtlSummary *summary);
GPtrArray *ptl_summary_hosts_by_bytes(const PtlSummary *summary);
GPtrArray *ptl_summary_failed_sorted(const PtlSummary *summary);
