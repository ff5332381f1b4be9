/* ptl-products.c: product selection from evidence, and node inference.
 *
 * Scores are the share of answered flows a product's rules explain (a port
 * several products document is split between them); they order and describe,
 * but select nothing alone: an undeclared product must also be recognised
 * (see ptl-products.h).  Node inference then looks at the selected products'
 * node ports only. */
#include "ptl-products.h"

#include <string.h>

#define PRODUCTS_SELECT_RELATIVE 0.5   /* of the best recognised score */
#define PRODUCTS_SELECT_MIN      0.05
#define PRODUCTS_MIN_SERVICES    2     /* "several of its documented services" */
#define PRODUCTS_RANK_FIRST      (PTL_PRODUCTS_RANK_SITE + 1)  /* the first selected product */

/* Ports well-known to other software: seeing them says nothing about which
 * product runs, even where a product's doc lists them (ThoughtSpot's nginx on
 * 80/443, Sisense's SMB and RabbitMQ).  Ports several products document are
 * generic too; that part comes from the rules. */
static const guint16 products_wellknown_tcp[] = {
    20, 21, 22, 23, 25, 53, 80, 88, 110, 111, 135, 139, 143, 389, 443, 445, 465, 587, 636,
    993, 995,                            /* IANA system services: web, mail, SMB, LDAP */
    1433, 1521, 3306, 5432, 6379, 11211, 27017, /* databases and caches */
    7000, 7001, 7199, 9042, 9160,        /* Cassandra inter-node, JMX, CQL, Thrift */
    2181, 2888, 3888,                    /* ZooKeeper client, quorum, election */
    4369, 5671, 5672, 15672, 25672,      /* Erlang epmd, RabbitMQ AMQP and management */
    3389, 5900, 5985, 5986,              /* remote desktop, VNC, WinRM */
    8000, 8008, 8080, 8081, 8443, 8888, 9000, 9090, 9092, 9200, 9300, /* web/admin defaults */
    2049, 8020, 50010, 50020, 50070, 50075, 50090, /* NFS, Hadoop HDFS */
};
static const guint16 products_wellknown_udp[] = {
    53, 67, 68, 69, 123, 137, 138, 161, 162, 389, 500, 514, 1900, 5353, /* DNS .. mDNS */
};

struct _PtlProducts {
    const PtlRuleSet   *rules;
    const PtlInventory *inv;
    GStrv               forced;
    GPtrArray          *products;        /* PtlProduct*, rule set order */
    GHashTable         *selected_rank;   /* product name -> PRODUCTS_RANK_FIRST + order */
    GHashTable         *documenters;     /* port key -> products documenting it (count) */
    PtlProductsOrigin   origin;
    gboolean            is_inferring_nodes;
    GHashTable         *inferred_nodes;  /* PtlAddr* set */
    GArray             *nodes;           /* PtlAddr, sorted */
};

static guint32
products_port_key(guint8 transport, guint16 port)
{
    return (guint32) transport << 16 | port;
}

static gboolean
products_is_inbound(const PtlRule *rule)
{
    return rule->direction == PTL_RULE_INBOUND || rule->direction == PTL_RULE_BIDIRECTIONAL;
}

/* a rule whose answered port speaks for its product: not dynamic, not the site's */
static gboolean
products_is_evidence_rule(const PtlRule *rule)
{
    return products_is_inbound(rule) && !rule->is_dynamic &&
           strcmp(rule->product, PTL_RULE_SITE_PRODUCT) != 0;
}

static void
products_product_free(gpointer data)
{
    PtlProduct *product = data;
    g_array_unref(product->ports);
    g_free(product);
}

/* a vendor's rule that names the port in any direction: an outbound one says other
 * software listens there (a licensing server on 443) */
static gboolean
products_is_documenting_rule(const PtlRule *rule)
{
    return rule->is_enabled && !rule->is_dynamic &&
           strcmp(rule->product, PTL_RULE_SITE_PRODUCT) != 0;
}

