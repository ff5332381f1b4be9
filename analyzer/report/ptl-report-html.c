/* ptl-report-html.c: the ticket report as one self-contained HTML page, drawn
 * from the JSON report and nothing else (so `portolan report` re-renders a
 * saved report byte for byte). */
#include "ptl-report-html.h"

#include "ptl-report.h"
#include "ptl-report-groups.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#define HTML_MAX_FINDINGS_LISTED 2000   /* detail cards; the rest are counted */

/* ---- escaping ---------------------------------------------------------- */

void
ptl_html_escape(GString *out, const char *text)
{
    g_autofree char *escaped = g_markup_escape_text(text != NULL ? text : "", -1);
    g_string_append(out, escaped);
}

void
ptl_html_printf(GString *out, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *text = g_markup_vprintf_escaped(format, args);
    va_end(args);
    g_string_append(out, text);
}

gboolean
ptl_html_parse_ts(const char *text, double *out)
{
    if (text == NULL)
        return FALSE;
    g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(text, NULL);
    if (t == NULL)
        return FALSE;
    *out = (double) g_date_time_to_unix(t) + g_date_time_get_microsecond(t) / 1e6;
    return TRUE;
}

/* ---- small readers ----------------------------------------------------- */

static JsonObject *
html_object(JsonObject *o, const char *key)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
    return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *
html_array(JsonObject *o, const char *key)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
    return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static guint
html_len(JsonArray *a)
{
    return a != NULL ? json_array_get_length(a) : 0;
}

static JsonObject *
html_element(JsonArray *a, guint i)
{
    JsonNode *n = json_array_get_element(a, i);
    return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static gboolean
html_bool(JsonObject *o, const char *key)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
    return n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
           json_node_get_value_type(n) == G_TYPE_BOOLEAN && json_node_get_boolean(n);
}

static const char *
html_str(JsonObject *o, const char *key)
{
    const char *s = ptl_report_json_string(o, key);
    return s != NULL ? s : "";
}

/* "a, b, c" of a string array */
static char *
html_join(JsonArray *a)
{
    GString *text = g_string_new(NULL);
    for (guint i = 0; i < html_len(a); i++) {
        JsonNode *n = json_array_get_element(a, i);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            g_string_append_printf(text, "%s%s", text->len > 0 ? ", " : "",
                                   json_node_get_string(n));
    }
    return g_string_free(text, FALSE);
}

/* <td> holding a number, sortable by its value */
static void
html_td_int(GString *h, gint64 value)
{
    g_string_append_printf(h, "<td class=\"n\" data-v=\"%" G_GINT64_FORMAT "\">%" G_GINT64_FORMAT
                           "</td>", value, value);
}

static void
html_td_bytes(GString *h, gint64 value)
{
    char human[16];
    g_string_append_printf(h, "<td class=\"n\" data-v=\"%" G_GINT64_FORMAT "\">%s</td>", value,
                           ptl_report_human_bytes((guint64) MAX(value, 0), human));
}

static void
html_td(GString *h, const char *text)
{
    ptl_html_printf(h, "<td>%s</td>", text != NULL ? text : "");
}

static void
html_head_row(GString *h, const char *const *names)
{
    g_string_append(h, "<thead><tr>");
    for (const char *const *name = names; *name != NULL; name++)
        ptl_html_printf(h, "<th>%s</th>", *name);
    g_string_append(h, "</tr></thead>\n<tbody>\n");
}

/* ---- page frame -------------------------------------------------------- */

static const char html_style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1a1a1a;"
    "max-width:1180px;margin:0 auto;padding:0 16px 40px}"
    "h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:2px solid #ddd;padding-bottom:3px}h3{font-size:15px;margin:18px 0 6px}"
    "table{border-collapse:collapse;margin:6px 0 12px;width:100%}"
    "th,td{border:1px solid #d4d4d4;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.n{text-align:right;white-space:nowrap}"
    "code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}"
    ".sev{font-weight:bold;white-space:nowrap}.sev-error{color:#b00020}"
    ".sev-warning{color:#9a5b00}.sev-info{color:#555}"
    ".card{border:1px solid #d4d4d4;border-left:5px solid #999;padding:6px 10px;margin:8px 0;"
    "break-inside:avoid}.card-error{border-left-color:#b00020}"
    ".card-warning{border-left-color:#d08a00}.card p{margin:4px 0}"
    ".muted{color:#666}.note{background:#fff8e1;border:1px solid #f0d48a;padding:6px 10px}"
    "nav a{margin-right:12px}svg{max-width:100%;height:auto;border:1px solid #e2e2e2}"
    "#filter{margin:6px 0;padding:4px;width:320px}"
    "th.sortable{cursor:pointer}"
    "@media print{nav,#filter{display:none}body{max-width:none}a{color:inherit}"
    "h2{break-after:avoid}}";

