/* tls.c: TLS and SSL dissector (plugin).
 *
 * Reads the record layer (RFC 8446 section 5, RFC 5246 section 6.2) of both directions
 * and the cleartext handshake: ClientHello, ServerHello / HelloRetryRequest, Certificate
 * (TLS <= 1.2), alerts.  Handshake messages are reassembled across records (at most
 * TLS_MAX_HANDSHAKE octets each); application data records are counted and skipped as
 * they stream in, so the core never holds one whole.  SSLv2 (2- and 3-byte record
 * headers, RFC 6101 appendix E) is read as far as its cleartext hellos go.
 *
 * Nothing is ever decrypted.  After ChangeCipherSpec (TLS <= 1.2) or application data,
 * handshake records of that direction are ciphertext and only counted. */
#include <string.h>

#include "ptl-module.h"

#define TLS_RECORD_HEADER_SIZE    5
#define TLS_MAX_RECORD_LENGTH     (16384 + 2048)  /* TLSCiphertext limit, RFC 5246 6.2.3 */
#define TLS_HANDSHAKE_HEADER_SIZE 4
#define TLS_MAX_HANDSHAKE         (64 * 1024)     /* reassembly cap for one message */
#define TLS_RANDOM_SIZE           32
#define TLS_MAX_SESSION_ID        32
#define TLS_HELLO_MIN_SIZE        38              /* version, random, session id length */
#define TLS_MAX_VERSIONS          8
#define TLS_MAX_ALPN              8
#define TLS_MAX_ALERTS            8
#define TLS_ALERT_SIZE            2
#define TLS_VERSION_STRING_SIZE   24

#define TLS_CONTENT_CCS       20
#define TLS_CONTENT_ALERT     21
#define TLS_CONTENT_HANDSHAKE 22
#define TLS_CONTENT_APP_DATA  23
#define TLS_CONTENT_HEARTBEAT 24

#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_HS_CERTIFICATE  11

#define TLS_EXT_SERVER_NAME        0
#define TLS_EXT_ALPN               16
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define TLS_EXT_KEY_SHARE          51
#define TLS_EXT_KEY_SHARE_DRAFT    40             /* TLS 1.3 drafts before 23 */
#define TLS_HS_SERVER_KEY_EXCHANGE 12
#define TLS_EC_NAMED_CURVE         3              /* ECCurveType, RFC 8422 5.4 */
#define TLS_SNI_HOST_NAME          0

#define TLS_VERSION_SSL2 0x0002
#define TLS_VERSION_SSL3 0x0300
#define TLS_VERSION_13   0x0304
#define TLS_DRAFT_13     0x7f00                   /* 0x7fNN: TLS 1.3 draft NN */

#define TLS_ALERT_FATAL 2

/* SSLv2 (draft-hickman-netscape-ssl-00): hello layouts and message types */
#define SSLV2_CLIENT_HELLO_FIXED 9                /* type, version, three lengths */
#define SSLV2_SERVER_HELLO_FIXED 11               /* type, hit, cert type, version, lengths */
#define SSLV2_CIPHER_SPEC_SIZE   3
#define SSLV2_MIN_CHALLENGE      16
#define SSLV2_MAX_CHALLENGE      32
#define SSLV2_CERT_X509          1
#define SSLV2_MT_ERROR           0
#define SSLV2_MT_CLIENT_HELLO    1
#define SSLV2_MT_CLIENT_MASTER   2
#define SSLV2_MT_SERVER_HELLO    4

/* ServerHello.random of a HelloRetryRequest, RFC 8446 4.1.3 */
static const guint8 tls_hrr_random[TLS_RANDOM_SIZE] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

typedef struct {
    guint       code;
    const char *name;
} TlsNamed;

#include "tls-iana-names.h"
#include "tls-ja3.h"
#include "tls-x509.h"

static const TlsNamed tls_version_names[] = {
    { TLS_VERSION_SSL2, "SSLv2" },   { TLS_VERSION_SSL3, "SSL 3.0" }, { 0x0301, "TLS 1.0" },
    { 0x0302, "TLS 1.1" },           { 0x0303, "TLS 1.2" },          { TLS_VERSION_13, "TLS 1.3" },
};

/* Handshake message counters: the TLS types first, then the ones we name ourselves. */
static const TlsNamed tls_handshake_types[] = {
    { 0, "hello_request" },         { 1, "client_hello" },          { 2, "server_hello" },
    { 3, "hello_verify_request" },  { 4, "new_session_ticket" },    { 5, "end_of_early_data" },
    { 8, "encrypted_extensions" },  { 11, "certificate" },          { 12, "server_key_exchange" },
    { 13, "certificate_request" },  { 14, "server_hello_done" },    { 15, "certificate_verify" },
    { 16, "client_key_exchange" },  { 20, "finished" },             { 21, "certificate_url" },
    { 22, "certificate_status" },   { 23, "supplemental_data" },    { 24, "key_update" },
    { 25, "compressed_certificate" }, { 254, "message_hash" },
};

typedef enum {
    TLS_COUNT_HRR = G_N_ELEMENTS(tls_handshake_types),
    TLS_COUNT_UNKNOWN,
    TLS_COUNT_ENCRYPTED,
    TLS_COUNT_SSLV2_ERROR,
    TLS_COUNT_SSLV2_CLIENT_HELLO,
    TLS_COUNT_SSLV2_CLIENT_MASTER_KEY,
    TLS_COUNT_SSLV2_SERVER_HELLO,
    TLS_N_HANDSHAKE_COUNTS,
} TlsHandshakeCount;

static const char *const tls_extra_count_names[] = {
    "hello_retry_request", "unknown", "encrypted", "sslv2_error", "sslv2_client_hello",
    "sslv2_client_master_key", "sslv2_server_hello",
};

G_STATIC_ASSERT(G_N_ELEMENTS(tls_extra_count_names)
                == TLS_N_HANDSHAKE_COUNTS - G_N_ELEMENTS(tls_handshake_types));

/* records{} counters: content types 20..24, then SSLv2 records */
#define TLS_RECORD_SSLV2 5
#define TLS_N_RECORDS    6
static const char *const tls_record_names[TLS_N_RECORDS] = {
    "change_cipher_spec", "alert", "handshake", "application_data", "heartbeat", "sslv2",
};

static const TlsNamed tls_alert_names[] = {
    { 0, "close_notify" },              { 10, "unexpected_message" },
    { 20, "bad_record_mac" },           { 21, "decryption_failed" },
    { 22, "record_overflow" },          { 30, "decompression_failure" },
    { 40, "handshake_failure" },        { 41, "no_certificate" },
    { 42, "bad_certificate" },          { 43, "unsupported_certificate" },
    { 44, "certificate_revoked" },      { 45, "certificate_expired" },
    { 46, "certificate_unknown" },      { 47, "illegal_parameter" },
    { 48, "unknown_ca" },               { 49, "access_denied" },
    { 50, "decode_error" },             { 51, "decrypt_error" },
    { 60, "export_restriction" },       { 70, "protocol_version" },
    { 71, "insufficient_security" },    { 80, "internal_error" },
    { 86, "inappropriate_fallback" },   { 90, "user_canceled" },
    { 100, "no_renegotiation" },        { 109, "missing_extension" },
    { 110, "unsupported_extension" },   { 111, "certificate_unobtainable" },
    { 112, "unrecognized_name" },       { 113, "bad_certificate_status_response" },
    { 114, "bad_certificate_hash_value" }, { 115, "unknown_psk_identity" },
    { 116, "certificate_required" },    { 120, "no_application_protocol" },
};

