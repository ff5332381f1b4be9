/* fuzz-dissector.c: one dissector (or plugin), compiled in, driven through the ABI
 * as the core drives it, with the plugin contract checked after every call.
 *
 * Input layout (scripts/fuzz-corpus writes the seeds this way):
 *     byte 0      flow: bit 0 set = UDP (only for modules with a datagram probe)
 *     bytes 1-2   server port, big-endian;  bytes 3-4  client port
 *     then records, to the end of the input:
 *         ctl     bit 0: direction (0 to server, 1 to client)
 *                 bit 1: a gap record: `len << k` bytes are missing (k below, at
 *                 most 47: gaps up to 2^63); no data follow
 *                 bits 2-7: k; data is fed in chunks of k*k bytes (0: in one feed;
 *                 UDP: each chunk is one datagram)
 *         len     2 bytes, big-endian, cut to what the input has left
 *         data    len bytes
 * Like the core, the harness keeps what feed() did not consume and presents it again
 * with the next bytes, stops a flow on -1, closes a direction when gap() says FALSE,
 * and emits once at the end (and once on a fresh state). */
#include "ptl-dissector.h"

#include "fuzz-common.h"

#include <string.h>

#define FUZZ_FLOW_HEADER 5
#define FUZZ_RECORD_HEADER 3
#define FUZZ_CTL_TO_CLIENT 0x01
#define FUZZ_CTL_GAP 0x02
#define FUZZ_FLOW_UDP 0x01
#define FUZZ_GAP_MAX_SHIFT 47
/* emit cuts strings at PTL_MAX_STRING bytes before g_utf8_make_valid(), which may
 * turn each invalid byte into U+FFFD (3 bytes) */
#define FUZZ_MAX_EMITTED_STRING (3 * PTL_MAX_STRING)

const PtlDissector *ptl_dissector_entry(void);

typedef struct {
    PtlFlowContext      ctx;
    const PtlDissector *d;
    gpointer            state;
    GByteArray         *pending[2];
    GByteArray         *probe_buf[2];
    gboolean            is_probed[2]; /* the probe said YES or NO: the core asks no more */
    gboolean            is_closed[2];
    gboolean            has_failed;
    JsonBuilder        *record;       /* the record between record_begin and record_end */
    guint               records;
} FuzzFlow;

/* records are capped per flow by the core too: keep the harness fast on long inputs */
#define FUZZ_MAX_RECORDS 256

static void
fuzz_fact(const PtlFlowContext *ctx, PtlFact fact, const char *detail)
{
    FUZZ_CHECK((guint) fact < PTL_FACT_COUNT, "fact %d out of range", (int) fact);
    if (detail != NULL)
        (void) strlen(detail);      /* ASan: a terminated string */
}

static void fuzz_check_json(JsonBuilder *b, const char *what);

static JsonBuilder *
fuzz_record_begin(const PtlFlowContext *ctx, const char *kind)
{
    FuzzFlow *f = ctx->core_data;
    FUZZ_CHECK(f->record == NULL, "record_begin twice without record_end");
    FUZZ_CHECK(kind != NULL && g_utf8_validate(kind, -1, NULL), "record kind not UTF-8");
    if (f->records >= FUZZ_MAX_RECORDS)
        return NULL;
    f->records++;
    f->record = json_builder_new();
    json_builder_begin_object(f->record);
    json_builder_set_member_name(f->record, "kind");
    json_builder_add_string_value(f->record, kind);
    return f->record;
}

static void
fuzz_record_end(const PtlFlowContext *ctx)
{
    FuzzFlow *f = ctx->core_data;
    FUZZ_CHECK(f->record != NULL, "record_end without record_begin");
    json_builder_end_object(f->record);
    fuzz_check_json(f->record, "record");
    g_clear_object(&f->record);
}

static void
fuzz_need(const PtlFlowContext *ctx, PtlDirection dir, gsize more)
{
    FUZZ_CHECK(dir == PTL_DIR_TO_SERVER || dir == PTL_DIR_TO_CLIENT, "need: direction %d",
               (int) dir);
    (void) ctx;
    (void) more;    /* a hint only: the harness presents the bytes again regardless */
}

