/* ptl-format-zeek.c: Zeek's conn.log in its TSV format (header, conn_state, history),
 * then the findings as a notice.log block in the same stream, as zeek-cut reads it. */
#include "ptl-format-priv.h"

#include <string.h>
#include <time.h>

static const char zeek_conn_fields[] =
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
    "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id\t"
    "portolan_product\tportolan_service\tportolan_findings";
static const char zeek_conn_types[] =
    "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\t"
    "bool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring\t"
    "string\tstring\tset[string]";
static const char zeek_notice_fields[] =
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tnote\tmsg\tsub\tsrc\tdst\t"
    "p\tactions\tsuppress_for\tcommunity_id";
static const char zeek_notice_types[] =
    "time\tstring\taddr\tport\taddr\tport\tenum\tenum\tstring\tstring\taddr\taddr\tport\t"
    "set[enum]\tinterval\tstring";

static void
zeek_time(char *buf, gsize size, gint64 ns)
{
    g_snprintf(buf, size, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT, ns / 1000000000,
               (ns % 1000000000) / 1000);
}

/* #open and #close stamps: 2024-05-01-10-00-00, as Zeek writes them */
static const char *
zeek_stamp(char buf[32], gint64 ns)
{
    time_t t = (time_t) (ns / 1000000000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%d-%H-%M-%S", &tm) == 0)
        g_strlcpy(buf, "-", 32);
    return buf;
}

static void
zeek_header(FILE *out, const char *path, const char *fields, const char *types, gint64 open_ns)
{
    char open[32];
    zeek_stamp(open, open_ns);
    fprintf(out, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                 "#unset_field\t-\n#path\t%s\n#open\t%s\n#fields\t%s\n#types\t%s\n",
            path, open, fields, types);
}

static void
zeek_close(FILE *out, gint64 ns)
{
    char close[32];
    fprintf(out, "#close\t%s\n", zeek_stamp(close, ns));
}

/* A field: unset "-", and TSV's separators never inside one */
static void
zeek_field(FILE *out, const char *value, gboolean is_last)
{
    if (value == NULL || value[0] == '\0') {
        fputc('-', out);
    } else {
        for (const char *p = value; *p != '\0'; p++)
            fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, out);
    }
    fputc(is_last ? '\n' : '\t', out);
}

static void
zeek_int_field(FILE *out, gint64 v)
{
    fprintf(out, "%" G_GINT64_FORMAT "\t", v);
}

typedef struct {
    gboolean syn_o, syn_r, fin_o, fin_r, rst_o, rst_r, ack_o, ack_r;
} ZeekFlags;

static ZeekFlags
zeek_flags(JsonObject *line)
{
    ZeekFlags f = {
        ptl_format_has_string_in(line, "tcp_flags.to_server", "S"),
        ptl_format_has_string_in(line, "tcp_flags.to_client", "S"),
        ptl_format_has_string_in(line, "tcp_flags.to_server", "F"),
        ptl_format_has_string_in(line, "tcp_flags.to_client", "F"),
        ptl_format_has_string_in(line, "tcp_flags.to_server", "R"),
        ptl_format_has_string_in(line, "tcp_flags.to_client", "R"),
        ptl_format_has_string_in(line, "tcp_flags.to_server", "A"),
        ptl_format_has_string_in(line, "tcp_flags.to_client", "A"),
    };
    return f;
}

/* Zeek's conn_state from the flags each side sent (Zeek's own table, docs/formats.md) */
static const char *
zeek_conn_state(JsonObject *line)
{
    gint64 up = ptl_format_int(line, "packets.to_server", 0);
    gint64 down = ptl_format_int(line, "packets.to_client", 0);
    if (g_strcmp0(ptl_format_string(line, "transport"), "tcp") != 0)
        return up > 0 && down > 0 ? "SF" : up > 0 ? "S0" : "SHR";
    ZeekFlags f = zeek_flags(line);
    if (f.syn_o && !f.syn_r) {
        if (f.rst_r)
            return "REJ";
        if (f.rst_o)
            return "RSTOS0";
        return f.fin_o ? "SH" : "S0";
    }
    if (!f.syn_o && f.syn_r) {
        if (f.rst_r)
            return "RSTRH";
        return f.fin_r ? "SHR" : "OTH";
    }
    if (!f.syn_o && !f.syn_r)
        return "OTH";
    if (f.rst_o)
        return "RSTO";
    if (f.rst_r)
        return "RSTR";
    if (f.fin_o && f.fin_r)
        return "SF";
    if (f.fin_o)
        return "S2";
    return f.fin_r ? "S3" : "S1";
}

