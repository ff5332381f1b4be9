/* ptl-inventory.c: who is who in the capture (roles, products, parameters and
 * named hosts), from an inventory file and --nodes/--admins/--clients lists.
 *
 * Every address list entry becomes an inclusive range of addresses of one
 * family with a role mask; a lookup ORs the masks of the ranges that hold the
 * address, so roles may overlap. */
#include "ptl-inventory.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define INVENTORY_MAX_FILE_BYTES (4u << 20)
#define INVENTORY_MAX_RANGES     65536u
#define INVENTORY_MAX_ITEMS      4096u     /* products, parameters, named hosts each */

G_DEFINE_QUARK(ptl-inventory-error-quark, ptl_inventory_error)

typedef struct {
    guint32 roles;
    guint8  family;
    guint8  low[16];
    guint8  high[16];
    gboolean is_subnet;   /* written as a prefix: low and high are its network and broadcast */
} InventoryRange;

struct _PtlInventory {
    GArray     *ranges;         /* InventoryRange */
    GPtrArray  *products;       /* char * */
    GArray     *product_lines;  /* guint, the file line of each product; 0: not from a file */
    GPtrArray  *params;         /* char *, "product.name=value" */
    GArray     *param_lines;    /* guint */
    GHashTable *hosts;          /* lower-case name -> PtlAddr * */
    GHashTable *host_lines;     /* lower-case name (borrowed from hosts) -> line */
    GPtrArray  *notes;          /* char *: what was taken other than written, for apply */
    char       *path;           /* the file loaded, or NULL */
    guint       line;           /* the line being read; 0 outside ptl_inventory_load_file() */
};

static guint
inventory_addr_len(guint8 family)
{
    return family == 6 ? 16 : 4;
}

PtlInventory *
ptl_inventory_new(void)
{
    PtlInventory *inv = g_new0(PtlInventory, 1);
    inv->ranges = g_array_new(FALSE, TRUE, sizeof(InventoryRange));
    inv->products = g_ptr_array_new_with_free_func(g_free);
    inv->product_lines = g_array_new(FALSE, TRUE, sizeof(guint));
    inv->params = g_ptr_array_new_with_free_func(g_free);
    inv->param_lines = g_array_new(FALSE, TRUE, sizeof(guint));
    inv->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    inv->host_lines = g_hash_table_new(g_str_hash, g_str_equal);
    inv->notes = g_ptr_array_new_with_free_func(g_free);
    return inv;
}

void
ptl_inventory_free(PtlInventory *inv)
{
    if (inv == NULL)
        return;
    g_array_unref(inv->ranges);
    g_ptr_array_unref(inv->products);
    g_array_unref(inv->product_lines);
    g_ptr_array_unref(inv->params);
    g_array_unref(inv->param_lines);
    g_hash_table_unref(inv->host_lines);
    g_hash_table_unref(inv->hosts);
    g_ptr_array_unref(inv->notes);
    g_free(inv->path);
    g_free(inv);
}

/* ---- address lists --------------------------------------------------------- */

/* The parsers below return NULL when the token is good, or what is wrong with it. */

/* "10.20.1.0/24", "fe80::/64": host bits are cleared, not refused, and *has_host_bits
 * says so ("10.20.1.7/24" may be a host typed with its netmask). */
static const char *
inventory_parse_cidr(const char *token, const char *slash, InventoryRange *range,
                     gboolean *has_host_bits)
{
    g_autofree char *base = g_strndup(token, slash - token);
    PtlAddr addr;
    guint64 prefix = 0;
    if (!ptl_addr_parse(g_strstrip(base), &addr))
        return "the part before '/' is not an address";
    guint bits = inventory_addr_len(addr.family) * 8;
    if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, bits, &prefix, NULL))
        return addr.family == 6 ? "the prefix length is not 0..128"
                                : "the prefix length is not 0..32";
    range->family = addr.family;
    for (guint i = 0; i < inventory_addr_len(addr.family); i++) {
        guint covered = prefix > i * 8u ? MIN((guint) prefix - i * 8u, 8u) : 0;
        guint8 mask = (guint8) (0xffu << (8 - covered));
        range->low[i] = addr.bytes[i] & mask;
        range->high[i] = range->low[i] | (guint8) ~mask;
        *has_host_bits |= range->low[i] != addr.bytes[i];
    }
    /* a /31 or /32 has no network or broadcast address (RFC 3021) */
    range->is_subnet = addr.family == 4 && prefix <= 30;
    return NULL;
}

