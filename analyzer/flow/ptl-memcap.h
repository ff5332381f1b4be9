/* ptl-memcap.h: one memory budget for everything the flows hold.
 *
 * Flow entries, their reassembly buffers, the app layer's probe and pending
 * buffers and the dissector states are charged here.  Holders ask before they
 * grow; when the budget is reached the owner's reclaim callback ends the least
 * recently active flow to make room, and what still does not fit is dropped by
 * the asker and counted.  Every function takes a NULL budget: no accounting. */
#pragma once

#include <glib.h>

#define PTL_MEMCAP_DEFAULT (G_GUINT64_CONSTANT(1) << 30)   /* 1 GiB */
#define PTL_MEMCAP_STATE_SLOTS 32   /* state costs remembered by plugin index; later: measured */

/* Frees memory (ends a flow); FALSE when there is nothing left it may free. */
typedef gboolean (*PtlMemcapReclaimFunc)(gpointer user_data);

typedef struct {
    guint64              cap;            /* the whole budget as given (--memcap) */
    guint64              limit;          /* the flows' share of it: what is enforced */
    guint64              used, peak;
    guint64              dropped_bytes;  /* bytes not kept, or held by flows ended early */
    guint64              flows_evicted;  /* flows ended early to make room */
    guint64              flows_affected; /* flows that lost bytes or were ended early */
    PtlMemcapReclaimFunc reclaim;
    gpointer             reclaim_data;
    gboolean             is_reclaiming;  /* a reclaim is running: do not start another */
    gsize                state_cost[PTL_MEMCAP_STATE_SLOTS]; /* heap bytes + 1; 0: not measured */
} PtlMemcap;

/* cap 0: PTL_MEMCAP_DEFAULT.  Flows may hold three quarters of it; the rest is
 * left for the report's tables (each capped) and the allocator's slack, so the
 * process as a whole stays under cap. */
void     ptl_memcap_init(PtlMemcap *m, guint64 cap);
/* Is there room for `more` bytes?  Reclaims (ends old flows) until there is or
 * nothing is left to end.  Does not charge: account the result afterwards. */
gboolean ptl_memcap_allows(PtlMemcap *m, gsize more);
/* A holder that had *charged bytes now holds `now`: the budget follows. */
void     ptl_memcap_account(PtlMemcap *m, gsize *charged, gsize now);
/* Moves the budget by a difference the caller computed (before -> after). */
void     ptl_memcap_adjust(PtlMemcap *m, gsize before, gsize after);
void     ptl_memcap_dropped(PtlMemcap *m, guint64 bytes);
/* What a heap block really takes: its usable size plus the allocator's header. */
gsize    ptl_memcap_block_size(gconstpointer block);

/* A new dissector state (transfer full) from state_new, and what one costs:
 * measured on the first state of each plugin index, as the heap grew. */
gpointer ptl_memcap_state_new(PtlMemcap *m, guint slot, gpointer (*state_new)(void), gsize *cost);

/* "1G", "512M", "64K" or a byte count: how --memcap would spell it. */
const char *ptl_memcap_format_size(guint64 bytes, char buf[32]);

/* "1G", "512M", "64k", "1048576" (K/M/G are powers of 1024, an optional B or iB
 * follows).  FALSE on anything else, on 0 and on overflow. */
gboolean ptl_memcap_parse_size(const char *text, guint64 *bytes);
