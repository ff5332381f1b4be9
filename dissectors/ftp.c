/* ftp.c: the FTP control connection (RFC 959) as far as AUTH TLS (RFC 4217).
 *
 * The greeting "220 ..." starts it (SMTP greets with 220 too: an FTP marker,
 * a 331/234/211 reply or the client's USER/AUTH/FEAT decides); "AUTH TLS" or
 * "AUTH SSL" answered by 234 is the switch point to TLS.  See textline.h. */
#include "textline.h"

static const char *const ftp_greetings[] = { "220 ", "220-", NULL };
static const char *const ftp_markers[] = { "FTP", "331 ", "234 ", "211-", NULL };
static const char *const ftp_client_firsts[] = {
    "USER ", "AUTH TLS", "AUTH SSL", "FEAT", "SYST", "OPTS ", NULL,
};
static const char *const ftp_upgrade[] = { "AUTH TLS", "AUTH SSL", "AUTH TLS-C", NULL };
static const guint16 ftp_ports[] = { 21, 0 };

static const TextlineAuth ftp_auth[] = {
    { "USER", TEXTLINE_AUTH_USER }, { "PASS", TEXTLINE_AUTH_PASS }, { NULL, 0 },
};

static const TextlineProto ftp_table = {
    "FTP", TEXTLINE_REPLY_CODE, ftp_greetings, ftp_markers, ftp_client_firsts, ftp_upgrade,
    "234", FALSE, ftp_auth,
};

TEXTLINE_DISSECTOR(ftp, "ftp", ftp_table, ftp_ports,
                   "FTP control greeting, commands and replies up to AUTH TLS")
