/* tls-ja3.h: JA3 and JA3S fingerprints (salesforce/ja3): the MD5 of
 *   JA3:  version,ciphers,extensions,groups,point_formats   (ClientHello)
 *   JA3S: version,cipher,extensions                          (ServerHello)
 * each list its decimal values joined by '-', GREASE values (RFC 8701) left out.
 * Included by tls.c (the plugin is one translation unit) and its test. */
#pragma once

#define TLS_JA3_LIST_MAX  1536   /* characters of one list; longer: no fingerprint */
#define TLS_JA3_HEX_SIZE  33     /* MD5 in hex + NUL */
#define TLS_EXT_SUPPORTED_GROUPS  10
#define TLS_EXT_EC_POINT_FORMATS  11

typedef struct {
    char     lists[4][TLS_JA3_LIST_MAX];   /* ciphers, extensions, groups, point formats */
    gsize    lens[4];
    gboolean is_overflow;
} TlsJa3;

enum { TLS_JA3_CIPHERS, TLS_JA3_EXTENSIONS, TLS_JA3_GROUPS, TLS_JA3_FORMATS };

static inline gboolean
tls_ja3_is_grease(guint v)
{
    return v <= 0xffff && (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static inline void
tls_ja3_add(TlsJa3 *j, int list, guint value)
{
    if (tls_ja3_is_grease(value))
        return;
    char item[8];
    int n = g_snprintf(item, sizeof item, "%s%u", j->lens[list] > 0 ? "-" : "", value);
    if (j->lens[list] + (gsize) n >= TLS_JA3_LIST_MAX) {
        j->is_overflow = TRUE;
        return;
    }
    memcpy(j->lists[list] + j->lens[list], item, (gsize) n + 1);
    j->lens[list] += (gsize) n;
}

/* supported_groups (u16 list) and ec_point_formats (u8 list) feed JA3's last two fields */
static inline void
tls_ja3_extension(TlsJa3 *j, guint16 type, PtlCursor e)
{
    tls_ja3_add(j, TLS_JA3_EXTENSIONS, type);
    if (type == TLS_EXT_SUPPORTED_GROUPS) {
        PtlCursor list = ptl_cursor_sub(&e, ptl_cursor_be16(&e));
        while (ptl_cursor_ok(&list) && ptl_cursor_remaining(&list) >= 2)
            tls_ja3_add(j, TLS_JA3_GROUPS, ptl_cursor_be16(&list));
    } else if (type == TLS_EXT_EC_POINT_FORMATS) {
        PtlCursor list = ptl_cursor_sub(&e, ptl_cursor_u8(&e));
        while (ptl_cursor_ok(&list) && ptl_cursor_remaining(&list) >= 1)
            tls_ja3_add(j, TLS_JA3_FORMATS, ptl_cursor_u8(&list));
    }
}

/* MD5 hex of "version,list,list[,list,list]" into out; FALSE when a list overflowed */
static inline gboolean
tls_ja3_digest(const TlsJa3 *j, guint16 version, int n_lists, char out[TLS_JA3_HEX_SIZE])
{
    if (j->is_overflow)
        return FALSE;
    GChecksum *md5 = g_checksum_new(G_CHECKSUM_MD5);
    char head[8];
    g_snprintf(head, sizeof head, "%u", version);
    g_checksum_update(md5, (const guchar *) head, (gssize) strlen(head));
    for (int i = 0; i < n_lists; i++) {
        g_checksum_update(md5, (const guchar *) ",", 1);
        g_checksum_update(md5, (const guchar *) j->lists[i], (gssize) j->lens[i]);
    }
    g_strlcpy(out, g_checksum_get_string(md5), TLS_JA3_HEX_SIZE);
    g_checksum_free(md5);
    return TRUE;
}
