/* ptl-verdict.c: the rule engine (judging only; the report modules word and
 * render what it found).
 *
 * Ended flows are folded into conversation aggregates (bounded); finish has
 * ptl-products pick the products and infer the nodes the inventory leaves open
 * (ptl-host-kind keeping broadcast and multicast addresses out), then runs the one
 * pure judging function over every aggregate and folds its issues into
 * findings keyed by (kind, client, server, transport, port).  judge_flow runs
 * the same function on a single record, so both always agree. */
#include "ptl-verdict.h"


#include "ptl-connection.h"
#include "ptl-products.h"

#include <string.h>

#define VERDICT_MAX_AGGREGATES     262144
#define VERDICT_SERVICE_MAX_HOSTS  32
#define VERDICT_SERVICE_MAX_PROTOS 16    /* observed protocols per service; the rest: "other" */

/* ---- types ------------------------------------------------------------ */

typedef struct {
    PtlConversation conv;       /* the first record (only its key fields are used), flows */
    guint64       packets, bytes;
    gint64        first_ts_ns, last_ts_ns;
    gint64        last_start_ns;  /* the latest flow start: did one follow a failure? */
    guint         n_examples;
    guint64       examples[PTL_VERDICT_EXAMPLES];
} VerdictAggregate;

typedef struct {
    PtlFindingKind kind;
    PtlSeverity    severity;
    gboolean       is_product_inferred, is_roles_inferred;
} VerdictIssue;

/* What the rules say about one record: the output of the pure judging function. */
typedef struct {
    const PtlRule *rule;        /* NULL: untagged */
    gboolean       is_product_inferred; /* the selection this judgement rests on */
    gboolean       is_node_inferred;    /* the node roles it rests on */
    gboolean       is_client_inferred;  /* the client's role, where a finding rests on it */
    guint          n_issues;
    VerdictIssue   issues[PTL_VERDICT_MAX_ISSUES];
} VerdictJudgement;

struct _PtlVerdict {
    const PtlRuleSet   *rules;
    const PtlInventory *inv;
    GHashTable         *aggregates;      /* VerdictAggregate* set */
    guint64             not_judged;
    gboolean            is_selected;     /* products and roles chosen (refresh or finish) */
    gboolean            is_finished;
    PtlProducts        *products;        /* selection and nodes */
    PtlHostKinds       *kinds;           /* which addresses are hosts; rebuilt by refresh */
    GPtrArray          *findings;        /* PtlFinding*, sorted */
    GHashTable         *services;        /* PtlRule* -> PtlService* */
    const PtlRecordExamples *record_examples; /* transfer none; may be NULL */
};

/* ---- names ------------------------------------------------------------ */

static const char *const verdict_kind_names[PTL_FINDING_KIND_COUNT] = {
    "source-not-allowed", "direction-violation", "protocol-mismatch", "undocumented-port",
    "connection-refused", "connection-unanswered", "cleartext-credentials",
};

static const char *const verdict_severity_names[] = { "info", "warning", "error" };

const char *
ptl_finding_kind_name(PtlFindingKind kind)
{
    g_return_val_if_fail((guint) kind < PTL_FINDING_KIND_COUNT, "unknown");
    return verdict_kind_names[kind];
}

