/* test-pop3.c: tests for dissectors/pop3.c through its ABI entry.
 *
 * The sessions are those samples/gen writes into samples/proto-starttls.pcap
 * (the POP3 flow: greeting, CAPA, STLS, +OK, then a TLS ClientHello's first
 * bytes), shortened; the refused one answers -ERR (RFC 2595 section 4). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-dissector.h"
#include "dissector-harness.h"
#include "starttls-checks.h"

#define TXT(dir, s) { (dir), (const guint8 *) (s), sizeof(s) - 1 }
#define TLS_START "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"
#define END { PTL_DIR_TO_SERVER, NULL, 0 }

static const HarnessSegment pop3_upgrade[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK Dovecot ready.\r\n"),
    TXT(PTL_DIR_TO_SERVER, "CAPA\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "+OK\r\nCAPA\r\nSTLS\r\nUSER\r\n.\r\n"),
    TXT(PTL_DIR_TO_SERVER, "STLS\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "+OK Begin TLS negotiation now.\r\n"),
    TXT(PTL_DIR_TO_SERVER, TLS_START),
};

static const HarnessSegment pop3_refused[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    TXT(PTL_DIR_TO_SERVER, "STLS\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "-ERR Command not permitted when TLS active\r\n"),
    TXT(PTL_DIR_TO_SERVER, "QUIT\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "+OK bye\r\n"),
};

static const HarnessSegment pop3_yes[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK Dovecot ready.\r\n"),
    TXT(PTL_DIR_TO_SERVER, "CAPA\r\n"),
    TXT(PTL_DIR_TO_SERVER, "stls\r\n"),
    END,
};
static const HarnessSegment pop3_no[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK\r\n"),               /* Redis, not POP3 */
    TXT(PTL_DIR_TO_CLIENT, "* OK IMAP\r\n"),
    TXT(PTL_DIR_TO_SERVER, "GET / HTTP/1.1\r\n"),
    TXT(PTL_DIR_TO_SERVER, "\x16\x03\x01\x00"),
    END,
};
static const HarnessSegment pop3_maybe[] = {
    TXT(PTL_DIR_TO_CLIENT, "+O"),
    TXT(PTL_DIR_TO_SERVER, "CA"),
    END,
};
static const char pop3_long[9000] = "+OK ";
static const HarnessSegment pop3_malformed[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK a\0b\r\n"),
    { PTL_DIR_TO_CLIENT, (const guint8 *) pop3_long, sizeof pop3_long },
    END,
};
static const gint pop3_malformed_codes[] = { PTL_DISSECT_ERROR_MALFORMED, PTL_DISSECT_ERROR_LIMIT };

static const HarnessSegment pop3_login[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK POP3 ready\r\n"),
    TXT(PTL_DIR_TO_SERVER, "USER alice\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "+OK\r\n"),
    TXT(PTL_DIR_TO_SERVER, "PASS sample-not-a-secret\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "+OK maildrop locked\r\n"),
};

static const StarttlsFixture pop3_fixture = {
    .is_client_switch = TRUE,
    .name = "pop3",
    .config = { PTL_TRANSPORT_TCP, 40000, 110 },
    .upgrade = HARNESS_SCRIPT(pop3_upgrade),
    .tls_to_server = sizeof(TLS_START) - 1,
    .fact = "POP3 STLS",
    .refused = HARNESS_SCRIPT(pop3_refused),
    .json_key = "starttls",
    .granted = "granted",
    .refused_value = "refused",
    .yes = pop3_yes,
    .no = pop3_no,
    .maybe = pop3_maybe,
    .malformed = pop3_malformed,
    .malformed_codes = pop3_malformed_codes,
    .login = HARNESS_SCRIPT(pop3_login),
    .login_fact = "POP3 USER alice",
    .login_secret = "sample-not-a-secret",
};

STARTTLS_TEST_MAIN(pop3_fixture)
