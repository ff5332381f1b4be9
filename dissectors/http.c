/* http.c: HTTP/1.x dissector.
 *
 * Pairs requests and responses through a capped FIFO (keep-alive, pipelining),
 * follows message framing (Content-Length, chunked, HEAD/1xx/204/304, close,
 * HTTP/0.9), switches to opaque mode on WebSocket/h2c upgrades and CONNECT
 * tunnels, and reports clear-text credentials by mechanism and user only.
 * Every string it emits passes an allow-list (docs/secrets.md): scheme names
 * from a fixed list, users only where a scheme carries one in clear, URIs
 * without query or path-parameter values.  Bodies are skipped with a byte
 * counter and never buffered. */
#include <stdarg.h>
#include <string.h>

#include "ptl-module.h"
#include "ptl-redact.h"

#define HTTP_MAX_HEADER_BYTES (64 * 1024)  /* start line + header fields, or trailers */
#define HTTP_MAX_CHUNK_LINE   4096         /* chunk-size line with its extensions */
#define HTTP_MAX_BODY         (G_GUINT64_CONSTANT(1) << 40) /* Content-Length, chunk size */
#define HTTP_MAX_HOLD         (64 * 1024)  /* client bytes held while an upgrade is pending */
#define HTTP_MAX_PENDING      64           /* outstanding requests of a pipeline */
#define HTTP_MAX_TRANSACTIONS 64
#define HTTP_MAX_STATUS_CODES 32
#define HTTP_MAX_AUTH_SCHEMES 8
#define HTTP_MAX_AUTH_USERS   8
#define HTTP_MAX_COOKIE_NAMES 32
#define HTTP_MAX_NAME         64           /* kept query, path-parameter or cookie name */
#define HTTP_MAX_BASIC_BYTES  96           /* decoded Basic bytes searched for the ':' */
#define HTTP_METHOD_MAX_LEN   16

static const guint16 http_ports[] = { 80, 8080, 8000, 8081, 8088, 2101, 2201, 2211, 2231, 4001, 0 };

/* Known methods: the probe only trusts these; feed counts any other token as "other". */
enum {
    HTTP_METHOD_GET,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_POST,
    HTTP_METHOD_PUT,
    HTTP_METHOD_DELETE,
    HTTP_METHOD_CONNECT,
    HTTP_METHOD_OPTIONS,
    HTTP_METHOD_TRACE,
    HTTP_METHOD_PATCH,
    HTTP_METHOD_PROPFIND,
    HTTP_METHOD_PROPPATCH,
    HTTP_METHOD_MKCOL,
    HTTP_METHOD_COPY,
    HTTP_METHOD_MOVE,
    HTTP_METHOD_LOCK,
    HTTP_METHOD_UNLOCK,
    HTTP_METHOD_REPORT,
    HTTP_METHOD_SEARCH,
    HTTP_METHOD_PURGE,
    HTTP_METHOD_OTHER,
    HTTP_METHOD_COUNT
};

static const char *const http_method_names[HTTP_METHOD_COUNT] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH",
    "PURGE", "other",
};

typedef enum {
    HTTP_HDR_OTHER,
    HTTP_HDR_HOST,
    HTTP_HDR_USER_AGENT,
    HTTP_HDR_CONTENT_TYPE,
    HTTP_HDR_CONTENT_LENGTH,
    HTTP_HDR_TRANSFER_ENCODING,
    HTTP_HDR_UPGRADE,
    HTTP_HDR_AUTHORIZATION,
    HTTP_HDR_PROXY_AUTHORIZATION,
    HTTP_HDR_COOKIE,
    HTTP_HDR_SET_COOKIE,
} HttpHeaderId;

static const struct {
    const char  *name;
    HttpHeaderId id;
} http_headers[] = {
    { "host", HTTP_HDR_HOST },
    { "user-agent", HTTP_HDR_USER_AGENT },
    { "content-type", HTTP_HDR_CONTENT_TYPE },
    { "content-length", HTTP_HDR_CONTENT_LENGTH },
    { "transfer-encoding", HTTP_HDR_TRANSFER_ENCODING },
    { "upgrade", HTTP_HDR_UPGRADE },
    { "authorization", HTTP_HDR_AUTHORIZATION },
    { "proxy-authorization", HTTP_HDR_PROXY_AUTHORIZATION },
    { "cookie", HTTP_HDR_COOKIE },
    { "set-cookie", HTTP_HDR_SET_COOKIE },
};

typedef enum {
    HTTP_PHASE_START,       /* at a message boundary: start line and header fields */
    HTTP_PHASE_BODY,        /* body_left bytes of Content-Length or chunk data */
    HTTP_PHASE_CHUNK_SIZE,  /* chunk-size line */
    HTTP_PHASE_CHUNK_END,   /* CRLF after chunk data */
    HTTP_PHASE_TRAILERS,    /* trailer fields after the last chunk */
    HTTP_PHASE_HOLD,        /* request asked to switch protocols: wait for the answer */
    HTTP_PHASE_UNTIL_CLOSE, /* body delimited by the end of the connection */
    HTTP_PHASE_OPAQUE,      /* upgraded or tunnelled: no longer HTTP */
    HTTP_PHASE_RESYNC,      /* after a hole: skip lines up to a start line */
} HttpPhase;

typedef enum {
    HTTP_STEP_MORE,         /* consumed bytes or changed phase: run again */
    HTTP_STEP_WAIT,         /* needs more bytes */
    HTTP_STEP_ERROR,
} HttpStep;

/* flags of an outstanding request */
enum {
    HTTP_REQ_HOLDS = 1 << 0,     /* the client waits for this answer (Upgrade, CONNECT) */
    HTTP_REQ_WEBSOCKET = 1 << 1, /* Upgrade: websocket */
};

typedef struct {
    gint16  txn;            /* transaction index, -1 when over the cap */
    guint8  method;
    guint8  flags;
    guint8  version;        /* 10 * major + minor; 9 for HTTP/0.9 */
    guint64 seq;            /* request number, to find it again while its body runs */
    gint64  ts_ns;          /* when the request's header block was read */
    guint64 body_bytes;
    char   *uri;            /* redacted (http_redact_uri), for the record; owned */
} HttpPending;

/* The response being read, with its request: one http_request record once it ends. */
typedef struct {
    HttpPending request;
    guint       status;
    guint8      version;
    guint64     body_bytes;
} HttpExchange;

typedef struct {
    char    *method;
    char    *uri;
    char    *host;
    char    *user_agent;
    char    *reason;
    char    *content_type;
    guint    status;        /* 0: no status line (none yet, or HTTP/0.9 answer) */
    gboolean has_response;
    guint64  request_length;
    guint64  response_length;
} HttpTransaction;

typedef struct {
    guint16 code;
    guint64 count;
} HttpStatusCount;

typedef struct {
    HttpPhase phase;
    guint64   body_left;
    gboolean  is_chunked;       /* BODY phase carries chunk data */
    gboolean  holds_after_body; /* HOLD once this request's body is done */
    gsize     scanned;          /* header bytes known to hold no blank line */
    gint      txn;              /* transaction the body bytes belong to, -1 none */
    gboolean  has_message;      /* a start line was accepted in this direction */
    gboolean  is_resyncing;     /* looking for a start line after a hole */
    gboolean  is_mid_line;      /* resync: the bytes before the next LF are junk */
    gboolean  needs_tls_check;  /* tunnel: look at the first bytes for a TLS record */
} HttpDir;

typedef struct {
    HttpDir         dirs[2];
    HttpPending     pending[HTTP_MAX_PENDING];
    guint           pending_head;
    guint           pending_len;
    guint64         pipeline_dropped;
    GArray         *txns;                   /* HttpTransaction, capped */
    guint64         txns_dropped;
    guint64         requests;
    guint64         responses;
    guint64         unrequested;
    guint64         http09_responses;
    guint64         resyncs;
    guint64         methods[HTTP_METHOD_COUNT];
    HttpStatusCount status_codes[HTTP_MAX_STATUS_CODES];
    guint           n_status_codes;
    guint64         status_codes_dropped;
    guint64         failed_5xx_seen[2];     /* bit per code 500..599: fact raised */
    PtlNameCounts   auth_schemes;
    PtlNameCounts   auth_users;             /* "Basic alice" */
    PtlNameCounts   cookie_names;
    gboolean        has_cookie_fact;
    gboolean        is_confirmed;
    guint32         versions[2];            /* per direction: bit 10 * major + minor */
    gboolean        is_websocket;
    char           *upgraded;
    guint64         next_seq;
    guint64         request_seq;            /* the request whose body is being read */
    HttpExchange    answer;                 /* valid while has_answer */
    gboolean        has_answer;
    gboolean        is_answer_ended;        /* ended inside a hole: record at the next feed */
    const PtlFlowContext *ctx;              /* the current feed's, NULL between calls */
} HttpState;

/* A parsed start line and the header fields the dissector uses; spans borrow the bytes. */
typedef struct {
    gboolean  is_request;
    gboolean  is_http09;      /* request line without a version */
    guint8    major;
    guint8    minor;
    guint     method;
    PtlCursor method_name;
    PtlCursor uri;
    guint     status;
    PtlCursor reason;
    PtlCursor host;
    PtlCursor user_agent;
    PtlCursor content_type;
    gboolean  has_host;
    gboolean  has_user_agent;
    gboolean  has_content_type;
    gboolean  has_length;
    guint64   length;
    gboolean  has_transfer_encoding;
    gboolean  is_chunked;
    gboolean  has_upgrade;
    gboolean  wants_websocket;
    PtlCursor upgrade_token;  /* first protocol of the Upgrade list */
} HttpMessage;

