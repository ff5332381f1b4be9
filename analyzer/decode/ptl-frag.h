/* ptl-frag.h: IPv4/IPv6 fragment reassembly, internal to the decoder.
 *
 * Datagrams are keyed by (src, dst, id, proto, family).  Each keeps its bytes
 * as a sorted list of non-overlapping pieces, so the holes are the gaps
 * between them.  Overlaps: IPv4 keeps the bytes that came first; IPv6 drops the
 * whole datagram (RFC 5722) except for an exact duplicate.  Memory, datagram
 * count, pieces per datagram and capture-time age are all capped; every
 * fragment packet lost to a cap is counted once. */
#pragma once

#include <glib.h>

#include "ptl-decode.h"

/* the reassembled part never exceeds an IP datagram (no jumbograms) */
#define PTL_FRAG_MAX_DATAGRAM 65535u
/* legit 64 KiB at MTU 576 needs ~120; more is a tiny-fragment flood */
#define PTL_FRAG_MAX_PIECES   256u

typedef struct {
    PtlAddr src, dst;     /* family from src */
    guint32 id;           /* IPv4: 16 bits */
    guint8  proto;        /* IPv4 protocol, or IPv6 fragment header next header */
    guint32 tunnel_id;    /* the tunnel the fragments came through (0: none): tenants apart */
} PtlFragKey;

typedef struct {
    PtlFragKey    key;
    gint64        ts_ns;
    guint32       offset;    /* bytes into the fragmentable part */
    gboolean      has_more;  /* MF (IPv4), M (IPv6) */
    const guint8 *data;      /* transfer none */
    guint32       len;
    guint32       max_end;   /* the reassembled part may not end beyond this */
} PtlFragment;

typedef enum {
    PTL_FRAG_HELD,       /* kept (or a duplicate): wait for more */
    PTL_FRAG_COMPLETE,   /* this fragment completed its datagram */
    PTL_FRAG_DROPPED,    /* refused; its datagram, if any, is gone too */
} PtlFragResult;

typedef struct {
    guint64 completed;        /* datagrams reassembled */
    guint64 timed_out;        /* datagrams expired */
    guint64 evicted;          /* datagrams dropped for the memory or count cap */
    guint64 overlaps;         /* IPv6 datagrams dropped for overlapping fragments */
    guint64 invalid;          /* fragments refused: bad length, beyond the end, too many pieces */
} PtlFragStats;

typedef struct _PtlFrag PtlFrag;

/* transfer full */
PtlFrag       *ptl_frag_new(gsize max_bytes, guint max_datagrams, gint64 timeout_ns);
void           ptl_frag_free(PtlFrag *frag);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlFrag, ptl_frag_free)

/* On COMPLETE, *data and *len give the reassembled fragmentable part; transfer none,
 * valid until the next call on frag. */
PtlFragResult  ptl_frag_add(PtlFrag *frag, const PtlFragment *fragment, const guint8 **data,
                            guint32 *len);
/* drops datagrams whose first fragment is older than the timeout; cheap when none */
void           ptl_frag_expire(PtlFrag *frag, gint64 now_ns);
void           ptl_frag_drop_all(PtlFrag *frag);
/* fragment packets dropped since the last call, besides the one a DROPPED add refused */
guint64        ptl_frag_take_dropped(PtlFrag *frag);

guint               ptl_frag_n_datagrams(const PtlFrag *frag);
gsize               ptl_frag_held_bytes(const PtlFrag *frag);
const PtlFragStats *ptl_frag_stats(const PtlFrag *frag); /* transfer none */
