/* ptl-tunnel-json.h: a tunnel context as JSON, for flow lines, findings and
 * the report's tunnels section. */
#pragma once

#include <json-glib/json-glib.h>

#include "ptl-decode.h"

/* key: {type, outer_src, outer_dst, id, id_kind, depth}, or key: null when
 * tunnel is NULL or has id 0 (not tunnelled) */
void ptl_tunnel_json_add(JsonBuilder *b, const char *key, const PtlTunnel *tunnel);
/* The same members plus packets, bytes, first_ts, last_ts, in an open object */
void ptl_tunnel_json_members(JsonBuilder *b, const PtlTunnel *tunnel, gboolean with_counts);
/* "vni", "key", "session", "teid" or NULL: what the id of a tunnel type is */
const char *ptl_tunnel_id_kind(guint8 type);
