/* imap.c: IMAP4 (RFC 9051, RFC 3501) as far as its STARTTLS.
 *
 * The greeting "* OK" / "* PREAUTH" starts it; "<tag> STARTTLS" answered by
 * "<tag> OK" is the switch point to TLS.  Literals {n} are skipped by count.
 * See textline.h. */
#include "textline.h"

static const char *const imap_greetings[] = { "* OK", "* PREAUTH", "* BYE", NULL };
static const char *const imap_markers[] = { "* OK", "* PREAUTH", "IMAP4", NULL };
static const char *const imap_client_firsts[] = {
    "CAPABILITY", "STARTTLS", "LOGIN ", "AUTHENTICATE ", "ID ", "NOOP", NULL,
};
static const char *const imap_upgrade[] = { "STARTTLS", NULL };
static const guint16 imap_ports[] = { 143, 0 };

static const TextlineAuth imap_auth[] = {
    { "LOGIN", TEXTLINE_AUTH_LOGIN }, { "AUTHENTICATE", TEXTLINE_AUTH_MECH }, { NULL, 0 },
};

static const TextlineProto imap_table = {
    "IMAP", TEXTLINE_REPLY_TAGGED, imap_greetings, imap_markers, imap_client_firsts,
    imap_upgrade, "OK", TRUE, imap_auth,
};

TEXTLINE_DISSECTOR(imap, "imap", imap_table, imap_ports,
                   "IMAP greeting, commands and tagged replies up to STARTTLS")
