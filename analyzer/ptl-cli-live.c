/* ptl-cli-live.c: `portolan live -i IFACE [OPTIONS]`: the analyze pipeline on an
 * interface, findings printed as they occur, the same report at the end. */
#include "ptl-cli.h"
#include "ptl-records.h"

#include "ptl-live.h"
#include "ptl-ring.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIVE_REFRESH_US        (5 * G_USEC_PER_SEC)   /* engine refresh, events judged */
/* A fact a finding rests on (a clear-text login) is judged this soon on an open flow */
#define LIVE_URGENT_US         (200 * 1000)
#define LIVE_TICK_US           (250 * 1000)
#define LIVE_STATUS_TTY_US     (2 * G_USEC_PER_SEC)   /* status line on a terminal */
#define LIVE_STATS_DEFAULT_S   60                     /* summary lines otherwise */
#define LIVE_MAX_FILE_MB       (1024 * 1024)          /* -C: 1 TB is plenty */
#define LIVE_MAX_FILES         1000000                /* -W */

static const char live_summary[] =
    "Captures from an interface (a switch's mirror port, or a cluster node) and\n"
    "reports, as traffic happens, the same flows and findings as `analyze`.\n"
    "\n"
    "Examples:\n"
    "  portolan live -D\n"
    "  portolan live -i eth1 --product sisense --nodes 10.0.0.11-10.0.0.13\n"
    "  portolan live -i any -f 'not port 22' --events findings.jsonl --duration 3600\n"
    "  portolan live -i eth1 -w /var/tmp/mirror.pcap -C 100 -W 10 -Z nobody\n"
    "\n"
    "Ends on SIGINT/SIGTERM, --duration or -c, then writes the report as analyze\n"
    "does; a second SIGINT exits at once (status 2, no report).  SIGHUP or SIGUSR1\n"
    "writes an interim report of the flows ended so far and goes on.\n"
    "\n"
    "Options are checked as analyze checks them (ranges, conflicts, outputs), and\n"
    "--events - is not taken with --json - or --flows -, nor --events with --no-rules.\n"
    "\n"
    "Exit status: 0 no findings at or above --fail-on, 1 there are, 2 could not\n"
    "capture, the interface went down or away, or interrupted twice.";

#define LIVE_MAX_SNAPLEN       PTL_LIVE_SNAPLEN_DEFAULT
#define LIVE_MAX_BUFFER_KIB    (1024 * 1024)          /* -B: 1 GiB */
#define LIVE_MAX_DURATION_S    1e9
#define LIVE_MIN_DURATION_S    0.001
#define LIVE_MAX_STATS_S       86400

/* Numbers are taken as text and checked with their range (ptl_cli_parse_numbers). */
typedef struct {
    char    *device;
    gboolean is_list;
    gboolean no_promisc;
    gboolean is_immediate;
    char    *snaplen_text, *buffer_text, *count_text, *duration_text;
    char    *file_mb_text, *n_files_text, *stats_text;
    gint64   snaplen;         /* 0: the default */
    gint64   buffer_kib;      /* 0: the default */
    gint64   count;           /* 0: no limit */
    gdouble  duration_s;      /* 0: no limit */
    char    *write_path;
    gint64   file_mb;
    gint64   n_files;
    char    *user;
    char    *events_path;
    gint64   stats_interval;  /* -1: the default */
} LiveOptions;

typedef struct {
    PtlCliSession      *session;
    const LiveOptions  *lo;
    pcap_t             *pcap;
    PtlAnalyzer        *analyzer;
    PtlCapture         *capture;     /* no files: the report's file list stays empty */
    PtlRing            *ring;
    PtlLiveEvents      *events;
    FILE               *events_file;
    FILE               *events_json;       /* --events' stream (file or stdout), or NULL */
    JsonBuilder        *event_builder;     /* record events, reused */
    gboolean            has_urgent;        /* an open flow raised a judged fact */
    gint64              last_urgent_us;
    gboolean            is_tty_status;
    gboolean            is_status_shown;
    gint64              status_every_us;   /* 0: none */
    gint64              start_us, last_refresh_us, last_status_us;
    guint64             packets_at_status;
    pid_t               interim_child;
} LiveRun;

