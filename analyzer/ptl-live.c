/* ptl-live.c: capturing from an interface, the signal flags, the read loop and
 * the findings reported as they occur.  The loop polls the capture descriptor
 * with a timeout, so timers, signals and an idle link all get their turn. */
#include "ptl-live.h"

#include "ptl-community-id.h"
#include "ptl-flow-json.h"

#include <errno.h>
#include <gio/gio.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define LIVE_BATCH       512      /* packets per pcap_dispatch: bounds the wait for a tick */
#define LIVE_IDLE_SLEEP_US 10000  /* sources without a descriptor (in-memory savefiles) */

/* ---- opening --------------------------------------------------------------- */

static void
live_activate_error(pcap_t *p, const char *device, int rc, GError **error)
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
live_set_filter(pcap_t *p, const char *filter, GError **error)
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

pcap_t *
ptl_live_open(const PtlLiveConfig *cfg, char **warning, GError **error)
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
        live_activate_error(p, cfg->device, rc, error);
        pcap_close(p);
        return NULL;
    }
    if (rc > 0 && warning != NULL)
        *warning = g_strdup_printf("%s: %s", cfg->device, pcap_statustostr(rc));
    if (!live_set_filter(p, cfg->filter, error)) {
        pcap_close(p);
        return NULL;
    }
    if (pcap_setnonblock(p, 1, errbuf) != 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE, "%s: %s", cfg->device,
                    errbuf);
        pcap_close(p);
        return NULL;
    }
    return p;
}

static void
live_print_flags(FILE *out, bpf_u_int32 flags)
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
ptl_live_list_interfaces(FILE *out, GError **error)
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
        live_print_flags(out, d->flags);
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

gboolean
ptl_live_drop_privileges(const char *user, GError **error)
{
    g_return_val_if_fail(user != NULL, FALSE);
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "-Z %s: no such user", user);
        return FALSE;
    }
    const char *step = NULL;
    if (initgroups(pw->pw_name, pw->pw_gid) != 0)
        step = "setgroups";
    else if (setgid(pw->pw_gid) != 0)
        step = "setgid";
    else if (setuid(pw->pw_uid) != 0)
        step = "setuid";
    if (step != NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "-Z %s: cannot drop privileges: %s: %s (portolan must start as root to "
                    "change user)", user, step, g_strerror(errno));
        return FALSE;
    }
    /* a process that could get root back has not dropped anything */
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "-Z %s: root could be regained after the switch", user);
        return FALSE;
    }
    return TRUE;
}

gboolean
ptl_live_check_interface(const char *device, GError **error)
{
    if (device == NULL || strcmp(device, "any") == 0)
        return TRUE;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return TRUE;    /* cannot tell: the read itself will fail if it is gone */
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    g_strlcpy(ifr.ifr_name, device, sizeof ifr.ifr_name);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    int saved = errno;
    close(fd);
    if (rc != 0 && (saved == ENODEV || saved == ENXIO)) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE,
                    "%s: the interface is gone", device);
        return FALSE;
    }
    if (rc == 0 && (ifr.ifr_flags & IFF_UP) == 0) {
        g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE,
                    "%s: the interface went down", device);
        return FALSE;
    }
    return TRUE;
}

gboolean
ptl_live_kernel_stats(pcap_t *p, PtlLiveKernelStats *out)
{
    struct pcap_stat st;
    memset(out, 0, sizeof *out);
    if (pcap_file(p) != NULL || pcap_stats(p, &st) != 0)
        return FALSE;
    out->received = st.ps_recv;
    out->dropped = st.ps_drop;
    out->if_dropped = st.ps_ifdrop;
    return TRUE;
}

/* ---- signals --------------------------------------------------------------- */

static volatile sig_atomic_t live_stop_flag;
static volatile sig_atomic_t live_interim_flag;

static const int live_stop_signals[] = { SIGINT, SIGTERM };
static const int live_interim_signals[] = { SIGHUP, SIGUSR1 };
static struct sigaction live_saved_stop[G_N_ELEMENTS(live_stop_signals)];
static struct sigaction live_saved_interim[G_N_ELEMENTS(live_interim_signals)];
static gboolean live_is_installed;

static void
live_on_stop(int sig)
{
    if (live_stop_flag) {
        static const char msg[] = "\nportolan: interrupted again: exiting without a report\n";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
            /* nothing more can be done in a signal handler */
        }
        _exit(PTL_LIVE_EXIT_INTERRUPTED);
    }
    live_stop_flag = 1;
}

