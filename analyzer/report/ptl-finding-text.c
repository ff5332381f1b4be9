/* ptl-finding-text.c: the words of a finding (message and advice), from the
 * judge's plain data.  The wording of the connection itself is ptl-connection's. */
#include "ptl-finding-text.h"

#include "ptl-products.h"
#include "ptl-time.h"

#include <string.h>

/* "nodes, admins, listener.logz.io" (a rule's sources) or "node, admin" (a host's roles) */
const char *
ptl_finding_roles_text(guint32 mask, char **hosts, gboolean is_plural, char *buf)
{
    static const struct { guint32 role; const char *one, *many; } names[] = {
        { PTL_ROLE_NODE, "node", "nodes" }, { PTL_ROLE_ADMIN, "admin", "admins" },
        { PTL_ROLE_CLIENT, "client", "clients" },
        { PTL_ROLE_EXTERNAL, "external", "external hosts" },
    };
    gboolean is_any = (mask & PTL_ROLE_ANY) == PTL_ROLE_ANY;
    g_strlcpy(buf, is_any ? "any host" : "", PTL_FINDING_TEXT_MAX);
    for (guint i = 0; !is_any && i < G_N_ELEMENTS(names); i++) {
        if (mask & names[i].role) {
            if (buf[0] != '\0')
                g_strlcat(buf, ", ", PTL_FINDING_TEXT_MAX);
            g_strlcat(buf, is_plural ? names[i].many : names[i].one, PTL_FINDING_TEXT_MAX);
        }
    }
    for (char **host = hosts; host != NULL && *host != NULL; host++) {
        if (buf[0] != '\0')
            g_strlcat(buf, ", ", PTL_FINDING_TEXT_MAX);
        g_strlcat(buf, *host, PTL_FINDING_TEXT_MAX);
    }
    return buf;
}

/* "sisense discovery-zookeeper-client (Sisense multi-node ports, row 40; sisense.rules:40)":
 * the vendor's document by its title, never the seed file's name */
char *
ptl_finding_rule_text(const PtlRule *rule)
{
    if (rule->doc_title == NULL)
        return g_strdup_printf("%s %s (site rule %s:%u)", rule->product, rule->service,
                               ptl_rule_file_name(rule), rule->line);
    return g_strdup_printf("%s %s (%s, row %u; %s:%u)", rule->product, rule->service,
                           rule->doc_title, rule->doc_row, ptl_rule_file_name(rule), rule->line);
}

static char *
finding_text_products(const PtlVerdict *v)
{
    GString *text = g_string_new(NULL);
    const GPtrArray *products = ptl_products_list(ptl_verdict_products(v));
    for (guint i = 0; i < products->len; i++) {
        const PtlProduct *product = g_ptr_array_index(products, i);
        if (product->is_selected)
            g_string_append_printf(text, "%s%s", text->len > 0 ? ", " : "", product->name);
    }
    if (text->len == 0)
        g_string_append(text, "the selected products (none)");
    return g_string_free(text, FALSE);
}

void
ptl_finding_names(const PtlFinding *f, PtlFindingNames *n)
{
    ptl_addr_to_string(&f->client, n->client);
    ptl_addr_to_string(&f->server, n->server);
    g_snprintf(n->where, sizeof n->where, "%s/%u", ptl_rule_transport_name(f->transport),
               f->port);
}

/* " (TCP reset to the SYN: ...)" or "" when the connection was simply answered */
static char *
finding_text_conn_paren(const PtlConnEvidence *conn)
{
    char detail[PTL_CONNECTION_TEXT_MAX];
    ptl_connection_detail(conn, detail);
    return detail[0] != '\0' ? g_strdup_printf(" (%s)", detail) : g_strdup("");
}

static char *
finding_text_source(const PtlVerdict *v, const PtlFinding *f, const PtlFindingNames *n)
{
    char roles[PTL_FINDING_TEXT_MAX], sources[PTL_FINDING_TEXT_MAX];
    gboolean is_inferred;
    guint32 role = ptl_verdict_host_role(v, &f->client, &is_inferred);
    g_autofree char *rule = ptl_finding_rule_text(f->rule);
    g_autofree char *paren = finding_text_conn_paren(&f->conn);
    return g_strdup_printf("%s (%s%s) %s %s on %s%s: %s, which the doc allows only "
                           "from %s.", n->client, ptl_finding_roles_text(role, NULL, FALSE, roles),
                           is_inferred ? ", inferred" : "", ptl_connection_verb(&f->conn),
                           n->server, n->where, paren, rule,
                           f->rule->is_dynamic ? "nodes (dynamic range)"
                           : ptl_finding_roles_text(f->rule->sources, f->rule->source_hosts, TRUE,
                                               sources));
}