/* how many products document each port; built once */
static void
products_count_documenters(PtlProducts *p)
{
    for (guint i = 0; i < ptl_rule_set_count(p->rules); i++) {
        const PtlRule *rule = ptl_rule_set_get(p->rules, i);
        if (!products_is_documenting_rule(rule))
            continue;
        for (guint port = rule->port_low; port <= rule->port_high; port++) {
            gpointer key = GUINT_TO_POINTER(products_port_key((guint8) rule->transport,
                                                              (guint16) port));
            /* a product counts once per port: look for an earlier rule of it */
            g_autoptr(GPtrArray) same = ptl_rule_set_match(p->rules, rule->product,
                                                           (guint8) rule->transport,
                                                           (guint16) port);
            gboolean is_first = TRUE;
            for (guint k = 0; k < same->len && is_first; k++) {
                const PtlRule *other = g_ptr_array_index(same, k);
                if (other == rule)
                    break;
                is_first = !products_is_documenting_rule(other);
            }
            if (is_first)
                g_hash_table_insert(p->documenters, key,
                                    GUINT_TO_POINTER(GPOINTER_TO_UINT(
                                        g_hash_table_lookup(p->documenters, key)) + 1));
        }
    }
}

PtlProducts *
ptl_products_new(const PtlRuleSet *rules, const PtlInventory *inv, char *const *forced)
{
    g_return_val_if_fail(rules != NULL, NULL);
    PtlProducts *p = g_new0(PtlProducts, 1);
    p->rules = rules;
    p->inv = inv;
    p->forced = g_strdupv((char **) forced);
    p->products = g_ptr_array_new_with_free_func(products_product_free);
    p->selected_rank = g_hash_table_new(g_str_hash, g_str_equal);
    p->documenters = g_hash_table_new(g_direct_hash, g_direct_equal);
    p->inferred_nodes = g_hash_table_new_full(ptl_addr_hash, ptl_addr_key_equal, g_free, NULL);
    p->nodes = g_array_new(FALSE, FALSE, sizeof(PtlAddr));
    products_count_documenters(p);
    return p;
}

void
ptl_products_free(PtlProducts *p)
{
    if (p == NULL)
        return;
    g_strfreev(p->forced);
    g_ptr_array_unref(p->products);
    g_hash_table_unref(p->selected_rank);
    g_hash_table_unref(p->documenters);
    g_hash_table_unref(p->inferred_nodes);
    g_array_unref(p->nodes);
    g_free(p);
}

/* ---- queries ------------------------------------------------------------ */

const GPtrArray *
ptl_products_list(const PtlProducts *p)
{
    return p->products;
}

PtlProductsOrigin
ptl_products_origin(const PtlProducts *p)
{
    return p->origin;
}

guint
ptl_products_rank(const PtlProducts *p, const char *product)
{
    if (product == NULL)
        return 0;
    if (strcmp(product, PTL_RULE_SITE_PRODUCT) == 0)
        return PTL_PRODUCTS_RANK_SITE;
    return GPOINTER_TO_UINT(g_hash_table_lookup(p->selected_rank, product));
}

static PtlProduct *
products_find(const PtlProducts *p, const char *name)
{
    for (guint i = 0; name != NULL && i < p->products->len; i++) {
        PtlProduct *product = g_ptr_array_index(p->products, i);
        if (strcmp(product->name, name) == 0)
            return product;
    }
    return NULL;
}

/* the site overlay is the user's own declaration */
gboolean
ptl_products_is_declared(const PtlProducts *p, const char *product)
{
    if (g_strcmp0(product, PTL_RULE_SITE_PRODUCT) == 0)
        return TRUE;
    const PtlProduct *found = products_find(p, product);
    return found != NULL && found->is_declared;
}

