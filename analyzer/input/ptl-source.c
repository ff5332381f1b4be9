/* ptl-source.c: the packet source on a capture file or an interface, and the
 * only file where libpcap's error text becomes a GError. */
#include "ptl-source.h"

#include <string.h>

#define SOURCE_NS_PER_SEC G_GUINT64_CONSTANT(1000000000)

struct _PtlSource {
    pcap_t             *pcap;       /* owns a file's FILE* */
    char               *name;       /* path or device: starts every message */
    gboolean            is_file;
    int                 linktype;
    guint64             ts_scale;   /* to nanoseconds: 1 (nano precision) or 1000 */
    PtlSourceCauseFunc  cause;
    gpointer            cause_data;
    struct bpf_program  filter;     /* a file's; an interface filters in the kernel */
    gboolean            has_filter;
    guint64             records;
    struct pcap_pkthdr *hdr;        /* the last packet, in libpcap's buffer */
    const u_char       *data;
};

static PtlSource *
source_new(pcap_t *p, const char *name, gboolean is_file)
{
    PtlSource *src = g_new0(PtlSource, 1);
    src->pcap = p;
    src->name = g_strdup(name);
    src->is_file = is_file;
    src->linktype = pcap_datalink(p);
    src->ts_scale = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    return src;
}

void
ptl_source_free(PtlSource *src)
{
    if (src == NULL)
        return;
    if (src->has_filter)
        pcap_freecode(&src->filter);
    pcap_close(src->pcap);
    g_free(src->name);
    g_free(src);
}

/* libpcap's complaint, with the caller's part of the cause when it has one (transfer full) */
static char *
source_describe(const PtlSource *src, const char *pcap_what)
{
    const char *cause = src->cause != NULL ? src->cause(src->cause_data) : NULL;
    if (cause == NULL || cause[0] == '\0')
        return g_strdup(pcap_what != NULL ? pcap_what : "");
    if (pcap_what == NULL || pcap_what[0] == '\0')
        return g_strdup(cause);
    return g_strdup_printf("%s (%s)", pcap_what, cause);
}

/* ---- files ------------------------------------------------------------------ */

PtlSource *
ptl_source_open_file(FILE *fp, const char *name, PtlSourceCauseFunc cause, gpointer cause_data,
                     GError **error)
{
    g_return_val_if_fail(fp != NULL && name != NULL, NULL);
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    PtlSource probe = { .cause = cause, .cause_data = cause_data };
    if (p == NULL) {
        g_autofree char *what = source_describe(&probe, errbuf);
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_FORMAT, "%s: %s", name, what);
        return NULL;
    }
    PtlSource *src = source_new(p, name, TRUE);
    src->cause = cause;
    src->cause_data = cause_data;
    return src;
}

gboolean
ptl_source_set_file_filter(PtlSource *src, const char *bpf, GError **error)
{
    g_return_val_if_fail(src != NULL && src->is_file && !src->has_filter, FALSE);
    if (bpf == NULL)
        return TRUE;
    if (pcap_compile(src->pcap, &src->filter, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_FILTER, "%s: filter '%s': %s",
                    src->name, bpf, pcap_geterr(src->pcap));
        return FALSE;
    }
    src->has_filter = TRUE;
    return TRUE;
}

gboolean
ptl_source_matches(const PtlSource *src)
{
    return !src->has_filter || src->hdr == NULL ||
           pcap_offline_filter(&src->filter, src->hdr, src->data) != 0;
}

/* ---- interfaces --------------------------------------------------------------- */

