/* test-xmpp.c: tests for dissectors/xmpp.c through its ABI entry.
 *
 * The upgrade session is the XMPP flow samples/gen writes into samples/proto-starttls.pcap
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

#define XMPP_CLIENT_OPEN "<?xml version='1.0'?><stream:stream to='cluster.local' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
#define XMPP_SERVER_OPEN "<?xml version='1.0'?><stream:stream from='cluster.local' id='c2s-17' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
static const guint8 xmpp_tls[] = {
    0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00,
};
static const HarnessSegment xmpp_upgrade[] = {
    TXT(PTL_DIR_TO_SERVER, XMPP_CLIENT_OPEN),
    TXT(PTL_DIR_TO_CLIENT, XMPP_SERVER_OPEN),
    TXT(PTL_DIR_TO_SERVER, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    TXT(PTL_DIR_TO_CLIENT, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    HARNESS_SEGMENT(PTL_DIR_TO_SERVER, xmpp_tls),
};
static const HarnessSegment xmpp_refused[] = {
    TXT(PTL_DIR_TO_SERVER, XMPP_CLIENT_OPEN),
    TXT(PTL_DIR_TO_CLIENT, XMPP_SERVER_OPEN),
    TXT(PTL_DIR_TO_SERVER, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    TXT(PTL_DIR_TO_CLIENT, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"),
};
static const HarnessSegment xmpp_yes[] = {
    TXT(PTL_DIR_TO_SERVER, XMPP_CLIENT_OPEN),
    TXT(PTL_DIR_TO_CLIENT, XMPP_SERVER_OPEN),
    TXT(PTL_DIR_TO_SERVER, "<stream:stream xmlns='jabber:server' to='b.example'>"),
    END,
};
static const HarnessSegment xmpp_no[] = {
    TXT(PTL_DIR_TO_SERVER, "GET / HTTP/1.1\r\n"),
    TXT(PTL_DIR_TO_CLIENT, "<html><body>"),
    TXT(PTL_DIR_TO_SERVER, "<stream:stream xmlns='urn:other' version='1.0'>"),
    END,
};
static const HarnessSegment xmpp_maybe[] = {
    TXT(PTL_DIR_TO_SERVER, "<?xm"),
    TXT(PTL_DIR_TO_SERVER, "<?xml version='1.0'?><stream:str"),
    TXT(PTL_DIR_TO_CLIENT, ""),
    END,
};
static const char xmpp_long[9000] = "<?xml ";
static const HarnessSegment xmpp_malformed[] = {
    TXT(PTL_DIR_TO_SERVER, "<stream:stream\0>"),
    { PTL_DIR_TO_SERVER, (const guint8 *) xmpp_long, sizeof xmpp_long },
    END,
};
static const gint xmpp_malformed_codes[] = { PTL_DISSECT_ERROR_MALFORMED, PTL_DISSECT_ERROR_LIMIT };

static const StarttlsFixture xmpp_fixture = {
    .is_client_switch = TRUE,
    .name = "xmpp",
    .config = { PTL_TRANSPORT_TCP, 40000, 5222 },
    .upgrade = HARNESS_SCRIPT(xmpp_upgrade),
    .tls_to_server = sizeof xmpp_tls,
    .fact = "XMPP STARTTLS",
    .refused = HARNESS_SCRIPT(xmpp_refused),
    .json_key = "starttls",
    .granted = "granted",
    .refused_value = "refused",
    .yes = xmpp_yes,
    .no = xmpp_no,
    .maybe = xmpp_maybe,
    .malformed = xmpp_malformed,
    .malformed_codes = xmpp_malformed_codes,
};

STARTTLS_TEST_MAIN(xmpp_fixture)
