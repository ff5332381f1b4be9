/* test-report.c: the report's renderers that work on the JSON report: wrapping
 * at 100 columns, grouping by (kind, rule), filtering, and the HTML page's
 * escaping and self-containment. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-report.h"
#include "ptl-report-filter.h"
#include "ptl-report-groups.h"
#include "ptl-report-html.h"

/* two groups (source-not-allowed on sisense.rules:44, then undocumented-port
 * without a rule); the hostile strings stand for what a capture carries */
static const char report_text[] =
    "{\"schema\": \"portolan/report-1\","
    " \"capture\": {\"files\": [{\"path\": \"<b>x</b>.pcap\", \"packets\": 3}],"
    "   \"first_ts\": \"2024-05-01T10:00:00.000000Z\", \"last_ts\": \"2024-05-01T10:00:02Z\"},"
    " \"hosts\": [{\"ip\": \"10.20.0.11\", \"role\": \"node\", \"kind\": \"host\"},"
    "            {\"ip\": \"203.0.113.7\", \"role\": \"external\", \"kind\": \"host\"}],"
    " \"product_selection\": \"declared\","
    " \"findings\": ["
    "  {\"kind\": \"source-not-allowed\", \"severity\": \"error\", \"product\": \"sisense\","
    "   \"service\": \"zk\", \"rule\": {\"file\": \"sisense.rules\", \"line\": 44},"
    "   \"client\": \"203.0.113.7\", \"server\": \"10.20.0.11\", \"port\": 2181,"
    "   \"transport\": \"tcp\", \"flows\": 2, \"first_ts\": \"2024-05-01T10:00:01Z\","
    "   \"last_ts\": \"2024-05-01T10:00:01.5Z\","
    "   \"message\": \"user <script>alert(1)</script> & co\", \"advice\": \"block it\"},"
    "  {\"kind\": \"source-not-allowed\", \"severity\": \"warning\", \"product\": \"sisense\","
    "   \"service\": \"zk\", \"rule\": {\"file\": \"sisense.rules\", \"line\": 44},"
    "   \"client\": \"203.0.113.8\", \"server\": \"10.20.0.11\", \"port\": 2181,"
    "   \"transport\": \"tcp\", \"flows\": 3, \"message\": \"m2\", \"advice\": \"a2\"},"
    "  {\"kind\": \"undocumented-port\", \"severity\": \"warning\", \"product\": null,"
    "   \"service\": null, \"rule\": null, \"client\": \"10.20.0.12\","
    "   \"server\": \"10.20.0.11\", \"port\": 7070, \"transport\": \"tcp\", \"flows\": 9,"
    "   \"message\": \"m3\", \"advice\": \"a3\"}],"
    " \"findings_summary\": {\"error\": 1, \"warning\": 2, \"info\": 0},"
    " \"services\": [{\"product\": \"sisense\", \"service\": \"zk\", \"port\": \"2181\","
    "   \"transport\": \"tcp\", \"expected\": \"zookeeper\", \"observed\": {\"zookeeper\": 5},"
    "   \"flows\": 5, \"bytes\": 2048, \"clients\": [\"203.0.113.7\", \"203.0.113.8\"],"
    "   \"servers\": [\"10.20.0.11\"]}]}";

static JsonNode *
load_report(void)
{
    g_autoptr(GError) error = NULL;
    JsonNode *root = json_from_string(report_text, &error);
    assert_non_null(root);
    return root;
}

static char *
wrap_to_string(const char *text, guint first, guint indent)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    fprintf(f, "%*s", (int) first, "");
    ptl_report_text_wrap(f, text, first, indent);
    fclose(f);
    return out;
}

static void
test_report_wrap_fits_width(void **state)
{
    (void) state;
    g_autoptr(GString) text = g_string_new(NULL);
    for (int i = 0; i < 40; i++)
        g_string_append_printf(text, "word%d ", i);
    g_string_append(text, "a-very-long-token-");
    for (int i = 0; i < 30; i++)
        g_string_append(text, "xxxxxx");
    g_autofree char *out = wrap_to_string(text->str, 6, 8);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    guint n = 0;
    g_autoptr(GString) rejoined = g_string_new(NULL);
    for (char **line = lines; *line != NULL; line++) {
        assert_true(strlen(*line) <= PTL_REPORT_TEXT_WIDTH);
        if (**line != '\0')
            n++;
        if (line != lines)
            assert_true(**line == '\0' || strncmp(*line, "        ", 8) == 0);
        for (const char *c = *line; *c != '\0'; c++)
            if (*c != ' ')
                g_string_append_c(rejoined, *c);
    }
    assert_true(n > 3);
    /* nothing dropped: the words, and the long token cut but whole */
    g_autofree char *compact = g_strdup(text->str);
    g_autoptr(GString) expect = g_string_new(NULL);
    for (char *p = compact; *p != '\0'; p++)
        if (*p != ' ')
            g_string_append_c(expect, *p);
    assert_string_equal(rejoined->str, expect->str);
}

