/* textline.h: the shared engine of the line-based clear-text starts (SMTP,
 * IMAP, POP3, FTP), included by each of their dissectors.
 *
 * Each protocol is a table: what its server's greeting and its client's first
 * command look like, which command asks for TLS and which reply grants it.
 * The engine reads whole CRLF lines (IMAP literals `{n}` are skipped by
 * count), counts commands and replies, keeps the greeting's first words, and
 * when the server grants the upgrade raises PTL_FACT_UPGRADE_TLS, having
 * consumed exactly up to the end of that reply: the core hands the rest to the
 * TLS dissector.  Without one, the rest is counted as opaque bytes. */
#pragma once

#include <string.h>

#include "starttls-common.h"

#define TEXTLINE_MAX_LINE    8192               /* IMAP's recommended cap is 8000 */
#define TEXTLINE_MAX_LITERAL (64 * 1024 * 1024) /* an IMAP literal we skip by count */
#define TEXTLINE_MAX_BANNER  80
#define TEXTLINE_MAX_TAG     32
#define TEXTLINE_MAX_USER    64

typedef enum {
    TEXTLINE_REPLY_CODE,    /* "220 text": three digits, ' ' ends a reply, '-' continues it */
    TEXTLINE_REPLY_STATUS,  /* "+OK text" / "-ERR text" (POP3) */
    TEXTLINE_REPLY_TAGGED,  /* "<tag> OK text", untagged "* ..." (IMAP) */
} TextlineReplyKind;

/* Commands that carry a password in clear (before any TLS): how to name them. */
typedef enum {
    TEXTLINE_AUTH_MECH,        /* "AUTH PLAIN": the mechanism, PLAIN or LOGIN only */
    TEXTLINE_AUTH_LOGIN,       /* IMAP "LOGIN user pass": the user */
    TEXTLINE_AUTH_USER,        /* "USER alice": remembered for the PASS that follows */
    TEXTLINE_AUTH_PASS,        /* "PASS ...": the password crossed; named by the user */
} TextlineAuthKind;

typedef struct {
    const char       *verb;
    TextlineAuthKind  kind;
} TextlineAuth;

typedef struct {
    const char        *label;            /* "SMTP", for fact details */
    TextlineReplyKind  kind;
    const char *const *greetings;        /* server first-line prefixes, NULL-terminated */
    const char *const *server_markers;   /* a server line holding one says YES (case-insensitive) */
    const char *const *client_firsts;    /* client first-command prefixes that say YES */
    const char *const *upgrade_commands; /* "STARTTLS" (after the tag for IMAP) */
    const char        *grant;            /* the reply that grants it: "220", "+OK", "OK" */
    gboolean           has_literals;     /* IMAP {n} */
    const TextlineAuth *auth;            /* clear-text logins, {NULL} terminated */
} TextlineProto;

typedef enum {
    TEXTLINE_TLS_NONE,
    TEXTLINE_TLS_REQUESTED,
    TEXTLINE_TLS_GRANTED,
    TEXTLINE_TLS_REFUSED,
} TextlineTls;

static const char *const textline_tls_names[] = { NULL, "requested", "granted", "refused" };

typedef struct {
    guint64     commands;
    guint64     replies;          /* server lines ending a reply */
    guint64     literal_bytes;
    StarttlsCommon common;       /* bytes after the upgrade, when no TLS dissector took them */
    guint64     literal_left[2];
    gboolean    is_mid_line[2];   /* after a hole: skip to the next line */
    guint64     gaps;
    gboolean    is_confirmed;
    gboolean    has_greeting;
    char        banner[TEXTLINE_MAX_BANNER + 1];
    char        tag[TEXTLINE_MAX_TAG + 1]; /* IMAP: the STARTTLS command's tag */
    char        user[TEXTLINE_MAX_USER + 1]; /* POP3/FTP: the USER before PASS */
    guint64     cleartext_logins;
    TextlineTls tls;
} TextlineState;

static inline gboolean
textline_has_prefix_ci(const guint8 *line, gsize len, const char *prefix)
{
    gsize n = strlen(prefix);
    return len >= n && g_ascii_strncasecmp((const char *) line, prefix, n) == 0;
}

static inline gboolean
textline_any_prefix(const guint8 *line, gsize len, const char *const *prefixes)
{
    for (gsize i = 0; prefixes != NULL && prefixes[i] != NULL; i++)
        if (textline_has_prefix_ci(line, len, prefixes[i]))
            return TRUE;
    return FALSE;
}