static char *
finding_text_mismatch(const PtlFinding *f, const PtlFindingNames *n)
{
    g_autofree char *rule = ptl_finding_rule_text(f->rule);
    if (f->severity == PTL_SEVERITY_ERROR)
        return g_strdup_printf("%s -> %s %s carried clear text (%s) where %s documents TLS.",
                               n->client, n->server, n->where, f->observed, rule);
    gboolean is_unknown = g_strcmp0(f->observed, "unknown") == 0;
    return g_strdup_printf("%s -> %s %s carried %s%s where %s documents %s.", n->client,
                           n->server, n->where, is_unknown ? "unidentified bytes" : "",
                           is_unknown ? "" : f->observed, rule, f->rule->protocol);
}

/* connection-refused and connection-unanswered */
static char *
finding_text_failed(const PtlFinding *f, const PtlFindingNames *n, const char *rule)
{
    g_autofree char *paren = finding_text_conn_paren(&f->conn);
    g_autofree char *transient = f->is_transient
                                 ? ptl_connection_transient_text(&f->conn, &f->transient) : NULL;
    return g_strdup_printf("%s %s %s on %s%s, documented as %s%s%s.", n->client,
                           ptl_connection_verb(&f->conn), n->server, n->where, paren, rule,
                           transient != NULL ? "; " : "", transient != NULL ? transient : "");
}

static char *
finding_text_kind(const PtlVerdict *v, const PtlFinding *f, const PtlFindingNames *n)
{
    g_autofree char *rule = f->rule != NULL ? ptl_finding_rule_text(f->rule) : NULL;
    g_autofree char *paren = finding_text_conn_paren(&f->conn);
    switch (f->kind) {
    case PTL_FINDING_SOURCE_NOT_ALLOWED:
        return finding_text_source(v, f, n);
    case PTL_FINDING_DIRECTION_VIOLATION:
        return g_strdup_printf("%s %s node %s on %s%s, which %s documents only as outbound "
                               "from the nodes.", n->client,
                               ptl_connection_is_accepted(ptl_connection_classify(&f->conn))
                               ? "connected into" : ptl_connection_verb(&f->conn),
                               n->server, n->where, paren, rule);
    case PTL_FINDING_PROTOCOL_MISMATCH:
        return finding_text_mismatch(f, n);
    case PTL_FINDING_UNDOCUMENTED_PORT: {
        g_autofree char *products = finding_text_products(v);
        return g_strdup_printf("%s %s node %s on %s%s, a port no rule of %s documents.",
                               n->client, ptl_connection_verb(&f->conn), n->server, n->where,
                               paren, products);
    }
    case PTL_FINDING_CONNECTION_REFUSED:
    case PTL_FINDING_CONNECTION_UNANSWERED:
        return finding_text_failed(f, n, rule);
    case PTL_FINDING_CLEARTEXT_CREDENTIALS:
        return g_strdup_printf("%s sent credentials in clear text to %s on %s (%s)%s%s.",
                               n->client, n->server, n->where,
                               f->auth_detail[0] != '\0' ? f->auth_detail : "mechanism unknown",
                               rule != NULL ? ", service " : "", rule != NULL ? rule : "");
    default:
        g_return_val_if_reached(g_strdup(""));
    }
}

