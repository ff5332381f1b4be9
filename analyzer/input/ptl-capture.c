/* ptl-capture.c: capture files (pcap, pcapng, gzip'd or not) merged in time order.
 *
 * Every file is opened by us (regular files only), its format told from its magic bytes,
 * and handed to the packet source (ptl-source.c, which reads it with libpcap) as a FILE*:
 * the file itself, or for gzip a fopencookie() stream that inflates with zlib on the fly.
 *
 * Each file keeps the one packet it read last (libpcap's buffer, no copy); the merge
 * hands out the earliest and reads that file again only on the next call, which is
 * what keeps PtlPacket.data valid until then.
 *
 * pcapng with several interfaces: libpcap 1.10 reports the first interface's link type
 * for the whole file and refuses, as a read error, an interface of another link type.
 * That error ends the file like any cut, so PtlPacket.linktype is always the file's. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie */
#endif

#include "ptl-capture.h"
#include "ptl-cursor.h"
#include "ptl-source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>   /* pcap_datalink_val_to_name */
#include <zlib.h>

#define CAPTURE_MAGIC_LEN        4
#define CAPTURE_GZIP_BUFFER      (64 * 1024)
#define CAPTURE_READ_BUFFER      (1024 * 1024)
#define CAPTURE_GZIP_ERROR_MAX   128
#define CAPTURE_LINKTYPE_CACHE   8

typedef enum {
    CAPTURE_INPUT_NEEDS_READ,  /* nothing pending: read before the next merge */
    CAPTURE_INPUT_PENDING,     /* hdr/data hold the file's next packet */
    CAPTURE_INPUT_DONE,        /* ended or cut; pcap closed */
} CaptureInputState;

typedef struct {
    PtlCaptureFile      info;      /* what ptl_capture_file() hands out */
    CaptureInputState   state;
    PtlSource          *source;    /* owns fp once open */
    FILE               *fp;        /* owns gz through the cookie when gzip'd */
    gzFile              gz;
    char                gz_error[CAPTURE_GZIP_ERROR_MAX];  /* zlib's first complaint */
    char                gz_cause[CAPTURE_GZIP_ERROR_MAX + 8];  /* "gzip: " + gz_error */
    PtlPacket           pending;   /* the file's next packet, in libpcap's buffer */
} CaptureInput;

struct _PtlCapture {
    GPtrArray *inputs;   /* CaptureInput *, in the order added */
    char      *filter;   /* BPF for files added from now on, or NULL */
};

typedef struct {
    guint8      magic[CAPTURE_MAGIC_LEN];  /* in file order */
    const char *format;
} CaptureMagic;

/* libpcap's savefile magics; the Kuznetzov variant is classic pcap with a longer header */
static const CaptureMagic capture_magics[] = {
    { { 0xa1, 0xb2, 0xc3, 0xd4 }, "pcap" },
    { { 0xd4, 0xc3, 0xb2, 0xa1 }, "pcap" },
    { { 0xa1, 0xb2, 0xcd, 0x34 }, "pcap" },
    { { 0x34, 0xcd, 0xb2, 0xa1 }, "pcap" },
    { { 0xa1, 0xb2, 0x3c, 0x4d }, "pcap-ns" },
    { { 0x4d, 0x3c, 0xb2, 0xa1 }, "pcap-ns" },
    { { 0x0a, 0x0d, 0x0d, 0x0a }, "pcapng" },
};

typedef struct {
    int         linktype;
    const char *name;      /* NULL: free slot */
} CaptureLinktypeName;

G_LOCK_DEFINE_STATIC(capture_linktype_cache);
static CaptureLinktypeName capture_linktype_cache[CAPTURE_LINKTYPE_CACHE];
static guint               capture_linktype_cache_next;

G_DEFINE_QUARK(ptl-capture-error-quark, ptl_capture_error)

/* ---- one input file ---- */

static CaptureInput *
capture_input_new(const char *path)
{
    CaptureInput *input = g_new0(CaptureInput, 1);
    input->info.path = g_strdup(path);
    input->state = CAPTURE_INPUT_NEEDS_READ;
    return input;
}

