/* ptl-report-html.h: the ticket report, one self-contained HTML page drawn
 * from the JSON report alone (docs/report.md).
 *
 * No external resource (CSS, script and pictures inline, a Content-Security-
 * Policy forbidding any fetch), complete without JavaScript (the small inline
 * script only sorts tables and filters rows), printable.  Every string is
 * escaped: a capture's bytes are hostile. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* HTML-escaped text appended to out: & < > " ' */
void ptl_html_escape(GString *out, const char *text);
/* Appends a printf-formatted string whose %s arguments are escaped
 * (g_markup_vprintf_escaped). */
void ptl_html_printf(GString *out, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* seconds since the epoch of an RFC 3339 time ("2024-05-01T10:00:00.5Z"); FALSE if none */
gboolean ptl_html_parse_ts(const char *text, double *out);

/* The page; transfer full */
char *ptl_report_html(JsonObject *report);

/* ptl-report-svg.c: the pictures, inline SVG with a deterministic layout. */
void ptl_report_svg_graph(GString *out, JsonObject *report);
void ptl_report_svg_timeline(GString *out, JsonObject *report);
