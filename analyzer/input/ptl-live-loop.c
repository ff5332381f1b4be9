/* ptl-live-loop.c: the read loop.  It polls the source's descriptor with a
 * timeout, so timers, signals and an idle link all get their turn. */
#include "ptl-live-loop.h"

#include "ptl-live-interface.h"
#include "ptl-live-signals.h"

#include <poll.h>

#define LIVE_BATCH       512      /* packets read between looks at the clock and the flags */
#define LIVE_IDLE_SLEEP_US 10000  /* sources without a descriptor (in-memory savefiles) */

typedef struct {
    const PtlLiveLoop *loop;
    PtlSource         *source;
    gint64             deadline_us;  /* 0: none */
    guint64            seen;
    gint64             last_ts_ns;
} LiveRead;

/* Up to budget packets: PACKET when some came (look at the flags and the clock
 * before asking again), else IDLE, END or ERROR as the source said. */
static PtlSourceStatus
live_read_batch(LiveRead *d, int budget, GError **error)
{
    for (int i = 0; i < budget; i++) {
        PtlPacket pkt;
        PtlSourceStatus status = ptl_source_next(d->source, &pkt, error);
        if (status == PTL_SOURCE_ERROR || (status != PTL_SOURCE_PACKET && i == 0))
            return status;
        if (status != PTL_SOURCE_PACKET)
            break;
        d->seen++;
        d->last_ts_ns = pkt.ts_ns;
        d->loop->on_packet(d->loop->user_data, &pkt, ptl_source_header(d->source));
        /* a batch can be long: stop inside it, the loop then says why */
        if (ptl_live_stop_requested() ||
            (d->deadline_us > 0 && g_get_monotonic_time() >= d->deadline_us))
            break;
    }
    return PTL_SOURCE_PACKET;
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
live_tick(const PtlLiveLoop *loop, const LiveRead *d, gboolean is_file, GError **error)
{
    if (!is_file && !ptl_live_check_interface(loop->device, error))
        return FALSE;
    if (loop->on_tick != NULL)
        loop->on_tick(loop->user_data,
                      is_file ? d->last_ts_ns : g_get_real_time() * G_GINT64_CONSTANT(1000));
    return TRUE;
}

PtlLiveEnd
ptl_live_run(PtlSource *source, const PtlLiveLoop *loop, GError **error)
{
    g_return_val_if_fail(source != NULL && loop != NULL && loop->on_packet != NULL,
                         PTL_LIVE_END_INTERFACE);
    gint64 start = g_get_monotonic_time();
    LiveRead d = { loop, source, loop->duration_us > 0 ? start + loop->duration_us : 0, 0, 0 };
    gboolean is_file = ptl_source_is_file(source);
    int fd = ptl_source_fd(source);
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
            if (!live_tick(loop, &d, is_file, error))
                return PTL_LIVE_END_INTERFACE;
        }
        int budget = LIVE_BATCH;
        if (loop->max_packets > 0)
            budget = (int) MIN((guint64) budget, loop->max_packets - d.seen);
        PtlSourceStatus status = live_read_batch(&d, budget, error);
        if (status == PTL_SOURCE_ERROR)
            return PTL_LIVE_END_INTERFACE;
        if (loop->max_packets > 0 && d.seen >= loop->max_packets)
            return PTL_LIVE_END_COUNT;
        if (status == PTL_SOURCE_END)
            return PTL_LIVE_END_INPUT;
        if (status == PTL_SOURCE_IDLE)
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
