/* ptl-format-eve.c: Suricata eve.json: "flow" events and findings as "alert" events
 * (docs/formats.md lists every member and where it comes from). */
#include "ptl-format-priv.h"

#include "ptl-verdict.h"

#include <string.h>

/* signature_id of a finding: a private range (Suricata's local rules start at 1000000) */
#define EVE_SIGNATURE_ID_BASE 9100000

static const char *
eve_proto(const char *transport)
{
    return g_strcmp0(transport, "udp") == 0 ? "UDP" : "TCP";
}

/* Suricata's app_proto: the protocol, "failed" when bytes were not recognised */
static const char *
eve_app_proto(JsonObject *line)
{
    const char *p = ptl_format_string(line, "protocol");
    if (p == NULL)
        return NULL;
    return strcmp(p, "unknown") == 0 ? "failed" : p;
}

/* portolan's state -> Suricata's flow.state: new, established, closed */
static const char *
eve_state(const char *state)
{
    if (g_strcmp0(state, "closed") == 0 || g_strcmp0(state, "reset") == 0 ||
        g_strcmp0(state, "refused") == 0)
        return "closed";
    if (g_strcmp0(state, "established") == 0 || g_strcmp0(state, "active") == 0 ||
        g_strcmp0(state, "bidirectional") == 0)
        return "established";
    return "new";
}

/* portolan's end -> Suricata's flow.reason: timeout, forced, shutdown */
static const char *
eve_reason(const char *end)
{
    if (g_strcmp0(end, "idle") == 0)
        return "timeout";
    if (g_strcmp0(end, "capture-end") == 0)
        return "shutdown";
    return "forced";
}

static void
eve_header(JsonBuilder *b, gint64 ts_ns, gint64 flow_id, const char *event_type,
           const char *src_ip, gint64 src_port, const char *dest_ip, gint64 dest_port,
           const char *transport)
{
    char ts[40];
    ptl_format_add_string(b, "timestamp", ptl_format_eve_time(ts_ns, ts));
    ptl_format_add_int(b, "flow_id", flow_id);
    ptl_format_add_string(b, "event_type", event_type);
    ptl_format_add_string(b, "src_ip", src_ip);
    if (src_port >= 0)
        ptl_format_add_int(b, "src_port", src_port);
    ptl_format_add_string(b, "dest_ip", dest_ip);
    ptl_format_add_int(b, "dest_port", dest_port);
    ptl_format_add_string(b, "proto", eve_proto(transport));
}