/* "10.0.0.5-10.0.0.9": same family, low <= high. */
static const char *
inventory_parse_span(const char *token, const char *dash, InventoryRange *range)
{
    g_autofree char *first = g_strstrip(g_strndup(token, dash - token));
    g_autofree char *last = g_strstrip(g_strdup(dash + 1));
    PtlAddr low, high;
    if (!ptl_addr_parse(first, &low) || !ptl_addr_parse(last, &high))
        return "a range needs an address on each side of '-'";
    if (low.family != high.family)
        return "the range mixes IPv4 and IPv6";
    if (memcmp(low.bytes, high.bytes, inventory_addr_len(low.family)) > 0)
        return "the range is reversed (low-high)";
    range->family = low.family;
    memcpy(range->low, low.bytes, sizeof range->low);
    memcpy(range->high, high.bytes, sizeof range->high);
    return NULL;
}

static const char *
inventory_parse_token(const char *token, InventoryRange *range, gboolean *has_host_bits)
{
    const char *slash = strchr(token, '/');
    if (slash != NULL)
        return inventory_parse_cidr(token, slash, range, has_host_bits);
    const char *dash = strchr(token, '-');
    if (dash != NULL)
        return inventory_parse_span(token, dash, range);
    PtlAddr addr;
    if (!ptl_addr_parse(token, &addr))
        return "not an address, CIDR block or range a-b";
    range->family = addr.family;
    memcpy(range->low, addr.bytes, sizeof range->low);
    memcpy(range->high, addr.bytes, sizeof range->high);
    return NULL;
}

static char *inventory_place(const PtlInventory *inv, guint line);

static void
inventory_note_host_bits(PtlInventory *inv, const char *token, const InventoryRange *range)
{
    PtlAddr base = { .family = range->family };
    memcpy(base.bytes, range->low, sizeof base.bytes);
    char text[PTL_ADDR_STRLEN];
    g_autofree char *place = inventory_place(inv, inv->line);
    g_ptr_array_add(inv->notes,
                    g_strdup_printf("%s'%s' has host bits set: taken as the whole block %s%s",
                                    place, token, ptl_addr_to_string(&base, text),
                                    strchr(token, '/')));
}

gboolean
ptl_inventory_add_hosts(PtlInventory *inv, PtlRole role, const char *list, GError **error)
{
    g_return_val_if_fail(inv != NULL && list != NULL, FALSE);
    g_auto(GStrv) tokens = g_strsplit_set(list, ", \t", -1);
    g_autoptr(GArray) parsed = g_array_new(FALSE, TRUE, sizeof(InventoryRange));
    for (char **token = tokens; *token != NULL; token++) {
        if (**token == '\0')
            continue;           /* "a, b" splits into an empty token too */
        InventoryRange range = { .roles = (guint32) role };
        gboolean has_host_bits = FALSE;
        const char *why = inventory_parse_token(*token, &range, &has_host_bits);
        if (why != NULL) {
            g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_ADDRESS, "'%s': %s",
                        *token, why);
            return FALSE;
        }
        if (has_host_bits && inv->notes->len < INVENTORY_MAX_ITEMS)
            inventory_note_host_bits(inv, *token, &range);
        g_array_append_val(parsed, range);
    }
    if (parsed->len == 0) {
        g_set_error_literal(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_ADDRESS,
                            "no address in the list");
        return FALSE;
    }
    if (inv->ranges->len + parsed->len > INVENTORY_MAX_RANGES) {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_ADDRESS,
                    "more than %u address entries in all", INVENTORY_MAX_RANGES);
        return FALSE;
    }
    g_array_append_vals(inv->ranges, parsed->data, parsed->len);
    return TRUE;
}

guint32
ptl_inventory_role(const PtlInventory *inv, const PtlAddr *addr)
{
    g_return_val_if_fail(inv != NULL && addr != NULL, 0);
    guint len = inventory_addr_len(addr->family);
    guint32 roles = 0;
    for (guint i = 0; i < inv->ranges->len; i++) {
        const InventoryRange *range = &g_array_index(inv->ranges, InventoryRange, i);
        if (range->family == addr->family && memcmp(range->low, addr->bytes, len) <= 0 &&
            memcmp(addr->bytes, range->high, len) <= 0)
            roles |= range->roles;
    }
    return roles;
}