typedef enum {
    TLS_MODE_START,  /* nothing read: the first octet chooses TLS or SSLv2 */
    TLS_MODE_TLS,
    TLS_MODE_SSLV2,
} TlsMode;

/* What the available prefix of a record header says. */
typedef enum {
    TLS_HEADER_OK,
    TLS_HEADER_SHORT,        /* consistent so far, more octets needed */
    TLS_HEADER_BAD_TYPE,
    TLS_HEADER_BAD_VERSION,
    TLS_HEADER_TOO_LONG,
} TlsHeaderCheck;

typedef struct {
    guint8  type;
    guint16 version;
    guint16 length;
} TlsRecordHeader;

typedef struct {
    guint8   level;
    guint8   description;
    gboolean is_from_server;
} TlsAlert;

typedef struct {
    TlsMode  mode;
    gboolean is_encrypted;   /* later handshake records are ciphertext */
    gboolean needs_resync;   /* after a gap: look for the next record header */
    guint    sslv2_clear;    /* SSLv2 cleartext messages still expected */
    guint32  skip_left;      /* payload of a streamed record still to skip */
    gsize    held;           /* octets the core kept after our last return */
    /* one handshake message being reassembled across records */
    guint8   hs_head[TLS_HANDSHAKE_HEADER_SIZE];
    guint8  *hs_buf;         /* header + body, allocated once the length is known */
    guint32  hs_have;
    guint32  hs_need;        /* header + body length */
    guint32  hs_skip_left;   /* octets of an oversized message still to drop */
} TlsDirState;

typedef struct {
    TlsDirState dirs[2];
    gboolean    is_confirmed;
    gboolean    has_told_version;
    gboolean    has_told_encrypted;
    gboolean    has_hrr;
    gboolean    has_sslv2;
    gboolean    has_client_hello;
    gboolean    has_cipher_suite;
    gboolean    has_recorded;     /* the tls_handshake record is written */
    guint16     version;          /* negotiated; 0 until a ServerHello says */
    guint16     client_version;   /* ClientHello.legacy_version */
    guint32     cipher_suite;     /* 2 octets, 3 for SSLv2 */
    guint32     cipher_suites_offered;
    guint16     group;            /* key exchange group the server chose; 0: not seen */
    char        ja3[TLS_JA3_HEX_SIZE];    /* "" until a ClientHello gave one */
    char        ja3s[TLS_JA3_HEX_SIZE];
    guint64     certificates;
    TlsX509    *leaf;             /* the first certificate sent in clear, or NULL */
    guint64     application_data_bytes;
    guint64     handshake_oversized;
    guint64     records[TLS_N_RECORDS];
    guint64     handshake_counts[TLS_N_HANDSHAKE_COUNTS];
    guint16     versions_offered[TLS_MAX_VERSIONS];
    guint       n_versions_offered;
    guint64     versions_offered_dropped;
    PtlTextBuf  sni;
    PtlTextBuf  alpn;
    PtlNameCounts alpn_offered;   /* distinct: a retried ClientHello repeats the list */
    TlsAlert    alerts[TLS_MAX_ALERTS];
    guint       n_alerts;
    guint64     alerts_dropped;
} TlsState;

static const guint16 tls_ports[] = { 443, 5671, 15671, 7711, 8443, 9443, 636, 993, 995, 0 };

/* ---- small helpers ---- */

/* transfer none: the name of `code` in `table`, or NULL */
static const char *
tls_lookup(const TlsNamed *table, gsize n, guint code)
{
    for (gsize i = 0; i < n; i++) {
        if (table[i].code == code)
            return table[i].name;
    }
    return NULL;
}

/* transfer none: a static name, or `buf` filled with a draft number or hex */
static const char *
tls_version_name(guint16 version, char buf[TLS_VERSION_STRING_SIZE])
{
    const char *name = tls_lookup(tls_version_names, G_N_ELEMENTS(tls_version_names), version);
    if (name != NULL)
        return name;
    if ((version & 0xff00) == TLS_DRAFT_13)
        g_snprintf(buf, TLS_VERSION_STRING_SIZE, "TLS 1.3 draft %u", version & 0xffu);
    else
        g_snprintf(buf, TLS_VERSION_STRING_SIZE, "0x%04x", version);
    return buf;
}

static gboolean
tls_is_13(guint16 version)
{
    return version == TLS_VERSION_13 || (version & 0xff00) == TLS_DRAFT_13;
}

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa are offered to keep peers honest, not to be used. */
static gboolean
tls_is_grease(guint16 value)
{
    return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

/* transfer none */
static TlsDirState *
tls_dir(TlsState *s, PtlDirection dir)
{
    return &s->dirs[dir == PTL_DIR_TO_CLIENT ? 1 : 0];
}

/* CONFIRMED once on the first valid record, and once more with the version when known. */
static void
tls_confirm(TlsState *s, const PtlFlowContext *ctx)
{
    gboolean has_version = s->version != 0;
    if (s->is_confirmed && (s->has_told_version || !has_version))
        return;
    char buf[TLS_VERSION_STRING_SIZE];
    ptl_fact(ctx, PTL_FACT_CONFIRMED, has_version ? tls_version_name(s->version, buf) : NULL);
    s->is_confirmed = TRUE;
    s->has_told_version = has_version;
}

static void
tls_note_version_offered(TlsState *s, guint16 version)
{
    if (tls_is_grease(version))
        return;
    for (guint i = 0; i < s->n_versions_offered; i++) {
        if (s->versions_offered[i] == version)
            return;
    }
    if (s->n_versions_offered == TLS_MAX_VERSIONS) {
        s->versions_offered_dropped++;
        return;
    }
    s->versions_offered[s->n_versions_offered++] = version;
}

/* ---- record headers ---- */

static gboolean
tls_content_type_ok(guint8 type)
{
    return type >= TLS_CONTENT_CCS && type <= TLS_CONTENT_HEARTBEAT;
}

/* Checks as many header octets as there are, so garbage is refused at its first octet
 * and a valid prefix is never refused.  Does not move c. */
static TlsHeaderCheck
tls_header_check(const PtlCursor *c, TlsRecordHeader *h)
{
    PtlCursor p = *c;
    gsize have = MIN(ptl_cursor_remaining(&p), (gsize) TLS_RECORD_HEADER_SIZE);
    const guint8 *octets = ptl_cursor_take(&p, have);
    if (have >= 1 && !tls_content_type_ok(octets[0]))
        return TLS_HEADER_BAD_TYPE;
    if ((have >= 2 && octets[1] != 0x03) || (have >= 3 && octets[2] > 0x04))
        return TLS_HEADER_BAD_VERSION;
    if (have < TLS_RECORD_HEADER_SIZE)
        return TLS_HEADER_SHORT;
    h->type = octets[0];
    h->version = (guint16) ((octets[1] << 8) | octets[2]);
    h->length = (guint16) ((octets[3] << 8) | octets[4]);
    return h->length > TLS_MAX_RECORD_LENGTH ? TLS_HEADER_TOO_LONG : TLS_HEADER_OK;
}

static gssize
tls_header_error(TlsHeaderCheck check, const PtlCursor *c, GError **error)
{
    PtlCursor p = *c;
    guint8 type = ptl_cursor_u8(&p);
    guint16 version = ptl_cursor_be16(&p);
    guint16 length = ptl_cursor_be16(&p);
    switch (check) {
    case TLS_HEADER_BAD_TYPE:
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "tls: record type 0x%02x invalid", type);
        break;
    case TLS_HEADER_BAD_VERSION:
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "tls: record version 0x%04x invalid", version);
        break;
    default:
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                    "tls: record length %u over limit %u", length, TLS_MAX_RECORD_LENGTH);
        break;
    }
    return -1;
}