/* Zeek's history letters (upper case: the originator), in the order of a normal
 * connection; portolan keeps which happened, not when (docs/formats.md) */
static void
zeek_history(JsonObject *line, char out[16])
{
    int n = 0;
    gboolean is_tcp = g_strcmp0(ptl_format_string(line, "transport"), "tcp") == 0;
    ZeekFlags f = zeek_flags(line);
    if (is_tcp && f.syn_o)
        out[n++] = 'S';
    if (is_tcp && f.syn_r)
        out[n++] = 'h';
    if (is_tcp && f.ack_o)
        out[n++] = 'A';
    if (ptl_format_int(line, "payload_bytes.to_server", 0) > 0)
        out[n++] = 'D';
    if (is_tcp && f.ack_r)
        out[n++] = 'a';
    if (ptl_format_int(line, "payload_bytes.to_client", 0) > 0)
        out[n++] = 'd';
    if (is_tcp && f.fin_o)
        out[n++] = 'F';
    if (is_tcp && f.fin_r)
        out[n++] = 'f';
    if (is_tcp && f.rst_o)
        out[n++] = 'R';
    if (is_tcp && f.rst_r)
        out[n++] = 'r';
    out[n] = '\0';
}

/* Zeek's service names where they differ from portolan's */
static const char *
zeek_service(const char *protocol)
{
    if (protocol == NULL || strcmp(protocol, "unknown") == 0)
        return NULL;
    return strcmp(protocol, "tls") == 0 ? "ssl" : protocol;
}

static void
zeek_uid(char out[32], gint64 flow_id)
{
    g_snprintf(out, 32, "CP%" G_GINT64_FORMAT, flow_id);
}

static void
zeek_set(JsonObject *line, const char *key, GString *out)
{
    g_string_truncate(out, 0);
    JsonNode *node = json_object_get_member(line, key);
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return;
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *item = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_VALUE(item) || json_node_get_value_type(item) != G_TYPE_STRING)
            continue;
        if (out->len > 0)
            g_string_append_c(out, ',');
        g_string_append(out, json_node_get_string(item));
    }
    if (out->len == 0)
        g_string_assign(out, "(empty)");
}

/* the header waits for the first line: #open is the capture's time, not the clock's */
static void
zeek_flow(PtlFormatWriter *w, JsonObject *line)
{
    FILE *out = w->out;
    if (w->side_lines == 0 && w->side == NULL) {
        zeek_header(out, "conn", zeek_conn_fields, zeek_conn_types, w->first_ts_ns);
        w->side = tmpfile();    /* notices follow the conn log; NULL: written inline */
    }
    gint64 start = ptl_format_ts_ns(ptl_format_string(line, "ts_start"));
    gint64 end = ptl_format_ts_ns(ptl_format_string(line, "ts_end"));
    char text[32], uid[32], history[16];
    zeek_time(text, sizeof text, start);
    zeek_field(out, text, FALSE);
    zeek_uid(uid, ptl_format_int(line, "id", 0));
    zeek_field(out, uid, FALSE);
    zeek_field(out, ptl_format_string(line, "client.ip"), FALSE);
    zeek_int_field(out, ptl_format_int(line, "client.port", 0));
    zeek_field(out, ptl_format_string(line, "server.ip"), FALSE);
    zeek_int_field(out, ptl_format_int(line, "server.port", 0));
    zeek_field(out, ptl_format_string(line, "transport"), FALSE);
    zeek_field(out, zeek_service(ptl_format_string(line, "protocol")), FALSE);
    zeek_time(text, sizeof text, MAX(end - start, 0));
    zeek_field(out, text, FALSE);
    zeek_int_field(out, ptl_format_int(line, "payload_bytes.to_server", 0));
    zeek_int_field(out, ptl_format_int(line, "payload_bytes.to_client", 0));
    zeek_field(out, zeek_conn_state(line), FALSE);
    zeek_field(out, NULL, FALSE);                            /* local_orig: no site list */
    zeek_field(out, NULL, FALSE);                            /* local_resp */
    zeek_int_field(out, ptl_format_int(line, "gap_bytes.to_server", 0) +
                        ptl_format_int(line, "gap_bytes.to_client", 0));
    zeek_history(line, history);
    zeek_field(out, history, FALSE);
    zeek_int_field(out, ptl_format_int(line, "packets.to_server", 0));
    zeek_int_field(out, ptl_format_int(line, "bytes.to_server", 0));
    zeek_int_field(out, ptl_format_int(line, "packets.to_client", 0));
    zeek_int_field(out, ptl_format_int(line, "bytes.to_client", 0));
    zeek_field(out, "(empty)", FALSE);                       /* tunnel_parents */
    zeek_field(out, ptl_format_string(line, "community_id"), FALSE);
    zeek_field(out, ptl_format_string(line, "product"), FALSE);
    zeek_field(out, ptl_format_string(line, "service"), FALSE);
    g_autoptr(GString) findings = g_string_new(NULL);
    zeek_set(line, "findings", findings);
    zeek_field(out, findings->str, TRUE);
    w->last_ts_ns = MAX(w->last_ts_ns, end);
}