/* sorts a table by the clicked column, filters rows by the box's text */
static const char html_script[] =
    "(function(){'use strict';"
    "function key(td){var v=td.getAttribute('data-v');return v!==null?parseFloat(v):"
    "td.textContent.toLowerCase();}"
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "t.querySelectorAll('th').forEach(function(th,i){th.classList.add('sortable');"
    "th.addEventListener('click',function(){var b=t.tBodies[0];"
    "var rows=Array.prototype.slice.call(b.rows);var up=th.getAttribute('data-up')!=='1';"
    "th.setAttribute('data-up',up?'1':'0');rows.sort(function(x,y){"
    "var a=key(x.cells[i]),c=key(y.cells[i]);return (a<c?-1:a>c?1:0)*(up?1:-1);});"
    "rows.forEach(function(r){b.appendChild(r);});});});});"
    "var box=document.createElement('input');box.id='filter';box.type='search';"
    "box.placeholder='Filter rows and findings (address, kind, service ...)';"
    "var at=document.getElementById('findings');if(at){at.parentNode.insertBefore(box,at);}"
    "box.addEventListener('input',function(){var q=box.value.toLowerCase();"
    "document.querySelectorAll('.filterable tbody tr, .card').forEach(function(e){"
    "e.style.display=e.textContent.toLowerCase().indexOf(q)<0?'none':'';});});"
    "})();";

static void
html_begin(GString *h, JsonObject *report)
{
    JsonObject *capture = html_object(report, "capture");
    JsonArray *files = html_array(capture, "files");
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < html_len(files) && i < 3; i++) {
        g_autofree char *base = g_path_get_basename(html_str(html_element(files, i), "path"));
        g_string_append_printf(names, "%s%s", i > 0 ? ", " : "", base);
    }
    if (html_len(files) > 3)
        g_string_append(names, ", ...");
    g_string_append(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    ptl_html_printf(h, "<title>portolan report: %s</title>\n", names->str);
    g_string_append_printf(h, "<style>%s</style>\n</head>\n<body>\n", html_style);
    JsonObject *generator = html_object(report, "generator");
    ptl_html_printf(h, "<header><h1>portolan report: %s</h1>\n<p class=\"muted\">%s %s, "
                    "schema %s. Everything on this page comes from the JSON report; "
                    "<code>portolan report FILE.json -o FILE.html</code> draws it again.</p>"
                    "</header>\n", names->str, html_str(generator, "name"),
                    html_str(generator, "version"), html_str(report, "schema"));
    g_string_append(h, "<nav><a href=\"#capture\">Capture</a><a href=\"#products\">Products</a>"
                    "<a href=\"#findings\">Findings</a><a href=\"#graph\">Who talks to whom</a>"
                    "<a href=\"#timeline\">Timeline</a><a href=\"#services\">Services</a>"
                    "<a href=\"#hosts\">Hosts</a></nav>\n");
}

/* ---- capture facts and limits ------------------------------------------ */

