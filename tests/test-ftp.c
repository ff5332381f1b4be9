/* test-ftp.c: tests for dissectors/ftp.c through its ABI entry.
 *
 * The sessions are those samples/gen writes into samples/proto-starttls.pcap
 * (the FTP flow: greeting, FEAT, AUTH TLS, 234, then a TLS ClientHello's first
 * bytes), shortened; the refused one answers 504 (RFC 4217 section 4). */
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

static const HarnessSegment ftp_upgrade[] = {
    TXT(PTL_DIR_TO_CLIENT, "220 (vsFTPd 3.0.3)\r\n"),
    TXT(PTL_DIR_TO_SERVER, "FEAT\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n"),
    TXT(PTL_DIR_TO_SERVER, "AUTH TLS\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "234 Proceed with negotiation.\r\n"),
    TXT(PTL_DIR_TO_SERVER, TLS_START),
};

static const HarnessSegment ftp_refused[] = {
    TXT(PTL_DIR_TO_CLIENT, "220-Welcome\r\n220 Microsoft FTP Service\r\n"),
    TXT(PTL_DIR_TO_SERVER, "AUTH SSL\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "504 Security mechanism not implemented\r\n"),
    TXT(PTL_DIR_TO_SERVER, "USER anonymous\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "331 Please specify the password.\r\n"),
};

static const HarnessSegment ftp_yes[] = {
    TXT(PTL_DIR_TO_CLIENT, "220 (vsFTPd 3.0.3)\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "220 host ready\r\n331 password\r\n"),
    TXT(PTL_DIR_TO_SERVER, "AUTH TLS\r\n"),
    TXT(PTL_DIR_TO_SERVER, "FEAT\r\n"),
    END,
};
static const HarnessSegment ftp_no[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK POP3 ready\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "SSH-2.0-OpenSSH_9.2\r\n"),
    TXT(PTL_DIR_TO_SERVER, "EHLO x\r\n"),
    TXT(PTL_DIR_TO_SERVER, "\x16\x03\x01\x00"),
    END,
};
static const HarnessSegment ftp_maybe[] = {
    TXT(PTL_DIR_TO_CLIENT, "220 mail.example.com ESMTP\r\n"),  /* SMTP's: wait */
    TXT(PTL_DIR_TO_CLIENT, "2"),
    TXT(PTL_DIR_TO_SERVER, "AUTH"),
    END,
};
static const char ftp_long[9000] = "220 ";
static const HarnessSegment ftp_malformed[] = {
    TXT(PTL_DIR_TO_SERVER, "USER a\0b\r\n"),
    { PTL_DIR_TO_CLIENT, (const guint8 *) ftp_long, sizeof ftp_long },
    END,
};
static const gint ftp_malformed_codes[] = { PTL_DISSECT_ERROR_MALFORMED, PTL_DISSECT_ERROR_LIMIT };

static const HarnessSegment ftp_login[] = {
    TXT(PTL_DIR_TO_CLIENT, "220 (vsFTPd 3.0.3)\r\n"),
    TXT(PTL_DIR_TO_SERVER, "USER anonymous\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "331 Please specify the password.\r\n"),
    TXT(PTL_DIR_TO_SERVER, "PASS guest@example.com\r\n"),           /* anonymous: no secret */
    TXT(PTL_DIR_TO_CLIENT, "230 Login successful.\r\n"),
    TXT(PTL_DIR_TO_SERVER, "USER deploy\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "331 Please specify the password.\r\n"),
    TXT(PTL_DIR_TO_SERVER, "PASS sample-not-a-secret\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "230 Login successful.\r\n"),
};

static const StarttlsFixture ftp_fixture = {
    .is_client_switch = TRUE,
    .name = "ftp",
    .config = { PTL_TRANSPORT_TCP, 40000, 21 },
    .upgrade = HARNESS_SCRIPT(ftp_upgrade),
    .tls_to_server = sizeof(TLS_START) - 1,
    .fact = "FTP AUTH TLS",
    .refused = HARNESS_SCRIPT(ftp_refused),
    .json_key = "starttls",
    .granted = "granted",
    .refused_value = "refused",
    .yes = ftp_yes,
    .no = ftp_no,
    .maybe = ftp_maybe,
    .malformed = ftp_malformed,
    .malformed_codes = ftp_malformed_codes,
    .login = HARNESS_SCRIPT(ftp_login),
    .login_fact = "FTP USER deploy",
    .login_secret = "sample-not-a-secret",
};

STARTTLS_TEST_MAIN(ftp_fixture)
