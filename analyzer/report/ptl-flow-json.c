/* ptl-flow-json.c: flows as JSON lines (like Suricata's eve flow or Zeek's conn.log). */
#include "ptl-flow-json.h"

#include "ptl-community-id.h"
#include "ptl-connection.h"
#include "ptl-tunnel-json.h"
#include "ptl-report.h"
#include "ptl-report-filter.h"

#include <errno.h>
#include <string.h>

static const char *
flow_json_transport(guint8 proto)
{
    return proto == PTL_TRANSPORT_TCP ? "tcp" : "udp";
}

static const char *
flow_json_end_name(PtlFlowEnd why)
{
    static const char *const names[] = { "capture-end", "idle", "evicted", "reused" };
    return names[why];
}

void
ptl_flow_record_fill(PtlFlowRecord *rec, const PtlFlow *flow, PtlFlowEnd why, const PtlApp *app)
{
    memset(rec, 0, sizeof *rec);
    rec->id = flow->id;
    rec->client = flow->client_ip;
    rec->server = flow->server_ip;
    rec->transport = flow->proto;
    rec->client_port = flow->client_port;
    rec->server_port = flow->server_port;
    rec->state = ptl_flow_state(flow, why);
    rec->refusal = (guint8) ptl_flow_refusal(flow);
    rec->icmp_type = flow->icmp_type;
    rec->icmp_code = flow->icmp_code;
    rec->handshake = (guint8) ptl_flow_handshake(flow);
    const PtlFlowDirStats *up = &flow->dir[PTL_DIR_TO_SERVER];
    const PtlFlowDirStats *down = &flow->dir[PTL_DIR_TO_CLIENT];
    rec->first_ts_ns = up->first_ts_ns != 0 ? up->first_ts_ns : down->first_ts_ns;
    rec->last_ts_ns = flow->last_ts_ns;
    rec->packets = up->packets + down->packets;
    rec->bytes = up->bytes + down->bytes;
    if (flow->tunnel != NULL)
        rec->tunnel = *flow->tunnel;
    if (app == NULL)
        return;
    /* plugin names live in resident modules; the others are literals.  Bytes no
     * dissector could decide on are unconfirmed, like no payload: no verdict on them */
    if (ptl_app_status(app) != PTL_APP_UNDECIDED)
        rec->protocol = ptl_app_protocol(app);
    rec->upgraded_from = ptl_app_upgraded_from(app);
    for (int f = 0; f < PTL_FACT_COUNT; f++)
        if (ptl_app_has_fact(app, (PtlFact) f))
            rec->facts |= 1u << f;
    const GPtrArray *auth = ptl_app_fact_details(app, PTL_FACT_CLEARTEXT_AUTH);
    if (auth != NULL && auth->len > 0)
        g_strlcpy(rec->auth_detail, g_ptr_array_index(auth, 0), sizeof rec->auth_detail);
}

static void
flow_json_endpoint(JsonBuilder *b, const char *key, const PtlAddr *addr, guint16 port)
{
    char text[PTL_ADDR_STRLEN];
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ip");
    json_builder_add_string_value(b, ptl_addr_to_string(addr, text));
    ptl_emit_int(b, "port", port);
    json_builder_end_object(b);
}

static void
flow_json_pair(JsonBuilder *b, const char *key, guint64 to_server, guint64 to_client)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    ptl_emit_int(b, "to_server", (gint64) to_server);
    ptl_emit_int(b, "to_client", (gint64) to_client);
    json_builder_end_object(b);
}

static void
flow_json_flags(char *out, guint8 flags)
{
    static const char letters[] = "FSRPAUEC"; /* bit order of the TCP flags byte */
    int n = 0;
    for (int bit = 0; bit < 8; bit++)
        if (flags & (1u << bit))
            out[n++] = letters[bit];
    out[n] = '\0';
}

