/* test-ldap.c: tests for dissectors/ldap.c through its ABI entry.
 *
 * The upgrade session is the LDAP flow samples/gen writes into samples/proto-starttls.pcap
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

static const guint8 ldap_request[] = {
    0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, 0x31, 0x2e, 0x33,
    0x2e, 0x36, 0x2e, 0x31, 0x2e, 0x34, 0x2e, 0x31, 0x2e, 0x31, 0x34, 0x36,
    0x36, 0x2e, 0x32, 0x30, 0x30, 0x33, 0x37,
};
static const guint8 ldap_response[] = {
    0x30, 0x24, 0x02, 0x01, 0x01, 0x78, 0x1f, 0x0a, 0x01, 0x00, 0x04, 0x00,
    0x04, 0x00, 0x8a, 0x16, 0x31, 0x2e, 0x33, 0x2e, 0x36, 0x2e, 0x31, 0x2e,
    0x34, 0x2e, 0x31, 0x2e, 0x31, 0x34, 0x36, 0x36, 0x2e, 0x32, 0x30, 0x30,
    0x33, 0x37,
};
static const guint8 ldap_tls[] = {
    0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00,
};
static const guint8 ldap_refused_response[] = {
    0x30, 0x17, 0x02, 0x01, 0x01, 0x78, 0x12, 0x0a, 0x01, 0x02, 0x04, 0x00,
    0x04, 0x0b, 0x75, 0x6e, 0x73, 0x75, 0x70, 0x70, 0x6f, 0x72, 0x74, 0x65,
    0x64,
};
static const guint8 ldap_anonymous_bind[] = {
    0x30, 0x0c, 0x02, 0x01, 0x02, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00,
    0x80, 0x00,
};
static const guint8 ldap_bind_ok[] = {
    0x30, 0x0c, 0x02, 0x01, 0x02, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00,
    0x04, 0x00,
};
static const HarnessSegment ldap_upgrade[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, ldap_request),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, ldap_response),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, ldap_tls),
};
static const HarnessSegment ldap_refused[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, ldap_request),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, ldap_refused_response),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, ldap_anonymous_bind),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, ldap_bind_ok),
};
static const HarnessSegment ldap_yes[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, ldap_request),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, ldap_anonymous_bind),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, ldap_response),
    END,
};
static const HarnessSegment ldap_no[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, ldap_request),               /* a request from the server */
    TXT(PTL_DIR_TO_SERVER, "GET / HTTP/1.1\r\n"),
    TXT(PTL_DIR_TO_SERVER, "\x30\x05\x04\x01\x01\x60\x00"),  /* no INTEGER id */
    END,
};
static const HarnessSegment ldap_maybe[] = {
    TXT(PTL_DIR_TO_SERVER, "\x30"),
    TXT(PTL_DIR_TO_SERVER, "\x30\x1d\x02"),
    TXT(PTL_DIR_TO_CLIENT, "\x30\x84\x00"),
    END,
};
static const HarnessSegment ldap_malformed[] = {
    TXT(PTL_DIR_TO_SERVER, "\x31\x05\x02\x01\x01\x42\x00"),
    TXT(PTL_DIR_TO_SERVER, "\x30\x84\x7f\x00\x00\x00\x02\x01\x01\x77"),
    END,
};
static const gint ldap_malformed_codes[] = { PTL_DISSECT_ERROR_MALFORMED, PTL_DISSECT_ERROR_LIMIT };

static const StarttlsFixture ldap_fixture = {
    .is_client_switch = TRUE,
    .name = "ldap",
    .config = { PTL_TRANSPORT_TCP, 40000, 389 },
    .upgrade = HARNESS_SCRIPT(ldap_upgrade),
    .tls_to_server = sizeof ldap_tls,
    .fact = "LDAP StartTLS",
    .refused = HARNESS_SCRIPT(ldap_refused),
    .json_key = "starttls",
    .granted = "granted",
    .refused_value = "refused",
    .yes = ldap_yes,
    .no = ldap_no,
    .maybe = ldap_maybe,
    .malformed = ldap_malformed,
    .malformed_codes = ldap_malformed_codes,
};

STARTTLS_TEST_MAIN(ldap_fixture)
