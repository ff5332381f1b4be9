/* ptl-live-loop.h: the read loop over any packet source (a file in tests). */
#pragma once

#include <glib.h>
#include <pcap/pcap.h>

#include "ptl-source.h"

typedef enum {
    PTL_LIVE_END_SIGNAL,      /* SIGINT / SIGTERM */
    PTL_LIVE_END_DURATION,    /* --duration */
    PTL_LIVE_END_COUNT,       /* -c */
    PTL_LIVE_END_INPUT,       /* a file source ended */
    PTL_LIVE_END_INTERFACE,   /* read failed, interface down or gone: error says which */
} PtlLiveEnd;

typedef void (*PtlLivePacketFunc)(gpointer user_data, const PtlPacket *pkt,
                                  const struct pcap_pkthdr *hdr);
/* now_ns: wall clock for an interface, the last packet's time for a file */
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

/* Reads until a signal, the duration, the count, the end of a file or an
 * interface failure; the packet callback sees every packet, the tick callback
 * runs about every tick_us even when no packet comes. */
PtlLiveEnd ptl_live_run(PtlSource *source, const PtlLiveLoop *loop, GError **error);
const char *ptl_live_end_name(PtlLiveEnd end);
