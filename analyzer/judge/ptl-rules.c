/* ptl-rules.c: product rule files, site overlays, parameters and the port index.
 *
 * A file is parsed into pending entries and committed only when every line is
 * good, so a failed load leaves the set as it was.  Ports are kept as text and
 * re-evaluated whenever a parameter changes; the index (per transport, a
 * 65536-entry offset table into one flat array of rule numbers) is rebuilt
 * after every change so that lookups never allocate or parse. */
#include "ptl-rules.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define RULES_MAX_FILE_BYTES    (4u << 20)
#define RULES_MAX_RULES         8192u
#define RULES_MAX_PARAMS        32u
#define RULES_MAX_INDEX_SLOTS   (8u << 20)   /* port slots over all rules: 32 MiB of index */
#define RULES_MAX_NUMBER_DIGITS 5u
#define RULES_PORT_MAX          65535
#define RULES_COLUMNS           10u
#define RULES_NOTE_PREFIX       "note:"

G_DEFINE_QUARK(ptl-rules-error-quark, ptl_rules_error)

typedef struct {
    char   *name;
    guint16 value;
} RulesParam;

typedef struct {
    char       *name;
    char       *title;
    char       *seed;
    char       *file;
    GArray     *params;     /* RulesParam */
    GHashTable *services;   /* committed service names */
} RulesProduct;

typedef struct {
    PtlRule       rule;         /* first member: handed out as const PtlRule * */
    RulesProduct *product;      /* whose parameters the port uses; NULL: none */
    gboolean      is_forced;
} RulesEntry;

typedef enum {
    RULES_INDEX_TCP,
    RULES_INDEX_UDP,
    RULES_INDEX_ICMP,
    RULES_INDEX_COUNT
} RulesIndexKind;

typedef struct {
    guint32 *start;     /* RULES_PORT_MAX + 2 offsets into slots */
    guint32 *slots;     /* entry numbers, load order within a port */
} RulesIndex;

struct _PtlRuleSet {
    GPtrArray  *entries;          /* RulesEntry *, load order */
    GPtrArray  *products;         /* RulesProduct * */
    GPtrArray  *product_names;    /* char *, borrowed from products */
    GHashTable *site_services;    /* services of site rules that apply to every product */
    char      **known_protocols;  /* NULL: any lower-case name */
    RulesIndex  index[RULES_INDEX_COUNT];
};

/* State of one file being read. */
typedef struct {
    PtlRuleSet   *set;
    const char   *path;
    gboolean      is_site;
    RulesProduct *product;        /* the file's product, or NULL */
    gboolean      owns_product;   /* declared by this file: committed with it */
    GPtrArray    *pending;        /* RulesEntry * */
    GHashTable   *pending_services;
    GString      *note;           /* "# note:" text waiting for its rule */
    guint         note_line;
    guint64       committed_slots;  /* index slots of the set before this file */
    guint64       pending_slots;
} RulesParser;

static const char *const rules_builtin_protocols[] = { "tls", "opaque", "any", NULL };

/* ---- small helpers --------------------------------------------------------- */

static void
rules_param_clear(gpointer data)
{
    g_free(((RulesParam *) data)->name);
}

static void
rules_product_free(RulesProduct *product)
{
    if (product == NULL)
        return;
    g_free(product->name);
    g_free(product->title);
    g_free(product->seed);
    g_free(product->file);
    g_array_unref(product->params);
    g_hash_table_unref(product->services);
    g_free(product);
}

static RulesProduct *
rules_product_new(const char *name, const char *file)
{
    RulesProduct *product = g_new0(RulesProduct, 1);
    product->name = g_strdup(name);
    product->file = g_strdup(file);
    product->params = g_array_new(FALSE, TRUE, sizeof(RulesParam));
    g_array_set_clear_func(product->params, rules_param_clear);
    product->services = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return product;
}

static void
rules_entry_free(gpointer data)
{
    RulesEntry *entry = data;
    PtlRule *rule = &entry->rule;
    g_free(rule->product);
    g_free(rule->service);
    g_free(rule->port_text);
    g_free(rule->protocol);
    g_strfreev(rule->source_hosts);
    g_free(rule->description);
    g_free(rule->file);
    g_free(rule->seed);
    g_free(rule->doc_title);
    g_free(rule->note);
    g_free(entry);
}

static gboolean
rules_is_name_char(char c, gboolean allow_dash)
{
    return g_ascii_islower(c) || g_ascii_isdigit(c) || c == '_' || (allow_dash && c == '-');
}

/* "wso2-das", "thrift-receiver": lower case, digits, '-', '_', starting with a letter */
static gboolean
rules_is_identifier(const char *text, gboolean allow_dash)
{
    if (!g_ascii_islower(text[0]))
        return FALSE;
    for (const char *c = text; *c != '\0'; c++)
        if (!rules_is_name_char(*c, allow_dash))
            return FALSE;
    return TRUE;
}

/* "0".."65535" with no sign, space or trailing text */
static gboolean
rules_parse_u16(const char *text, guint16 *out)
{
    guint64 value = 0;
    if (!g_ascii_string_to_unsigned(text, 10, 0, RULES_PORT_MAX, &value, NULL))
        return FALSE;
    *out = (guint16) value;
    return TRUE;
}

static RulesIndexKind
rules_index_kind(guint8 transport, gboolean *is_known)
{
    *is_known = TRUE;
    switch (transport) {
    case PTL_RULE_TCP:
        return RULES_INDEX_TCP;
    case PTL_RULE_UDP:
        return RULES_INDEX_UDP;
    case PTL_RULE_ICMP:
    case 58:                    /* ICMPv6: a health-check rule covers both */
        return RULES_INDEX_ICMP;
    default:
        *is_known = FALSE;
        return RULES_INDEX_TCP;
    }
}