static void
source_activate_error(pcap_t *p, const char *device, int rc, GError **error)
{
    const char *what;
    switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
        what = "permission denied: capturing needs root or the CAP_NET_RAW capability "
               "(setcap cap_net_raw,cap_net_admin=eip on the binary)";
        break;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        what = "not allowed to turn on promiscuous mode (needs CAP_NET_ADMIN); try --no-promisc";
        break;
    case PCAP_ERROR_NO_SUCH_DEVICE:
        what = "no such interface (portolan live -D lists them)";
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        what = "the interface is down";
        break;
    default:
        what = pcap_geterr(p);
        if (what == NULL || *what == '\0')
            what = pcap_statustostr(rc);
        break;
    }
    g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE, "%s: %s", device, what);
}

static gboolean
source_set_interface_filter(pcap_t *p, const char *filter, GError **error)
{
    if (filter == NULL || *filter == '\0')
        return TRUE;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_FILTER, "-f '%s': %s", filter,
                    pcap_geterr(p));
        return FALSE;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_FILTER, "-f '%s': %s", filter,
                    pcap_geterr(p));
        return FALSE;
    }
    return TRUE;
}

PtlSource *
ptl_source_open_interface(const PtlLiveConfig *cfg, char **warning, GError **error)
{
    g_return_val_if_fail(cfg != NULL && cfg->device != NULL, NULL);
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(cfg->device, errbuf);
    if (p == NULL) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE, "%s: %s", cfg->device,
                    errbuf);
        return NULL;
    }
    int kib = cfg->buffer_kib > 0 ? cfg->buffer_kib : PTL_LIVE_BUFFER_KIB_DEFAULT;
    pcap_set_snaplen(p, cfg->snaplen > 0 ? cfg->snaplen : PTL_LIVE_SNAPLEN_DEFAULT);
    pcap_set_promisc(p, cfg->is_promisc ? 1 : 0);
    pcap_set_buffer_size(p, (int) MIN((gint64) kib * 1024, G_MAXINT));
    pcap_set_timeout(p, PTL_LIVE_TIMEOUT_MS);
    if (cfg->is_immediate)
        pcap_set_immediate_mode(p, 1);
    int rc = pcap_activate(p);
    if (rc < 0) {
        source_activate_error(p, cfg->device, rc, error);
        pcap_close(p);
        return NULL;
    }
    if (rc > 0 && warning != NULL)
        *warning = g_strdup_printf("%s: %s", cfg->device, pcap_statustostr(rc));
    if (!source_set_interface_filter(p, cfg->filter, error)) {
        pcap_close(p);
        return NULL;
    }
    if (pcap_setnonblock(p, 1, errbuf) != 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE, "%s: %s", cfg->device,
                    errbuf);
        pcap_close(p);
        return NULL;
    }
    return source_new(p, cfg->device, FALSE);
}


static void
source_print_flags(FILE *out, bpf_u_int32 flags)
{
    static const struct { bpf_u_int32 mask, value; const char *name; } names[] = {
        { PCAP_IF_UP, PCAP_IF_UP, "Up" },
        { PCAP_IF_RUNNING, PCAP_IF_RUNNING, "Running" },
        { PCAP_IF_WIRELESS, PCAP_IF_WIRELESS, "Wireless" },
        { PCAP_IF_LOOPBACK, PCAP_IF_LOOPBACK, "Loopback" },
        { PCAP_IF_CONNECTION_STATUS, PCAP_IF_CONNECTION_STATUS_CONNECTED, "Connected" },
        { PCAP_IF_CONNECTION_STATUS, PCAP_IF_CONNECTION_STATUS_DISCONNECTED, "Disconnected" },
    };
    const char *sep = " [";
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if ((flags & names[i].mask) == names[i].value) {
            fprintf(out, "%s%s", sep, names[i].name);
            sep = ", ";
        }
    }
    if (*sep == ',')
        fputc(']', out);
}

