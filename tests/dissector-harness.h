/* dissector-harness.h: the fake core shared by the dissector tests.
 *
 * A dissector test compiles one dissector in and reaches it only through
 * ptl_dissector_entry(), as the core does (STYLE.md section 6).  This harness
 * stands in for the core: it keeps what feed() did not consume and presents it
 * again with the next bytes (holding them while a need() hint says so), records the
 * facts and the records the dissector raises (records are part of what the split
 * runner compares), and runs the checks every dissector test makes (split
 * invariance, every truncation).
 *
 * Every helper fails the running cmocka test when the dissector breaks the ABI
 * contract.  plugins/example/test-example.c keeps its own small copy on purpose:
 * it is the template users copy out of tree, where this file does not exist. */
#pragma once

#include "ptl-module.h"

/* The one dissector (or plugin) compiled into the test, reached as the core reaches it. */
const PtlDissector *ptl_dissector_entry(void);

/* The flow the fake core pretends to carry: smb reads the port (139, 137, 138). */
typedef struct {
    PtlTransport transport;
    guint16      client_port;
    guint16      server_port;
} HarnessFlowConfig;

/* A fact the dissector raised through ctx->fact(). */
typedef struct {
    PtlFact fact;
    char   *detail;                   /* "" when the dissector gave none */
} HarnessFact;

/* The time the fake core gives every packet (ctx.ts_ns) and, as the core formats it,
 * every record's "ts". */
#define HARNESS_TS_NS G_GINT64_CONSTANT(1767225600000000000)
#define HARNESS_TS    "2026-01-01T00:00:00.000000Z"
#define HARNESS_FLOW_ID 1

/* One dissector state, fed like the core feeds it.  Tests read the fields. */
typedef struct {
    PtlFlowContext      ctx;          /* ctx.core_data points back here */
    const PtlDissector *d;
    gpointer            state;
    GByteArray         *pending[2];   /* unconsumed bytes, indexed by PtlDirection */
    gsize               max_pending;  /* the most either direction ever held */
    gssize              last_used;    /* feed's answer to the latest call */
    GArray             *facts;        /* HarnessFact, in the order raised */
    GError             *error;        /* set once feed failed: the core then stops */
    GPtrArray          *records;      /* JsonNode *, each {"kind","ts","flow_id",...} */
    JsonBuilder        *open_record;  /* between record_begin and record_end */
    gsize               need[2];      /* bytes still awaited before the next feed */
    guint64             feeds_held;   /* feeds the need() hint saved */
} HarnessFlow;

/* A run of bytes in one direction, as one TCP payload or one whole stream. */
typedef struct {
    PtlDirection  dir;
    const guint8 *data;
    gsize         len;
} HarnessSegment;

#define HARNESS_SEGMENT(dir, array) { (dir), (array), sizeof(array) }

/* Segments in the order they reach the core; the name labels failures. */
typedef struct {
    const char           *name;
    const HarnessSegment *segs;
    gsize                 n;
} HarnessScript;

#define HARNESS_SCRIPT(array) { #array, (array), G_N_ELEMENTS(array) }

/* A per-run check the split runner applies to every finished flow. */
typedef void (*HarnessFlowCheck)(const HarnessFlow *flow);

/* ---- the fake core ---- */

/* transfer full: a fresh state of the dissector linked into the test */
HarnessFlow *harness_flow_new(const HarnessFlowConfig *config);
void         harness_flow_free(HarnessFlow *flow);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HarnessFlow, harness_flow_free)

/* Appends to the direction's unconsumed bytes and feeds them all, keeping the rest;
 * zero bytes feed nothing, as in the core.  FALSE once feed failed (flow->error says
 * why); later calls do nothing. */
gboolean harness_flow_feed(HarnessFlow *flow, PtlDirection dir, const void *data, gsize len);
/* harness_flow_feed() that fails the test, naming the error, when feed refuses. */
void     harness_flow_feed_ok(HarnessFlow *flow, PtlDirection dir, const void *data, gsize len);
/* The same bytes as TCP segments of at most `chunk` octets; FALSE at the first failure. */
gboolean harness_flow_feed_chunked(HarnessFlow *flow, PtlDirection dir, const void *data,
                                   gsize len, gsize chunk);
/* Feeds every segment whole; fails the test when one is refused. */
void     harness_flow_feed_segments(HarnessFlow *flow, const HarnessSegment *segs, gsize n);
/* A hole: the core drops what it held, then asks the dissector whether it can go on. */
gboolean harness_flow_gap(HarnessFlow *flow, PtlDirection dir, gsize missing);