static guint64
rules_entry_slots(const RulesEntry *entry)
{
    if (!entry->rule.is_enabled)
        return 0;
    return (guint64) entry->rule.port_high - entry->rule.port_low + 1;
}

static RulesProduct *
rules_find_product(const PtlRuleSet *set, const char *name)
{
    for (guint i = 0; i < set->products->len; i++) {
        RulesProduct *product = g_ptr_array_index(set->products, i);
        if (g_strcmp0(product->name, name) == 0)
            return product;
    }
    return NULL;
}

static RulesParam *
rules_find_param(const RulesProduct *product, const char *name)
{
    if (product == NULL)
        return NULL;
    for (guint i = 0; i < product->params->len; i++) {
        RulesParam *param = &g_array_index(product->params, RulesParam, i);
        if (g_strcmp0(param->name, name) == 0)
            return param;
    }
    return NULL;
}

/* ---- port expressions ------------------------------------------------------ */

/* One side of a port column: terms (numbers or parameter names) joined by '+'
 * and '-'.  Spaces are ignored.  Values stay far from gint64 limits: at most
 * one term per character, each at most 65535. */
static gboolean
rules_eval_expr(const char *text, gsize len, const RulesProduct *product, gint64 *out,
                GError **error)
{
    gint64 total = 0;
    int sign = 1;
    gboolean wants_term = TRUE;
    gsize i = 0;
    while (i < len) {
        char c = text[i];
        if (c == ' ' || c == '\t') {
            i++;
        } else if (!wants_term && (c == '+' || c == '-')) {
            sign = c == '+' ? 1 : -1;
            wants_term = TRUE;
            i++;
        } else if (wants_term && g_ascii_isdigit(c)) {
            gsize begin = i;
            gint64 value = 0;
            while (i < len && g_ascii_isdigit(text[i]))
                value = value * 10 + (text[i++] - '0');
            if (i - begin > RULES_MAX_NUMBER_DIGITS || value > RULES_PORT_MAX) {
                g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT,
                            "number '%.*s' is over %d", (int) (i - begin), text + begin,
                            RULES_PORT_MAX);
                return FALSE;
            }
            total += sign * value;
            wants_term = FALSE;
        } else if (wants_term && (g_ascii_islower(c) || c == '_')) {
            gsize begin = i;
            while (i < len && rules_is_name_char(text[i], FALSE))
                i++;
            g_autofree char *name = g_strndup(text + begin, i - begin);
            const RulesParam *param = rules_find_param(product, name);
            if (param == NULL) {
                g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                            "unknown parameter '%s'%s%s", name,
                            product != NULL ? " of product " : "",
                            product != NULL ? product->name : "");
                return FALSE;
            }
            total += sign * (gint64) param->value;
            wants_term = FALSE;
        } else {
            g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT,
                        wants_term ? "expected a number or parameter at '%c'"
                                   : "expected '+' or '-' at '%c'", c);
            return FALSE;
        }
    }
    if (wants_term) {
        g_set_error_literal(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT,
                            "expected a number or parameter");
        return FALSE;
    }
    *out = total;
    return TRUE;
}

static gboolean
rules_check_port_value(gint64 value, gint64 min, GError **error)
{
    if (value < min || value > RULES_PORT_MAX) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT,
                    "%" G_GINT64_FORMAT " is out of %" G_GINT64_FORMAT "..%d", value, min,
                    RULES_PORT_MAX);
        return FALSE;
    }
    return TRUE;
}

/* "N", "N-M", "7611+offset", "cluster_port - cluster_port+nodes-1": the first
 * '-' separates a range; the high end may add and subtract. */
static gboolean
rules_resolve_port(const char *text, PtlRuleTransport transport, const RulesProduct *product,
                   guint16 *low, guint16 *high, GError **error)
{
    g_autoptr(GError) local = NULL;
    const char *dash = strchr(text, '-');
    gsize low_len = dash != NULL ? (gsize) (dash - text) : strlen(text);
    gint64 low_value = 0;
    gint64 high_value = 0;
    gboolean is_ok = rules_eval_expr(text, low_len, product, &low_value, &local);
    if (is_ok && dash != NULL)
        is_ok = rules_eval_expr(dash + 1, strlen(dash + 1), product, &high_value, &local);
    else
        high_value = low_value;
    if (is_ok && transport == PTL_RULE_ICMP && (low_value != 0 || high_value != 0)) {
        g_set_error_literal(&local, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT,
                            "icmp rules take port 0");
        is_ok = FALSE;
    }
    gint64 min = transport == PTL_RULE_ICMP ? 0 : 1;
    is_ok = is_ok && rules_check_port_value(low_value, min, &local) &&
            rules_check_port_value(high_value, min, &local);
    if (is_ok && low_value > high_value) {
        g_set_error(&local, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT,
                    "range %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " is reversed", low_value,
                    high_value);
        is_ok = FALSE;
    }
    if (!is_ok) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local), "port '%s': ", text);
        return FALSE;
    }
    *low = (guint16) low_value;
    *high = (guint16) high_value;
    return TRUE;
}

/* ---- columns --------------------------------------------------------------- */