/* ---- byte helpers: every read goes through a PtlCursor ---- */

/* The byte at offset i of the unread part, 0 past the end. */
static guint8
http_byte_at(const PtlCursor *c, gsize i)
{
    PtlCursor t = *c;
    return ptl_cursor_skip(&t, i) ? ptl_cursor_u8(&t) : 0;
}

static gboolean
http_is_ows(guint8 b)
{
    /* CR and LF count as space so folded (obs-fold) values read as one */
    return b == ' ' || b == '\t' || b == '\r' || b == '\n';
}

static gboolean
http_is_tchar(guint8 b)
{
    return g_ascii_isalnum(b) || (b != 0 && strchr("!#$%&'*+-.^_`|~", b) != NULL);
}

static gboolean
http_is_digit(guint8 b)
{
    return g_ascii_isdigit(b);
}

static gboolean
http_is_ctl(guint8 b)
{
    return b < 0x20 || b == 0x7f;
}

static void
http_trim(PtlCursor *s)
{
    while (ptl_cursor_remaining(s) > 0 && http_is_ows(http_byte_at(s, 0)))
        ptl_cursor_skip(s, 1);
    gsize n = ptl_cursor_remaining(s);
    while (n > 0 && http_is_ows(http_byte_at(s, n - 1)))
        n--;
    *s = ptl_cursor_sub(s, n);
}

/* Splits at the first `delim`: head gets the bytes before it, c moves past it.
 * Without delim, head gets everything and FALSE is returned. */
static gboolean
http_split(PtlCursor *c, guint8 delim, PtlCursor *head)
{
    gssize off = ptl_cursor_find(c, delim);
    if (off < 0) {
        *head = ptl_cursor_sub(c, ptl_cursor_remaining(c));
        return FALSE;
    }
    *head = ptl_cursor_sub(c, (gsize) off);
    ptl_cursor_skip(c, 1);
    return TRUE;
}

/* A complete line without its CR LF (bare LF accepted); FALSE leaves c unmoved. */
static gboolean
http_take_line(PtlCursor *c, PtlCursor *line)
{
    gssize off = ptl_cursor_find(c, '\n');
    if (off < 0)
        return FALSE;
    gsize n = (gsize) off;
    gsize content = n > 0 && http_byte_at(c, n - 1) == '\r' ? n - 1 : n;
    *line = ptl_cursor_sub(c, n + 1);
    *line = ptl_cursor_sub(line, content);
    return TRUE;
}

static gboolean
http_equal(const PtlCursor *s, const char *lit)
{
    gsize n = strlen(lit);
    PtlCursor t = *s;
    const guint8 *p = ptl_cursor_take(&t, n);
    return ptl_cursor_remaining(s) == n && p != NULL
           && g_ascii_strncasecmp((const char *) p, lit, n) == 0;
}

/* case-sensitive, like the HTTP-name and the methods */
static gboolean
http_has_prefix(const PtlCursor *s, const char *lit)
{
    gsize n = strlen(lit);
    PtlCursor t = *s;
    const guint8 *p = ptl_cursor_take(&t, n);
    return p != NULL && memcmp(p, lit, n) == 0;
}

static gboolean
http_has_prefix_ci(const PtlCursor *s, const char *lit)
{
    gsize n = strlen(lit);
    PtlCursor t = *s;
    const guint8 *p = ptl_cursor_take(&t, n);
    return p != NULL && g_ascii_strncasecmp((const char *) p, lit, n) == 0;
}

/* TRUE when the unread bytes are a prefix of lit (case-sensitive). */
static gboolean
http_is_prefix_of(const PtlCursor *s, const char *lit)
{
    gsize n = ptl_cursor_remaining(s);
    if (n > strlen(lit))
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        if (http_byte_at(s, i) != (guint8) lit[i])
            return FALSE;
    }
    return TRUE;
}

static gboolean
http_all_bytes(const PtlCursor *s, gboolean (*is_ok)(guint8))
{
    gsize n = ptl_cursor_remaining(s);
    for (gsize i = 0; i < n; i++) {
        if (!is_ok(http_byte_at(s, i)))
            return FALSE;
    }
    return TRUE;
}

static gboolean
http_is_text(guint8 b)
{
    return b == '\t' || !http_is_ctl(b);
}

static gboolean
http_is_target_char(guint8 b)
{
    return b != ' ' && !http_is_ctl(b);
}

/* transfer full: a NUL-terminated copy of at most `cap` bytes; a fold (CR LF
 * and the blanks after it) reads as one space, other control bytes as spaces */
static char *
http_strdup(const PtlCursor *s, gsize cap)
{
    PtlCursor t = *s;
    gsize n = MIN(ptl_cursor_remaining(&t), cap);
    char *out = g_malloc(n + 1);
    gsize used = 0;
    while (ptl_cursor_remaining(&t) > 0 && used < n) {
        guint8 b = ptl_cursor_u8(&t);
        if (b == '\r' || b == '\n') {
            while (ptl_cursor_remaining(&t) > 0 && http_is_ows(http_byte_at(&t, 0)))
                ptl_cursor_skip(&t, 1);
        }
        out[used++] = (char) (http_is_ctl(b) ? ' ' : b);
    }
    out[used] = '\0';
    return out;
}

/* Wipes bytes that held secret material; volatile so the store is not elided. */
static void
http_wipe(void *p, gsize n)
{
    volatile guint8 *v = p;
    while (n-- > 0)
        *v++ = 0;
}

/* ---- start lines ---- */

static guint
http_method_lookup(const PtlCursor *name)
{
    for (guint i = 0; i < HTTP_METHOD_OTHER; i++) {
        if (ptl_cursor_remaining(name) == strlen(http_method_names[i])
            && http_has_prefix(name, http_method_names[i]))
            return i;
    }
    return HTTP_METHOD_OTHER;
}


/* TRUE when the bytes seen so far can still grow into a known method name. */
static gboolean
http_is_method_prefix(const PtlCursor *s)
{
    for (guint i = 0; i < HTTP_METHOD_OTHER; i++) {
        if (http_is_prefix_of(s, http_method_names[i]))
            return TRUE;
    }
    return FALSE;
}

/* "HTTP/" DIGIT "." DIGIT, exactly */
static gboolean
http_parse_version(const PtlCursor *s, guint8 *major, guint8 *minor)
{
    guint8 d1 = http_byte_at(s, 5);
    guint8 d2 = http_byte_at(s, 7);
    if (ptl_cursor_remaining(s) != 8 || !http_has_prefix(s, "HTTP/") || http_byte_at(s, 6) != '.'
        || !g_ascii_isdigit(d1) || !g_ascii_isdigit(d2))
        return FALSE;
    *major = (guint8) (d1 - '0');
    *minor = (guint8) (d2 - '0');
    return TRUE;
}

/* method SP request-target [SP HTTP-version]; without a version it is HTTP/0.9,
 * which only a known method with an origin-form target may claim. */
static gboolean
http_parse_request_line(PtlCursor line, HttpMessage *m)
{
    m->is_request = TRUE;
    if (!http_split(&line, ' ', &m->method_name) || ptl_cursor_remaining(&m->method_name) == 0
        || !http_all_bytes(&m->method_name, http_is_tchar))
        return FALSE;
    m->method = http_method_lookup(&m->method_name);
    http_trim(&line);
    gsize n = ptl_cursor_remaining(&line);
    PtlCursor rest = line;
    m->uri = line;
    if (n > 9 && http_byte_at(&line, n - 9) == ' ') {
        PtlCursor target = ptl_cursor_sub(&rest, n - 9);
        ptl_cursor_skip(&rest, 1);
        if (http_parse_version(&rest, &m->major, &m->minor)) {
            http_trim(&target);
            m->uri = target;
            return ptl_cursor_remaining(&target) > 0 && http_all_bytes(&target, http_is_text);
        }
    }
    m->is_http09 = TRUE;
    m->major = 0;
    m->minor = 9;
    return m->method != HTTP_METHOD_OTHER && http_has_prefix(&m->uri, "/")
           && http_all_bytes(&m->uri, http_is_text);
}

/* HTTP-version SP 3DIGIT [SP reason-phrase] */
static gboolean
http_parse_status_line(PtlCursor line, HttpMessage *m)
{
    PtlCursor version;
    if (!http_split(&line, ' ', &version) || !http_parse_version(&version, &m->major, &m->minor))
        return FALSE;
    PtlCursor code = ptl_cursor_sub(&line, 3);
    if (!ptl_cursor_ok(&code) || !http_all_bytes(&code, http_is_digit))
        return FALSE;
    m->status = (guint) ((http_byte_at(&code, 0) - '0') * 100 + (http_byte_at(&code, 1) - '0') * 10
                         + (http_byte_at(&code, 2) - '0'));
    if (ptl_cursor_remaining(&line) > 0 && http_byte_at(&line, 0) != ' ')
        return FALSE;
    http_trim(&line);
    m->reason = line;
    return m->status >= 100 && http_all_bytes(&line, http_is_text);
}

static gboolean
http_parse_start_line(PtlDirection dir, PtlCursor line, HttpMessage *m)
{
    return dir == PTL_DIR_TO_SERVER ? http_parse_request_line(line, m)
                                    : http_parse_status_line(line, m);
}

/* ---- probe ---- */