/* ---- hello extensions ---- */

static void
tls_ext_server_name(TlsState *s, PtlCursor e)
{
    PtlCursor list = ptl_cursor_sub(&e, ptl_cursor_be16(&e));
    while (ptl_cursor_ok(&list) && ptl_cursor_remaining(&list) > 0) {
        guint8 name_type = ptl_cursor_u8(&list);
        guint16 len = ptl_cursor_be16(&list);
        const guint8 *name = ptl_cursor_take(&list, len);
        if (name != NULL && name_type == TLS_SNI_HOST_NAME && s->sni.data == NULL) {
            ptl_text_set(&s->sni, name, len);
            return;
        }
    }
}

/* ALPN: a u16-prefixed list of u8-prefixed names.  The server's list holds one. */
static void
tls_ext_alpn(TlsState *s, PtlCursor e, gboolean is_server)
{
    PtlCursor list = ptl_cursor_sub(&e, ptl_cursor_be16(&e));
    while (ptl_cursor_ok(&list) && ptl_cursor_remaining(&list) > 0) {
        guint8 len = ptl_cursor_u8(&list);
        const guint8 *name = ptl_cursor_take(&list, len);
        if (name == NULL || len == 0)
            return;
        if (is_server) {
            ptl_text_set(&s->alpn, name, len);
            return;
        }
        ptl_name_counts_add(&s->alpn_offered, name, (gssize) len);
    }
}

static void
tls_ext_supported_versions(TlsState *s, PtlCursor e, gboolean is_server)
{
    if (is_server) {
        guint16 selected = ptl_cursor_be16(&e);
        if (ptl_cursor_ok(&e))
            s->version = selected;
        return;
    }
    PtlCursor list = ptl_cursor_sub(&e, ptl_cursor_u8(&e));
    while (ptl_cursor_ok(&list) && ptl_cursor_remaining(&list) >= 2)
        tls_note_version_offered(s, ptl_cursor_be16(&list));
}

/* Walks the extension headers; each one's data gets a child cursor, so a bad inner
 * length spoils only that extension.  FALSE when the headers overrun the hello. */
static gboolean
tls_hello_extensions(TlsState *s, PtlCursor *m, gboolean is_server, gboolean *has_versions,
                     TlsJa3 *ja3)
{
    if (ptl_cursor_remaining(m) == 0)
        return TRUE;  /* extensions are optional before TLS 1.3 */
    PtlCursor exts = ptl_cursor_sub(m, ptl_cursor_be16(m));
    while (ptl_cursor_ok(&exts) && ptl_cursor_remaining(&exts) > 0) {
        guint16 type = ptl_cursor_be16(&exts);
        PtlCursor e = ptl_cursor_sub(&exts, ptl_cursor_be16(&exts));
        if (!ptl_cursor_ok(&exts))
            break;
        if (ja3 != NULL)
            tls_ja3_extension(ja3, type, e);
        switch (type) {
        case TLS_EXT_SERVER_NAME:
            if (!is_server)
                tls_ext_server_name(s, e);
            break;
        case TLS_EXT_ALPN:
            tls_ext_alpn(s, e, is_server);
            break;
        case TLS_EXT_SUPPORTED_VERSIONS:
            *has_versions = TRUE;
            tls_ext_supported_versions(s, e, is_server);
            break;
        case TLS_EXT_KEY_SHARE:    /* the server's share (or HRR's choice) starts with it */
        case TLS_EXT_KEY_SHARE_DRAFT:
            if (is_server) {
                guint16 group = ptl_cursor_be16(&e);
                if (ptl_cursor_ok(&e))
                    s->group = group;
            }
            break;
        default:
            break;
        }
    }
    return ptl_cursor_ok(&exts) && ptl_cursor_ok(m);
}

/* ---- handshake messages ---- */

static gboolean
tls_client_hello(TlsState *s, PtlCursor *m)
{
    guint16 legacy_version = ptl_cursor_be16(m);
    ptl_cursor_skip(m, TLS_RANDOM_SIZE);
    guint8 session_id_len = ptl_cursor_u8(m);
    ptl_cursor_skip(m, session_id_len);
    guint16 suites_len = ptl_cursor_be16(m);
    PtlCursor suites = ptl_cursor_sub(m, suites_len);
    ptl_cursor_skip(m, ptl_cursor_u8(m));  /* compression methods */
    if (!ptl_cursor_ok(m) || session_id_len > TLS_MAX_SESSION_ID || suites_len % 2 != 0)
        return FALSE;
    g_autofree TlsJa3 *ja3 = s->ja3[0] == '\0' ? g_new0(TlsJa3, 1) : NULL;
    while (ja3 != NULL && ptl_cursor_remaining(&suites) >= 2)
        tls_ja3_add(ja3, TLS_JA3_CIPHERS, ptl_cursor_be16(&suites));
    if (!s->has_client_hello) {
        s->client_version = legacy_version;
        s->cipher_suites_offered = suites_len / 2;
    }
    s->has_client_hello = TRUE;
    gboolean has_versions = FALSE;
    if (!tls_hello_extensions(s, m, FALSE, &has_versions, ja3))
        return FALSE;
    if (ja3 != NULL)   /* the first hello's; a retry after HRR would differ */
        tls_ja3_digest(ja3, legacy_version, 4, s->ja3);
    if (!has_versions)
        tls_note_version_offered(s, legacy_version);
    return TRUE;
}

/* The negotiated suite by its IANA name (hex when unnamed) and as "0x1301" (SSLv2: "0x0700c0"). */
static void
tls_emit_cipher(JsonBuilder *b, guint32 suite)
{
    char hex[16];
    g_snprintf(hex, sizeof hex, suite > 0xffff ? "0x%06x" : "0x%04x", suite);
    const char *name = suite > 0xffff ? NULL
        : tls_lookup(tls_cipher_suite_names, G_N_ELEMENTS(tls_cipher_suite_names), suite);
    ptl_emit_string(b, "cipher_suite", name != NULL ? name : hex, -1);
    ptl_emit_string(b, "cipher_suite_code", hex, -1);
}

/* One tls_handshake record (docs/schema/tls.md), when the server's hello settles what
 * the handshake agreed; later hellos of the flow (renegotiation is encrypted) add none. */