static gboolean
rules_parse_transport(const char *text, PtlRuleTransport *out, GError **error)
{
    static const struct { const char *name; PtlRuleTransport transport; } names[] = {
        { "tcp", PTL_RULE_TCP }, { "udp", PTL_RULE_UDP }, { "icmp", PTL_RULE_ICMP },
    };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if (g_strcmp0(text, names[i].name) == 0) {
            *out = names[i].transport;
            return TRUE;
        }
    }
    g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                "unknown transport '%s' (tcp, udp or icmp)", text);
    return FALSE;
}

static gboolean
rules_is_known_protocol(const PtlRuleSet *set, const char *name)
{
    if (g_strv_contains(rules_builtin_protocols, name))
        return TRUE;
    if (set->known_protocols == NULL)
        return rules_is_identifier(name, TRUE);
    return g_strv_contains((const char *const *) set->known_protocols, name);
}

static gboolean
rules_parse_protocol(const PtlRuleSet *set, const char *text, GError **error)
{
    if (rules_is_known_protocol(set, text))
        return TRUE;
    g_autofree char *known = set->known_protocols != NULL
                                 ? g_strjoinv(", ", set->known_protocols)
                                 : g_strdup("lower-case dissector names");
    g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PROTOCOL,
                "unknown protocol '%s' (known: %s%stls, opaque, any)", text, known,
                *known != '\0' ? ", " : "");
    return FALSE;
}

static gboolean
rules_parse_direction(const char *text, PtlRuleDirection *out, GError **error)
{
    static const char *const names[] = { "inbound", "outbound", "bidirectional" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if (g_strcmp0(text, names[i]) == 0) {
            *out = (PtlRuleDirection) i;
            return TRUE;
        }
    }
    g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_DIRECTION,
                "unknown direction '%s' (inbound, outbound or bidirectional)", text);
    return FALSE;
}

static gboolean
rules_parse_access(const char *text, PtlRuleAccess *out, GError **error)
{
    if (g_strcmp0(text, "internal") == 0 || g_strcmp0(text, "external") == 0) {
        *out = text[0] == 'i' ? PTL_ACCESS_INTERNAL : PTL_ACCESS_EXTERNAL;
        return TRUE;
    }
    g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_ACCESS,
                "unknown access '%s' (internal or external)", text);
    return FALSE;
}

/* A named external host: "listener.logz.io" (at least one dot, DNS characters). */
static gboolean
rules_is_host_name(const char *text)
{
    if (strchr(text, '.') == NULL || text[0] == '.' || text[0] == '-')
        return FALSE;
    for (const char *c = text; *c != '\0'; c++)
        if (!g_ascii_isalnum(*c) && *c != '.' && *c != '-')
            return FALSE;
    return TRUE;
}

static guint32
rules_role_of(const char *name)
{
    static const struct { const char *name; guint32 mask; } roles[] = {
        { "nodes", PTL_ROLE_NODE },       { "admins", PTL_ROLE_ADMIN },
        { "clients", PTL_ROLE_CLIENT },   { "external", PTL_ROLE_EXTERNAL },
        { "any", PTL_ROLE_ANY },
    };
    for (guint i = 0; i < G_N_ELEMENTS(roles); i++)
        if (g_strcmp0(name, roles[i].name) == 0)
            return roles[i].mask;
    return 0;
}

static gboolean
rules_parse_sources(const char *text, PtlRule *rule, GError **error)
{
    g_auto(GStrv) items = g_strsplit(text, ",", -1);
    g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func(g_free);
    guint32 mask = 0;
    if (items[0] == NULL) {
        g_set_error_literal(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SOURCE, "no sources");
        return FALSE;
    }
    for (char **item = items; *item != NULL; item++) {
        g_strstrip(*item);
        guint32 role = rules_role_of(*item);
        if (role != 0) {
            mask |= role;
        } else if (rules_is_host_name(*item)) {
            g_ptr_array_add(hosts, g_ascii_strdown(*item, -1));
        } else {
            g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SOURCE,
                        "unknown source '%s' (nodes, admins, clients, external, any or a "
                        "host name)", *item);
            return FALSE;
        }
    }
    g_ptr_array_add(hosts, NULL);
    rule->sources = mask;
    rule->source_hosts = (char **) g_ptr_array_free(g_steal_pointer(&hosts), FALSE);
    return TRUE;
}

static gboolean
rules_parse_flags(const char *text, RulesEntry *entry, GError **error)
{
    PtlRule *rule = &entry->rule;
    rule->is_enabled = TRUE;
    if (*text == '\0')
        return TRUE;
    g_auto(GStrv) items = g_strsplit(text, ",", -1);
    for (char **item = items; *item != NULL; item++) {
        g_strstrip(*item);
        if (g_strcmp0(*item, "disabled") == 0) {
            rule->is_enabled = FALSE;
        } else if (g_strcmp0(*item, "dynamic") == 0) {
            rule->is_dynamic = TRUE;
        } else if (g_strcmp0(*item, "install-only") == 0) {
            rule->is_install_only = TRUE;
        } else if (g_strcmp0(*item, "force") == 0) {
            entry->is_forced = TRUE;
        } else {
            g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                        "unknown flag '%s' (disabled, dynamic, install-only, force)", *item);
            return FALSE;
        }
    }
    if (entry->is_forced && g_strv_contains(rules_builtin_protocols, rule->protocol) &&
        g_strcmp0(rule->protocol, "tls") != 0) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "flag 'force' needs a dissector, not protocol '%s'", rule->protocol);
        return FALSE;
    }
    return TRUE;
}