/* Releases libpcap and the file; counters and names stay for the report. */
static void
capture_input_close(CaptureInput *input)
{
    if (input->source != NULL)
        g_clear_pointer(&input->source, ptl_source_free);  /* closes fp, which closes gz */
    else if (input->fp != NULL)
        fclose(input->fp);
    input->fp = NULL;
    input->gz = NULL;
    input->pending.data = NULL;
    input->state = CAPTURE_INPUT_DONE;
}

static void
capture_input_free(CaptureInput *input)
{
    capture_input_close(input);
    g_free(input->info.path);
    g_free(input->info.format);
    g_free(input->info.linktype_name);
    g_free(input->info.truncation);
    g_free(input);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CaptureInput, capture_input_free)

/* ---- gzip through fopencookie ---- */

static void
capture_gzip_note_error(CaptureInput *input)
{
    int errnum = Z_OK;
    const char *message = gzerror(input->gz, &errnum);
    if (errnum == Z_OK || input->gz_error[0] != '\0')
        return;
    /* zlib names a gzdopen()ed stream "<fd:N>: "; the path is in our message already */
    const char *detail = g_str_has_prefix(message, "<fd:") ? strstr(message, ": ") : NULL;
    g_strlcpy(input->gz_error, detail != NULL ? detail + 2 : message, sizeof input->gz_error);
}

static ssize_t
capture_gzip_read(void *cookie, char *buf, size_t size)
{
    CaptureInput *input = cookie;
    int n = gzread(input->gz, buf, (unsigned) MIN(size, (size_t) G_MAXINT));
    /* a cut stream still returns what it inflated; zlib only says so in gzerror */
    capture_gzip_note_error(input);
    if (n < 0) {
        errno = EIO;
        return -1;
    }
    return n;
}

static int
capture_gzip_close(void *cookie)
{
    CaptureInput *input = cookie;
    /* Z_BUF_ERROR here only repeats a cut already reported */
    (void) gzclose(input->gz);
    input->gz = NULL;
    return 0;
}

static const cookie_io_functions_t capture_gzip_io = {
    .read = capture_gzip_read,
    .close = capture_gzip_close,
};

/* ---- opening ---- */

/* zlib's complaint when the gzip stream was the cause, for the packet source's messages */
static const char *
capture_gzip_cause(gpointer data)
{
    CaptureInput *input = data;
    if (input->gz_error[0] == '\0')
        return NULL;
    g_snprintf(input->gz_cause, sizeof input->gz_cause, "gzip: %s", input->gz_error);
    return input->gz_cause;
}

static const char *
capture_format_from_magic(const guint8 *head, gsize len)
{
    if (len < CAPTURE_MAGIC_LEN)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(capture_magics); i++) {
        if (memcmp(head, capture_magics[i].magic, CAPTURE_MAGIC_LEN) == 0)
            return capture_magics[i].format;
    }
    return NULL;
}

static void
capture_set_not_capture(GError **error, const char *path, gboolean is_gzip, const guint8 *head,
                        gsize len)
{
    PtlCursor cursor = ptl_cursor_init(head, MIN(len, CAPTURE_MAGIC_LEN));
    char hex[CAPTURE_MAGIC_LEN * 3] = "";
    gsize used = 0;
    while (ptl_cursor_remaining(&cursor) > 0) {
        const char *separator = used > 0 ? " " : "";
        used += (gsize) g_snprintf(hex + used, sizeof hex - used, "%s%02x", separator,
                                   ptl_cursor_u8(&cursor));
    }
    g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_FORMAT,
                "%s: not a pcap or pcapng capture%s (starts with %s)", path,
                is_gzip ? " inside gzip" : "", hex);
}

static const char *
capture_file_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a pipe (FIFO)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

/* An fd on a regular file, its size in *size; -1 with OPEN set otherwise.  A size of 0
 * is not taken as empty: /proc and /sys files say 0 and still have content, so the
 * content decides (capture_open_stream). */