static void
html_files(GString *h, JsonArray *files)
{
    static const char *const head[] = { "File", "Format", "Link type", "Packets", "Size",
                                        "First", "Last", "Truncated", NULL };
    g_string_append(h, "<table class=\"sortable\">");
    html_head_row(h, head);
    for (guint i = 0; i < html_len(files); i++) {
        JsonObject *f = html_element(files, i);
        g_string_append(h, "<tr>");
        ptl_html_printf(h, "<td class=\"mono\">%s</td>", html_str(f, "path"));
        html_td(h, html_str(f, "format"));
        html_td(h, html_str(f, "linktype"));
        html_td_int(h, ptl_report_json_int(f, "packets"));
        html_td_bytes(h, ptl_report_json_int(f, "size"));
        html_td(h, html_str(f, "first_ts"));
        html_td(h, html_str(f, "last_ts"));
        html_td(h, html_bool(f, "truncated") ? html_str(f, "truncation")[0] != '\0'
                   ? html_str(f, "truncation") : "yes" : "no");
        g_string_append(h, "</tr>\n");
    }
    g_string_append(h, "</tbody></table>\n");
}

static void
html_limit(GString *h, const char *text)
{
    ptl_html_printf(h, "<li>%s</li>\n", text);
}

static void
html_limit_count(GString *h, gint64 n, const char *what)
{
    if (n <= 0)
        return;
    g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT " %s", n, what);
    html_limit(h, text);
}

static void
html_skipped(GString *h, JsonObject *capture)
{
    JsonObject *skipped = html_object(capture, "skipped");
    if (ptl_report_json_int(capture, "skipped_total") <= 0 || skipped == NULL)
        return;
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GList) reasons = json_object_get_members(skipped);
    for (GList *l = reasons; l != NULL; l = l->next) {
        gint64 n = ptl_report_json_int(skipped, l->data);
        if (n > 0)
            g_string_append_printf(text, "%s%s %" G_GINT64_FORMAT, text->len > 0 ? ", " : "",
                                   (const char *) l->data, n);
    }
    g_autofree char *line = g_strdup_printf("%" G_GINT64_FORMAT " packets skipped, not "
                                            "analyzed: %s", ptl_report_json_int(capture,
                                            "skipped_total"), text->str);
    html_limit(h, line);
}

static void
html_lines(GString *h, JsonArray *lines, const char *label)
{
    for (guint i = 0; i < html_len(lines); i++) {
        JsonNode *n = json_array_get_element(lines, i);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            ptl_html_printf(h, "<li><b>%s</b> %s</li>\n", label, json_node_get_string(n));
    }
}

static void
html_limits(GString *h, JsonObject *report)
{
    JsonObject *capture = html_object(report, "capture");
    JsonObject *vantage = html_object(report, "vantage");
    JsonObject *flows = html_object(report, "flows_summary");
    g_string_append(h, "<h3 id=\"limits\">What this capture can and cannot show</h3>\n<ul>\n");
    const char *note = ptl_report_json_string(vantage, "note");
    if (note != NULL) {
        g_autofree char *text = g_strdup_printf("Vantage point: %s.", note);
        html_limit(h, text);
    } else {
        html_limit(h, "Vantage point: both directions of the TCP conversations are seen, so a "
                      "missing reply is a missing reply.");
    }
    html_limit_count(h, ptl_report_json_int(vantage, "one_sided_flows"),
                     "TCP flows show one direction only");
    for (guint i = 0; i < html_len(html_array(capture, "files")); i++) {
        JsonObject *f = html_element(html_array(capture, "files"), i);
        if (html_bool(f, "truncated")) {
            g_autofree char *text = g_strdup_printf("%s is truncated%s%s: what followed the "
                                                    "cut is not in the report",
                                                    html_str(f, "path"),
                                                    ptl_report_json_string(f, "truncation")
                                                    ? ": " : "", html_str(f, "truncation"));
            html_limit(h, text);
        }
    }
    html_skipped(h, capture);
    html_limit_count(h, ptl_report_json_int(capture, "snaplen_cut"),
                     "packets cut by the snap length (their payload is partly missing)");
    html_limit_count(h, ptl_report_json_int(capture, "clock_jumps"),
                     "packets stamped more than an hour from their neighbours (clock jumps), "
                     "analyzed at their neighbours' time");
    html_limit_count(h, ptl_report_json_int(flows, "memcap_flows_affected"),
                     "flows affected by the memory budget (--memcap): ended early, partly "
                     "analyzed");
    html_limit_count(h, ptl_report_json_int(flows, "with_gaps"),
                     "flows with gaps (bytes missing from the capture)");
    html_limit_count(h, ptl_report_json_int(flows, "truncated"),
                     "flows whose last message was cut off");
    html_limit_count(h, ptl_report_json_int(flows, "dissector_errors"),
                     "flows a dissector could not parse");
    html_limit_count(h, ptl_report_json_int(report, "flows_not_judged"),
                     "flows not judged (conversation table full)");
    html_limit_count(h, ptl_report_json_int(report, "hosts_dropped"),
                     "hosts not listed (host table full)");
    g_autofree char *linktypes = html_join(html_array(capture, "unsupported_linktypes"));
    if (*linktypes != '\0') {
        g_autofree char *text = g_strdup_printf("Link types not supported: %s", linktypes);
        html_limit(h, text);
    }
    if (ptl_report_json_string(capture, "filter") != NULL) {
        g_autofree char *text = g_strdup_printf("Only packets matching the BPF filter '%s' "
                                                "were read", html_str(capture, "filter"));
        html_limit(h, text);
    }
    html_lines(h, html_array(capture, "errors"), "Error:");
    html_lines(h, html_array(capture, "warnings"), "Warning:");
    html_limit(h, "A capture shows traffic, not intent: a rule never exercised in it is neither "
                  "confirmed nor broken, and a role marked inferred is a guess from the traffic.");
    g_string_append(h, "</ul>\n");
}