/* Product files cite "row N" of their seed; site files may say anything. */
static gboolean
rules_parse_seed(const RulesParser *p, const char *text, PtlRule *rule, GError **error)
{
    if (p->is_site) {
        rule->seed = g_strdup(*text != '\0' ? text : "site");
        return TRUE;
    }
    guint64 row = 0;
    if (!g_str_has_prefix(text, "row ") ||
        !g_ascii_string_to_unsigned(text + 4, 10, 1, G_MAXUINT32, &row, NULL)) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "seed column '%s' is not 'row N'", text);
        return FALSE;
    }
    rule->seed = g_strdup_printf("%s row %" G_GUINT64_FORMAT, p->product->seed, row);
    rule->doc_title = g_strdup(p->product->title != NULL ? p->product->title : p->product->name);
    rule->doc_row = (guint) row;
    return TRUE;
}

static gboolean
rules_check_service(const RulesParser *p, const char *service, GError **error)
{
    if (!rules_is_identifier(service, TRUE)) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "service '%s' is not a lower-case name (letters, digits, '-', '_')",
                    service);
        return FALSE;
    }
    GHashTable *committed = p->product != NULL ? p->product->services : p->set->site_services;
    if (g_hash_table_contains(committed, service) ||
        g_hash_table_contains(p->pending_services, service)) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_DUPLICATE,
                    "service '%s' is already defined for %s", service,
                    p->product != NULL ? p->product->name : "every product");
        return FALSE;
    }
    return TRUE;
}

/* ---- lines ----------------------------------------------------------------- */

static gboolean
rules_check_rule_context(const RulesParser *p, GError **error)
{
    if (!p->is_site && p->product == NULL) {
        g_set_error_literal(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                            "rule before the 'product' line");
        return FALSE;
    }
    if (!p->is_site && p->product->seed == NULL) {
        g_set_error_literal(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                            "rule before the 'seed' line");
        return FALSE;
    }
    if (p->set->entries->len + p->pending->len >= RULES_MAX_RULES) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "more than %u rules in all", RULES_MAX_RULES);
        return FALSE;
    }
    return TRUE;
}

static guint64
rules_committed_slots(const PtlRuleSet *set)
{
    guint64 slots = 0;
    for (guint i = 0; i < set->entries->len; i++)
        slots += rules_entry_slots(g_ptr_array_index(set->entries, i));
    return slots;
}

/* Columns in file order: port | transport | protocol | service | direction |
 * sources | access | flags | description | seed.  The transport is read first:
 * it decides whether port 0 is allowed. */
static gboolean
rules_fill_entry(RulesParser *p, char **col, RulesEntry *entry, GError **error)
{
    PtlRule *rule = &entry->rule;
    rule->port_text = g_strdup(col[0]);
    rule->protocol = g_strdup(col[2]);
    rule->service = g_strdup(col[3]);
    rule->description = g_strdup(col[8]);
    return rules_parse_transport(col[1], &rule->transport, error) &&
           rules_resolve_port(col[0], rule->transport, entry->product, &rule->port_low,
                              &rule->port_high, error) &&
           rules_parse_protocol(p->set, col[2], error) &&
           rules_check_service(p, col[3], error) &&
           rules_parse_direction(col[4], &rule->direction, error) &&
           rules_parse_sources(col[5], rule, error) &&
           rules_parse_access(col[6], &rule->access, error) &&
           rules_parse_flags(col[7], entry, error) &&
           rules_parse_seed(p, col[9], rule, error);
}

static gboolean
rules_parse_rule(RulesParser *p, const char *text, guint line, GError **error)
{
    if (!rules_check_rule_context(p, error))
        return FALSE;
    g_auto(GStrv) col = g_strsplit(text, "|", -1);
    guint count = g_strv_length(col);
    if (count != RULES_COLUMNS) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "%u columns, expected %u separated by '|' (port | transport | protocol | "
                    "service | direction | sources | access | flags | description | seed)",
                    count, RULES_COLUMNS);
        return FALSE;
    }
    for (guint i = 0; i < count; i++)
        g_strstrip(col[i]);
    RulesEntry *entry = g_new0(RulesEntry, 1);
    entry->product = p->product;
    entry->rule.product = g_strdup(p->product != NULL ? p->product->name
                                                      : PTL_RULE_SITE_PRODUCT);
    entry->rule.file = g_strdup(p->path);
    entry->rule.line = line;
    if (!rules_fill_entry(p, col, entry, error)) {
        rules_entry_free(entry);
        return FALSE;
    }
    p->pending_slots += rules_entry_slots(entry);
    if (p->committed_slots + p->pending_slots > RULES_MAX_INDEX_SLOTS) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT,
                    "rules cover more than %u ports in all", RULES_MAX_INDEX_SLOTS);
        rules_entry_free(entry);
        return FALSE;
    }
    if (p->note->len > 0) {
        entry->rule.note = g_strdup(p->note->str);
        g_string_truncate(p->note, 0);
    }
    g_hash_table_add(p->pending_services, g_strdup(entry->rule.service));
    g_ptr_array_add(p->pending, entry);
    return TRUE;
}

/* "# note: ..." lines belong to the next rule; other comments are ignored. */
static void
rules_parse_comment(RulesParser *p, const char *text, guint line)
{
    while (*text == '#' || *text == ' ' || *text == '\t')
        text++;
    if (!g_str_has_prefix(text, RULES_NOTE_PREFIX))
        return;
    g_autofree char *note = g_strstrip(g_strdup(text + strlen(RULES_NOTE_PREFIX)));
    if (*note == '\0')
        return;
    if (p->note->len == 0)
        p->note_line = line;
    else
        g_string_append_c(p->note, ' ');
    g_string_append(p->note, note);
}