gboolean
ptl_inventory_declares(const PtlInventory *inv, guint32 roles)
{
    g_return_val_if_fail(inv != NULL, FALSE);
    for (guint i = 0; i < inv->ranges->len; i++)
        if (g_array_index(inv->ranges, InventoryRange, i).roles & roles)
            return TRUE;
    return FALSE;
}

/* ---- products, parameters, hosts ------------------------------------------- */

static gboolean
inventory_has_string(const GPtrArray *array, const char *text)
{
    for (guint i = 0; i < array->len; i++)
        if (g_strcmp0(g_ptr_array_index(array, i), text) == 0)
            return TRUE;
    return FALSE;
}

static gboolean
inventory_check_room(const GPtrArray *array, GError **error)
{
    if (array->len < INVENTORY_MAX_ITEMS)
        return TRUE;
    g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                "more than %u entries of this kind", INVENTORY_MAX_ITEMS);
    return FALSE;
}

void
ptl_inventory_add_product(PtlInventory *inv, const char *product)
{
    g_return_if_fail(inv != NULL && product != NULL);
    if (inventory_has_string(inv->products, product))
        return;
    g_ptr_array_add(inv->products, g_strdup(product));
    g_array_append_val(inv->product_lines, inv->line);
}

const GPtrArray *
ptl_inventory_products(const PtlInventory *inv)
{
    g_return_val_if_fail(inv != NULL, NULL);
    return inv->products;
}

const GPtrArray *
ptl_inventory_params(const PtlInventory *inv)
{
    g_return_val_if_fail(inv != NULL, NULL);
    return inv->params;
}

const PtlAddr *
ptl_inventory_named_host(const PtlInventory *inv, const char *name)
{
    g_return_val_if_fail(inv != NULL && name != NULL, NULL);
    g_autofree char *key = g_ascii_strdown(name, -1);
    return g_hash_table_lookup(inv->hosts, key);
}

/* ---- the file -------------------------------------------------------------- */

/* "product sisense, impala" */
static gboolean
inventory_line_product(PtlInventory *inv, const char *value, GError **error)
{
    g_auto(GStrv) names = g_strsplit_set(value, ", \t", -1);
    for (char **name = names; *name != NULL; name++) {
        if (**name == '\0')
            continue;
        if (!inventory_check_room(inv->products, error))
            return FALSE;
        ptl_inventory_add_product(inv, *name);
    }
    return TRUE;
}

/* "set wso2-das.offset = 1", kept as "wso2-das.offset=1": the rule set checks
 * that the product and parameter exist. */
static gboolean
inventory_line_set(PtlInventory *inv, const char *value, GError **error)
{
    GString *assignment = g_string_sized_new(strlen(value));
    for (const char *c = value; *c != '\0'; c++)
        if (*c != ' ' && *c != '\t')
            g_string_append_c(assignment, *c);
    g_autofree char *text = g_string_free(assignment, FALSE);
    const char *dot = strchr(text, '.');
    const char *equals = strchr(text, '=');
    if (dot == NULL || equals == NULL || equals < dot || dot == text || equals[1] == '\0') {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                    "'set %s' is not 'set PRODUCT.PARAM=VALUE'", value);
        return FALSE;
    }
    gsize name_len = (gsize) (equals - text);
    for (guint i = 0; i < inv->params->len; i++) {
        const char *earlier = g_ptr_array_index(inv->params, i);
        if (strncmp(earlier, text, name_len) == 0 && earlier[name_len] == '=') {
            g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                        "'%.*s' is set twice (first on line %u)", (int) name_len, text,
                        g_array_index(inv->param_lines, guint, i));
            return FALSE;
        }
    }
    if (!inventory_check_room(inv->params, error))
        return FALSE;
    g_ptr_array_add(inv->params, g_steal_pointer(&text));
    g_array_append_val(inv->param_lines, inv->line);
    return TRUE;
}