static void
live_add_entries(GOptionContext *ctx, LiveOptions *lo)
{
    const GOptionEntry entries[] = {
        { "interface", 'i', 0, G_OPTION_ARG_STRING, &lo->device,
          "Capture on IFACE ('any': all interfaces)", "IFACE" },
        { "list-interfaces", 'D', 0, G_OPTION_ARG_NONE, &lo->is_list,
          "List the interfaces that can be captured on", NULL },
        { "no-promisc", 0, 0, G_OPTION_ARG_NONE, &lo->no_promisc,
          "Do not put the interface in promiscuous mode", NULL },
        { "snapshot-length", 's', 0, G_OPTION_ARG_STRING, &lo->snaplen_text,
          "Bytes kept of each packet, 0..262144 (default and 0: 262144)", "BYTES" },
        { "buffer-size", 'B', 0, G_OPTION_ARG_STRING, &lo->buffer_text,
          "Kernel capture buffer in KiB, 1..1048576 (default 32768)", "KIB" },
        { "immediate-mode", 0, 0, G_OPTION_ARG_NONE, &lo->is_immediate,
          "Hand each packet over at once instead of in batches", NULL },
        { "count", 'c', 0, G_OPTION_ARG_STRING, &lo->count_text,
          "Stop after COUNT packets (1 or more)", "COUNT" },
        { "duration", 0, 0, G_OPTION_ARG_STRING, &lo->duration_text,
          "Stop after SECONDS, 0.001..1000000000", "SECONDS" },
        { "write", 'w', 0, G_OPTION_ARG_FILENAME, &lo->write_path,
          "Also save the raw packets to FILE (pcap)", "FILE" },
        { "file-size", 'C', 0, G_OPTION_ARG_STRING, &lo->file_mb_text,
          "Start a new -w file before one passes MB million bytes, 1..1048576", "MB" },
        { "ring-files", 'W', 0, G_OPTION_ARG_STRING, &lo->n_files_text,
          "With -C: keep N files, FILE0..FILE(N-1), overwritten in turn, 1..1000000", "N" },
        { "user", 'Z', 0, G_OPTION_ARG_STRING, &lo->user,
          "Run as USER once the interface is open", "USER" },
        { "events", 0, 0, G_OPTION_ARG_FILENAME, &lo->events_path,
          "Append each new finding to FILE as a JSON line ('-' for stdout)", "FILE" },
        { "stats-interval", 0, 0, G_OPTION_ARG_STRING, &lo->stats_text,
          "Seconds between summary lines when stderr is not a terminal, 0..86400 "
          "(default 60, 0: none)", "SECONDS" },
        { NULL },
    };
    g_option_context_add_main_entries(ctx, entries, NULL);    /* copied */
}

static void
live_options_clear(LiveOptions *lo)
{
    g_free(lo->device);
    g_free(lo->write_path);
    g_free(lo->user);
    g_free(lo->events_path);
    g_free(lo->snaplen_text);
    g_free(lo->buffer_text);
    g_free(lo->count_text);
    g_free(lo->duration_text);
    g_free(lo->file_mb_text);
    g_free(lo->n_files_text);
    g_free(lo->stats_text);
}

static gboolean
live_bad(GError **error, const char *message)
{
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
    return FALSE;
}