static gboolean
rules_header_product(RulesParser *p, const char *value, GError **error)
{
    if (p->product != NULL) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "second 'product' line (already '%s')", p->product->name);
        return FALSE;
    }
    if (!rules_is_identifier(value, TRUE) || g_strcmp0(value, PTL_RULE_SITE_PRODUCT) == 0) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "product name '%s' is not a lower-case name (or is reserved)", value);
        return FALSE;
    }
    RulesProduct *existing = rules_find_product(p->set, value);
    if (p->is_site) {
        if (existing == NULL) {
            g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                        "unknown product '%s' (load its rules first)", value);
            return FALSE;
        }
        p->product = existing;
        return TRUE;
    }
    if (existing != NULL) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_DUPLICATE,
                    "product '%s' is already loaded from %s", value, existing->file);
        return FALSE;
    }
    p->product = rules_product_new(value, p->path);
    p->owns_product = TRUE;
    return TRUE;
}

static gboolean
rules_header_param(RulesParser *p, const char *value, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(value, "=", 2);
    if (g_strv_length(parts) != 2) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "'param %s' is not 'param NAME = VALUE'", value);
        return FALSE;
    }
    const char *name = g_strstrip(parts[0]);
    const char *text = g_strstrip(parts[1]);
    guint16 number = 0;
    if (!rules_is_identifier(name, FALSE) || !rules_parse_u16(text, &number)) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                    "parameter '%s = %s': needs a lower-case name and a value 0..%d", name,
                    text, RULES_PORT_MAX);
        return FALSE;
    }
    if (rules_find_param(p->product, name) != NULL ||
        p->product->params->len >= RULES_MAX_PARAMS) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                    "parameter '%s' declared twice or more than %u parameters", name,
                    RULES_MAX_PARAMS);
        return FALSE;
    }
    RulesParam param = { g_strdup(name), number };
    g_array_append_val(p->product->params, param);
    return TRUE;
}

/* "title "ThoughtSpot"": drop the surrounding quotes; a quote must open and close the
 * whole value, with none inside (transfer full, or NULL with the error set) */
static char *
rules_unquote(const char *value, GError **error)
{
    gsize len = strlen(value);
    const char *quote = strchr(value, '"');
    if (quote == NULL)
        return g_strdup(value);
    if (quote != value || len < 2 || value[len - 1] != '"') {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    quote == value ? "unterminated string %s: no closing '\"'"
                                   : "stray '\"' in %s: quote the whole value", value);
        return NULL;
    }
    if (memchr(value + 1, '"', len - 2) != NULL) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "'\"' inside the string %s", value);
        return NULL;
    }
    if (len == 2) {
        g_set_error_literal(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX, "empty string \"\"");
        return NULL;
    }
    return g_strndup(value + 1, len - 2);
}

/* Cuts a header line's comment: the first '#' outside double quotes. */
static void
rules_cut_comment(char *text)
{
    gboolean is_quoted = FALSE;
    for (char *c = text; *c != '\0'; c++) {
        if (*c == '"')
            is_quoted = !is_quoted;
        else if (*c == '#' && !is_quoted) {
            *c = '\0';          /* "param offset = 0  # meaning" */
            return;
        }
    }
}

static gboolean
rules_is_header_keyword(const char *word)
{
    static const char *const keywords[] = { "product", "title", "seed", "param", NULL };
    return g_strv_contains(keywords, word);
}

static gboolean
rules_set_header_text(const char *keyword, char **field, const char *value, GError **error)
{
    if (*field != NULL) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_DUPLICATE,
                    "second '%s' line (already \"%s\")", keyword, *field);
        return FALSE;
    }
    *field = rules_unquote(value, error);
    return *field != NULL;
}

static gboolean
rules_parse_header(RulesParser *p, char *text, GError **error)
{
    rules_cut_comment(text);
    g_strstrip(text);
    char *value = text + strcspn(text, " \t");
    if (*value != '\0')
        *value++ = '\0';
    g_strstrip(value);
    if (*value == '\0') {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "'%s' needs a value (or a rule line needs '|' between columns)", text);
        return FALSE;
    }
    gboolean is_keyword = rules_is_header_keyword(text);
    if (is_keyword && p->pending->len > 0) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "'%s' belongs before the first rule", text);
        return FALSE;
    }
    if (g_strcmp0(text, "product") == 0)
        return rules_header_product(p, value, error);
    if (!is_keyword) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "unknown line '%s' (product, title, seed, param or a rule with '|')", text);
        return FALSE;
    }
    if (p->is_site || p->product == NULL) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "'%s' belongs after 'product' in a product rule file", text);
        return FALSE;
    }
    if (text[0] == 'p')
        return rules_header_param(p, value, error);
    char **field = text[0] == 't' ? &p->product->title : &p->product->seed;
    return rules_set_header_text(text, field, value, error);
}

static gboolean
rules_parse_line(RulesParser *p, char *text, guint line, GError **error)
{
    g_strstrip(text);
    if (*text == '\0')
        return TRUE;
    if (*text == '#') {
        rules_parse_comment(p, text, line);
        return TRUE;
    }
    /* a header keyword first: a '|' in a title does not make the line a rule */
    g_autofree char *first = g_strndup(text, strcspn(text, " \t"));
    if (strchr(text, '|') != NULL && !rules_is_header_keyword(first))
        return rules_parse_rule(p, text, line, error);
    return rules_parse_header(p, text, error);
}

/* ---- the index ------------------------------------------------------------- */

