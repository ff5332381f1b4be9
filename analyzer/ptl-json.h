/* ptl-json.h: small json-glib helpers the core's writers share (modules have
 * theirs in ptl-dissector.h). */
#pragma once

#include <json-glib/json-glib.h>

/* key: value, or key: null when value is NULL */
static inline void
ptl_json_string_or_null(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}