static void
html_capture(GString *h, JsonObject *report)
{
    JsonObject *capture = html_object(report, "capture");
    JsonObject *flows = html_object(report, "flows_summary");
    char size[16];
    g_string_append(h, "<section id=\"capture\"><h2>Capture</h2>\n");
    g_string_append_printf(h, "<p>%" G_GINT64_FORMAT " packets, %s, ",
                           ptl_report_json_int(capture, "packets"),
                           ptl_report_human_bytes((guint64) ptl_report_json_int(capture, "bytes"),
                                                  size));
    ptl_html_printf(h, "from %s to %s", html_str(capture, "first_ts"),
                    html_str(capture, "last_ts"));
    g_string_append_printf(h, "; %" G_GINT64_FORMAT " flows (TCP %" G_GINT64_FORMAT ", UDP %"
                           G_GINT64_FORMAT ")", ptl_report_json_int(flows, "total"),
                           ptl_report_json_int(flows, "tcp"), ptl_report_json_int(flows, "udp"));
    if (ptl_report_json_string(capture, "interface") != NULL)
        ptl_html_printf(h, ", live on %s", html_str(capture, "interface"));
    g_string_append(h, ".</p>\n");
    html_files(h, html_array(capture, "files"));
    html_limits(h, report);
    g_string_append(h, "</section>\n");
}

/* ---- products ---------------------------------------------------------- */

static const char *
html_selection_text(const char *selection)
{
    if (g_strcmp0(selection, "declared") == 0)
        return "Declared: the products were named (--product or the inventory), so the rules "
               "of those products judge the traffic.";
    if (g_strcmp0(selection, "inferred") == 0)
        return "Recognised from the traffic: several services of the product, one on a port only "
               "it documents, served by hosts that talk to each other on its node-to-node ports. "
               "Policy findings resting on this guess are at most warnings; name the product "
               "with --product to confirm.";
    return "No product recognised: no product's structure shows in the traffic (generic ports "
           "such as 80, 443, 445 and 2181 are no evidence). Name one with --product to judge "
           "the traffic against its rules.";
}