/* Disabled rules are documentation only: never in the index. */
static gboolean
rules_entry_is_indexed(const RulesEntry *entry, RulesIndexKind kind)
{
    gboolean is_known = FALSE;
    return entry->rule.is_enabled && rules_index_kind(entry->rule.transport, &is_known) == kind;
}

/* Counting sort of (port, entry) pairs: start[] holds each port's first slot. */
static void
rules_index_rebuild(PtlRuleSet *set)
{
    g_autofree guint32 *fill = g_new(guint32, RULES_PORT_MAX + 1);
    for (guint kind = 0; kind < RULES_INDEX_COUNT; kind++) {
        RulesIndex *index = &set->index[kind];
        guint32 *start = index->start;
        memset(start, 0, (RULES_PORT_MAX + 2) * sizeof *start);
        for (guint i = 0; i < set->entries->len; i++) {
            const RulesEntry *entry = g_ptr_array_index(set->entries, i);
            if (!rules_entry_is_indexed(entry, kind))
                continue;
            for (guint port = entry->rule.port_low; port <= entry->rule.port_high; port++)
                start[port + 1]++;
        }
        for (guint port = 1; port <= RULES_PORT_MAX + 1; port++)
            start[port] += start[port - 1];
        g_free(index->slots);
        index->slots = g_new(guint32, MAX(start[RULES_PORT_MAX + 1], 1));
        memcpy(fill, start, (RULES_PORT_MAX + 1) * sizeof *fill);
        for (guint i = 0; i < set->entries->len; i++) {
            const RulesEntry *entry = g_ptr_array_index(set->entries, i);
            if (!rules_entry_is_indexed(entry, kind))
                continue;
            for (guint port = entry->rule.port_low; port <= entry->rule.port_high; port++)
                index->slots[fill[port]++] = i;
        }
    }
}

/* The enabled rules documenting transport/port: count entry numbers, load order. */
static const guint32 *
rules_index_lookup(const PtlRuleSet *set, guint8 transport, guint16 port, guint32 *count)
{
    gboolean is_known = FALSE;
    const RulesIndex *index = &set->index[rules_index_kind(transport, &is_known)];
    *count = is_known ? index->start[port + 1] - index->start[port] : 0;
    return index->slots + index->start[port];
}

/* ---- loading --------------------------------------------------------------- */

static gboolean
rules_read_file(const char *path, char **contents, GError **error)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0) {
        int saved = errno;
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO, "%s: %s", path,
                    g_strerror(saved));
        return FALSE;
    }
    if (st.st_size > (goffset) RULES_MAX_FILE_BYTES) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO, "%s: larger than %u bytes",
                    path, RULES_MAX_FILE_BYTES);
        return FALSE;
    }
    g_autoptr(GError) local = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, contents, &len, &local)) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    if (len > RULES_MAX_FILE_BYTES || memchr(*contents, '\0', len) != NULL ||
        !g_utf8_validate(*contents, (gssize) len, NULL)) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO,
                    "%s: not a UTF-8 text file under %u bytes", path, RULES_MAX_FILE_BYTES);
        g_clear_pointer(contents, g_free);
        return FALSE;
    }
    return TRUE;
}

static gboolean
rules_parse_text(RulesParser *p, char *contents, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
    guint line = 0;
    for (char **text = lines; *text != NULL; text++) {
        line++;
        g_autoptr(GError) local = NULL;
        if (!rules_parse_line(p, *text, line, &local)) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s:%u: ", p->path,
                                       line);
            return FALSE;
        }
    }
    if (p->note->len > 0) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "%s:%u: note without a rule after it", p->path, p->note_line);
        return FALSE;
    }
    if (!p->is_site && p->product == NULL) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_SYNTAX,
                    "%s:%u: no 'product' line", p->path, line);
        return FALSE;
    }
    return TRUE;
}

static void
rules_commit(RulesParser *p)
{
    PtlRuleSet *set = p->set;
    if (p->owns_product) {
        g_ptr_array_add(set->products, p->product);
        g_ptr_array_add(set->product_names, p->product->name);
        p->owns_product = FALSE;
    }
    GHashTable *services = p->product != NULL ? p->product->services : set->site_services;
    for (guint i = 0; i < p->pending->len; i++) {
        RulesEntry *entry = g_ptr_array_index(p->pending, i);
        g_hash_table_add(services, g_strdup(entry->rule.service));
        g_ptr_array_add(set->entries, entry);
    }
    g_ptr_array_set_free_func(p->pending, NULL);
    rules_index_rebuild(set);
}

static gboolean
rules_load(PtlRuleSet *set, const char *path, gboolean is_site, GError **error)
{
    g_return_val_if_fail(set != NULL && path != NULL, FALSE);
    g_autofree char *contents = NULL;
    if (!rules_read_file(path, &contents, error))
        return FALSE;
    RulesParser p = {
        .set = set,
        .path = path,
        .is_site = is_site,
        .pending = g_ptr_array_new_with_free_func(rules_entry_free),
        .pending_services = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .note = g_string_new(NULL),
        .committed_slots = rules_committed_slots(set),
    };
    gboolean is_ok = rules_parse_text(&p, contents, error);
    if (is_ok)
        rules_commit(&p);
    if (p.owns_product)
        rules_product_free(p.product);
    g_ptr_array_unref(p.pending);
    g_hash_table_unref(p.pending_services);
    g_string_free(p.note, TRUE);
    return is_ok;
}

/* ---- public ---------------------------------------------------------------- */