/* "host listener.logz.io = 203.0.113.50" */
static gboolean
inventory_line_host(PtlInventory *inv, const char *value, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(value, "=", 2);
    if (g_strv_length(parts) != 2) {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                    "'host %s' is not 'host NAME = ADDRESS'", value);
        return FALSE;
    }
    g_autofree char *name = g_ascii_strdown(g_strstrip(parts[0]), -1);
    const char *text = g_strstrip(parts[1]);
    PtlAddr addr;
    if (*name == '\0' || strpbrk(name, " \t") != NULL) {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                    "host name '%s' is empty or has spaces", name);
        return FALSE;
    }
    if (!ptl_addr_parse(text, &addr)) {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_ADDRESS,
                    "'%s' is not an address", text);
        return FALSE;
    }
    if (g_hash_table_contains(inv->hosts, name)) {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                    "host '%s' given twice (first on line %u)", name,
                    GPOINTER_TO_UINT(g_hash_table_lookup(inv->host_lines, name)));
        return FALSE;
    }
    if (g_hash_table_size(inv->hosts) >= INVENTORY_MAX_ITEMS) {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                    "more than %u hosts", INVENTORY_MAX_ITEMS);
        return FALSE;
    }
    g_hash_table_insert(inv->host_lines, name, GUINT_TO_POINTER(inv->line));
    g_hash_table_insert(inv->hosts, g_steal_pointer(&name), g_memdup2(&addr, sizeof addr));
    return TRUE;
}

static gboolean
inventory_parse_line(PtlInventory *inv, char *text, GError **error)
{
    char *hash = strchr(text, '#');
    if (hash != NULL)
        *hash = '\0';
    g_strstrip(text);
    if (*text == '\0')
        return TRUE;
    char *value = text + strcspn(text, " \t");
    if (*value != '\0')
        *value++ = '\0';
    g_strstrip(value);
    if (*value == '\0') {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                    "'%s' needs a value", text);
        return FALSE;
    }
    static const struct { const char *keyword; PtlRole role; } lists[] = {
        { "nodes", PTL_ROLE_NODE }, { "admins", PTL_ROLE_ADMIN }, { "clients", PTL_ROLE_CLIENT },
    };
    for (guint i = 0; i < G_N_ELEMENTS(lists); i++)
        if (g_strcmp0(text, lists[i].keyword) == 0)
            return ptl_inventory_add_hosts(inv, lists[i].role, value, error);
    if (g_strcmp0(text, "product") == 0)
        return inventory_line_product(inv, value, error);
    if (g_strcmp0(text, "set") == 0)
        return inventory_line_set(inv, value, error);
    if (g_strcmp0(text, "host") == 0)
        return inventory_line_host(inv, value, error);
    g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                "unknown keyword '%s' (product, nodes, admins, clients, set, host)", text);
    return FALSE;
}

static gboolean
inventory_read_file(const char *path, char **contents, GError **error)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0) {
        int saved = errno;
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_IO, "%s: %s", path,
                    g_strerror(saved));
        return FALSE;
    }
    g_autoptr(GError) local = NULL;
    gsize len = 0;
    if (st.st_size > (goffset) INVENTORY_MAX_FILE_BYTES ||
        !g_file_get_contents(path, contents, &len, &local) || len > INVENTORY_MAX_FILE_BYTES ||
        memchr(*contents, '\0', len) != NULL ||
        !g_utf8_validate(*contents, (gssize) len, NULL)) {
        /* UTF-8 only, as rule files: errors quote the file's words into the report */
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_IO,
                    "%s: %s", path,
                    local != NULL ? local->message : "not a UTF-8 text file under 4 MiB");
        g_clear_pointer(contents, g_free);
        return FALSE;
    }
    return TRUE;
}

gboolean
ptl_inventory_load_file(PtlInventory *inv, const char *path, GError **error)
{
    g_return_val_if_fail(inv != NULL && path != NULL, FALSE);
    g_autofree char *contents = NULL;
    if (!inventory_read_file(path, &contents, error))
        return FALSE;
    if (inv->path != NULL) {
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_IO,
                    "%s: one inventory file only (already %s)", path, inv->path);
        return FALSE;
    }
    inv->path = g_strdup(path);
    g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
    gboolean is_ok = TRUE;
    inv->line = 0;
    for (char **text = lines; is_ok && *text != NULL; text++) {
        inv->line++;
        g_autoptr(GError) local = NULL;
        is_ok = inventory_parse_line(inv, *text, &local);
        if (!is_ok)
            g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s:%u: ", path,
                                       inv->line);
    }
    inv->line = 0;
    return is_ok;
}

/* ---- checked against the rules --------------------------------------------- */

/* "site.inventory:4: " for an entry read from the file, "" otherwise (transfer full) */
static char *
inventory_place(const PtlInventory *inv, guint line)
{
    return line > 0 ? g_strdup_printf("%s:%u: ", inv->path, line) : g_strdup("");
}

