/* tls-x509.h: the few facts of a server certificate an analyst asks for (subject and
 * issuer common name, DNS and IP subject alternative names, validity), by a minimal DER
 * walk through the cursor (X.509: RFC 5280 4.1).  Anything unexpected ends the walk
 * with what was found so far.  Included by tls.c (one translation unit) and its test. */
#pragma once

#include <arpa/inet.h>

#define TLS_X509_TEXT_MAX  256   /* a DNS name is at most 253 octets */
#define TLS_X509_MAX_SAN   16
#define TLS_X509_TIME_SIZE 21    /* "2024-05-01T10:00:00Z" + NUL */

#define TLS_DER_INTEGER    0x02
#define TLS_DER_OCTETS     0x04
#define TLS_DER_OID        0x06
#define TLS_DER_UTF8       0x0c
#define TLS_DER_PRINTABLE  0x13
#define TLS_DER_T61        0x14
#define TLS_DER_IA5        0x16
#define TLS_DER_UTC_TIME   0x17
#define TLS_DER_GEN_TIME   0x18
#define TLS_DER_SEQUENCE   0x30
#define TLS_DER_SET        0x31
#define TLS_DER_VERSION    0xa0  /* [0] EXPLICIT */
#define TLS_DER_EXTENSIONS 0xa3  /* [3] EXPLICIT */
#define TLS_DER_SAN_DNS    0x82  /* GeneralName [2] dNSName */
#define TLS_DER_SAN_IP     0x87  /* GeneralName [7] iPAddress */

typedef struct {
    char    subject_cn[TLS_X509_TEXT_MAX];
    char    issuer_cn[TLS_X509_TEXT_MAX];
    char    san[TLS_X509_MAX_SAN][TLS_X509_TEXT_MAX];
    guint   n_san;
    guint64 san_dropped;
    char    not_before[TLS_X509_TIME_SIZE];   /* "" when not read */
    char    not_after[TLS_X509_TIME_SIZE];
} TlsX509;

/* One TLV: its tag and a child cursor on its content; FALSE when it overruns. */
static inline gboolean
tls_der_next(PtlCursor *c, guint8 *tag, PtlCursor *content)
{
    *tag = ptl_cursor_u8(c);
    guint8 first = ptl_cursor_u8(c);
    guint32 len = first;
    if (first == 0x81)
        len = ptl_cursor_u8(c);
    else if (first == 0x82)
        len = ptl_cursor_be16(c);
    else if (first == 0x83)
        len = ptl_cursor_be24(c);
    else if (first >= 0x80)
        return FALSE;            /* indefinite or over 16 MiB: not DER of a certificate */
    *content = ptl_cursor_sub(c, len);
    return ptl_cursor_ok(c);
}

static inline void
tls_x509_text(char out[TLS_X509_TEXT_MAX], PtlCursor v)
{
    gsize n = MIN(ptl_cursor_remaining(&v), TLS_X509_TEXT_MAX - 1);
    const guint8 *p = ptl_cursor_take(&v, n);
    if (p == NULL)
        return;
    g_autofree char *valid = g_utf8_make_valid((const char *) p, (gssize) n);
    g_strlcpy(out, valid, TLS_X509_TEXT_MAX);
}

/* Name: SEQUENCE OF SET OF {OID, value}; the first commonName (2.5.4.3) */
static inline void
tls_x509_common_name(char out[TLS_X509_TEXT_MAX], PtlCursor name)
{
    static const guint8 cn_oid[] = { 0x55, 0x04, 0x03 };
    guint8 tag;
    PtlCursor rdn, atv;
    while (ptl_cursor_remaining(&name) > 0 && tls_der_next(&name, &tag, &rdn)) {
        while (tag == TLS_DER_SET && ptl_cursor_remaining(&rdn) > 0 &&
               tls_der_next(&rdn, &tag, &atv) && tag == TLS_DER_SEQUENCE) {
            PtlCursor oid, value;
            guint8 oid_tag, value_tag;
            if (!tls_der_next(&atv, &oid_tag, &oid) || !tls_der_next(&atv, &value_tag, &value))
                return;
            gboolean is_cn = oid_tag == TLS_DER_OID && ptl_cursor_remaining(&oid) == 3 &&
                             memcmp(ptl_cursor_peek(&oid, 3), cn_oid, 3) == 0;
            gboolean is_text = value_tag == TLS_DER_UTF8 || value_tag == TLS_DER_PRINTABLE ||
                               value_tag == TLS_DER_IA5 || value_tag == TLS_DER_T61;
            if (is_cn && is_text) {
                tls_x509_text(out, value);
                return;
            }
            tag = TLS_DER_SET;
        }
    }
}