static PtlProbe
http_probe_request(PtlCursor c)
{
    gsize total = ptl_cursor_remaining(&c);
    PtlCursor look = c;
    PtlCursor line;
    if (http_take_line(&look, &line)) {
        HttpMessage m = { 0 };
        return http_parse_request_line(line, &m) && m.method != HTTP_METHOD_OTHER && m.major <= 1
                   ? PTL_PROBE_YES
                   : PTL_PROBE_NO;
    }
    PtlCursor name;
    if (!http_split(&c, ' ', &name))
        return http_is_method_prefix(&name) ? PTL_PROBE_MAYBE : PTL_PROBE_NO;
    gsize n = ptl_cursor_remaining(&c);
    if (n > 0 && http_byte_at(&c, n - 1) == '\r')
        c = ptl_cursor_sub(&c, n - 1);
    if (http_method_lookup(&name) == HTTP_METHOD_OTHER || !http_all_bytes(&c, http_is_text))
        return PTL_PROBE_NO;
    if (ptl_cursor_remaining(&c) == 0)
        return PTL_PROBE_MAYBE;
    if (!http_is_target_char(http_byte_at(&c, 0)))
        return PTL_PROBE_NO;
    /* a request-target this long with no line end yet still reads as HTTP */
    return total >= PTL_PROBE_MAX_BYTES ? PTL_PROBE_YES : PTL_PROBE_MAYBE;
}

/* "HTTP/" DIGIT "." DIGIT SP 3DIGIT, then SP or the line end */
static PtlProbe
http_probe_status(PtlCursor c)
{
    static const char shape[] = "HTTP/d.d ddd";
    gsize n = MIN(ptl_cursor_remaining(&c), sizeof shape - 1);
    for (gsize i = 0; i < n; i++) {
        guint8 b = http_byte_at(&c, i);
        gboolean is_ok = shape[i] == 'd' ? g_ascii_isdigit(b) : b == (guint8) shape[i];
        if (!is_ok || (i == 9 && b == '0'))
            return PTL_PROBE_NO;
    }
    if (ptl_cursor_remaining(&c) < sizeof shape)
        return PTL_PROBE_MAYBE;
    guint8 after = http_byte_at(&c, sizeof shape - 1);
    return after == ' ' || after == '\r' || after == '\n' ? PTL_PROBE_YES : PTL_PROBE_NO;
}

static PtlProbe
http_probe_view(PtlDirection dir, const PtlCursor *c)
{
    PtlCursor view = *c;
    view = ptl_cursor_sub(&view, MIN(ptl_cursor_remaining(c), PTL_PROBE_MAX_BYTES));
    return dir == PTL_DIR_TO_SERVER ? http_probe_request(view) : http_probe_status(view);
}

static PtlProbe
http_probe(const guint8 *data, gsize len, PtlDirection dir)
{
    PtlCursor c = ptl_cursor_init(data, len);
    if (ptl_cursor_remaining(&c) == 0)
        return PTL_PROBE_MAYBE;
    return http_probe_view(dir, &c);
}

/* ---- state ---- */

static void
http_transaction_clear(gpointer p)
{
    HttpTransaction *t = p;
    g_clear_pointer(&t->method, g_free);
    g_clear_pointer(&t->uri, g_free);
    g_clear_pointer(&t->host, g_free);
    g_clear_pointer(&t->user_agent, g_free);
    g_clear_pointer(&t->reason, g_free);
    g_clear_pointer(&t->content_type, g_free);
}

static void
http_dir_reset(HttpDir *d)
{
    d->phase = HTTP_PHASE_START;
    d->body_left = 0;
    d->is_chunked = FALSE;
    d->scanned = 0;
    d->txn = -1;
}

static gpointer
http_state_new(void)
{
    HttpState *s = g_new0(HttpState, 1);
    s->txns = g_array_new(FALSE, TRUE, sizeof(HttpTransaction));
    g_array_set_clear_func(s->txns, http_transaction_clear);
    ptl_name_counts_init(&s->auth_schemes, HTTP_MAX_AUTH_SCHEMES);
    ptl_name_counts_init(&s->auth_users, HTTP_MAX_AUTH_USERS);
    ptl_name_counts_init(&s->cookie_names, HTTP_MAX_COOKIE_NAMES);
    http_dir_reset(&s->dirs[PTL_DIR_TO_SERVER]);
    http_dir_reset(&s->dirs[PTL_DIR_TO_CLIENT]);
    return s;
}

static void
http_state_free(gpointer state)
{
    HttpState *s = state;
    if (s == NULL)
        return;
    g_clear_pointer(&s->txns, g_array_unref);
    ptl_name_counts_clear(&s->auth_schemes);
    ptl_name_counts_clear(&s->auth_users);
    ptl_name_counts_clear(&s->cookie_names);
    g_clear_pointer(&s->upgraded, g_free);
    for (guint i = 0; i < s->pending_len; i++)
        g_free(s->pending[(s->pending_head + i) % HTTP_MAX_PENDING].uri);
    g_free(s->answer.request.uri);
    g_free(s);
}


static HttpTransaction *
http_txn(HttpState *s, gint index)
{
    return index >= 0 ? &g_array_index(s->txns, HttpTransaction, index) : NULL;
}

/* A new transaction slot, or -1 (counted) once the cap is reached. */
static gint
http_txn_add(HttpState *s)
{
    if (s->txns->len >= HTTP_MAX_TRANSACTIONS) {
        s->txns_dropped++;
        return -1;
    }
    g_array_set_size(s->txns, s->txns->len + 1);
    return (gint) s->txns->len - 1;
}

/* transfer none: the new tail of the pipeline, or NULL (counted) when it is full */
static HttpPending *
http_pending_push(HttpState *s, gint txn, guint method, guint8 flags)
{
    if (s->pending_len >= HTTP_MAX_PENDING) {
        s->pipeline_dropped++;
        return NULL;
    }
    HttpPending *p = &s->pending[(s->pending_head + s->pending_len) % HTTP_MAX_PENDING];
    *p = (HttpPending) { .txn = (gint16) txn, .method = (guint8) method, .flags = flags };
    s->pending_len++;
    return p;
}

/* transfer none: the outstanding request numbered seq, or NULL once it was answered */
static HttpPending *
http_pending_find(HttpState *s, guint64 seq)
{
    for (guint i = 0; i < s->pending_len; i++) {
        HttpPending *p = &s->pending[(s->pending_head + i) % HTTP_MAX_PENDING];
        if (p->seq == seq)
            return p;
    }
    return NULL;
}

static gboolean
http_pending_pop(HttpState *s, HttpPending *out)
{
    if (s->pending_len == 0)
        return FALSE;
    *out = s->pending[s->pending_head];
    s->pending_head = (s->pending_head + 1) % HTTP_MAX_PENDING;
    s->pending_len--;
    return TRUE;
}

static void
http_set_upgraded(HttpState *s, const char *name)
{
    if (s->upgraded == NULL)
        s->upgraded = g_strdup(name);
}

/* ---- secrets: emitted by allow-list only (docs/secrets.md) ---- */

/* Scheme names emitted as such: the IANA HTTP Authentication Scheme Registry and
 * a few widespread unregistered ones.  Any other first word (or a bare token
 * such as "Authorization: ghp_...") is emitted as "other". */
static const char *const http_auth_scheme_names[] = {
    "Basic", "Bearer", "Concealed", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate",
    "OAuth", "PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid",
    "NTLM", "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", "ApiKey", "Token", "SharedKey",
};

/* Upgrade protocols named in the output; anything else is "other". */
static const char *const http_upgrade_names[] = {
    "websocket", "h2c", "HTTP/2.0", "TLS/1.0", "TLS/1.1", "TLS/1.2", "TLS/1.3", "SPDY/3.1",
    "connect-udp",
};

/* Bytes a kept name (query or path parameter, cookie) may hold, after percent-decoding. */
static gboolean
http_is_name_char(guint8 b)
{
    return g_ascii_isalnum(b) || (b != 0 && strchr("-_.~[]$:@!", b) != NULL);
}

static gboolean
http_is_host_char(guint8 b)
{
    return g_ascii_isalnum(b) || (b != 0 && strchr("-._:[]", b) != NULL);
}

/* Appends the percent-decoded name s[0..n) when it is 1..HTTP_MAX_NAME bytes of
 * the name allow-list, otherwise "*": an odd name may itself be a value. */
static void
http_append_name(GString *out, const char *s, gsize n, gboolean is_plus_space)
{
    char name[HTTP_MAX_NAME];
    gsize len = 0;
    gboolean is_ok = n > 0;
    for (gsize i = 0; i < n && is_ok; i++) {
        guint8 b = (guint8) s[i];
        if (b == '%' && i + 2 < n && g_ascii_isxdigit(s[i + 1]) && g_ascii_isxdigit(s[i + 2])) {
            b = (guint8) (g_ascii_xdigit_value(s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2]));
            i += 2;
        } else if (b == '+' && is_plus_space) {
            b = ' ';
        }
        is_ok = http_is_name_char(b) && len < sizeof name;
        if (is_ok)
            name[len++] = (char) b;
    }
    if (is_ok)
        g_string_append_len(out, name, (gssize) len);
    else
        g_string_append_c(out, '*');
}

static gsize
http_span_until(const char *s, gsize from, gsize n, const char *stops)
{
    while (from < n && strchr(stops, s[from]) == NULL)
        from++;
    return from;
}

/* name=value items of s[0..n) separated by any of `seps`: names kept, every value
 * "*"; an item without '=' is all value ("?ghp_..." gives "?*"). */
static void
http_append_params(GString *out, const char *s, gsize n, const char *seps, gboolean is_query)
{
    gsize i = 0;
    while (i < n) {
        gsize end = http_span_until(s, i, n, seps);
        gsize eq = http_span_until(s, i, end, "=");
        if (eq < end) {
            http_append_name(out, s + i, eq - i, is_query);
            g_string_append(out, "=*");
        } else if (end > i) {
            g_string_append_c(out, '*');
        }
        if (end < n)
            g_string_append_c(out, s[end]);
        i = end + 1;
    }
}