/* detail NULL matches any detail of that fact */
gboolean harness_flow_has_fact(const HarnessFlow *flow, PtlFact fact, const char *detail);
guint    harness_flow_count_facts(const HarnessFlow *flow, PtlFact fact, const char *detail);
/* Facts whose text ("CLEARTEXT_AUTH HTTP Cookie") starts with `prefix`. */
guint    harness_flow_count_facts_with_prefix(const HarnessFlow *flow, const char *prefix);
/* transfer full: the facts as text, one a line: "CONFIRMED 0-9-1" */
char    *harness_flow_facts_text(const HarnessFlow *flow);

/* ---- records ---- */

/* How many records of `kind` (NULL: any) the flow produced. */
guint     harness_flow_count_records(const HarnessFlow *flow, const char *kind);
/* transfer none: the i-th record's object of `kind` (NULL: any); fails the test if absent */
JsonObject *harness_flow_record(const HarnessFlow *flow, const char *kind, guint i);
/* transfer full: the records as JSON lines, in the order produced ("" when none) */
char     *harness_flow_records_text(const HarnessFlow *flow);

/* ---- emitted JSON ---- */

/* transfer full: the members emit adds, inside one object, as the core wraps them */
JsonNode *harness_emit_node(const PtlDissector *d, gpointer state);
char     *harness_emit_json(const PtlDissector *d, gpointer state);
JsonNode *harness_flow_node(const HarnessFlow *flow);
char     *harness_flow_json(const HarnessFlow *flow);
/* transfer full: the JSON, a newline, the facts text, then the records: what a run produced */
char     *harness_flow_output(const HarnessFlow *flow);

/* ---- secrets (docs/secrets.md) ---- */

/* Fails the test when `secret` appears in the emitted JSON or in any fact. */
void harness_assert_not_emitted(const HarnessFlow *flow, const char *secret);
/* What a flow says of one login: member `mechanism_key` is `mechanism`; `user_key` is
 * `user`, or absent when user is NULL; exactly one CLEARTEXT_AUTH fact, equal to `fact`,
 * or none when fact is NULL; no string of the NULL-terminated `secrets` anywhere. */
void harness_assert_auth(const HarnessFlow *flow, const char *mechanism_key,
                         const char *mechanism, const char *user_key, const char *user,
                         const char *fact, const char *const *secrets);

/* Members that must be there; transfer none. */
gint64      harness_obj_int(JsonObject *o, const char *key);
const char *harness_obj_str(JsonObject *o, const char *key);
/* Whether the string array `key` (which must be there) holds `value`. */
gboolean    harness_obj_array_has(JsonObject *o, const char *key, const char *value);

/* ---- synthetic messages, for cases no capture holds ---- */

void harness_put_bytes(GByteArray *b, const void *data, gsize len);
void harness_put_zeros(GByteArray *b, gsize n);
void harness_put_u8(GByteArray *b, guint8 v);
/* The low `size` (1..4) octets of v, most significant first: harness_put_be(b, len, 3) */
void harness_put_be(GByteArray *b, guint32 v, guint size);
/* ... least significant first */
void harness_put_le(GByteArray *b, guint32 v, guint size);

/* ---- the checks every dissector test makes ---- */

/* What the loader checks and more: the ABI version, the name, the module's version, a
 * description, every callback (gap too: each dissector here resynchronises after a
 * hole), and a datagram probe exactly when the dissector reads UDP. */
void harness_assert_descriptor(const PtlDissector *d, const char *name, const char *version,
                               gboolean has_probe_datagram);

/* transfer full: one direction of a script, concatenated */
GByteArray *harness_script_stream(const HarnessScript *script, PtlDirection dir);

/* Each segment cut once at every inner offset into two feeds emits the same JSON and
 * raises the same facts as the script fed whole.  `check` may be NULL. */
void harness_assert_split_invariant(const HarnessFlowConfig *config, const HarnessScript *script,
                                    HarnessFlowCheck check);
/* Every prefix of `data`, fed alone to a fresh state, is consumed in part (0..n) without
 * an error, and the state emits afterwards. */
void harness_assert_every_truncation(const HarnessFlowConfig *config, PtlDirection dir,
                                     const guint8 *data, gsize len);
/* The same for each direction of a script, concatenated. */
void harness_assert_script_truncations(const HarnessFlowConfig *config,
                                       const HarnessScript *script);
