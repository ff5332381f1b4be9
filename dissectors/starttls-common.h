/* starttls-common.h: what every clear-text-start dissector (smtp.c ... rdp.c) does
 * the same way, included by each: skipping a message body by count, and counting
 * the bytes after the switch point when no TLS dissector took the stream over
 * (the core hands them to "tls" when it is loaded: analyzer/ptl-app.c). */
#pragma once

#include "ptl-dissector.h"
#include "ptl-module.h"

typedef struct {
    guint64 body_left[2];   /* bytes of the current message still to skip */
    guint64 after[2];       /* bytes after the switch point, counted, not read */
} StarttlsCommon;

/* After the switch: consumes and counts everything. */
static inline gssize
starttls_after_upgrade(StarttlsCommon *k, PtlDirection dir, gsize len)
{
    k->after[dir] += len;
    return (gssize) len;
}

/* Skips what is left of the current body; FALSE when the cursor ran out first. */
static inline gboolean
starttls_skip_body(StarttlsCommon *k, PtlDirection dir, PtlCursor *c)
{
    gsize n = (gsize) MIN(k->body_left[dir], (guint64) ptl_cursor_remaining(c));
    ptl_cursor_skip(c, n);
    k->body_left[dir] -= n;
    return k->body_left[dir] == 0;
}

/* A hole inside a body is skipped by count; anywhere else there is no boundary to find. */
static inline gboolean
starttls_gap_in_body(StarttlsCommon *k, PtlDirection dir, gsize missing)
{
    if (k->body_left[dir] <= missing)
        return FALSE;
    k->body_left[dir] -= missing;
    return TRUE;
}

/* The client asked for TLS and its next bytes are a TLS record: the grant was not
 * captured (a one-sided capture), but the client's handshake is the switch point. */
static inline gboolean
starttls_client_went_tls(PtlDirection dir, gboolean is_requested, const PtlCursor *c)
{
    const guint8 *next = ptl_cursor_peek(c, 1);
    return dir == PTL_DIR_TO_SERVER && is_requested && next != NULL && *next == 0x16;
}

static inline void
starttls_emit_after(const StarttlsCommon *k, JsonBuilder *b)
{
    if (k->after[PTL_DIR_TO_SERVER] + k->after[PTL_DIR_TO_CLIENT] == 0)
        return;
    ptl_emit_int(b, "after_upgrade_to_server", (gint64) k->after[PTL_DIR_TO_SERVER]);
    ptl_emit_int(b, "after_upgrade_to_client", (gint64) k->after[PTL_DIR_TO_CLIENT]);
}