static gboolean
products_is_wellknown(guint8 transport, guint16 port)
{
    const guint16 *list = transport == PTL_RULE_UDP ? products_wellknown_udp
                                                    : products_wellknown_tcp;
    gsize n = transport == PTL_RULE_UDP ? G_N_ELEMENTS(products_wellknown_udp)
                                        : G_N_ELEMENTS(products_wellknown_tcp);
    if (transport != PTL_RULE_UDP && transport != PTL_RULE_TCP)
        return TRUE;    /* ICMP: every stack answers it */
    for (gsize i = 0; i < n; i++)
        if (list[i] == port)
            return TRUE;
    return FALSE;
}

gboolean
ptl_products_is_generic_port(const PtlProducts *p, guint8 transport, guint16 port)
{
    g_return_val_if_fail(p != NULL, TRUE);
    guint documenters = GPOINTER_TO_UINT(g_hash_table_lookup(
        p->documenters, GUINT_TO_POINTER(products_port_key(transport, port))));
    return documenters != 1 || products_is_wellknown(transport, port);
}

GPtrArray *
ptl_products_candidates(const PtlProducts *p, guint8 transport, guint16 port)
{
    GPtrArray *rules = ptl_rule_set_match(p->rules, NULL, transport, port);
    for (guint i = rules->len; i > 0; i--) {
        const PtlRule *rule = g_ptr_array_index(rules, i - 1);
        if (ptl_products_rank(p, rule->product) == 0)
            g_ptr_array_remove_index(rules, i - 1);
    }
    return rules;
}

gboolean
ptl_products_is_inferring_nodes(const PtlProducts *p)
{
    return p->is_inferring_nodes;
}

gboolean
ptl_products_is_inferred_node(const PtlProducts *p, const PtlAddr *addr)
{
    return g_hash_table_contains(p->inferred_nodes, addr);
}

const GArray *
ptl_products_nodes(const PtlProducts *p)
{
    return p->nodes;
}

/* ---- scores and evidence ------------------------------------------------ */

/* products with an evidence rule documenting the port; transfer container */
static GPtrArray *
products_explaining(const PtlProducts *p, guint32 port_key)
{
    GPtrArray *found = g_ptr_array_new();
    g_autoptr(GPtrArray) rules = ptl_rule_set_match(p->rules, NULL, (guint8) (port_key >> 16),
                                                    (guint16) port_key);
    for (guint i = 0; i < rules->len; i++) {
        const PtlRule *rule = g_ptr_array_index(rules, i);
        PtlProduct *product = products_find(p, rule->product);
        if (products_is_evidence_rule(rule) && product != NULL &&
            !g_ptr_array_find(found, product, NULL))
            g_ptr_array_add(found, product);
    }
    return found;
}

