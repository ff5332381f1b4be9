/* ptl-report-svg.c: the HTML report's pictures, inline SVG drawn from the JSON
 * report with a deterministic layout (same report, same bytes).
 *
 * Who talks to whom: hosts as nodes in three columns (clients, the product's
 * nodes, other servers), sorted by address; an edge for each client and
 * server pair the report proves: every finding, and every service whose
 * clients or servers are one host (a service with several of both lists no
 * pairs, so it draws none).  Edges with findings are red.
 * Timeline: the capture's files, then one row per finding group, each
 * finding a bar from its first to its last flow. */
#include "ptl-report-html.h"

#include "ptl-decode.h"
#include "ptl-report-groups.h"

#include <math.h>
#include <string.h>

#define SVG_MAX_EDGES     600
#define SVG_MAX_NODES     240
#define SVG_ROW           22     /* pixels between hosts in a column */
#define SVG_WIDTH         960
#define SVG_TIMELINE_ROWS 40
#define SVG_TIMELINE_BARS 400    /* bars per row */

typedef struct {
    const char *client, *server;   /* transfer none: the report's strings */
    GString    *labels;            /* "tcp/80 nginx, tcp/443" */
    gboolean    has_finding;
} SvgEdge;

typedef struct {
    const char *addr;
    guint       column;            /* 0 clients, 1 nodes, 2 other servers */
    guint       row;
    double      y;                 /* its column centred on the tallest */
    PtlAddr     parsed;
    gboolean    is_parsed;
} SvgNode;

typedef struct {
    GPtrArray  *edges;             /* SvgEdge* */
    GHashTable *by_pair;           /* "client\nserver" -> SvgEdge* */
    GHashTable *roles;             /* address -> role (transfer none) */
    guint       edges_dropped, services_unpaired;
} SvgGraph;

static void
svg_edge_free(gpointer p)
{
    SvgEdge *e = p;
    g_string_free(e->labels, TRUE);
    g_free(e);
}

static const char *
svg_string(JsonObject *o, const char *key)
{
    const char *s = ptl_report_json_string(o, key);
    return s != NULL ? s : "";
}

static JsonArray *
svg_array(JsonObject *o, const char *key)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
    return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static void
svg_add_edge(SvgGraph *g, const char *client, const char *server, const char *label,
             gboolean has_finding)
{
    if (*client == '\0' || *server == '\0')
        return;
    g_autofree char *key = g_strdup_printf("%s\n%s", client, server);
    SvgEdge *e = g_hash_table_lookup(g->by_pair, key);
    if (e == NULL) {
        if (g->edges->len >= SVG_MAX_EDGES) {
            g->edges_dropped++;
            return;
        }
        e = g_new0(SvgEdge, 1);
        e->client = client;
        e->server = server;
        e->labels = g_string_new(NULL);
        g_hash_table_insert(g->by_pair, g_steal_pointer(&key), e);
        g_ptr_array_add(g->edges, e);
    }
    e->has_finding |= has_finding;
    if (strstr(e->labels->str, label) == NULL && e->labels->len < 200)
        g_string_append_printf(e->labels, "%s%s", e->labels->len > 0 ? ", " : "", label);
}

static void
svg_collect(SvgGraph *g, JsonObject *report)
{
    JsonArray *findings = svg_array(report, "findings");
    for (guint i = 0; findings != NULL && i < json_array_get_length(findings); i++) {
        JsonObject *f = json_array_get_object_element(findings, i);
        g_autofree char *label = g_strdup_printf("%s/%" G_GINT64_FORMAT " %s",
                                                 svg_string(f, "transport"),
                                                 ptl_report_json_int(f, "port"),
                                                 svg_string(f, "kind"));
        svg_add_edge(g, svg_string(f, "client"), svg_string(f, "server"), label, TRUE);
    }
    JsonArray *services = svg_array(report, "services");
    for (guint i = 0; services != NULL && i < json_array_get_length(services); i++) {
        JsonObject *s = json_array_get_object_element(services, i);
        JsonArray *clients = svg_array(s, "clients"), *servers = svg_array(s, "servers");
        guint nc = clients != NULL ? json_array_get_length(clients) : 0;
        guint ns = servers != NULL ? json_array_get_length(servers) : 0;
        if (nc > 1 && ns > 1) {
            g->services_unpaired++;
            continue;
        }
        g_autofree char *label = g_strdup_printf("%s/%s %s", svg_string(s, "transport"),
                                                 svg_string(s, "port"), svg_string(s, "service"));
        for (guint c = 0; c < nc; c++)
            for (guint v = 0; v < ns; v++)
                svg_add_edge(g, json_array_get_string_element(clients, c),
                             json_array_get_string_element(servers, v), label, FALSE);
    }
    g->roles = g_hash_table_new(g_str_hash, g_str_equal);
    JsonArray *hosts = svg_array(report, "hosts");
    for (guint i = 0; hosts != NULL && i < json_array_get_length(hosts); i++) {
        JsonObject *h = json_array_get_object_element(hosts, i);
        if (ptl_report_json_string(h, "ip") != NULL && ptl_report_json_string(h, "role") != NULL)
            g_hash_table_insert(g->roles, (gpointer) ptl_report_json_string(h, "ip"),
                                (gpointer) ptl_report_json_string(h, "role"));
    }
}