static void
live_on_interim(int sig)
{
    live_interim_flag = 1;
}

static void
live_install(const int *signals, guint n, void (*handler)(int), struct sigaction *saved)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;     /* no SA_RESTART: poll() returns EINTR and the loop looks */
    for (guint i = 0; i < n; i++)
        sigaction(signals[i], &sa, &saved[i]);
}

void
ptl_live_signals_install(void)
{
    g_return_if_fail(!live_is_installed);
    live_install(live_stop_signals, G_N_ELEMENTS(live_stop_signals), live_on_stop,
                 live_saved_stop);
    live_install(live_interim_signals, G_N_ELEMENTS(live_interim_signals), live_on_interim,
                 live_saved_interim);
    live_is_installed = TRUE;
}

void
ptl_live_signals_restore(void)
{
    if (!live_is_installed)
        return;
    for (guint i = 0; i < G_N_ELEMENTS(live_stop_signals); i++)
        sigaction(live_stop_signals[i], &live_saved_stop[i], NULL);
    for (guint i = 0; i < G_N_ELEMENTS(live_interim_signals); i++)
        sigaction(live_interim_signals[i], &live_saved_interim[i], NULL);
    live_is_installed = FALSE;
}

gboolean
ptl_live_stop_requested(void)
{
    return live_stop_flag != 0;
}

gboolean
ptl_live_take_interim_request(void)
{
    if (!live_interim_flag)
        return FALSE;
    live_interim_flag = 0;
    return TRUE;
}

void
ptl_live_signals_reset(void)
{
    live_stop_flag = 0;
    live_interim_flag = 0;
}

/* ---- the read loop ---------------------------------------------------------- */

typedef struct {
    const PtlLiveLoop *loop;
    pcap_t            *pcap;
    gint64             deadline_us;  /* 0: none */
    int                linktype;
    gint64             ts_scale;    /* 1000 for microsecond timestamps, 1 for nanosecond */
    guint64            seen;
    gint64             last_ts_ns;
} LiveDispatch;

static void
live_handler(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    LiveDispatch *d = (LiveDispatch *) user;
    PtlPacket pkt = {
        .ts_ns = (gint64) hdr->ts.tv_sec * G_GINT64_CONSTANT(1000000000) +
                 (gint64) hdr->ts.tv_usec * d->ts_scale,
        .caplen = hdr->caplen,
        .wirelen = hdr->len,
        .data = bytes,
        .linktype = d->linktype,
        .file_index = 0,
        .number = ++d->seen,
    };
    d->last_ts_ns = pkt.ts_ns;
    d->loop->on_packet(d->loop->user_data, &pkt, hdr);
    /* a batch can be long: stop inside it, the loop then says why */
    if (ptl_live_stop_requested() ||
        (d->deadline_us > 0 && g_get_monotonic_time() >= d->deadline_us))
        pcap_breakloop(d->pcap);
}

static void
live_wait(int fd, gint64 timeout_us)
{
    timeout_us = CLAMP(timeout_us, 1000, G_USEC_PER_SEC);
    if (fd < 0) {
        g_usleep((gulong) MIN(timeout_us, LIVE_IDLE_SLEEP_US));
        return;
    }
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    /* EINTR is the point: a signal ends the wait and the loop looks at the flags */
    (void) poll(&pfd, 1, (int) (timeout_us / 1000));
}

/* what is left of the wait before the next tick or the end of --duration */
static gint64
live_timeout_us(const PtlLiveLoop *loop, gint64 start, gint64 now, gint64 next_tick)
{
    gint64 timeout = next_tick - now;
    if (loop->duration_us > 0)
        timeout = MIN(timeout, start + loop->duration_us - now);
    return timeout;
}

static gboolean
live_tick(const PtlLiveLoop *loop, const LiveDispatch *d, gboolean is_savefile, GError **error)
{
    if (!is_savefile && !ptl_live_check_interface(loop->device, error))
        return FALSE;
    if (loop->on_tick != NULL)
        loop->on_tick(loop->user_data,
                      is_savefile ? d->last_ts_ns : g_get_real_time() * G_GINT64_CONSTANT(1000));
    return TRUE;
}

