/* ptl-format.c: choosing a format, member access on portolan lines, and the dispatch
 * of flow lines and live events to the format's callbacks. */
#include "ptl-format-priv.h"

#include "ptl-time.h"

#include <errno.h>
#include <string.h>

static const PtlFormatOps format_portolan_ops = { "portolan", NULL, NULL, NULL, NULL };

static const PtlFormatOps *const format_table[PTL_FORMAT_COUNT] = {
    [PTL_FORMAT_PORTOLAN] = &format_portolan_ops,
    [PTL_FORMAT_EVE] = &ptl_format_eve_ops,
    [PTL_FORMAT_ZEEK] = &ptl_format_zeek_ops,
    [PTL_FORMAT_ECS] = &ptl_format_ecs_ops,
};

const char *
ptl_format_name(PtlFormat format)
{
    g_return_val_if_fail(format < PTL_FORMAT_COUNT, NULL);
    return format_table[format]->name;
}

gboolean
ptl_format_parse(const char *name, PtlFormat *out, GError **error)
{
    if (name == NULL) {
        *out = PTL_FORMAT_PORTOLAN;
        return TRUE;
    }
    for (int f = 0; f < PTL_FORMAT_COUNT; f++) {
        if (strcmp(name, format_table[f]->name) == 0) {
            *out = (PtlFormat) f;
            return TRUE;
        }
    }
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--format '%s': one of portolan, eve, zeek, ecs", name);
    return FALSE;
}

JsonNode *
ptl_format_member(JsonObject *o, const char *path)
{
    const char *dot;
    while ((dot = strchr(path, '.')) != NULL) {
        char key[64];
        gsize n = (gsize) (dot - path);
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        JsonNode *child = json_object_get_member(o, key);
        if (child == NULL || !JSON_NODE_HOLDS_OBJECT(child))
            return NULL;
        o = json_node_get_object(child);
        path = dot + 1;
    }
    return json_object_get_member(o, path);
}

