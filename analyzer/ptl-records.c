/* ptl-records.c: dissector records as JSON lines (see the header). */
#include "ptl-records.h"

gboolean
ptl_records_write_line(FILE *out, JsonNode *record)
{
    g_autofree char *line = json_to_string(record, FALSE);
    return fputs(line, out) >= 0 && fputc('\n', out) != EOF;
}
