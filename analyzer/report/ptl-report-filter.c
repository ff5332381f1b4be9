/* ptl-report-filter.c: which findings a report shows. */
#include "ptl-report-filter.h"

#include "ptl-decode.h"

#include <string.h>

static gboolean
filter_bad(GError **error, const char *flag, const char *value, const char *valid)
{
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s '%s': %s", flag, value,
                valid);
    return FALSE;
}

/* "a,b" "c" -> {a, b, c}, in place (the old vector is freed); NULL stays NULL */
static void
filter_split(char ***list)
{
    char **given = *list;
    if (given == NULL)
        return;
    g_autoptr(GStrvBuilder) all = g_strv_builder_new();
    for (char **item = given; *item != NULL; item++) {
        g_auto(GStrv) parts = g_strsplit(*item, ",", -1);
        for (char **part = parts; *part != NULL; part++) {
            g_strstrip(*part);
            if (**part != '\0')
                g_strv_builder_add(all, *part);
        }
    }
    *list = g_strv_builder_end(all);
    g_strfreev(given);
}

static char *
filter_kind_list(void)
{
    GString *list = g_string_new("not a finding kind (");
    for (guint k = 0; k < PTL_FINDING_KIND_COUNT; k++)
        g_string_append_printf(list, "%s%s", k > 0 ? ", " : "",
                               ptl_finding_kind_name((PtlFindingKind) k));
    g_string_append_c(list, ')');
    return g_string_free(list, FALSE);
}

/* "ERROR" -> "error", in place */
static gboolean
filter_check_severity(const char *flag, char **text, GError **error)
{
    PtlSeverity severity;
    if (*text == NULL)
        return TRUE;
    if (!ptl_severity_parse(*text, &severity))
        return filter_bad(error, flag, *text, "not a severity (error, warning, info)");
    g_free(*text);
    *text = g_strdup(ptl_severity_name(severity));
    return TRUE;
}

gboolean
ptl_report_filter_check(PtlReportFilter *f, GError **error)
{
    filter_split(&f->kinds);
    for (char **kind = f->kinds; kind != NULL && *kind != NULL; kind++) {
        PtlFindingKind k;
        if (!ptl_finding_kind_parse(*kind, &k)) {
            g_autofree char *valid = filter_kind_list();
            return filter_bad(error, "--kind", *kind, valid);
        }
    }
    if (!filter_check_severity("--severity", &f->severity, error) ||
        !filter_check_severity("--only", &f->only, error))
        return FALSE;
    if (f->severity != NULL && f->only != NULL)
        return filter_bad(error, "--only", f->only, "contradicts --severity: give one of them");
    filter_split(&f->products);
    filter_split(&f->services);
    filter_split(&f->hosts);
    for (char **host = f->hosts; host != NULL && *host != NULL; host++) {
        PtlAddr addr;
        char canonical[PTL_ADDR_STRLEN];
        if (!ptl_addr_parse(*host, &addr))
            return filter_bad(error, "--host", *host, "not an IPv4 or IPv6 address");
        g_free(*host);
        *host = g_strdup(ptl_addr_to_string(&addr, canonical));
    }
    return TRUE;
}

void
ptl_report_filter_clear(PtlReportFilter *f)
{
    g_clear_pointer(&f->kinds, g_strfreev);
    g_clear_pointer(&f->severity, g_free);
    g_clear_pointer(&f->only, g_free);
    g_clear_pointer(&f->products, g_strfreev);
    g_clear_pointer(&f->services, g_strfreev);
    g_clear_pointer(&f->hosts, g_strfreev);
}

gboolean
ptl_report_filter_is_active(const PtlReportFilter *f)
{
    return f != NULL && (f->kinds != NULL || f->severity != NULL || f->only != NULL ||
                         f->products != NULL || f->services != NULL || f->hosts != NULL);
}

static const char *
filter_string(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);
    return n != NULL && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_string(n) : NULL;
}

/* NULL list: anything; otherwise value must be in it */
static gboolean
filter_in(char **list, const char *value)
{
    return list == NULL || (value != NULL && g_strv_contains((const char *const *) list, value));
}

static gboolean
filter_severity(const PtlReportFilter *f, const char *text)
{
    PtlSeverity severity, bound;
    if (f->severity == NULL && f->only == NULL)
        return TRUE;
    if (!ptl_severity_parse(text, &severity))
        return FALSE;
    if (f->only != NULL)
        return ptl_severity_parse(f->only, &bound) && severity == bound;
    return ptl_severity_parse(f->severity, &bound) && severity >= bound;
}

gboolean
ptl_report_filter_finding(const PtlReportFilter *f, JsonObject *finding)
{
    if (f == NULL)
        return TRUE;
    gboolean is_host = f->hosts == NULL || filter_in(f->hosts, filter_string(finding, "client"))
                       || filter_in(f->hosts, filter_string(finding, "server"));
    return is_host && filter_in(f->kinds, filter_string(finding, "kind")) &&
           filter_severity(f, filter_string(finding, "severity")) &&
           filter_in(f->products, filter_string(finding, "product")) &&
           filter_in(f->services, filter_string(finding, "service"));
}

