/* ptl-tunnel-json.c: tunnel contexts as JSON. */
#include "ptl-tunnel-json.h"

#include "ptl-decap.h"
#include "ptl-json.h"
#include "ptl-time.h"

const char *
ptl_tunnel_id_kind(guint8 type)
{
    switch (type) {
    case PTL_TUNNEL_VXLAN:
    case PTL_TUNNEL_GENEVE:
        return "vni";
    case PTL_TUNNEL_GRE:
        return "key";
    case PTL_TUNNEL_ERSPAN:
        return "session";
    case PTL_TUNNEL_GTPU:
        return "teid";
    default:
        return NULL;
    }
}

void
ptl_tunnel_json_members(JsonBuilder *b, const PtlTunnel *tunnel, gboolean with_counts)
{
    char src[PTL_ADDR_STRLEN], dst[PTL_ADDR_STRLEN];
    ptl_json_string_or_null(b, "type", ptl_tunnel_type_name((PtlTunnelType) tunnel->type));
    ptl_json_string_or_null(b, "outer_src", ptl_addr_to_string(&tunnel->outer_src, src));
    ptl_json_string_or_null(b, "outer_dst", ptl_addr_to_string(&tunnel->outer_dst, dst));
    json_builder_set_member_name(b, "id");
    if (tunnel->has_key)
        json_builder_add_int_value(b, tunnel->key);
    else
        json_builder_add_null_value(b);
    ptl_json_string_or_null(b, "id_kind", tunnel->has_key ? ptl_tunnel_id_kind(tunnel->type)
                                                           : NULL);
    json_builder_set_member_name(b, "depth");
    json_builder_add_int_value(b, tunnel->depth);
    if (!with_counts)
        return;
    char ts[PTL_TS_STRLEN];
    json_builder_set_member_name(b, "packets");
    json_builder_add_int_value(b, (gint64) tunnel->packets);
    json_builder_set_member_name(b, "bytes");
    json_builder_add_int_value(b, (gint64) tunnel->bytes);
    ptl_json_string_or_null(b, "first_ts", ptl_ts_format(tunnel->first_ts_ns, ts));
    ptl_json_string_or_null(b, "last_ts", ptl_ts_format(tunnel->last_ts_ns, ts));
}

void
ptl_tunnel_json_add(JsonBuilder *b, const char *key, const PtlTunnel *tunnel)
{
    json_builder_set_member_name(b, key);
    if (tunnel == NULL || tunnel->id == 0) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    ptl_tunnel_json_members(b, tunnel, FALSE);
    json_builder_end_object(b);
}