PtlLiveEnd
ptl_live_run(pcap_t *p, const PtlLiveLoop *loop, GError **error)
{
    g_return_val_if_fail(p != NULL && loop != NULL && loop->on_packet != NULL,
                         PTL_LIVE_END_INTERFACE);
    gboolean is_nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    gint64 start = g_get_monotonic_time();
    LiveDispatch d = { loop, p, loop->duration_us > 0 ? start + loop->duration_us : 0,
                       pcap_datalink(p), is_nano ? 1 : 1000, 0, 0 };
    gboolean is_savefile = pcap_file(p) != NULL;
    int fd = pcap_get_selectable_fd(p);
    gint64 tick_us = loop->tick_us > 0 ? loop->tick_us : G_USEC_PER_SEC;
    gint64 next_tick = start + tick_us;
    for (;;) {
        if (ptl_live_stop_requested())
            return PTL_LIVE_END_SIGNAL;
        if (loop->on_interim != NULL && ptl_live_take_interim_request())
            loop->on_interim(loop->user_data);
        gint64 now = g_get_monotonic_time();
        if (loop->duration_us > 0 && now - start >= loop->duration_us)
            return PTL_LIVE_END_DURATION;
        if (now >= next_tick) {
            next_tick = now + tick_us;
            if (!live_tick(loop, &d, is_savefile, error))
                return PTL_LIVE_END_INTERFACE;
        }
        int budget = LIVE_BATCH;
        if (loop->max_packets > 0)
            budget = (int) MIN((guint64) budget, loop->max_packets - d.seen);
        int n = pcap_dispatch(p, budget, live_handler, (u_char *) &d);
        if (n < 0 && n != PCAP_ERROR_BREAK) {
            g_set_error(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_LIVE, "%s: %s",
                        loop->device != NULL ? loop->device : "capture", pcap_geterr(p));
            return PTL_LIVE_END_INTERFACE;
        }
        if (loop->max_packets > 0 && d.seen >= loop->max_packets)
            return PTL_LIVE_END_COUNT;
        if (n == 0 && is_savefile)
            return PTL_LIVE_END_INPUT;
        if (n == 0)
            live_wait(fd, live_timeout_us(loop, start, g_get_monotonic_time(), next_tick));
    }
}

const char *
ptl_live_end_name(PtlLiveEnd end)
{
    static const char *const names[] = {
        "signal", "duration", "count", "end of input", "interface failure",
    };
    return (guint) end < G_N_ELEMENTS(names) ? names[end] : "unknown";
}

/* ---- findings as they occur -------------------------------------------------- */

typedef struct {
    PtlAddr client, server;
    guint16 port;
    guint8  transport;
    guint8  kind;
} LiveEventKey;

typedef struct {
    LiveEventKey key;
    gint64       first_ts_ns;
    guint64      count;
} LiveEvent;

struct _PtlLiveEvents {
    PtlLiveEventsConfig cfg;
    GHashTable         *seen;      /* LiveEvent* set */
    GArray             *pending;   /* PtlFlowRecord */
    JsonBuilder        *builder;
    JsonGenerator      *generator;
    PtlLiveEventCounts  counts;
};

static guint
live_addr_hash(const PtlAddr *a, guint h)
{
    guint n = a->family == 4 ? 4 : 16;
    h = h * 31 + a->family;
    for (guint i = 0; i < n; i++)
        h = h * 31 + a->bytes[i];
    return h;
}

static guint
live_event_hash(gconstpointer p)
{
    const LiveEventKey *k = &((const LiveEvent *) p)->key;
    guint h = live_addr_hash(&k->client, 17);
    h = live_addr_hash(&k->server, h);
    return ((h * 31 + k->port) * 31 + k->transport) * 31 + k->kind;
}

static gboolean
live_event_equal(gconstpointer pa, gconstpointer pb)
{
    const LiveEventKey *a = &((const LiveEvent *) pa)->key;
    const LiveEventKey *b = &((const LiveEvent *) pb)->key;
    return a->port == b->port && a->transport == b->transport && a->kind == b->kind &&
           ptl_addr_equal(&a->client, &b->client) && ptl_addr_equal(&a->server, &b->server);
}

PtlLiveEvents *
ptl_live_events_new(const PtlLiveEventsConfig *cfg)
{
    g_return_val_if_fail(cfg != NULL && cfg->judge != NULL, NULL);
    PtlLiveEvents *ev = g_new0(PtlLiveEvents, 1);
    ev->cfg = *cfg;
    if (ev->cfg.max_events == 0)
        ev->cfg.max_events = PTL_LIVE_EVENTS_MAX;
    if (ev->cfg.max_pending == 0)
        ev->cfg.max_pending = PTL_LIVE_PENDING_MAX;
    ev->seen = g_hash_table_new_full(live_event_hash, live_event_equal, g_free, NULL);
    ev->pending = g_array_new(FALSE, FALSE, sizeof(PtlFlowRecord));
    ev->builder = json_builder_new();
    ev->generator = json_generator_new();
    return ev;
}

