/* ptl-source.h: the packet source, one libpcap handle on a capture file or an
 * interface, read the same way by the file merge (ptl-capture.c) and the live
 * loop (ptl-live-loop.c).  The one place where libpcap's errbuf and
 * pcap_geterr() become a PTL_CAPTURE_ERROR (STYLE.md section 4). */
#pragma once

#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>

#include "ptl-capture.h"

#define PTL_LIVE_SNAPLEN_DEFAULT    262144
#define PTL_LIVE_BUFFER_KIB_DEFAULT 32768     /* 32 MiB: rides out bursts on a mirror port */
#define PTL_LIVE_TIMEOUT_MS         100       /* buffered delivery without --immediate-mode */

typedef struct {
    const char *device;        /* "eth0", "any" */
    const char *filter;        /* BPF or NULL */
    int         snaplen;       /* 0: PTL_LIVE_SNAPLEN_DEFAULT */
    int         buffer_kib;    /* 0: PTL_LIVE_BUFFER_KIB_DEFAULT */
    gboolean    is_promisc;
    gboolean    is_immediate;
} PtlLiveConfig;

typedef struct _PtlSource PtlSource;

/* More of a failure's cause than libpcap knows ("gzip: unexpected end of file"),
 * or NULL; asked when opening or reading fails and at the end of the file. */
typedef const char *(*PtlSourceCauseFunc)(gpointer cause_data);

/* A capture file already open as fp, read with nanosecond stamps; name (its path)
 * starts every message.  fp is taken over on success only.  FORMAT on failure.
 * transfer full */
PtlSource *ptl_source_open_file(FILE *fp, const char *name, PtlSourceCauseFunc cause,
                                gpointer cause_data, GError **error);
/* Opens, activates, filters and makes the interface non-blocking; transfer full.
 * A missing capability gives one line naming it (CAP_NET_RAW or root).
 * *warning (transfer full, may be NULL) gets libpcap's activation warning. */
PtlSource *ptl_source_open_interface(const PtlLiveConfig *cfg, char **warning, GError **error);
void       ptl_source_free(PtlSource *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlSource, ptl_source_free)

gboolean ptl_source_is_file(const PtlSource *src);
int      ptl_source_linktype(const PtlSource *src);
int      ptl_source_snaplen(const PtlSource *src);
/* a descriptor to poll() for the next packet, or -1 (in-memory files) */
int      ptl_source_fd(const PtlSource *src);

/* A file's filter, compiled for its link type and tested by ptl_source_matches();
 * "NAME: filter 'BPF': why" (FILTER) when it does not compile. */
gboolean ptl_source_set_file_filter(PtlSource *src, const char *bpf, GError **error);
/* TRUE when the last packet passes the file's filter (or there is none). */
gboolean ptl_source_matches(const PtlSource *src);

typedef enum {
    PTL_SOURCE_ERROR = -1,  /* file: cut or garbage record (TRUNCATED); interface: LIVE */
    PTL_SOURCE_IDLE,        /* an interface has nothing now: poll and ask again */
    PTL_SOURCE_PACKET,
    PTL_SOURCE_END,         /* a file ended */
} PtlSourceStatus;

/* The next record, every one (empty and filtered ones too: the caller counts
 * them).  out->number counts the records read, out->file_index is 0; out->data
 * is valid until the next call.  A file's error reads "NAME: packet N: why:
 * file cut here, analyzing what came before". */
PtlSourceStatus ptl_source_next(PtlSource *src, PtlPacket *out, GError **error);
/* transfer none: libpcap's header of the last packet (for -w) */
const struct pcap_pkthdr *ptl_source_header(const PtlSource *src);

typedef struct {
    guint64 received, dropped, if_dropped;
} PtlLiveKernelStats;

/* pcap_stats; FALSE for sources that have none (files) */
gboolean ptl_source_kernel_stats(const PtlSource *src, PtlLiveKernelStats *out);

/* `-D`: "1.eth0 (description) [Up, Running]" per interface, as tcpdump prints. */
gboolean ptl_source_list_interfaces(FILE *out, GError **error);
