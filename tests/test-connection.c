/* test-connection.c: connection evidence and its words (analyzer/ptl-connection.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-connection.h"

/* 2024-05-01T10:00:00Z, as the samples */
#define T0_NS (G_GINT64_CONSTANT(1714557600) * G_GINT64_CONSTANT(1000000000))
#define MS_NS G_GINT64_CONSTANT(1000000)

static PtlConnEvidence
evidence(PtlFlowState state, PtlRefusal refusal, guint8 family, guint8 type, guint8 code)
{
    return (PtlConnEvidence) { .state = state, .refusal = refusal, .family = family,
                               .icmp_type = type, .icmp_code = code,
                               .handshake = PTL_HANDSHAKE_SYN_ONLY };
}

static void
test_connection_classify(void **state)
{
    (void) state;
    static const struct { PtlFlowState state; PtlRefusal refusal; PtlConnClass want;
                          const char *name; } cases[] = {
        { PTL_FLOW_CLOSED, PTL_REFUSED_NOT, PTL_CONN_ANSWERED, "answered" },
        { PTL_FLOW_ESTABLISHED, PTL_REFUSED_NOT, PTL_CONN_ANSWERED, "answered" },
        { PTL_FLOW_RESET, PTL_REFUSED_NOT, PTL_CONN_ANSWERED, "answered" },
        { PTL_FLOW_BIDIRECTIONAL, PTL_REFUSED_NOT, PTL_CONN_ANSWERED, "answered" },
        { PTL_FLOW_ONE_SIDED, PTL_REFUSED_NOT, PTL_CONN_ONE_SIDED, "one-sided" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_RST, PTL_CONN_REFUSED_RST, "refused-by-rst" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, PTL_CONN_REFUSED_ICMP, "refused-by-icmp" },
        { PTL_FLOW_UNANSWERED, PTL_REFUSED_NOT, PTL_CONN_UNANSWERED, "unanswered" },
        { PTL_FLOW_REQUEST_ONLY, PTL_REFUSED_NOT, PTL_CONN_NO_REPLY, "no-reply" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        PtlConnEvidence e = evidence(cases[i].state, cases[i].refusal, 4, 3, 3);
        PtlConnClass klass = ptl_connection_classify(&e);
        assert_int_equal(klass, cases[i].want);
        assert_string_equal(ptl_connection_class_name(klass), cases[i].name);
    }
    assert_true(ptl_connection_is_accepted(PTL_CONN_ONE_SIDED));
    assert_false(ptl_connection_is_accepted(PTL_CONN_UNANSWERED));
    assert_true(ptl_connection_is_failed(PTL_CONN_REFUSED_ICMP));
    assert_false(ptl_connection_is_failed(PTL_CONN_NO_REPLY));
    assert_true(ptl_connection_rank(PTL_CONN_ANSWERED) > ptl_connection_rank(PTL_CONN_ONE_SIDED));
    assert_true(ptl_connection_rank(PTL_CONN_ONE_SIDED) >
                ptl_connection_rank(PTL_CONN_REFUSED_RST));
    assert_true(ptl_connection_rank(PTL_CONN_REFUSED_RST) >
                ptl_connection_rank(PTL_CONN_UNANSWERED));
}

static void
test_connection_icmp_words(void **state)
{
    (void) state;
    static const struct { guint8 family, type, code; const char *text; gboolean is_firewall; }
    cases[] = {
        { 4, 3, 0, "network unreachable", FALSE },
        { 4, 3, 1, "host unreachable", FALSE },
        { 4, 3, 2, "protocol unreachable", FALSE },
        { 4, 3, 3, "port unreachable", FALSE },
        { 4, 3, 9, "network administratively prohibited", TRUE },
        { 4, 3, 10, "host administratively prohibited", TRUE },
        { 4, 3, 13, "communication administratively prohibited", TRUE },
        { 4, 3, 99, "unreachable (type 3 code 99)", FALSE },
        { 6, 1, 0, "no route to destination", FALSE },
        { 6, 1, 1, "communication administratively prohibited", TRUE },
        { 6, 1, 3, "address unreachable", FALSE },
        { 6, 1, 4, "port unreachable", FALSE },
        { 6, 1, 5, "source address failed ingress/egress policy", TRUE },
        { 6, 1, 6, "reject route to destination", TRUE },
        { 6, 3, 0, "unreachable (type 3 code 0)", FALSE },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        char buf[PTL_CONNECTION_TEXT_MAX];
        gboolean is_firewall = !cases[i].is_firewall;
        assert_string_equal(ptl_connection_icmp_text(cases[i].family, cases[i].type,
                                                     cases[i].code, &is_firewall, buf),
                            cases[i].text);
        assert_int_equal(is_firewall, cases[i].is_firewall);
    }
}

/* every class has its own verb and parenthesis */
static void
test_connection_sentences(void **state)
{
    (void) state;
    static const struct { PtlFlowState state; PtlRefusal refusal; guint8 family, code;
                          const char *verb, *detail; } cases[] = {
        { PTL_FLOW_CLOSED, PTL_REFUSED_NOT, 4, 0, "connected to", "" },
        { PTL_FLOW_ONE_SIDED, PTL_REFUSED_NOT, 4, 0, "connected to",
          "the capture shows only one direction of this connection; it went on past the SYN, "
          "so it was accepted" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_RST, 4, 0, "was refused by",
          "TCP reset to the SYN: the host is up but nothing accepted the port" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 4, 3, "was refused by",
          "ICMP port unreachable: the host is up but nothing listens on the port" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 4, 13, "was blocked on its way to",
          "ICMP communication administratively prohibited: a firewall rejected it" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 4, 1, "could not reach",
          "ICMP host unreachable: the host is down or not routed" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 4, 2, "was refused by",
          "ICMP protocol unreachable: the host is up but nothing listens on the port" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 6, 0, "could not reach",
          "ICMPv6 no route to destination: the host is down or not routed" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 6, 4, "was refused by",
          "ICMPv6 port unreachable: the host is up but nothing listens on the port" },
        { PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 6, 1, "was blocked on its way to",
          "ICMPv6 communication administratively prohibited: a firewall rejected it" },
        { PTL_FLOW_UNANSWERED, PTL_REFUSED_NOT, 4, 0, "got no answer from",
          "SYN sent, nothing came back and the client went no further: dropped by a "
          "firewall, or the host is down" },
        { PTL_FLOW_REQUEST_ONLY, PTL_REFUSED_NOT, 4, 0, "sent datagrams to",
          "no reply seen; UDP needs none" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint8 type = cases[i].family == 6 ? 1 : 3;
        PtlConnEvidence e = evidence(cases[i].state, cases[i].refusal, cases[i].family, type,
                                     cases[i].code);
        e.handshake = PTL_HANDSHAKE_PARTIAL;
        char buf[PTL_CONNECTION_TEXT_MAX];
        assert_string_equal(ptl_connection_verb(&e), cases[i].verb);
        assert_string_equal(ptl_connection_detail(&e, buf), cases[i].detail);
    }
    PtlConnEvidence mid = evidence(PTL_FLOW_ONE_SIDED, PTL_REFUSED_NOT, 4, 0, 0);
    mid.handshake = PTL_HANDSHAKE_NONE;
    char buf[PTL_CONNECTION_TEXT_MAX];
    assert_non_null(strstr(ptl_connection_detail(&mid, buf), "picked up mid-stream"));
}

static void
test_connection_advice(void **state)
{
    (void) state;
    PtlConnEvidence rst = evidence(PTL_FLOW_REFUSED, PTL_REFUSED_BY_RST, 4, 0, 0);
    g_autofree char *a = ptl_connection_advice(&rst, "10.0.0.1", "10.0.0.2", 6, 3888,
                                               "rule z.rules:4");
    assert_string_equal(a, "Check that the service runs on 10.0.0.2 and listens on tcp/3888 "
                        "(rule z.rules:4); the port was reached but nothing accepted it, so "
                        "opening a firewall will not help.");
    PtlConnEvidence port = evidence(PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 4, 3, 3);
    g_autofree char *b = ptl_connection_advice(&port, "10.0.0.1", "10.0.0.2", 17, 161, "r:1");
    assert_string_equal(b, "Check that the service runs on 10.0.0.2 and listens on udp/161 "
                        "(r:1); nothing listened there.");
    PtlConnEvidence filter = evidence(PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 4, 3, 13);
    g_autofree char *c = ptl_connection_advice(&filter, "10.0.0.1", "10.0.0.2", 6, 2888, "r:1");
    assert_string_equal(c, "open TCP 2888 from 10.0.0.1 to 10.0.0.2 in the firewall that "
                        "rejected it (r:1)");
    PtlConnEvidence host = evidence(PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 6, 1, 3);
    g_autofree char *d = ptl_connection_advice(&host, "fd00::1", "fd00::2", 6, 2181, "r:1");
    assert_string_equal(d, "Check that fd00::2 is up and routed from fd00::1 (r:1).");
    PtlConnEvidence silent = evidence(PTL_FLOW_UNANSWERED, PTL_REFUSED_NOT, 4, 0, 0);
    g_autofree char *e = ptl_connection_advice(&silent, "10.0.0.1", "10.0.0.2", 6, 5432, "r:1");
    assert_string_equal(e, "open TCP 5432 from 10.0.0.1 to 10.0.0.2 (r:1), or check that "
                        "10.0.0.2 is up: its SYNs were dropped");
}

static void
test_connection_transient_text(void **state)
{
    (void) state;
    PtlConnEvidence rst = evidence(PTL_FLOW_REFUSED, PTL_REFUSED_BY_RST, 4, 0, 0);
    PtlConnTransient t = { .failures = 3, .last_failure_ns = T0_NS + 4200 * MS_NS,
                           .accepted_ns = T0_NS + 7950 * MS_NS };
    g_autofree char *a = ptl_connection_transient_text(&rst, &t);
    assert_string_equal(a, "refused 3 times until 10:00:04.2, then accepted at 10:00:07.9: "
                        "the service was still starting");
    PtlConnEvidence silent = evidence(PTL_FLOW_UNANSWERED, PTL_REFUSED_NOT, 4, 0, 0);
    t.failures = 1;
    t.was_up_before = TRUE;
    g_autofree char *b = ptl_connection_transient_text(&silent, &t);
    assert_string_equal(b, "unanswered once until 10:00:04.2, between accepted connections "
                        "(accepted again by 10:00:07.9): the service restarted");
    PtlConnEvidence filter = evidence(PTL_FLOW_REFUSED, PTL_REFUSED_BY_ICMP, 4, 3, 13);
    t.was_up_before = FALSE;
    g_autofree char *c = ptl_connection_transient_text(&filter, &t);
    assert_true(g_str_has_prefix(c, "blocked once until"));
    /* a capture clock before 1970 is no reason to print garbage */
    t.last_failure_ns = -5;
    g_autofree char *d = ptl_connection_transient_text(&rst, &t);
    assert_true(g_str_has_prefix(d, "refused once until ?, then accepted at 10:00:07.9"));
}

static void
test_connection_vantage_note(void **state)
{
    (void) state;
    assert_null(ptl_connection_vantage_note(0, 10));
    assert_null(ptl_connection_vantage_note(1, 1));      /* one flow is not "many" */
    assert_null(ptl_connection_vantage_note(9, 100));    /* under 10 % */
    assert_null(ptl_connection_vantage_note(5, 3));      /* inconsistent counts */
    g_autofree char *note = ptl_connection_vantage_note(2, 2);
    assert_string_equal(note, "the capture point sees only one direction of 2 of 2 TCP flows "
                        "(asymmetric routing or a one-way mirror): absence of replies proves "
                        "nothing there");
    g_autofree char *ten = ptl_connection_vantage_note(10, 100);
    assert_non_null(ten);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connection_classify),
        cmocka_unit_test(test_connection_icmp_words),
        cmocka_unit_test(test_connection_sentences),
        cmocka_unit_test(test_connection_advice),
        cmocka_unit_test(test_connection_transient_text),
        cmocka_unit_test(test_connection_vantage_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
