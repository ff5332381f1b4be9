/* ptl-rules.h: the vendors' documented ports, read from rules/<product>.rules.
 *
 * One rule per documented row: port or range (possibly an expression of the
 * product's parameters, e.g. "7611+offset"), transport, expected application
 * protocol, service, direction relative to the product's nodes, allowed sources,
 * internal/external access, the doc's description and the seed row it came from.
 * Errors say "file:line: what is wrong". */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define PTL_RULES_ERROR (ptl_rules_error_quark())
GQuark ptl_rules_error_quark(void);

typedef enum {
    PTL_RULES_ERROR_IO,
    PTL_RULES_ERROR_SYNTAX,     /* wrong number of fields, bad token */
    PTL_RULES_ERROR_PORT,       /* not a port, range reversed, out of 1..65535 */
    PTL_RULES_ERROR_PROTOCOL,   /* not a known dissector name, tls, opaque or any */
    PTL_RULES_ERROR_DIRECTION,  /* not inbound/outbound/bidirectional */
    PTL_RULES_ERROR_SOURCE,
    PTL_RULES_ERROR_ACCESS,
    PTL_RULES_ERROR_DUPLICATE,  /* service named twice in one product */
    PTL_RULES_ERROR_PARAM,      /* unknown parameter, bad value, bad --set */
} PtlRulesError;

typedef enum { PTL_RULE_TCP = 6, PTL_RULE_UDP = 17, PTL_RULE_ICMP = 1 } PtlRuleTransport;

typedef enum {
    PTL_RULE_INBOUND,        /* others connect to the nodes on this port */
    PTL_RULE_OUTBOUND,       /* the nodes connect out to this port elsewhere */
    PTL_RULE_BIDIRECTIONAL,  /* node to node, either way */
} PtlRuleDirection;

/* Roles of hosts; a rule's allowed sources are a mask of them. */
typedef enum {
    PTL_ROLE_NODE = 1 << 0,
    PTL_ROLE_ADMIN = 1 << 1,
    PTL_ROLE_CLIENT = 1 << 2,
    PTL_ROLE_EXTERNAL = 1 << 3,
} PtlRole;
#define PTL_ROLE_ANY (PTL_ROLE_NODE | PTL_ROLE_ADMIN | PTL_ROLE_CLIENT | PTL_ROLE_EXTERNAL)

typedef enum { PTL_ACCESS_INTERNAL, PTL_ACCESS_EXTERNAL } PtlRuleAccess;

typedef struct {
    char            *product;     /* "sisense" */
    char            *service;     /* unique within the product */
    char            *port_text;   /* as written: "7611+offset", "15000-15050" */
    guint16          port_low, port_high;  /* resolved with the current parameters */
    PtlRuleTransport transport;
    char            *protocol;    /* dissector name, "tls", "opaque" (private RPC) or "any" */
    PtlRuleDirection direction;
    guint32          sources;     /* PtlRole mask */
    char           **source_hosts;/* named external hosts ("listener.logz.io"), NULL-terminated */
    PtlRuleAccess    access;
    char            *description;
    char            *file;        /* path as loaded */
    guint            line;
    char            *seed;        /* "001_c8d5961f5609cec6.txt row 12" */
    char            *doc_title;   /* the vendor document's title ("Sisense multi-node ports"),
                                     the product's name without a title line; NULL: site rule */
    guint            doc_row;     /* the row of that document; 0 with doc_title NULL */
    gboolean         is_enabled;  /* FALSE: documented but commented out in the doc */
    gboolean         is_dynamic;  /* a dynamic range: allowed between nodes, never a finding */
    gboolean         is_install_only; /* only needed during installation (Sisense 5986) */
    char            *note;        /* quirks kept visible: typos in the doc, duplicates */
} PtlRule;

/* "tcp", "udp", "icmp" (a raw IP protocol number: its transport's name) */
const char *ptl_rule_transport_name(guint transport);
/* the rule file's base name ("sisense.rules"), "?" when unknown */
const char *ptl_rule_file_name(const PtlRule *rule);
/* "inbound", "outbound", "bidirectional" */
const char *ptl_rule_direction_name(PtlRuleDirection direction);
/* "ports": [[low, high]] */
void        ptl_rule_emit_ports(JsonBuilder *b, const PtlRule *rule);

typedef struct _PtlRuleSet PtlRuleSet;

PtlRuleSet *ptl_rule_set_new(void);
void        ptl_rule_set_free(PtlRuleSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlRuleSet, ptl_rule_set_free)

/* Known protocol names for validation (dissector names); "tls", "opaque", "any"
 * are always known.  NULL: accept any lower-case name. */
void     ptl_rule_set_set_known_protocols(PtlRuleSet *set, const char *const *names);
gboolean ptl_rule_set_load_file(PtlRuleSet *set, const char *path, GError **error);
/* every *.rules file in dir, sorted */
gboolean ptl_rule_set_load_dir(PtlRuleSet *set, const char *dir, GError **error);
/* a site overlay: extra allowed flows and exceptions (see rules/README) */
gboolean ptl_rule_set_load_site(PtlRuleSet *set, const char *path, GError **error);
/* "wso2-das.offset=1"; re-resolves ports */
gboolean ptl_rule_set_set_param(PtlRuleSet *set, const char *assignment, GError **error);

guint          ptl_rule_set_count(const PtlRuleSet *set);
const PtlRule *ptl_rule_set_get(const PtlRuleSet *set, guint index);   /* transfer none */
/* product names in load order; transfer none */
const GPtrArray *ptl_rule_set_products(const PtlRuleSet *set);
/* The product a user's name means (transfer none): the name itself, or the one product
 * it names up to case and '-', '_', ' ' ("Sisense", "WSO2 DAS"); NULL with
 * PTL_RULES_ERROR_PARAM listing the known names otherwise. */
const char *ptl_rule_set_resolve_product(const PtlRuleSet *set, const char *name,
                                         GError **error);
/* rules of a product (NULL: all) documenting transport/port, enabled ones; transfer container */
GPtrArray *ptl_rule_set_match(const PtlRuleSet *set, const char *product, guint8 transport,
                              guint16 port);
/* TRUE if any enabled rule documents the port (for the flow table's initiator inference) */
gboolean   ptl_rule_set_is_documented(const PtlRuleSet *set, guint8 transport, guint16 port);
/* the dissector a rule forces on a port ("protocol = http, force"), or NULL */
const char *ptl_rule_set_forced_protocol(const PtlRuleSet *set, guint8 transport, guint16 port);

/* Added by the rules module. */
/* PtlRule.product of a site overlay rule written without a 'product' line: it
 * applies to every product, and ptl_rule_set_match() returns it for any product. */
#define PTL_RULE_SITE_PRODUCT "site"
/* TRUE if the rule's flags say 'force': the core decodes its port with rule->protocol. */
gboolean ptl_rule_is_forced(const PtlRule *rule);
