/* test-rdp.c: tests for dissectors/rdp.c through its ABI entry.
 *
 * The upgrade session is the RDP flow samples/gen writes into samples/proto-starttls.pcap
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

static const guint8 rdp_request[] = {
    0x03, 0x00, 0x00, 0x2e, 0x29, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x43,
    0x6f, 0x6f, 0x6b, 0x69, 0x65, 0x3a, 0x20, 0x6d, 0x73, 0x74, 0x73, 0x68,
    0x61, 0x73, 0x68, 0x3d, 0x6f, 0x70, 0x65, 0x72, 0x61, 0x74, 0x6f, 0x72,
    0x0d, 0x0a, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00,
};
static const guint8 rdp_confirm[] = {
    0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02,
    0x1f, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00,
};
static const guint8 rdp_tls[] = {
    0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00,
};
static const guint8 rdp_confirm_standard[] = {
    0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02,
    0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const guint8 rdp_mcs[] = {
    0x03, 0x00, 0x00, 0x0a, 0x02, 0xf0, 0x80, 0x7f, 0x65, 0x00,
};
static const guint8 rdp_s7_request[] = {
    0x03, 0x00, 0x00, 0x16, 0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xc1,
    0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02, 0xc0, 0x01, 0x0a,
};
static const HarnessSegment rdp_upgrade[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, rdp_request),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, rdp_confirm),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, rdp_tls),
};
/* the server keeps standard RDP security: no TLS, MCS follows in TPKTs */
static const HarnessSegment rdp_refused[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, rdp_request),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, rdp_confirm_standard),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, rdp_mcs),
};
static const HarnessSegment rdp_yes[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, rdp_request),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, rdp_confirm),
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, rdp_confirm_standard),
    END,
};
static const HarnessSegment rdp_no[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, rdp_s7_request),              /* S7comm's COTP */
    HARNESS_SEGMENT(PTL_DIR_TO_CLIENT, rdp_request),
    TXT(PTL_DIR_TO_SERVER, "GET / HTTP/1.1\r\n"),
    END,
};
static const HarnessSegment rdp_maybe[] = {
    TXT(PTL_DIR_TO_SERVER, "\x03\x00"),
    TXT(PTL_DIR_TO_SERVER, "\x03\x00\x00\x2c\x27\xe0\x00"),
    TXT(PTL_DIR_TO_CLIENT, ""),
    END,
};
static const HarnessSegment rdp_malformed[] = {
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, rdp_s7_request),
    TXT(PTL_DIR_TO_SERVER, "\x03\x00\x00\x05\x00"),
    END,
};
static const gint rdp_malformed_codes[] = { PTL_DISSECT_ERROR_MALFORMED, PTL_DISSECT_ERROR_MALFORMED };

static const StarttlsFixture rdp_fixture = {
    .name = "rdp",
    .config = { PTL_TRANSPORT_TCP, 40000, 3389 },
    .upgrade = HARNESS_SCRIPT(rdp_upgrade),
    .tls_to_server = sizeof rdp_tls,
    .fact = "RDP X.224 TLS",
    .refused = HARNESS_SCRIPT(rdp_refused),
    .json_key = "selected_protocol",
    .granted = "hybrid",
    .refused_value = "rdp",
    .yes = rdp_yes,
    .no = rdp_no,
    .maybe = rdp_maybe,
    .malformed = rdp_malformed,
    .malformed_codes = rdp_malformed_codes,
};

STARTTLS_TEST_MAIN(rdp_fixture)