static void
zeek_finding(PtlFormatWriter *w, const PtlFormatFinding *f)
{
    FILE *out = w->side != NULL ? w->side : w->out;
    if (w->side == NULL && w->side_lines == 0)    /* live events: a notice log only */
        zeek_header(out, "notice", zeek_notice_fields, zeek_notice_types, f->ts_ns);
    w->side_lines++;
    w->last_ts_ns = MAX(w->last_ts_ns, f->ts_ns);
    char ts[32], uid[32];
    zeek_time(ts, sizeof ts, f->ts_ns);
    zeek_field(out, ts, FALSE);
    zeek_uid(uid, f->flow_id);
    zeek_field(out, f->flow_id > 0 ? uid : NULL, FALSE);
    zeek_field(out, f->client_ip, FALSE);
    if (f->client_port >= 0)
        zeek_int_field(out, f->client_port);
    else
        zeek_field(out, NULL, FALSE);
    zeek_field(out, f->server_ip, FALSE);
    zeek_int_field(out, f->server_port);
    zeek_field(out, f->transport, FALSE);
    g_autofree char *note = g_strdup_printf("Portolan::%s", f->kind);
    zeek_field(out, note, FALSE);
    g_autofree char *msg = f->message != NULL ? g_strdup(f->message)
        : f->rule_file != NULL
            ? g_strdup_printf("%s (rule %s:%" G_GINT64_FORMAT ")", f->kind, f->rule_file,
                              f->rule_line)
            : g_strdup(f->kind);
    zeek_field(out, msg, FALSE);
    g_autofree char *sub = f->product != NULL
        ? g_strdup_printf("%s %s", f->product, f->service != NULL ? f->service : "-") : NULL;
    zeek_field(out, sub, FALSE);
    zeek_field(out, f->client_ip, FALSE);
    zeek_field(out, f->server_ip, FALSE);
    zeek_int_field(out, f->server_port);
    zeek_field(out, "Notice::ACTION_LOG", FALSE);
    zeek_field(out, NULL, FALSE);                            /* suppress_for */
    zeek_field(out, f->community_id, TRUE);
}

static void
zeek_end(PtlFormatWriter *w)
{
    if (w->side == NULL) {           /* events, or no flow at all */
        if (w->side_lines > 0)
            zeek_close(w->out, w->last_ts_ns);
        return;
    }
    zeek_close(w->out, w->last_ts_ns);
    if (w->side_lines == 0)
        return;
    zeek_header(w->out, "notice", zeek_notice_fields, zeek_notice_types, w->first_ts_ns);
    rewind(w->side);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, w->side)) > 0)
        fwrite(buf, 1, n, w->out);
    zeek_close(w->out, w->last_ts_ns);
}

const PtlFormatOps ptl_format_zeek_ops = { "zeek", NULL, zeek_flow, zeek_finding,
                                           zeek_end };