static gboolean
live_parse_numbers(LiveOptions *lo, GError **error)
{
    const PtlCliNumber numbers[] = {
        { "-s", lo->snaplen_text, 0, LIVE_MAX_SNAPLEN, "bytes", &lo->snaplen },
        { "-B", lo->buffer_text, 1, LIVE_MAX_BUFFER_KIB, "KiB", &lo->buffer_kib },
        { "-c", lo->count_text, 1, G_MAXINT64, "packets", &lo->count },
        { "-C", lo->file_mb_text, 1, LIVE_MAX_FILE_MB, "millions of bytes", &lo->file_mb },
        { "-W", lo->n_files_text, 1, LIVE_MAX_FILES, "files", &lo->n_files },
        { "--stats-interval", lo->stats_text, 0, LIVE_MAX_STATS_S, "seconds",
          &lo->stats_interval },
    };
    return ptl_cli_parse_numbers(numbers, G_N_ELEMENTS(numbers), error) &&
           ptl_cli_parse_seconds("--duration", lo->duration_text, LIVE_MIN_DURATION_S,
                                 LIVE_MAX_DURATION_S, &lo->duration_s, error);
}

static gboolean
live_check_options(LiveOptions *lo, PtlCliOptions *opts, GError **error)
{
    if (opts->files != NULL)
        return live_bad(error, "-r: live reads an interface; use 'portolan analyze' for files");
    if (!live_parse_numbers(lo, error) || !ptl_cli_parse_analysis_numbers(opts, error) ||
        !ptl_cli_options_check(opts, error))
        return FALSE;
    if (lo->is_list)
        return TRUE;
    if (lo->device == NULL || *lo->device == '\0')
        return live_bad(error, "no interface given: -i IFACE (-D lists them)");
    gboolean is_stdout_taken = g_strcmp0(opts->json_path, "-") == 0 ||
                               g_strcmp0(opts->flows_path, "-") == 0;
    if (g_strcmp0(lo->events_path, "-") == 0 && is_stdout_taken)
        return live_bad(error, "--events - with --json - or --flows -: both would write to "
                        "standard output; send one of them to a file");
    if (g_strcmp0(lo->events_path, "-") == 0 && g_strcmp0(opts->records_path, "-") == 0)
        return live_bad(error, "--events - with --records -: both would write to standard "
                        "output; the events carry the records already (drop --records -)");
    if (lo->events_path != NULL && opts->no_rules)
        return live_bad(error, "--no-rules with --events: the events are findings, which "
                        "need the product rules (drop one of them)");
    if ((lo->file_mb > 0 || lo->n_files > 0) && lo->write_path == NULL)
        return live_bad(error, "-C and -W need -w FILE");
    if (lo->n_files > 0 && lo->file_mb == 0)
        return live_bad(error, "-W needs -C: the files rotate by size");
    if (g_strcmp0(lo->write_path, "-") == 0)
        return live_bad(error, "-w -: packets cannot share stdout with the report");
    return TRUE;
}

/* ---- per packet, per flow, per tick ---------------------------------------- */

static void live_refresh_urgent(LiveRun *r, gint64 now_us);

static void
live_on_packet(gpointer user_data, const PtlPacket *pkt, const struct pcap_pkthdr *hdr)
{
    LiveRun *r = user_data;
    ptl_analyzer_packet(r->analyzer, pkt);
    if (r->has_urgent)
        live_refresh_urgent(r, g_get_monotonic_time());
    if (r->ring == NULL)
        return;
    g_autoptr(GError) error = NULL;
    if (!ptl_ring_write(r->ring, hdr, pkt->data, &error)) {
        ptl_cli_warn(r->session, "-w: %s; packets are no longer saved", error->message);
        g_clear_pointer(&r->ring, ptl_ring_free);
    }
}

static void
live_on_flow_record(gpointer user_data, const PtlFlowRecord *rec)
{
    LiveRun *r = user_data;
    if (r->events != NULL)
        ptl_live_events_queue(r->events, rec);
}

/* An open flow as it is when it raised a fact a finding rests on: judged within
 * LIVE_URGENT_US, not when the flow ends (which may be hours away). */