static int
capture_open_regular(const char *path, guint64 *size, GError **error)
{
    /* O_NONBLOCK: a FIFO named by mistake must not block the open */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && strcmp(path, "-") == 0) {
        /* tcpdump's "-r -" */
        g_set_error_literal(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_OPEN,
                            "-: captures are not read from standard input: save the capture "
                            "to a file first");
        return -1;
    }
    if (fd < 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_OPEN, "%s: cannot open: %s",
                    path, g_strerror(errno));
        return -1;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = g_strerror(errno);
    else if (S_ISDIR(st.st_mode))
        why = g_strerror(EISDIR);
    else if (!S_ISREG(st.st_mode))
        why = capture_file_kind(st.st_mode);
    if (why != NULL) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_OPEN,
                    "%s: cannot open: %s%s", path, why,
                    S_ISDIR(st.st_mode) ? "" : ": save the capture to a file first");
        close(fd);
        return -1;
    }
    *size = (guint64) st.st_size;
    return fd;
}

/* Reads the first bytes of a gzip'd file's content and rewinds; FALSE with FORMAT/EMPTY set. */
static gboolean
capture_gzip_peek(CaptureInput *input, guint8 *head, gsize *len, GError **error)
{
    const char *path = input->info.path;
    int n = gzread(input->gz, head, CAPTURE_MAGIC_LEN);
    capture_gzip_note_error(input);
    if (n < 0 || (n < CAPTURE_MAGIC_LEN && input->gz_error[0] != '\0')) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_FORMAT, "%s: gzip: %s", path,
                    input->gz_error[0] ? input->gz_error : "unreadable stream");
        return FALSE;
    }
    if (n == 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_EMPTY,
                    "%s: empty file (0 bytes after gzip decompression)", path);
        return FALSE;
    }
    if (gzrewind(input->gz) != 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_OPEN, "%s: gzip: cannot rewind",
                    path);
        return FALSE;
    }
    *len = (gsize) n;
    return TRUE;
}

/* Wraps a gzip'd fd (taken over) in a stream of its content; head gets the content's start. */
static gboolean
capture_open_gzip(CaptureInput *input, int fd, guint8 *head, gsize *len, GError **error)
{
    input->gz = gzdopen(fd, "rb");
    if (input->gz == NULL) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_OPEN,
                    "%s: gzip: cannot start decompression", input->info.path);
        close(fd);
        return FALSE;
    }
    gzbuffer(input->gz, CAPTURE_GZIP_BUFFER);
    if (!capture_gzip_peek(input, head, len, error)) {
        g_clear_pointer(&input->gz, gzclose);
        return FALSE;
    }
    input->fp = fopencookie(input, "r", capture_gzip_io);
    if (input->fp == NULL) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_OPEN, "%s: cannot open: %s",
                    input->info.path, g_strerror(errno));
        g_clear_pointer(&input->gz, gzclose);
        return FALSE;
    }
    /* as for plain files: few, large inflates instead of one per small record */
    setvbuf(input->fp, NULL, _IOFBF, CAPTURE_READ_BUFFER);
    return TRUE;
}

/* Wraps a plain fd (taken over) in a stream. */
static gboolean
capture_open_plain(CaptureInput *input, int fd, GError **error)
{
    input->fp = fdopen(fd, "rb");
    if (input->fp == NULL) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_OPEN, "%s: cannot open: %s",
                    input->info.path, g_strerror(errno));
        close(fd);
        return FALSE;
    }
    /* libpcap reads each record with two small freads: a large buffer turns
     * them into few read(2) calls (stdio allocates it, fclose frees it) */
    setvbuf(input->fp, NULL, _IOFBF, CAPTURE_READ_BUFFER);
    return TRUE;
}