/* The path as sent, but every ";name=value" path parameter as ";name=*". */
static void
http_append_path(GString *out, const char *s, gsize n)
{
    gsize i = 0;
    while (i < n) {
        gsize semi = http_span_until(s, i, n, ";");
        g_string_append_len(out, s + i, (gssize) (semi - i));
        if (semi == n)
            return;
        gsize slash = http_span_until(s, semi, n, "/");
        g_string_append_c(out, ';');
        http_append_params(out, s + semi + 1, slash - semi - 1, ";", FALSE);
        i = slash;
    }
}

/* Length of "scheme://" at the start of an absolute-form target, else 0. */
static gsize
http_scheme_length(const char *s)
{
    if (!g_ascii_isalpha(s[0]))
        return 0;
    gsize n = 1;
    while (g_ascii_isalnum(s[n]) || s[n] == '+' || s[n] == '-' || s[n] == '.')
        n++;
    return strncmp(s + n, "://", 3) == 0 ? n + 3 : 0;
}

/* transfer full: the request-target as it may be emitted: userinfo replaced by
 * "*@", path parameter and query values by "*", the fragment dropped; cut at
 * PTL_MAX_STRING. */
static char *
http_redact_uri(const PtlCursor *target)
{
    g_autofree char *raw = http_strdup(target, HTTP_MAX_HEADER_BYTES);
    gsize n = strcspn(raw, "#");
    GString *out = g_string_sized_new(MIN(n, (gsize) PTL_MAX_STRING) + 8);
    gsize i = MIN(http_scheme_length(raw), n);
    if (i > 0) {
        g_string_append_len(out, raw, (gssize) i);
        gsize end = http_span_until(raw, i, n, "/?");
        gsize host = i;
        for (gsize k = i; k < end; k++) {
            if (raw[k] == '@')
                host = k + 1;
        }
        if (host > i)
            g_string_append(out, "*@");
        g_string_append_len(out, raw + host, (gssize) (end - host));
        i = end;
    }
    gsize query = http_span_until(raw, i, n, "?");
    http_append_path(out, raw + i, query - i);
    if (query < n) {
        g_string_append_c(out, '?');
        http_append_params(out, raw + query + 1, n - query - 1, "&;", TRUE);
    }
    if (out->len > PTL_MAX_STRING)
        g_string_truncate(out, PTL_MAX_STRING);
    http_wipe(raw, strlen(raw));
    return g_string_free(out, FALSE);
}

/* transfer full: the Upgrade protocol by its list name, or "other" */
static char *
http_upgrade_dup(const PtlCursor *token)
{
    PtlCursor t = *token;
    gsize n = ptl_cursor_remaining(token);
    const char *known = ptl_redact_known(ptl_cursor_take(&t, n), n, http_upgrade_names,
                                         G_N_ELEMENTS(http_upgrade_names));
    return g_strdup(known != NULL ? known : PTL_REDACT_OTHER);
}

/* transfer full: a cookie name as it may be emitted (http_append_name) */
static char *
http_name_dup(const PtlCursor *name)
{
    g_autofree char *raw = http_strdup(name, 3 * HTTP_MAX_NAME + 1);
    GString *out = g_string_new(NULL);
    http_append_name(out, raw, strlen(raw), FALSE);
    return g_string_free(out, FALSE);
}

/* transfer full: the Host value, or "*" when it holds more than a host and port */
static char *
http_host_dup(const PtlCursor *host)
{
    if (ptl_cursor_remaining(host) > PTL_MAX_STRING || !http_all_bytes(host, http_is_host_char))
        return g_strdup("*");
    return http_strdup(host, PTL_MAX_STRING);
}

/* transfer full: the user part of Basic credentials, or NULL.  Decodes four
 * characters at a time and stops at the ':', so at most a few bytes of the
 * password are ever decoded, into a buffer that is wiped.  With an empty
 * password the "user" is the credential (an API key as user, Stripe-style): NULL. */
static char *
http_basic_user(PtlCursor creds)
{
    /* + 6: one decode_step of 4 chars writes up to 3 bytes, 3 more after skipped chars */
    guint8 plain[HTTP_MAX_BASIC_BYTES + 6];
    gsize out = 0;
    gint step_state = 0;
    guint save = 0;
    gssize colon = -1;
    while (colon < 0 && out <= HTTP_MAX_BASIC_BYTES && ptl_cursor_remaining(&creds) >= 4) {
        const guint8 *quad = ptl_cursor_take(&creds, 4);
        gsize got = g_base64_decode_step((const gchar *) quad, 4, plain + out, &step_state, &save);
        for (gsize i = out; i < out + got && colon < 0; i++) {
            if (plain[i] == ':')
                colon = (gssize) i;
        }
        out += got;
    }
    gboolean is_key_as_user = (gsize) colon + 1 == out && ptl_cursor_remaining(&creds) == 0;
    char *user = colon > 0 && !is_key_as_user ? ptl_redact_user(plain, (gsize) colon) : NULL;
    http_wipe(plain, sizeof plain);
    http_wipe(&save, sizeof save);
    return user;
}

/* One auth-param value (token or quoted-string) into buf; FALSE when it did not fit. */
static gboolean
http_read_param_value(PtlCursor *c, char *buf, gsize cap, gsize *len)
{
    gboolean fits = TRUE;
    gboolean is_quoted = http_byte_at(c, 0) == '"';
    if (is_quoted)
        ptl_cursor_skip(c, 1);
    *len = 0;
    while (ptl_cursor_remaining(c) > 0) {
        guint8 b = http_byte_at(c, 0);
        if (!is_quoted && b == ',')
            break;
        ptl_cursor_skip(c, 1);
        if (is_quoted && b == '"')
            break;
        if (is_quoted && b == '\\' && ptl_cursor_remaining(c) > 0)
            b = ptl_cursor_u8(c);
        if (*len < cap)
            buf[(*len)++] = (char) b;
        else
            fits = FALSE;
    }
    return fits;
}

/* transfer full: Digest's username (RFC 7616), or NULL: absent, hashed
 * (userhash=true), only in the username* form, too long or not printable. */
static char *
http_digest_user(PtlCursor params)
{
    char value[PTL_REDACT_MAX_USER];
    char user[PTL_REDACT_MAX_USER];
    gsize user_len = 0;
    gboolean has_user = FALSE;
    gboolean is_hashed = FALSE;
    for (;;) {
        while (ptl_cursor_remaining(&params) > 0
               && (http_is_ows(http_byte_at(&params, 0)) || http_byte_at(&params, 0) == ','))
            ptl_cursor_skip(&params, 1);
        PtlCursor name;
        if (!http_split(&params, '=', &name))
            break;
        http_trim(&name);
        while (ptl_cursor_remaining(&params) > 0 && http_is_ows(http_byte_at(&params, 0)))
            ptl_cursor_skip(&params, 1);
        gsize len = 0;
        gboolean fits = http_read_param_value(&params, value, sizeof value, &len);
        if (http_equal(&name, "username")) {
            has_user = fits;
            user_len = len;
            memcpy(user, value, len);
        } else if (http_equal(&name, "userhash")) {
            is_hashed = len == 4 && g_ascii_strncasecmp(value, "true", 4) == 0;
        }
    }
    char *out = has_user && !is_hashed ? ptl_redact_user((const guint8 *) user, user_len) : NULL;
    http_wipe(value, sizeof value);
    return out;
}

/* Authorization / Proxy-Authorization: the scheme, if registered, goes to
 * auth_schemes, the user where the scheme carries one in clear (Basic, Digest) to
 * auth_users, and each new scheme or user to a CLEARTEXT_AUTH fact naming them. */
static void
http_note_auth(HttpState *s, const PtlFlowContext *ctx, PtlCursor value, gboolean is_proxy)
{
    PtlCursor scheme;
    http_trim(&value);
    http_split(&value, ' ', &scheme);
    if (ptl_cursor_remaining(&scheme) == 0)
        return;
    PtlCursor t = scheme;
    gsize n = ptl_cursor_remaining(&scheme);
    const char *known = ptl_redact_known(ptl_cursor_take(&t, n), n, http_auth_scheme_names,
                                         G_N_ELEMENTS(http_auth_scheme_names));
    g_autofree char *entry = g_strconcat(is_proxy ? "Proxy-" : "",
                                         known != NULL ? known : PTL_REDACT_OTHER, NULL);
    gboolean is_new = ptl_name_counts_add_new(&s->auth_schemes, entry, -1);
    http_trim(&value);
    g_autofree char *user = NULL;
    if (g_strcmp0(known, "Basic") == 0)
        user = http_basic_user(value);
    else if (g_strcmp0(known, "Digest") == 0)
        user = http_digest_user(value);
    if (user != NULL) {
        g_autofree char *who = g_strconcat(entry, " ", user, NULL);
        is_new |= ptl_name_counts_add_new(&s->auth_users, who, -1);
    }
    if (!is_new)
        return;
    g_autofree char *detail = NULL;
    if (user != NULL)
        detail = g_strconcat("HTTP ", entry, " user ", user, NULL);
    else if (g_strcmp0(known, "Bearer") == 0)
        detail = g_strconcat("HTTP ", entry, " token", NULL);
    else
        detail = g_strconcat("HTTP ", entry, NULL);
    ptl_fact(ctx, PTL_FACT_CLEARTEXT_AUTH, detail);
}

/* Cookie: a=1; b=2 and Set-Cookie: a=1; Path=/: names only (http_append_name), never
 * values. */
