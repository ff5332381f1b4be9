/* test-imap.c: tests for dissectors/imap.c through its ABI entry.
 *
 * The sessions are those samples/gen writes into samples/proto-starttls.pcap
 * (the IMAP flow: greeting, CAPABILITY, STARTTLS, tagged OK, then a TLS
 * ClientHello's first bytes), shortened; the refused one answers BAD. */
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

static const HarnessSegment imap_upgrade[] = {
    TXT(PTL_DIR_TO_CLIENT, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n"),
    TXT(PTL_DIR_TO_SERVER, "a001 CAPABILITY\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
                           "a001 OK Pre-login capabilities listed.\r\n"),
    TXT(PTL_DIR_TO_SERVER, "a002 STARTTLS\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "a002 OK Begin TLS negotiation now.\r\n"),
    TXT(PTL_DIR_TO_SERVER, TLS_START),
};

static const HarnessSegment imap_refused[] = {
    TXT(PTL_DIR_TO_CLIENT, "* OK IMAP4rev1 server ready\r\n"),
    TXT(PTL_DIR_TO_SERVER, "x1 APPEND INBOX {11}\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "+ go ahead\r\n"),
    TXT(PTL_DIR_TO_SERVER, "x2 STARTTLS\r\n\r\nx3 STARTTLS\r\n"),  /* a literal, then a command */
    TXT(PTL_DIR_TO_CLIENT, "x1 OK APPEND done\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "x3 BAD STARTTLS not supported\r\n"),
};

static const HarnessSegment imap_yes[] = {
    TXT(PTL_DIR_TO_CLIENT, "* OK ready\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "* PREAUTH IMAP4rev1 server logged in as Smith\r\n"),
    TXT(PTL_DIR_TO_SERVER, "a001 CAPABILITY\r\n"),
    TXT(PTL_DIR_TO_SERVER, "A1 starttls\r\n"),
    END,
};
static const HarnessSegment imap_no[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK POP3 ready\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "220 mail ESMTP\r\n"),
    TXT(PTL_DIR_TO_SERVER, "a001 GET /\r\n"),
    TXT(PTL_DIR_TO_SERVER, "CAPABILITY\r\n"),
    TXT(PTL_DIR_TO_SERVER, "\x16\x03\x01\x00"),
    END,
};
static const HarnessSegment imap_maybe[] = {
    TXT(PTL_DIR_TO_CLIENT, "* O"),
    TXT(PTL_DIR_TO_SERVER, "a00"),
    TXT(PTL_DIR_TO_SERVER, ""),
    END,
};
static const char imap_long[9000] = "* OK ";
static const HarnessSegment imap_malformed[] = {
    TXT(PTL_DIR_TO_CLIENT, "* OK a\0b\r\n"),
    { PTL_DIR_TO_CLIENT, (const guint8 *) imap_long, sizeof imap_long },
    TXT(PTL_DIR_TO_SERVER, "a1 APPEND INBOX {9999999999}\r\n"),
    END,
};
static const gint imap_malformed_codes[] = {
    PTL_DISSECT_ERROR_MALFORMED, PTL_DISSECT_ERROR_LIMIT, PTL_DISSECT_ERROR_LIMIT,
};

static const HarnessSegment imap_login[] = {
    TXT(PTL_DIR_TO_CLIENT, "* OK IMAP4rev1 ready\r\n"),
    TXT(PTL_DIR_TO_SERVER, "a1 LOGIN \"alice\" sample-not-a-secret\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "a1 OK LOGIN completed\r\n"),
};

static const StarttlsFixture imap_fixture = {
    .is_client_switch = TRUE,
    .name = "imap",
    .config = { PTL_TRANSPORT_TCP, 40000, 143 },
    .upgrade = HARNESS_SCRIPT(imap_upgrade),
    .tls_to_server = sizeof(TLS_START) - 1,
    .fact = "IMAP STARTTLS",
    .refused = HARNESS_SCRIPT(imap_refused),
    .json_key = "starttls",
    .granted = "granted",
    .refused_value = "refused",
    .yes = imap_yes,
    .no = imap_no,
    .maybe = imap_maybe,
    .malformed = imap_malformed,
    .malformed_codes = imap_malformed_codes,
    .login = HARNESS_SCRIPT(imap_login),
    .login_fact = "IMAP LOGIN user alice",
    .login_secret = "sample-not-a-secret",
};

STARTTLS_TEST_MAIN(imap_fixture)
