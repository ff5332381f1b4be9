/* ptl-report-groups.h: findings grouped by (kind, rule), for the summary that
 * reads in ten seconds at any size.  Works on the JSON report's findings, so
 * the terminal and the HTML group alike. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
    JsonObject *first;        /* the group's first finding: kind, product, service, rule */
    const char *kind;
    const char *severity;     /* the worst in the group */
    GPtrArray  *findings;     /* JsonObject*, transfer none, in report order */
    guint64     flows;
    guint       clients, servers;   /* distinct addresses */
} PtlReportGroup;

/* Groups, errors first, then the most flows first.  findings: the report's
 * findings array (must outlive the groups).  transfer full */
GPtrArray *ptl_report_groups_new(JsonArray *findings);
/* "sisense discovery-zookeeper-client" or "(no rule)"; transfer full */
char      *ptl_report_group_rule_name(const PtlReportGroup *g);
/* a JSON object's string member, or NULL (transfer none) */
const char *ptl_report_json_string(JsonObject *o, const char *key);
/* a JSON object's integer member, or 0 */
gint64      ptl_report_json_int(JsonObject *o, const char *key);