static void
fuzz_check_probe(PtlProbe answer, const char *which)
{
    FUZZ_CHECK(answer == PTL_PROBE_NO || answer == PTL_PROBE_MAYBE || answer == PTL_PROBE_YES,
               "%s returned %d", which, (int) answer);
}

/* probe is pure: the same bytes give the same answer.  Like the core, a direction is
 * probed as its bytes grow until the answer is YES or NO or the limit is reached. */
static void
fuzz_probe(FuzzFlow *f, PtlDirection dir, const guint8 *data, gsize len)
{
    if (f->ctx.transport == PTL_TRANSPORT_UDP) {
        gsize n = MIN(len, (gsize) PTL_PROBE_MAX_BYTES);
        PtlProbe a = f->d->probe_datagram(data, n, dir, f->ctx.server_port);
        fuzz_check_probe(a, "probe_datagram");
        FUZZ_CHECK(a == f->d->probe_datagram(data, n, dir, f->ctx.server_port),
                   "probe_datagram is not pure");
        return;
    }
    GByteArray *buf = f->probe_buf[dir];
    if (f->is_probed[dir] || buf->len >= PTL_PROBE_MAX_BYTES)
        return;
    g_byte_array_append(buf, data, (guint) MIN(len, (gsize) PTL_PROBE_MAX_BYTES - buf->len));
    PtlProbe a = f->d->probe(buf->data, buf->len, dir);
    fuzz_check_probe(a, "probe");
    FUZZ_CHECK(a == f->d->probe(buf->data, buf->len, dir), "probe is not pure");
    f->is_probed[dir] = a != PTL_PROBE_MAYBE;
}

/* One feed call and its contract: -1..len, an error exactly on -1.  Returns what
 * feed consumed, or -1 once the flow has failed. */
static gssize
fuzz_feed_once(FuzzFlow *f, PtlDirection dir, const guint8 *p, gsize n)
{
    GError *error = NULL;
    gssize used = f->d->feed(f->state, &f->ctx, dir, p, n, &error);
    FUZZ_CHECK(used >= -1 && used <= (gssize) n, "feed returned %" G_GSSIZE_FORMAT " for %"
               G_GSIZE_FORMAT " bytes", used, n);
    if (used < 0) {
        FUZZ_CHECK(error != NULL, "feed returned -1 without an error");
        FUZZ_CHECK(error->domain == PTL_DISSECT_ERROR, "error domain %s",
                   g_quark_to_string(error->domain));
        FUZZ_CHECK(error->message != NULL && *error->message != '\0', "error without a message");
        g_error_free(error);
        f->has_failed = TRUE;
        return -1;
    }
    FUZZ_CHECK(error == NULL, "feed returned %" G_GSSIZE_FORMAT " and set an error: %s", used,
               error->message);
    return used;
}

static void
fuzz_data(FuzzFlow *f, PtlDirection dir, const guint8 *data, gsize len)
{
    if (f->has_failed || f->is_closed[dir] || len == 0)
        return;
    fuzz_probe(f, dir, data, len);
    if (f->ctx.transport == PTL_TRANSPORT_UDP) {
        (void) fuzz_feed_once(f, dir, data, len);      /* one whole datagram a call */
        return;
    }
    GByteArray *pending = f->pending[dir];
    if (pending->len == 0) {
        gssize used = fuzz_feed_once(f, dir, data, len);
        if (used >= 0)
            g_byte_array_append(pending, data + used, (guint) (len - (gsize) used));
    } else {
        g_byte_array_append(pending, data, (guint) len);
        gssize used = fuzz_feed_once(f, dir, pending->data, pending->len);
        if (used >= 0)
            g_byte_array_remove_range(pending, 0, (guint) used);
    }
    if (pending->len > PTL_PENDING_MAX)
        f->has_failed = TRUE;          /* the core gives up on the flow here */
}

