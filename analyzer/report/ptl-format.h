/* ptl-format.h: flow lines and findings in the shapes other tools read: portolan's own
 * JSON lines, Suricata eve.json, Zeek conn.log/notice.log (TSV), Elastic Common Schema.
 * Report stage: the writers map finished portolan lines (and live events), so a member
 * added to the flow line is mapped in one place per format. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

typedef enum {
    PTL_FORMAT_PORTOLAN,
    PTL_FORMAT_EVE,
    PTL_FORMAT_ZEEK,
    PTL_FORMAT_ECS,
    PTL_FORMAT_COUNT
} PtlFormat;

/* NULL or "portolan" -> PORTOLAN; an unknown name: FALSE, "--format 'x': one of ..." */
gboolean    ptl_format_parse(const char *name, PtlFormat *out, GError **error);
const char *ptl_format_name(PtlFormat format);

typedef struct _PtlFormatWriter PtlFormatWriter;

/* captures: the input names a line's "captures" indices stand for (transfer none,
 * outlive the writer); out: transfer none.  transfer full */
PtlFormatWriter *ptl_format_writer_new(PtlFormat format, FILE *out, const char *const *captures,
                                       guint n_captures);
/* One finished portolan flow line (JSON text, with or without newline). */
void     ptl_format_writer_flow_line(PtlFormatWriter *w, const char *line, gsize len);
/* One live finding event (the --events object). */
void     ptl_format_writer_event(PtlFormatWriter *w, JsonObject *event);
/* Trailers (Zeek's #close, the notice log); FALSE when out had a write error. */
gboolean ptl_format_writer_end(PtlFormatWriter *w, GError **error);
void     ptl_format_writer_free(PtlFormatWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlFormatWriter, ptl_format_writer_free)
