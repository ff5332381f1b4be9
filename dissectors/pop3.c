/* pop3.c: POP3 (RFC 1939) as far as its STLS (RFC 2595).
 *
 * The greeting "+OK text" starts it (a bare "+OK" is Redis's, not POP3's);
 * "STLS" answered by "+OK" is the switch point to TLS.  See textline.h. */
#include "textline.h"

static const char *const pop3_greetings[] = { "+OK ", NULL };
static const char *const pop3_markers[] = { "+OK ", NULL };
static const char *const pop3_client_firsts[] = { "CAPA", "STLS", "APOP ", "AUTH ", NULL };
static const char *const pop3_upgrade[] = { "STLS", NULL };
static const guint16 pop3_ports[] = { 110, 0 };

static const TextlineAuth pop3_auth[] = {
    { "USER", TEXTLINE_AUTH_USER }, { "PASS", TEXTLINE_AUTH_PASS }, { "AUTH", TEXTLINE_AUTH_MECH },
    { NULL, 0 },
};

static const TextlineProto pop3_table = {
    "POP3", TEXTLINE_REPLY_STATUS, pop3_greetings, pop3_markers, pop3_client_firsts,
    pop3_upgrade, "+OK", FALSE, pop3_auth,
};

TEXTLINE_DISSECTOR(pop3, "pop3", pop3_table, pop3_ports,
                   "POP3 greeting, commands and status replies up to STLS")