static void
fuzz_gap(FuzzFlow *f, PtlDirection dir, gsize missing)
{
    if (f->has_failed || f->is_closed[dir])
        return;
    g_byte_array_set_size(f->pending[dir], 0);
    if (f->d->gap == NULL || !f->d->gap(f->state, dir, missing))
        f->is_closed[dir] = TRUE;
}

/* emit builds one balanced object of valid, capped strings, and it prints and parses. */
static void
fuzz_emit(const PtlDissector *d, gpointer state)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, d->name);
    json_builder_begin_object(b);
    d->emit(state, b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    fuzz_check_json(b, "emit");
}

/* balanced, strings valid and cut, and what it prints parses back */
static void
fuzz_check_json(JsonBuilder *b, const char *what)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    FUZZ_CHECK(root != NULL, "%s left the JSON unbalanced", what);
    fuzz_check_json_strings(root, FUZZ_MAX_EMITTED_STRING);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    FUZZ_CHECK(json_parser_load_from_data(parser, text, -1, NULL), "%s JSON does not parse",
               what);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    const PtlDissector *d = ptl_dissector_entry();
    FUZZ_CHECK(d != NULL && d->abi_version == PTL_DISSECTOR_ABI_VERSION, "descriptor");
    FUZZ_CHECK(d->name != NULL && d->default_ports != NULL && d->probe != NULL &&
               d->state_new != NULL && d->state_free != NULL && d->feed != NULL &&
               d->emit != NULL, "a required field of %s is NULL", d->name);
    gpointer fresh = d->state_new();
    fuzz_emit(d, fresh);
    d->state_free(fresh);
    return 0;
}

static guint
fuzz_be16(const uint8_t *p)
{
    return (guint) p[0] << 8 | p[1];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FUZZ_FLOW_HEADER)
        return 0;
    const PtlDissector *d = ptl_dissector_entry();
    FuzzFlow f = { .d = d };
    gboolean is_udp = (data[0] & FUZZ_FLOW_UDP) && d->probe_datagram != NULL;
    f.ctx.fact = fuzz_fact;
    f.ctx.core_data = &f;
    f.ctx.struct_size = (guint32) sizeof f.ctx;
    f.ctx.record_begin = fuzz_record_begin;
    f.ctx.record_end = fuzz_record_end;
    f.ctx.need = fuzz_need;
    f.ctx.transport = is_udp ? PTL_TRANSPORT_UDP : PTL_TRANSPORT_TCP;
    f.ctx.server_port = (guint16) fuzz_be16(data + 1);
    f.ctx.client_port = (guint16) fuzz_be16(data + 3);
    for (int i = 0; i < 2; i++) {
        f.pending[i] = g_byte_array_new();
        f.probe_buf[i] = g_byte_array_new();
    }
    f.state = d->state_new();
    gsize pos = FUZZ_FLOW_HEADER;
    while (size - pos >= FUZZ_RECORD_HEADER) {
        guint8 ctl = data[pos];
        gsize len = fuzz_be16(data + pos + 1);
        pos += FUZZ_RECORD_HEADER;
        PtlDirection dir = (ctl & FUZZ_CTL_TO_CLIENT) ? PTL_DIR_TO_CLIENT : PTL_DIR_TO_SERVER;
        guint k = ctl >> 2;
        if (ctl & FUZZ_CTL_GAP) {
            fuzz_gap(&f, dir, (gsize) len << MIN(k, FUZZ_GAP_MAX_SHIFT));
            continue;
        }
        len = MIN(len, size - pos);
        gsize chunk = k == 0 ? len : k * k;
        for (gsize off = 0; off < len; off += chunk)
            fuzz_data(&f, dir, data + pos + off, MIN(chunk, len - off));
        pos += len;
    }
    FUZZ_CHECK(f.record == NULL, "a record was begun and never ended");
    fuzz_emit(d, f.state);
    d->state_free(f.state);
    for (int i = 0; i < 2; i++) {
        g_byte_array_unref(f.pending[i]);
        g_byte_array_unref(f.probe_buf[i]);
    }
    return 0;
}