/* the product documents the port between its nodes */
static gboolean
products_is_node_port(const PtlProducts *p, const char *product, guint8 transport,
                      guint16 port)
{
    g_autoptr(GPtrArray) rules = ptl_rule_set_match(p->rules, product, transport, port);
    for (guint i = 0; i < rules->len; i++) {
        const PtlRule *rule = g_ptr_array_index(rules, i);
        if (products_is_evidence_rule(rule) && (rule->sources & PTL_ROLE_NODE) != 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
products_is_host(const PtlHostKinds *kinds, const PtlAddr *addr)
{
    return kinds == NULL || ptl_host_kinds_classify(kinds, addr) == PTL_HOST_KIND_HOST;
}

static gint
products_u32_sort(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
    return x < y ? -1 : x > y;
}

/* answered flows per server port: port key -> guint64 flows; *total: all answered */
static GHashTable *
products_answered_ports(const GPtrArray *conversations, guint64 *total)
{
    GHashTable *ports = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    *total = 0;
    for (guint i = 0; i < conversations->len; i++) {
        const PtlConversation *c = g_ptr_array_index(conversations, i);
        if (!ptl_flow_state_is_answered(c->key.state))
            continue;
        *total += c->flows;
        gpointer key = GUINT_TO_POINTER(products_port_key(c->key.transport,
                                                          c->key.server_port));
        guint64 *flows = g_hash_table_lookup(ports, key);
        if (flows == NULL) {
            flows = g_new0(guint64, 1);
            g_hash_table_insert(ports, key, flows);
        }
        *flows += c->flows;
    }
    return ports;
}

static void
products_score(PtlProducts *p, const GPtrArray *conversations)
{
    guint64 total = 0;
    g_autoptr(GHashTable) ports = products_answered_ports(conversations, &total);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, ports);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        guint32 port_key = GPOINTER_TO_UINT(key);
        g_autoptr(GPtrArray) explaining = products_explaining(p, port_key);
        for (guint i = 0; i < explaining->len; i++) {
            PtlProduct *product = g_ptr_array_index(explaining, i);
            product->weight += (double) *(guint64 *) value / explaining->len;
            g_array_append_val(product->ports, port_key);
            product->unique_ports += explaining->len == 1;
            product->specific_ports += !ptl_products_is_generic_port(
                p, (guint8) (port_key >> 16), (guint16) port_key);
        }
    }
    for (guint i = 0; i < p->products->len; i++) {
        PtlProduct *product = g_ptr_array_index(p->products, i);
        product->score = total > 0 ? product->weight / (double) total : 0.0;
        g_array_sort(product->ports, products_u32_sort);
    }
}

/* hosts answering on ports the product documents (its would-be nodes) */
static GHashTable *
products_servers(const PtlProduct *product, const GPtrArray *conversations,
                 const PtlHostKinds *kinds)
{
    GHashTable *servers = g_hash_table_new(ptl_addr_hash, ptl_addr_key_equal);
    for (guint i = 0; i < conversations->len; i++) {
        const PtlConversation *c = g_ptr_array_index(conversations, i);
        guint32 port_key = products_port_key(c->key.transport, c->key.server_port);
        guint index;
        if (ptl_flow_state_is_answered(c->key.state) && products_is_host(kinds, &c->key.server) &&
            g_array_binary_search(product->ports, &port_key, products_u32_sort, &index))
            g_hash_table_add(servers, (gpointer) &c->key.server);
    }
    return servers;
}

/* answered conversations between two of the product's servers on its node ports */
static guint
products_count_node_links(const PtlProducts *p, const PtlProduct *product,
                          const GPtrArray *conversations, const PtlHostKinds *kinds)
{
    g_autoptr(GHashTable) servers = products_servers(product, conversations, kinds);
    guint links = 0;
    for (guint i = 0; i < conversations->len; i++) {
        const PtlConversation *c = g_ptr_array_index(conversations, i);
        if (ptl_flow_state_is_answered(c->key.state) &&
            !ptl_addr_equal(&c->key.client, &c->key.server) &&
            g_hash_table_contains(servers, &c->key.client) &&
            g_hash_table_contains(servers, &c->key.server) &&
            products_is_node_port(p, product->name, c->key.transport, c->key.server_port))
            links++;
    }
    return links;
}

static void
products_recognise(PtlProducts *p, const GPtrArray *conversations, const PtlHostKinds *kinds)
{
    for (guint i = 0; i < p->products->len; i++) {
        PtlProduct *product = g_ptr_array_index(p->products, i);
        if (product->ports->len < PRODUCTS_MIN_SERVICES || product->specific_ports == 0)
            continue;
        product->node_links = products_count_node_links(p, product, conversations, kinds);
        product->is_recognised = product->node_links > 0;
    }
}

/* ---- selection ------------------------------------------------------------ */

static void
products_select_recognised(PtlProducts *p)
{
    double best = 0.0;
    for (guint i = 0; i < p->products->len; i++) {
        const PtlProduct *product = g_ptr_array_index(p->products, i);
        if (product->is_recognised)
            best = MAX(best, product->score);
    }
    for (guint i = 0; i < p->products->len; i++) {
        PtlProduct *product = g_ptr_array_index(p->products, i);
        product->is_selected = product->is_recognised &&
                               product->score >= PRODUCTS_SELECT_RELATIVE * best &&
                               product->score >= PRODUCTS_SELECT_MIN;
        if (product->is_selected)
            p->origin = PTL_PRODUCTS_INFERRED;
    }
}

static void
products_select_named(PtlProducts *p, const char *name, gboolean is_forced)
{
    PtlProduct *product = products_find(p, name);
    if (product == NULL)
        return;
    product->is_selected = TRUE;
    product->is_declared = TRUE;
    product->is_forced = is_forced;
    p->origin = PTL_PRODUCTS_DECLARED;
}

static void
products_rank_selected(PtlProducts *p, const GPtrArray *listed)
{
    /* the rank follows the forced or inventory order when there is one */
    guint rank = PRODUCTS_RANK_FIRST - 1;
    for (char **name = p->forced; name != NULL && *name != NULL; name++) {
        PtlProduct *product = products_find(p, *name);
        if (product != NULL && !g_hash_table_contains(p->selected_rank, product->name))
            g_hash_table_insert(p->selected_rank, (gpointer) product->name,
                                GUINT_TO_POINTER(++rank));
    }
    for (guint i = 0; listed != NULL && i < listed->len; i++) {
        PtlProduct *product = products_find(p, g_ptr_array_index(listed, i));
        if (product != NULL && product->is_selected &&
            !g_hash_table_contains(p->selected_rank, product->name))
            g_hash_table_insert(p->selected_rank, (gpointer) product->name,
                                GUINT_TO_POINTER(++rank));
    }
    for (guint i = 0; i < p->products->len; i++) {
        PtlProduct *product = g_ptr_array_index(p->products, i);
        if (product->is_selected && !g_hash_table_contains(p->selected_rank, product->name))
            g_hash_table_insert(p->selected_rank, (gpointer) product->name,
                                GUINT_TO_POINTER(++rank));
    }
}

static void
products_select(PtlProducts *p, const GPtrArray *conversations, const PtlHostKinds *kinds)
{
    const GPtrArray *names = ptl_rule_set_products(p->rules);
    for (guint i = 0; names != NULL && i < names->len; i++) {
        PtlProduct *product = g_new0(PtlProduct, 1);
        product->name = g_ptr_array_index(names, i);
        product->ports = g_array_new(FALSE, FALSE, sizeof(guint32));
        g_ptr_array_add(p->products, product);
    }
    products_score(p, conversations);
    products_recognise(p, conversations, kinds);
    const GPtrArray *listed = p->inv != NULL ? ptl_inventory_products(p->inv) : NULL;
    if (p->forced != NULL && p->forced[0] != NULL) {
        for (char **name = p->forced; *name != NULL; name++)
            products_select_named(p, *name, TRUE);
    } else if (listed != NULL && listed->len > 0) {
        for (guint i = 0; i < listed->len; i++)
            products_select_named(p, g_ptr_array_index(listed, i), FALSE);
    } else {
        products_select_recognised(p);
    }
    products_rank_selected(p, listed);
}

/* ---- nodes ------------------------------------------------------------------ */

/* answered, and on a port a selected product documents as open to nodes */
static gboolean
products_is_node_traffic(const PtlProducts *p, const PtlConversation *c, GHashTable *cache)
{
    if (!ptl_flow_state_is_answered(c->key.state))
        return FALSE;
    gpointer key = GUINT_TO_POINTER(products_port_key(c->key.transport, c->key.server_port));
    gpointer cached = g_hash_table_lookup(cache, key);
    if (cached != NULL)
        return cached == GINT_TO_POINTER(1);
    gboolean is_node_port = FALSE;
    g_autoptr(GPtrArray) rules = ptl_products_candidates(p, c->key.transport,
                                                         c->key.server_port);
    for (guint i = 0; i < rules->len; i++) {
        const PtlRule *rule = g_ptr_array_index(rules, i);
        is_node_port |= products_is_inbound(rule) && (rule->sources & PTL_ROLE_NODE) != 0;
    }
    g_hash_table_insert(cache, key, GINT_TO_POINTER(is_node_port ? 1 : 2));
    return is_node_port;
}

static void
products_add_node(GHashTable *nodes, const PtlAddr *addr)
{
    if (!g_hash_table_contains(nodes, addr))
        g_hash_table_add(nodes, g_memdup2(addr, sizeof *addr));
}

static void
products_infer_nodes(PtlProducts *p, const GPtrArray *conversations, const PtlHostKinds *kinds)
{
    g_autoptr(GHashTable) cache = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) answering = g_hash_table_new_full(ptl_addr_hash, ptl_addr_key_equal,
                                                            g_free, NULL);
    for (guint i = 0; i < conversations->len; i++) {
        const PtlConversation *c = g_ptr_array_index(conversations, i);
        if (products_is_node_traffic(p, c, cache) && products_is_host(kinds, &c->key.server))
            products_add_node(answering, &c->key.server);
    }
    if (g_hash_table_size(answering) == 1) {
        GHashTableIter it;
        gpointer addr;
        g_hash_table_iter_init(&it, answering);
        if (g_hash_table_iter_next(&it, &addr, NULL))
            products_add_node(p->inferred_nodes, addr);
        return;
    }
    /* a node talks to another node on their documented ports */
    for (guint i = 0; i < conversations->len; i++) {
        const PtlConversation *c = g_ptr_array_index(conversations, i);
        if (products_is_node_traffic(p, c, cache) &&
            g_hash_table_contains(answering, &c->key.client) &&
            g_hash_table_contains(answering, &c->key.server) &&
            !ptl_addr_equal(&c->key.client, &c->key.server)) {
            products_add_node(p->inferred_nodes, &c->key.client);
            products_add_node(p->inferred_nodes, &c->key.server);
        }
    }
}

