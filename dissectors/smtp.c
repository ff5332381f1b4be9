/* smtp.c: SMTP (RFC 5321) as far as its STARTTLS (RFC 3207).
 *
 * The greeting "220 ..." starts it (FTP greets with 220 too: an SMTP marker
 * or the client's EHLO/HELO decides); "STARTTLS" answered by 220 is the
 * switch point to TLS.  See textline.h. */
#include "textline.h"

static const char *const smtp_greetings[] = { "220 ", "220-", NULL };
static const char *const smtp_markers[] = { "SMTP", "250-", "250 ", NULL };
static const char *const smtp_client_firsts[] = { "EHLO ", "HELO ", NULL };
static const char *const smtp_upgrade[] = { "STARTTLS", NULL };
static const guint16 smtp_ports[] = { 25, 587, 0 };

static const TextlineAuth smtp_auth[] = { { "AUTH", TEXTLINE_AUTH_MECH }, { NULL, 0 } };

static const TextlineProto smtp_table = {
    "SMTP", TEXTLINE_REPLY_CODE, smtp_greetings, smtp_markers, smtp_client_firsts,
    smtp_upgrade, "220", FALSE, smtp_auth,
};

TEXTLINE_DISSECTOR(smtp, "smtp", smtp_table, smtp_ports,
                   "SMTP greeting, commands and replies up to STARTTLS")