static void
http_note_cookies(HttpState *s, const PtlFlowContext *ctx, PtlCursor value, gboolean is_set)
{
    http_trim(&value);
    if (ptl_cursor_remaining(&value) == 0)
        return;
    if (!s->has_cookie_fact) {
        s->has_cookie_fact = TRUE;
        ptl_fact(ctx, PTL_FACT_CLEARTEXT_AUTH, "HTTP Cookie");
    }
    gboolean has_more = TRUE;
    while (has_more) {
        PtlCursor pair;
        PtlCursor name;
        has_more = http_split(&value, ';', &pair);
        gboolean has_value = http_split(&pair, '=', &name);
        http_trim(&name);
        if (ptl_cursor_remaining(&name) > 0) {
            /* a cookie without '=' is all value ("Cookie: ghp_..."), as in a query */
            g_autofree char *text = has_value ? http_name_dup(&name) : g_strdup("*");
            ptl_name_counts_add(&s->cookie_names, text, -1);
        }
        if (is_set)
            break;  /* the rest are attributes (Path, Expires...) */
    }
}

/* ---- header fields ---- */

static HttpHeaderId
http_header_lookup(const PtlCursor *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(http_headers); i++) {
        if (http_equal(name, http_headers[i].name))
            return http_headers[i].id;
    }
    return HTTP_HDR_OTHER;
}

/* Content-Length: 1*DIGIT, or a list of identical values ("42, 42"). */
static gboolean
http_parse_length(HttpMessage *m, PtlCursor value, GError **error)
{
    gboolean has_more = TRUE;
    while (has_more) {
        PtlCursor item;
        has_more = http_split(&value, ',', &item);
        http_trim(&item);
        guint64 n = 0;
        if (ptl_cursor_remaining(&item) == 0) {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "http: empty Content-Length");
            return FALSE;
        }
        while (ptl_cursor_remaining(&item) > 0) {
            guint8 b = ptl_cursor_u8(&item);
            if (!g_ascii_isdigit(b)) {
                g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                            "http: Content-Length is not a number");
                return FALSE;
            }
            n = n * 10 + (guint64) (b - '0');
            if (n > HTTP_MAX_BODY) {
                g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_LIMIT,
                            "http: Content-Length over limit %" G_GUINT64_FORMAT, HTTP_MAX_BODY);
                return FALSE;
            }
        }
        if (m->has_length && m->length != n) {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "http: conflicting Content-Length %" G_GUINT64_FORMAT
                        " and %" G_GUINT64_FORMAT, m->length, n);
            return FALSE;
        }
        m->has_length = TRUE;
        m->length = n;
    }
    return TRUE;
}

/* Calls on_item for each element of a comma list, parameters (";q=1") cut off. */
static void
http_each_item(PtlCursor value, HttpMessage *m, void (*on_item)(HttpMessage *, PtlCursor))
{
    gboolean has_more = TRUE;
    while (has_more) {
        PtlCursor item;
        PtlCursor bare;
        has_more = http_split(&value, ',', &item);
        http_split(&item, ';', &bare);
        http_trim(&bare);
        if (ptl_cursor_remaining(&bare) > 0)
            on_item(m, bare);
    }
}

static void
http_on_coding(HttpMessage *m, PtlCursor coding)
{
    /* only the last coding decides the framing */
    m->is_chunked = http_equal(&coding, "chunked");
}

static void
http_on_upgrade(HttpMessage *m, PtlCursor protocol)
{
    if (!m->has_upgrade)
        m->upgrade_token = protocol;
    m->has_upgrade = TRUE;
    if (http_equal(&protocol, "websocket"))
        m->wants_websocket = TRUE;
}

static void
http_keep_first(PtlCursor *slot, gboolean *has, PtlCursor value)
{
    if (!*has && ptl_cursor_remaining(&value) > 0) {
        *slot = value;
        *has = TRUE;
    }
}

static gboolean
http_on_field(HttpState *s, const PtlFlowContext *ctx, HttpMessage *m, const PtlCursor *name,
              PtlCursor value, GError **error)
{
    http_trim(&value);
    HttpHeaderId id = http_header_lookup(name);
    switch (id) {
    case HTTP_HDR_HOST:
        http_keep_first(&m->host, &m->has_host, value);
        break;
    case HTTP_HDR_USER_AGENT:
        http_keep_first(&m->user_agent, &m->has_user_agent, value);
        break;
    case HTTP_HDR_CONTENT_TYPE:
        http_keep_first(&m->content_type, &m->has_content_type, value);
        break;
    case HTTP_HDR_CONTENT_LENGTH:
        return http_parse_length(m, value, error);
    case HTTP_HDR_TRANSFER_ENCODING:
        m->has_transfer_encoding = TRUE;
        m->is_chunked = FALSE;
        http_each_item(value, m, http_on_coding);
        break;
    case HTTP_HDR_UPGRADE:
        http_each_item(value, m, http_on_upgrade);
        break;
    case HTTP_HDR_AUTHORIZATION:
    case HTTP_HDR_PROXY_AUTHORIZATION:
        http_note_auth(s, ctx, value, id == HTTP_HDR_PROXY_AUTHORIZATION);
        break;
    case HTTP_HDR_COOKIE:
    case HTTP_HDR_SET_COOKIE:
        http_note_cookies(s, ctx, value, id == HTTP_HDR_SET_COOKIE);
        break;
    case HTTP_HDR_OTHER:
        break;
    }
    return TRUE;
}

/* Walks the field lines of a complete block (start line already taken).  A
 * line starting with SP/HT continues the previous value (obs-fold); the value
 * then spans the folds, which the OWS helpers read as spaces. */
static gboolean
http_parse_fields(HttpState *s, const PtlFlowContext *ctx, PtlCursor block, HttpMessage *m,
                  GError **error)
{
    PtlCursor name = block;
    PtlCursor value_start = block;  /* the block from the value on, so folds fit in */
    gsize value_len = 0;
    gboolean has_field = FALSE;
    for (;;) {
        PtlCursor at_line = block;
        PtlCursor line;
        if (!http_take_line(&block, &line) || ptl_cursor_remaining(&line) == 0)
            break;
        gboolean is_fold = http_byte_at(&line, 0) == ' ' || http_byte_at(&line, 0) == '\t';
        if (is_fold && has_field) {
            value_len = ptl_cursor_remaining(&value_start) - ptl_cursor_remaining(&at_line)
                        + ptl_cursor_remaining(&line);
            continue;
        }
        if (has_field && !http_on_field(s, ctx, m, &name, ptl_cursor_sub(&value_start, value_len),
                                        error))
            return FALSE;
        PtlCursor rest = line;
        if (is_fold || !http_split(&rest, ':', &name) || ptl_cursor_remaining(&name) == 0
            || !http_all_bytes(&name, http_is_tchar)) {
            g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                        "http: bad header line");
            return FALSE;
        }
        value_start = at_line;
        ptl_cursor_skip(&value_start, ptl_cursor_remaining(&line) - ptl_cursor_remaining(&rest));
        value_len = ptl_cursor_remaining(&rest);
        has_field = TRUE;
    }
    if (has_field)
        return http_on_field(s, ctx, m, &name, ptl_cursor_sub(&value_start, value_len), error);
    return TRUE;
}

/* ---- messages ---- */

static void
http_confirm(HttpState *s, const PtlFlowContext *ctx, const HttpMessage *m)
{
    if (s->is_confirmed)
        return;
    s->is_confirmed = TRUE;
    char detail[] = "HTTP/x.y";
    detail[5] = (char) ('0' + m->major);
    detail[7] = (char) ('0' + m->minor);
    ptl_fact(ctx, PTL_FACT_CONFIRMED, detail);
}

static void
http_count_status(HttpState *s, guint code)
{
    for (guint i = 0; i < s->n_status_codes; i++) {
        if (s->status_codes[i].code == code) {
            s->status_codes[i].count++;
            return;
        }
    }
    if (s->n_status_codes >= HTTP_MAX_STATUS_CODES) {
        s->status_codes_dropped++;
        return;
    }
    s->status_codes[s->n_status_codes].code = (guint16) code;
    s->status_codes[s->n_status_codes].count = 1;
    s->n_status_codes++;
}

/* Requests and responses keep their own versions: a server may answer 1.0 to 1.1. */
static void
http_note_version(HttpState *s, PtlDirection dir, guint8 major, guint8 minor)
{
    guint bit = major * 10u + minor;
    if (bit < 32)
        s->versions[dir] |= 1u << bit;
}

/* REQUEST_FAILED once per 5xx code, detail "HTTP 503" */
static void
http_note_failure(HttpState *s, const PtlFlowContext *ctx, guint code)
{
    if (code < 500 || code > 599)
        return;
    guint bit = code - 500;
    guint64 mask = G_GUINT64_CONSTANT(1) << (bit % 64);
    if (s->failed_5xx_seen[bit / 64] & mask)
        return;
    s->failed_5xx_seen[bit / 64] |= mask;
    char detail[] = "HTTP 5xx";
    detail[6] = (char) ('0' + bit / 10);
    detail[7] = (char) ('0' + bit % 10);
    ptl_fact(ctx, PTL_FACT_REQUEST_FAILED, detail);
}

static void
http_keep_string(char **slot, gboolean has, const PtlCursor *value)
{
    if (has && *slot == NULL)
        *slot = http_strdup(value, PTL_MAX_STRING);
}

/* "HTTP/1.1" for 10 * major + minor, "HTTP/0.9" for a request line without a version */
static void
http_version_text(guint8 version, char out[sizeof "HTTP/x.y"])
{
    g_strlcpy(out, "HTTP/x.y", sizeof "HTTP/x.y");
    out[5] = (char) ('0' + version / 10 % 10);
    out[7] = (char) ('0' + version % 10);
}

/* The answer in progress ends: one http_request record (docs/schema/http.md).  A body
 * delimited by the connection's end is recorded when its header block is read, since
 * only emit() runs after the close. */