/* A policy finding on a guess says how to turn the guess into a declaration. */
char *
ptl_finding_message(const PtlVerdict *v, const PtlFinding *f)
{
    PtlFindingNames names;
    ptl_finding_names(f, &names);
    const PtlFindingNames *n = &names;
    char *message = finding_text_kind(v, f, n);
    if (!ptl_finding_kind_is_policy(f->kind) || (!f->is_product_inferred && !f->is_roles_inferred))
        return message;
    const char *guess = f->is_product_inferred && f->is_roles_inferred
                      ? "product and the roles are" : f->is_product_inferred ? "product is"
                      : "roles are";
    const char *how = f->is_roles_inferred && f->is_product_inferred
                    ? "name the product with --product and declare the nodes with --nodes or "
                      "an inventory"
                    : f->is_product_inferred ? "name the product with --product or an inventory"
                    : "declare the nodes with --nodes or an inventory";
    char *full = g_strdup_printf("%s The %s inferred from the traffic: %s to confirm.",
                                 message, guess, how);
    g_free(message);
    return full;
}

char *
ptl_finding_advice(const PtlFinding *f)
{
    PtlFindingNames names;
    ptl_finding_names(f, &names);
    const PtlFindingNames *n = &names;
    const char *file = f->rule != NULL ? ptl_rule_file_name(f->rule) : "";
    guint line = f->rule != NULL ? f->rule->line : 0;
    g_autofree char *proto = g_ascii_strup(ptl_rule_transport_name(f->transport), -1);
    PtlConnClass klass = ptl_connection_classify(&f->conn);
    switch (f->kind) {
    case PTL_FINDING_SOURCE_NOT_ALLOWED:
        if (ptl_connection_is_failed(klass))
            return g_strdup_printf("The connection did not get through, as the doc wants; if %s "
                                   "belongs to the cluster, declare its role in the inventory.",
                                   n->client);
        return g_strdup_printf("If %s belongs to the cluster, declare its role in the inventory; "
                               "otherwise block %s %u from %s to %s.", n->client, proto, f->port,
                               n->client, n->server);
    case PTL_FINDING_DIRECTION_VIOLATION:
        return g_strdup_printf("Find what listens on %s on %s: the doc has the nodes connect out "
                               "on this port (rule %s:%u), not accept it.", n->where, n->server,
                               file, line);
    case PTL_FINDING_PROTOCOL_MISMATCH:
        if (f->severity == PTL_SEVERITY_ERROR)
            return g_strdup_printf("Enable TLS between %s and %s on %s as the doc requires "
                                   "(rule %s:%u).", n->client, n->server, n->where, file, line);
        return g_strdup_printf("Check which process owns %s on %s: another service may have "
                               "taken the documented port (rule %s:%u).", n->where, n->server,
                               file, line);
    case PTL_FINDING_UNDOCUMENTED_PORT:
        if (ptl_connection_is_accepted(klass))
            return g_strdup_printf("Identify the process listening on %s on %s; document it in "
                                   "a site rule or close the port.", n->where, n->server);
        if (klass == PTL_CONN_REFUSED_RST || klass == PTL_CONN_REFUSED_ICMP)
            return g_strdup_printf("Nothing accepted %s on %s; check why %s expects a service "
                                   "there.", n->where, n->server, n->client);
        if (klass == PTL_CONN_NO_REPLY)
            return g_strdup_printf("No reply was seen; check why %s sends to %s on %s.",
                                   n->client, n->server, n->where);
        return g_strdup_printf("Nothing answered; check why %s expects a service on %s.",
                               n->client, n->where);
    case PTL_FINDING_CONNECTION_REFUSED:
    case PTL_FINDING_CONNECTION_UNANSWERED: {
        g_autofree char *rule_ref = g_strdup_printf("rule %s:%u", file, line);
        if (f->is_transient) {
            char ts[PTL_TS_STRLEN];
            return g_strdup_printf("None on the network: %s accepted the connection at %s. If "
                                   "failures recur, check the order the services start in "
                                   "(%s).", n->server,
                                   ptl_ts_format(f->transient.accepted_ns, ts), rule_ref);
        }
        return ptl_connection_advice(&f->conn, n->client, n->server, f->transport, f->port,
                                     rule_ref);
    }
    case PTL_FINDING_CLEARTEXT_CREDENTIALS:
        if (f->severity == PTL_SEVERITY_ERROR)
            return g_strdup_printf("Use TLS as the doc requires (rule %s:%u) and change the "
                                   "exposed password.", file, line);
        return g_strdup_printf("Move %s to TLS or a mechanism that sends no password, and "
                               "change the exposed password.", n->where);
    default:
        g_return_val_if_reached(g_strdup(""));
    }
}
