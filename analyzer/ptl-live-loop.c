/* ptl-live-loop.c: the read loop.  It polls the capture descriptor with a
 * timeout, so timers, signals and an idle link all get their turn. */
#include "ptl-live-loop.h"

#include "ptl-live-signals.h"
#include "ptl-live-source.h"

#include <poll.h>

#define LIVE_BATCH       512      /* packets per pcap_dispatch: bounds the wait for a tick */
#define LIVE_IDLE_SLEEP_US 10000  /* sources without a descriptor (in-memory savefiles) */

typedef struct {
    const PtlLiveLoop *loop;
    pcap_t            *pcap;
    gint64             deadline_us;  /* 0: none */
    int                linktype;
    gint64             ts_scale;    /* 1000 for microsecond timestamps, 1 for nanosecond */
    guint64            seen;
    gint64             last_ts_ns;
} LiveDispatch;

static void
live_handler(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    LiveDispatch *d = (LiveDispatch *) user;
    PtlPacket pkt = {
        .ts_ns = (gint64) hdr->ts.tv_sec * G_GINT64_CONSTANT(1000000000) +
                 (gint64) hdr->ts.tv_usec * d->ts_scale,
        .caplen = hdr->caplen,
        .wirelen = hdr->len,
        .data = bytes,
        .linktype = d->linktype,
        .file_index = 0,
        .number = ++d->seen,
    };
    d->last_ts_ns = pkt.ts_ns;
    d->loop->on_packet(d->loop->user_data, &pkt, hdr);
    /* a batch can be long: stop inside it, the loop then says why */
    if (ptl_live_stop_requested() ||
        (d->deadline_us > 0 && g_get_monotonic_time() >= d->deadline_us))
        pcap_breakloop(d->pcap);
}

static void
live_wait(int fd, gint64 timeout_us)
{
    timeout_us = CLAMP(timeout_us, 1000, G_USEC_PER_SEC);
    if (fd < 0) {
        g_usleep((gulong) MIN(timeout_us, LIVE_IDLE_SLEEP_US));
        return;
    }
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    /* EINTR is the point: a signal ends the wait and the loop looks at the flags */
    (void) poll(&pfd, 1, (int) (timeout_us / 1000));
}

/* what is left of the wait before the next tick or the end of --duration */
static gint64
live_timeout_us(const PtlLiveLoop *loop, gint64 start, gint64 now, gint64 next_tick)
{
    gint64 timeout = next_tick - now;
    if (loop->duration_us > 0)
        timeout = MIN(timeout, start + loop->duration_us - now);
    return timeout;
}

static gboolean
live_tick(const PtlLiveLoop *loop, const LiveDispatch *d, gboolean is_savefile, GError **error)
{
    if (!is_savefile && !ptl_live_check_interface(loop->device, error))
        return FALSE;
    if (loop->on_tick != NULL)
        loop->on_tick(loop->user_data,
                      is_savefile ? d->last_ts_ns : g_get_real_time() * G_GINT64_CONSTANT(1000));
    return TRUE;
}

PtlLiveEnd
ptl_live_run(pcap_t *p, const PtlLiveLoop *loop, GError **error)
{
    g_return_val_if_fail(p != NULL && loop != NULL && loop->on_packet != NULL,
                         PTL_LIVE_END_INTERFACE);
    gboolean is_nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    gint64 start = g_get_monotonic_time();
    LiveDispatch d = { loop, p, loop->duration_us > 0 ? start + loop->duration_us : 0,
                       pcap_datalink(p), is_nano ? 1 : 1000, 0, 0 };
    gboolean is_savefile = pcap_file(p) != NULL;
    int fd = pcap_get_selectable_fd(p);
    gint64 tick_us = loop->tick_us > 0 ? loop->tick_us : G_USEC_PER_SEC;
    gint64 next_tick = start + tick_us;
    for (;;) {
        if (ptl_live_stop_requested())
            return PTL_LIVE_END_SIGNAL;
        if (loop->on_interim != NULL && ptl_live_take_interim_request())
            loop->on_interim(loop->user_data);
        gint64 now = g_get_monotonic_time();
        if (loop->duration_us > 0 && now - start >= loop->duration_us)
            return PTL_LIVE_END_DURATION;
        if (now >= next_tick) {
            next_tick = now + tick_us;
            if (!live_tick(loop, &d, is_savefile, error))
                return PTL_LIVE_END_INTERFACE;
        }
        int budget = LIVE_BATCH;
        if (loop->max_packets > 0)
            budget = (int) MIN((guint64) budget, loop->max_packets - d.seen);
        int n = pcap_dispatch(p, budget, live_handler, (u_char *) &d);
        if (n < 0 && n != PCAP_ERROR_BREAK) {
            g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE, "%s: %s",
                        loop->device != NULL ? loop->device : "capture", pcap_geterr(p));
            return PTL_LIVE_END_INTERFACE;
        }
        if (loop->max_packets > 0 && d.seen >= loop->max_packets)
            return PTL_LIVE_END_COUNT;
        if (n == 0 && is_savefile)
            return PTL_LIVE_END_INPUT;
        if (n == 0)
            live_wait(fd, live_timeout_us(loop, start, g_get_monotonic_time(), next_tick));
    }
}

const char *
ptl_live_end_name(PtlLiveEnd end)
{
    static const char *const names[] = {
        "signal", "duration", "count", "end of input", "interface failure",
    };
    return (guint) end < G_N_ELEMENTS(names) ? names[end] : "unknown";
}
