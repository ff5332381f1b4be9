/* ptl-live.h: capturing from an interface.  Opening it (libpcap errors become
 * PTL_CAPTURE_ERROR_LIVE here), listing interfaces, dropping root, the signal
 * flags, a read loop that takes any pcap_t (a savefile in tests), and the
 * findings seen while running, each (kind, client, server, port) reported once. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <pcap/pcap.h>
#include <stdio.h>

#include "ptl-format.h"

#include "ptl-capture.h"
#include "ptl-verdict.h"

#define PTL_LIVE_SNAPLEN_DEFAULT    262144
#define PTL_LIVE_BUFFER_KIB_DEFAULT 32768     /* 32 MiB: rides out bursts on a mirror port */
#define PTL_LIVE_TIMEOUT_MS         100       /* buffered delivery without --immediate-mode */
#define PTL_LIVE_EVENTS_MAX         65536     /* distinct findings remembered */
#define PTL_LIVE_PENDING_MAX        65536     /* ended flows waiting to be judged */

typedef struct {
    const char *device;        /* "eth0", "any" */
    const char *filter;        /* BPF or NULL */
    int         snaplen;       /* 0: PTL_LIVE_SNAPLEN_DEFAULT */
    int         buffer_kib;    /* 0: PTL_LIVE_BUFFER_KIB_DEFAULT */
    gboolean    is_promisc;
    gboolean    is_immediate;
} PtlLiveConfig;

/* Opens, activates, filters and makes the handle non-blocking; transfer full.
 * A missing capability gives one line naming it (CAP_NET_RAW or root).
 * *warning (transfer full, may be NULL) gets libpcap's activation warning. */
pcap_t  *ptl_live_open(const PtlLiveConfig *cfg, char **warning, GError **error);
/* `-D`: "1.eth0 (description) [Up, Running]" per interface, as tcpdump prints. */
gboolean ptl_live_list_interfaces(FILE *out, GError **error);
/* `-Z USER`: supplementary groups, group, then user; fails if root could be regained. */
gboolean ptl_live_drop_privileges(const char *user, GError **error);
/* FALSE with error when the interface is down or gone ("any" always passes). */
gboolean ptl_live_check_interface(const char *device, GError **error);

typedef struct {
    guint64 received, dropped, if_dropped;
} PtlLiveKernelStats;

/* pcap_stats; FALSE for sources that have none (savefiles) */
gboolean ptl_live_kernel_stats(pcap_t *p, PtlLiveKernelStats *out);

/* ---- signals ------------------------------------------------------------ */

/* SIGINT/SIGTERM ask to stop; a second one exits at once with
 * PTL_LIVE_EXIT_INTERRUPTED and no report.  SIGHUP/SIGUSR1 ask for an interim
 * report.  Installed without SA_RESTART so a waiting poll() returns. */
#define PTL_LIVE_EXIT_INTERRUPTED 2
void     ptl_live_signals_install(void);
void     ptl_live_signals_restore(void);
gboolean ptl_live_stop_requested(void);
/* TRUE once per burst of SIGHUP/SIGUSR1 */
gboolean ptl_live_take_interim_request(void);
/* clears both flags (tests, and a child writing an interim report) */
void     ptl_live_signals_reset(void);

/* ---- the read loop ------------------------------------------------------- */

typedef enum {
    PTL_LIVE_END_SIGNAL,      /* SIGINT / SIGTERM */
    PTL_LIVE_END_DURATION,    /* --duration */
    PTL_LIVE_END_COUNT,       /* -c */
    PTL_LIVE_END_INPUT,       /* a savefile source ended */
    PTL_LIVE_END_INTERFACE,   /* read failed, interface down or gone: error says which */
} PtlLiveEnd;

typedef void (*PtlLivePacketFunc)(gpointer user_data, const PtlPacket *pkt,
                                  const struct pcap_pkthdr *hdr);
/* now_ns: wall clock for an interface, the last packet's time for a savefile */
typedef void (*PtlLiveTickFunc)(gpointer user_data, gint64 now_ns);
typedef void (*PtlLiveInterimFunc)(gpointer user_data);

typedef struct {
    const char        *device;       /* checked on each tick; NULL: not checked */
    guint64            max_packets;  /* -c; 0: no limit */
    gint64             duration_us;  /* --duration; 0: no limit */
    gint64             tick_us;      /* 0: one second */
    PtlLivePacketFunc  on_packet;
    PtlLiveTickFunc    on_tick;      /* may be NULL */
    PtlLiveInterimFunc on_interim;   /* may be NULL */
    gpointer           user_data;
} PtlLiveLoop;

/* Reads until a signal, the duration, the count, the end of a savefile or an
 * interface failure; the packet callback sees every packet, the tick callback
 * runs about every tick_us even when no packet comes. */
PtlLiveEnd ptl_live_run(pcap_t *p, const PtlLiveLoop *loop, GError **error);
const char *ptl_live_end_name(PtlLiveEnd end);

/* ---- findings as they occur --------------------------------------------- */

/* How a flow is judged: ptl_verdict_judge_flow_findings' members (product,
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