static void
html_products(GString *h, JsonObject *report)
{
    static const char *const head[] = { "Product", "Score", "Selected", "How", "Specific ports",
                                        "Node links", "Explained ports", NULL };
    JsonArray *products = html_array(report, "products");
    if (products == NULL)
        return;
    g_string_append(h, "<section id=\"products\"><h2>Products and how they were chosen</h2>\n");
    ptl_html_printf(h, "<p><b>Selection: %s.</b> %s</p>\n",
                    html_str(report, "product_selection"),
                    html_selection_text(ptl_report_json_string(report, "product_selection")));
    g_string_append(h, "<p class=\"muted\">Score: the share of answered flows on ports the "
                    "product documents.</p>\n<table class=\"sortable\">");
    html_head_row(h, head);
    for (guint i = 0; i < html_len(products); i++) {
        JsonObject *p = html_element(products, i);
        JsonNode *score = json_object_get_member(p, "score");
        double value = score != NULL && JSON_NODE_HOLDS_VALUE(score)
                       ? json_node_get_double(score) : 0;
        g_string_append(h, "<tr>");
        html_td(h, html_str(p, "name"));
        g_string_append_printf(h, "<td class=\"n\" data-v=\"%.4f\">%.2f</td>", value, value);
        html_td(h, html_bool(p, "selected") ? "yes" : "no");
        html_td(h, html_bool(p, "forced") ? "forced (--product)" : html_bool(p, "declared")
                   ? "declared (inventory)" : html_bool(p, "recognised") ? "recognised" : "-");
        html_td_int(h, ptl_report_json_int(p, "specific_port_count"));
        html_td_int(h, ptl_report_json_int(p, "node_links"));
        g_autofree char *ports = html_join(html_array(p, "explained_ports"));
        gint64 n_ports = ptl_report_json_int(p, "explained_port_count");
        ptl_html_printf(h, "<td class=\"mono\">%s", ports);
        if (n_ports > (gint64) html_len(html_array(p, "explained_ports")))
            g_string_append_printf(h, " (%" G_GINT64_FORMAT " in all)", n_ports);
        g_string_append(h, "</td></tr>\n");
    }
    g_string_append(h, "</tbody></table>\n");
    JsonObject *roles = html_object(report, "roles");
    if (roles != NULL) {
        g_autofree char *nodes = html_join(html_array(roles, "nodes"));
        ptl_html_printf(h, "<p><b>Nodes (%s):</b> <span class=\"mono\">%s</span></p>\n",
                        html_bool(roles, "inferred") ? "inferred from the traffic" : "declared",
                        *nodes != '\0' ? nodes : "none");
    }
    g_string_append(h, "</section>\n");
}

/* ---- findings ---------------------------------------------------------- */

/* a Wireshark/tshark display filter for the packets behind a finding */
static char *
html_display_filter(JsonObject *f)
{
    const char *client = html_str(f, "client"), *server = html_str(f, "server");
    const char *ip = strchr(client, ':') != NULL ? "ipv6" : "ip";
    const char *transport = html_str(f, "transport");
    if (g_strcmp0(transport, "tcp") != 0 && g_strcmp0(transport, "udp") != 0)
        return g_strdup_printf("%s.addr==%s && %s.addr==%s", ip, client, ip, server);
    return g_strdup_printf("%s.addr==%s && %s.addr==%s && %s.port==%" G_GINT64_FORMAT, ip, client,
                           ip, server, transport, ptl_report_json_int(f, "port"));
}

static void
html_rule(GString *h, JsonObject *f)
{
    JsonObject *rule = html_object(f, "rule");
    if (rule == NULL) {
        g_string_append(h, "<p><b>Rule:</b> none (no rule of the selected products documents "
                        "this port)</p>\n");
        return;
    }
    ptl_html_printf(h, "<p><b>Rule:</b> %s %s, <code>%s:", html_str(f, "product"),
                    html_str(f, "service"), html_str(rule, "file"));
    g_string_append_printf(h, "%" G_GINT64_FORMAT "</code>", ptl_report_json_int(rule, "line"));
    if (ptl_report_json_string(rule, "doc") != NULL) {
        ptl_html_printf(h, "; vendor document <i>%s</i>", html_str(rule, "doc"));
        if (ptl_report_json_int(rule, "row") > 0)
            g_string_append_printf(h, ", row %" G_GINT64_FORMAT,
                                   ptl_report_json_int(rule, "row"));
    } else {
        g_string_append(h, "; a site rule");
    }
    if (ptl_report_json_string(rule, "source") != NULL)
        ptl_html_printf(h, " <span class=\"muted\">(source: %s)</span>", html_str(rule, "source"));
    g_string_append(h, "</p>\n");
}

