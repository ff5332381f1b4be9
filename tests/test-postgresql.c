/* test-postgresql.c: tests for dissectors/postgresql.c through its ABI entry.
 *
 * The upgrade session is the PostgreSQL flow samples/gen writes into samples/proto-starttls.pcap
 * (samples/gen/protocols/starttls.py), then a TLS ClientHello's first bytes; the
 * refused one and the malformed ones are built here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-dissector.h"
#include "dissector-harness.h"
#include "starttls-checks.h"

#define TXT(dir, s) { (dir), (const guint8 *) (s), sizeof(s) - 1 }
#define END { PTL_DIR_TO_SERVER, NULL, 0 }

static const guint8 postgresql_ssl_request[] = {
    0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f,
};
static const guint8 postgresql_tls[] = {
    0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00,
};
static const guint8 postgresql_startup[] = {
    0x00, 0x00, 0x00, 0x21, 0x00, 0x03, 0x00, 0x00, 0x75, 0x73, 0x65, 0x72,
    0x00, 0x61, 0x70, 0x70, 0x00, 0x64, 0x61, 0x74, 0x61, 0x62, 0x61, 0x73,
    0x65, 0x00, 0x73, 0x61, 0x6c, 0x65, 0x73, 0x00, 0x00,
};
static const guint8 postgresql_auth_ok[] = {
    0x52, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x5a, 0x00, 0x00,
    0x00, 0x05, 0x49,
};
static const guint8 postgresql_yes_S[] = { 'S' };
static const guint8 postgresql_no_answer[] = { 'N' };
static const guint8 postgresql_bad_answer[] = { 'X' };
/* a backend message whose length is under its own 4 octets */
static const guint8 postgresql_short_length[] = { 'N', 'Z', 0x00, 0x00, 0x00, 0x02 };
static const guint8 postgresql_over_limit[] = { 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00 };

static const HarnessSegment postgresql_upgrade[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, postgresql_ssl_request),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, postgresql_yes_S),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, postgresql_tls),
};
static const HarnessSegment postgresql_refused[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, postgresql_ssl_request),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, postgresql_no_answer),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, postgresql_startup),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, postgresql_auth_ok),
};
static const HarnessSegment postgresql_yes[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, postgresql_ssl_request),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, postgresql_startup),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, postgresql_auth_ok),
    END,
};
static const HarnessSegment postgresql_no[] = {
    TXT(PTL_DIR_TO_SERVER, "GET / HTTP/1.1\r\n"),
    TXT(PTL_DIR_TO_SERVER, "\x00\x00\x00\x08\x00\x00\x00\x01"),
    TXT(PTL_DIR_TO_CLIENT, "HTTP/1.1 200 OK\r\n"),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, postgresql_bad_answer),
    END,
};
static const HarnessSegment postgresql_maybe[] = {
    TXT(PTL_DIR_TO_SERVER, "\x00\x00\x00"),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, postgresql_yes_S),
    TXT(PTL_DIR_TO_CLIENT, "R\x00\x00"),
    END,
};
static const HarnessSegment postgresql_malformed[] = {
    TXT(PTL_DIR_TO_SERVER, "\x00\x00\x00\x08\x00\x00\x00\x01"),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, postgresql_over_limit),
    END,
};
static const gint postgresql_malformed_codes[] = {
    PTL_DISSECT_ERROR_MALFORMED, PTL_DISSECT_ERROR_LIMIT,
};

static const StarttlsFixture postgresql_fixture = {
    .name = "postgresql",
    .config = { PTL_TRANSPORT_TCP, 40000, 5432 },
    .upgrade = HARNESS_SCRIPT(postgresql_upgrade),
    .tls_to_server = sizeof postgresql_tls,
    .fact = "PostgreSQL SSLRequest",
    .refused = HARNESS_SCRIPT(postgresql_refused),
    .json_key = "ssl_request",
    .granted = "granted",
    .refused_value = "refused",
    .yes = postgresql_yes,
    .no = postgresql_no,
    .maybe = postgresql_maybe,
    .malformed = postgresql_malformed,
    .malformed_codes = postgresql_malformed_codes,
};

/* an answer other than S or N, and a message length under 4, are errors too */
static void
test_postgresql_bad_answers(void **unused)
{
    (void) unused;
    g_autoptr(HarnessFlow) flow = harness_flow_new(&postgresql_fixture.config);
    harness_flow_feed_ok(flow, PTL_DIR_TO_SERVER, postgresql_ssl_request,
                         sizeof postgresql_ssl_request);
    assert_false(harness_flow_feed(flow, PTL_DIR_TO_CLIENT, postgresql_bad_answer, 1));
    g_autoptr(HarnessFlow) other = harness_flow_new(&postgresql_fixture.config);
    harness_flow_feed_ok(other, PTL_DIR_TO_SERVER, postgresql_ssl_request,
                         sizeof postgresql_ssl_request);
    assert_false(harness_flow_feed(other, PTL_DIR_TO_CLIENT, postgresql_short_length,
                                   sizeof postgresql_short_length));
    assert_true(g_error_matches(other->error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED));
}

int
main(void)
{
    starttls_fx = &postgresql_fixture;
    const struct CMUnitTest tests[] = {
        STARTTLS_TESTS,
        cmocka_unit_test(test_postgresql_bad_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