static gboolean
products_is_declared_node(const PtlProducts *p, const PtlAddr *addr)
{
    return p->inv != NULL && (ptl_inventory_role(p->inv, addr) & PTL_ROLE_NODE) != 0;
}

static void
products_set_nodes(PtlProducts *p, const GPtrArray *conversations, const PtlHostKinds *kinds)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(ptl_addr_hash, ptl_addr_key_equal);
    for (guint i = 0; i < conversations->len; i++) {
        const PtlConversation *c = g_ptr_array_index(conversations, i);
        const PtlAddr *ends[] = { &c->key.client, &c->key.server };
        for (guint e = 0; e < G_N_ELEMENTS(ends); e++) {
            gboolean is_node = p->is_inferring_nodes
                             ? g_hash_table_contains(p->inferred_nodes, ends[e])
                             : products_is_declared_node(p, ends[e]) &&
                               products_is_host(kinds, ends[e]);
            if (is_node && !g_hash_table_contains(seen, ends[e])) {
                g_hash_table_add(seen, (gpointer) ends[e]);
                g_array_append_vals(p->nodes, ends[e], 1);
            }
        }
    }
    g_array_sort(p->nodes, (GCompareFunc) ptl_addr_compare);
}

void
ptl_products_choose(PtlProducts *p, const GPtrArray *conversations, const PtlHostKinds *kinds)
{
    g_return_if_fail(p != NULL && conversations != NULL);
    g_ptr_array_set_size(p->products, 0);
    g_hash_table_remove_all(p->selected_rank);
    g_hash_table_remove_all(p->inferred_nodes);
    g_array_set_size(p->nodes, 0);
    p->origin = PTL_PRODUCTS_NONE;
    products_select(p, conversations, kinds);
    /* declared nodes switch inference off, even when none of them is in the capture */
    p->is_inferring_nodes = p->inv == NULL || !ptl_inventory_declares(p->inv, PTL_ROLE_NODE);
    if (p->is_inferring_nodes)
        products_infer_nodes(p, conversations, kinds);
    products_set_nodes(p, conversations, kinds);
}
