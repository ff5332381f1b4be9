/* ptl-report-verdict.c: the judge's findings, services, products and roles as
 * members of the JSON report, and one flow's judgement for flow lines and
 * live events. */
#include "ptl-report.h"
#include "ptl-tunnel-json.h"

#include "ptl-finding-text.h"
#include "ptl-json.h"
#include "ptl-products.h"
#include "ptl-time.h"

#define REPORT_VERDICT_MAX_PORTS  32    /* explained ports listed per product */
#define REPORT_VERDICT_MAX_NODES  256

static void
report_verdict_addrs(JsonBuilder *b, const char *key, const GArray *addrs)
{
    char text[PTL_ADDR_STRLEN];
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (guint i = 0; i < addrs->len; i++)
        json_builder_add_string_value(b, ptl_addr_to_string(&g_array_index(addrs, PtlAddr, i),
                                                            text));
    json_builder_end_array(b);
}

static void
report_verdict_rule(JsonBuilder *b, const PtlRule *rule)
{
    json_builder_set_member_name(b, "rule");
    if (rule == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    ptl_json_string_or_null(b, "file", ptl_rule_file_name(rule));
    ptl_emit_int(b, "line", rule->line);
    ptl_json_string_or_null(b, "source", rule->seed);
    ptl_json_string_or_null(b, "doc", rule->doc_title);
    json_builder_set_member_name(b, "row");
    if (rule->doc_row > 0)
        json_builder_add_int_value(b, rule->doc_row);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
}

static void
report_verdict_tag(JsonBuilder *b, const PtlRule *rule)
{
    ptl_json_string_or_null(b, "product", rule != NULL ? rule->product : NULL);
    ptl_json_string_or_null(b, "service", rule != NULL ? rule->service : NULL);
    report_verdict_rule(b, rule);
}

static void
report_verdict_products(const PtlVerdict *v, JsonBuilder *b)
{
    static const char *const origins[] = { "none", "declared", "inferred" };
    const PtlProducts *products_sel = ptl_verdict_products(v);
    ptl_json_string_or_null(b, "product_selection", origins[ptl_products_origin(products_sel)]);
    const GPtrArray *products = ptl_products_list(products_sel);
    json_builder_set_member_name(b, "products");
    json_builder_begin_array(b);
    for (guint i = 0; i < products->len; i++) {
        const PtlProduct *product = g_ptr_array_index(products, i);
        json_builder_begin_object(b);
        ptl_json_string_or_null(b, "name", product->name);
        /* four decimals: a share of flows, not a measurement */
        json_builder_set_member_name(b, "score");
        json_builder_add_double_value(b, (double) (gint64) (product->score * 10000 + 0.5) / 1e4);
        json_builder_set_member_name(b, "selected");
        json_builder_add_boolean_value(b, product->is_selected);
        json_builder_set_member_name(b, "forced");
        json_builder_add_boolean_value(b, product->is_forced);
        ptl_emit_bool(b, "declared", product->is_declared);
        ptl_emit_bool(b, "recognised", product->is_recognised);
        ptl_emit_int(b, "specific_port_count", product->specific_ports);
        ptl_emit_int(b, "node_links", product->node_links);
        json_builder_set_member_name(b, "explained_ports");
        json_builder_begin_array(b);
        for (guint p = 0; p < product->ports->len && p < REPORT_VERDICT_MAX_PORTS; p++) {
            guint32 key = g_array_index(product->ports, guint32, p);
            char port[16];
            g_snprintf(port, sizeof port, "%s/%u", ptl_rule_transport_name((guint8) (key >> 16)),
                       key & 0xffff);
            json_builder_add_string_value(b, port);
        }
        json_builder_end_array(b);
        ptl_emit_int(b, "explained_port_count", product->ports->len);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void
report_verdict_service(JsonBuilder *b, const PtlService *s)
{
    const PtlRule *rule = s->rule;
    json_builder_begin_object(b);
    ptl_json_string_or_null(b, "product", rule->product);
    ptl_json_string_or_null(b, "service", rule->service);
    ptl_json_string_or_null(b, "port", rule->port_text);
    ptl_rule_emit_ports(b, rule);
    ptl_json_string_or_null(b, "transport", ptl_rule_transport_name((guint8) rule->transport));
    ptl_json_string_or_null(b, "expected", rule->protocol);
    json_builder_set_member_name(b, "observed");
    json_builder_begin_object(b);
    for (guint i = 0; i < s->observed->len; i++) {
        const PtlProtoCount *count = &g_array_index(s->observed, PtlProtoCount, i);
        ptl_emit_int(b, count->name != NULL ? count->name : "none", (gint64) count->flows);
    }
    if (s->observed_other > 0)
        ptl_emit_int(b, "other", (gint64) s->observed_other);
    json_builder_end_object(b);
    ptl_emit_int(b, "flows", (gint64) s->flows);
    ptl_emit_int(b, "bytes", (gint64) s->bytes);
    report_verdict_addrs(b, "clients", s->clients);
    json_builder_set_member_name(b, "clients_truncated");
    json_builder_add_boolean_value(b, s->has_more_clients);
    report_verdict_addrs(b, "servers", s->servers);
    json_builder_set_member_name(b, "servers_truncated");
    json_builder_add_boolean_value(b, s->has_more_servers);
    json_builder_set_member_name(b, "install_only");
    json_builder_add_boolean_value(b, rule->is_install_only);
    json_builder_end_object(b);
}

/* protocol, state, connection, icmp (when refused by ICMP) and transient */
static void
report_verdict_connection(JsonBuilder *b, const PtlFinding *f)
{
    ptl_json_string_or_null(b, "protocol", f->observed);
    ptl_json_string_or_null(b, "state", ptl_flow_state_name(f->conn.state));
    PtlConnClass klass = ptl_connection_classify(&f->conn);
    ptl_json_string_or_null(b, "connection", ptl_connection_class_name(klass));
    if (klass == PTL_CONN_REFUSED_ICMP) {
        char text[PTL_CONNECTION_TEXT_MAX];
        ptl_json_string_or_null(b, "icmp", ptl_connection_icmp_text(f->conn.family,
                                f->conn.icmp_type, f->conn.icmp_code, NULL, text));
    }
    json_builder_set_member_name(b, "transient");
    json_builder_add_boolean_value(b, f->is_transient);
}

/* What the example flows' dissectors recorded (a login, a request), at most
 * PTL_RECORD_EXAMPLES_PER_FLOW in all; absent when none was kept. */
static void
report_verdict_example_records(const PtlRecordExamples *store, JsonBuilder *b,
                               const PtlFinding *f)
{
    guint n = 0;
    for (guint i = 0; store != NULL && i < f->n_examples; i++) {
        const GPtrArray *list = ptl_record_examples_get(store, f->examples[i]);
        for (guint k = 0; list != NULL && k < list->len && n < PTL_RECORD_EXAMPLES_PER_FLOW;
             k++) {
            if (n++ == 0) {
                json_builder_set_member_name(b, "example_records");
                json_builder_begin_array(b);
            }
            json_builder_add_value(b, json_node_copy(g_ptr_array_index(list, k)));
        }
    }
    if (n > 0)
        json_builder_end_array(b);
}

static void
report_verdict_finding(const PtlVerdict *v, JsonBuilder *b, const PtlFinding *f)
{
    PtlFindingNames n;
    char ts[PTL_TS_STRLEN];
    ptl_finding_names(f, &n);
    g_autofree char *message = ptl_finding_message(v, f);
    g_autofree char *advice = ptl_finding_advice(f);
    json_builder_begin_object(b);
    ptl_json_string_or_null(b, "kind", ptl_finding_kind_name(f->kind));
    ptl_json_string_or_null(b, "severity", ptl_severity_name(f->severity));
    report_verdict_tag(b, f->rule);
    ptl_json_string_or_null(b, "client", n.client);
    ptl_json_string_or_null(b, "server", n.server);
    ptl_emit_int(b, "port", f->port);
    ptl_json_string_or_null(b, "transport", ptl_rule_transport_name(f->transport));
    ptl_tunnel_json_add(b, "tunnel", &f->tunnel);
    report_verdict_connection(b, f);
    ptl_emit_int(b, "flows", (gint64) f->flows);
    json_builder_set_member_name(b, "example_flows");
    json_builder_begin_array(b);
    for (guint i = 0; i < f->n_examples; i++)
        json_builder_add_int_value(b, (gint64) f->examples[i]);
    json_builder_end_array(b);
    report_verdict_example_records(ptl_verdict_record_examples(v), b, f);
    ptl_json_string_or_null(b, "first_ts", ptl_ts_format(f->first_ts_ns, ts));
    ptl_json_string_or_null(b, "last_ts", ptl_ts_format(f->last_ts_ns, ts));
    json_builder_set_member_name(b, "evidence");
    json_builder_begin_object(b);
    ptl_json_string_or_null(b, "product", f->is_product_inferred ? "inferred" : "declared");
    ptl_json_string_or_null(b, "roles", f->is_roles_inferred ? "inferred" : "declared");
    json_builder_end_object(b);
    ptl_json_string_or_null(b, "message", message);
    ptl_json_string_or_null(b, "advice", advice);
    json_builder_end_object(b);
}

static void
report_verdict_summary(const PtlVerdict *v, JsonBuilder *b)
{
    guint64 by_severity[PTL_SEVERITY_ERROR + 1] = { 0 };
    guint64 by_kind[PTL_FINDING_KIND_COUNT] = { 0 };
    const GPtrArray *findings = ptl_verdict_findings(v);
    for (guint i = 0; i < findings->len; i++) {
        const PtlFinding *f = g_ptr_array_index(findings, i);
        by_severity[f->severity]++;
        by_kind[f->kind]++;
    }
    json_builder_set_member_name(b, "findings_summary");
    json_builder_begin_object(b);
    for (guint s = G_N_ELEMENTS(by_severity); s > 0; s--)
        ptl_emit_int(b, ptl_severity_name((PtlSeverity) (s - 1)), (gint64) by_severity[s - 1]);
    json_builder_set_member_name(b, "by_kind");
    json_builder_begin_object(b);
    for (guint k = 0; k < PTL_FINDING_KIND_COUNT; k++)
        if (by_kind[k] > 0)
            ptl_emit_int(b, ptl_finding_kind_name((PtlFindingKind) k), (gint64) by_kind[k]);
    json_builder_end_object(b);
    json_builder_end_object(b);
}

static void
report_verdict_roles(const PtlVerdict *v, JsonBuilder *b)
{
    char text[PTL_ADDR_STRLEN];
    json_builder_set_member_name(b, "roles");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "inferred");
    json_builder_add_boolean_value(b, ptl_products_is_inferring_nodes(ptl_verdict_products(v)));
    const GArray *nodes = ptl_products_nodes(ptl_verdict_products(v));
    json_builder_set_member_name(b, "nodes");
    json_builder_begin_array(b);
    for (guint i = 0; i < nodes->len && i < REPORT_VERDICT_MAX_NODES; i++)
        json_builder_add_string_value(b, ptl_addr_to_string(&g_array_index(nodes, PtlAddr, i),
                                                            text));
    json_builder_end_array(b);
    ptl_emit_int(b, "nodes_not_listed",
                     nodes->len > REPORT_VERDICT_MAX_NODES ? nodes->len - REPORT_VERDICT_MAX_NODES
                                                          : 0);
    json_builder_end_object(b);
}

void
ptl_report_json_verdict(const PtlVerdict *v, JsonBuilder *b)
{
    g_return_if_fail(v != NULL);
    report_verdict_products(v, b);
    g_autoptr(GPtrArray) services = ptl_verdict_services(v);
    json_builder_set_member_name(b, "services");
    json_builder_begin_array(b);
    for (guint i = 0; i < services->len; i++)
        report_verdict_service(b, g_ptr_array_index(services, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "findings");
    json_builder_begin_array(b);
    const GPtrArray *findings = ptl_verdict_findings(v);
    for (guint i = 0; i < findings->len; i++)
        report_verdict_finding(v, b, g_ptr_array_index(findings, i));
    json_builder_end_array(b);
    report_verdict_summary(v, b);
    report_verdict_roles(v, b);
    ptl_emit_int(b, "flows_not_judged", (gint64) ptl_verdict_flows_not_judged(v));
}

/* one flow's tag and findings: kinds only, or whole finding objects */
static void
report_verdict_flow(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b, gboolean is_whole)
{
    PtlFlowJudgement j;
    ptl_verdict_judge_record(v, rec, &j);
    report_verdict_tag(b, j.rule);
    json_builder_set_member_name(b, "findings");
    json_builder_begin_array(b);
    for (guint i = 0; i < j.n_findings; i++) {
        if (is_whole)
            report_verdict_finding(v, b, &j.findings[i]);
        else
            json_builder_add_string_value(b, ptl_finding_kind_name(j.findings[i].kind));
    }
    json_builder_end_array(b);
}

void
ptl_report_json_flow_verdict(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b)
{
    g_return_if_fail(v != NULL && rec != NULL);
    report_verdict_flow(v, rec, b, FALSE);
}

void
ptl_report_json_flow_findings(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b)
{
    g_return_if_fail(v != NULL && rec != NULL);
    report_verdict_flow(v, rec, b, TRUE);
}