/* UTCTime YYMMDDHHMMSSZ (years 1950..2049) or GeneralizedTime YYYYMMDDHHMMSSZ */
static inline void
tls_x509_time(char out[TLS_X509_TIME_SIZE], guint8 tag, PtlCursor t)
{
    gsize n = ptl_cursor_remaining(&t);
    gsize year_digits = tag == TLS_DER_UTC_TIME ? 2 : 4;
    if ((tag != TLS_DER_UTC_TIME && tag != TLS_DER_GEN_TIME) || n != year_digits + 11)
        return;
    const char *p = (const char *) ptl_cursor_take(&t, n);
    for (gsize i = 0; i < n - 1; i++)
        if (!g_ascii_isdigit(p[i]))
            return;
    if (p[n - 1] != 'Z')
        return;
    char year[5];
    if (year_digits == 2)
        g_snprintf(year, sizeof year, "%s%.2s", p[0] < '5' ? "20" : "19", p);
    else
        g_snprintf(year, sizeof year, "%.4s", p);
    const char *r = p + year_digits;
    g_snprintf(out, TLS_X509_TIME_SIZE, "%s-%.2s-%.2sT%.2s:%.2s:%.2sZ", year, r, r + 2, r + 4,
               r + 6, r + 8);
}

static inline void
tls_x509_add_san(TlsX509 *x, guint8 tag, PtlCursor v)
{
    if (x->n_san >= TLS_X509_MAX_SAN) {
        x->san_dropped++;
        return;
    }
    gsize n = ptl_cursor_remaining(&v);
    char *out = x->san[x->n_san];
    if (tag == TLS_DER_SAN_DNS) {
        tls_x509_text(out, v);
    } else if (n == 4 || n == 16) {
        const guint8 *ip = ptl_cursor_take(&v, n);
        if (inet_ntop(n == 4 ? AF_INET : AF_INET6, ip, out, TLS_X509_TEXT_MAX) == NULL)
            out[0] = '\0';
    }
    if (out[0] != '\0')
        x->n_san++;
}

/* Extensions: SEQUENCE OF {OID, [critical BOOLEAN], OCTET STRING}; subjectAltName
 * (2.5.29.17) holds SEQUENCE OF GeneralName */
static inline void
tls_x509_extensions(TlsX509 *x, PtlCursor exts)
{
    static const guint8 san_oid[] = { 0x55, 0x1d, 0x11 };
    guint8 tag;
    PtlCursor list, ext;
    if (!tls_der_next(&exts, &tag, &list) || tag != TLS_DER_SEQUENCE)
        return;
    while (ptl_cursor_remaining(&list) > 0 && tls_der_next(&list, &tag, &ext)) {
        PtlCursor oid, value;
        if (!tls_der_next(&ext, &tag, &oid) || tag != TLS_DER_OID)
            return;
        gboolean is_san = ptl_cursor_remaining(&oid) == 3 &&
                          memcmp(ptl_cursor_peek(&oid, 3), san_oid, 3) == 0;
        if (!tls_der_next(&ext, &tag, &value))
            return;
        if (tag != TLS_DER_OCTETS && !tls_der_next(&ext, &tag, &value))
            return;              /* that was the critical flag */
        if (!is_san || tag != TLS_DER_OCTETS)
            continue;
        PtlCursor names, name;
        if (!tls_der_next(&value, &tag, &names) || tag != TLS_DER_SEQUENCE)
            return;
        while (ptl_cursor_remaining(&names) > 0 && tls_der_next(&names, &tag, &name))
            if (tag == TLS_DER_SAN_DNS || tag == TLS_DER_SAN_IP)
                tls_x509_add_san(x, tag, name);
        return;
    }
}

/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, signature,
 * issuer, validity, subject, subjectPublicKeyInfo, [1], [2], [3] extensions }, ... } */
static inline void
tls_x509_read(TlsX509 *x, PtlCursor der)
{
    guint8 tag;
    PtlCursor cert, tbs, field;
    if (!tls_der_next(&der, &tag, &cert) || tag != TLS_DER_SEQUENCE ||
        !tls_der_next(&cert, &tag, &tbs) || tag != TLS_DER_SEQUENCE ||
        !tls_der_next(&tbs, &tag, &field))
        return;
    if (tag == TLS_DER_VERSION && !tls_der_next(&tbs, &tag, &field))
        return;
    if (tag != TLS_DER_INTEGER || !tls_der_next(&tbs, &tag, &field) ||   /* signature */
        !tls_der_next(&tbs, &tag, &field) || tag != TLS_DER_SEQUENCE)
        return;
    tls_x509_common_name(x->issuer_cn, field);
    PtlCursor validity, time;
    if (!tls_der_next(&tbs, &tag, &validity) || tag != TLS_DER_SEQUENCE)
        return;
    if (tls_der_next(&validity, &tag, &time))
        tls_x509_time(x->not_before, tag, time);
    if (tls_der_next(&validity, &tag, &time))
        tls_x509_time(x->not_after, tag, time);
    if (!tls_der_next(&tbs, &tag, &field) || tag != TLS_DER_SEQUENCE)
        return;
    tls_x509_common_name(x->subject_cn, field);
    if (!tls_der_next(&tbs, &tag, &field))                                /* public key */
        return;
    while (ptl_cursor_remaining(&tbs) > 0 && tls_der_next(&tbs, &tag, &field))
        if (tag == TLS_DER_EXTENSIONS)
            tls_x509_extensions(x, field);
}