static inline gboolean
textline_contains_ci(const guint8 *line, gsize len, const char *needle)
{
    gsize n = strlen(needle);
    for (gsize i = 0; n <= len && i <= len - n; i++)
        if (g_ascii_strncasecmp((const char *) line + i, needle, n) == 0)
            return TRUE;
    return FALSE;
}

/* A line is printable ASCII or UTF-8 text (tab allowed): no control bytes. */
static inline gboolean
textline_is_text(const guint8 *line, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if ((line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
            return FALSE;
    return TRUE;
}

/* Next line of c without its CR LF; FALSE when no whole line is there yet. */
static inline gboolean
textline_next(PtlCursor *c, const guint8 **line, gsize *len)
{
    gssize nl = ptl_cursor_find(c, '\n');
    if (nl < 0)
        return FALSE;
    *line = ptl_cursor_take(c, (gsize) nl + 1);
    *len = (gsize) nl;
    if (*len > 0 && (*line)[*len - 1] == '\r')
        (*len)--;
    return *line != NULL;
}

/* Server lines of the first bytes: the first must be a greeting; YES when a
 * complete line carries a marker, MAYBE while they may still come. */
static inline PtlProbe
textline_probe_server(const TextlineProto *p, PtlCursor c)
{
    const guint8 *line;
    gsize len;
    gboolean is_first = TRUE;
    while (textline_next(&c, &line, &len)) {
        if (!textline_is_text(line, len))
            return PTL_PROBE_NO;
        if (is_first && !textline_any_prefix(line, len, p->greetings))
            return PTL_PROBE_NO;
        for (gsize i = 0; p->server_markers[i] != NULL; i++)
            if (textline_contains_ci(line, len, p->server_markers[i]))
                return PTL_PROBE_YES;
        is_first = FALSE;
    }
    if (!is_first)
        return PTL_PROBE_MAYBE;
    /* the first line is incomplete: it must at least begin like a greeting */
    gsize rest = ptl_cursor_remaining(&c);
    const guint8 *part = ptl_cursor_take(&c, rest);
    for (gsize i = 0; p->greetings[i] != NULL; i++) {
        gsize n = MIN(rest, strlen(p->greetings[i]));
        if (part != NULL && g_ascii_strncasecmp((const char *) part, p->greetings[i], n) == 0)
            return PTL_PROBE_MAYBE;
    }
    return rest == 0 ? PTL_PROBE_MAYBE : PTL_PROBE_NO;
}

/* The client's first line: one of the protocol's own first commands. */
static inline PtlProbe
textline_probe_client(const TextlineProto *p, PtlCursor c)
{
    const guint8 *line;
    gsize len;
    if (!textline_next(&c, &line, &len)) {
        gsize rest = ptl_cursor_remaining(&c);
        const guint8 *part = ptl_cursor_take(&c, rest);
        if (part == NULL || rest == 0)
            return PTL_PROBE_MAYBE;
        if (!textline_is_text(part, rest))
            return PTL_PROBE_NO;
        for (gsize i = 0; p->client_firsts[i] != NULL; i++) {
            const char *first = p->client_firsts[i];
            if (p->kind == TEXTLINE_REPLY_TAGGED)
                return PTL_PROBE_MAYBE; /* a tag comes first; wait for the line */
            if (g_ascii_strncasecmp((const char *) part, first, MIN(rest, strlen(first))) == 0)
                return PTL_PROBE_MAYBE;
        }
        return PTL_PROBE_NO;
    }
    if (!textline_is_text(line, len))
        return PTL_PROBE_NO;
    if (p->kind == TEXTLINE_REPLY_TAGGED) {
        const guint8 *sp = memchr(line, ' ', len);
        if (sp == NULL || sp == line)
            return PTL_PROBE_NO;
        gsize skip = (gsize) (sp - line) + 1;
        line += skip;
        len -= skip;
    }
    return textline_any_prefix(line, len, p->client_firsts) ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static inline PtlProbe
textline_probe(const TextlineProto *p, const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    return dir == PTL_DIR_TO_CLIENT ? textline_probe_server(p, c) : textline_probe_client(p, c);
}

static inline void
textline_copy(char *to, gsize size, const guint8 *from, gsize len)
{
    gsize n = MIN(len, size - 1);
    memcpy(to, from, n);
    to[n] = '\0';
}

/* The length of an IMAP literal announced at the end of a line, "{12}" or "{12+}". */
static inline guint64
textline_literal(const guint8 *line, gsize len)
{
    if (len < 3 || line[len - 1] != '}')
        return 0;
    gsize end = len - 1;
    if (line[end - 1] == '+')
        end--;
    guint64 n = 0;
    gsize i = end;
    while (i > 0 && g_ascii_isdigit(line[i - 1]) && end - i < 10)
        i--;
    if (i == end || i == 0 || line[i - 1] != '{')
        return 0;
    for (gsize k = i; k < end; k++)
        n = n * 10 + (guint64) (line[k] - '0');
    return n;
}

/* The argument after `skip` bytes, up to the next space, quotes dropped. */
static inline void
textline_word(char *to, gsize size, const guint8 *line, gsize len, gsize skip)
{
    const guint8 *w = line + MIN(skip, len);
    gsize n = len - MIN(skip, len);
    const guint8 *sp = memchr(w, ' ', n);
    n = sp != NULL ? (gsize) (sp - w) : n;
    if (n >= 2 && w[0] == '"' && w[n - 1] == '"') {
        w++;
        n -= 2;
    }
    textline_copy(to, size, w, n);
}

/* A login command: raise CLEARTEXT_AUTH naming the mechanism or user, never the secret. */
static inline void
textline_auth(const TextlineProto *p, TextlineState *s, const PtlFlowContext *ctx,
              const guint8 *cmd, gsize len)
{
    for (gsize i = 0; p->auth != NULL && p->auth[i].verb != NULL; i++) {
        const TextlineAuth *a = &p->auth[i];
        gsize n = strlen(a->verb);
        if (len <= n || cmd[n] != ' ' || g_ascii_strncasecmp((const char *) cmd, a->verb, n) != 0)
            continue;
        char word[TEXTLINE_MAX_USER + 1];
        textline_word(word, sizeof word, cmd, len, n + 1);
        g_autofree char *detail = NULL;
        switch (a->kind) {
        case TEXTLINE_AUTH_MECH:
            if (g_ascii_strcasecmp(word, "PLAIN") == 0 || g_ascii_strcasecmp(word, "LOGIN") == 0)
                detail = g_strdup_printf("%s AUTH %s", p->label, word);
            break;
        case TEXTLINE_AUTH_LOGIN:
            detail = g_strdup_printf("%s LOGIN user %s", p->label, word);
            break;
        case TEXTLINE_AUTH_USER:
            g_strlcpy(s->user, word, sizeof s->user);
            break;
        case TEXTLINE_AUTH_PASS:
            /* anonymous FTP asks for an e-mail address, not a secret */
            if (s->user[0] != '\0' && g_ascii_strcasecmp(s->user, "anonymous") != 0 &&
                g_ascii_strcasecmp(s->user, "ftp") != 0)
                detail = g_strdup_printf("%s USER %s", p->label, s->user);
            break;
        }
        if (detail != NULL) {
            s->cleartext_logins++;
            ptl_fact(ctx, PTL_FACT_CLEARTEXT_AUTH, detail);
        }
        return;
    }
}

static inline void
textline_client_line(const TextlineProto *p, TextlineState *s, const PtlFlowContext *ctx,
                     const guint8 *line, gsize len)
{
    s->commands++;
    gsize skip = 0;
    if (p->kind == TEXTLINE_REPLY_TAGGED) {
        const guint8 *sp = memchr(line, ' ', len);
        skip = sp != NULL ? (gsize) (sp - line) + 1 : len;
    }
    textline_auth(p, s, ctx, line + skip, len - skip);
    if (s->tls == TEXTLINE_TLS_NONE || s->tls == TEXTLINE_TLS_REFUSED) {
        for (gsize i = 0; p->upgrade_commands[i] != NULL; i++) {
            const char *cmd = p->upgrade_commands[i];
            gsize n = strlen(cmd);
            if (len - skip == n && g_ascii_strncasecmp((const char *) line + skip, cmd, n) == 0) {
                s->tls = TEXTLINE_TLS_REQUESTED;
                textline_copy(s->tag, sizeof s->tag, line, skip > 0 ? skip - 1 : 0);
            }
        }
    }
}

/* Does this server line end the reply to the upgrade request, and grant it? */
static inline gboolean
textline_is_final(const TextlineProto *p, const TextlineState *s, const guint8 *line, gsize len)
{
    switch (p->kind) {
    case TEXTLINE_REPLY_CODE:
        return len >= 3 && g_ascii_isdigit(line[0]) && g_ascii_isdigit(line[1]) &&
               g_ascii_isdigit(line[2]) && (len == 3 || line[3] == ' ');
    case TEXTLINE_REPLY_STATUS:
        return textline_has_prefix_ci(line, len, "+OK") || textline_has_prefix_ci(line, len, "-ERR");
    case TEXTLINE_REPLY_TAGGED: {
        gsize n = strlen(s->tag);
        return s->tls == TEXTLINE_TLS_REQUESTED && n > 0 && len > n && line[n] == ' ' &&
               memcmp(line, s->tag, n) == 0;
    }
    }
    return FALSE;
}

static inline gboolean
textline_grants(const TextlineProto *p, const TextlineState *s, const guint8 *line, gsize len)
{
    if (p->kind == TEXTLINE_REPLY_TAGGED) {
        gsize n = strlen(s->tag) + 1;
        return textline_has_prefix_ci(line + n, len - n, "OK");
    }
    return textline_has_prefix_ci(line, len, p->grant);
}

/* TRUE when this line granted the upgrade. */
static inline gboolean
textline_server_line(const TextlineProto *p, TextlineState *s, const guint8 *line, gsize len)
{
    if (!s->has_greeting) {
        s->has_greeting = TRUE;
        textline_copy(s->banner, sizeof s->banner, line, len);
    }
    gboolean is_tagged_kind = p->kind == TEXTLINE_REPLY_TAGGED;
    gboolean is_final = is_tagged_kind ? !textline_has_prefix_ci(line, len, "* ") &&
                                             !textline_has_prefix_ci(line, len, "+ ")
                                       : textline_is_final(p, s, line, len);
    if (is_final)
        s->replies++;
    if (s->tls != TEXTLINE_TLS_REQUESTED || !textline_is_final(p, s, line, len))
        return FALSE;
    s->tls = textline_grants(p, s, line, len) ? TEXTLINE_TLS_GRANTED : TEXTLINE_TLS_REFUSED;
    return s->tls == TEXTLINE_TLS_GRANTED;
}

static inline void
textline_raise_upgrade(const TextlineProto *p, const PtlFlowContext *ctx)
{
    g_autofree char *detail = g_strdup_printf("%s %s", p->label, p->upgrade_commands[0]);
    ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, detail);
}

static inline gssize
textline_feed(const TextlineProto *p, TextlineState *s, const PtlFlowContext *ctx,
              PtlDirection dir, const guint8 *data, gsize len, GError **error)
{
    if (s->tls == TEXTLINE_TLS_GRANTED)
        return starttls_after_upgrade(&s->common, dir, len);
    PtlCursor c = ptl_cursor_init(data, len);
    gsize used = 0;
    for (;;) {
        if (s->literal_left[dir] > 0) {
            gsize n = (gsize) MIN(s->literal_left[dir], (guint64) ptl_cursor_remaining(&c));
            ptl_cursor_skip(&c, n);
            s->literal_left[dir] -= n;
            s->literal_bytes += n;
            used = c.pos;
            if (s->literal_left[dir] > 0)
                return (gssize) used;
        }
        if (starttls_client_went_tls(dir, s->tls == TEXTLINE_TLS_REQUESTED, &c)) {
            s->tls = TEXTLINE_TLS_GRANTED;
            textline_raise_upgrade(p, ctx);
            return (gssize) used;
        }
        const guint8 *line;
        gsize line_len;
        if (s->is_mid_line[dir]) {
            gssize nl = ptl_cursor_find(&c, '\n');
            ptl_cursor_skip(&c, nl < 0 ? ptl_cursor_remaining(&c) : (gsize) nl + 1);
            s->is_mid_line[dir] = nl < 0;
            used = c.pos;
            if (nl < 0)
                return (gssize) used;
        }
        if (!textline_next(&c, &line, &line_len)) {
            if (ptl_cursor_remaining(&c) > TEXTLINE_MAX_LINE) {
                g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                            "%s: line longer than %d bytes", p->label, TEXTLINE_MAX_LINE);
                return -1;
            }
            return (gssize) used;
        }
        if (line_len > TEXTLINE_MAX_LINE || memchr(line, '\0', line_len) != NULL) {
            g_set_error(error, PTL_DISSECT_ERROR, line_len > TEXTLINE_MAX_LINE
                            ? PTL_DISSECT_ERROR_LIMIT : PTL_DISSECT_ERROR_MALFORMED,
                        "%s: %s line", p->label,
                        line_len > TEXTLINE_MAX_LINE ? "over-long" : "NUL byte in a");
            return -1;
        }
        used = c.pos;
        if (p->has_literals) {
            guint64 literal = textline_literal(line, line_len);
            if (literal > TEXTLINE_MAX_LITERAL) {
                g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                            "%s: literal of %" G_GUINT64_FORMAT " bytes over limit", p->label,
                            literal);
                return -1;
            }
            s->literal_left[dir] = literal;
        }
        if (dir == PTL_DIR_TO_SERVER) {
            textline_client_line(p, s, ctx, line, line_len);
            continue;
        }
        if (!s->is_confirmed && textline_any_prefix(line, line_len, p->greetings)) {
            s->is_confirmed = TRUE;
            ptl_fact(ctx, PTL_FACT_CONFIRMED, NULL);
        }
        if (textline_server_line(p, s, line, line_len)) {
            textline_raise_upgrade(p, ctx);
            return (gssize) used;  /* the switch point */
        }
    }
}