static void
http_record_exchange(HttpState *s, gboolean is_until_close)
{
    if (!s->has_answer)
        return;
    if (s->ctx == NULL) {
        /* gap() ended the body: no context there, so the next feed writes the record */
        s->is_answer_ended = TRUE;
        return;
    }
    HttpExchange *x = &s->answer;
    JsonBuilder *b = ptl_record_begin(s->ctx, "http_request");
    if (b != NULL) {
        char version[sizeof "HTTP/x.y"];
        if (x->request.uri != NULL) {
            ptl_emit_string(b, "method", http_method_names[x->request.method], -1);
            ptl_emit_string(b, "uri", x->request.uri, -1);
            http_version_text(x->request.version, version);
            ptl_emit_string(b, "request_version", version, -1);
            ptl_emit_int(b, "request_body_bytes", (gint64) x->request.body_bytes);
            if (s->ctx->ts_ns >= x->request.ts_ns)
                ptl_emit_int(b, "latency_us", (s->ctx->ts_ns - x->request.ts_ns) / 1000);
        }
        if (x->status != 0) {
            ptl_emit_int(b, "status", x->status);
            http_version_text(x->version, version);
            ptl_emit_string(b, "response_version", version, -1);
        }
        if (is_until_close)
            ptl_emit_bool(b, "response_until_close", TRUE);
        else
            ptl_emit_int(b, "response_body_bytes", (gint64) x->body_bytes);
        ptl_record_end(s->ctx);
    }
    g_clear_pointer(&x->request.uri, g_free);
    s->has_answer = FALSE;
    s->is_answer_ended = FALSE;
}

/* Bytes of body (or opaque data) went by: count them on the transaction. */
static void
http_add_length(HttpState *s, PtlDirection dir, guint64 n)
{
    if (dir == PTL_DIR_TO_CLIENT && s->has_answer) {
        s->answer.body_bytes += n;
    } else if (dir == PTL_DIR_TO_SERVER) {
        HttpPending *p = http_pending_find(s, s->request_seq);
        if (p != NULL)
            p->body_bytes += n;
    }
    HttpTransaction *t = http_txn(s, s->dirs[dir].txn);
    if (t == NULL)
        return;
    if (dir == PTL_DIR_TO_SERVER)
        t->request_length += n;
    else
        t->response_length += n;
}

static void
http_end_message(HttpState *s, PtlDirection dir)
{
    if (dir == PTL_DIR_TO_CLIENT)
        http_record_exchange(s, FALSE);
    HttpDir *d = &s->dirs[dir];
    gboolean holds = d->holds_after_body;
    http_dir_reset(d);
    d->holds_after_body = FALSE;
    if (holds)
        d->phase = HTTP_PHASE_HOLD;
}

static void
http_start_body(HttpState *s, PtlDirection dir, const HttpMessage *m, gboolean is_until_close)
{
    HttpDir *d = &s->dirs[dir];
    if (m->is_chunked) {
        d->phase = HTTP_PHASE_CHUNK_SIZE;
    } else if (is_until_close) {
        d->phase = HTTP_PHASE_UNTIL_CLOSE;
    } else if (m->has_length && m->length > 0) {
        d->phase = HTTP_PHASE_BODY;
        d->body_left = m->length;
    } else {
        http_end_message(s, dir);
    }
}

/* The body of `dir` took n more bytes; move on when it is done. */
static void
http_body_taken(HttpState *s, PtlDirection dir, guint64 n)
{
    HttpDir *d = &s->dirs[dir];
    d->body_left -= n;
    http_add_length(s, dir, n);
    if (d->body_left > 0)
        return;
    if (d->is_chunked)
        d->phase = HTTP_PHASE_CHUNK_END;
    else
        http_end_message(s, dir);
}

static gboolean
http_on_request(HttpState *s, const HttpMessage *m, GError **error)
{
    if (m->has_transfer_encoding && !m->is_chunked) {
        g_set_error(error, PTL_DISSECT_ERROR, PTL_DISSECT_ERROR_MALFORMED,
                    "http: request Transfer-Encoding does not end in chunked");
        return FALSE;
    }
    s->requests++;
    s->methods[m->method]++;
    gint index = http_txn_add(s);
    HttpTransaction *t = http_txn(s, index);
    if (t != NULL) {
        t->method = g_strdup(http_method_names[m->method]);
        t->uri = http_redact_uri(&m->uri);
        if (m->has_host)
            t->host = http_host_dup(&m->host);
        http_keep_string(&t->user_agent, m->has_user_agent, &m->user_agent);
    }
    gboolean is_switch = m->method == HTTP_METHOD_CONNECT || m->has_upgrade;
    guint8 flags = (is_switch ? HTTP_REQ_HOLDS : 0) | (m->wants_websocket ? HTTP_REQ_WEBSOCKET : 0);
    HttpPending *p = http_pending_push(s, index, m->method, flags);
    gboolean is_queued = p != NULL;
    if (p != NULL) {
        p->seq = ++s->next_seq;
        p->version = m->is_http09 ? 9 : (guint8) (m->major * 10 + m->minor);
        p->ts_ns = s->ctx != NULL ? s->ctx->ts_ns : 0;
        p->uri = http_redact_uri(&m->uri);
        s->request_seq = p->seq;
    } else {
        s->request_seq = 0;          /* numbers start at 1: no request has 0 */
    }
    HttpDir *d = &s->dirs[PTL_DIR_TO_SERVER];
    d->txn = index;
    /* the client sends nothing else until it knows whether the protocol changed */
    d->holds_after_body = is_switch && is_queued;
    http_start_body(s, PTL_DIR_TO_SERVER, m, FALSE);
    return TRUE;
}

static void
http_go_opaque(HttpState *s)
{
    for (guint i = 0; i < 2; i++) {
        http_dir_reset(&s->dirs[i]);
        s->dirs[i].holds_after_body = FALSE;
        s->dirs[i].phase = HTTP_PHASE_OPAQUE;
    }
}

/* 101 Switching Protocols: whatever follows is the new protocol's. */
static void
http_switch_protocols(HttpState *s, const PtlFlowContext *ctx, const HttpMessage *m,
                      guint8 request_flags)
{
    gboolean is_websocket = m->has_upgrade ? m->wants_websocket
                                           : (request_flags & HTTP_REQ_WEBSOCKET) != 0;
    if (is_websocket) {
        s->is_websocket = TRUE;
        http_set_upgraded(s, "websocket");
        ptl_fact(ctx, PTL_FACT_UPGRADE_WEBSOCKET, "websocket");
    } else if (m->has_upgrade) {
        if (s->upgraded == NULL)
            s->upgraded = http_upgrade_dup(&m->upgrade_token);
        if (http_has_prefix_ci(&m->upgrade_token, "TLS/"))
            ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "HTTP Upgrade TLS");
    } else {
        http_set_upgraded(s, "unknown");
    }
    http_go_opaque(s);
}

/* The answer to a request that held the client direction has come. */
static void
http_release_hold(HttpState *s, const HttpPending *p)
{
    HttpDir *d = &s->dirs[PTL_DIR_TO_SERVER];
    if (!(p->flags & HTTP_REQ_HOLDS))
        return;
    d->holds_after_body = FALSE;
    if (d->phase == HTTP_PHASE_HOLD)
        d->phase = HTTP_PHASE_START;
}

static HttpPending
http_pair_response(HttpState *s)
{
    HttpPending p = { .txn = -1, .method = HTTP_METHOD_OTHER };
    s->responses++;
    if (!http_pending_pop(s, &p)) {
        /* picked up mid-stream: the request was before the capture */
        s->unrequested++;
        p.txn = (gint16) http_txn_add(s);
    }
    HttpTransaction *t = http_txn(s, p.txn);
    if (t != NULL)
        t->has_response = TRUE;
    s->dirs[PTL_DIR_TO_CLIENT].txn = p.txn;
    http_record_exchange(s, FALSE);      /* a previous answer cut short: record what was seen */
    s->answer = (HttpExchange) { .request = p };
    s->answer.request.uri = g_steal_pointer(&p.uri);
    s->has_answer = TRUE;
    return p;
}

static void
http_on_response(HttpState *s, const PtlFlowContext *ctx, const HttpMessage *m)
{
    http_count_status(s, m->status);
    http_note_failure(s, ctx, m->status);
    if (m->status / 100 == 1 && m->status != 101) {
        /* interim (100 Continue): the request still waits for its answer */
        http_end_message(s, PTL_DIR_TO_CLIENT);
        return;
    }
    HttpPending p = http_pair_response(s);
    s->answer.status = m->status;
    s->answer.version = (guint8) (m->major * 10 + m->minor);
    HttpTransaction *t = http_txn(s, p.txn);
    if (t != NULL) {
        t->status = m->status;
        if (ptl_cursor_remaining(&m->reason) > 0)
            http_keep_string(&t->reason, TRUE, &m->reason);
        http_keep_string(&t->content_type, m->has_content_type, &m->content_type);
    }
    http_release_hold(s, &p);
    if (m->status == 101) {
        http_record_exchange(s, FALSE);
        http_switch_protocols(s, ctx, m, p.flags);
    } else if (p.method == HTTP_METHOD_CONNECT && m->status / 100 == 2) {
        http_record_exchange(s, FALSE);
        http_set_upgraded(s, "tunnel");
        http_go_opaque(s);
        s->dirs[PTL_DIR_TO_SERVER].needs_tls_check = TRUE;
    } else if (p.method == HTTP_METHOD_HEAD || m->status == 204 || m->status == 304) {
        http_end_message(s, PTL_DIR_TO_CLIENT);
    } else {
        gboolean is_until_close = m->has_transfer_encoding ? !m->is_chunked : !m->has_length;
        if (is_until_close)
            http_record_exchange(s, TRUE);
        http_start_body(s, PTL_DIR_TO_CLIENT, m, is_until_close);
    }
}