static void
tls_record_handshake(TlsState *s, const PtlFlowContext *ctx)
{
    if (s->has_recorded)
        return;
    s->has_recorded = TRUE;
    JsonBuilder *b = ptl_record_begin(ctx, "tls_handshake");
    if (b == NULL)
        return;
    char buf[TLS_VERSION_STRING_SIZE];
    ptl_emit_string(b, "version", tls_version_name(s->version, buf), -1);
    if (s->has_client_hello || s->has_sslv2)
        ptl_emit_string(b, "client_version", tls_version_name(s->client_version, buf), -1);
    ptl_emit_string(b, "sni", s->sni.data, (gssize) s->sni.len);
    ptl_emit_string(b, "alpn", s->alpn.data, (gssize) s->alpn.len);
    if (s->has_cipher_suite) {
        tls_emit_cipher(b, s->cipher_suite);
    }
    ptl_emit_bool(b, "hrr", s->has_hrr);
    ptl_record_end(ctx);
}

/* ServerHello and HelloRetryRequest share a layout; the random tells them apart.  TLS 1.3
 * drafts before 22 put their own version here and had no session id or compression. */
static gboolean
tls_server_hello(TlsState *s, PtlCursor *m, gboolean *is_hrr)
{
    guint16 legacy_version = ptl_cursor_be16(m);
    const guint8 *random = ptl_cursor_take(m, TLS_RANDOM_SIZE);
    gboolean is_early_draft = tls_is_13(legacy_version);
    guint8 session_id_len = is_early_draft ? 0 : ptl_cursor_u8(m);
    ptl_cursor_skip(m, session_id_len);
    guint16 suite = ptl_cursor_be16(m);
    if (!is_early_draft)
        (void) ptl_cursor_u8(m);  /* compression method */
    if (!ptl_cursor_ok(m) || session_id_len > TLS_MAX_SESSION_ID)
        return FALSE;
    *is_hrr = memcmp(random, tls_hrr_random, TLS_RANDOM_SIZE) == 0;
    s->has_hrr |= *is_hrr;
    s->version = legacy_version;
    s->cipher_suite = suite;
    s->has_cipher_suite = TRUE;
    gboolean has_versions = FALSE;
    g_autofree TlsJa3 *ja3s = s->ja3s[0] == '\0' ? g_new0(TlsJa3, 1) : NULL;
    if (ja3s != NULL)
        tls_ja3_add(ja3s, TLS_JA3_CIPHERS, suite);
    if (!tls_hello_extensions(s, m, TRUE, &has_versions, ja3s))
        return FALSE;
    if (ja3s != NULL)
        tls_ja3_digest(ja3s, legacy_version, 2, s->ja3s);
    return TRUE;
}

/* certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1> (RFC 5246 7.4.2): counted; the
 * first one (the sender's own, 7.4.2) is read for its names and validity. */
static gboolean
tls_certificate(TlsState *s, PtlCursor *m)
{
    PtlCursor list = ptl_cursor_sub(m, ptl_cursor_be24(m));
    while (ptl_cursor_ok(&list) && ptl_cursor_remaining(&list) > 0) {
        PtlCursor der = ptl_cursor_sub(&list, ptl_cursor_be24(&list));
        if (!ptl_cursor_ok(&list))
            break;
        if (s->leaf == NULL) {
            s->leaf = g_new0(TlsX509, 1);
            tls_x509_read(s->leaf, der);
        }
        s->certificates++;
    }
    return ptl_cursor_ok(&list) && ptl_cursor_ok(m);
}

/* TLS 1.2 ECDHE: ServerECDHParams begin with the curve type and the named curve; other
 * key exchanges lay the message out otherwise, so only an ECDHE suite is read */
static void
tls_server_key_exchange(TlsState *s, PtlCursor *m)
{
    const char *suite = s->has_cipher_suite && s->cipher_suite <= 0xffff
        ? tls_lookup(tls_cipher_suite_names, G_N_ELEMENTS(tls_cipher_suite_names),
                     s->cipher_suite) : NULL;
    if (suite == NULL || strstr(suite, "_ECDHE_") == NULL)
        return;
    guint8 curve_type = ptl_cursor_u8(m);
    guint16 group = ptl_cursor_be16(m);
    if (ptl_cursor_ok(m) && curve_type == TLS_EC_NAMED_CURVE)
        s->group = group;
}

static guint
tls_handshake_index(guint8 type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(tls_handshake_types); i++) {
        if (tls_handshake_types[i].code == type)
            return (guint) i;
    }
    return TLS_COUNT_UNKNOWN;
}

/* One whole handshake message: header and body. */
static gboolean
tls_handshake_message(TlsState *s, const PtlFlowContext *ctx, const guint8 *data, gsize len,
                      GError **error)
{
    PtlCursor m = ptl_cursor_init(data, len);
    guint8 type = ptl_cursor_u8(&m);
    ptl_cursor_skip(&m, 3);  /* length: the caller cut the message to it */
    guint index = tls_handshake_index(type);
    const char *name = index < G_N_ELEMENTS(tls_handshake_types)
                       ? tls_handshake_types[index].name : "unknown";
    gboolean is_ok = TRUE;
    if (type == TLS_HS_CLIENT_HELLO) {
        is_ok = tls_client_hello(s, &m);
    } else if (type == TLS_HS_SERVER_HELLO) {
        gboolean is_hrr = FALSE;
        is_ok = tls_server_hello(s, &m, &is_hrr);
        if (is_hrr)
            index = TLS_COUNT_HRR;
        else if (is_ok)
            tls_record_handshake(s, ctx);
    } else if (type == TLS_HS_CERTIFICATE && !tls_is_13(s->version)) {
        is_ok = tls_certificate(s, &m);
    } else if (type == TLS_HS_SERVER_KEY_EXCHANGE) {
        tls_server_key_exchange(s, &m);
    }
    if (!is_ok) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "tls: %s fields overrun the message", name);
        return FALSE;
    }
    s->handshake_counts[index]++;
    tls_confirm(s, ctx);
    return TRUE;
}

/* Adds handshake octets to the message being reassembled; runs it once whole.  A message
 * over the cap is counted and dropped as it streams by. */
static gboolean
tls_handshake_append(TlsState *s, TlsDirState *d, const PtlFlowContext *ctx, PtlCursor *p,
                     GError **error)
{
    if (d->hs_have < TLS_HANDSHAKE_HEADER_SIZE) {
        gsize n = MIN(ptl_cursor_remaining(p), (gsize) (TLS_HANDSHAKE_HEADER_SIZE - d->hs_have));
        memcpy(d->hs_head + d->hs_have, ptl_cursor_take(p, n), n);
        d->hs_have += (guint32) n;
        if (d->hs_have < TLS_HANDSHAKE_HEADER_SIZE)
            return TRUE;
        PtlCursor h = ptl_cursor_init(d->hs_head, sizeof d->hs_head);
        guint8 type = ptl_cursor_u8(&h);
        guint32 body = ptl_cursor_be24(&h);
        if (body > TLS_MAX_HANDSHAKE - TLS_HANDSHAKE_HEADER_SIZE) {
            s->handshake_counts[tls_handshake_index(type)]++;
            s->handshake_oversized++;
            d->hs_skip_left = body;
            d->hs_have = 0;
            return TRUE;
        }
        d->hs_need = TLS_HANDSHAKE_HEADER_SIZE + body;
        d->hs_buf = g_malloc(d->hs_need);
        memcpy(d->hs_buf, d->hs_head, TLS_HANDSHAKE_HEADER_SIZE);
    }
    gsize n = MIN(ptl_cursor_remaining(p), (gsize) (d->hs_need - d->hs_have));
    if (n > 0)
        memcpy(d->hs_buf + d->hs_have, ptl_cursor_take(p, n), n);
    d->hs_have += (guint32) n;
    if (d->hs_have < d->hs_need)
        return TRUE;
    gboolean is_ok = tls_handshake_message(s, ctx, d->hs_buf, d->hs_need, error);
    g_clear_pointer(&d->hs_buf, g_free);
    d->hs_have = 0;
    return is_ok;
}