static void
html_finding(GString *h, JsonObject *f, guint index)
{
    const char *severity = html_str(f, "severity");
    JsonObject *evidence = html_object(f, "evidence");
    ptl_html_printf(h, "<div class=\"card card-%s\" id=\"f%u\">\n<p><span class=\"sev sev-%s\">"
                    "%s</span> <b>%s</b> <span class=\"mono\">%s &#8594; %s %s/", severity, index,
                    severity, severity, html_str(f, "kind"), html_str(f, "client"),
                    html_str(f, "server"), html_str(f, "transport"));
    g_string_append_printf(h, "%" G_GINT64_FORMAT "</span>, %" G_GINT64_FORMAT " flow%s</p>\n",
                           ptl_report_json_int(f, "port"), ptl_report_json_int(f, "flows"),
                           ptl_report_json_int(f, "flows") == 1 ? "" : "s");
    ptl_html_printf(h, "<p>%s</p>\n<p><b>Advice:</b> %s</p>\n", html_str(f, "message"),
                    html_str(f, "advice"));
    html_rule(h, f);
    ptl_html_printf(h, "<p class=\"muted\">Evidence: product %s, roles %s; connection %s, state "
                    "%s, protocol %s%s; from %s to %s.</p>\n", html_str(evidence, "product"),
                    html_str(evidence, "roles"), html_str(f, "connection"), html_str(f, "state"),
                    ptl_report_json_string(f, "protocol") != NULL ? html_str(f, "protocol")
                    : "none (no payload)", html_bool(f, "transient") ? ", transient" : "",
                    html_str(f, "first_ts"), html_str(f, "last_ts"));
    g_autofree char *filter = html_display_filter(f);
    JsonArray *examples = html_array(f, "example_flows");
    g_string_append(h, "<p class=\"muted\">Packets: <code>");
    ptl_html_escape(h, filter);
    g_string_append(h, "</code> (Wireshark/tshark display filter)");
    if (html_len(examples) > 0) {
        g_string_append(h, "; example flow ids ");
        for (guint i = 0; i < html_len(examples); i++)
            g_string_append_printf(h, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "",
                                   json_array_get_int_element(examples, i));
        g_string_append(h, " (the <code>id</code> of --flows lines)");
    }
    g_string_append(h, "</p>\n</div>\n");
}

static void
html_group_row(GString *h, const PtlReportGroup *g, guint index)
{
    g_autofree char *rule = ptl_report_group_rule_name(g);
    ptl_html_printf(h, "<tr><td class=\"sev sev-%s\">%s</td><td><a href=\"#g%u\">%s</a></td>"
                    "<td>%s</td>", g->severity, g->severity, index, g->kind, rule);
    html_td_int(h, (gint64) g->findings->len);
    html_td_int(h, (gint64) g->flows);
    html_td_int(h, g->clients);
    html_td_int(h, g->servers);
    g_string_append(h, "<td class=\"mono\">");
    for (guint i = 0; i < g->findings->len && i < 2; i++) {
        JsonObject *f = g_ptr_array_index(g->findings, i);
        if (i > 0)
            g_string_append(h, "<br>");
        ptl_html_printf(h, "%s &#8594; %s", html_str(f, "client"), html_str(f, "server"));
    }
    g_string_append(h, "</td></tr>\n");
}

static void
html_filter_note(GString *h, JsonObject *report, guint shown)
{
    JsonObject *filter = html_object(report, "filter");
    if (filter == NULL)
        return;
    g_autoptr(GString) what = g_string_new(NULL);
    static const char *const lists[] = { "kinds", "products", "services", "hosts" };
    for (guint i = 0; i < G_N_ELEMENTS(lists); i++) {
        g_autofree char *values = html_join(html_array(filter, lists[i]));
        if (*values != '\0')
            g_string_append_printf(what, "%s%s %s", what->len > 0 ? "; " : "", lists[i], values);
    }
    if (ptl_report_json_string(filter, "severity") != NULL)
        g_string_append_printf(what, "%sseverity at least %s", what->len > 0 ? "; " : "",
                               html_str(filter, "severity"));
    if (ptl_report_json_string(filter, "only") != NULL)
        g_string_append_printf(what, "%sseverity %s only", what->len > 0 ? "; " : "",
                               html_str(filter, "only"));
    g_autofree char *text = g_strdup_printf("Filtered report: %u of %" G_GINT64_FORMAT
                                            " findings shown (%s).", shown,
                                            ptl_report_json_int(filter, "findings_before"),
                                            what->str);
    ptl_html_printf(h, "<p class=\"note\">%s</p>\n", text);
}

