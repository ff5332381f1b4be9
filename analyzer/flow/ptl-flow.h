/* ptl-flow.h: the bidirectional flow table.
 *
 * Keyed by the 5-tuple plus VLAN ids and the tunnel context.  Client and server are decided by the
 * SYN; a flow picked up mid-stream gets an inferred initiator (a service port
 * as told by the config, then the lower port) and says so.  Per direction it
 * counts packets, bytes, payload, flags and times; per flow it tracks the TCP
 * or UDP state users care about.  Idle flows and, when the table is full, the
 * least recently active ones are ended through the on_end callback, so memory
 * stays bounded; ended flows are still handed to the caller for reporting.
 * The table does no TCP reassembly itself: a flow gets two PtlStream, which
 * the caller drives, when it first needs them.  Entries and streams are charged
 * to the memory budget (cfg.memcap). */
#pragma once

#include <glib.h>

#include "ptl-decode.h"
#include "ptl-dissector.h"
#include "ptl-flow-hash.h"
#include "ptl-memcap.h"
#include "ptl-stream.h"

typedef enum {
    PTL_FLOW_ESTABLISHED,   /* TCP handshake done, went idle or still open (idle timeout) */
    PTL_FLOW_CLOSED,        /* FIN */
    PTL_FLOW_RESET,         /* RST after it was established */
    PTL_FLOW_REFUSED,       /* SYN answered by RST, or ICMP unreachable */
    PTL_FLOW_UNANSWERED,    /* SYN (and retries), nothing back, nothing more from the client */
    PTL_FLOW_ACTIVE,        /* still open at the end of the capture */
    PTL_FLOW_REQUEST_ONLY,  /* UDP, one direction only */
    PTL_FLOW_BIDIRECTIONAL, /* UDP, both directions */
    PTL_FLOW_ONE_SIDED,     /* TCP seen one way only, past a bare SYN: the capture missed the
                               other direction, so silence proves nothing */
    PTL_FLOW_STATE_COUNT
} PtlFlowState;

/* "established", "request-only" ... */
const char *ptl_flow_state_name(PtlFlowState state);
/* the server side answered: the handshake (or a reply) was seen, or the client
 * went on as if it had been (one-sided) */
gboolean    ptl_flow_state_is_answered(PtlFlowState state);

typedef enum {
    PTL_INITIATOR_SYN,          /* the SYN's sender is the client */
    PTL_INITIATOR_SYNACK,       /* SYN missed, the SYN/ACK's receiver is the client */
    PTL_INITIATOR_FIRST_PACKET, /* UDP: the first datagram's sender, no port said otherwise */
    PTL_INITIATOR_INFERRED,     /* TCP mid-stream: service port, then the lower port */
    PTL_INITIATOR_PORT,         /* UDP: a service port on exactly one side (DNS 53, DHCP 67) */
} PtlInitiator;

/* "syn", "syn-ack", "first-packet", "inferred", "port" */
const char *ptl_initiator_name(PtlInitiator initiator);

/* How much of the TCP three-way handshake the capture saw. */
typedef enum {
    PTL_HANDSHAKE_NOT_TCP,
    PTL_HANDSHAKE_COMPLETE,  /* SYN, SYN/ACK and the client's ACK */
    PTL_HANDSHAKE_PARTIAL,   /* part of it, and the connection went on (a direction missed) */
    PTL_HANDSHAKE_SYN_ONLY,  /* SYN (and retries) and nothing further from the client */
    PTL_HANDSHAKE_NONE,      /* no SYN, no SYN/ACK: picked up mid-stream */
    PTL_HANDSHAKE_COUNT
} PtlHandshake;

/* "complete", "partial", "syn-only", "none"; NULL for UDP */
const char *ptl_handshake_name(PtlHandshake handshake);

/* Which directions carried packets. */
typedef enum {
    PTL_DIRECTIONS_BOTH,
    PTL_DIRECTIONS_TO_SERVER,
    PTL_DIRECTIONS_TO_CLIENT,
} PtlDirections;

const char *ptl_directions_name(PtlDirections directions); /* "both", "to-server", "to-client" */

/* How a refused flow was refused. */
typedef enum {
    PTL_REFUSED_NOT,
    PTL_REFUSED_BY_RST,
    PTL_REFUSED_BY_ICMP,
} PtlRefusal;

typedef enum {
    PTL_FLOW_END_CAPTURE,   /* end of input */
    PTL_FLOW_END_IDLE,      /* idle timeout (or closed and quiet) */
    PTL_FLOW_END_EVICTED,   /* table full: least recently active */
    PTL_FLOW_END_REUSED,    /* a new SYN or SYN/ACK (other ISN) reused a finished tuple */
} PtlFlowEnd;

typedef struct {
    guint64 packets;
    guint64 bytes;          /* wire bytes (PtlPacket.wirelen) */
    guint64 payload_bytes;  /* transport payload bytes on the wire */
    gint64  first_ts_ns;    /* 0: no packet this way */
    gint64  last_ts_ns;
    guint8  tcp_flags;      /* OR of every flag seen */
    guint32 syns;           /* SYN segments (retries counted) */
} PtlFlowDirStats;

typedef struct _PtlFlow PtlFlow;

