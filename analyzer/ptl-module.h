/* ptl-module.h: helpers every dissector module shares (docs/plugin-abi.md).
 *
 * Header-only and static inline, so a module still links nothing of the core:
 * NULL-safe calls into the flow context (checked against its struct_size, so a
 * module works under an ABI-1-sized context), the "proto: " error formatter, a
 * capped text buffer and a capped name -> count table that counts what it drops. */
#pragma once

#include <stdarg.h>
#include <string.h>

#include "ptl-dissector.h"

/* Whether ctx is non-NULL, large enough to hold `member` and has it set. */
#define PTL_CTX_HAS(ctx, member)                                                         \
    ((ctx) != NULL &&                                                                     \
     (ctx)->struct_size >= offsetof(PtlFlowContext, member) + sizeof((ctx)->member) &&   \
     (ctx)->member != NULL)

/* ---- calls into the core ---- */

/* Tells the rule engine a fact; detail is borrowed, never a secret. */
static inline void
ptl_fact(const PtlFlowContext *ctx, PtlFact fact, const char *detail)
{
    if (ctx != NULL && ctx->fact != NULL)
        ctx->fact(ctx, fact, detail);
}

/* transfer none: a record builder with its object open, or NULL (build nothing:
 * the cap is reached, nobody reads records, or the core predates records). */
static inline JsonBuilder *
ptl_record_begin(const PtlFlowContext *ctx, const char *kind)
{
    if (!PTL_CTX_HAS(ctx, record_begin) || !PTL_CTX_HAS(ctx, record_end))
        return NULL;
    return ctx->record_begin(ctx, kind);
}

/* Closes the record ptl_record_begin() opened; call only after a non-NULL begin. */
static inline void
ptl_record_end(const PtlFlowContext *ctx)
{
    if (PTL_CTX_HAS(ctx, record_end))
        ctx->record_end(ctx);
}

/* The core may hold this direction's pending bytes until `more` further arrived. */
static inline void
ptl_need(const PtlFlowContext *ctx, PtlDirection dir, gsize more)
{
    if (PTL_CTX_HAS(ctx, need) && more > 0)
        ctx->need(ctx, dir, more);
}

/* ---- errors ---- */

/* ptl_dissect_fail() for a module's own varargs wrapper. */
static inline void
ptl_dissect_vfail(GError **error, PtlDissectError code, const char *proto, const char *format,
                  va_list args)
{
    char *what = g_strdup_vprintf(format, args);
    g_set_error(error, PTL_DISSECT_ERROR, (gint) code, "%s: %s", proto, what);
    g_free(what);
}

/* Sets "proto: <message>" in PTL_DISSECT_ERROR and returns -1, feed's failure value:
 *   return ptl_dissect_fail(error, PTL_DISSECT_ERROR_LIMIT, "amqp", "frame size %u", n); */
static inline gssize G_GNUC_PRINTF(4, 5)
ptl_dissect_fail(GError **error, PtlDissectError code, const char *proto, const char *format,
                 ...)
{
    va_list args;
    va_start(args, format);
    ptl_dissect_vfail(error, code, proto, format, args);
    va_end(args);
    return -1;
}

/* ---- a capped text buffer ---- */

/* At most PTL_MAX_STRING bytes, NUL-terminated; emitted as valid UTF-8.  Zeroed = empty. */
typedef struct {
    char *data;          /* NULL until set */
    gsize len;
    gboolean is_cut;     /* bytes were left out at the cap */
} PtlTextBuf;

static inline void
ptl_text_clear(PtlTextBuf *t)
{
    g_free(t->data);
    t->data = NULL;
    t->len = 0;
    t->is_cut = FALSE;
}