static void
eve_tcp(JsonBuilder *b, JsonObject *line)
{
    json_builder_set_member_name(b, "tcp");
    json_builder_begin_object(b);
    static const struct { char letter; const char *name; } flags[] = {
        { 'S', "syn" }, { 'F', "fin" }, { 'R', "rst" }, { 'P', "psh" }, { 'A', "ack" },
        { 'U', "urg" }, { 'E', "ecn" }, { 'C', "cwr" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(flags); i++) {
        char letter[2] = { flags[i].letter, '\0' };
        if (ptl_format_has_string_in(line, "tcp_flags.to_server", letter) ||
            ptl_format_has_string_in(line, "tcp_flags.to_client", letter)) {
            json_builder_set_member_name(b, flags[i].name);
            json_builder_add_boolean_value(b, TRUE);
        }
    }
    json_builder_end_object(b);
}

static void
eve_flow(PtlFormatWriter *w, JsonObject *line)
{
    gint64 start = ptl_format_ts_ns(ptl_format_string(line, "ts_start"));
    gint64 end = ptl_format_ts_ns(ptl_format_string(line, "ts_end"));
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    eve_header(b, start, ptl_format_int(line, "id", 0), "flow",
               ptl_format_string(line, "client.ip"), ptl_format_int(line, "client.port", 0),
               ptl_format_string(line, "server.ip"), ptl_format_int(line, "server.port", 0),
               ptl_format_string(line, "transport"));
    ptl_format_add_string(b, "app_proto", eve_app_proto(line));
    json_builder_set_member_name(b, "flow");
    json_builder_begin_object(b);
    ptl_format_add_int(b, "pkts_toserver", ptl_format_int(line, "packets.to_server", 0));
    ptl_format_add_int(b, "pkts_toclient", ptl_format_int(line, "packets.to_client", 0));
    ptl_format_add_int(b, "bytes_toserver", ptl_format_int(line, "bytes.to_server", 0));
    ptl_format_add_int(b, "bytes_toclient", ptl_format_int(line, "bytes.to_client", 0));
    char ts[40];
    ptl_format_add_string(b, "start", ptl_format_eve_time(start, ts));
    ptl_format_add_string(b, "end", ptl_format_eve_time(end, ts));
    ptl_format_add_int(b, "age", MAX(end - start, 0) / G_GINT64_CONSTANT(1000000000));
    ptl_format_add_string(b, "state", eve_state(ptl_format_string(line, "state")));
    ptl_format_add_string(b, "reason", eve_reason(ptl_format_string(line, "end")));
    JsonNode *findings = json_object_get_member(line, "findings");
    json_builder_set_member_name(b, "alerted");
    json_builder_add_boolean_value(b, findings != NULL && JSON_NODE_HOLDS_ARRAY(findings) &&
                                   json_array_get_length(json_node_get_array(findings)) > 0);
    json_builder_end_object(b);
    if (g_strcmp0(ptl_format_string(line, "transport"), "tcp") == 0)
        eve_tcp(b, line);
    ptl_format_add_string(b, "community_id", ptl_format_string(line, "community_id"));
    json_builder_end_object(b);
    ptl_format_write_json(w, b);
}

/* Suricata: 1 high, 2 medium, 3 low */
static int
eve_severity(const char *severity)
{
    if (g_strcmp0(severity, "error") == 0)
        return 1;
    return g_strcmp0(severity, "warning") == 0 ? 2 : 3;
}

static gint64
eve_signature_id(const char *kind)
{
    for (int k = 0; k < PTL_FINDING_KIND_COUNT; k++)
        if (g_strcmp0(kind, ptl_finding_kind_name((PtlFindingKind) k)) == 0)
            return EVE_SIGNATURE_ID_BASE + k;
    return EVE_SIGNATURE_ID_BASE + PTL_FINDING_KIND_COUNT;
}

static void
eve_finding(PtlFormatWriter *w, const PtlFormatFinding *f)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    eve_header(b, f->ts_ns, f->flow_id, "alert", f->client_ip, f->client_port, f->server_ip,
               f->server_port, f->transport);
    if (f->protocol != NULL)
        ptl_format_add_string(b, "app_proto",
                              strcmp(f->protocol, "unknown") == 0 ? "failed" : f->protocol);
    json_builder_set_member_name(b, "alert");
    json_builder_begin_object(b);
    ptl_format_add_string(b, "action", "allowed");   /* portolan observes, never blocks */
    ptl_format_add_int(b, "gid", 1);
    ptl_format_add_int(b, "signature_id", eve_signature_id(f->kind));
    ptl_format_add_int(b, "rev", 1);
    g_autofree char *signature = f->rule_file != NULL
        ? g_strdup_printf("portolan %s %s:%" G_GINT64_FORMAT, f->kind, f->rule_file, f->rule_line)
        : g_strdup_printf("portolan %s", f->kind);
    ptl_format_add_string(b, "signature", signature);
    ptl_format_add_string(b, "category", f->product != NULL ? f->product : "portolan");
    if (f->severity != NULL)
        ptl_format_add_int(b, "severity", eve_severity(f->severity));
    json_builder_set_member_name(b, "metadata");
    json_builder_begin_object(b);
    static const char *const keys[] = { "product", "service", "message" };
    const char *values[] = { f->product, f->service, f->message };
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (values[i] == NULL)
            continue;
        json_builder_set_member_name(b, keys[i]);
        json_builder_begin_array(b);
        json_builder_add_string_value(b, values[i]);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    ptl_format_add_string(b, "community_id", f->community_id);
    json_builder_end_object(b);
    ptl_format_write_json(w, b);
}

const PtlFormatOps ptl_format_eve_ops = { "eve", NULL, eve_flow, eve_finding, NULL };