/* After a hole: the rest of the line (or literal) it fell in is skipped. */
static inline gboolean
textline_gap(TextlineState *s, PtlDirection dir, gsize missing)
{
    s->gaps++;
    if (s->tls == TEXTLINE_TLS_GRANTED)
        return TRUE;
    if (s->literal_left[dir] > missing) {
        s->literal_left[dir] -= missing;
        return TRUE;
    }
    s->literal_left[dir] = 0;
    s->is_mid_line[dir] = TRUE;
    return TRUE;
}

static inline void
textline_emit(const TextlineState *s, JsonBuilder *b)
{
    ptl_emit_int(b, "commands", (gint64) s->commands);
    ptl_emit_int(b, "replies", (gint64) s->replies);
    if (s->has_greeting)
        ptl_emit_string(b, "greeting", s->banner, -1);
    if (s->tls != TEXTLINE_TLS_NONE)
        ptl_emit_string(b, "starttls", textline_tls_names[s->tls], -1);
    if (s->literal_bytes > 0)
        ptl_emit_int(b, "literal_bytes", (gint64) s->literal_bytes);
    if (s->gaps > 0)
        ptl_emit_int(b, "gaps", (gint64) s->gaps);
    if (s->cleartext_logins > 0)
        ptl_emit_int(b, "cleartext_logins", (gint64) s->cleartext_logins);
    starttls_emit_after(&s->common, b);
}

