/* fuzz-rules.c: the rule file parser (rules/NAME.rules) or, built with
 * FUZZ_RULES_SITE=1, the site overlay parser (`--site FILE`, on top of the rules of
 * rules/ as the CLI loads them).  After a file is accepted, every rule is looked up
 * and printed, and each parameter its ports use is set to 1 and to 65535. */
#include "ptl-rules.h"

#include "fuzz-common.h"

#include <string.h>

static char **rules_known_protocols;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    rules_known_protocols = g_strsplit(FUZZ_PROTOCOLS, ",", -1);
    return 0;
}

/* "7611+offset" -> sets "<product>.offset=<value>" (errors are the parser's answer) */
static void
rules_set_params(PtlRuleSet *set, const PtlRule *rule, const char *value)
{
    const char *p = rule->port_text;
    while (p != NULL && *p != '\0') {
        if (!g_ascii_isalpha(*p) && *p != '_') {
            p++;
            continue;
        }
        gsize n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
        g_autofree char *assignment = g_strdup_printf("%s.%.*s=%s", rule->product, (int) n, p,
                                                      value);
        g_autoptr(GError) error = NULL;
        if (!ptl_rule_set_set_param(set, assignment, &error))
            FUZZ_CHECK(error != NULL, "set_param %s failed without an error", assignment);
        p += n;
    }
}

static void
rules_exercise(PtlRuleSet *set)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    for (guint i = 0; i < ptl_rule_set_count(set); i++) {
        const PtlRule *rule = ptl_rule_set_get(set, i);
        json_builder_begin_object(b);
        ptl_rule_emit_ports(b, rule);
        json_builder_set_member_name(b, "transport");
        json_builder_add_string_value(b, ptl_rule_transport_name(rule->transport));
        json_builder_set_member_name(b, "direction");
        json_builder_add_string_value(b, ptl_rule_direction_name(rule->direction));
        json_builder_end_object(b);
        g_autoptr(GPtrArray) matched = ptl_rule_set_match(set, rule->product, rule->transport,
                                                          rule->port_low);
        (void) ptl_rule_set_is_documented(set, rule->transport, rule->port_high);
        (void) ptl_rule_set_forced_protocol(set, rule->transport, rule->port_low);
    }
    json_builder_end_array(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    FUZZ_CHECK(root != NULL, "rule ports JSON unbalanced");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(PtlRuleSet) set = ptl_rule_set_new();
    ptl_rule_set_set_known_protocols(set, (const char *const *) rules_known_protocols);
    g_autoptr(GError) error = NULL;
    const char *path = fuzz_input_path(data, size);
#if FUZZ_RULES_SITE
    if (!ptl_rule_set_load_dir(set, FUZZ_RULES_DIR, &error))
        FUZZ_CHECK(FALSE, "%s", error->message);
    gboolean is_loaded = ptl_rule_set_load_site(set, path, &error);
#else
    gboolean is_loaded = ptl_rule_set_load_file(set, path, &error);
#endif
    FUZZ_CHECK(is_loaded == (error == NULL), "loaded %d with error %s", is_loaded,
               error != NULL ? error->message : "(none)");
    if (!is_loaded) {
        FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL), "error message not UTF-8");
        return 0;
    }
    rules_exercise(set);
    guint n = ptl_rule_set_count(set);
    for (guint i = 0; i < n; i++) {
        rules_set_params(set, ptl_rule_set_get(set, i), "1");
        rules_set_params(set, ptl_rule_set_get(set, i), "65535");
    }
    rules_exercise(set);
    return 0;
}