/* ---- steps of the per-direction machine ---- */

static HttpStep G_GNUC_PRINTF(3, 4)
http_fail(GError **error, gint code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    ptl_dissect_vfail(error, (PtlDissectError) code, "http", format, args);
    va_end(args);
    return HTTP_STEP_ERROR;
}

/* An incomplete header (or trailer) block: wait, unless it is already too big. */
static HttpStep
http_wait_block(const PtlCursor *c, GError **error)
{
    if (ptl_cursor_remaining(c) >= HTTP_MAX_HEADER_BYTES)
        return http_fail(error, PTL_DISSECT_ERROR_LIMIT, "header block over limit %d bytes",
                         HTTP_MAX_HEADER_BYTES);
    return HTTP_STEP_WAIT;
}

/* Length of a block that ends with an empty line, 0 while incomplete.  *scanned
 * keeps where the search stopped (a line start), so split headers are not
 * searched again from the top. */
static gsize
http_block_length(const PtlCursor *c, gsize *scanned)
{
    PtlCursor t = *c;
    if (!ptl_cursor_skip(&t, *scanned))
        return 0;
    PtlCursor line;
    while (http_take_line(&t, &line)) {
        gsize used = ptl_cursor_remaining(c) - ptl_cursor_remaining(&t);
        if (ptl_cursor_remaining(&line) == 0)
            return used;
        *scanned = used;
    }
    return 0;
}

static void
http_begin_resync(HttpState *s, PtlDirection dir)
{
    HttpDir *d = &s->dirs[dir];
    if (!d->is_resyncing)
        s->resyncs++;
    http_dir_reset(d);
    d->holds_after_body = FALSE;
    d->is_resyncing = TRUE;
    d->phase = HTTP_PHASE_RESYNC;
}

/* The bytes at a message boundary are not a start line. */
static HttpStep
http_start_fallback(HttpState *s, PtlDirection dir, GError **error)
{
    HttpDir *d = &s->dirs[dir];
    if (dir == PTL_DIR_TO_CLIENT && !d->has_message && s->pending_len > 0) {
        /* HTTP/0.9 answer: no status line, the body runs to the close */
        HttpPending p = http_pair_response(s);
        s->http09_responses++;
        http_note_version(s, dir, 0, 9);
        http_release_hold(s, &p);
        http_record_exchange(s, TRUE);
        d->has_message = TRUE;
        d->phase = HTTP_PHASE_UNTIL_CLOSE;
        return HTTP_STEP_MORE;
    }
    /* after a hole, or a direction picked up inside a body of a confirmed flow */
    if (d->is_resyncing || (!d->has_message && s->is_confirmed)) {
        http_begin_resync(s, dir);
        d->is_mid_line = TRUE;
        return HTTP_STEP_MORE;
    }
    return http_fail(error, PTL_DISSECT_ERROR_MALFORMED, "%s",
                     dir == PTL_DIR_TO_SERVER ? "bad request line" : "bad status line");
}

/* Can the bytes so far still become a start line of this direction? */
static gboolean
http_start_is_plausible(PtlDirection dir, const PtlCursor *c)
{
    if (dir == PTL_DIR_TO_CLIENT)
        return http_probe_status(*c) != PTL_PROBE_NO;
    PtlCursor rest = *c;
    PtlCursor method;
    http_split(&rest, ' ', &method);
    return http_all_bytes(&method, http_is_tchar);
}

/* Empty lines between messages are tolerated (RFC 9112 section 2.2). */
static gsize
http_blank_line_length(const PtlCursor *c)
{
    if (http_byte_at(c, 0) == '\n')
        return 1;
    if (http_byte_at(c, 0) == '\r' && http_byte_at(c, 1) == '\n')
        return 2;
    return 0;
}

static HttpStep
http_step_start(HttpState *s, const PtlFlowContext *ctx, PtlDirection dir, PtlCursor *c,
                GError **error)
{
    HttpDir *d = &s->dirs[dir];
    gsize blank = http_blank_line_length(c);
    if (blank > 0) {
        ptl_cursor_skip(c, blank);
        return HTTP_STEP_MORE;
    }
    if (ptl_cursor_remaining(c) == 1 && http_byte_at(c, 0) == '\r')
        return HTTP_STEP_WAIT;
    PtlCursor look = *c;
    PtlCursor line;
    HttpMessage m = { 0 };
    if (!http_take_line(&look, &line))
        return http_start_is_plausible(dir, c) ? http_wait_block(c, error)
                                               : http_start_fallback(s, dir, error);
    if (!http_parse_start_line(dir, line, &m))
        return http_start_fallback(s, dir, error);
    if (m.major > 1)
        return http_fail(error, PTL_DISSECT_ERROR_UNSUPPORTED, "version HTTP/%u.%u is not 1.x",
                         m.major, m.minor);
    gsize length = m.is_http09 ? ptl_cursor_remaining(c) - ptl_cursor_remaining(&look)
                               : http_block_length(c, &d->scanned);
    if (length == 0)
        return http_wait_block(c, error);
    if (length > HTTP_MAX_HEADER_BYTES)
        return http_fail(error, PTL_DISSECT_ERROR_LIMIT,
                         "header block of %zu bytes over limit %d", length, HTTP_MAX_HEADER_BYTES);
    PtlCursor block = ptl_cursor_sub(c, length);
    d->scanned = 0;
    http_take_line(&block, &line);
    if (!http_parse_fields(s, ctx, block, &m, error))
        return HTTP_STEP_ERROR;
    d->has_message = TRUE;
    d->is_resyncing = FALSE;
    http_confirm(s, ctx, &m);
    http_note_version(s, dir, m.major, m.minor);
    if (dir == PTL_DIR_TO_SERVER)
        return http_on_request(s, &m, error) ? HTTP_STEP_MORE : HTTP_STEP_ERROR;
    http_on_response(s, ctx, &m);
    return HTTP_STEP_MORE;
}

static HttpStep
http_step_body(HttpState *s, PtlDirection dir, PtlCursor *c)
{
    guint64 n = MIN((guint64) ptl_cursor_remaining(c), s->dirs[dir].body_left);
    ptl_cursor_skip(c, (gsize) n);
    http_body_taken(s, dir, n);
    return HTTP_STEP_MORE;
}

/* chunk-size [ext] CRLF: 1*HEXDIG, then optional ";name=value" extensions */
static HttpStep
http_step_chunk_size(HttpState *s, PtlDirection dir, PtlCursor *c, GError **error)
{
    HttpDir *d = &s->dirs[dir];
    PtlCursor look = *c;
    PtlCursor line;
    gboolean has_line = http_take_line(&look, &line);
    gsize line_len = ptl_cursor_remaining(c) - (has_line ? ptl_cursor_remaining(&look) : 0);
    if (line_len > HTTP_MAX_CHUNK_LINE || (!has_line && line_len == HTTP_MAX_CHUNK_LINE))
        return http_fail(error, PTL_DISSECT_ERROR_LIMIT, "chunk-size line over limit %d",
                         HTTP_MAX_CHUNK_LINE);
    if (!has_line)
        return HTTP_STEP_WAIT;
    guint64 size = 0;
    gsize digits = 0;
    while (g_ascii_isxdigit(http_byte_at(&line, 0)) && ptl_cursor_remaining(&line) > 0) {
        size = size * 16 + (guint64) g_ascii_xdigit_value((gchar) ptl_cursor_u8(&line));
        digits++;
        if (size > HTTP_MAX_BODY)
            return http_fail(error, PTL_DISSECT_ERROR_LIMIT,
                             "chunk size over limit %" G_GUINT64_FORMAT, HTTP_MAX_BODY);
    }
    while (http_byte_at(&line, 0) == ' ' || http_byte_at(&line, 0) == '\t')
        ptl_cursor_skip(&line, 1);
    if (digits == 0 || (ptl_cursor_remaining(&line) > 0 && http_byte_at(&line, 0) != ';'))
        return http_fail(error, PTL_DISSECT_ERROR_MALFORMED, "bad chunk-size line");
    *c = look;
    d->scanned = 0;
    if (size == 0) {
        d->phase = HTTP_PHASE_TRAILERS;
    } else {
        d->phase = HTTP_PHASE_BODY;
        d->is_chunked = TRUE;
        d->body_left = size;
    }
    return HTTP_STEP_MORE;
}

static HttpStep
http_step_chunk_end(HttpState *s, PtlDirection dir, PtlCursor *c, GError **error)
{
    if (ptl_cursor_remaining(c) == 1 && http_byte_at(c, 0) == '\r')
        return HTTP_STEP_WAIT;
    gsize crlf = http_blank_line_length(c);
    if (crlf == 0)
        return http_fail(error, PTL_DISSECT_ERROR_MALFORMED, "chunk data not followed by CRLF");
    ptl_cursor_skip(c, crlf);
    s->dirs[dir].phase = HTTP_PHASE_CHUNK_SIZE;
    return HTTP_STEP_MORE;
}

static HttpStep
http_step_trailers(HttpState *s, PtlDirection dir, PtlCursor *c, GError **error)
{
    gsize length = http_block_length(c, &s->dirs[dir].scanned);
    if (length == 0)
        return http_wait_block(c, error);
    if (length > HTTP_MAX_HEADER_BYTES)
        return http_fail(error, PTL_DISSECT_ERROR_LIMIT,
                         "trailer block of %zu bytes over limit %d", length, HTTP_MAX_HEADER_BYTES);
    ptl_cursor_skip(c, length);
    http_end_message(s, dir);
    return HTTP_STEP_MORE;
}