static void
live_on_flow_fact(gpointer user_data, const PtlFlowRecord *rec)
{
    LiveRun *r = user_data;
    if (r->events == NULL)
        return;
    ptl_live_events_queue(r->events, rec);
    r->has_urgent = TRUE;
}

/* {"event": "record", then the record's members}: findings and records share --events. */
static void
live_write_record_event(LiveRun *r, JsonNode *record)
{
    JsonBuilder *b = r->event_builder;
    json_builder_reset(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, "record");
    JsonObject *o = json_node_get_object(record);
    JsonObjectIter iter;
    const char *name;
    JsonNode *value;
    json_object_iter_init(&iter, o);
    while (json_object_iter_next(&iter, &name, &value)) {
        json_builder_set_member_name(b, name);
        json_builder_add_value(b, json_node_copy(value));
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    if (ptl_records_write_line(r->events_json, root))
        fflush(r->events_json);
}

static void
live_on_record(gpointer user_data, JsonNode *record)
{
    LiveRun *r = user_data;
    ptl_cli_session_record(r->session, record);
    if (r->session->records != NULL)
        fflush(r->session->records);    /* a live file is read while it grows */
    if (r->events_json != NULL)
        live_write_record_event(r, record);
}

static void
live_clear_status(LiveRun *r)
{
    if (r->is_status_shown)
        fputs("\r\033[K", stderr);
    r->is_status_shown = FALSE;
}

/* The engine picks products and roles from what ended so far, then judges the waiting flows. */
static void
live_refresh(LiveRun *r)
{
    r->last_refresh_us = g_get_monotonic_time();
    if (r->events == NULL || ptl_live_events_pending(r->events) == 0)
        return;
    ptl_verdict_refresh(r->session->verdict);
    live_clear_status(r);
    ptl_live_events_flush(r->events);
}

/* Judges the open flows that raised a fact, at most every LIVE_URGENT_US (a busy port
 * confirms many protocols a second; the tick catches what waits). */
static void
live_refresh_urgent(LiveRun *r, gint64 now_us)
{
    if (!r->has_urgent || now_us - r->last_urgent_us < LIVE_URGENT_US)
        return;
    r->has_urgent = FALSE;
    r->last_urgent_us = now_us;
    live_refresh(r);
}

static void
live_status(LiveRun *r, gint64 now_us)
{
    const PtlAnalyzerStats *st = ptl_analyzer_stats(r->analyzer);
    double rate = (st->packets - r->packets_at_status) * 1e6 /
                  (double) MAX(now_us - r->last_status_us, 1);
    PtlLiveKernelStats k;
    ptl_live_kernel_stats(r->pcap, &k);
    guint64 findings = r->events != NULL ? ptl_live_events_counts(r->events)->distinct : 0;
    fprintf(stderr, "%s%s: %" G_GUINT64_FORMAT " packets, %.0f/s, %u flows, %" G_GUINT64_FORMAT
            " findings, %" G_GUINT64_FORMAT " kernel drops%s",
            r->is_tty_status ? "\r\033[K" : "portolan: live ", r->lo->device, st->packets, rate,
            ptl_analyzer_flows_now(r->analyzer), findings, k.dropped + k.if_dropped,
            r->is_tty_status ? "" : "\n");
    r->is_status_shown = r->is_tty_status;
    r->last_status_us = now_us;
    r->packets_at_status = st->packets;
}

static void
live_reap_interim(LiveRun *r, gboolean is_blocking)
{
    if (r->interim_child <= 0)
        return;
    int wstatus;
    pid_t done = waitpid(r->interim_child, &wstatus, is_blocking ? 0 : WNOHANG);
    if (done == r->interim_child || (done < 0 && errno == ECHILD))
        r->interim_child = 0;
}

static void
live_on_tick(gpointer user_data, gint64 now_ns)
{
    LiveRun *r = user_data;
    ptl_analyzer_expire(r->analyzer, now_ns);
    g_autoptr(GError) error = NULL;
    if (r->ring != NULL && !ptl_ring_flush(r->ring, &error)) {
        ptl_cli_warn(r->session, "-w: %s; packets are no longer saved", error->message);
        g_clear_pointer(&r->ring, ptl_ring_free);
    }
    gint64 now_us = g_get_monotonic_time();
    if (now_us - r->last_refresh_us >= LIVE_REFRESH_US)
        live_refresh(r);
    live_refresh_urgent(r, now_us);
    live_reap_interim(r, FALSE);
    if (r->status_every_us > 0 && now_us - r->last_status_us >= r->status_every_us)
        live_status(r, now_us);
}

/* A fresh description of a temp file, with its own offset: the parent keeps
 * appending to the one it shares with a forked child. */
static FILE *
live_reopen(FILE *shared)
{
    if (shared == NULL)
        return NULL;
    g_autofree char *path = g_strdup_printf("/proc/self/fd/%d", fileno(shared));
    return fopen(path, "r");
}

static G_GNUC_NORETURN void
live_interim_child(LiveRun *r)
{
    ptl_live_signals_restore();
    PtlCliSession *s = r->session;
    /* the inherited streams are left alone (never flushed or closed here) */
    s->flow_lines = live_reopen(s->flow_lines);
    s->flow_records = live_reopen(s->flow_records);
    fprintf(stderr, "portolan: interim report: flows ended so far (%u still open)\n",
            ptl_analyzer_flows_now(r->analyzer));
    ptl_cli_session_report(s, r->capture, r->analyzer,
                           (g_get_monotonic_time() - r->start_us) / 1e6);
    fflush(stdout);
    fflush(stderr);
    _exit(PTL_EXIT_OK);
}

/* SIGHUP/SIGUSR1: a forked child writes the report from a snapshot of the state
 * with the same writers as the final one, while the parent keeps capturing. */
static void
live_on_interim(gpointer user_data)
{
    LiveRun *r = user_data;
    live_reap_interim(r, FALSE);
    if (r->interim_child > 0) {
        fprintf(stderr, "portolan: the last interim report is still being written\n");
        return;
    }
    live_refresh(r);
    live_clear_status(r);
    fflush(NULL);   /* or the child would write the buffered bytes a second time */
    pid_t pid = fork();
    if (pid < 0) {
        ptl_cli_warn(r->session, "interim report: fork: %s", g_strerror(errno));
        return;
    }
    if (pid == 0)
        live_interim_child(r);
    r->interim_child = pid;
}

/* ---- setting up ---------------------------------------------------------- */

static gboolean
live_open_outputs(LiveRun *r, GError **error)
{
    const LiveOptions *lo = r->lo;
    if (lo->write_path != NULL) {
        PtlRingConfig cfg = {
            .path = lo->write_path, .file_bytes = (guint64) lo->file_mb * 1000000u,
            .n_files = (guint) lo->n_files, .linktype = pcap_datalink(r->pcap),
            .snaplen = pcap_snapshot(r->pcap),
        };
        r->ring = ptl_ring_new(&cfg, error);
        if (r->ring == NULL)
            return FALSE;
    }
    gboolean is_stdout_taken = g_strcmp0(r->session->opts->json_path, "-") == 0 ||
                               g_strcmp0(r->session->opts->flows_path, "-") == 0;
    if (lo->events_path != NULL && strcmp(lo->events_path, "-") != 0) {
        r->events_file = fopen(lo->events_path, "a");
        if (r->events_file == NULL) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "--events: %s: %s",
                        lo->events_path, g_strerror(errno));
            return FALSE;
        }
    }
    if (r->session->verdict != NULL) {
        gboolean is_events_stdout = g_strcmp0(lo->events_path, "-") == 0;
        PtlLiveEventsConfig cfg = {
            .lines = is_stdout_taken || is_events_stdout ? stderr : stdout,
            .json = is_events_stdout ? stdout : r->events_file,
            .judge = ptl_live_judge_verdict, .judge_data = r->session->verdict,
        };
        r->events = ptl_live_events_new(&cfg);
        r->events_json = cfg.json;
        if (r->events_json != NULL)
            r->event_builder = json_builder_new();
    }
    return TRUE;
}

