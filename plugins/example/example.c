/* example.c: the reference dissector.  Copy this file to start a new one.
 *
 * It reads a toy line protocol, "ECHO":
 *     client -> server   "ECHO <text>\n"   (or "QUIT\n" to say goodbye)
 *     server -> client   "<text>\n"        (the text sent back)
 *
 * Every part of the plugin ABI (analyzer/ptl-dissector.h) is here, each with the reason
 * it looks the way it does.  Rename every `example_` / `Example` / `EXAMPLE_` symbol to
 * your protocol's name: all symbols are static and carry the file name as prefix. */
#include <string.h>

#include "ptl-module.h"    /* the ABI (ptl-dissector.h) and the helpers every module shares */

/* Every wire length needs a maximum before it sizes anything: a line longer than this
 * is garbage (or not ECHO at all), and the core holds at most PTL_PENDING_MAX anyway. */
#define EXAMPLE_MAX_LINE  1024
/* Per-flow collections are capped; what does not fit is counted, never grown. */
#define EXAMPLE_MAX_TEXTS 8

/* Static tables are const: dissectors keep no mutable globals, flows run in parallel. */
static const guint16 example_ports[] = { 7777, 0 };  /* 0-terminated */

/* All per-flow memory lives in one state, made by state_new and freed by state_free. */
typedef struct {
    gboolean is_confirmed;          /* CONFIRMED is told once per flow */
    gboolean has_quit;
    guint64  requests;              /* ECHO lines from the client */
    guint64  replies;               /* lines from the server */
    /* first distinct texts, copied (input is borrowed), capped: a repeat costs no
     * allocation, and sightings of new texts past the cap are counted as dropped */
    PtlNameCounts texts;
} ExampleState;

/* probe: pure (no state, no allocation), sees at most PTL_PROBE_MAX_BYTES of ONE
 * direction, which may be either side and may start mid-stream.  YES only when the
 * bytes are unmistakably ours, MAYBE to see more, NO otherwise: other dissectors
 * probe the same bytes, so a careless YES steals their flows. */
static PtlProbe
example_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    static const char request[] = "ECHO ";
    static const char quit[] = "QUIT\n";
    if (dir == PTL_DIR_TO_CLIENT)
        return PTL_PROBE_NO;  /* a reply is any line: nothing there proves it is ECHO */
    PtlCursor c = ptl_cursor_init(data, len);
    gsize have = MIN(ptl_cursor_remaining(&c), sizeof request - 1);
    const guint8 *start = ptl_cursor_take(&c, have);
    gboolean is_request = have == 0 || memcmp(start, request, have) == 0;
    gboolean is_quit = have == 0 || memcmp(start, quit, have) == 0;
    if (!is_request && !is_quit)
        return PTL_PROBE_NO;
    if (have < sizeof request - 1)
        return PTL_PROBE_MAYBE;  /* "ECH" could still be ours */
    if (is_quit)
        return PTL_PROBE_YES;
    /* the whole first line must be there, and short enough */
    gssize eol = ptl_cursor_find(&c, '\n');
    if (eol < 0)
        return len - have < EXAMPLE_MAX_LINE ? PTL_PROBE_MAYBE : PTL_PROBE_NO;
    return (gsize) eol < EXAMPLE_MAX_LINE ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static gpointer
example_state_new(void)
{
    ExampleState *s = g_new0(ExampleState, 1);
    ptl_name_counts_init(&s->texts, EXAMPLE_MAX_TEXTS);
    return s;
}

/* Called exactly once per state, even when feed failed or never ran. */
static void
example_state_free(gpointer state)
{
    ExampleState *s = state;
    if (s == NULL)
        return;
    ptl_name_counts_clear(&s->texts);
    g_free(s);
}

/* A record is one unit of work as it completes: here one request.  The core adds
 * "kind", "ts" and "flow_id"; NULL means nobody reads records (or the flow's cap is
 * reached), so build nothing.  Records are allow-listed like emit: never a secret. */
static void
example_record(const PtlFlowContext *ctx, const char *kind, PtlCursor *text)
{
    JsonBuilder *b = ptl_record_begin(ctx, kind);
    if (b == NULL)
        return;
    if (text != NULL) {
        gsize n = ptl_cursor_remaining(text);
        ptl_emit_string(b, "text", (const char *) ptl_cursor_take(text, n), (gssize) n);
    }
    ptl_record_end(ctx);
}