static void
flow_json_tcp(JsonBuilder *b, const PtlFlow *flow)
{
    const PtlStream *up = ptl_flow_stream(flow, PTL_DIR_TO_SERVER);
    const PtlStream *down = ptl_flow_stream(flow, PTL_DIR_TO_CLIENT);
    char flags_up[9], flags_down[9];
    flow_json_flags(flags_up, flow->dir[PTL_DIR_TO_SERVER].tcp_flags);
    flow_json_flags(flags_down, flow->dir[PTL_DIR_TO_CLIENT].tcp_flags);
    json_builder_set_member_name(b, "tcp_flags");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "to_server");
    json_builder_add_string_value(b, flags_up);
    json_builder_set_member_name(b, "to_client");
    json_builder_add_string_value(b, flags_down);
    json_builder_end_object(b);
    flow_json_pair(b, "retransmissions", up->retransmitted, down->retransmitted);
    flow_json_pair(b, "out_of_order", up->out_of_order, down->out_of_order);
}

/* input file indices; the report stage turns them into names (ptl_flow_lines_finish) */
static void
flow_json_captures(JsonBuilder *b, guint32 file_bits)
{
    json_builder_set_member_name(b, "captures");
    json_builder_begin_array(b);
    for (guint i = 0; i < 32; i++)
        if (file_bits & (1u << i))
            json_builder_add_int_value(b, i);
    json_builder_end_array(b);
}

void
ptl_flow_json_add(JsonBuilder *b, const PtlFlow *flow, PtlFlowEnd why, PtlApp *app,
                  const PtlPluginSet *plugins)
{
    const PtlFlowDirStats *up = &flow->dir[PTL_DIR_TO_SERVER];
    const PtlFlowDirStats *down = &flow->dir[PTL_DIR_TO_CLIENT];
    char ts[PTL_TS_STRLEN];
    gint64 start = up->first_ts_ns != 0 ? up->first_ts_ns : down->first_ts_ns;
    if (down->first_ts_ns != 0 && down->first_ts_ns < start)
        start = down->first_ts_ns;
    ptl_emit_string(b, "schema", PTL_FLOW_SCHEMA, -1);
    ptl_emit_string(b, "event_type", "flow", -1);
    ptl_emit_int(b, "id", (gint64) flow->id);
    ptl_emit_string(b, "ts_start", ptl_ts_format(start, ts), -1);
    ptl_emit_string(b, "ts_end", ptl_ts_format(flow->last_ts_ns, ts), -1);
    json_builder_set_member_name(b, "duration");
    json_builder_add_double_value(b, (double) MAX(flow->last_ts_ns - start, 0) / 1e9);
    char community_id[PTL_COMMUNITY_ID_STRLEN];
    ptl_emit_string(b, "community_id", ptl_community_id_flow(&flow->client_ip,
                    flow->client_port, &flow->server_ip, flow->server_port, flow->proto,
                    community_id), -1);
    flow_json_captures(b, flow->file_bits);
    ptl_emit_string(b, "transport", flow_json_transport(flow->proto), -1);
    flow_json_endpoint(b, "client", &flow->client_ip, flow->client_port);
    flow_json_endpoint(b, "server", &flow->server_ip, flow->server_port);
    ptl_emit_string(b, "initiator", ptl_initiator_name(flow->initiator), -1);
    ptl_emit_string(b, "state", ptl_flow_state_name(ptl_flow_state(flow, why)), -1);
    ptl_emit_string(b, "end", flow_json_end_name(why), -1);
    ptl_emit_string(b, "directions", ptl_directions_name(ptl_flow_directions(flow)), -1);
    json_builder_set_member_name(b, "handshake");
    const char *handshake = ptl_handshake_name(ptl_flow_handshake(flow));
    if (handshake != NULL)
        json_builder_add_string_value(b, handshake);
    else
        json_builder_add_null_value(b);
    flow_json_pair(b, "packets", up->packets, down->packets);
    flow_json_pair(b, "bytes", up->bytes, down->bytes);
    flow_json_pair(b, "payload_bytes", up->payload_bytes, down->payload_bytes);
    if (flow->proto == PTL_TRANSPORT_TCP)
        flow_json_tcp(b, flow);
    /* every flow has gaps, so consumers need no special case for UDP (always 0) */
    const PtlStream *up_stream = ptl_flow_stream(flow, PTL_DIR_TO_SERVER);
    const PtlStream *down_stream = ptl_flow_stream(flow, PTL_DIR_TO_CLIENT);
    flow_json_pair(b, "gaps", up_stream->gaps, down_stream->gaps);
    flow_json_pair(b, "gap_bytes", up_stream->gap_bytes, down_stream->gap_bytes);
    json_builder_set_member_name(b, "vlan");
    if (flow->vlan != 0)
        json_builder_add_int_value(b, flow->vlan);
    else
        json_builder_add_null_value(b);
    if (flow->inner_vlan != 0)
        ptl_emit_int(b, "inner_vlan", flow->inner_vlan);
    ptl_tunnel_json_add(b, "tunnel", flow->tunnel);
    if (flow->is_refused && flow->icmp_type != 0) {
        json_builder_set_member_name(b, "icmp");
        json_builder_begin_object(b);
        ptl_emit_int(b, "type", flow->icmp_type);
        ptl_emit_int(b, "code", flow->icmp_code);
        char meaning[PTL_CONNECTION_TEXT_MAX];
        ptl_emit_string(b, "meaning", ptl_connection_icmp_text(flow->client_ip.family,
                        flow->icmp_type, flow->icmp_code, NULL, meaning), -1);
        json_builder_end_object(b);
    }
    if (app != NULL)
        ptl_app_emit(app, b);
    else
        ptl_app_emit_none(plugins, (PtlTransport) flow->proto, flow->server_port, b);
}