static void
live_set_status(LiveRun *r)
{
    const PtlCliOptions *o = r->session->opts;
    gboolean is_tty = isatty(STDERR_FILENO) && !o->no_progress;
    r->is_tty_status = (is_tty || o->progress) && r->lo->stats_interval < 0;
    gint64 seconds = r->lo->stats_interval >= 0 ? r->lo->stats_interval : LIVE_STATS_DEFAULT_S;
    r->status_every_us = r->is_tty_status ? LIVE_STATUS_TTY_US : seconds * G_USEC_PER_SEC;
}

static void
live_note_end(LiveRun *r, PtlLiveEnd end, const GError *error)
{
    live_clear_status(r);
    if (end == PTL_LIVE_END_INTERFACE)
        ptl_cli_fail(r->session, "%s: the report covers what was seen until then",
                     error != NULL ? error->message : r->lo->device);
    PtlLiveKernelStats k;
    if (ptl_live_kernel_stats(r->pcap, &k) && k.dropped + k.if_dropped > 0)
        ptl_cli_warn(r->session, "%s: %" G_GUINT64_FORMAT " packets dropped by the kernel, %"
                     G_GUINT64_FORMAT " by the interface (a larger -B or a narrower -f helps)",
                     r->lo->device, k.dropped, k.if_dropped);
    const PtlLiveEventCounts *c = r->events != NULL ? ptl_live_events_counts(r->events) : NULL;
    if (c != NULL && c->not_judged + c->not_remembered > 0)
        ptl_cli_warn(r->session, "live findings: %" G_GUINT64_FORMAT " flows not judged while "
                     "running and %" G_GUINT64_FORMAT " findings not listed (the report has all)",
                     c->not_judged, c->not_remembered);
    fprintf(stderr, "portolan: live capture on %s ended (%s): %" G_GUINT64_FORMAT " packets, %"
            G_GUINT64_FORMAT " findings as they occurred\n", r->lo->device,
            ptl_live_end_name(end), ptl_analyzer_stats(r->analyzer)->packets,
            c != NULL ? c->distinct : 0);
}

