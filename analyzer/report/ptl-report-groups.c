/* ptl-report-groups.c: findings grouped by (kind, rule). */
#include "ptl-report-groups.h"

#include <string.h>

typedef struct {
    PtlReportGroup pub;
    guint          order;      /* first appearance: the tie-break */
    GHashTable    *clients, *servers;   /* address text set (transfer none) */
} GroupBuild;

const char *
ptl_report_json_string(JsonObject *o, const char *key)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
    return n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
           json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n) : NULL;
}

gint64
ptl_report_json_int(JsonObject *o, const char *key)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
    return n != NULL && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_int(n) : 0;
}

static guint
groups_severity_rank(const char *severity)
{
    return g_strcmp0(severity, "error") == 0 ? 2 : g_strcmp0(severity, "warning") == 0 ? 1 : 0;
}

/* kind, then the rule by file and line: two services never share a rule line */
static char *
groups_key(JsonObject *finding)
{
    JsonObject *rule = json_object_has_member(finding, "rule") &&
                       JSON_NODE_HOLDS_OBJECT(json_object_get_member(finding, "rule"))
                       ? json_object_get_object_member(finding, "rule") : NULL;
    const char *kind = ptl_report_json_string(finding, "kind");
    if (rule == NULL)
        return g_strdup_printf("%s\n-", kind != NULL ? kind : "?");
    const char *file = ptl_report_json_string(rule, "file");
    return g_strdup_printf("%s\n%s:%" G_GINT64_FORMAT, kind != NULL ? kind : "?",
                           file != NULL ? file : "?", ptl_report_json_int(rule, "line"));
}

static void
groups_free(gpointer p)
{
    GroupBuild *g = p;
    g_ptr_array_unref(g->pub.findings);
    g_clear_pointer(&g->clients, g_hash_table_unref);
    g_clear_pointer(&g->servers, g_hash_table_unref);
    g_free(g);
}

static gint
groups_compare(gconstpointer pa, gconstpointer pb)
{
    const GroupBuild *a = *(GroupBuild *const *) pa, *b = *(GroupBuild *const *) pb;
    guint ra = groups_severity_rank(a->pub.severity), rb = groups_severity_rank(b->pub.severity);
    if (ra != rb)
        return ra > rb ? -1 : 1;
    if (a->pub.flows != b->pub.flows)
        return a->pub.flows > b->pub.flows ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static void
groups_add(GroupBuild *g, JsonObject *finding)
{
    const char *severity = ptl_report_json_string(finding, "severity");
    if (g->pub.severity == NULL ||
        groups_severity_rank(severity) > groups_severity_rank(g->pub.severity))
        g->pub.severity = severity;
    g_ptr_array_add(g->pub.findings, finding);
    g->pub.flows += (guint64) ptl_report_json_int(finding, "flows");
    const char *client = ptl_report_json_string(finding, "client");
    const char *server = ptl_report_json_string(finding, "server");
    if (client != NULL)
        g_hash_table_add(g->clients, (gpointer) client);
    if (server != NULL)
        g_hash_table_add(g->servers, (gpointer) server);
}

GPtrArray *
ptl_report_groups_new(JsonArray *findings)
{
    GPtrArray *groups = g_ptr_array_new_with_free_func(groups_free);
    g_autoptr(GHashTable) by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; findings != NULL && i < json_array_get_length(findings); i++) {
        JsonNode *element = json_array_get_element(findings, i);
        if (!JSON_NODE_HOLDS_OBJECT(element))
            continue;
        JsonObject *finding = json_node_get_object(element);
        char *key = groups_key(finding);
        GroupBuild *g = g_hash_table_lookup(by_key, key);
        if (g == NULL) {
            g = g_new0(GroupBuild, 1);
            g->pub.first = finding;
            g->pub.kind = ptl_report_json_string(finding, "kind");
            g->pub.findings = g_ptr_array_new();
            g->order = groups->len;
            g->clients = g_hash_table_new(g_str_hash, g_str_equal);
            g->servers = g_hash_table_new(g_str_hash, g_str_equal);
            g_hash_table_insert(by_key, key, g);
            g_ptr_array_add(groups, g);
        } else {
            g_free(key);
        }
        groups_add(g, finding);
    }
    g_ptr_array_sort(groups, groups_compare);
    for (guint i = 0; i < groups->len; i++) {
        GroupBuild *g = g_ptr_array_index(groups, i);
        g->pub.clients = g_hash_table_size(g->clients);
        g->pub.servers = g_hash_table_size(g->servers);
        g_clear_pointer(&g->clients, g_hash_table_unref);
        g_clear_pointer(&g->servers, g_hash_table_unref);
    }
    return groups;
}

char *
ptl_report_group_rule_name(const PtlReportGroup *g)
{
    const char *product = ptl_report_json_string(g->first, "product");
    const char *service = ptl_report_json_string(g->first, "service");
    if (product == NULL || service == NULL)
        return g_strdup("(no rule)");
    return g_strdup_printf("%s %s", product, service);
}