static gint
svg_node_compare(gconstpointer pa, gconstpointer pb)
{
    const SvgNode *a = *(SvgNode *const *) pa, *b = *(SvgNode *const *) pb;
    if (a->column != b->column)
        return a->column < b->column ? -1 : 1;
    if (a->is_parsed && b->is_parsed && a->parsed.family == b->parsed.family)
        return ptl_addr_compare(&a->parsed, &b->parsed);
    return strcmp(a->addr, b->addr);
}

static SvgNode *
svg_node(GHashTable *nodes, const char *addr)
{
    SvgNode *n = g_hash_table_lookup(nodes, addr);
    if (n == NULL) {
        n = g_new0(SvgNode, 1);
        n->addr = addr;
        n->column = 0;
        n->is_parsed = ptl_addr_parse(addr, &n->parsed);
        g_hash_table_insert(nodes, (gpointer) addr, n);
    }
    return n;
}

static void
svg_text(GString *out, double x, double y, const char *anchor, const char *cls, const char *text)
{
    g_string_append_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">",
                           x, y, anchor, cls);
    ptl_html_escape(out, text);
    g_string_append(out, "</text>\n");
}

static void
svg_draw_edge(GString *out, const SvgEdge *e, const SvgNode *a, const SvgNode *b,
              const double *column_x)
{
    double x1 = column_x[a->column], y1 = a->y;
    double x2 = column_x[b->column], y2 = b->y;
    const char *colour = e->has_finding ? "#c62828" : "#9e9e9e";
    const char *width = e->has_finding ? "1.8" : "1";
    g_string_append(out, "<g><title>");
    ptl_html_escape(out, e->client);
    g_string_append(out, " \xe2\x86\x92 ");
    ptl_html_escape(out, e->server);
    g_string_append(out, ": ");
    ptl_html_escape(out, e->labels->str);
    g_string_append(out, "</title>");
    if (a->column == b->column) {
        /* within a column: an arc to the right of its labels */
        double start = x1 + 14 + 6.8 * MAX(strlen(a->addr), strlen(b->addr));
        double bulge = 30 + MIN(fabs(y2 - y1) / 4, 120);
        g_string_append_printf(out, "<path d=\"M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f\" "
                               "fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"/>", start, y1,
                               start + bulge, y1, start + bulge, y2, start, y2, colour, width);
    } else {
        double from = x1 < x2 ? x1 + 6 : x1 - 6, to = x1 < x2 ? x2 - 6 : x2 + 6;
        g_string_append_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"%s\" stroke-width=\"%s\" marker-end=\"url(#%s)\"/>",
                               from, y1, to, y2, colour, width,
                               e->has_finding ? "arrow-red" : "arrow");
    }
    g_string_append(out, "</g>\n");
}