static int
live_run(LiveRun *r)
{
    PtlAnalyzerConfig cfg = ptl_cli_session_analyzer_config(r->session);
    cfg.on_flow_record = live_on_flow_record;
    cfg.on_flow_fact = live_on_flow_fact;
    cfg.record_user_data = r;
    if (r->session->records != NULL || r->events_json != NULL) {
        cfg.on_record = live_on_record;
        cfg.on_record_data = r;
    }
    r->analyzer = ptl_analyzer_new(&cfg);
    r->capture = ptl_capture_new();
    live_set_status(r);
    r->start_us = r->last_refresh_us = r->last_status_us = g_get_monotonic_time();
    PtlLiveLoop loop = {
        .device = r->lo->device, .max_packets = (guint64) r->lo->count,
        .duration_us = (gint64) (r->lo->duration_s * G_USEC_PER_SEC),
        .on_packet = live_on_packet, .on_tick = live_on_tick, .on_interim = live_on_interim,
        .user_data = r, .tick_us = LIVE_TICK_US,
    };
    g_autoptr(GError) error = NULL;
    ptl_live_signals_install();
    PtlLiveEnd end = ptl_live_run(r->pcap, &loop, &error);
    ptl_analyzer_finish(r->analyzer);
    live_refresh(r);
    live_note_end(r, end, error);
    live_reap_interim(r, TRUE);
    g_clear_pointer(&r->ring, ptl_ring_free);
    int status = ptl_cli_session_report(r->session, r->capture, r->analyzer,
                                        (g_get_monotonic_time() - r->start_us) / 1e6);
    ptl_live_signals_restore();
    return status;
}