gboolean
ptl_finding_kind_parse(const char *text, PtlFindingKind *out)
{
    for (guint i = 0; text != NULL && i < PTL_FINDING_KIND_COUNT; i++) {
        if (strcmp(text, verdict_kind_names[i]) == 0) {
            *out = (PtlFindingKind) i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *
ptl_severity_name(PtlSeverity severity)
{
    g_return_val_if_fail((guint) severity < G_N_ELEMENTS(verdict_severity_names), "unknown");
    return verdict_severity_names[severity];
}

gboolean
ptl_severity_parse(const char *text, PtlSeverity *out)
{
    for (guint i = 0; text != NULL && i < G_N_ELEMENTS(verdict_severity_names); i++) {
        if (g_ascii_strcasecmp(text, verdict_severity_names[i]) == 0) {
            *out = (PtlSeverity) i;
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- addresses -------------------------------------------------------- */

/* private, loopback, link-local (v4 and v6) and unique local addresses */
static gboolean
verdict_addr_is_private(const PtlAddr *addr)
{
    const guint8 *b = addr->bytes;
    if (addr->family == 6) {
        static const guint8 loopback[16] = { [15] = 1 };
        return memcmp(b, loopback, 16) == 0 || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
               (b[0] & 0xfe) == 0xfc;
    }
    return b[0] == 10 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
}

/* ---- small helpers ---------------------------------------------------- */

static PtlConnEvidence
verdict_conn_of(const PtlFlowRecord *rec)
{
    return (PtlConnEvidence) { .state = rec->state, .refusal = rec->refusal,
                               .family = rec->server.family, .icmp_type = rec->icmp_type,
                               .icmp_code = rec->icmp_code, .handshake = rec->handshake };
}

static gboolean
verdict_is_inbound(const PtlRule *rule)
{
    return rule->direction == PTL_RULE_INBOUND || rule->direction == PTL_RULE_BIDIRECTIONAL;
}

/* websocket is HTTP upgraded: an http rule explains it */
static const char *
verdict_protocol_normal(const char *observed)
{
    return g_strcmp0(observed, "websocket") == 0 ? "http" : observed;
}

/* A rule's protocol is met by what the flow is now, or by the clear-text start
 * of a documented upgrade (an smtp rule explains SMTP that went STARTTLS). */
static gboolean
verdict_protocol_meets(const char *observed, const char *upgraded_from, const char *expected)
{
    const char *normal = verdict_protocol_normal(observed);
    return (normal != NULL && g_strcmp0(expected, normal) == 0) ||
           (upgraded_from != NULL && g_strcmp0(expected, upgraded_from) == 0);
}

static guint32
verdict_port_key(guint8 transport, guint16 port)
{
    return (guint32) transport << 16 | port;
}

static void
verdict_add_example(guint64 *examples, guint *n, guint64 id)
{
    if (*n < PTL_VERDICT_EXAMPLES)
        examples[(*n)++] = id;
}

/* ---- aggregates ------------------------------------------------------- */

static guint
verdict_aggregate_hash(gconstpointer p)
{
    const PtlFlowRecord *k = &((const VerdictAggregate *) p)->conv.key;
    guint h = ptl_addr_hash(&k->client) * 33 + ptl_addr_hash(&k->server);
    h = h * 33 + (guint) k->transport * 65537u + k->server_port;
    h = h * 33 + (guint) k->state;
    h = h * 33 + g_str_hash(k->protocol != NULL ? k->protocol : "");
    h = h * 33 + k->facts;
    if (k->tunnel.id != 0)                     /* untunnelled: the hash (and order) of before */
        h = h * 33 + k->tunnel.id;
    return h * 33 + g_str_hash(k->auth_detail);
}

static gboolean
verdict_aggregate_equal(gconstpointer pa, gconstpointer pb)
{
    const PtlFlowRecord *a = &((const VerdictAggregate *) pa)->conv.key;
    const PtlFlowRecord *b = &((const VerdictAggregate *) pb)->conv.key;
    return ptl_addr_equal(&a->client, &b->client) && ptl_addr_equal(&a->server, &b->server) &&
           a->transport == b->transport && a->server_port == b->server_port &&
           a->state == b->state && a->refusal == b->refusal &&
           a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code &&
           g_strcmp0(a->protocol, b->protocol) == 0 &&
           a->facts == b->facts && a->tunnel.id == b->tunnel.id &&
           strcmp(a->auth_detail, b->auth_detail) == 0;
}

static void
verdict_service_free(gpointer p)
{
    PtlService *s = p;
    g_array_unref(s->observed);
    g_array_unref(s->clients);
    g_array_unref(s->servers);
    g_free(s);
}

PtlVerdict *
ptl_verdict_new(const PtlRuleSet *rules, const PtlInventory *inv, char **products)
{
    g_return_val_if_fail(rules != NULL, NULL);
    PtlVerdict *v = g_new0(PtlVerdict, 1);
    v->rules = rules;
    v->inv = inv;
    v->products = ptl_products_new(rules, inv, products);
    v->kinds = ptl_host_kinds_new(inv);
    v->aggregates = g_hash_table_new_full(verdict_aggregate_hash, verdict_aggregate_equal,
                                          g_free, NULL);
    v->findings = g_ptr_array_new_with_free_func(g_free);
    v->services = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                        verdict_service_free);
    return v;
}

void
ptl_verdict_free(PtlVerdict *v)
{
    if (v == NULL)
        return;
    g_hash_table_unref(v->aggregates);
    ptl_products_free(v->products);
    ptl_host_kinds_free(v->kinds);
    g_ptr_array_unref(v->findings);
    g_hash_table_unref(v->services);
    g_free(v);
}

void
ptl_verdict_set_record_examples(PtlVerdict *v, const PtlRecordExamples *store)
{
    v->record_examples = store;
}

const PtlRecordExamples *
ptl_verdict_record_examples(const PtlVerdict *v)
{
    g_return_val_if_fail(v != NULL, NULL);
    return v->record_examples;
}

gboolean
ptl_verdict_add(PtlVerdict *v, const PtlFlowRecord *rec)
{
    g_return_val_if_fail(v != NULL && rec != NULL && !v->is_finished, FALSE);
    VerdictAggregate probe;
    probe.conv.key = *rec;
    /* the record is plain data from elsewhere: never trust it to be terminated */
    probe.conv.key.auth_detail[PTL_AUTH_DETAIL_MAX - 1] = '\0';
    VerdictAggregate *agg = g_hash_table_lookup(v->aggregates, &probe);
    if (agg == NULL) {
        if (g_hash_table_size(v->aggregates) >= VERDICT_MAX_AGGREGATES) {
            v->not_judged++;
            return FALSE;
        }
        agg = g_new0(VerdictAggregate, 1);
        agg->conv.key = probe.conv.key;
        agg->first_ts_ns = rec->first_ts_ns;
        agg->last_ts_ns = rec->last_ts_ns;
        agg->last_start_ns = rec->first_ts_ns;
        g_hash_table_add(v->aggregates, agg);
    }
    agg->last_start_ns = MAX(agg->last_start_ns, rec->first_ts_ns);
    agg->conv.flows++;
    agg->packets += rec->packets;
    agg->bytes += rec->bytes;
    agg->first_ts_ns = MIN(agg->first_ts_ns, rec->first_ts_ns);
    agg->last_ts_ns = MAX(agg->last_ts_ns, rec->last_ts_ns);
    guint before = agg->n_examples;
    verdict_add_example(agg->examples, &agg->n_examples, rec->id);
    return agg->n_examples > before;
}

/* ---- rules of the selected products ----------------------------------- */

/* Shared ports: a site rule (the site's exception), then the rule expecting
 * what was observed, then the product listed first, then the first rule. */
static const PtlRule *
verdict_pick(const PtlVerdict *v, const GPtrArray *rules, gboolean want_inbound,
             const PtlFlowRecord *rec)
{
    const PtlRule *best = NULL;
    gboolean is_best_same = FALSE;
    guint best_rank = 0;
    for (guint i = 0; i < rules->len; i++) {
        const PtlRule *rule = g_ptr_array_index(rules, i);
        if (verdict_is_inbound(rule) != want_inbound)
            continue;
        gboolean is_same = verdict_protocol_meets(rec->protocol, rec->upgraded_from,
                                                  rule->protocol);
        guint rank = ptl_products_rank(v->products, rule->product);
        gboolean is_site = rank == PTL_PRODUCTS_RANK_SITE;
        gboolean is_best_site = best_rank == PTL_PRODUCTS_RANK_SITE;
        if (best == NULL || (is_site && !is_best_site) ||
            (is_site == is_best_site && is_same && !is_best_same) ||
            (is_site == is_best_site && is_same == is_best_same && rank < best_rank)) {
            best = rule;
            is_best_same = is_same;
            best_rank = rank;
        }
    }
    return best;
}

/* ---- roles ------------------------------------------------------------ */

/* a broadcast, multicast or network address has no role: it is no machine */
static guint32
verdict_role(const PtlVerdict *v, const PtlAddr *addr, gboolean *is_inferred)
{
    *is_inferred = FALSE;
    if (ptl_host_kinds_classify(v->kinds, addr) != PTL_HOST_KIND_HOST)
        return 0;
    guint32 declared = v->inv != NULL ? ptl_inventory_role(v->inv, addr) : 0;
    *is_inferred = declared == 0;
    if (declared != 0)
        return declared;
    if (ptl_products_is_inferred_node(v->products, addr))
        return PTL_ROLE_NODE;
    return verdict_addr_is_private(addr) ? PTL_ROLE_CLIENT : PTL_ROLE_EXTERNAL;
}

guint32
ptl_verdict_host_role(const PtlVerdict *v, const PtlAddr *addr, gboolean *is_inferred)
{
    gboolean is_guess = FALSE;
    g_return_val_if_fail(v != NULL && addr != NULL, 0);
    guint32 role = v->is_selected ? verdict_role(v, addr, &is_guess) : 0;
    if (is_inferred != NULL)
        *is_inferred = role != 0 && is_guess;
    return role;
}

PtlHostKind
ptl_verdict_host_kind(const PtlVerdict *v, const PtlAddr *addr)
{
    g_return_val_if_fail(v != NULL && addr != NULL, PTL_HOST_KIND_HOST);
    return v->is_selected ? ptl_host_kinds_classify(v->kinds, addr)
                          : ptl_host_kind_of_addr(addr);
}

static gboolean
verdict_source_allowed(const PtlVerdict *v, const PtlRule *rule, const PtlAddr *client,
                       guint32 client_role)
{
    if ((rule->sources & client_role) != 0)
        return TRUE;
    for (char **host = rule->source_hosts; v->inv != NULL && host != NULL && *host != NULL;
         host++) {
        const PtlAddr *named = ptl_inventory_named_host(v->inv, *host);
        if (named != NULL && ptl_addr_equal(named, client))
            return TRUE;
    }
    return FALSE;
}

/* ---- judging: one pure function for aggregates and single flows ------- */

/* findings about where traffic may go: they rest on the product and the roles */
gboolean
ptl_finding_kind_is_policy(PtlFindingKind kind)
{
    return kind == PTL_FINDING_SOURCE_NOT_ALLOWED || kind == PTL_FINDING_DIRECTION_VIOLATION ||
           kind == PTL_FINDING_UNDOCUMENTED_PORT;
}

/* A policy finding resting on a guess is at most a warning (docs/findings.md);
 * only source-not-allowed rests on the client's role. */
static void
verdict_issue(VerdictJudgement *j, PtlFindingKind kind, PtlSeverity severity)
{
    if (j->n_issues >= PTL_VERDICT_MAX_ISSUES)
        return;
    gboolean is_roles_inferred = j->is_node_inferred ||
                                 (kind == PTL_FINDING_SOURCE_NOT_ALLOWED && j->is_client_inferred);
    if (ptl_finding_kind_is_policy(kind) && (j->is_product_inferred || is_roles_inferred))
        severity = MIN(severity, PTL_SEVERITY_WARNING);
    j->issues[j->n_issues++] = (VerdictIssue) { kind, severity, j->is_product_inferred,
                                                is_roles_inferred };
}

/* unconfirmed (no payload) is not a mismatch; any and opaque promise nothing */
static void
verdict_judge_protocol(const PtlFlowRecord *rec, const PtlRule *rule, VerdictJudgement *j)
{
    const char *expected = rule->protocol;
    if (rec->protocol == NULL || g_strcmp0(expected, "any") == 0 ||
        g_strcmp0(expected, "opaque") == 0 ||
        verdict_protocol_meets(rec->protocol, rec->upgraded_from, expected))
        return;
    verdict_issue(j, PTL_FINDING_PROTOCOL_MISMATCH,
                  g_strcmp0(expected, "tls") == 0 ? PTL_SEVERITY_ERROR : PTL_SEVERITY_WARNING);
}

static void
verdict_judge_access(const PtlFlowRecord *rec, VerdictJudgement *j)
{
    if (rec->state == PTL_FLOW_REFUSED)
        verdict_issue(j, PTL_FINDING_CONNECTION_REFUSED, PTL_SEVERITY_ERROR);
    else if (rec->state == PTL_FLOW_UNANSWERED)
        verdict_issue(j, PTL_FINDING_CONNECTION_UNANSWERED, PTL_SEVERITY_ERROR);
}

/* into a node on a port it documents inbound; FALSE: exempt from every check */
static gboolean
verdict_judge_inbound(const PtlVerdict *v, const PtlFlowRecord *rec, const PtlRule *rule,
                      guint32 client_role, VerdictJudgement *j)
{
    if (rule->is_dynamic) {
        if (client_role & PTL_ROLE_NODE)
            return FALSE;
        verdict_issue(j, PTL_FINDING_SOURCE_NOT_ALLOWED, PTL_SEVERITY_ERROR);
        return TRUE;
    }
    /* a refused disallowed source is the firewall doing its job: no access finding */
    if (!verdict_source_allowed(v, rule, &rec->client, client_role))
        verdict_issue(j, PTL_FINDING_SOURCE_NOT_ALLOWED, PTL_SEVERITY_ERROR);
    else
        verdict_judge_access(rec, j);
    verdict_judge_protocol(rec, rule, j);
    return TRUE;
}

static void
verdict_judge_cleartext(const PtlFlowRecord *rec, VerdictJudgement *j)
{
    /* credentials sent before a STARTTLS still crossed in clear */
    if (!(rec->facts & (1u << PTL_FACT_CLEARTEXT_AUTH)) ||
        (g_strcmp0(rec->protocol, "tls") == 0 && rec->upgraded_from == NULL))
        return;
    gboolean is_tls_expected = j->rule != NULL && g_strcmp0(j->rule->protocol, "tls") == 0;
    verdict_issue(j, PTL_FINDING_CLEARTEXT_CREDENTIALS,
                  is_tls_expected ? PTL_SEVERITY_ERROR : PTL_SEVERITY_WARNING);
}

/* The client's role is known when the inventory gives it, or when the rule allows
 * only roles the inventory declares in full (a host it does not list is none of them). */
static gboolean
verdict_is_client_inferred(const PtlVerdict *v, const PtlRule *rule, const PtlAddr *client)
{
    if (v->inv == NULL)
        return TRUE;
    if (ptl_inventory_role(v->inv, client) != 0 || rule == NULL)
        return FALSE;
    static const guint32 roles[] = { PTL_ROLE_NODE, PTL_ROLE_ADMIN, PTL_ROLE_CLIENT,
                                     PTL_ROLE_EXTERNAL };
    for (guint i = 0; i < G_N_ELEMENTS(roles); i++)
        if ((rule->sources & roles[i]) && !ptl_inventory_declares(v->inv, roles[i]))
            return TRUE;
    return FALSE;
}

/* the product behind the tag; untagged: the selection as a whole */
static gboolean
verdict_is_product_inferred(const PtlVerdict *v, const PtlRule *rule)
{
    if (rule != NULL)
        return !ptl_products_is_declared(v->products, rule->product);
    return ptl_products_origin(v->products) != PTL_PRODUCTS_DECLARED;
}

static void
verdict_set_rule(const PtlVerdict *v, const PtlFlowRecord *rec, const PtlRule *rule,
                 VerdictJudgement *j)
{
    j->rule = rule;
    j->is_product_inferred = verdict_is_product_inferred(v, rule);
    j->is_client_inferred = verdict_is_client_inferred(v, rule, &rec->client);
}

static void
verdict_judge(const PtlVerdict *v, const PtlFlowRecord *rec, VerdictJudgement *j)
{
    memset(j, 0, sizeof *j);
    gboolean is_inferred;
    guint32 client_role = verdict_role(v, &rec->client, &is_inferred);
    guint32 server_role = verdict_role(v, &rec->server, &is_inferred);
    g_autoptr(GPtrArray) rules = ptl_products_candidates(v->products, rec->transport,
                                                         rec->server_port);
    const PtlRule *inbound = verdict_pick(v, rules, TRUE, rec);
    const PtlRule *outbound = verdict_pick(v, rules, FALSE, rec);
    j->is_node_inferred = ptl_products_is_inferring_nodes(v->products);
    verdict_set_rule(v, rec, NULL, j);
    if (server_role & PTL_ROLE_NODE) {
        if (inbound != NULL) {
            verdict_set_rule(v, rec, inbound, j);
            if (!verdict_judge_inbound(v, rec, inbound, client_role, j))
                return;
        } else if (outbound != NULL) {
            verdict_set_rule(v, rec, outbound, j);
            verdict_issue(j, PTL_FINDING_DIRECTION_VIOLATION, PTL_SEVERITY_ERROR);
        } else {
            verdict_issue(j, PTL_FINDING_UNDOCUMENTED_PORT,
                          ptl_flow_state_is_answered(rec->state) ? PTL_SEVERITY_WARNING
                                                          : PTL_SEVERITY_INFO);
        }
    } else if ((client_role & PTL_ROLE_NODE) && outbound != NULL) {
        /* the destination is not checked against named hosts: see docs/findings.md */
        verdict_set_rule(v, rec, outbound, j);
        verdict_judge_access(rec, j);
        verdict_judge_protocol(rec, outbound, j);
    }
    verdict_judge_cleartext(rec, j);
}

/* ---- findings and services -------------------------------------------- */

static guint
verdict_finding_hash(gconstpointer p)
{
    const PtlFinding *f = p;
    guint h = ptl_addr_hash(&f->client) * 33 + ptl_addr_hash(&f->server);
    if (f->tunnel.id != 0)
        h = h * 33 + f->tunnel.id;
    return (h * 33 + (guint) f->kind) * 33 + verdict_port_key(f->transport, f->port);
}

static gboolean
verdict_finding_equal(gconstpointer pa, gconstpointer pb)
{
    const PtlFinding *a = pa, *b = pb;
    return a->kind == b->kind && a->transport == b->transport && a->port == b->port &&
           a->tunnel.id == b->tunnel.id && ptl_addr_equal(&a->client, &b->client) && ptl_addr_equal(&a->server, &b->server);
}

static void
verdict_finding_merge(PtlFinding *f, const VerdictAggregate *agg, const VerdictIssue *issue,
                      const PtlRule *rule)
{
    /* the worst record names the rule and severity; among equals, the one
     * whose connection the capture shows best names the evidence */
    PtlConnEvidence conn = verdict_conn_of(&agg->conv.key);
    gboolean is_better_evidence = issue->severity == f->severity &&
        ptl_connection_rank(ptl_connection_classify(&conn)) >
        ptl_connection_rank(ptl_connection_classify(&f->conn));
    if (f->flows == 0 || issue->severity > f->severity || is_better_evidence) {
        f->severity = issue->severity;
        f->is_product_inferred = issue->is_product_inferred;
        f->is_roles_inferred = issue->is_roles_inferred;
        f->rule = rule;
        f->observed = agg->conv.key.protocol;
        f->conn = conn;
        g_strlcpy(f->auth_detail, agg->conv.key.auth_detail, sizeof f->auth_detail);
    }
    f->first_ts_ns = f->flows == 0 ? agg->first_ts_ns : MIN(f->first_ts_ns, agg->first_ts_ns);
    f->last_ts_ns = f->flows == 0 ? agg->last_ts_ns : MAX(f->last_ts_ns, agg->last_ts_ns);
    f->flows += agg->conv.flows;
    for (guint i = 0; i < agg->n_examples; i++)
        verdict_add_example(f->examples, &f->n_examples, agg->examples[i]);
}

static void
verdict_add_finding(GHashTable *findings, const VerdictAggregate *agg,
                    const VerdictIssue *issue, const PtlRule *rule)
{
    PtlFinding probe = {
        .kind = issue->kind, .client = agg->conv.key.client, .server = agg->conv.key.server,
        .transport = agg->conv.key.transport, .port = agg->conv.key.server_port,
        .tunnel = agg->conv.key.tunnel,
    };
    PtlFinding *f = g_hash_table_lookup(findings, &probe);
    if (f == NULL) {
        f = g_memdup2(&probe, sizeof probe);
        g_hash_table_add(findings, f);
    }
    verdict_finding_merge(f, agg, issue, rule);
}

static void
verdict_add_host(GArray *hosts, gboolean *has_more, const PtlAddr *addr)
{
    for (guint i = 0; i < hosts->len; i++)
        if (ptl_addr_equal(&g_array_index(hosts, PtlAddr, i), addr))
            return;
    if (hosts->len < VERDICT_SERVICE_MAX_HOSTS)
        g_array_append_vals(hosts, addr, 1);
    else
        *has_more = TRUE;
}

static void
verdict_count_observed(PtlService *s, const char *protocol, guint64 flows)
{
    for (guint i = 0; i < s->observed->len; i++) {
        PtlProtoCount *count = &g_array_index(s->observed, PtlProtoCount, i);
        if (g_strcmp0(count->name, protocol) == 0) {
            count->flows += flows;
            return;
        }
    }
    if (s->observed->len >= VERDICT_SERVICE_MAX_PROTOS) {
        s->observed_other += flows;
        return;
    }
    PtlProtoCount count = { protocol, flows };
    g_array_append_val(s->observed, count);
}

static void
verdict_add_service(PtlVerdict *v, const PtlRule *rule, const VerdictAggregate *agg)
{
    PtlService *s = g_hash_table_lookup(v->services, rule);
    if (s == NULL) {
        s = g_new0(PtlService, 1);
        s->rule = rule;
        s->observed = g_array_new(FALSE, FALSE, sizeof(PtlProtoCount));
        s->clients = g_array_new(FALSE, FALSE, sizeof(PtlAddr));
        s->servers = g_array_new(FALSE, FALSE, sizeof(PtlAddr));
        g_hash_table_insert(v->services, (gpointer) rule, s);
    }
    s->flows += agg->conv.flows;
    s->bytes += agg->bytes;
    verdict_count_observed(s, agg->conv.key.protocol, agg->conv.flows);
    verdict_add_host(s->clients, &s->has_more_clients, &agg->conv.key.client);
    verdict_add_host(s->servers, &s->has_more_servers, &agg->conv.key.server);
}

/* errors first, then warnings, then info; then port, client, server */
static gint
verdict_finding_sort(gconstpointer pa, gconstpointer pb)
{
    const PtlFinding *a = *(PtlFinding *const *) pa;
    const PtlFinding *b = *(PtlFinding *const *) pb;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    int by_client = ptl_addr_compare(&a->client, &b->client);
    if (by_client != 0)
        return by_client;
    int by_server = ptl_addr_compare(&a->server, &b->server);
    if (by_server != 0)
        return by_server;
    if (a->transport != b->transport)
        return a->transport < b->transport ? -1 : 1;
    return a->kind < b->kind ? -1 : a->kind > b->kind;
}

/* Accepted connections per (client, server, port), as findings with the
 * sentinel kind PTL_FINDING_KIND_COUNT: first_ts_ns is the earliest start,
 * last_ts_ns the latest start.  transfer full */
static GHashTable *
verdict_accepted_starts(const PtlVerdict *v)
{
    GHashTable *accepted = g_hash_table_new_full(verdict_finding_hash, verdict_finding_equal,
                                                 g_free, NULL);
    GHashTableIter it;
    gpointer p;
    g_hash_table_iter_init(&it, v->aggregates);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        const VerdictAggregate *agg = p;
        if (!ptl_flow_state_is_answered(agg->conv.key.state))
            continue;
        PtlFinding probe = {
            .kind = PTL_FINDING_KIND_COUNT, .client = agg->conv.key.client,
            .server = agg->conv.key.server, .transport = agg->conv.key.transport,
            .port = agg->conv.key.server_port, .tunnel = agg->conv.key.tunnel,
        };
        PtlFinding *a = g_hash_table_lookup(accepted, &probe);
        if (a == NULL) {
            a = g_memdup2(&probe, sizeof probe);
            a->first_ts_ns = agg->first_ts_ns;
            a->last_ts_ns = agg->last_start_ns;
            g_hash_table_add(accepted, a);
        }
        a->first_ts_ns = MIN(a->first_ts_ns, agg->first_ts_ns);
        a->last_ts_ns = MAX(a->last_ts_ns, agg->last_start_ns);
    }
    return accepted;
}

/* Refused or unanswered, then accepted later in the capture: the service was
 * starting (or restarting), not blocked.  Such a finding is info. */
static void
verdict_mark_transient(const PtlVerdict *v, GHashTable *findings)
{
    g_autoptr(GHashTable) accepted = verdict_accepted_starts(v);
    GHashTableIter it;
    gpointer p;
    g_hash_table_iter_init(&it, findings);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        PtlFinding *f = p;
        if (f->kind != PTL_FINDING_CONNECTION_REFUSED &&
            f->kind != PTL_FINDING_CONNECTION_UNANSWERED)
            continue;
        PtlFinding probe = *f;
        probe.kind = PTL_FINDING_KIND_COUNT;
        const PtlFinding *a = g_hash_table_lookup(accepted, &probe);
        if (a == NULL || a->last_ts_ns <= f->last_ts_ns)
            continue;
        f->is_transient = TRUE;
        f->severity = PTL_SEVERITY_INFO;
        f->transient = (PtlConnTransient) {
            .failures = f->flows, .last_failure_ns = f->last_ts_ns,
            .accepted_ns = a->first_ts_ns > f->last_ts_ns ? a->first_ts_ns : a->last_ts_ns,
            .was_up_before = a->first_ts_ns < f->first_ts_ns,
        };
    }
}

static void
verdict_judge_all(PtlVerdict *v)
{
    g_autoptr(GHashTable) findings = g_hash_table_new(verdict_finding_hash,
                                                      verdict_finding_equal);
    GHashTableIter it;
    gpointer p;
    g_hash_table_iter_init(&it, v->aggregates);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        const VerdictAggregate *agg = p;
        VerdictJudgement j;
        verdict_judge(v, &agg->conv.key, &j);
        if (j.rule != NULL)
            verdict_add_service(v, j.rule, agg);
        for (guint i = 0; i < j.n_issues; i++)
            verdict_add_finding(findings, agg, &j.issues[i], j.rule);
    }
    verdict_mark_transient(v, findings);
    g_hash_table_iter_init(&it, findings);
    while (g_hash_table_iter_next(&it, &p, NULL))
        g_ptr_array_add(v->findings, p);
    g_ptr_array_sort(v->findings, verdict_finding_sort);
}

void
ptl_verdict_refresh(PtlVerdict *v)
{
    g_return_if_fail(v != NULL && !v->is_finished);
    g_autoptr(GPtrArray) conversations = g_ptr_array_sized_new(g_hash_table_size(v->aggregates));
    ptl_host_kinds_free(v->kinds);
    v->kinds = ptl_host_kinds_new(v->inv);
    GHashTableIter it;
    gpointer p;
    g_hash_table_iter_init(&it, v->aggregates);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        VerdictAggregate *agg = p;
        g_ptr_array_add(conversations, &agg->conv);
        ptl_host_kinds_add_sender(v->kinds, &agg->conv.key.client);
        if (ptl_flow_state_is_answered(agg->conv.key.state))
            ptl_host_kinds_add_sender(v->kinds, &agg->conv.key.server);
    }
    ptl_products_choose(v->products, conversations, v->kinds);
    v->is_selected = TRUE;
}

void
ptl_verdict_finish(PtlVerdict *v)
{
    g_return_if_fail(v != NULL && !v->is_finished);
    ptl_verdict_refresh(v);
    v->is_finished = TRUE;
    verdict_judge_all(v);
}

guint64
ptl_verdict_count_findings(const PtlVerdict *v, PtlSeverity min)
{
    g_return_val_if_fail(v != NULL, 0);
    guint64 n = 0;
    for (guint i = 0; i < v->findings->len; i++)
        n += ((const PtlFinding *) g_ptr_array_index(v->findings, i))->severity >= min;
    return n;
}

/* ---- read-only access for the renderers ------------------------------- */

const GPtrArray *
ptl_verdict_findings(const PtlVerdict *v)
{
    g_return_val_if_fail(v != NULL && v->is_finished, NULL);
    return v->findings;
}

GPtrArray *
ptl_verdict_services(const PtlVerdict *v)
{
    g_return_val_if_fail(v != NULL && v->is_finished, NULL);
    GPtrArray *sorted = g_ptr_array_new();
    for (guint i = 0; i < ptl_rule_set_count(v->rules); i++) {
        PtlService *s = g_hash_table_lookup(v->services, ptl_rule_set_get(v->rules, i));
        if (s != NULL)
            g_ptr_array_add(sorted, s);
    }
    return sorted;
}

const PtlProducts *
ptl_verdict_products(const PtlVerdict *v)
{
    g_return_val_if_fail(v != NULL, NULL);
    return v->products;
}

guint64
ptl_verdict_flows_not_judged(const PtlVerdict *v)
{
    g_return_val_if_fail(v != NULL, 0);
    return v->not_judged;
}

void
ptl_verdict_judge_record(PtlVerdict *v, const PtlFlowRecord *rec, PtlFlowJudgement *out)
{
    g_return_if_fail(v != NULL && rec != NULL && out != NULL);
    /* live mode may judge before anyone refreshed: choose from what is known */
    if (!v->is_selected)
        ptl_verdict_refresh(v);
    VerdictAggregate agg = { .conv = { .key = *rec, .flows = 1 }, .packets = rec->packets,
                             .bytes = rec->bytes, .first_ts_ns = rec->first_ts_ns,
                             .last_ts_ns = rec->last_ts_ns, .last_start_ns = rec->first_ts_ns };
    agg.conv.key.auth_detail[PTL_AUTH_DETAIL_MAX - 1] = '\0';
    verdict_add_example(agg.examples, &agg.n_examples, rec->id);
    VerdictJudgement j;
    verdict_judge(v, &agg.conv.key, &j);
    memset(out, 0, sizeof *out);
    out->rule = j.rule;
    out->n_findings = j.n_issues;
    for (guint i = 0; i < j.n_issues; i++) {
        PtlFinding *f = &out->findings[i];
        *f = (PtlFinding) {
            .kind = j.issues[i].kind, .client = rec->client, .server = rec->server,
            .transport = rec->transport, .port = rec->server_port,
        };
        verdict_finding_merge(f, &agg, &j.issues[i], j.rule);
    }
}