/* Opens the file into input->fp and names its format; FALSE with the error set. */
static gboolean
capture_open_stream(CaptureInput *input, GError **error)
{
    const char *path = input->info.path;
    int fd = capture_open_regular(path, &input->info.size, error);
    if (fd < 0)
        return FALSE;

    guint8 head[CAPTURE_MAGIC_LEN];
    ssize_t n = pread(fd, head, sizeof head, 0);
    if (n < 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_OPEN, "%s: cannot read: %s",
                    path, g_strerror(errno));
        close(fd);
        return FALSE;
    }
    gsize len = (gsize) n;
    if (len == 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_EMPTY,
                    input->info.size == 0 ? "%s: empty file (0 bytes)"
                                          : "%s: no bytes could be read", path);
        close(fd);
        return FALSE;
    }
    gboolean is_gzip = len >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    gboolean is_open = is_gzip ? capture_open_gzip(input, fd, head, &len, error)
                               : capture_open_plain(input, fd, error);
    if (!is_open)
        return FALSE;

    const char *format = capture_format_from_magic(head, len);
    if (format == NULL) {
        capture_set_not_capture(error, path, is_gzip, head, len);
        return FALSE;
    }
    input->info.format = g_strconcat(format, is_gzip ? "+gzip" : "", NULL);
    return TRUE;
}

static gboolean
capture_open_source(CaptureInput *input, const char *bpf, GError **error)
{
    input->source = ptl_source_open_file(input->fp, input->info.path, capture_gzip_cause, input,
                                         error);
    if (input->source == NULL)
        return FALSE;
    input->info.linktype = ptl_source_linktype(input->source);
    input->info.linktype_name = g_strdup(ptl_capture_linktype_name(input->info.linktype));
    return ptl_source_set_file_filter(input->source, bpf, error);
}

/* ---- reading ---- */

static void
capture_input_count(CaptureInput *input, const PtlPacket *pkt)
{
    PtlCaptureFile *info = &input->info;
    info->packets++;
    info->bytes += pkt->wirelen;
    if (info->packets == 1)
        info->first_ts_ns = pkt->ts_ns;
    info->last_ts_ns = pkt->ts_ns;
}

/* Ends the file at a cut or garbage record (the source said where); always returns -1. */
static int
capture_input_cut(CaptureInput *input, GError *cut, GError **error)
{
    input->info.truncated = TRUE;
    input->info.truncation = g_strdup(cut->message);
    g_propagate_error(error, cut);
    capture_input_close(input);
    return -1;
}

/* Reads up to the file's next packet that passes the filter: 1 pending, 0 end, -1 cut. */
static int
capture_input_advance(CaptureInput *input, GError **error)
{
    for (;;) {
        GError *cut = NULL;
        PtlSourceStatus status = ptl_source_next(input->source, &input->pending, &cut);
        if (status == PTL_SOURCE_END) {
            capture_input_close(input);
            return 0;
        }
        if (status != PTL_SOURCE_PACKET)
            return capture_input_cut(input, cut, error);

        capture_input_count(input, &input->pending);
        if (input->pending.caplen == 0) {
            input->info.empty_records++;     /* nothing to decode: counted, not handed out */
            continue;
        }
        if (!ptl_source_matches(input->source)) {
            input->info.filtered_out++;
            continue;
        }
        input->state = CAPTURE_INPUT_PENDING;
        return 1;
    }
}

static void
capture_input_deliver(CaptureInput *input, guint index, PtlPacket *out)
{
    *out = input->pending;
    out->file_index = index;
    input->state = CAPTURE_INPUT_NEEDS_READ;
}

static guint64
capture_input_consumed(const CaptureInput *input)
{
    if (input->state == CAPTURE_INPUT_DONE)
        return input->info.size;
    gint64 offset = input->gz != NULL ? (gint64) gzoffset(input->gz) : (gint64) ftell(input->fp);
    return offset > 0 ? MIN((guint64) offset, input->info.size) : 0;
}

/* ---- public ---- */

PtlCapture *
ptl_capture_new(void)
{
    PtlCapture *cap = g_new0(PtlCapture, 1);
    cap->inputs = g_ptr_array_new_with_free_func((GDestroyNotify) capture_input_free);
    return cap;
}

void
ptl_capture_free(PtlCapture *cap)
{
    if (cap == NULL)
        return;
    g_ptr_array_unref(cap->inputs);
    g_free(cap->filter);
    g_free(cap);
}

