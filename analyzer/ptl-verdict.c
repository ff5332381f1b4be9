/* ptl-verdict.c: the rule engine.
 *
 * Ended flows are folded into conversation aggregates (bounded); finish has
 * ptl-products pick the products and infer the nodes the inventory leaves open
 * (ptl-host-kind keeping broadcast and multicast addresses out), then runs the one
 * pure judging function over every aggregate and folds its issues into
 * findings keyed by (kind, client, server, transport, port).  judge_flow runs
 * the same function on a single record, so both always agree. */
#include "ptl-verdict.h"

#include "ptl-connection.h"
#include "ptl-json.h"
#include "ptl-products.h"

#include <string.h>
#include "ptl-time.h"

#define VERDICT_MAX_AGGREGATES     262144
#define VERDICT_EXAMPLES           3
#define VERDICT_MAX_ISSUES         4
#define VERDICT_SERVICE_MAX_HOSTS  32
#define VERDICT_SERVICE_MAX_PROTOS 16    /* observed protocols per service; the rest: "other" */
#define VERDICT_PRODUCT_MAX_PORTS  32    /* explained ports listed per product */
#define VERDICT_ROLES_MAX_NODES    256
#define VERDICT_PRINT_MAX_FINDINGS 30
#define VERDICT_TEXT_MAX           160   /* roles or sources as text */

/* ---- types ------------------------------------------------------------ */

typedef struct {
    PtlConversation conv;       /* the first record (only its key fields are used), flows */
    guint64       packets, bytes;
    gint64        first_ts_ns, last_ts_ns;
    gint64        last_start_ns;  /* the latest flow start: did one follow a failure? */
    guint         n_examples;
    guint64       examples[VERDICT_EXAMPLES];
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
    VerdictIssue   issues[VERDICT_MAX_ISSUES];
} VerdictJudgement;

typedef struct {
    PtlFindingKind kind;
    PtlSeverity    severity;
    gboolean       is_product_inferred, is_roles_inferred;
    const PtlRule *rule;
    PtlAddr        client, server;
    guint8         transport;
    guint16        port;
    const char    *observed;    /* first record's protocol */
    PtlConnEvidence conn;       /* what the capture shows of the connection (the best record) */
    gboolean       is_transient;  /* failed, then accepted later: see transient */
    PtlConnTransient transient;
    char           auth_detail[PTL_AUTH_DETAIL_MAX];
    guint64        flows;
    gint64         first_ts_ns, last_ts_ns;
    guint          n_examples;
    guint64        examples[VERDICT_EXAMPLES];
} VerdictFinding;

typedef struct {
    const char *name;           /* NULL: no payload */
    guint64     flows;
} VerdictProtoCount;

typedef struct {
    const PtlRule *rule;
    guint64        flows, bytes;
    GArray        *observed;    /* VerdictProtoCount, capped */
    guint64        observed_other;
    GArray        *clients, *servers;   /* PtlAddr, capped */
    gboolean       has_more_clients, has_more_servers;
} VerdictService;