static void
live_run_clear(LiveRun *r)
{
    g_clear_pointer(&r->events, ptl_live_events_free);
    g_clear_pointer(&r->events_file, fclose);
    g_clear_object(&r->event_builder);
    g_clear_pointer(&r->ring, ptl_ring_free);
    g_clear_pointer(&r->analyzer, ptl_analyzer_free);
    g_clear_pointer(&r->capture, ptl_capture_free);
    g_clear_pointer(&r->pcap, pcap_close);
}

/* Interface first, then fewer privileges, then everything else (tcpdump's order:
 * the -w files are created as the -Z user). */
static int
live_start(LiveOptions *lo, PtlCliOptions *opts)
{
    PtlLiveConfig cfg = {
        .device = lo->device, .filter = opts->filter, .snaplen = (int) lo->snaplen,
        .buffer_kib = (int) lo->buffer_kib, .is_promisc = !lo->no_promisc,
        .is_immediate = lo->is_immediate,
    };
    g_autoptr(GError) error = NULL;
    g_autofree char *warning = NULL;
    LiveRun r = { .lo = lo };
    r.pcap = ptl_live_open(&cfg, &warning, &error);
    if (r.pcap == NULL) {
        fprintf(stderr, "portolan: error: %s\n", error->message);
        return PTL_EXIT_FAILED;
    }
    /* the reports are written as the -Z user: their paths are checked as that user */
    if ((lo->user != NULL && !ptl_live_drop_privileges(lo->user, &error)) ||
        !ptl_cli_check_output("--json", opts->json_path, &error) ||
        !ptl_cli_check_output("--flows", opts->flows_path, &error) ||
        !ptl_cli_check_output("--records", opts->records_path, &error)) {
        fprintf(stderr, "portolan: error: %s\n", error->message);
        live_run_clear(&r);
        return PTL_EXIT_FAILED;
    }
    PtlCliSession session = { 0 };
    r.session = &session;
    int status = PTL_EXIT_FAILED;
    if (!ptl_cli_session_init(&session, opts, &error) || !live_open_outputs(&r, &error)) {
        fprintf(stderr, "portolan: error: %s\n", error->message);
    } else {
        session.interface = lo->device;
        if (warning != NULL)
            ptl_cli_warn(&session, "%s", warning);
        fprintf(stderr, "portolan: capturing on %s (%s), Ctrl-C to stop\n", lo->device,
                ptl_capture_linktype_name(pcap_datalink(r.pcap)));
        status = live_run(&r);
    }
    live_run_clear(&r);
    ptl_cli_session_clear(&session);
    return status;
}

int
ptl_cli_live(int argc, char **argv)
{
    PtlCliOptions opts = { 0 };
    LiveOptions lo = { .stats_interval = -1 };
    g_autoptr(GOptionContext) ctx = g_option_context_new("-i IFACE [OPTIONS]");
    g_option_context_set_summary(ctx, live_summary);
    g_option_context_set_main_group(ctx, ptl_cli_analysis_group(&opts));
    live_add_entries(ctx, &lo);
    g_autoptr(GError) error = NULL;
    int status = PTL_EXIT_FAILED;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
        !live_check_options(&lo, &opts, &error)) {
        fprintf(stderr, "portolan live: %s (try --help)\n", error->message);
    } else if (argc > 1) {
        fprintf(stderr, "portolan live: unexpected argument '%s' (try --help)\n", argv[1]);
    } else if (lo.is_list) {
        if (ptl_live_list_interfaces(stdout, &error))
            status = PTL_EXIT_OK;
        else
            fprintf(stderr, "portolan: error: %s\n", error->message);
    } else {
        status = live_start(&lo, &opts);
    }
    live_options_clear(&lo);
    ptl_cli_options_clear(&opts);
    return status;
}
