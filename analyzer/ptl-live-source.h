/* ptl-live-source.h: the packet source on an interface.  Opening it (libpcap
 * errors become PTL_CAPTURE_ERROR_LIVE here), listing interfaces, dropping root,
 * watching the interface and the kernel's counters. */
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