void
ptl_report_svg_graph(GString *out, JsonObject *report)
{
    SvgGraph g = { g_ptr_array_new_with_free_func(svg_edge_free),
                   g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL), NULL, 0, 0 };
    svg_collect(&g, report);
    g_autoptr(GHashTable) nodes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    for (guint i = 0; i < g.edges->len; i++) {
        SvgEdge *e = g_ptr_array_index(g.edges, i);
        svg_node(nodes, e->client);
        svg_node(nodes, e->server)->column = 2;
    }
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    GHashTableIter it;
    gpointer p;
    g_hash_table_iter_init(&it, nodes);
    while (g_hash_table_iter_next(&it, NULL, &p)) {
        SvgNode *n = p;
        if (g_strcmp0(g_hash_table_lookup(g.roles, n->addr), "node") == 0)
            n->column = 1;
        g_ptr_array_add(sorted, n);
    }
    g_ptr_array_sort(sorted, svg_node_compare);
    guint rows[3] = { 0 }, drawn = 0;
    for (guint i = 0; i < sorted->len; i++) {
        SvgNode *n = g_ptr_array_index(sorted, i);
        n->row = i < SVG_MAX_NODES ? rows[n->column]++ : G_MAXUINT;
    }
    guint tallest = MAX(MAX(rows[0], rows[1]), rows[2]);
    guint height = 60 + tallest * SVG_ROW;
    for (guint i = 0; i < sorted->len; i++) {
        SvgNode *n = g_ptr_array_index(sorted, i);
        if (n->row != G_MAXUINT)
            n->y = 40 + (n->row + (tallest - rows[n->column]) / 2.0) * SVG_ROW;
    }
    static const double column_x[3] = { 150, 480, 810 };
    static const char *const titles[3] = { "clients", "nodes", "other servers" };
    if (g.edges->len == 0) {
        g_string_append(out, "<p>No conversation to draw: the report has no finding and no "
                        "service with a single client or server.</p>\n");
    } else {
        g_string_append_printf(out, "<svg role=\"img\" aria-label=\"Who talks to whom\" "
                               "viewBox=\"0 0 %d %u\" width=\"%d\" height=\"%u\">\n",
                               SVG_WIDTH, height, SVG_WIDTH, height);
        g_string_append(out, "<style>.h{font:11px monospace}.t{font:bold 12px sans-serif}"
                        "</style>\n<defs><marker id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"8\" "
                        "refY=\"4\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path "
                        "d=\"M0 0L8 4L0 8z\" fill=\"#9e9e9e\"/></marker><marker id=\"arrow-red\" "
                        "viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"6\" "
                        "markerHeight=\"6\" orient=\"auto\"><path d=\"M0 0L8 4L0 8z\" "
                        "fill=\"#c62828\"/></marker></defs>\n");
        for (guint c = 0; c < 3; c++)
            svg_text(out, column_x[c], 18, "middle", "t", titles[c]);
        /* grey first, red on top */
        for (int pass = 0; pass < 2; pass++) {
            for (guint i = 0; i < g.edges->len; i++) {
                SvgEdge *e = g_ptr_array_index(g.edges, i);
                const SvgNode *a = g_hash_table_lookup(nodes, e->client);
                const SvgNode *b = g_hash_table_lookup(nodes, e->server);
                if (e->has_finding == (pass == 1) && a->row != G_MAXUINT && b->row != G_MAXUINT)
                    svg_draw_edge(out, e, a, b, column_x);
            }
        }
        for (guint i = 0; i < sorted->len; i++) {
            const SvgNode *n = g_ptr_array_index(sorted, i);
            if (n->row == G_MAXUINT)
                continue;
            drawn++;
            double y = n->y;
            g_string_append_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n",
                                   column_x[n->column], y, n->column == 1 ? "#1565c0" : "#555");
            svg_text(out, column_x[n->column] + (n->column == 0 ? -10 : 10), y + 4,
                     n->column == 0 ? "end" : "start", "h", n->addr);
        }
        g_string_append(out, "</svg>\n");
    }
    g_string_append_printf(out, "<p class=\"muted\">%u hosts, %u conversations; red: with a "
                           "finding (hover an edge for its ports). Pairs come from the findings "
                           "and from services with one client or one server", drawn, g.edges->len);
    if (g.services_unpaired > 0)
        g_string_append_printf(out, "; %u service%s with several clients and servers list%s no "
                               "pairs and draw none", g.services_unpaired,
                               g.services_unpaired == 1 ? "" : "s",
                               g.services_unpaired == 1 ? "s" : "");
    if (g.edges_dropped > 0 || sorted->len > drawn)
        g_string_append_printf(out, "; not drawn: %u conversations, %u hosts", g.edges_dropped,
                               sorted->len - drawn);
    g_string_append(out, ".</p>\n");
    g_ptr_array_unref(g.edges);
    g_hash_table_unref(g.by_pair);
    g_hash_table_unref(g.roles);
}

/* ---- timeline ------------------------------------------------------------ */

typedef struct {
    double start, span;          /* seconds */
    double x0, width;            /* plot area, pixels */
} SvgScale;

static double
svg_x(const SvgScale *s, double t)
{
    double f = s->span > 0 ? (t - s->start) / s->span : 0;
    return s->x0 + CLAMP(f, 0.0, 1.0) * s->width;
}

static void
svg_bar(GString *out, const SvgScale *s, const char *first, const char *last, double y,
        const char *colour, const char *title)
{
    double a, b;
    if (!ptl_html_parse_ts(first, &a))
        return;
    if (!ptl_html_parse_ts(last, &b))
        b = a;
    double x1 = svg_x(s, a), x2 = MAX(svg_x(s, b), x1 + 2);
    g_string_append_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" "
                           "fill=\"%s\" fill-opacity=\"0.75\"><title>", x1, y, x2 - x1, colour);
    ptl_html_escape(out, title);
    g_string_append(out, "</title></rect>\n");
}

static const char *
svg_severity_colour(const char *severity)
{
    return g_strcmp0(severity, "error") == 0 ? "#c62828"
         : g_strcmp0(severity, "warning") == 0 ? "#ef8f00" : "#757575";
}