static void
html_findings(GString *h, JsonObject *report)
{
    static const char *const head[] = { "Severity", "Kind", "Rule", "Findings", "Flows",
                                        "Clients", "Servers", "Examples", NULL };
    JsonArray *findings = html_array(report, "findings");
    if (findings == NULL)
        return;
    JsonObject *summary = html_object(report, "findings_summary");
    g_autoptr(GPtrArray) groups = ptl_report_groups_new(findings);
    g_string_append(h, "<section id=\"findings\"><h2>Findings</h2>\n");
    g_string_append_printf(h, "<p><b>%" G_GINT64_FORMAT " errors, %" G_GINT64_FORMAT
                           " warnings, %" G_GINT64_FORMAT " info</b> in %u groups (kind, rule)."
                           "</p>\n", ptl_report_json_int(summary, "error"),
                           ptl_report_json_int(summary, "warning"),
                           ptl_report_json_int(summary, "info"), groups->len);
    html_filter_note(h, report, html_len(findings));
    if (groups->len == 0) {
        g_string_append(h, "<p>No finding: every judged flow obeys the rules.</p></section>\n");
        return;
    }
    g_string_append(h, "<table class=\"sortable filterable\" id=\"summary\">");
    html_head_row(h, head);
    for (guint i = 0; i < groups->len; i++)
        html_group_row(h, g_ptr_array_index(groups, i), i + 1);
    g_string_append(h, "</tbody></table>\n");
    guint listed = 0;
    for (guint i = 0; i < groups->len; i++) {
        const PtlReportGroup *g = g_ptr_array_index(groups, i);
        g_autofree char *rule = ptl_report_group_rule_name(g);
        ptl_html_printf(h, "<h3 id=\"g%u\"><span class=\"sev sev-%s\">%s</span> %s, %s</h3>\n",
                        i + 1, g->severity, g->severity, g->kind, rule);
        guint shown = 0;
        for (; shown < g->findings->len && listed < HTML_MAX_FINDINGS_LISTED; shown++, listed++)
            html_finding(h, g_ptr_array_index(g->findings, shown), listed + 1);
        if (shown < g->findings->len)
            g_string_append_printf(h, "<p class=\"muted\">%u more findings of this group are in "
                                   "the JSON report.</p>\n", g->findings->len - shown);
    }
    g_string_append(h, "</section>\n");
}

/* ---- services and hosts ------------------------------------------------ */

static char *
html_observed(JsonObject *service)
{
    JsonObject *observed = html_object(service, "observed");
    GString *text = g_string_new(NULL);
    g_autoptr(GList) names = observed != NULL ? json_object_get_members(observed) : NULL;
    for (GList *l = names; l != NULL; l = l->next)
        g_string_append_printf(text, "%s%s %" G_GINT64_FORMAT, text->len > 0 ? ", " : "",
                               (const char *) l->data, ptl_report_json_int(observed, l->data));
    return g_string_free(text, FALSE);
}

static void
html_services(GString *h, JsonObject *report)
{
    static const char *const head[] = { "Product", "Service", "Port", "Documented",
                                        "Observed (flows)", "Flows", "Bytes", "Clients",
                                        "Servers", NULL };
    JsonArray *services = html_array(report, "services");
    if (services == NULL)
        return;
    g_string_append(h, "<section id=\"services\"><h2>Services: documented and observed "
                    "protocol</h2>\n<table class=\"sortable filterable\">");
    html_head_row(h, head);
    for (guint i = 0; i < html_len(services); i++) {
        JsonObject *s = html_element(services, i);
        g_autofree char *observed = html_observed(s);
        g_autofree char *clients = html_join(html_array(s, "clients"));
        g_autofree char *servers = html_join(html_array(s, "servers"));
        g_string_append(h, "<tr>");
        html_td(h, html_str(s, "product"));
        ptl_html_printf(h, "<td>%s%s</td>", html_str(s, "service"),
                        html_bool(s, "install_only") ? " (install only)" : "");
        ptl_html_printf(h, "<td class=\"mono\">%s/%s</td>", html_str(s, "transport"),
                        html_str(s, "port"));
        html_td(h, html_str(s, "expected"));
        html_td(h, observed);
        html_td_int(h, ptl_report_json_int(s, "flows"));
        html_td_bytes(h, ptl_report_json_int(s, "bytes"));
        ptl_html_printf(h, "<td class=\"mono\">%s%s</td><td class=\"mono\">%s%s</td></tr>\n",
                        clients, html_bool(s, "clients_truncated") ? ", ..." : "", servers,
                        html_bool(s, "servers_truncated") ? ", ..." : "");
    }
    g_string_append(h, "</tbody></table>\n</section>\n");
}