gboolean
ptl_report_filter_flow(const PtlReportFilter *f, const PtlFlowRecord *rec,
                       const PtlFlowJudgement *j)
{
    if (!ptl_report_filter_is_active(f))
        return TRUE;
    char client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
    ptl_addr_to_string(&rec->client, client);
    ptl_addr_to_string(&rec->server, server);
    if (f->hosts != NULL && !filter_in(f->hosts, client) && !filter_in(f->hosts, server))
        return FALSE;
    const PtlRule *rule = j != NULL ? j->rule : NULL;
    if (!filter_in(f->products, rule != NULL ? rule->product : NULL) ||
        !filter_in(f->services, rule != NULL ? rule->service : NULL))
        return FALSE;
    if (f->kinds == NULL && f->severity == NULL && f->only == NULL)
        return TRUE;
    for (guint i = 0; j != NULL && i < j->n_findings; i++) {
        const PtlFinding *finding = &j->findings[i];
        if (filter_in(f->kinds, ptl_finding_kind_name(finding->kind)) &&
            filter_severity(f, ptl_severity_name(finding->severity)))
            return TRUE;
    }
    return FALSE;
}

static gboolean
filter_service(const PtlReportFilter *f, JsonObject *service)
{
    return filter_in(f->products, filter_string(service, "product")) &&
           filter_in(f->services, filter_string(service, "service"));
}

static void
filter_summary(JsonObject *report, JsonArray *findings)
{
    static const char *const severities[] = { "error", "warning", "info" };
    guint64 by_severity[G_N_ELEMENTS(severities)] = { 0 };
    JsonObject *by_kind = json_object_new();
    for (guint i = 0; i < json_array_get_length(findings); i++) {
        JsonObject *finding = json_array_get_object_element(findings, i);
        const char *severity = filter_string(finding, "severity");
        for (guint s = 0; s < G_N_ELEMENTS(severities); s++)
            by_severity[s] += g_strcmp0(severity, severities[s]) == 0;
        const char *kind = filter_string(finding, "kind");
        if (kind != NULL)
            json_object_set_int_member(by_kind, kind,
                                       json_object_get_int_member_with_default(by_kind, kind, 0)
                                       + 1);
    }
    JsonObject *summary = json_object_new();
    for (guint s = 0; s < G_N_ELEMENTS(severities); s++)
        json_object_set_int_member(summary, severities[s], (gint64) by_severity[s]);
    json_object_set_object_member(summary, "by_kind", by_kind);
    json_object_set_object_member(report, "findings_summary", summary);
}

/* keeps the elements of member key that keep() accepts */
static void
filter_array(JsonObject *report, const char *key, const PtlReportFilter *f,
             gboolean (*keep)(const PtlReportFilter *, JsonObject *))
{
    JsonArray *all = json_object_has_member(report, key)
                     ? json_object_get_array_member(report, key) : NULL;
    if (all == NULL)
        return;
    JsonArray *kept = json_array_new();
    for (guint i = 0; i < json_array_get_length(all); i++) {
        JsonNode *element = json_array_get_element(all, i);
        if (JSON_NODE_HOLDS_OBJECT(element) && keep(f, json_node_get_object(element)))
            json_array_add_element(kept, json_node_copy(element));
    }
    json_object_set_array_member(report, key, kept);
}

static JsonNode *
filter_strv_node(char **list)
{
    if (list == NULL)
        return json_node_new(JSON_NODE_NULL);
    JsonArray *array = json_array_new();
    for (char **item = list; *item != NULL; item++)
        json_array_add_string_element(array, *item);
    return json_node_init_array(json_node_alloc(), array);
}

static void
filter_describe(const PtlReportFilter *f, JsonObject *report, guint64 total)
{
    JsonObject *o = json_object_new();
    json_object_set_member(o, "kinds", filter_strv_node(f->kinds));
    if (f->severity != NULL)
        json_object_set_string_member(o, "severity", f->severity);
    else
        json_object_set_null_member(o, "severity");
    if (f->only != NULL)
        json_object_set_string_member(o, "only", f->only);
    else
        json_object_set_null_member(o, "only");
    json_object_set_member(o, "products", filter_strv_node(f->products));
    json_object_set_member(o, "services", filter_strv_node(f->services));
    json_object_set_member(o, "hosts", filter_strv_node(f->hosts));
    json_object_set_int_member(o, "findings_before", (gint64) total);
    json_object_set_object_member(report, "filter", o);
}

void
ptl_report_filter_apply(const PtlReportFilter *f, JsonObject *report)
{
    if (!ptl_report_filter_is_active(f) || !json_object_has_member(report, "findings"))
        return;
    /* a report filtered before keeps its first count of findings */
    JsonObject *before = json_object_has_member(report, "filter")
                         ? json_object_get_object_member(report, "filter") : NULL;
    guint64 total = before != NULL
        ? (guint64) json_object_get_int_member_with_default(before, "findings_before", 0)
        : json_array_get_length(json_object_get_array_member(report, "findings"));
    filter_array(report, "findings", f, ptl_report_filter_finding);
    filter_array(report, "services", f, filter_service);
    filter_summary(report, json_object_get_array_member(report, "findings"));
    filter_describe(f, report, total);
}