static void
test_report_groups_by_kind_and_rule(void **state)
{
    (void) state;
    g_autoptr(JsonNode) root = load_report();
    JsonArray *findings = json_object_get_array_member(json_node_get_object(root), "findings");
    g_autoptr(GPtrArray) groups = ptl_report_groups_new(findings);
    assert_int_equal(groups->len, 2);
    const PtlReportGroup *first = g_ptr_array_index(groups, 0);
    const PtlReportGroup *second = g_ptr_array_index(groups, 1);
    /* the error group first though the other has more flows */
    assert_string_equal(first->kind, "source-not-allowed");
    assert_string_equal(first->severity, "error");
    assert_int_equal(first->findings->len, 2);
    assert_int_equal(first->flows, 5);
    assert_int_equal(first->clients, 2);
    assert_int_equal(first->servers, 1);
    assert_string_equal(second->kind, "undocumented-port");
    g_autofree char *name = ptl_report_group_rule_name(second);
    assert_string_equal(name, "(no rule)");
}

static void
test_report_filter_json(void **state)
{
    (void) state;
    PtlReportFilter f = { .kinds = g_strsplit("nope", ",", -1) };
    g_autoptr(GError) error = NULL;
    assert_false(ptl_report_filter_check(&f, &error));
    assert_non_null(strstr(error->message, "source-not-allowed, direction-violation"));
    ptl_report_filter_clear(&f);
    g_clear_error(&error);
    f = (PtlReportFilter) { .severity = g_strdup("loud") };
    assert_false(ptl_report_filter_check(&f, &error));
    ptl_report_filter_clear(&f);
    g_clear_error(&error);
    f = (PtlReportFilter) { .severity = g_strdup("ERROR"),
                            .hosts = g_strsplit("203.0.113.7, 203.0.113.99", ",", -1) };
    assert_true(ptl_report_filter_check(&f, &error));
    assert_string_equal(f.severity, "error");
    assert_int_equal(g_strv_length(f.hosts), 2);
    g_autoptr(JsonNode) root = load_report();
    JsonObject *report = json_node_get_object(root);
    ptl_report_filter_apply(&f, report);
    JsonArray *findings = json_object_get_array_member(report, "findings");
    assert_int_equal(json_array_get_length(findings), 1);
    JsonObject *summary = json_object_get_object_member(report, "findings_summary");
    assert_int_equal(json_object_get_int_member(summary, "error"), 1);
    assert_int_equal(json_object_get_int_member(summary, "warning"), 0);
    JsonObject *filter = json_object_get_object_member(report, "filter");
    assert_int_equal(json_object_get_int_member(filter, "findings_before"), 3);
    assert_string_equal(json_object_get_string_member(filter, "severity"), "error");
    ptl_report_filter_clear(&f);
}

static void
test_report_html_escapes_and_stands_alone(void **state)
{
    (void) state;
    g_autoptr(JsonNode) root = load_report();
    g_autofree char *page = ptl_report_html(json_node_get_object(root));
    assert_null(strstr(page, "<script>alert"));
    assert_null(strstr(page, "<b>x</b>"));
    assert_non_null(strstr(page, "user &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    assert_null(strstr(page, "http://"));
    assert_null(strstr(page, "https://"));
    assert_null(strstr(page, " src="));
    /* one script, portolan's; the finding's packets as a display filter */
    assert_non_null(strstr(page, "<script>"));
    assert_null(strstr(strstr(page, "<script>") + 1, "<script>"));
    assert_non_null(strstr(page, "ip.addr==203.0.113.7 &amp;&amp; ip.addr==10.20.0.11 &amp;&amp; "
                                 "tcp.port==2181"));
    /* the red edge of the finding, the grey one of the single-server service */
    assert_non_null(strstr(page, "stroke=\"#c62828\""));
    /* deterministic */
    g_autofree char *again = ptl_report_html(json_node_get_object(root));
    assert_string_equal(page, again);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_wrap_fits_width),
        cmocka_unit_test(test_report_groups_by_kind_and_rule),
        cmocka_unit_test(test_report_filter_json),
        cmocka_unit_test(test_report_html_escapes_and_stands_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