struct _PtlFlow {
    guint64         id;             /* 1, 2, ... in creation order */
    PtlAddr         client_ip, server_ip;
    guint16         client_port, server_port;
    guint8          proto;          /* 6 TCP, 17 UDP */
    guint16         vlan, inner_vlan;
    PtlInitiator    initiator;      /* here, not later: it fills the hole before the pointer */
    const PtlTunnel *tunnel;        /* the tunnel it came through, NULL none; transfer none:
                                       the decoder's, which outlives the table */
    PtlFlowDirStats dir[2];         /* indexed by PtlDirection */
    /* TCP with data: two, indexed by PtlDirection; NULL until ptl_flow_table_streams()
     * (a SYN flood's flows never pay for reassembly state).  Read with ptl_flow_stream(). */
    PtlStream      *stream;
    /* TCP progress; guint8 flags keep a million-flow table small */
    guint8          has_syn, has_synack, has_handshake;
    guint8          has_fin[2], has_rst[2];
    guint8          is_refused;     /* RST to the SYN, or ICMP unreachable */
    guint8          icmp_type, icmp_code; /* the unreachable, when is_refused by ICMP */
    guint8          is_memcap_evicted; /* ended early to keep within the memory budget */
    guint32         client_isn;
    guint32         server_isn;     /* the SYN/ACK's sequence number, when has_synack */
    guint32         file_bits;      /* 1 << index of each input file with a packet of it (in
                                     * the padding before app: a SYN flood stays small);
                                     * files after the 32nd are not told apart */
    gpointer        app;            /* the caller's per-flow data; the caller frees it in on_end */
    /* table internals */
    PtlFlow        *lru_prev, *lru_next;
    gint64          last_ts_ns;
};

/* transfer none: the flow's reassembly state of dir, or an empty one when it has none */
const PtlStream *ptl_flow_stream(const PtlFlow *flow, PtlDirection dir);

/* The state to report, given why the flow ended (open at PTL_FLOW_END_CAPTURE: active). */
PtlFlowState  ptl_flow_state(const PtlFlow *flow, PtlFlowEnd why);
PtlHandshake  ptl_flow_handshake(const PtlFlow *flow);
PtlDirections ptl_flow_directions(const PtlFlow *flow);
PtlRefusal    ptl_flow_refusal(const PtlFlow *flow);

typedef gboolean (*PtlServicePortFunc)(gpointer user_data, guint8 proto, guint16 port);
typedef void     (*PtlFlowEndFunc)(gpointer user_data, PtlFlow *flow, PtlFlowEnd why);

typedef struct {
    gint64             tcp_idle_ns;     /* default 3600 s */
    gint64             tcp_closed_ns;   /* quiet time after FIN/RST before ending; default 30 s */
    gint64             udp_idle_ns;     /* default 120 s */
    guint              max_flows;       /* default 1,000,000 */
    PtlServicePortFunc is_service_port; /* may be NULL: only ports below 1024 count */
    gpointer           port_user_data;
    PtlFlowEndFunc     on_end;          /* called once per flow, before it is freed */
    gpointer           end_user_data;
    PtlMemcap         *memcap;          /* entries and streams are charged here; may be NULL */
} PtlFlowConfig;

typedef struct _PtlFlowTable PtlFlowTable;

/* cfg is copied; zero fields take defaults.  transfer full */
PtlFlowTable *ptl_flow_table_new(const PtlFlowConfig *cfg);
/* ends every flow with PTL_FLOW_END_CAPTURE (calling on_end), then frees */
void          ptl_flow_table_free(PtlFlowTable *table);

/* Finds or creates the flow of a decoded TCP/UDP packet (not an ICMP error),
 * updates counters, flags and state, and says which way the packet went.
 * May end other flows (idle, table full, reused tuple) through on_end first.
 * transfer none: valid until the next call into the table. */
PtlFlow      *ptl_flow_table_packet(PtlFlowTable *table, const PtlDecoded *pkt, gint64 ts_ns,
                                    guint32 wirelen, PtlDirection *dir);

/* The flow an ICMP error quotes, or NULL; marks it refused when it was still
 * only a SYN (or a UDP request) and records type and code.  transfer none */
PtlFlow      *ptl_flow_table_icmp_error(PtlFlowTable *table, const PtlDecoded *pkt, gint64 ts_ns);

/* Ends every flow idle at now_ns.  Cheap: call it as often as you like. */
void          ptl_flow_table_expire(PtlFlowTable *table, gint64 now_ns);
/* Ends every flow (end of input). */
void          ptl_flow_table_flush(PtlFlowTable *table);

guint         ptl_flow_table_size(const PtlFlowTable *table);
guint64       ptl_flow_table_created(const PtlFlowTable *table);
guint64       ptl_flow_table_evicted(const PtlFlowTable *table); /* ended because full */
guint         ptl_flow_table_peak(const PtlFlowTable *table);    /* most flows at once */

/* The flow's two reassembly streams, allocated (and charged) on first use. transfer none */
PtlStream    *ptl_flow_table_streams(PtlFlowTable *table, PtlFlow *flow);
/* The least recently active flow other than the one of the packet being handled,
 * or NULL (also while flushing).  transfer none */
PtlFlow      *ptl_flow_table_oldest(const PtlFlowTable *table);
/* Ends a flow before its time (PTL_FLOW_END_EVICTED, counted as evicted). */
void          ptl_flow_table_end_early(PtlFlowTable *table, PtlFlow *flow);

/* For tests and benchmarks: the hash a packet's flow key has in this table, the
 * chain statistics, and (on an empty table only) a seed of the caller's choice. */
guint64       ptl_flow_table_hash_of(const PtlFlowTable *table, const PtlDecoded *pkt);
void          ptl_flow_table_hash_stats(const PtlFlowTable *table, PtlHashStats *stats);
void          ptl_flow_table_set_hash_seed(PtlFlowTable *table, const PtlHashSeed *seed);
