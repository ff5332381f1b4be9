/* ptl-products.h: which products a capture shows, and which hosts are their nodes.
 *
 * Judging only, no text.  A product is declared (--product, or a 'product' line
 * of the inventory) or inferred from its own structure in the traffic: several
 * of its documented services answered, at least one of them on a port specific
 * to it, served by hosts that also talk to each other on its node-to-node ports.
 * Generic ports (documented by several products, or well-known to other
 * software: 80, 443, 445, 2181 ...) and dynamic ranges are never evidence of a
 * product.  Without a declared or recognised product, nothing is selected: "no
 * product recognised" is a normal outcome.
 *
 * Nodes come from the inventory; when it declares none they are inferred among
 * the hosts serving the selected products' node ports (never a broadcast,
 * multicast or network address). */
#pragma once

#include <glib.h>

#include "ptl-flow.h"
#include "ptl-host-kind.h"
#include "ptl-inventory.h"
#include "ptl-rules.h"
#include "ptl-verdict.h"

/* One conversation as the rule engine aggregates them. */
typedef struct {
    PtlFlowRecord key;      /* key fields of its first record */
    guint64       flows;
} PtlConversation;

typedef enum {
    PTL_PRODUCTS_NONE,      /* nothing declared, nothing recognised */
    PTL_PRODUCTS_DECLARED,  /* --product or the inventory */
    PTL_PRODUCTS_INFERRED,  /* recognised from the traffic */
} PtlProductsOrigin;

typedef struct {
    const char *name;           /* the rule set's, transfer none */
    double      weight;         /* answered flows explained, shared ports split */
    double      score;          /* weight / answered flows */
    gboolean    is_selected, is_forced, is_declared;
    GArray     *ports;          /* explained: guint32 transport << 16 | port, ascending */
    guint       unique_ports;   /* explained and documented by no other product */
    guint       specific_ports; /* explained and not generic */
    guint       node_links;     /* answered conversations between two of its servers on a
                                   port it documents between nodes */
    gboolean    is_recognised;  /* the traffic shows its structure (see above) */
} PtlProduct;

typedef struct _PtlProducts PtlProducts;

/* rules, inv: transfer none, must outlive the result.  forced: --product names,
 * NULL-terminated, or NULL. */
PtlProducts *ptl_products_new(const PtlRuleSet *rules, const PtlInventory *inv,
                              char *const *forced);
void         ptl_products_free(PtlProducts *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlProducts, ptl_products_free)

/* Scores and selects the products, then the nodes, from conversations
 * (PtlConversation*, transfer none); kinds says which addresses are hosts.
 * May be called again with more conversations (live mode). */
void ptl_products_choose(PtlProducts *p, const GPtrArray *conversations,
                         const PtlHostKinds *kinds);

/* PtlProduct*, rule set order; transfer none */
const GPtrArray  *ptl_products_list(const PtlProducts *p);
PtlProductsOrigin ptl_products_origin(const PtlProducts *p);
/* 0: not selected; lower ranks win on ports several products document
 * (the site overlay first, then the --product or inventory order) */
#define PTL_PRODUCTS_RANK_SITE 1
guint             ptl_products_rank(const PtlProducts *p, const char *product);
gboolean          ptl_products_is_declared(const PtlProducts *p, const char *product);
/* a port documented by several products, well-known to other software, or only
 * in a dynamic range: no evidence of any product */
gboolean          ptl_products_is_generic_port(const PtlProducts *p, guint8 transport,
                                               guint16 port);

/* enabled rules of the selected products documenting the port; transfer container */
GPtrArray *ptl_products_candidates(const PtlProducts *p, guint8 transport, guint16 port);

/* TRUE when nodes are inferred (the inventory declares none) */
gboolean      ptl_products_is_inferring_nodes(const PtlProducts *p);
gboolean      ptl_products_is_inferred_node(const PtlProducts *p, const PtlAddr *addr);
/* nodes seen in the capture, declared or inferred, sorted; transfer none */
const GArray *ptl_products_nodes(const PtlProducts *p);
