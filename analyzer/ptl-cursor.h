/* ptl-cursor.h: bounds-checked reads of untrusted bytes.
 *
 * Every read past the end returns 0 and sets `overrun`, which stays set, so a
 * parser reads a whole record and checks ptl_cursor_ok() once.  Bounds are
 * compared as lengths (n > len - pos), never as pointers, so nothing overflows.
 * Header-only so the per-packet path pays no call.  Shared with modules. */
#pragma once

#include <glib.h>
#include <string.h>

typedef struct {
    const guint8 *data;
    gsize         len;
    gsize         pos;
    gboolean      overrun;
} PtlCursor;

static inline PtlCursor
ptl_cursor_init(const guint8 *data, gsize len)
{
    PtlCursor c = { data, data ? len : 0, 0, FALSE };
    return c;
}

static inline gsize
ptl_cursor_remaining(const PtlCursor *c)
{
    return c->len - c->pos;
}

static inline gboolean
ptl_cursor_ok(const PtlCursor *c)
{
    return !c->overrun;
}

/* TRUE when n more bytes are there; sets overrun (and moves to the end) when not. */
static inline gboolean
ptl_cursor_need(PtlCursor *c, gsize n)
{
    if (c->overrun || n > c->len - c->pos) {
        c->overrun = TRUE;
        c->pos = c->len;
        return FALSE;
    }
    return TRUE;
}

/* transfer none: n bytes at the position, or NULL (overrun) */
static inline const guint8 *
ptl_cursor_take(PtlCursor *c, gsize n)
{
    if (!ptl_cursor_need(c, n))
        return NULL;
    const guint8 *p = c->data + c->pos;
    c->pos += n;
    return p;
}

/* transfer none: like take, without moving */
static inline const guint8 *
ptl_cursor_peek(const PtlCursor *c, gsize n)
{
    if (c->overrun || n > c->len - c->pos)
        return NULL;
    return c->data + c->pos;
}

static inline gboolean
ptl_cursor_skip(PtlCursor *c, gsize n)
{
    return ptl_cursor_take(c, n) != NULL || n == 0;
}

/* A child cursor over the next n bytes; the parent moves past them.  When fewer
 * are left both are marked overrun and the child is empty. */
static inline PtlCursor
ptl_cursor_sub(PtlCursor *c, gsize n)
{
    const guint8 *p = ptl_cursor_take(c, n);
    PtlCursor child = ptl_cursor_init(p, p ? n : 0);
    child.overrun = (p == NULL && n > 0) || c->overrun;
    return child;
}

static inline guint8
ptl_cursor_u8(PtlCursor *c)
{
    const guint8 *p = ptl_cursor_take(c, 1);
    return p ? p[0] : 0;
}

static inline guint16
ptl_cursor_be16(PtlCursor *c)
{
    const guint8 *p = ptl_cursor_take(c, 2);
    return p ? (guint16) ((p[0] << 8) | p[1]) : 0;
}

static inline guint16
ptl_cursor_le16(PtlCursor *c)
{
    const guint8 *p = ptl_cursor_take(c, 2);
    return p ? (guint16) ((p[1] << 8) | p[0]) : 0;
}

static inline guint32
ptl_cursor_be24(PtlCursor *c)
{
    const guint8 *p = ptl_cursor_take(c, 3);
    return p ? ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2] : 0;
}

static inline guint32
ptl_cursor_be32(PtlCursor *c)
{
    const guint8 *p = ptl_cursor_take(c, 4);
    return p ? ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3]
             : 0;
}

static inline guint32
ptl_cursor_le32(PtlCursor *c)
{
    const guint8 *p = ptl_cursor_take(c, 4);
    return p ? ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0]
             : 0;
}

static inline guint64
ptl_cursor_be64(PtlCursor *c)
{
    guint64 hi = ptl_cursor_be32(c);
    return (hi << 32) | ptl_cursor_be32(c);
}

static inline guint64
ptl_cursor_le64(PtlCursor *c)
{
    guint64 lo = ptl_cursor_le32(c);
    return lo | ((guint64) ptl_cursor_le32(c) << 32);
}

/* Offset from the position of the first `byte`, or -1; does not move. */
static inline gssize
ptl_cursor_find(const PtlCursor *c, guint8 byte)
{
    if (c->overrun || c->pos >= c->len)
        return -1;
    const guint8 *p = memchr(c->data + c->pos, byte, c->len - c->pos);
    return p ? (gssize) (p - (c->data + c->pos)) : -1;
}
