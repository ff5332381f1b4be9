/* test-smtp.c: tests for dissectors/smtp.c through its ABI entry.
 *
 * The sessions are those samples/gen writes into samples/proto-starttls.pcap
 * (the SMTP flow: greeting, EHLO, STARTTLS, 220, then a TLS ClientHello's
 * first bytes), shortened; the refused one answers 454 (RFC 3207 section 4). */
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

static const HarnessSegment smtp_upgrade[] = {
    TXT(PTL_DIR_TO_CLIENT, "220 mail.example.com ESMTP Postfix\r\n"),
    TXT(PTL_DIR_TO_SERVER, "EHLO client.example.com\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "250-mail.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n"
                           "250 8BITMIME\r\n"),
    TXT(PTL_DIR_TO_SERVER, "STARTTLS\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "220 2.0.0 Ready to start TLS\r\n"),
    TXT(PTL_DIR_TO_SERVER, TLS_START),
};

static const HarnessSegment smtp_refused[] = {
    TXT(PTL_DIR_TO_CLIENT, "220-mail.example.com ESMTP\r\n220 no UCE\r\n"),
    TXT(PTL_DIR_TO_SERVER, "EHLO client\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "250 mail.example.com\r\n"),
    TXT(PTL_DIR_TO_SERVER, "STARTTLS\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "454 4.7.0 TLS not available due to temporary reason\r\n"),
    TXT(PTL_DIR_TO_SERVER, "QUIT\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "221 2.0.0 Bye\r\n"),
};

static const HarnessSegment smtp_yes[] = {
    TXT(PTL_DIR_TO_CLIENT, "220 mail.example.com ESMTP Postfix\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "220 mx ready\r\n250-mx\r\n"),
    TXT(PTL_DIR_TO_SERVER, "EHLO client.example.com\r\n"),
    TXT(PTL_DIR_TO_SERVER, "helo x\r\n"),
    END,
};
static const HarnessSegment smtp_no[] = {
    TXT(PTL_DIR_TO_CLIENT, "+OK POP3 ready\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "HTTP/1.1 200 OK\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "220 ok\x01\r\n"),
    TXT(PTL_DIR_TO_SERVER, "GET / HTTP/1.1\r\n"),
    TXT(PTL_DIR_TO_SERVER, "\x16\x03\x01\x00"),
    END,
};
static const HarnessSegment smtp_maybe[] = {
    TXT(PTL_DIR_TO_CLIENT, "22"),
    TXT(PTL_DIR_TO_CLIENT, "220 ProFTPD ready\r\n"),  /* SMTP or FTP: wait for more */
    TXT(PTL_DIR_TO_SERVER, "EH"),
    TXT(PTL_DIR_TO_SERVER, ""),
    END,
};
static const char smtp_long[9000] = "220 ";
static const HarnessSegment smtp_malformed[] = {
    TXT(PTL_DIR_TO_CLIENT, "220 a\0b\r\n"),
    { PTL_DIR_TO_CLIENT, (const guint8 *) smtp_long, sizeof smtp_long },
    END,
};
static const gint smtp_malformed_codes[] = { PTL_DISSECT_ERROR_MALFORMED, PTL_DISSECT_ERROR_LIMIT };

static const HarnessSegment smtp_login[] = {
    TXT(PTL_DIR_TO_CLIENT, "220 mail.example.com ESMTP\r\n"),
    TXT(PTL_DIR_TO_SERVER, "EHLO client\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "250-mail.example.com\r\n250 AUTH PLAIN LOGIN CRAM-MD5\r\n"),
    TXT(PTL_DIR_TO_SERVER, "AUTH CRAM-MD5\r\n"),                 /* no password in clear */
    TXT(PTL_DIR_TO_CLIENT, "334 PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4=\r\n"),
    TXT(PTL_DIR_TO_SERVER, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "535 5.7.8 failed\r\n"),
    TXT(PTL_DIR_TO_SERVER, "AUTH PLAIN AHVzZXIAc2FtcGxlLW5vdC1hLXNlY3JldA==\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "235 2.7.0 Authentication successful\r\n"),
};

static const StarttlsFixture smtp_fixture = {
    .is_client_switch = TRUE,
    .name = "smtp",
    .config = { PTL_TRANSPORT_TCP, 40000, 25 },
    .upgrade = HARNESS_SCRIPT(smtp_upgrade),
    .tls_to_server = sizeof(TLS_START) - 1,
    .fact = "SMTP STARTTLS",
    .refused = HARNESS_SCRIPT(smtp_refused),
    .json_key = "starttls",
    .granted = "granted",
    .refused_value = "refused",
    .yes = smtp_yes,
    .no = smtp_no,
    .maybe = smtp_maybe,
    .malformed = smtp_malformed,
    .malformed_codes = smtp_malformed_codes,
    .login = HARNESS_SCRIPT(smtp_login),
    .login_fact = "SMTP AUTH PLAIN",
    .login_secret = "AHVzZXIAc2FtcGxlLW5vdC1hLXNlY3JldA==",
};

STARTTLS_TEST_MAIN(smtp_fixture)