/* Everything one line-based dissector file needs besides its table. */
#define TEXTLINE_DISSECTOR(prefix, proto_name, table, ports, text)                           \
    static PtlProbe prefix##_probe(const guint8 *data, gsize len, PtlDirection dir)          \
    {                                                                                        \
        return textline_probe(&(table), data, len, dir);                                     \
    }                                                                                        \
    static gpointer prefix##_state_new(void)                                                 \
    {                                                                                        \
        return g_new0(TextlineState, 1);                                                     \
    }                                                                                        \
    static gssize prefix##_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, \
                                const guint8 *data, gsize len, GError **error)               \
    {                                                                                        \
        return textline_feed(&(table), state, ctx, dir, data, len, error);                  \
    }                                                                                        \
    static gboolean prefix##_gap(gpointer state, PtlDirection dir, gsize missing)            \
    {                                                                                        \
        return textline_gap(state, dir, missing);                                            \
    }                                                                                        \
    static void prefix##_emit(gpointer state, JsonBuilder *b)                                \
    {                                                                                        \
        textline_emit(state, b);                                                             \
    }                                                                                        \
    static const PtlDissector prefix##_dissector = {                                         \
        PTL_DISSECTOR_HEADER,                                            \
        .name = proto_name,                                                                  \
        .default_ports = ports,                                                              \
        .probe = prefix##_probe,                                                             \
        .state_new = prefix##_state_new,                                                     \
        .state_free = g_free,                                                                \
        .feed = prefix##_feed,                                                               \
        .gap = prefix##_gap,                                                                 \
        .emit = prefix##_emit,                                                               \
        .version = "1.0.0",                                                                  \
        .description = text,                                                                 \
        .probe_datagram = NULL,                                                              \
    };                                                                                       \
    PTL_DISSECTOR_DEFINE(prefix##_dissector)