static void
html_hosts(GString *h, JsonObject *report)
{
    static const char *const head[] = { "Address", "Role", "Kind", "Sent", "Received",
                                        "Flows as client", "Flows as server", NULL };
    JsonArray *hosts = html_array(report, "hosts");
    g_string_append(h, "<section id=\"hosts\"><h2>Hosts</h2>\n<p class=\"muted\">Role: from the "
                    "inventory (declared) or guessed from the traffic (inferred). Kind: a host, "
                    "or a broadcast, multicast or network address, which is no machine.</p>\n"
                    "<table class=\"sortable filterable\">");
    html_head_row(h, head);
    for (guint i = 0; i < html_len(hosts); i++) {
        JsonObject *host = html_element(hosts, i);
        const char *role = ptl_report_json_string(host, "role");
        g_string_append(h, "<tr>");
        ptl_html_printf(h, "<td class=\"mono\">%s</td>", html_str(host, "ip"));
        if (role != NULL)
            ptl_html_printf(h, "<td>%s (%s)</td>", role,
                            html_bool(host, "inferred") ? "inferred" : "declared");
        else
            g_string_append(h, "<td>-</td>");
        html_td(h, html_str(host, "kind"));
        html_td_bytes(h, ptl_report_json_int(host, "bytes_sent"));
        html_td_bytes(h, ptl_report_json_int(host, "bytes_received"));
        html_td_int(h, ptl_report_json_int(host, "flows_as_client"));
        html_td_int(h, ptl_report_json_int(host, "flows_as_server"));
        g_string_append(h, "</tr>\n");
    }
    g_string_append(h, "</tbody></table>\n");
    if (ptl_report_json_int(report, "hosts_dropped") > 0)
        g_string_append_printf(h, "<p class=\"muted\">%" G_GINT64_FORMAT " hosts not listed "
                               "(host table full).</p>\n",
                               ptl_report_json_int(report, "hosts_dropped"));
    g_string_append(h, "</section>\n");
}

/* ---- the page ------------------------------------------------------------ */

char *
ptl_report_html(JsonObject *report)
{
    g_return_val_if_fail(report != NULL, NULL);
    GString *h = g_string_sized_new(64 * 1024);
    html_begin(h, report);
    html_capture(h, report);
    html_products(h, report);
    html_findings(h, report);
    g_string_append(h, "<section id=\"graph\"><h2>Who talks to whom</h2>\n");
    ptl_report_svg_graph(h, report);
    g_string_append(h, "</section>\n<section id=\"timeline\"><h2>Timeline</h2>\n");
    ptl_report_svg_timeline(h, report);
    g_string_append(h, "</section>\n");
    html_services(h, report);
    html_hosts(h, report);
    g_string_append_printf(h, "<script>%s</script>\n</body>\n</html>\n", html_script);
    return g_string_free(h, FALSE);
}

gboolean
ptl_report_write_html(JsonNode *report, const char *path, GError **error)
{
    g_return_val_if_fail(report != NULL && JSON_NODE_HOLDS_OBJECT(report), FALSE);
    g_autofree char *page = ptl_report_html(json_node_get_object(report));
    if (g_strcmp0(path, "-") == 0) {
        if (fputs(page, stdout) == EOF || fflush(stdout) != 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "stdout: %s", g_strerror(errno));
            return FALSE;
        }
        return TRUE;
    }
    return g_file_set_contents(path, page, -1, error);
}
