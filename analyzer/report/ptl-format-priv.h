/* ptl-format-priv.h: what the format writers (ptl-format-*.c) share: one table of
 * callbacks per format, member access on portolan lines, and the finding view that
 * flow lines and live events both become. */
#pragma once

#include "ptl-format.h"

/* One finding, from a flow line's "findings" or a live event; strings may be NULL. */
typedef struct {
    const char *ts;             /* ISO 8601, the flow's start */
    gint64      ts_ns;
    const char *kind;           /* "source-not-allowed" */
    const char *severity;       /* "error"...; NULL: the flow line does not say */
    const char *message;
    const char *product, *service;
    const char *rule_file;      /* rules file and line of the matching rule, or NULL */
    gint64      rule_line;
    const char *client_ip, *server_ip;
    gint64      client_port, server_port;
    const char *transport, *protocol, *community_id;
    gint64      flow_id;
} PtlFormatFinding;

typedef struct {
    const char *name;
    void (*begin)(PtlFormatWriter *w);                                  /* may be NULL */
    void (*flow)(PtlFormatWriter *w, JsonObject *line);
    void (*finding)(PtlFormatWriter *w, const PtlFormatFinding *finding);
    void (*end)(PtlFormatWriter *w);                                    /* may be NULL */
} PtlFormatOps;

struct _PtlFormatWriter {
    const PtlFormatOps *ops;
    FILE               *out;
    FILE               *side;        /* zeek: notice lines until the end; else NULL */
    guint64             side_lines;
    const char *const  *captures;
    guint               n_captures;
    JsonGenerator      *generator;
    gint64              first_ts_ns; /* zeek's #open and #close: capture time */
    gint64              last_ts_ns;
    gboolean            has_first_ts;
};

extern const PtlFormatOps ptl_format_eve_ops;
extern const PtlFormatOps ptl_format_zeek_ops;
extern const PtlFormatOps ptl_format_ecs_ops;

/* Member at a dotted path ("packets.to_server"); NULL when missing; transfer none */
JsonNode   *ptl_format_member(JsonObject *o, const char *path);
const char *ptl_format_string(JsonObject *o, const char *path);        /* NULL unless a string */
gint64      ptl_format_int(JsonObject *o, const char *path, gint64 missing);
gboolean    ptl_format_has_string_in(JsonObject *o, const char *path, const char *letter);
/* "2024-05-01T10:00:00.004860Z" -> ns since the epoch; 0 when not a timestamp */
gint64      ptl_format_ts_ns(const char *iso);
/* Writes the builder's root as one JSON line. */
void        ptl_format_write_json(PtlFormatWriter *w, JsonBuilder *b);
/* builder helpers: skip the member when value is NULL */
void        ptl_format_add_string(JsonBuilder *b, const char *key, const char *value);
void        ptl_format_add_int(JsonBuilder *b, const char *key, gint64 value);
/* "2024-05-01T10:00:00.004860+0000", as Suricata writes times */
const char *ptl_format_eve_time(gint64 ts_ns, char buf[40]);
