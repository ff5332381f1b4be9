/* ptl-format-ecs.c: Elastic Common Schema 8.x documents, one per line: a flow as an
 * event.kind "event" of category network, a finding as an event.kind "alert" with rule.*.
 * What ECS has no field for stays under "portolan.*" (a custom namespace, as ECS allows). */
#include "ptl-format-priv.h"

#include <string.h>

#define ECS_VERSION "8.11.0"

static void
ecs_begin_object(JsonBuilder *b, const char *key)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
}

static void
ecs_strings(JsonBuilder *b, const char *key, const char *const *values)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (; *values != NULL; values++)
        json_builder_add_string_value(b, *values);
    json_builder_end_array(b);
}

static void
ecs_common(JsonBuilder *b, const char *ts, const char *kind, const char *dataset)
{
    ptl_format_add_string(b, "@timestamp", ts);
    ecs_begin_object(b, "ecs");
    ptl_format_add_string(b, "version", ECS_VERSION);
    json_builder_end_object(b);
    ecs_begin_object(b, "observer");
    ptl_format_add_string(b, "product", "portolan");
    ptl_format_add_string(b, "type", "sensor");
    json_builder_end_object(b);
    ecs_begin_object(b, "event");
    ptl_format_add_string(b, "kind", kind);
    static const char *const category[] = { "network", NULL };
    ecs_strings(b, "category", category);
    ptl_format_add_string(b, "module", "portolan");
    ptl_format_add_string(b, "dataset", dataset);
}

/* source/destination and client/server: portolan's client is who opened the flow */
static void
ecs_endpoint(JsonBuilder *b, const char *key, const char *ip, gint64 port, gint64 bytes,
             gint64 packets)
{
    ecs_begin_object(b, key);
    ptl_format_add_string(b, "ip", ip);
    ptl_format_add_string(b, "address", ip);
    if (port >= 0)
        ptl_format_add_int(b, "port", port);
    if (bytes >= 0) {
        ptl_format_add_int(b, "bytes", bytes);
        ptl_format_add_int(b, "packets", packets);
    }
    json_builder_end_object(b);
}

static void
ecs_network(JsonBuilder *b, const char *ip, const char *transport, const char *protocol,
            const char *cid, JsonObject *line)
{
    ecs_begin_object(b, "network");
    ptl_format_add_string(b, "transport", transport);
    if (ip != NULL)
        ptl_format_add_string(b, "type", strchr(ip, ':') != NULL ? "ipv6" : "ipv4");
    if (protocol != NULL && strcmp(protocol, "unknown") != 0)
        ptl_format_add_string(b, "protocol", protocol);
    ptl_format_add_string(b, "community_id", cid);
    if (line != NULL) {
        ptl_format_add_int(b, "bytes", ptl_format_int(line, "bytes.to_server", 0) +
                                           ptl_format_int(line, "bytes.to_client", 0));
        ptl_format_add_int(b, "packets", ptl_format_int(line, "packets.to_server", 0) +
                                             ptl_format_int(line, "packets.to_client", 0));
        gint64 vlan = ptl_format_int(line, "vlan", -1);
        if (vlan >= 0) {
            ecs_begin_object(b, "vlan");
            g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, vlan);
            ptl_format_add_string(b, "id", id);
            json_builder_end_object(b);
        }
    }
    json_builder_end_object(b);
}