static HttpStep
http_step_until_close(HttpState *s, PtlDirection dir, PtlCursor *c)
{
    gsize n = ptl_cursor_remaining(c);
    ptl_cursor_skip(c, n);
    http_add_length(s, dir, n);
    return HTTP_STEP_MORE;
}

/* Upgraded or tunnelled bytes are not parsed; a tunnel's first client bytes
 * are checked for a TLS record header.  TLS is left unconsumed: the core hands
 * the tunnel from here on to the TLS dissector (the switch point of the fact). */
static HttpStep
http_step_opaque(HttpState *s, const PtlFlowContext *ctx, PtlDirection dir, PtlCursor *c)
{
    HttpDir *d = &s->dirs[dir];
    if (d->needs_tls_check) {
        if (ptl_cursor_remaining(c) < 3)
            return HTTP_STEP_WAIT;
        d->needs_tls_check = FALSE;
        if (http_byte_at(c, 0) == 0x16 && http_byte_at(c, 1) == 0x03 && http_byte_at(c, 2) <= 0x04) {
            ptl_fact(ctx, PTL_FACT_UPGRADE_TLS, "HTTP CONNECT tunnel");
            return HTTP_STEP_WAIT;
        }
    }
    ptl_cursor_skip(c, ptl_cursor_remaining(c));
    return HTTP_STEP_MORE;
}

static HttpStep
http_step_hold(const PtlCursor *c, GError **error)
{
    if (ptl_cursor_remaining(c) >= HTTP_MAX_HOLD)
        return http_fail(error, PTL_DISSECT_ERROR_LIMIT,
                         "%zu client bytes sent before the upgrade was answered",
                         ptl_cursor_remaining(c));
    return HTTP_STEP_WAIT;
}

/* Skips whole lines until one reads as a start line of this direction. */
static HttpStep
http_step_resync(HttpState *s, PtlDirection dir, PtlCursor *c)
{
    HttpDir *d = &s->dirs[dir];
    if (d->is_mid_line) {
        gssize off = ptl_cursor_find(c, '\n');
        gsize n = off < 0 ? ptl_cursor_remaining(c) : (gsize) off + 1;
        ptl_cursor_skip(c, n);
        d->is_mid_line = off < 0;
        return HTTP_STEP_MORE;
    }
    switch (http_probe_view(dir, c)) {
    case PTL_PROBE_YES:
        d->phase = HTTP_PHASE_START;
        return HTTP_STEP_MORE;
    case PTL_PROBE_MAYBE:
        return HTTP_STEP_WAIT;
    case PTL_PROBE_NO:
        break;
    }
    d->is_mid_line = TRUE;
    return HTTP_STEP_MORE;
}

static HttpStep
http_step(HttpState *s, const PtlFlowContext *ctx, PtlDirection dir, PtlCursor *c,
          GError **error)
{
    switch (s->dirs[dir].phase) {
    case HTTP_PHASE_START:
        return http_step_start(s, ctx, dir, c, error);
    case HTTP_PHASE_BODY:
        return http_step_body(s, dir, c);
    case HTTP_PHASE_CHUNK_SIZE:
        return http_step_chunk_size(s, dir, c, error);
    case HTTP_PHASE_CHUNK_END:
        return http_step_chunk_end(s, dir, c, error);
    case HTTP_PHASE_TRAILERS:
        return http_step_trailers(s, dir, c, error);
    case HTTP_PHASE_HOLD:
        return http_step_hold(c, error);
    case HTTP_PHASE_UNTIL_CLOSE:
        return http_step_until_close(s, dir, c);
    case HTTP_PHASE_OPAQUE:
        return http_step_opaque(s, ctx, dir, c);
    case HTTP_PHASE_RESYNC:
        return http_step_resync(s, dir, c);
    }
    g_return_val_if_reached(HTTP_STEP_ERROR);
}

static gssize
http_feed(gpointer state, const PtlFlowContext *ctx, PtlDirection dir, const guint8 *data,
          gsize len, GError **error)
{
    g_return_val_if_fail(state != NULL && dir <= PTL_DIR_TO_CLIENT, -1);
    HttpState *s = state;
    PtlCursor c = ptl_cursor_init(data, len);
    s->ctx = ctx;                /* borrowed for this call: records are written as messages end */
    if (s->is_answer_ended)
        http_record_exchange(s, FALSE);
    HttpStep step = HTTP_STEP_MORE;
    while (ptl_cursor_remaining(&c) > 0 && step == HTTP_STEP_MORE)
        step = http_step(s, ctx, dir, &c, error);
    s->ctx = NULL;
    return step == HTTP_STEP_ERROR ? -1 : (gssize) c.pos;
}

/* A hole inside a body of known length or in opaque data keeps the framing;
 * anywhere else the direction looks for the next start line. */
static gboolean
http_gap(gpointer state, PtlDirection dir, gsize missing)
{
    HttpState *s = state;
    HttpDir *d = &s->dirs[dir];
    d->scanned = 0;
    switch (d->phase) {
    case HTTP_PHASE_BODY:
        if ((guint64) missing <= d->body_left) {
            http_body_taken(s, dir, missing);
            return TRUE;
        }
        break;
    case HTTP_PHASE_UNTIL_CLOSE:
        http_add_length(s, dir, missing);
        return TRUE;
    case HTTP_PHASE_OPAQUE:
        d->needs_tls_check = FALSE;
        return TRUE;
    default:
        break;
    }
    http_begin_resync(s, dir);
    d->is_mid_line = FALSE;  /* the hole may end on a line start */
    return TRUE;
}

/* ---- output ---- */

static void
http_emit_transaction(JsonBuilder *b, const HttpTransaction *t)
{
    json_builder_begin_object(b);
    ptl_emit_string(b, "method", t->method, -1);
    ptl_emit_string(b, "uri", t->uri, -1);
    ptl_emit_string(b, "host", t->host, -1);
    ptl_emit_string(b, "user_agent", t->user_agent, -1);
    if (t->has_response && t->status != 0)
        ptl_emit_int(b, "status", t->status);
    ptl_emit_string(b, "reason", t->reason, -1);
    ptl_emit_string(b, "content_type", t->content_type, -1);
    ptl_emit_int(b, "request_length", (gint64) t->request_length);
    ptl_emit_int(b, "response_length", (gint64) t->response_length);
    json_builder_end_object(b);
}

static void
http_emit_status_codes(JsonBuilder *b, const HttpState *s)
{
    json_builder_set_member_name(b, "status_codes");
    json_builder_begin_object(b);
    for (guint i = 0; i < s->n_status_codes; i++) {
        char key[8];
        g_snprintf(key, sizeof key, "%u", (guint) s->status_codes[i].code);
        json_builder_set_member_name(b, key);
        json_builder_add_int_value(b, (gint64) s->status_codes[i].count);
    }
    json_builder_end_object(b);
    ptl_emit_int(b, "status_codes_dropped", (gint64) s->status_codes_dropped);
}

static void
http_emit_versions(JsonBuilder *b, const char *key, guint32 versions)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (guint bit = 0; bit < 20; bit++) {
        if (!(versions & (1u << bit)))
            continue;
        char version[] = "HTTP/x.y";
        version[5] = (char) ('0' + bit / 10);
        version[7] = (char) ('0' + bit % 10);
        json_builder_add_string_value(b, version);
    }
    json_builder_end_array(b);
}

static void
http_emit(gpointer state, JsonBuilder *b)
{
    HttpState *s = state;
    http_emit_versions(b, "request_versions", s->versions[PTL_DIR_TO_SERVER]);
    http_emit_versions(b, "response_versions", s->versions[PTL_DIR_TO_CLIENT]);
    ptl_emit_int(b, "requests", (gint64) s->requests);
    ptl_emit_int(b, "responses", (gint64) s->responses);
    json_builder_set_member_name(b, "transactions");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->txns->len; i++)
        http_emit_transaction(b, &g_array_index(s->txns, HttpTransaction, i));
    json_builder_end_array(b);
    ptl_emit_int(b, "transactions_dropped", (gint64) s->txns_dropped);
    ptl_emit_counts(b, "methods", http_method_names, s->methods, HTTP_METHOD_COUNT);
    http_emit_status_codes(b, s);
    ptl_name_counts_emit_names(&s->auth_schemes, b, "auth_schemes", "auth_schemes_dropped");
    ptl_name_counts_emit_names(&s->auth_users, b, "auth_users", "auth_users_dropped");
    ptl_name_counts_emit_names(&s->cookie_names, b, "cookie_names", "cookie_names_dropped");
    ptl_emit_bool(b, "websocket", s->is_websocket);
    ptl_emit_string(b, "upgraded", s->upgraded, -1);
    ptl_emit_int(b, "unanswered", (gint64) s->pending_len);
    ptl_emit_int(b, "unrequested", (gint64) s->unrequested);
    ptl_emit_int(b, "http09_responses", (gint64) s->http09_responses);
    ptl_emit_int(b, "pipeline_dropped", (gint64) s->pipeline_dropped);
    ptl_emit_int(b, "resyncs", (gint64) s->resyncs);
}

static const PtlDissector http_dissector = {
    PTL_DISSECTOR_HEADER,
    .name = "http",
    .default_ports = http_ports,
    .probe = http_probe,
    .state_new = http_state_new,
    .state_free = http_state_free,
    .feed = http_feed,
    .gap = http_gap,
    .emit = http_emit,
    .version = "1.0.0",
    .description = "HTTP/1.x: request/response pairing, bodies, upgrades, clear-text auth",
    .probe_datagram = NULL,
};

PTL_DISSECTOR_DEFINE(http_dissector)