static char *
flow_json_to_string(JsonBuilder *b)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

char *
ptl_flow_json_line(const PtlFlow *flow, PtlFlowEnd why, PtlApp *app, const PtlPluginSet *plugins)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ptl_flow_json_add(b, flow, why, app, plugins);
    json_builder_end_object(b);
    return flow_json_to_string(b);
}

/* "{...}" + "{"product":...}" -> "{..., "product":...}", to the format writer */
static void
flow_lines_splice(PtlFormatWriter *out, GString *joined, const char *line, gsize len,
                  const char *extra)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    gsize extra_len = strlen(extra);
    g_string_truncate(joined, 0);
    if (len < 2 || line[len - 1] != '}' || extra_len <= 2) {
        g_string_append_len(joined, line, (gssize) len);
    } else {
        g_string_append_len(joined, line, (gssize) len - 1);
        g_string_append_c(joined, ',');
        g_string_append_len(joined, extra + 1, (gssize) extra_len - 1);
    }
    ptl_format_writer_flow_line(out, joined->str, joined->len);
}

gboolean
ptl_flow_lines_finish(FILE *lines, FILE *records, PtlVerdict *verdict,
                      const PtlReportFilter *filter, PtlFormatWriter *out, GError **error)
{
    g_autoptr(GString) joined = g_string_new(NULL);
    rewind(lines);
    if (records != NULL)
        rewind(records);
    g_autofree char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, lines)) > 0) {
        PtlFlowRecord rec;
        g_autofree char *extra = NULL;
        gboolean has_record = records != NULL && fread(&rec, sizeof rec, 1, records) == 1;
        if (has_record && ptl_report_filter_is_active(filter)) {
            PtlFlowJudgement j;
            if (verdict != NULL)
                ptl_verdict_judge_record(verdict, &rec, &j);
            if (!ptl_report_filter_flow(filter, &rec, verdict != NULL ? &j : NULL))
                continue;
        }
        if (verdict != NULL && has_record) {
            g_autoptr(JsonBuilder) b = json_builder_new();
            json_builder_begin_object(b);
            ptl_report_json_flow_verdict(verdict, &rec, b);
            json_builder_end_object(b);
            extra = flow_json_to_string(b);
        }
        flow_lines_splice(out, joined, line, (gsize) len, extra != NULL ? extra : "{}");
    }
    return ptl_format_writer_end(out, error);
}