/* Appends what fits under the cap; data may hold any bytes. */
static inline void
ptl_text_append(PtlTextBuf *t, const void *data, gsize len)
{
    gsize room = PTL_MAX_STRING - t->len;
    gsize n = MIN(len, room);
    t->is_cut |= n < len;
    if (t->data != NULL && n == 0)
        return;
    t->data = g_realloc(t->data, t->len + n + 1);
    if (n > 0)
        memcpy(t->data + t->len, data, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static inline void
ptl_text_set(PtlTextBuf *t, const void *data, gsize len)
{
    ptl_text_clear(t);
    ptl_text_append(t, data, len);
}

/* The first value wins: later ones (a second login on the flow) do not overwrite it. */
static inline void
ptl_text_set_once(PtlTextBuf *t, const void *data, gsize len)
{
    if (t->data == NULL && data != NULL)
        ptl_text_set(t, data, len);
}

static inline gboolean
ptl_text_is_set(const PtlTextBuf *t)
{
    return t->data != NULL;
}

/* transfer none: the bytes, "" when unset (not UTF-8-checked: emit with ptl_text_emit) */
static inline const char *
ptl_text_str(const PtlTextBuf *t)
{
    return t->data != NULL ? t->data : "";
}

/* Adds `key` as valid UTF-8; nothing when unset. */
static inline void
ptl_text_emit(const PtlTextBuf *t, JsonBuilder *b, const char *key)
{
    if (t->data != NULL)
        ptl_emit_string(b, key, t->data, (gssize) t->len);
}

/* ---- a capped name -> count table ---- */

typedef struct {
    char   *name;        /* at most PTL_MAX_STRING bytes, NUL-terminated */
    gsize   len;
    guint64 count;
} PtlNameCount;

/* Distinct names in order of first sight, each with how often it was seen; at most
 * `cap` names, later new names counted in `dropped` (occurrences, not names). */
typedef struct {
    GArray *items;       /* of PtlNameCount, allocated at the first name */
    guint   cap;
    guint64 dropped;
} PtlNameCounts;

static inline void
ptl_name_counts_init(PtlNameCounts *t, guint cap)
{
    t->items = NULL;
    t->cap = cap;
    t->dropped = 0;
}

static inline void
ptl_name_counts_clear(PtlNameCounts *t)
{
    for (guint i = 0; t->items != NULL && i < t->items->len; i++)
        g_free(g_array_index(t->items, PtlNameCount, i).name);
    if (t->items != NULL)
        g_array_free(t->items, TRUE);
    t->items = NULL;
    t->dropped = 0;
}

static inline guint
ptl_name_counts_len(const PtlNameCounts *t)
{
    return t->items != NULL ? t->items->len : 0;
}

/* transfer none */
static inline const PtlNameCount *
ptl_name_counts_get(const PtlNameCounts *t, guint i)
{
    return &g_array_index(t->items, PtlNameCount, i);
}

/* Counts one sighting of the first PTL_MAX_STRING bytes of name (len < 0: NUL-terminated).
 * Returns its index, or -1 when empty or dropped at the cap.  A known name allocates
 * nothing. */
static inline gint
ptl_name_counts_add_n(PtlNameCounts *t, const void *name, gssize len, guint64 n)
{
    if (name == NULL)
        return -1;
    gsize size = len < 0 ? strlen(name) : (gsize) len;
    size = MIN(size, (gsize) PTL_MAX_STRING);
    if (size == 0)
        return -1;
    for (guint i = 0; i < ptl_name_counts_len(t); i++) {
        PtlNameCount *item = &g_array_index(t->items, PtlNameCount, i);
        if (item->len == size && memcmp(item->name, name, size) == 0) {
            item->count += n;
            return (gint) i;
        }
    }
    if (ptl_name_counts_len(t) >= t->cap) {
        t->dropped += n;
        return -1;
    }
    if (t->items == NULL)
        t->items = g_array_new(FALSE, FALSE, sizeof(PtlNameCount));
    PtlNameCount item = { g_strndup(name, size), size, n };
    g_array_append_val(t->items, item);
    return (gint) t->items->len - 1;
}

static inline gint
ptl_name_counts_add(PtlNameCounts *t, const void *name, gssize len)
{
    return ptl_name_counts_add_n(t, name, len, 1);
}

/* Whether this sighting kept a name not seen before (FALSE: known, empty or dropped). */
static inline gboolean
ptl_name_counts_add_new(PtlNameCounts *t, const void *name, gssize len)
{
    gint i = ptl_name_counts_add(t, name, len);
    return i >= 0 && ptl_name_counts_get(t, (guint) i)->count == 1;
}

/* The table as `key` (an object {name: count} or, is_names, an array of the names in
 * order of first sight), then `dropped_key` unless NULL. */
static inline void
ptl_name_counts_emit_as(const PtlNameCounts *t, JsonBuilder *b, const char *key,
                        const char *dropped_key, gboolean is_names)
{
    json_builder_set_member_name(b, key);
    if (is_names)
        json_builder_begin_array(b);
    else
        json_builder_begin_object(b);
    for (guint i = 0; i < ptl_name_counts_len(t); i++) {
        const PtlNameCount *item = ptl_name_counts_get(t, i);
        char *valid = g_utf8_make_valid(item->name, (gssize) item->len);
        if (is_names) {
            json_builder_add_string_value(b, valid);
        } else {
            json_builder_set_member_name(b, valid);
            json_builder_add_int_value(b, (gint64) item->count);
        }
        g_free(valid);
    }
    if (is_names)
        json_builder_end_array(b);
    else
        json_builder_end_object(b);
    if (dropped_key != NULL)
        ptl_emit_int(b, dropped_key, (gint64) t->dropped);
}

/* `key`: {name: count, ...}; then `dropped_key`: the dropped count, unless NULL. */
static inline void
ptl_name_counts_emit(const PtlNameCounts *t, JsonBuilder *b, const char *key,
                     const char *dropped_key)
{
    ptl_name_counts_emit_as(t, b, key, dropped_key, FALSE);
}

/* `key`: [name, ...] in order of first sight (the table used as a capped set);
 * then `dropped_key` unless NULL. */
static inline void
ptl_name_counts_emit_names(const PtlNameCounts *t, JsonBuilder *b, const char *key,
                           const char *dropped_key)
{
    ptl_name_counts_emit_as(t, b, key, dropped_key, TRUE);
}