static void
ecs_flow(PtlFormatWriter *w, JsonObject *line)
{
    const char *start = ptl_format_string(line, "ts_start");
    const char *end = ptl_format_string(line, "ts_end");
    gint64 start_ns = ptl_format_ts_ns(start), end_ns = ptl_format_ts_ns(end);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ecs_common(b, start, "event", "portolan.flow");
    static const char *const type[] = { "connection", "end", NULL };
    ecs_strings(b, "type", type);
    ptl_format_add_string(b, "start", start);
    ptl_format_add_string(b, "end", end);
    ptl_format_add_int(b, "duration", MAX(end_ns - start_ns, 0));
    g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, ptl_format_int(line, "id", 0));
    ptl_format_add_string(b, "id", id);
    json_builder_end_object(b);                               /* event */
    const char *cip = ptl_format_string(line, "client.ip");
    const char *sip = ptl_format_string(line, "server.ip");
    gint64 cport = ptl_format_int(line, "client.port", 0);
    gint64 sport = ptl_format_int(line, "server.port", 0);
    gint64 up_b = ptl_format_int(line, "bytes.to_server", 0);
    gint64 up_p = ptl_format_int(line, "packets.to_server", 0);
    gint64 down_b = ptl_format_int(line, "bytes.to_client", 0);
    gint64 down_p = ptl_format_int(line, "packets.to_client", 0);
    ecs_endpoint(b, "source", cip, cport, up_b, up_p);
    ecs_endpoint(b, "destination", sip, sport, down_b, down_p);
    ecs_endpoint(b, "client", cip, cport, up_b, up_p);
    ecs_endpoint(b, "server", sip, sport, down_b, down_p);
    ecs_network(b, cip, ptl_format_string(line, "transport"), ptl_format_string(line, "protocol"),
                ptl_format_string(line, "community_id"), line);
    /* the whole portolan line, for what ECS has no field for (service, rule, app ...) */
    json_builder_set_member_name(b, "portolan");
    g_autoptr(JsonNode) copy = json_node_init_object(json_node_alloc(), line);
    json_builder_add_value(b, g_steal_pointer(&copy));
    json_builder_end_object(b);
    ptl_format_write_json(w, b);
}

static void
ecs_finding(PtlFormatWriter *w, const PtlFormatFinding *f)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ecs_common(b, f->ts, "alert", "portolan.finding");
    static const char *const type[] = { "connection", "denied", NULL };
    static const char *const info[] = { "connection", "info", NULL };
    ecs_strings(b, "type", g_strcmp0(f->severity, "info") == 0 ? info : type);
    if (f->severity != NULL)
        ptl_format_add_int(b, "severity", g_strcmp0(f->severity, "error") == 0 ? 73
                                        : g_strcmp0(f->severity, "warning") == 0 ? 47 : 21);
    json_builder_end_object(b);                               /* event */
    ptl_format_add_string(b, "message", f->message);
    ecs_begin_object(b, "rule");
    ptl_format_add_string(b, "name", f->kind);
    ptl_format_add_string(b, "category", f->kind);
    ptl_format_add_string(b, "ruleset", f->product);
    if (f->rule_file != NULL) {
        g_autofree char *ref = g_strdup_printf("%s:%" G_GINT64_FORMAT, f->rule_file,
                                               f->rule_line);
        ptl_format_add_string(b, "id", ref);
    }
    json_builder_end_object(b);
    ecs_endpoint(b, "source", f->client_ip, f->client_port, -1, 0);
    ecs_endpoint(b, "destination", f->server_ip, f->server_port, -1, 0);
    ecs_endpoint(b, "client", f->client_ip, f->client_port, -1, 0);
    ecs_endpoint(b, "server", f->server_ip, f->server_port, -1, 0);
    ecs_network(b, f->client_ip, f->transport, f->protocol, f->community_id, NULL);
    ecs_begin_object(b, "portolan");
    ptl_format_add_string(b, "kind", f->kind);
    ptl_format_add_string(b, "severity", f->severity);
    ptl_format_add_string(b, "product", f->product);
    ptl_format_add_string(b, "service", f->service);
    if (f->flow_id > 0)
        ptl_format_add_int(b, "flow_id", f->flow_id);
    json_builder_end_object(b);
    json_builder_end_object(b);
    ptl_format_write_json(w, b);
}

const PtlFormatOps ptl_format_ecs_ops = { "ecs", NULL, ecs_flow, ecs_finding, NULL };