void
ptl_capture_set_filter(PtlCapture *cap, const char *bpf)
{
    g_return_if_fail(cap != NULL);
    g_free(cap->filter);
    cap->filter = bpf != NULL && bpf[0] != '\0' ? g_strdup(bpf) : NULL;
}

gboolean
ptl_capture_add_file(PtlCapture *cap, const char *path, GError **error)
{
    g_return_val_if_fail(cap != NULL, FALSE);
    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    g_autoptr(CaptureInput) input = capture_input_new(path);
    if (!capture_open_stream(input, error) || !capture_open_source(input, cap->filter, error))
        return FALSE;
    g_ptr_array_add(cap->inputs, g_steal_pointer(&input));
    return TRUE;
}

int
ptl_capture_next(PtlCapture *cap, PtlPacket *out, GError **error)
{
    g_return_val_if_fail(cap != NULL, -1);
    g_return_val_if_fail(out != NULL, -1);
    g_return_val_if_fail(error == NULL || *error == NULL, -1);

    for (guint i = 0; i < cap->inputs->len; i++) {
        CaptureInput *input = g_ptr_array_index(cap->inputs, i);
        if (input->state == CAPTURE_INPUT_NEEDS_READ && capture_input_advance(input, error) < 0)
            return -1;
    }

    CaptureInput *earliest = NULL;
    guint earliest_index = 0;
    for (guint i = 0; i < cap->inputs->len; i++) {
        CaptureInput *input = g_ptr_array_index(cap->inputs, i);
        /* strict: on a tie the lower file index wins */
        if (input->state == CAPTURE_INPUT_PENDING
            && (earliest == NULL || input->pending.ts_ns < earliest->pending.ts_ns)) {
            earliest = input;
            earliest_index = i;
        }
    }
    if (earliest == NULL)
        return 0;
    capture_input_deliver(earliest, earliest_index, out);
    return 1;
}

guint
ptl_capture_n_files(const PtlCapture *cap)
{
    g_return_val_if_fail(cap != NULL, 0);
    return cap->inputs->len;
}

const PtlCaptureFile *
ptl_capture_file(const PtlCapture *cap, guint index)
{
    g_return_val_if_fail(cap != NULL, NULL);
    g_return_val_if_fail(index < cap->inputs->len, NULL);
    const CaptureInput *input = g_ptr_array_index(cap->inputs, index);
    return &input->info;
}

double
ptl_capture_progress(const PtlCapture *cap)
{
    g_return_val_if_fail(cap != NULL, 0.0);
    guint64 total = 0;
    guint64 consumed = 0;
    for (guint i = 0; i < cap->inputs->len; i++) {
        const CaptureInput *input = g_ptr_array_index(cap->inputs, i);
        total += input->info.size;
        consumed += capture_input_consumed(input);
    }
    return total > 0 ? (double) consumed / (double) total : 0.0;
}

static const char *
capture_linktype_cache_lookup(int linktype)
{
    for (guint i = 0; i < CAPTURE_LINKTYPE_CACHE; i++) {
        const CaptureLinktypeName *entry = &capture_linktype_cache[i];
        if (entry->name != NULL && entry->linktype == linktype)
            return entry->name;
    }
    return NULL;
}

/* libpcap's static name, or an interned "DLT_<n>": both live as long as the process */
static const char *
capture_linktype_compute(int linktype)
{
    const char *known = pcap_datalink_val_to_name(linktype);
    if (known != NULL)
        return known;
    char unknown[32];
    g_snprintf(unknown, sizeof unknown, "DLT_%d", linktype);
    return g_intern_string(unknown);
}

const char *
ptl_capture_linktype_name(int linktype)
{
    G_LOCK(capture_linktype_cache);
    const char *name = capture_linktype_cache_lookup(linktype);
    if (name == NULL) {
        name = capture_linktype_compute(linktype);
        CaptureLinktypeName *slot = &capture_linktype_cache[capture_linktype_cache_next];
        slot->linktype = linktype;
        slot->name = name;
        capture_linktype_cache_next = (capture_linktype_cache_next + 1) % CAPTURE_LINKTYPE_CACHE;
    }
    G_UNLOCK(capture_linktype_cache);
    return name;
}
