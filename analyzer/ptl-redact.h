/* ptl-redact.h: emit-by-allow-list helpers for modules (docs/secrets.md).
 *
 * Captures carry credentials; outputs go into tickets.  A module never copies a
 * wire string to its output because it "does not look secret": it emits a name
 * from its own fixed list, or a user name that passed ptl_redact_user(), or
 * PTL_REDACT_OTHER.  Header-only, like ptl-cursor.h, so modules link nothing. */
#pragma once

#include <glib.h>
#include <string.h>

/* What a module emits in place of a name that is not on its list */
#define PTL_REDACT_OTHER "other"
/* Longest user name emitted; a longer "user" is more likely a token than a name */
#define PTL_REDACT_MAX_USER 64

/* transfer none: the list's own spelling of the name p[0..n) matched
 * case-insensitively, or NULL when it is not on the list. */
static inline const char *
ptl_redact_known(const guint8 *p, gsize n, const char *const *names, gsize n_names)
{
    if (p == NULL)
        return NULL;
    for (gsize i = 0; i < n_names; i++) {
        if (strlen(names[i]) == n && g_ascii_strncasecmp((const char *) p, names[i], n) == 0)
            return names[i];
    }
    return NULL;
}

/* TRUE when p[0..n) is 1..max bytes of valid UTF-8 holding no control character:
 * text fit for a ticket.  Anything else is not emitted at all. */
static inline gboolean
ptl_redact_is_printable(const guint8 *p, gsize n, gsize max)
{
    if (p == NULL || n == 0 || n > max || !g_utf8_validate_len((const char *) p, n, NULL))
        return FALSE;
    for (const char *c = (const char *) p; c < (const char *) p + n; c = g_utf8_next_char(c)) {
        gunichar u = g_utf8_get_char(c);
        if (g_unichar_iscntrl(u) || !(g_unichar_isprint(u) || u == ' '))
            return FALSE;
    }
    return TRUE;
}

/* transfer full: a copy of the user name p[0..n), or NULL when it is empty, longer
 * than PTL_REDACT_MAX_USER or not printable UTF-8 (then no user is emitted). */
static inline char *
ptl_redact_user(const guint8 *p, gsize n)
{
    if (!ptl_redact_is_printable(p, n, PTL_REDACT_MAX_USER))
        return NULL;
    return g_strndup((const char *) p, n);
}