struct _PtlVerdict {
    const PtlRuleSet   *rules;
    const PtlInventory *inv;
    GHashTable         *aggregates;      /* VerdictAggregate* set */
    guint64             not_judged;
    gboolean            is_selected;     /* products and roles chosen (refresh or finish) */
    gboolean            is_finished;
    PtlProducts        *products;        /* selection and nodes */
    PtlHostKinds       *kinds;           /* which addresses are hosts; rebuilt by refresh */
    GPtrArray          *findings;        /* VerdictFinding*, sorted */
    GHashTable         *services;        /* PtlRule* -> VerdictService* */
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

static guint32
verdict_port_key(guint8 transport, guint16 port)
{
    return (guint32) transport << 16 | port;
}

static const char *
verdict_file_name(const PtlRule *rule)
{
    const char *slash = rule->file != NULL ? strrchr(rule->file, '/') : NULL;
    return slash != NULL ? slash + 1 : rule->file != NULL ? rule->file : "?";
}

/* RFC 3339 UTC with microseconds: "2024-05-01T10:00:00.123456Z" */
static void
verdict_add_example(guint64 *examples, guint *n, guint64 id)
{
    if (*n < VERDICT_EXAMPLES)
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
           a->facts == b->facts && strcmp(a->auth_detail, b->auth_detail) == 0;
}

static void
verdict_service_free(gpointer p)
{
    VerdictService *s = p;
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
             const char *observed)
{
    const PtlRule *best = NULL;
    gboolean is_best_same = FALSE;
    guint best_rank = 0;
    const char *normal = verdict_protocol_normal(observed);
    for (guint i = 0; i < rules->len; i++) {
        const PtlRule *rule = g_ptr_array_index(rules, i);
        if (verdict_is_inbound(rule) != want_inbound)
            continue;
        gboolean is_same = normal != NULL && g_strcmp0(rule->protocol, normal) == 0;
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
ptl_verdict_host_role(PtlVerdict *v, const PtlAddr *addr, gboolean *is_inferred)
{
    gboolean is_guess = FALSE;
    g_return_val_if_fail(v != NULL && addr != NULL, 0);
    guint32 role = v->is_selected ? verdict_role(v, addr, &is_guess) : 0;
    if (is_inferred != NULL)
        *is_inferred = role != 0 && is_guess;
    return role;
}

PtlHostKind
ptl_verdict_host_kind(PtlVerdict *v, const PtlAddr *addr)
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
static gboolean
verdict_is_policy(PtlFindingKind kind)
{
    return kind == PTL_FINDING_SOURCE_NOT_ALLOWED || kind == PTL_FINDING_DIRECTION_VIOLATION ||
           kind == PTL_FINDING_UNDOCUMENTED_PORT;
}

/* A policy finding resting on a guess is at most a warning (docs/findings.md);
 * only source-not-allowed rests on the client's role. */
static void
verdict_issue(VerdictJudgement *j, PtlFindingKind kind, PtlSeverity severity)
{
    if (j->n_issues >= VERDICT_MAX_ISSUES)
        return;
    gboolean is_roles_inferred = j->is_node_inferred ||
                                 (kind == PTL_FINDING_SOURCE_NOT_ALLOWED && j->is_client_inferred);
    if (verdict_is_policy(kind) && (j->is_product_inferred || is_roles_inferred))
        severity = MIN(severity, PTL_SEVERITY_WARNING);
    j->issues[j->n_issues++] = (VerdictIssue) { kind, severity, j->is_product_inferred,
                                                is_roles_inferred };
}

/* unconfirmed (no payload) is not a mismatch; any and opaque promise nothing */
static void
verdict_judge_protocol(const PtlFlowRecord *rec, const PtlRule *rule, VerdictJudgement *j)
{
    const char *observed = verdict_protocol_normal(rec->protocol);
    const char *expected = rule->protocol;
    if (observed == NULL || g_strcmp0(expected, "any") == 0 ||
        g_strcmp0(expected, "opaque") == 0 || g_strcmp0(expected, observed) == 0)
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
    if (!(rec->facts & (1u << PTL_FACT_CLEARTEXT_AUTH)) || g_strcmp0(rec->protocol, "tls") == 0)
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
    const PtlRule *inbound = verdict_pick(v, rules, TRUE, rec->protocol);
    const PtlRule *outbound = verdict_pick(v, rules, FALSE, rec->protocol);
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
    const VerdictFinding *f = p;
    guint h = ptl_addr_hash(&f->client) * 33 + ptl_addr_hash(&f->server);
    return (h * 33 + (guint) f->kind) * 33 + verdict_port_key(f->transport, f->port);
}

static gboolean
verdict_finding_equal(gconstpointer pa, gconstpointer pb)
{
    const VerdictFinding *a = pa, *b = pb;
    return a->kind == b->kind && a->transport == b->transport && a->port == b->port &&
           ptl_addr_equal(&a->client, &b->client) && ptl_addr_equal(&a->server, &b->server);
}

static void
verdict_finding_merge(VerdictFinding *f, const VerdictAggregate *agg, const VerdictIssue *issue,
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
    VerdictFinding probe = {
        .kind = issue->kind, .client = agg->conv.key.client, .server = agg->conv.key.server,
        .transport = agg->conv.key.transport, .port = agg->conv.key.server_port,
    };
    VerdictFinding *f = g_hash_table_lookup(findings, &probe);
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
verdict_count_observed(VerdictService *s, const char *protocol, guint64 flows)
{
    for (guint i = 0; i < s->observed->len; i++) {
        VerdictProtoCount *count = &g_array_index(s->observed, VerdictProtoCount, i);
        if (g_strcmp0(count->name, protocol) == 0) {
            count->flows += flows;
            return;
        }
    }
    if (s->observed->len >= VERDICT_SERVICE_MAX_PROTOS) {
        s->observed_other += flows;
        return;
    }
    VerdictProtoCount count = { protocol, flows };
    g_array_append_val(s->observed, count);
}

static void
verdict_add_service(PtlVerdict *v, const PtlRule *rule, const VerdictAggregate *agg)
{
    VerdictService *s = g_hash_table_lookup(v->services, rule);
    if (s == NULL) {
        s = g_new0(VerdictService, 1);
        s->rule = rule;
        s->observed = g_array_new(FALSE, FALSE, sizeof(VerdictProtoCount));
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
    const VerdictFinding *a = *(VerdictFinding *const *) pa;
    const VerdictFinding *b = *(VerdictFinding *const *) pb;
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
        VerdictFinding probe = {
            .kind = PTL_FINDING_KIND_COUNT, .client = agg->conv.key.client,
            .server = agg->conv.key.server, .transport = agg->conv.key.transport,
            .port = agg->conv.key.server_port,
        };
        VerdictFinding *a = g_hash_table_lookup(accepted, &probe);
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
        VerdictFinding *f = p;
        if (f->kind != PTL_FINDING_CONNECTION_REFUSED &&
            f->kind != PTL_FINDING_CONNECTION_UNANSWERED)
            continue;
        VerdictFinding probe = *f;
        probe.kind = PTL_FINDING_KIND_COUNT;
        const VerdictFinding *a = g_hash_table_lookup(accepted, &probe);
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
        n += ((const VerdictFinding *) g_ptr_array_index(v->findings, i))->severity >= min;
    return n;
}

/* ---- text of a finding ------------------------------------------------ */

/* "nodes, admins, listener.logz.io" (a rule's sources) or "node, admin" (a host's roles) */
static const char *
verdict_mask_text(guint32 mask, char **hosts, gboolean is_plural, char *buf)
{
    static const struct { guint32 role; const char *one, *many; } names[] = {
        { PTL_ROLE_NODE, "node", "nodes" }, { PTL_ROLE_ADMIN, "admin", "admins" },
        { PTL_ROLE_CLIENT, "client", "clients" },
        { PTL_ROLE_EXTERNAL, "external", "external hosts" },
    };
    gboolean is_any = (mask & PTL_ROLE_ANY) == PTL_ROLE_ANY;
    g_strlcpy(buf, is_any ? "any host" : "", VERDICT_TEXT_MAX);
    for (guint i = 0; !is_any && i < G_N_ELEMENTS(names); i++) {
        if (mask & names[i].role) {
            if (buf[0] != '\0')
                g_strlcat(buf, ", ", VERDICT_TEXT_MAX);
            g_strlcat(buf, is_plural ? names[i].many : names[i].one, VERDICT_TEXT_MAX);
        }
    }
    for (char **host = hosts; host != NULL && *host != NULL; host++) {
        if (buf[0] != '\0')
            g_strlcat(buf, ", ", VERDICT_TEXT_MAX);
        g_strlcat(buf, *host, VERDICT_TEXT_MAX);
    }
    return buf;
}

/* "sisense discovery-zookeeper-client (Sisense multi-node ports, row 40; sisense.rules:40)":
 * the vendor's document by its title, never the seed file's name */
static char *
verdict_rule_text(const PtlRule *rule)
{
    if (rule->doc_title == NULL)
        return g_strdup_printf("%s %s (site rule %s:%u)", rule->product, rule->service,
                               verdict_file_name(rule), rule->line);
    return g_strdup_printf("%s %s (%s, row %u; %s:%u)", rule->product, rule->service,
                           rule->doc_title, rule->doc_row, verdict_file_name(rule), rule->line);
}

static char *
verdict_products_text(const PtlVerdict *v)
{
    GString *text = g_string_new(NULL);
    const GPtrArray *products = ptl_products_list(v->products);
    for (guint i = 0; i < products->len; i++) {
        const PtlProduct *product = g_ptr_array_index(products, i);
        if (product->is_selected)
            g_string_append_printf(text, "%s%s", text->len > 0 ? ", " : "", product->name);
    }
    if (text->len == 0)
        g_string_append(text, "the selected products (none)");
    return g_string_free(text, FALSE);
}

typedef struct {
    char client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
    char where[PTL_ADDR_STRLEN + 16];   /* "tcp/2181" */
} VerdictNames;

static void
verdict_names(const VerdictFinding *f, VerdictNames *n)
{
    ptl_addr_to_string(&f->client, n->client);
    ptl_addr_to_string(&f->server, n->server);
    g_snprintf(n->where, sizeof n->where, "%s/%u", ptl_rule_transport_name(f->transport),
               f->port);
}

/* " (TCP reset to the SYN: ...)" or "" when the connection was simply answered */
static char *
verdict_conn_paren(const PtlConnEvidence *conn)
{
    char detail[PTL_CONNECTION_TEXT_MAX];
    ptl_connection_detail(conn, detail);
    return detail[0] != '\0' ? g_strdup_printf(" (%s)", detail) : g_strdup("");
}

static char *
verdict_message_source(const PtlVerdict *v, const VerdictFinding *f, const VerdictNames *n)
{
    char roles[VERDICT_TEXT_MAX], sources[VERDICT_TEXT_MAX];
    gboolean is_inferred;
    guint32 role = verdict_role(v, &f->client, &is_inferred);
    g_autofree char *rule = verdict_rule_text(f->rule);
    g_autofree char *paren = verdict_conn_paren(&f->conn);
    return g_strdup_printf("%s (%s%s) %s %s on %s%s: %s, which the doc allows only "
                           "from %s.", n->client, verdict_mask_text(role, NULL, FALSE, roles),
                           is_inferred ? ", inferred" : "", ptl_connection_verb(&f->conn),
                           n->server, n->where, paren, rule,
                           f->rule->is_dynamic ? "nodes (dynamic range)"
                           : verdict_mask_text(f->rule->sources, f->rule->source_hosts, TRUE,
                                               sources));
}

static char *
verdict_message_mismatch(const VerdictFinding *f, const VerdictNames *n)
{
    g_autofree char *rule = verdict_rule_text(f->rule);
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
verdict_message_failed(const VerdictFinding *f, const VerdictNames *n, const char *rule)
{
    g_autofree char *paren = verdict_conn_paren(&f->conn);
    g_autofree char *transient = f->is_transient
                                 ? ptl_connection_transient_text(&f->conn, &f->transient) : NULL;
    return g_strdup_printf("%s %s %s on %s%s, documented as %s%s%s.", n->client,
                           ptl_connection_verb(&f->conn), n->server, n->where, paren, rule,
                           transient != NULL ? "; " : "", transient != NULL ? transient : "");
}

static char *
verdict_message_kind(const PtlVerdict *v, const VerdictFinding *f, const VerdictNames *n)
{
    g_autofree char *rule = f->rule != NULL ? verdict_rule_text(f->rule) : NULL;
    g_autofree char *paren = verdict_conn_paren(&f->conn);
    switch (f->kind) {
    case PTL_FINDING_SOURCE_NOT_ALLOWED:
        return verdict_message_source(v, f, n);
    case PTL_FINDING_DIRECTION_VIOLATION:
        return g_strdup_printf("%s %s node %s on %s%s, which %s documents only as outbound "
                               "from the nodes.", n->client,
                               ptl_connection_is_accepted(ptl_connection_classify(&f->conn))
                               ? "connected into" : ptl_connection_verb(&f->conn),
                               n->server, n->where, paren, rule);
    case PTL_FINDING_PROTOCOL_MISMATCH:
        return verdict_message_mismatch(f, n);
    case PTL_FINDING_UNDOCUMENTED_PORT: {
        g_autofree char *products = verdict_products_text(v);
        return g_strdup_printf("%s %s node %s on %s%s, a port no rule of %s documents.",
                               n->client, ptl_connection_verb(&f->conn), n->server, n->where,
                               paren, products);
    }
    case PTL_FINDING_CONNECTION_REFUSED:
    case PTL_FINDING_CONNECTION_UNANSWERED:
        return verdict_message_failed(f, n, rule);
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
static char *
verdict_message(const PtlVerdict *v, const VerdictFinding *f, const VerdictNames *n)
{
    char *message = verdict_message_kind(v, f, n);
    if (!verdict_is_policy(f->kind) || (!f->is_product_inferred && !f->is_roles_inferred))
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

static char *
verdict_advice(const VerdictFinding *f, const VerdictNames *n)
{
    const char *file = f->rule != NULL ? verdict_file_name(f->rule) : "";
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

/* ---- JSON -------------------------------------------------------------- */

static void
verdict_json_addrs(JsonBuilder *b, const char *key, const GArray *addrs)
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
verdict_json_rule(JsonBuilder *b, const PtlRule *rule)
{
    json_builder_set_member_name(b, "rule");
    if (rule == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    ptl_json_string_or_null(b, "file", verdict_file_name(rule));
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
verdict_json_tag(JsonBuilder *b, const PtlRule *rule)
{
    ptl_json_string_or_null(b, "product", rule != NULL ? rule->product : NULL);
    ptl_json_string_or_null(b, "service", rule != NULL ? rule->service : NULL);
    verdict_json_rule(b, rule);
}

static void
verdict_json_products(PtlVerdict *v, JsonBuilder *b)
{
    static const char *const origins[] = { "none", "declared", "inferred" };
    ptl_json_string_or_null(b, "product_selection", origins[ptl_products_origin(v->products)]);
    const GPtrArray *products = ptl_products_list(v->products);
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
        for (guint p = 0; p < product->ports->len && p < VERDICT_PRODUCT_MAX_PORTS; p++) {
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
verdict_json_service(JsonBuilder *b, const VerdictService *s)
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
        const VerdictProtoCount *count = &g_array_index(s->observed, VerdictProtoCount, i);
        ptl_emit_int(b, count->name != NULL ? count->name : "none", (gint64) count->flows);
    }
    if (s->observed_other > 0)
        ptl_emit_int(b, "other", (gint64) s->observed_other);
    json_builder_end_object(b);
    ptl_emit_int(b, "flows", (gint64) s->flows);
    ptl_emit_int(b, "bytes", (gint64) s->bytes);
    verdict_json_addrs(b, "clients", s->clients);
    json_builder_set_member_name(b, "clients_truncated");
    json_builder_add_boolean_value(b, s->has_more_clients);
    verdict_json_addrs(b, "servers", s->servers);
    json_builder_set_member_name(b, "servers_truncated");
    json_builder_add_boolean_value(b, s->has_more_servers);
    json_builder_set_member_name(b, "install_only");
    json_builder_add_boolean_value(b, rule->is_install_only);
    json_builder_end_object(b);
}

/* services in rule file order */
static GPtrArray *
verdict_services_sorted(const PtlVerdict *v)
{
    GPtrArray *sorted = g_ptr_array_new();
    for (guint i = 0; i < ptl_rule_set_count(v->rules); i++) {
        VerdictService *s = g_hash_table_lookup(v->services, ptl_rule_set_get(v->rules, i));
        if (s != NULL)
            g_ptr_array_add(sorted, s);
    }
    return sorted;
}

/* protocol, state, connection, icmp (when refused by ICMP) and transient */
static void
verdict_json_connection(JsonBuilder *b, const VerdictFinding *f)
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
verdict_json_example_records(const PtlVerdict *v, JsonBuilder *b, const VerdictFinding *f)
{
    guint n = 0;
    for (guint i = 0; i < f->n_examples; i++) {
        const GPtrArray *list = ptl_record_examples_get(v->record_examples, f->examples[i]);
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
verdict_json_finding(PtlVerdict *v, JsonBuilder *b, const VerdictFinding *f)
{
    VerdictNames n;
    char ts[PTL_TS_STRLEN];
    verdict_names(f, &n);
    g_autofree char *message = verdict_message(v, f, &n);
    g_autofree char *advice = verdict_advice(f, &n);
    json_builder_begin_object(b);
    ptl_json_string_or_null(b, "kind", ptl_finding_kind_name(f->kind));
    ptl_json_string_or_null(b, "severity", ptl_severity_name(f->severity));
    verdict_json_tag(b, f->rule);
    ptl_json_string_or_null(b, "client", n.client);
    ptl_json_string_or_null(b, "server", n.server);
    ptl_emit_int(b, "port", f->port);
    ptl_json_string_or_null(b, "transport", ptl_rule_transport_name(f->transport));
    verdict_json_connection(b, f);
    ptl_emit_int(b, "flows", (gint64) f->flows);
    json_builder_set_member_name(b, "example_flows");
    json_builder_begin_array(b);
    for (guint i = 0; i < f->n_examples; i++)
        json_builder_add_int_value(b, (gint64) f->examples[i]);
    json_builder_end_array(b);
    verdict_json_example_records(v, b, f);
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
verdict_json_summary(PtlVerdict *v, JsonBuilder *b)
{
    guint64 by_severity[G_N_ELEMENTS(verdict_severity_names)] = { 0 };
    guint64 by_kind[PTL_FINDING_KIND_COUNT] = { 0 };
    for (guint i = 0; i < v->findings->len; i++) {
        const VerdictFinding *f = g_ptr_array_index(v->findings, i);
        by_severity[f->severity]++;
        by_kind[f->kind]++;
    }
    json_builder_set_member_name(b, "findings_summary");
    json_builder_begin_object(b);
    for (guint s = G_N_ELEMENTS(verdict_severity_names); s > 0; s--)
        ptl_emit_int(b, verdict_severity_names[s - 1], (gint64) by_severity[s - 1]);
    json_builder_set_member_name(b, "by_kind");
    json_builder_begin_object(b);
    for (guint k = 0; k < PTL_FINDING_KIND_COUNT; k++)
        if (by_kind[k] > 0)
            ptl_emit_int(b, verdict_kind_names[k], (gint64) by_kind[k]);
    json_builder_end_object(b);
    json_builder_end_object(b);
}

static void
verdict_json_roles(PtlVerdict *v, JsonBuilder *b)
{
    char text[PTL_ADDR_STRLEN];
    json_builder_set_member_name(b, "roles");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "inferred");
    json_builder_add_boolean_value(b, ptl_products_is_inferring_nodes(v->products));
    const GArray *nodes = ptl_products_nodes(v->products);
    json_builder_set_member_name(b, "nodes");
    json_builder_begin_array(b);
    for (guint i = 0; i < nodes->len && i < VERDICT_ROLES_MAX_NODES; i++)
        json_builder_add_string_value(b, ptl_addr_to_string(&g_array_index(nodes, PtlAddr, i),
                                                            text));
    json_builder_end_array(b);
    ptl_emit_int(b, "nodes_not_listed",
                     nodes->len > VERDICT_ROLES_MAX_NODES ? nodes->len - VERDICT_ROLES_MAX_NODES
                                                          : 0);
    json_builder_end_object(b);
}

void
ptl_verdict_emit_json(PtlVerdict *v, JsonBuilder *b)
{
    g_return_if_fail(v != NULL && v->is_finished);
    verdict_json_products(v, b);
    g_autoptr(GPtrArray) services = verdict_services_sorted(v);
    json_builder_set_member_name(b, "services");
    json_builder_begin_array(b);
    for (guint i = 0; i < services->len; i++)
        verdict_json_service(b, g_ptr_array_index(services, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "findings");
    json_builder_begin_array(b);
    for (guint i = 0; i < v->findings->len; i++)
        verdict_json_finding(v, b, g_ptr_array_index(v->findings, i));
    json_builder_end_array(b);
    verdict_json_summary(v, b);
    verdict_json_roles(v, b);
    ptl_emit_int(b, "flows_not_judged", (gint64) v->not_judged);
}

void
ptl_verdict_judge_flow(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b)
{
    g_return_if_fail(v != NULL && rec != NULL);
    /* live mode may judge before anyone refreshed: choose from what is known */
    if (!v->is_selected)
        ptl_verdict_refresh(v);
    PtlFlowRecord copy = *rec;
    copy.auth_detail[PTL_AUTH_DETAIL_MAX - 1] = '\0';
    VerdictJudgement j;
    verdict_judge(v, &copy, &j);
    verdict_json_tag(b, j.rule);
    json_builder_set_member_name(b, "findings");
    json_builder_begin_array(b);
    for (guint i = 0; i < j.n_issues; i++)
        json_builder_add_string_value(b, ptl_finding_kind_name(j.issues[i].kind));
    json_builder_end_array(b);
}

void
ptl_verdict_judge_flow_findings(PtlVerdict *v, const PtlFlowRecord *rec, JsonBuilder *b)
{
    g_return_if_fail(v != NULL && rec != NULL);
    if (!v->is_selected)
        ptl_verdict_refresh(v);
    VerdictAggregate agg = { .conv = { .key = *rec, .flows = 1 }, .packets = rec->packets,
                             .bytes = rec->bytes, .first_ts_ns = rec->first_ts_ns,
                             .last_ts_ns = rec->last_ts_ns, .last_start_ns = rec->first_ts_ns };
    agg.conv.key.auth_detail[PTL_AUTH_DETAIL_MAX - 1] = '\0';
    verdict_add_example(agg.examples, &agg.n_examples, rec->id);
    VerdictJudgement j;
    verdict_judge(v, &agg.conv.key, &j);
    verdict_json_tag(b, j.rule);
    json_builder_set_member_name(b, "findings");
    json_builder_begin_array(b);
    for (guint i = 0; i < j.n_issues; i++) {
        VerdictFinding f = {
            .kind = j.issues[i].kind, .client = rec->client, .server = rec->server,
            .transport = rec->transport, .port = rec->server_port,
        };
        verdict_finding_merge(&f, &agg, &j.issues[i], j.rule);
        verdict_json_finding(v, b, &f);
    }
    json_builder_end_array(b);
}

/* ---- terminal ---------------------------------------------------------- */

static const char *
verdict_sgr(gboolean color, const char *code)
{
    return color ? code : "";
}

static void
verdict_print_scores(const GPtrArray *products, FILE *out)
{
    for (guint i = 0; i < products->len; i++) {
        const PtlProduct *product = g_ptr_array_index(products, i);
        fprintf(out, "%s %s %.2f%s", i > 0 ? "," : "", product->name, product->score,
                product->is_forced ? " (forced)" : product->is_declared ? " (declared)"
                : product->is_selected ? " (recognised)" : "");
    }
}

static void
verdict_print_products(PtlVerdict *v, FILE *out)
{
    const GPtrArray *products = ptl_products_list(v->products);
    if (ptl_products_origin(v->products) != PTL_PRODUCTS_NONE) {
        fputs("  Products:", out);
        verdict_print_scores(products, out);
        fputc('\n', out);
        return;
    }
    fputs("  No product recognised.  Scores (share of answered flows on documented ports):\n   ",
          out);
    verdict_print_scores(products, out);
    fputs("\n  A product is recognised by its own structure: several of its services, one on a "
          "port only it\n  documents, served by hosts that talk to each other on its node-to-node "
          "ports; generic ports\n  (80, 443, 445, 2181 ...) are no evidence.  To judge the traffic "
          "against a product's rules, name\n  it: --product NAME, or a 'product NAME' line in an "
          "--inventory file.\n", out);
}

static void
verdict_print_finding(PtlVerdict *v, FILE *out, gboolean color, const VerdictFinding *f)
{
    static const char *const labels[] = { "INFO", "WARN", "ERROR" };
    const char *sgr = f->severity == PTL_SEVERITY_ERROR ? "\033[31m"
                    : f->severity == PTL_SEVERITY_WARNING ? "\033[33m" : "";
    VerdictNames n;
    verdict_names(f, &n);
    g_autofree char *message = verdict_message(v, f, &n);
    g_autofree char *advice = verdict_advice(f, &n);
    fprintf(out, "  %s%-5s%s  %s  %s -> %s %s  x%" G_GUINT64_FORMAT "  %s %s\n",
            verdict_sgr(color, sgr), labels[f->severity], verdict_sgr(color && *sgr, "\033[0m"),
            ptl_finding_kind_name(f->kind), n.client, n.server, n.where, f->flows,
            f->rule != NULL ? f->rule->product : "-", f->rule != NULL ? f->rule->service : "-");
    fprintf(out, "         %s\n         advice: %s\n", message, advice);
}

static void
verdict_print_findings(PtlVerdict *v, FILE *out, gboolean color)
{
    guint64 errors = ptl_verdict_count_findings(v, PTL_SEVERITY_ERROR);
    guint64 warnings = ptl_verdict_count_findings(v, PTL_SEVERITY_WARNING) - errors;
    guint64 infos = v->findings->len - errors - warnings;
    fprintf(out, "\n%sFindings%s  %" G_GUINT64_FORMAT " error%s, %" G_GUINT64_FORMAT
            " warning%s, %" G_GUINT64_FORMAT " info\n", verdict_sgr(color, "\033[1m"),
            verdict_sgr(color, "\033[0m"), errors, errors == 1 ? "" : "s", warnings,
            warnings == 1 ? "" : "s", infos);
    verdict_print_products(v, out);
    for (guint i = 0; i < v->findings->len && i < VERDICT_PRINT_MAX_FINDINGS; i++)
        verdict_print_finding(v, out, color, g_ptr_array_index(v->findings, i));
    if (v->findings->len > VERDICT_PRINT_MAX_FINDINGS)
        fprintf(out, "  ... %u more (see --json)\n",
                v->findings->len - VERDICT_PRINT_MAX_FINDINGS);
    if (v->not_judged > 0)
        fprintf(out, "  %" G_GUINT64_FORMAT " flows not judged (conversation table full)\n",
                v->not_judged);
}

static void
verdict_print_services(PtlVerdict *v, FILE *out, gboolean color)
{
    g_autoptr(GPtrArray) services = verdict_services_sorted(v);
    if (services->len == 0)
        return;
    fprintf(out, "\n%sServices%s\n", verdict_sgr(color, "\033[1m"), verdict_sgr(color, "\033[0m"));
    fprintf(out, "  %-14s %-32s %-12s %-9s %-24s %8s %12s\n", "PRODUCT", "SERVICE", "PORT",
            "EXPECTED", "OBSERVED", "FLOWS", "BYTES");
    for (guint i = 0; i < services->len; i++) {
        const VerdictService *s = g_ptr_array_index(services, i);
        g_autoptr(GString) observed = g_string_new(NULL);
        for (guint p = 0; p < s->observed->len; p++) {
            const VerdictProtoCount *count = &g_array_index(s->observed, VerdictProtoCount, p);
            g_string_append_printf(observed, "%s%s:%" G_GUINT64_FORMAT, p > 0 ? "," : "",
                                   count->name != NULL ? count->name : "none", count->flows);
        }
        fprintf(out, "  %-14s %-32s %-12s %-9s %-24s %8" G_GUINT64_FORMAT " %12"
                G_GUINT64_FORMAT "%s\n", s->rule->product, s->rule->service, s->rule->port_text,
                s->rule->protocol, observed->str, s->flows, s->bytes,
                s->rule->is_install_only ? "  (install only)" : "");
    }
}

void
ptl_verdict_print(PtlVerdict *v, FILE *out, gboolean color)
{
    g_return_if_fail(v != NULL && v->is_finished && out != NULL);
    verdict_print_findings(v, out, color);
    verdict_print_services(v, out, color);
}