static gboolean
inventory_apply_products(PtlInventory *inv, const PtlRuleSet *rules, GPtrArray *notes,
                         GError **error)
{
    for (guint i = 0; i < inv->products->len; i++) {
        const char *given = g_ptr_array_index(inv->products, i);
        guint line = g_array_index(inv->product_lines, guint, i);
        g_autofree char *place = inventory_place(inv, line);
        g_autoptr(GError) local = NULL;
        const char *name = ptl_rule_set_resolve_product(rules, given, &local);
        if (name == NULL) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local), "%sproduct: ", place);
            return FALSE;
        }
        if (g_strcmp0(name, given) == 0)
            continue;
        if (notes != NULL)
            g_ptr_array_add(notes, g_strdup_printf("%sproduct '%s' taken as '%s'", place,
                                                   given, name));
        g_free(g_ptr_array_index(inv->products, i));
        g_ptr_array_index(inv->products, i) = g_strdup(name);
    }
    return TRUE;
}

gboolean
ptl_inventory_subnet_edge(const PtlInventory *inv, const PtlAddr *addr, gboolean *is_broadcast)
{
    g_return_val_if_fail(inv != NULL && addr != NULL, FALSE);
    for (guint i = 0; i < inv->ranges->len; i++) {
        const InventoryRange *r = &g_array_index(inv->ranges, InventoryRange, i);
        if (!r->is_subnet || r->family != addr->family)
            continue;
        gboolean is_high = memcmp(r->high, addr->bytes, 4) == 0;
        if (is_high || memcmp(r->low, addr->bytes, 4) == 0) {
            if (is_broadcast != NULL)
                *is_broadcast = is_high;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
inventory_rules_name_host(const PtlRuleSet *rules, const char *host)
{
    for (guint i = 0; i < ptl_rule_set_count(rules); i++) {
        char **hosts = ptl_rule_set_get(rules, i)->source_hosts;
        if (hosts != NULL && g_strv_contains((const char *const *) hosts, host))
            return TRUE;
    }
    return FALSE;
}

/* A named host no rule refers to is a typo of one that a rule does. */
static gboolean
inventory_check_hosts(const PtlInventory *inv, const PtlRuleSet *rules, GError **error)
{
    GHashTableIter iter;
    gpointer name, line;
    g_hash_table_iter_init(&iter, inv->host_lines);
    while (g_hash_table_iter_next(&iter, &name, &line)) {
        if (inventory_rules_name_host(rules, name))
            continue;
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        GString *known = g_string_new(NULL);
        for (guint i = 0; i < ptl_rule_set_count(rules); i++) {
            char **hosts = ptl_rule_set_get(rules, i)->source_hosts;
            for (char **h = hosts; h != NULL && *h != NULL; h++)
                if (g_hash_table_add(seen, *h))
                    g_string_append_printf(known, "%s%s", known->len ? ", " : "", *h);
        }
        g_autofree char *place = inventory_place(inv, GPOINTER_TO_UINT(line));
        g_set_error(error, PTL_INVENTORY_ERROR, PTL_INVENTORY_ERROR_SYNTAX,
                    "%shost '%s': no rule names this host (rules name: %s)", place,
                    (const char *) name, known->len ? known->str : "none");
        g_string_free(known, TRUE);
        return FALSE;
    }
    return TRUE;
}

gboolean
ptl_inventory_apply(PtlInventory *inv, PtlRuleSet *rules, GPtrArray *notes, GError **error)
{
    g_return_val_if_fail(inv != NULL && rules != NULL, FALSE);
    for (guint i = 0; notes != NULL && i < inv->notes->len; i++)
        g_ptr_array_add(notes, g_strdup(g_ptr_array_index(inv->notes, i)));
    if (!inventory_apply_products(inv, rules, notes, error))
        return FALSE;
    for (guint i = 0; i < inv->params->len; i++) {
        g_autoptr(GError) local = NULL;
        if (!ptl_rule_set_set_param(rules, g_ptr_array_index(inv->params, i), &local)) {
            g_autofree char *place =
                inventory_place(inv, g_array_index(inv->param_lines, guint, i));
            g_propagate_prefixed_error(error, g_steal_pointer(&local), "%sset ", place);
            return FALSE;
        }
    }
    return inventory_check_hosts(inv, rules, error);
}