/* The payload of one cleartext handshake record.  Whole messages are read in place;
 * only one that spans records is copied. */
static gboolean
tls_handshake_record(TlsState *s, TlsDirState *d, const PtlFlowContext *ctx, PtlCursor p,
                     GError **error)
{
    while (ptl_cursor_remaining(&p) > 0) {
        if (d->hs_skip_left > 0) {
            guint32 n = (guint32) MIN((gsize) d->hs_skip_left, ptl_cursor_remaining(&p));
            ptl_cursor_skip(&p, n);
            d->hs_skip_left -= n;
            continue;
        }
        PtlCursor peek = p;
        (void) ptl_cursor_u8(&peek);
        guint32 body = ptl_cursor_be24(&peek);
        gboolean is_whole = d->hs_have == 0 && ptl_cursor_ok(&peek)
                            && body <= ptl_cursor_remaining(&peek);
        if (!is_whole) {
            if (!tls_handshake_append(s, d, ctx, &p, error))
                return FALSE;
            continue;
        }
        gsize len = TLS_HANDSHAKE_HEADER_SIZE + body;
        if (!tls_handshake_message(s, ctx, ptl_cursor_take(&p, len), len, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- records ---- */

static void
tls_alert_record(TlsState *s, const PtlFlowContext *ctx, PtlDirection dir, PtlCursor p)
{
    /* an encrypted alert carries a MAC or tag, so two octets are always clear */
    if (ptl_cursor_remaining(&p) != TLS_ALERT_SIZE)
        return;
    guint8 level = ptl_cursor_u8(&p);
    guint8 description = ptl_cursor_u8(&p);
    if (s->n_alerts < TLS_MAX_ALERTS) {
        TlsAlert *a = &s->alerts[s->n_alerts++];
        a->level = level;
        a->description = description;
        a->is_from_server = dir == PTL_DIR_TO_CLIENT;
    } else {
        s->alerts_dropped++;
    }
    if (level != TLS_ALERT_FATAL)
        return;
    const char *name = tls_lookup(tls_alert_names, G_N_ELEMENTS(tls_alert_names), description);
    g_autofree char *detail = name != NULL ? g_strconcat("TLS alert ", name, NULL)
                                           : g_strdup_printf("TLS alert %u", description);
    ptl_fact(ctx, PTL_FACT_REQUEST_FAILED, detail);
}

/* Application data, heartbeats and ciphertext handshakes are skipped as they arrive. */
static gboolean
tls_is_streamed(const TlsDirState *d, guint8 type)
{
    return type == TLS_CONTENT_APP_DATA || type == TLS_CONTENT_HEARTBEAT
           || (type == TLS_CONTENT_HANDSHAKE && d->is_encrypted);
}

static void
tls_note_streamed(TlsState *s, TlsDirState *d, const PtlFlowContext *ctx,
                  const TlsRecordHeader *h)
{
    if (h->type == TLS_CONTENT_HANDSHAKE) {
        s->handshake_counts[TLS_COUNT_ENCRYPTED]++;
    } else if (h->type == TLS_CONTENT_APP_DATA) {
        s->application_data_bytes += h->length;
        /* renegotiation (<= 1.2) is encrypted; 1.3 never sends handshake records again */
        d->is_encrypted = TRUE;
        if (!s->has_told_encrypted) {
            s->has_told_encrypted = TRUE;
            ptl_fact(ctx, PTL_FACT_ENCRYPTED, "TLS application data");
        }
    }
    d->skip_left = h->length;
}

static gssize
tls_record(TlsState *s, TlsDirState *d, const PtlFlowContext *ctx, PtlDirection dir,
           const PtlCursor *in, GError **error)
{
    TlsRecordHeader h = { 0, 0, 0 };
    TlsHeaderCheck check = tls_header_check(in, &h);
    if (check == TLS_HEADER_SHORT)
        return 0;
    if (check != TLS_HEADER_OK)
        return tls_header_error(check, in, error);
    PtlCursor r = *in;
    ptl_cursor_skip(&r, TLS_RECORD_HEADER_SIZE);
    if (d->mode == TLS_MODE_START) {
        /* mid-stream, a handshake record that is not a hello may be ciphertext */
        const guint8 *first = ptl_cursor_peek(&r, 1);
        if (first == NULL && h.length > 0)
            return 0;
        d->mode = TLS_MODE_TLS;
        d->is_encrypted = h.type != TLS_CONTENT_HANDSHAKE || h.length == 0
                          || (first[0] != TLS_HS_CLIENT_HELLO && first[0] != TLS_HS_SERVER_HELLO);
    }
    if (tls_is_streamed(d, h.type)) {
        s->records[h.type - TLS_CONTENT_CCS]++;
        tls_note_streamed(s, d, ctx, &h);
        tls_confirm(s, ctx);
        return TLS_RECORD_HEADER_SIZE;
    }
    PtlCursor payload = ptl_cursor_sub(&r, h.length);
    if (!ptl_cursor_ok(&r))
        return 0;  /* read whole: handshakes and alerts are small */
    s->records[h.type - TLS_CONTENT_CCS]++;
    if (h.type == TLS_CONTENT_HANDSHAKE && !tls_handshake_record(s, d, ctx, payload, error))
        return -1;
    if (h.type == TLS_CONTENT_ALERT)
        tls_alert_record(s, ctx, dir, payload);
    /* TLS 1.3 sends ChangeCipherSpec only for middleboxes; the hellos stay clear */
    if (h.type == TLS_CONTENT_CCS && !tls_is_13(s->version))
        d->is_encrypted = TRUE;
    tls_confirm(s, ctx);
    return (gssize) r.pos - (gssize) in->pos;
}

/* ---- SSLv2 ---- */

typedef struct {
    guint16 length;       /* of the record body */
    guint8  header_size;  /* 2, or 3 with a padding octet */
} Sslv2Header;

static gboolean
sslv2_header(PtlCursor *c, Sslv2Header *h)
{
    guint8 b0 = ptl_cursor_u8(c);
    guint8 b1 = ptl_cursor_u8(c);
    if ((b0 & 0x80) != 0) {
        h->length = (guint16) (((b0 & 0x7f) << 8) | b1);
        h->header_size = 2;
    } else {
        h->length = (guint16) (((b0 & 0x3f) << 8) | b1);
        h->header_size = 3;
        (void) ptl_cursor_u8(c);  /* padding length */
    }
    return ptl_cursor_ok(c);
}

typedef struct {
    guint8  type;
    guint16 version;
    guint16 cipher_specs_len;
    guint32 cipher_spec;  /* the server's first */
    gboolean has_certificate;
} Sslv2Hello;

static gboolean
sslv2_version_ok(guint16 version)
{
    return version == TLS_VERSION_SSL2 || (version >= TLS_VERSION_SSL3 && version <= 0x0304);
}

/* A CLIENT-HELLO or SERVER-HELLO whose lengths add up to exactly `length`, the record
 * body.  m may hold less than that (the probe): then only the fixed part is judged, and
 * MAYBE means it is not all there yet. */
static PtlProbe
sslv2_read_hello(PtlCursor *m, gsize length, Sslv2Hello *hello)
{
    hello->type = ptl_cursor_u8(m);
    hello->cipher_spec = 0;
    hello->has_certificate = FALSE;
    gsize variable = 0;
    gboolean is_ok = FALSE;
    if (hello->type == SSLV2_MT_CLIENT_HELLO) {
        hello->version = ptl_cursor_be16(m);
        if (ptl_cursor_ok(m) && !sslv2_version_ok(hello->version))
            return PTL_PROBE_NO;  /* judged early: Thrift compact starts 0x82 0x21 0x01 */
        hello->cipher_specs_len = ptl_cursor_be16(m);
        guint16 session_id_len = ptl_cursor_be16(m);
        guint16 challenge_len = ptl_cursor_be16(m);
        variable = (gsize) hello->cipher_specs_len + session_id_len + challenge_len;
        is_ok = sslv2_version_ok(hello->version) && hello->cipher_specs_len > 0
                && (session_id_len == 0 || session_id_len == 16)
                && challenge_len >= SSLV2_MIN_CHALLENGE && challenge_len <= SSLV2_MAX_CHALLENGE
                && variable + SSLV2_CLIENT_HELLO_FIXED == length;
    } else if (hello->type == SSLV2_MT_SERVER_HELLO) {
        guint8 session_id_hit = ptl_cursor_u8(m);
        guint8 certificate_type = ptl_cursor_u8(m);
        hello->version = ptl_cursor_be16(m);
        if (ptl_cursor_ok(m) && hello->version != TLS_VERSION_SSL2)
            return PTL_PROBE_NO;
        guint16 certificate_len = ptl_cursor_be16(m);
        hello->cipher_specs_len = ptl_cursor_be16(m);
        guint16 connection_id_len = ptl_cursor_be16(m);
        variable = (gsize) certificate_len + hello->cipher_specs_len + connection_id_len;
        hello->has_certificate = certificate_len > 0;
        is_ok = session_id_hit <= 1
                && (certificate_type == SSLV2_CERT_X509 || certificate_len == 0)
                && hello->version == TLS_VERSION_SSL2
                && connection_id_len >= SSLV2_MIN_CHALLENGE
                && connection_id_len <= SSLV2_MAX_CHALLENGE
                && variable + SSLV2_SERVER_HELLO_FIXED == length;
        if (ptl_cursor_skip(m, certificate_len) && hello->cipher_specs_len > 0)
            hello->cipher_spec = ptl_cursor_be24(m);
    } else {
        return m->overrun ? PTL_PROBE_MAYBE : PTL_PROBE_NO;
    }
    if (m->pos < (hello->type == SSLV2_MT_CLIENT_HELLO ? SSLV2_CLIENT_HELLO_FIXED
                                                        : SSLV2_SERVER_HELLO_FIXED)
        && m->overrun)
        return PTL_PROBE_MAYBE;
    is_ok = is_ok && hello->cipher_specs_len % SSLV2_CIPHER_SPEC_SIZE == 0;
    return is_ok ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static gboolean
sslv2_message(TlsState *s, TlsDirState *d, const PtlFlowContext *ctx, PtlCursor m)
{
    const guint8 *type = ptl_cursor_peek(&m, 1);
    if (type == NULL)
        return FALSE;
    switch (type[0]) {
    case SSLV2_MT_CLIENT_HELLO:
    case SSLV2_MT_SERVER_HELLO: {
        Sslv2Hello hello;
        if (sslv2_read_hello(&m, m.len, &hello) != PTL_PROBE_YES)
            return FALSE;
        if (hello.type == SSLV2_MT_CLIENT_HELLO) {
            s->handshake_counts[TLS_COUNT_SSLV2_CLIENT_HELLO]++;
            s->client_version = hello.version;
            s->cipher_suites_offered = hello.cipher_specs_len / SSLV2_CIPHER_SPEC_SIZE;
            tls_note_version_offered(s, hello.version);
            d->sslv2_clear = hello.version == TLS_VERSION_SSL2 ? 1 : 0;  /* CLIENT-MASTER-KEY */
        } else {
            s->handshake_counts[TLS_COUNT_SSLV2_SERVER_HELLO]++;
            s->version = hello.version;
            s->cipher_suite = hello.cipher_spec;
            s->has_cipher_suite = hello.cipher_specs_len > 0;
            s->certificates += hello.has_certificate;
            d->sslv2_clear = 0;  /* SERVER-VERIFY on is encrypted */
            tls_record_handshake(s, ctx);
        }
        return TRUE;
    }
    case SSLV2_MT_CLIENT_MASTER:
        s->handshake_counts[TLS_COUNT_SSLV2_CLIENT_MASTER_KEY]++;
        d->sslv2_clear = 0;
        return TRUE;
    case SSLV2_MT_ERROR:
        s->handshake_counts[TLS_COUNT_SSLV2_ERROR]++;
        return TRUE;
    default:
        return FALSE;
    }
}

static gssize
sslv2_record(TlsState *s, TlsDirState *d, const PtlFlowContext *ctx, const PtlCursor *in,
             GError **error)
{
    PtlCursor r = *in;
    Sslv2Header h;
    if (!sslv2_header(&r, &h))
        return 0;
    gboolean is_first = d->mode == TLS_MODE_START;
    if (is_first && h.header_size != 2)
        return ptl_dissect_fail(error, PTL_DISSECT_ERROR_MALFORMED, "tls", "sslv2 hello header invalid");
    if (d->sslv2_clear == 0 && !is_first) {
        s->records[TLS_RECORD_SSLV2]++;
        d->skip_left = h.length;
        return h.header_size;
    }
    PtlCursor m = ptl_cursor_sub(&r, h.length);
    if (!ptl_cursor_ok(&r))
        return 0;
    if (!sslv2_message(s, d, ctx, m))
        return ptl_dissect_fail(error, PTL_DISSECT_ERROR_MALFORMED, "tls", "sslv2 message invalid");
    d->mode = TLS_MODE_SSLV2;
    s->has_sslv2 = TRUE;
    s->records[TLS_RECORD_SSLV2]++;
    tls_confirm(s, ctx);
    return (gssize) r.pos - (gssize) in->pos;
}

/* ---- resynchronisation ---- */

/* After a gap: the first offset where a valid header is followed by another valid header
 * (or by the end of what we have, then we wait there).  Octets before it are dropped. */
static gssize
tls_resync(TlsDirState *d, const PtlCursor *in, gboolean *is_found)
{
    PtlCursor c = *in;
    while (ptl_cursor_remaining(&c) >= TLS_RECORD_HEADER_SIZE) {
        TlsRecordHeader h;
        if (tls_header_check(&c, &h) == TLS_HEADER_OK) {
            PtlCursor next = c;
            ptl_cursor_skip(&next, TLS_RECORD_HEADER_SIZE);
            ptl_cursor_skip(&next, h.length);
            if (!ptl_cursor_ok(&next))
                return (gssize) (c.pos - in->pos);  /* wait for the rest of this record */
            TlsRecordHeader h2;
            TlsHeaderCheck check = tls_header_check(&next, &h2);
            if (check == TLS_HEADER_SHORT && ptl_cursor_remaining(&next) == 0)
                return (gssize) (c.pos - in->pos);
            if (check == TLS_HEADER_OK || check == TLS_HEADER_SHORT) {
                d->needs_resync = FALSE;
                d->is_encrypted = TRUE;  /* mid-message: handshake records are not readable */
                *is_found = TRUE;
                return (gssize) (c.pos - in->pos);
            }
        }
        ptl_cursor_skip(&c, 1);
    }
    return (gssize) (c.pos - in->pos);
}

/* ---- ABI callbacks ---- */

/* After an SSLv2-compatible hello: TLS records follow when TLS was chosen, or offered
 * and the server's answer is not in view. */
static gboolean
tls_speaks_tls(const TlsState *s)
{
    if (s->version != 0)
        return s->version >= TLS_VERSION_SSL3;
    return s->client_version >= TLS_VERSION_SSL3;
}

static gssize
tls_step(TlsState *s, TlsDirState *d, const PtlFlowContext *ctx, PtlDirection dir,
         const PtlCursor *in, GError **error)
{
    if (d->skip_left > 0) {
        guint32 n = (guint32) MIN((gsize) d->skip_left, ptl_cursor_remaining(in));
        d->skip_left -= n;
        return n;
    }
    if (d->needs_resync) {
        gboolean is_found = FALSE;
        gssize n = tls_resync(d, in, &is_found);
        if (n > 0 || !is_found)
            return n;
    }
    const guint8 *first = ptl_cursor_peek(in, 1);
    gboolean is_sslv2 = d->mode == TLS_MODE_SSLV2
                        && !(tls_content_type_ok(first[0]) && tls_speaks_tls(s));
    if ((d->mode == TLS_MODE_START && (first[0] & 0x80) != 0) || is_sslv2)
        return sslv2_record(s, d, ctx, in, error);
    if (d->mode == TLS_MODE_SSLV2)
        d->mode = TLS_MODE_TLS;  /* an SSLv2-compatible hello answered in TLS */
    return tls_record(s, d, ctx, dir, in, error);
}

static gssize
tls_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
         gsize len, GError **error)
{
    TlsState *s = state;
    TlsDirState *d = tls_dir(s, dir);
    PtlCursor c = ptl_cursor_init(data, len);
    while (ptl_cursor_remaining(&c) > 0) {
        gssize n = tls_step(s, d, ctx, dir, &c, error);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        ptl_cursor_skip(&c, (gsize) n);
    }
    d->held = len - c.pos;
    return (gssize) c.pos;
}

/* A hole inside a record we were skipping keeps the boundary; otherwise we look for the
 * next record header (not in SSLv2, whose headers cannot be told from ciphertext). */
static gboolean
tls_gap(gpointer state, PtlDirection dir, gsize missing)
{
    TlsDirState *d = tls_dir(state, dir);
    if (d->held == 0 && missing > 0 && missing <= d->skip_left) {
        d->skip_left -= (guint32) missing;
        return TRUE;
    }
    if (d->mode == TLS_MODE_SSLV2)
        return FALSE;
    g_clear_pointer(&d->hs_buf, g_free);
    d->hs_have = 0;
    d->hs_skip_left = 0;
    d->skip_left = 0;
    d->held = 0;
    d->needs_resync = TRUE;
    return TRUE;
}

static PtlProbe
tls_probe_sslv2(PtlCursor *c)
{
    Sslv2Header h;
    if (!sslv2_header(c, &h))
        return PTL_PROBE_MAYBE;
    if (h.header_size != 2)
        return PTL_PROBE_NO;
    PtlCursor m = ptl_cursor_sub(c, MIN((gsize) h.length, ptl_cursor_remaining(c)));
    Sslv2Hello hello;
    /* lengths that add up to the record already make it unmistakable */
    return sslv2_read_hello(&m, h.length, &hello);
}

/* A ClientHello or ServerHello at the start: its own legacy version must be sane too. */
static PtlProbe
tls_probe_hello(PtlCursor *c, const TlsRecordHeader *h)
{
    guint8 type = ptl_cursor_u8(c);
    guint32 body = ptl_cursor_be24(c);
    guint8 major = ptl_cursor_u8(c);
    guint8 minor = ptl_cursor_u8(c);
    if (!ptl_cursor_ok(c))
        return PTL_PROBE_MAYBE;
    gboolean is_ok = (type == TLS_HS_CLIENT_HELLO || type == TLS_HS_SERVER_HELLO)
                     && body >= TLS_HELLO_MIN_SIZE && body <= TLS_MAX_HANDSHAKE
                     && major == 0x03 && minor <= 0x04 && h->length >= TLS_HANDSHAKE_HEADER_SIZE;
    return is_ok ? PTL_PROBE_YES : PTL_PROBE_NO;
}

/* A lone record that is all the probe sees must look like what it says it is. */
static gboolean
tls_probe_lone_record_ok(const TlsRecordHeader *h, PtlCursor payload)
{
    switch (h->type) {
    case TLS_CONTENT_CCS:
        return h->length == 1 && ptl_cursor_u8(&payload) == 1;
    case TLS_CONTENT_ALERT:
        if (h->length != TLS_ALERT_SIZE)
            return h->length > TLS_ALERT_SIZE;
        return ptl_cursor_u8(&payload) - 1u <= 1u;
    case TLS_CONTENT_APP_DATA:
        return h->length > 0;
    default:
        return FALSE;
    }
}

/* Mid-stream: a record followed by a valid header, or one record that fills what we see. */
static PtlProbe
tls_probe_records(PtlCursor *c, const TlsRecordHeader *h, gsize window)
{
    ptl_cursor_skip(c, TLS_RECORD_HEADER_SIZE);
    PtlCursor payload = ptl_cursor_sub(c, h->length);
    if (!ptl_cursor_ok(c)) {
        /* an application data record longer than the window: nothing contradicts it */
        gboolean is_full = window >= PTL_PROBE_MAX_BYTES && h->type == TLS_CONTENT_APP_DATA;
        return is_full ? PTL_PROBE_YES : PTL_PROBE_MAYBE;
    }
    if (ptl_cursor_remaining(c) == 0)
        return tls_probe_lone_record_ok(h, payload) ? PTL_PROBE_YES : PTL_PROBE_NO;
    TlsRecordHeader next;
    switch (tls_header_check(c, &next)) {
    case TLS_HEADER_OK:
        return PTL_PROBE_YES;
    case TLS_HEADER_SHORT:
        return window >= PTL_PROBE_MAX_BYTES ? PTL_PROBE_YES : PTL_PROBE_MAYBE;
    default:
        return PTL_PROBE_NO;
    }
}

static PtlProbe
tls_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    (void) dir;  /* either side may be seen first */
    PtlCursor c = ptl_cursor_init(data, len);
    const guint8 *first = ptl_cursor_peek(&c, 1);
    if (first == NULL)
        return PTL_PROBE_MAYBE;
    if ((first[0] & 0x80) != 0)
        return tls_probe_sslv2(&c);
    TlsRecordHeader h;
    switch (tls_header_check(&c, &h)) {
    case TLS_HEADER_OK:
        break;
    case TLS_HEADER_SHORT:
        return PTL_PROBE_MAYBE;
    default:
        return PTL_PROBE_NO;
    }
    if (h.type == TLS_CONTENT_HANDSHAKE) {
        PtlCursor hello = c;
        ptl_cursor_skip(&hello, TLS_RECORD_HEADER_SIZE);
        PtlProbe answer = tls_probe_hello(&hello, &h);
        if (answer != PTL_PROBE_NO)
            return answer;
    }
    return tls_probe_records(&c, &h, len);
}

static gpointer
tls_state_new(void)
{
    TlsState *s = g_new0(TlsState, 1);
    ptl_name_counts_init(&s->alpn_offered, TLS_MAX_ALPN);
    return s;
}

static void
tls_state_free(gpointer state)
{
    TlsState *s = state;
    if (s == NULL)
        return;
    for (int i = 0; i < 2; i++)
        g_clear_pointer(&s->dirs[i].hs_buf, g_free);
    ptl_text_clear(&s->sni);
    g_free(s->leaf);
    ptl_text_clear(&s->alpn);
    ptl_name_counts_clear(&s->alpn_offered);
    g_free(s);
}

static void
tls_emit_version(JsonBuilder *b, const char *key, guint16 version)
{
    char buf[TLS_VERSION_STRING_SIZE];
    ptl_emit_string(b, key, tls_version_name(version, buf), -1);
}

static void
tls_emit_versions_offered(JsonBuilder *b, const TlsState *s)
{
    json_builder_set_member_name(b, "versions_offered");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->n_versions_offered; i++) {
        char buf[TLS_VERSION_STRING_SIZE];
        json_builder_add_string_value(b, tls_version_name(s->versions_offered[i], buf));
    }
    json_builder_end_array(b);
    ptl_emit_int(b, "versions_offered_dropped", (gint64) s->versions_offered_dropped);
}

static void
tls_emit_alerts(JsonBuilder *b, const TlsState *s)
{
    json_builder_set_member_name(b, "alerts");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->n_alerts; i++) {
        const TlsAlert *a = &s->alerts[i];
        const char *name = tls_lookup(tls_alert_names, G_N_ELEMENTS(tls_alert_names),
                                      a->description);
        g_autofree char *unknown = name == NULL ? g_strdup_printf("%u", a->description) : NULL;
        json_builder_begin_object(b);
        ptl_emit_string(b, "level", a->level == TLS_ALERT_FATAL ? "fatal"
                                    : a->level == 1 ? "warning" : "unknown", -1);
        ptl_emit_string(b, "description", name != NULL ? name : unknown, -1);
        ptl_emit_string(b, "from", a->is_from_server ? "server" : "client", -1);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    ptl_emit_int(b, "alerts_dropped", (gint64) s->alerts_dropped);
}

static void
tls_emit_handshake_counts(JsonBuilder *b, const TlsState *s)
{
    const char *names[TLS_N_HANDSHAKE_COUNTS];
    for (gsize i = 0; i < G_N_ELEMENTS(tls_handshake_types); i++)
        names[i] = tls_handshake_types[i].name;
    for (gsize i = 0; i < G_N_ELEMENTS(tls_extra_count_names); i++)
        names[G_N_ELEMENTS(tls_handshake_types) + i] = tls_extra_count_names[i];
    ptl_emit_counts(b, "handshake_messages", names, s->handshake_counts, TLS_N_HANDSHAKE_COUNTS);
}

static void
tls_emit_text_or_null(JsonBuilder *b, const char *key, const char *text)
{
    json_builder_set_member_name(b, key);
    if (text[0] != '\0')
        json_builder_add_string_value(b, text);
    else
        json_builder_add_null_value(b);
}

/* The leaf certificate's facts: null where the walk did not reach them */
static void
tls_emit_certificate(JsonBuilder *b, const TlsX509 *x)
{
    json_builder_set_member_name(b, "certificate");
    json_builder_begin_object(b);
    tls_emit_text_or_null(b, "subject_cn", x->subject_cn);
    tls_emit_text_or_null(b, "issuer_cn", x->issuer_cn);
    json_builder_set_member_name(b, "san");
    json_builder_begin_array(b);
    for (guint i = 0; i < x->n_san; i++)
        json_builder_add_string_value(b, x->san[i]);
    json_builder_end_array(b);
    ptl_emit_int(b, "san_dropped", (gint64) x->san_dropped);
    tls_emit_text_or_null(b, "not_before", x->not_before);
    tls_emit_text_or_null(b, "not_after", x->not_after);
    json_builder_end_object(b);
}

static void
tls_emit(gpointer state, JsonBuilder *b)
{
    const TlsState *s = state;
    tls_emit_versions_offered(b, s);
    if (s->version != 0)
        tls_emit_version(b, "version", s->version);
    if (s->has_client_hello || s->has_sslv2)
        tls_emit_version(b, "client_version", s->client_version);
    ptl_emit_int(b, "cipher_suites_offered", s->cipher_suites_offered);
    ptl_text_emit(&s->sni, b, "sni");
    ptl_name_counts_emit_names(&s->alpn_offered, b, "alpn_offered", "alpn_offered_dropped");
    ptl_text_emit(&s->alpn, b, "alpn");
    if (s->has_cipher_suite) {
        tls_emit_cipher(b, s->cipher_suite);
    }
    if (s->group != 0) {
        char hex[8];
        g_snprintf(hex, sizeof hex, "0x%04x", s->group);
        const char *name = tls_lookup(tls_group_names, G_N_ELEMENTS(tls_group_names), s->group);
        ptl_emit_string(b, "group", name != NULL ? name : hex, -1);
    }
    if (s->ja3[0] != '\0')
        ptl_emit_string(b, "ja3", s->ja3, -1);
    if (s->ja3s[0] != '\0')
        ptl_emit_string(b, "ja3s", s->ja3s, -1);
    tls_emit_handshake_counts(b, s);
    ptl_emit_int(b, "handshake_oversized", (gint64) s->handshake_oversized);
    ptl_emit_counts(b, "records", tls_record_names, s->records, TLS_N_RECORDS);
    ptl_emit_int(b, "application_data_bytes", (gint64) s->application_data_bytes);
    tls_emit_alerts(b, s);
    ptl_emit_bool(b, "hrr", s->has_hrr);
    ptl_emit_int(b, "certificates", (gint64) s->certificates);
    if (s->leaf != NULL)
        tls_emit_certificate(b, s->leaf);
    ptl_emit_bool(b, "sslv2", s->has_sslv2);
}

static const PtlDissector tls_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "tls",
    .default_ports = tls_ports,
    .probe = tls_probe,
    .state_new = tls_state_new,
    .state_free = tls_state_free,
    .feed = tls_feed,
    .gap = tls_gap,
    .emit = tls_emit,
    .version = "1.0.0",
    .description = "TLS/SSL records, hellos (SNI, ALPN, versions, cipher), certificates, alerts",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(tls_dissector)