/* One complete line without its "\n".  FALSE with `error` set on garbage. */
static gboolean
example_line(ExampleState *s, const PtlFlowContext *ctx, PtlDirection dir, PtlCursor line,
             GError **error)
{
    if (dir == PTL_DIR_TO_CLIENT) {
        s->replies++;
        return TRUE;
    }
    const guint8 *word = ptl_cursor_take(&line, 4);
    if (word != NULL && memcmp(word, "QUIT", 4) == 0 && ptl_cursor_remaining(&line) == 0) {
        s->has_quit = TRUE;
        example_record(ctx, "example_quit", NULL);
    } else if (word != NULL && memcmp(word, "ECHO", 4) == 0 && ptl_cursor_u8(&line) == ' '
               && ptl_cursor_ok(&line)) {
        PtlCursor text = line;
        gsize n = ptl_cursor_remaining(&line);
        ptl_name_counts_add(&s->texts, ptl_cursor_take(&line, n), (gssize) n);
        s->requests++;
        example_record(ctx, "example_echo", &text);
    } else {
        /* name the protocol and what was wrong: it ends up in the report */
        ptl_dissect_fail(error, PTL_DISSECT_ERROR_MALFORMED, "example",
                         "request is neither ECHO nor QUIT");
        return FALSE;
    }
    if (!s->is_confirmed) {
        /* a first complete, valid PDU: tell the rule engine, which judges it at once.
         * ptl_fact is NULL-safe, which keeps unit tests simple. */
        s->is_confirmed = TRUE;
        ptl_fact(ctx, PTL_FACT_CONFIRMED, "ECHO");
    }
    return TRUE;
}

/* feed: contiguous bytes of one direction from the first unconsumed one.  Consume whole
 * lines only and return how many bytes that was; the core keeps the rest and presents it
 * again with more data, so a line split over packets needs no buffer of our own. */
static gssize
example_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir,
             const guint8 *data, gsize len, GError **error)
{
    ExampleState *s = state;
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        gssize eol = ptl_cursor_find(&c, '\n');
        if (eol < 0) {
            /* no end of line yet: wait, unless the line is already over the cap */
            if (ptl_cursor_remaining(&c) <= EXAMPLE_MAX_LINE)
                break;
            eol = EXAMPLE_MAX_LINE + 1;
        }
        if ((gsize) eol > EXAMPLE_MAX_LINE)
            return ptl_dissect_fail(error, PTL_DISSECT_ERROR_LIMIT, "example",
                                    "line over limit %u", EXAMPLE_MAX_LINE);
        PtlCursor line = ptl_cursor_sub(&c, (gsize) eol);
        ptl_cursor_skip(&c, 1);  /* the "\n" */
        if (!example_line(s, ctx, dir, line, error))
            return -1;
    }
    return (gssize) c.pos;
}

/* gap: after a hole we cannot know where the next line starts (the hole may end
 * mid-line), so we say FALSE and the core closes that direction. */
static gboolean
example_gap(gpointer state, PtlDirection dir, gsize missing)
{
    (void) state;
    (void) dir;
    (void) missing;
    return FALSE;
}

/* emit: members of the object the core opened under "example".  It cannot fail, works
 * on a fresh state, and writes strings through ptl_emit_string (capped, valid UTF-8). */
static void
example_emit(gpointer state, JsonBuilder *b)
{
    const ExampleState *s = state;
    ptl_emit_int(b, "requests", (gint64) s->requests);
    ptl_emit_int(b, "replies", (gint64) s->replies);
    ptl_emit_bool(b, "quit", s->has_quit);
    ptl_name_counts_emit_names(&s->texts, b, "texts", "texts_dropped");
}

/* Every field filled: the loader refuses a NULL callback (gap and probe_datagram are
 * the optional ones) and a name already taken. */
static const PtlDissector example_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "example",
    .default_ports = example_ports,
    .probe = example_probe,
    .state_new = example_state_new,
    .state_free = example_state_free,
    .feed = example_feed,
    .gap = example_gap,
    .emit = example_emit,
    .version = "1.0.0",
    .description = "Reference plugin: the toy ECHO line protocol (copy me)",
    .probe_datagram = NULL,  /* TCP only */
};

/* The one exported symbol; always the last line. */
PTL_DISSECTOR_DEFINE(example_dissector)