PtlRuleSet *
ptl_rule_set_new(void)
{
    PtlRuleSet *set = g_new0(PtlRuleSet, 1);
    set->entries = g_ptr_array_new_with_free_func(rules_entry_free);
    set->products = g_ptr_array_new_with_free_func((GDestroyNotify) rules_product_free);
    set->product_names = g_ptr_array_new();
    set->site_services = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint kind = 0; kind < RULES_INDEX_COUNT; kind++) {
        set->index[kind].start = g_new0(guint32, RULES_PORT_MAX + 2);
        set->index[kind].slots = g_new0(guint32, 1);
    }
    return set;
}

void
ptl_rule_set_free(PtlRuleSet *set)
{
    if (set == NULL)
        return;
    g_ptr_array_unref(set->entries);
    g_ptr_array_unref(set->product_names);
    g_ptr_array_unref(set->products);
    g_hash_table_unref(set->site_services);
    g_strfreev(set->known_protocols);
    for (guint kind = 0; kind < RULES_INDEX_COUNT; kind++) {
        g_free(set->index[kind].start);
        g_free(set->index[kind].slots);
    }
    g_free(set);
}

void
ptl_rule_set_set_known_protocols(PtlRuleSet *set, const char *const *names)
{
    g_return_if_fail(set != NULL);
    g_clear_pointer(&set->known_protocols, g_strfreev);
    if (names != NULL)
        set->known_protocols = g_strdupv((char **) names);
}

gboolean
ptl_rule_set_load_file(PtlRuleSet *set, const char *path, GError **error)
{
    return rules_load(set, path, FALSE, error);
}

gboolean
ptl_rule_set_load_site(PtlRuleSet *set, const char *path, GError **error)
{
    return rules_load(set, path, TRUE, error);
}

static gint
rules_compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

gboolean
ptl_rule_set_load_dir(PtlRuleSet *set, const char *dir, GError **error)
{
    g_return_val_if_fail(set != NULL && dir != NULL, FALSE);
    g_autoptr(GError) local = NULL;
    g_autoptr(GDir) handle = g_dir_open(dir, 0, &local);
    if (handle == NULL) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name = NULL;
    while ((name = g_dir_read_name(handle)) != NULL)
        if (g_str_has_suffix(name, ".rules") && name[0] != '.')
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, rules_compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        if (!ptl_rule_set_load_file(set, path, error))
            return FALSE;
    }
    return TRUE;
}

/* Every rule of the product, re-resolved with its current parameters; nothing
 * changes unless all of them resolve. */
static gboolean
rules_reresolve(PtlRuleSet *set, const RulesProduct *product, GError **error)
{
    g_autofree guint16 *ranges = g_new(guint16, 2 * MAX(set->entries->len, 1));
    guint64 slots = 0;
    for (guint i = 0; i < set->entries->len; i++) {
        RulesEntry *entry = g_ptr_array_index(set->entries, i);
        guint16 *range = &ranges[2 * i];
        range[0] = entry->rule.port_low;
        range[1] = entry->rule.port_high;
        if (entry->product == product &&
            !rules_resolve_port(entry->rule.port_text, entry->rule.transport, product,
                                &range[0], &range[1], error)) {
            g_prefix_error(error, "%s:%u: ", entry->rule.file, entry->rule.line);
            return FALSE;
        }
        if (entry->rule.is_enabled)
            slots += (guint64) range[1] - range[0] + 1;
    }
    if (slots > RULES_MAX_INDEX_SLOTS) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PORT,
                    "rules would cover more than %u ports in all", RULES_MAX_INDEX_SLOTS);
        return FALSE;
    }
    for (guint i = 0; i < set->entries->len; i++) {
        RulesEntry *entry = g_ptr_array_index(set->entries, i);
        entry->rule.port_low = ranges[2 * i];
        entry->rule.port_high = ranges[2 * i + 1];
    }
    rules_index_rebuild(set);
    return TRUE;
}

/* "product.param=value" into its three parts, or an error naming what is missing. */
static gboolean
rules_split_assignment(const PtlRuleSet *set, const char *assignment, RulesProduct **product,
                       RulesParam **param, guint16 *value, GError **error)
{
    const char *dot = strchr(assignment, '.');
    const char *equals = strchr(assignment, '=');
    if (dot == NULL || equals == NULL || equals < dot) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                    "'%s' is not PRODUCT.PARAM=VALUE", assignment);
        return FALSE;
    }
    g_autofree char *product_name = g_strstrip(g_strndup(assignment, dot - assignment));
    g_autofree char *param_name = g_strstrip(g_strndup(dot + 1, equals - dot - 1));
    g_autofree char *text = g_strstrip(g_strdup(equals + 1));
    *product = rules_find_product(set, product_name);
    if (*product == NULL) {
        /* spelled exactly here: a parameter name is a program's, not a user's prose */
        const char *meant = ptl_rule_set_resolve_product(set, product_name, error);
        if (meant != NULL)
            g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                        "unknown product '%s' (did you mean '%s'?)", product_name, meant);
        return FALSE;
    }
    *param = rules_find_param(*product, param_name);
    if (*param == NULL) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                    "product '%s' has no parameter '%s'", product_name, param_name);
        return FALSE;
    }
    if (!rules_parse_u16(text, value)) {
        g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                    "value '%s' is not a number 0..%d", text, RULES_PORT_MAX);
        return FALSE;
    }
    return TRUE;
}