void
ptl_report_svg_timeline(GString *out, JsonObject *report)
{
    JsonNode *capture_node = json_object_get_member(report, "capture");
    JsonObject *capture = capture_node != NULL && JSON_NODE_HOLDS_OBJECT(capture_node)
                          ? json_node_get_object(capture_node) : NULL;
    SvgScale s = { 0, 0, 300, SVG_WIDTH - 320 };
    double end;
    if (!ptl_html_parse_ts(ptl_report_json_string(capture, "first_ts"), &s.start) ||
        !ptl_html_parse_ts(ptl_report_json_string(capture, "last_ts"), &end)) {
        g_string_append(out, "<p>No packet, no timeline.</p>\n");
        return;
    }
    s.span = end - s.start;
    JsonArray *files = svg_array(capture, "files");
    g_autoptr(GPtrArray) groups = ptl_report_groups_new(svg_array(report, "findings"));
    guint n_files = files != NULL ? json_array_get_length(files) : 0;
    guint rows = MIN(n_files + groups->len, SVG_TIMELINE_ROWS);
    guint height = 50 + rows * SVG_ROW;
    g_string_append_printf(out, "<svg role=\"img\" aria-label=\"Timeline\" viewBox=\"0 0 %d %u\" "
                           "width=\"%d\" height=\"%u\">\n<style>.h{font:11px sans-serif}"
                           "</style>\n", SVG_WIDTH, height, SVG_WIDTH, height);
    char first[64], last[64];
    g_snprintf(first, sizeof first, "%s", svg_string(capture, "first_ts"));
    g_snprintf(last, sizeof last, "+%.3f s", s.span);
    svg_text(out, s.x0, 16, "start", "h", first);
    svg_text(out, s.x0 + s.width, 16, "end", "h", last);
    g_string_append_printf(out, "<line x1=\"%.1f\" y1=\"22\" x2=\"%.1f\" y2=\"22\" "
                           "stroke=\"#999\"/>\n", s.x0, s.x0 + s.width);
    guint row = 0;
    for (guint i = 0; i < n_files && row < rows; i++, row++) {
        JsonObject *f = json_array_get_object_element(files, i);
        double y = 32 + row * SVG_ROW;
        g_autofree char *base = g_path_get_basename(svg_string(f, "path"));
        svg_text(out, s.x0 - 8, y + 9, "end", "h", base);
        svg_bar(out, &s, ptl_report_json_string(f, "first_ts"),
                ptl_report_json_string(f, "last_ts"), y, "#1565c0", base);
    }
    for (guint i = 0; i < groups->len && row < rows; i++, row++) {
        const PtlReportGroup *g = g_ptr_array_index(groups, i);
        double y = 32 + row * SVG_ROW;
        g_autofree char *rule = ptl_report_group_rule_name(g);
        g_autofree char *label = g_strdup_printf("%s, %s", g->kind, rule);
        /* g_utf8_substring must not run past the end: cut only what is longer */
        g_autofree char *head = g_utf8_strlen(label, -1) > 44 ? g_utf8_substring(label, 0, 42)
                                                              : NULL;
        g_autofree char *cut = head != NULL ? g_strconcat(head, "\xe2\x80\xa6", NULL)
                                            : g_strdup(label);
        svg_text(out, s.x0 - 8, y + 9, "end", "h", cut);
        for (guint k = 0; k < g->findings->len && k < SVG_TIMELINE_BARS; k++) {
            JsonObject *f = g_ptr_array_index(g->findings, k);
            g_autofree char *title = g_strdup_printf("%s %s -> %s %s/%" G_GINT64_FORMAT ", %"
                                                     G_GINT64_FORMAT " flows, %s .. %s",
                                                     svg_string(f, "kind"),
                                                     svg_string(f, "client"),
                                                     svg_string(f, "server"),
                                                     svg_string(f, "transport"),
                                                     ptl_report_json_int(f, "port"),
                                                     ptl_report_json_int(f, "flows"),
                                                     svg_string(f, "first_ts"),
                                                     svg_string(f, "last_ts"));
            svg_bar(out, &s, ptl_report_json_string(f, "first_ts"),
                    ptl_report_json_string(f, "last_ts"), y, svg_severity_colour(g->severity),
                    title);
        }
    }
    g_string_append(out, "</svg>\n<p class=\"muted\">Blue: the capture files. Then one row per "
                    "finding group; each bar runs from the first to the last flow of one "
                    "finding (hover for it).");
    if (n_files + groups->len > rows)
        g_string_append_printf(out, " %u more rows are not drawn.", n_files + groups->len - rows);
    if (ptl_report_json_int(capture, "clock_jumps") > 0)
        g_string_append(out, " The capture's clock jumped: the jumping packets are placed at "
                        "their neighbours' time.");
    g_string_append(out, "</p>\n");
}
