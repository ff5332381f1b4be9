/* ptl-records.h: dissector records as JSON lines (--records, and live --events), one
 * object a line: {"kind", "ts", "flow_id", ...the dissector's members}.  Like Zeek's
 * http.log or Suricata's eve http events; the flow line with that id says the rest. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

/* Writes one record as a line and flushes nothing (the caller decides); FALSE on a
 * write error, which the caller reports once. */
gboolean ptl_records_write_line(FILE *out, JsonNode *record);