const char *
ptl_format_string(JsonObject *o, const char *path)
{
    JsonNode *n = ptl_format_member(o, path);
    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

gint64
ptl_format_int(JsonObject *o, const char *path, gint64 missing)
{
    JsonNode *n = ptl_format_member(o, path);
    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return missing;
    return json_node_get_int(n);
}

gboolean
ptl_format_has_string_in(JsonObject *o, const char *path, const char *letter)
{
    const char *s = ptl_format_string(o, path);
    return s != NULL && strstr(s, letter) != NULL;
}

gint64
ptl_format_ts_ns(const char *iso)
{
    if (iso == NULL)
        return 0;
    g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(iso, NULL);
    if (t == NULL)
        return 0;
    /* microseconds are all portolan's timestamps carry */
    return g_date_time_to_unix(t) * G_GINT64_CONSTANT(1000000000) +
           (gint64) g_date_time_get_microsecond(t) * 1000;
}

const char *
ptl_format_eve_time(gint64 ts_ns, char buf[40])
{
    char iso[PTL_TS_STRLEN];
    ptl_ts_format(ts_ns, iso);
    gsize n = strlen(iso);
    if (n > 0 && iso[n - 1] == 'Z')
        iso[n - 1] = '\0';
    g_snprintf(buf, 40, "%s+0000", iso);
    return buf;
}

void
ptl_format_add_string(JsonBuilder *b, const char *key, const char *value)
{
    if (value == NULL)
        return;
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
}

void
ptl_format_add_int(JsonBuilder *b, const char *key, gint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

static void
format_write_node(PtlFormatWriter *w, JsonNode *node)
{
    json_generator_set_root(w->generator, node);
    g_autofree char *text = json_generator_to_data(w->generator, NULL);
    fputs(text, w->out);
    fputc('\n', w->out);
}

void
ptl_format_write_json(PtlFormatWriter *w, JsonBuilder *b)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    format_write_node(w, root);
}

PtlFormatWriter *
ptl_format_writer_new(PtlFormat format, FILE *out, const char *const *captures, guint n_captures)
{
    g_return_val_if_fail(format < PTL_FORMAT_COUNT, NULL);
    PtlFormatWriter *w = g_new0(PtlFormatWriter, 1);
    w->ops = format_table[format];
    w->out = out;
    w->captures = captures;
    w->n_captures = n_captures;
    w->generator = json_generator_new();
    if (w->ops->begin != NULL)
        w->ops->begin(w);
    return w;
}

void
ptl_format_writer_free(PtlFormatWriter *w)
{
    if (w == NULL)
        return;
    g_clear_pointer(&w->side, fclose);
    g_clear_object(&w->generator);
    g_free(w);
}

/* "captures": [0, 1] -> ["a.pcap", "b.pcap"]: the temp lines carry input indices */
static void
format_name_captures(PtlFormatWriter *w, JsonObject *line)
{
    JsonNode *node = json_object_get_member(line, "captures");
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return;
    JsonArray *indices = json_node_get_array(node);
    JsonArray *names = json_array_new();
    for (guint i = 0; i < json_array_get_length(indices); i++) {
        JsonNode *item = json_array_get_element(indices, i);
        if (!JSON_NODE_HOLDS_VALUE(item) || json_node_get_value_type(item) != G_TYPE_INT64)
            continue;
        gint64 index = json_node_get_int(item);
        if (index >= 0 && index < (gint64) w->n_captures)
            json_array_add_string_element(names, w->captures[index]);
    }
    json_object_set_array_member(line, "captures", names);
}

static void
format_line_findings(PtlFormatWriter *w, JsonObject *line)
{
    JsonNode *node = json_object_get_member(line, "findings");
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return;
    JsonArray *kinds = json_node_get_array(node);
    PtlFormatFinding f = {
        .ts = ptl_format_string(line, "ts_start"),
        .product = ptl_format_string(line, "product"),
        .service = ptl_format_string(line, "service"),
        .rule_file = ptl_format_string(line, "rule.file"),
        .rule_line = ptl_format_int(line, "rule.line", 0),
        .client_ip = ptl_format_string(line, "client.ip"),
        .server_ip = ptl_format_string(line, "server.ip"),
        .client_port = ptl_format_int(line, "client.port", 0),
        .server_port = ptl_format_int(line, "server.port", 0),
        .transport = ptl_format_string(line, "transport"),
        .protocol = ptl_format_string(line, "protocol"),
        .community_id = ptl_format_string(line, "community_id"),
        .flow_id = ptl_format_int(line, "id", 0),
    };
    f.ts_ns = ptl_format_ts_ns(f.ts);
    for (guint i = 0; i < json_array_get_length(kinds); i++) {
        JsonNode *item = json_array_get_element(kinds, i);
        if (JSON_NODE_HOLDS_VALUE(item) && json_node_get_value_type(item) == G_TYPE_STRING) {
            f.kind = json_node_get_string(item);
            w->ops->finding(w, &f);
        }
    }
}

void
ptl_format_writer_flow_line(PtlFormatWriter *w, const char *line, gsize len)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    JsonNode *root = NULL;
    if (json_parser_load_from_data(parser, line, (gssize) len, NULL))
        root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        fwrite(line, 1, len, w->out);   /* our own line: cannot happen; never drop it */
        fputc('\n', w->out);
        return;
    }
    g_autoptr(JsonNode) copy = json_node_copy(root);
    JsonObject *o = json_node_get_object(copy);
    format_name_captures(w, o);
    gint64 ts = ptl_format_ts_ns(ptl_format_string(o, "ts_start"));
    if (!w->has_first_ts || ts < w->first_ts_ns) {
        w->first_ts_ns = ts;
        w->has_first_ts = TRUE;
    }
    if (w->ops->flow == NULL) {
        format_write_node(w, copy);
        return;
    }
    w->ops->flow(w, o);
    format_line_findings(w, o);
}

void
ptl_format_writer_event(PtlFormatWriter *w, JsonObject *event)
{
    if (w->ops->finding == NULL) {
        g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), event);
        format_write_node(w, node);
        fflush(w->out);
        return;
    }
    PtlFormatFinding f = {
        .ts = ptl_format_string(event, "ts"),
        .kind = ptl_format_string(event, "kind"),
        .severity = ptl_format_string(event, "severity"),
        .message = ptl_format_string(event, "message"),
        .product = ptl_format_string(event, "product"),
        .service = ptl_format_string(event, "service"),
        .client_ip = ptl_format_string(event, "client"),
        .server_ip = ptl_format_string(event, "server"),
        .client_port = -1,          /* an event stands for every client port */
        .server_port = ptl_format_int(event, "port", 0),
        .transport = ptl_format_string(event, "transport"),
        .protocol = ptl_format_string(event, "protocol"),
        .community_id = ptl_format_string(event, "community_id"),
        .flow_id = ptl_format_int(event, "flow_id", 0),
    };
    f.ts_ns = ptl_format_ts_ns(f.ts);
    if (f.kind != NULL)
        w->ops->finding(w, &f);
    fflush(w->out);
}

gboolean
ptl_format_writer_end(PtlFormatWriter *w, GError **error)
{
    if (w->ops->end != NULL)
        w->ops->end(w);
    if (fflush(w->out) != 0 || ferror(w->out)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "writing %s lines: %s",
                    w->ops->name, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}