gboolean
ptl_source_list_interfaces(FILE *out, GError **error)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *devs = NULL;
    if (pcap_findalldevs(&devs, errbuf) != 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE, "-D: %s", errbuf);
        return FALSE;
    }
    guint n = 0;
    for (pcap_if_t *d = devs; d != NULL; d = d->next) {
        fprintf(out, "%u.%s", ++n, d->name);
        if (d->description != NULL)
            fprintf(out, " (%s)", d->description);
        source_print_flags(out, d->flags);
        fputc('\n', out);
    }
    pcap_freealldevs(devs);
    if (n == 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE,
                    "-D: no interface found (capturing may need root or CAP_NET_RAW)");
        return FALSE;
    }
    return TRUE;
}


/* ---- reading ------------------------------------------------------------------ */

/* pcapng stamps are 64-bit in any unit: clamp what does not fit in int64 nanoseconds */
static gint64
source_ts_ns(const struct timeval *ts, guint64 scale)
{
    if (ts->tv_sec < 0 || ts->tv_usec < 0)
        return 0;
    guint64 ns, frac;
    if (!g_uint64_checked_mul(&ns, (guint64) ts->tv_sec, SOURCE_NS_PER_SEC)
        || !g_uint64_checked_mul(&frac, (guint64) ts->tv_usec, scale)
        || !g_uint64_checked_add(&ns, ns, frac) || ns > G_MAXINT64)
        return G_MAXINT64;
    return (gint64) ns;
}

static PtlSourceStatus
source_fail(PtlSource *src, const char *pcap_what, GError **error)
{
    g_autofree char *what = source_describe(src, pcap_what);
    if (src->is_file)
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_TRUNCATED,
                    "%s: packet %" G_GUINT64_FORMAT
                    ": %s: file cut here, analyzing what came before",
                    src->name, src->records + 1, what);
    else
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE, "%s: %s", src->name, what);
    return PTL_SOURCE_ERROR;
}

PtlSourceStatus
ptl_source_next(PtlSource *src, PtlPacket *out, GError **error)
{
    g_return_val_if_fail(src != NULL && out != NULL, PTL_SOURCE_ERROR);
    src->hdr = NULL;
    src->data = NULL;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex(src->pcap, &hdr, &data);
    if (rc == 0)
        return PTL_SOURCE_IDLE;
    if (rc == PCAP_ERROR_BREAK && src->is_file) {
        const char *cause = src->cause != NULL ? src->cause(src->cause_data) : NULL;
        return cause != NULL && cause[0] != '\0' ? source_fail(src, NULL, error)
                                                  : PTL_SOURCE_END;
    }
    if (rc != 1)
        return source_fail(src, pcap_geterr(src->pcap), error);
    src->hdr = hdr;
    src->data = data;
    *out = (PtlPacket) {
        .ts_ns = source_ts_ns(&hdr->ts, src->ts_scale),
        .caplen = hdr->caplen,
        /* a record claiming fewer wire bytes than it holds is garbage: what it holds is the floor */
        .wirelen = MAX(hdr->len, hdr->caplen),
        .data = data,
        .linktype = src->linktype,
        .file_index = 0,
        .number = ++src->records,
    };
    return PTL_SOURCE_PACKET;
}

const struct pcap_pkthdr *
ptl_source_header(const PtlSource *src)
{
    return src->hdr;
}

gboolean
ptl_source_is_file(const PtlSource *src)
{
    return src->is_file;
}

int
ptl_source_linktype(const PtlSource *src)
{
    return src->linktype;
}

int
ptl_source_snaplen(const PtlSource *src)
{
    return pcap_snapshot(src->pcap);
}

int
ptl_source_fd(const PtlSource *src)
{
    return pcap_get_selectable_fd(src->pcap);
}

gboolean
ptl_source_kernel_stats(const PtlSource *src, PtlLiveKernelStats *out)
{
    struct pcap_stat st;
    memset(out, 0, sizeof *out);
    if (src->is_file || pcap_stats(src->pcap, &st) != 0)
        return FALSE;
    out->received = st.ps_recv;
    out->dropped = st.ps_drop;
    out->if_dropped = st.ps_ifdrop;
    return TRUE;
}