gboolean
ptl_rule_set_set_param(PtlRuleSet *set, const char *assignment, GError **error)
{
    g_return_val_if_fail(set != NULL && assignment != NULL, FALSE);
    RulesProduct *product = NULL;
    RulesParam *param = NULL;
    guint16 value = 0;
    g_autoptr(GError) local = NULL;
    if (rules_split_assignment(set, assignment, &product, &param, &value, &local)) {
        guint16 previous = param->value;
        param->value = value;
        if (rules_reresolve(set, product, &local))
            return TRUE;
        param->value = previous;
    }
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: ", assignment);
    return FALSE;
}

/* "WSO2 DAS" -> "wso2das": what is left of a name when case and separators go */
static char *
rules_name_key(const char *name)
{
    GString *key = g_string_new(NULL);
    for (const char *c = name; *c != '\0'; c++)
        if (*c != '-' && *c != '_' && *c != ' ')
            g_string_append_c(key, g_ascii_tolower(*c));
    return g_string_free(key, FALSE);
}

const char *
ptl_rule_set_resolve_product(const PtlRuleSet *set, const char *name, GError **error)
{
    g_return_val_if_fail(set != NULL && name != NULL, NULL);
    const RulesProduct *exact = rules_find_product(set, name);
    if (exact != NULL)
        return exact->name;
    g_autofree char *key = rules_name_key(name);
    const char *found = NULL;
    guint matches = 0;
    for (guint i = 0; i < set->products->len; i++) {
        const RulesProduct *product = g_ptr_array_index(set->products, i);
        g_autofree char *candidate = rules_name_key(product->name);
        if (*key != '\0' && g_strcmp0(key, candidate) == 0) {
            found = product->name;
            matches++;
        }
    }
    if (matches == 1)
        return found;
    GString *known = g_string_new(NULL);
    for (guint i = 0; i < set->product_names->len; i++)
        g_string_append_printf(known, "%s%s", i > 0 ? ", " : "",
                               (const char *) g_ptr_array_index(set->product_names, i));
    g_set_error(error, PTL_RULES_ERROR, PTL_RULES_ERROR_PARAM,
                "unknown product '%s' (known: %s)", name, known->len > 0 ? known->str : "none");
    g_string_free(known, TRUE);
    return NULL;
}

guint
ptl_rule_set_count(const PtlRuleSet *set)
{
    g_return_val_if_fail(set != NULL, 0);
    return set->entries->len;
}

const PtlRule *
ptl_rule_set_get(const PtlRuleSet *set, guint index)
{
    g_return_val_if_fail(set != NULL && index < set->entries->len, NULL);
    const RulesEntry *entry = g_ptr_array_index(set->entries, index);
    return &entry->rule;
}

const GPtrArray *
ptl_rule_set_products(const PtlRuleSet *set)
{
    g_return_val_if_fail(set != NULL, NULL);
    return set->product_names;
}

GPtrArray *
ptl_rule_set_match(const PtlRuleSet *set, const char *product, guint8 transport, guint16 port)
{
    g_return_val_if_fail(set != NULL, NULL);
    guint32 count = 0;
    const guint32 *slots = rules_index_lookup(set, transport, port, &count);
    GPtrArray *matches = g_ptr_array_sized_new(count);
    for (guint32 i = 0; i < count; i++) {
        const RulesEntry *entry = g_ptr_array_index(set->entries, slots[i]);
        gboolean is_every_product = entry->product == NULL;
        if (product == NULL || is_every_product || g_strcmp0(entry->rule.product, product) == 0)
            g_ptr_array_add(matches, (gpointer) &entry->rule);
    }
    return matches;
}

gboolean
ptl_rule_set_is_documented(const PtlRuleSet *set, guint8 transport, guint16 port)
{
    g_return_val_if_fail(set != NULL, FALSE);
    guint32 count = 0;
    (void) rules_index_lookup(set, transport, port, &count);
    return count > 0;
}

const char *
ptl_rule_set_forced_protocol(const PtlRuleSet *set, guint8 transport, guint16 port)
{
    g_return_val_if_fail(set != NULL, NULL);
    guint32 count = 0;
    const guint32 *slots = rules_index_lookup(set, transport, port, &count);
    for (guint32 i = 0; i < count; i++) {
        const RulesEntry *entry = g_ptr_array_index(set->entries, slots[i]);
        if (entry->is_forced)
            return entry->rule.protocol;
    }
    return NULL;
}

gboolean
ptl_rule_is_forced(const PtlRule *rule)
{
    g_return_val_if_fail(rule != NULL, FALSE);
    return ((const RulesEntry *) rule)->is_forced;
}

const char *
ptl_rule_transport_name(guint transport)
{
    return transport == PTL_RULE_UDP ? "udp" : transport == PTL_RULE_ICMP ? "icmp" : "tcp";
}

const char *
ptl_rule_direction_name(PtlRuleDirection direction)
{
    return direction == PTL_RULE_INBOUND ? "inbound"
         : direction == PTL_RULE_OUTBOUND ? "outbound" : "bidirectional";
}

void
ptl_rule_emit_ports(JsonBuilder *b, const PtlRule *rule)
{
    json_builder_set_member_name(b, "ports");
    json_builder_begin_array(b);
    json_builder_begin_array(b);
    json_builder_add_int_value(b, rule->port_low);
    json_builder_add_int_value(b, rule->port_high);
    json_builder_end_array(b);
    json_builder_end_array(b);
}

const char *
ptl_rule_file_name(const PtlRule *rule)
{
    g_return_val_if_fail(rule != NULL, "?");
    const char *slash = rule->file != NULL ? strrchr(rule->file, '/') : NULL;
    return slash != NULL ? slash + 1 : rule->file != NULL ? rule->file : "?";
}