void
ptl_live_events_free(PtlLiveEvents *ev)
{
    if (ev == NULL)
        return;
    g_hash_table_unref(ev->seen);
    g_array_unref(ev->pending);
    g_object_unref(ev->builder);
    g_object_unref(ev->generator);
    g_free(ev);
}

void
ptl_live_events_queue(PtlLiveEvents *ev, const PtlFlowRecord *rec)
{
    if (ev->pending->len >= ev->cfg.max_pending) {
        ev->counts.not_judged++;
        return;
    }
    g_array_append_val(ev->pending, *rec);
}

guint
ptl_live_events_pending(const PtlLiveEvents *ev)
{
    return ev->pending->len;
}

const PtlLiveEventCounts *
ptl_live_events_counts(const PtlLiveEvents *ev)
{
    return &ev->counts;
}

static gboolean
live_kind_parse(const char *name, guint8 *out)
{
    for (guint k = 0; name != NULL && k < PTL_FINDING_KIND_COUNT; k++) {
        if (strcmp(name, ptl_finding_kind_name((PtlFindingKind) k)) == 0) {
            *out = (guint8) k;
            return TRUE;
        }
    }
    return FALSE;
}

/* a string member, or NULL when missing, null or not a string */
static const char *
live_string_member(JsonObject *o, const char *name)
{
    JsonNode *node = json_object_get_member(o, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static void
live_json_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

typedef struct {
    const char *product, *service;
} LiveTag;

/* What the judge said of one finding beyond its kind (NULL when it gave only the kind). */
typedef struct {
    const char *severity, *message, *state, *connection;
} LiveFindingText;

static void
live_write_json(PtlLiveEvents *ev, const LiveEvent *e, const PtlFlowRecord *rec,
                const LiveTag *tag, const LiveFindingText *text)
{
    char ts[PTL_TS_STRLEN], client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
    JsonBuilder *b = ev->builder;
    json_builder_reset(b);
    json_builder_begin_object(b);
    live_json_string(b, "schema", PTL_FLOW_SCHEMA);
    live_json_string(b, "event_type", "event");
    live_json_string(b, "ts", ptl_ts_format(e->first_ts_ns, ts));
    live_json_string(b, "kind", ptl_finding_kind_name((PtlFindingKind) e->key.kind));
    live_json_string(b, "severity", text->severity);
    live_json_string(b, "client", ptl_addr_to_string(&e->key.client, client));
    live_json_string(b, "server", ptl_addr_to_string(&e->key.server, server));
    json_builder_set_member_name(b, "port");
    json_builder_add_int_value(b, e->key.port);
    live_json_string(b, "transport", e->key.transport == PTL_TRANSPORT_UDP ? "udp" : "tcp");
    live_json_string(b, "product", tag->product);
    live_json_string(b, "service", tag->service);
    live_json_string(b, "protocol", rec->protocol);
    live_json_string(b, "state", text->state != NULL ? text->state
                                                     : ptl_flow_state_name(rec->state));
    live_json_string(b, "connection", text->connection);
    live_json_string(b, "message", text->message);
    /* mechanism and user only: the record never holds the secret itself */
    if (e->key.kind == PTL_FINDING_CLEARTEXT_CREDENTIALS && rec->auth_detail[0] != '\0')
        live_json_string(b, "auth", rec->auth_detail);
    json_builder_set_member_name(b, "flow_id");
    json_builder_add_int_value(b, (gint64) rec->id);
    char community_id[PTL_COMMUNITY_ID_STRLEN];   /* of the example flow, flow_id */
    live_json_string(b, "community_id", ptl_community_id_flow(&rec->client, rec->client_port,
                     &rec->server, rec->server_port, rec->transport, community_id));
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    if (ev->cfg.format != NULL) {
        ptl_format_writer_event(ev->cfg.format, json_node_get_object(root));
        return;
    }
    json_generator_set_root(ev->generator, root);
    g_autofree char *line = json_generator_to_data(ev->generator, NULL);
    fprintf(ev->cfg.json, "%s\n", line);
    fflush(ev->cfg.json);
}

static void
live_print_line(PtlLiveEvents *ev, const LiveEvent *e, const LiveTag *tag,
                const LiveFindingText *text)
{
    char ts[PTL_TS_STRLEN], client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
    /* the labels of the analyze report: INFO, WARN, ERROR */
    const char *sev = text->severity != NULL ? text->severity : "-";
    g_autofree char *severity = g_ascii_strup(strcmp(sev, "warning") == 0 ? "warn" : sev, -1);
    fprintf(ev->cfg.lines, "%s  %-7s %-22s %s -> %s %s/%u  %s %s\n",
            ptl_ts_format(e->first_ts_ns, ts), severity,
            ptl_finding_kind_name((PtlFindingKind) e->key.kind),
            ptl_addr_to_string(&e->key.client, client), ptl_addr_to_string(&e->key.server, server),
            e->key.transport == PTL_TRANSPORT_UDP ? "udp" : "tcp", e->key.port,
            tag->product != NULL ? tag->product : "-", tag->service != NULL ? tag->service : "-");
    if (text->message != NULL)
        fprintf(ev->cfg.lines, "           %s\n", text->message);
}

/* TRUE when this (kind, client, server, port) is new */
static gboolean
live_events_note(PtlLiveEvents *ev, const PtlFlowRecord *rec, guint8 kind, const LiveTag *tag,
                 const LiveFindingText *text)
{
    ev->counts.occurrences++;
    LiveEvent probe = { { rec->client, rec->server, rec->server_port, rec->transport, kind },
                        rec->first_ts_ns, 1 };
    LiveEvent *e = g_hash_table_lookup(ev->seen, &probe);
    if (e != NULL) {
        e->count++;
        e->first_ts_ns = MIN(e->first_ts_ns, rec->first_ts_ns);
        return FALSE;
    }
    if (g_hash_table_size(ev->seen) >= ev->cfg.max_events) {
        ev->counts.not_remembered++;
        return FALSE;
    }
    e = g_memdup2(&probe, sizeof probe);
    g_hash_table_add(ev->seen, e);
    ev->counts.distinct++;
    if (ev->cfg.lines != NULL)
        live_print_line(ev, e, tag, text);
    if (ev->cfg.json != NULL)
        live_write_json(ev, e, rec, tag, text);
    return TRUE;
}

static guint
live_events_judge(PtlLiveEvents *ev, const PtlFlowRecord *rec)
{
    json_builder_reset(ev->builder);
    json_builder_begin_object(ev->builder);
    ev->cfg.judge(ev->cfg.judge_data, rec, ev->builder);
    json_builder_end_object(ev->builder);
    g_autoptr(JsonNode) root = json_builder_get_root(ev->builder);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return 0;
    JsonObject *o = json_node_get_object(root);
    LiveTag tag = { live_string_member(o, "product"), live_string_member(o, "service") };
    JsonNode *findings = json_object_get_member(o, "findings");
    if (findings == NULL || !JSON_NODE_HOLDS_ARRAY(findings))
        return 0;
    JsonArray *kinds = json_node_get_array(findings);
    guint fresh = 0;
    for (guint i = 0; i < json_array_get_length(kinds); i++) {
        JsonNode *item = json_array_get_element(kinds, i);
        guint8 kind;
        LiveFindingText text = { NULL };
        const char *name = NULL;
        if (JSON_NODE_HOLDS_OBJECT(item)) {
            JsonObject *f = json_node_get_object(item);
            name = live_string_member(f, "kind");
            text = (LiveFindingText) { live_string_member(f, "severity"),
                                       live_string_member(f, "message"),
                                       live_string_member(f, "state"),
                                       live_string_member(f, "connection") };
        } else if (JSON_NODE_HOLDS_VALUE(item) &&
                   json_node_get_value_type(item) == G_TYPE_STRING) {
            name = json_node_get_string(item);
        }
        if (live_kind_parse(name, &kind))
            fresh += live_events_note(ev, rec, kind, &tag, &text);
    }
    return fresh;
}

guint
ptl_live_events_flush(PtlLiveEvents *ev)
{
    guint fresh = 0;
    for (guint i = 0; i < ev->pending->len; i++)
        fresh += live_events_judge(ev, &g_array_index(ev->pending, PtlFlowRecord, i));
    g_array_set_size(ev->pending, 0);
    if (fresh > 0 && ev->cfg.lines != NULL)
        fflush(ev->cfg.lines);
    return fresh;
}

void
ptl_live_judge_verdict(gpointer verdict, const PtlFlowRecord *rec, JsonBuilder *b)
{
    ptl_verdict_judge_flow_findings(verdict, rec, b);
}
