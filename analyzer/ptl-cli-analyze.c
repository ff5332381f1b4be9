/* ptl-cli-analyze.c: `portolan analyze [OPTIONS] FILE...` */
#include "ptl-cli.h"

#include <unistd.h>

#define ANALYZE_PROGRESS_EVERY 65536          /* packets between clock reads */
#define ANALYZE_PROGRESS_US (250 * 1000)      /* redraw at most 4 times a second */

static const char analyze_summary[] =
    "Reads captures, tracks every flow, identifies protocols by content and checks\n"
    "each flow against the products' documented port rules.\n"
    "\n"
    "Examples:\n"
    "  portolan analyze cluster.pcap\n"
    "  portolan analyze -r node1.pcap.gz -r node2.pcapng --inventory site.inventory\n"
    "  portolan analyze --product sisense --nodes 10.0.0.11-10.0.0.13 capture.pcap\n"
    "  portolan analyze -f 'tcp port 5672' --json report.json --flows flows.jsonl *.pcap\n"
    "  portolan analyze --set wso2-das.offset=1 --fail-on warning das.pcap\n"
    "  portolan analyze -q --records requests.jsonl --flows flows.jsonl web.pcap\n"
    "\n"
    "Refused before anything is read (status 2, with the option or file:line): a number\n"
    "out of its range, an unknown product (one differing only in case is taken, with a\n"
    "note), a wrong inventory line, an output that cannot be written, and options that\n"
    "contradict each other (--json - with --flows - or --records -, --no-rules with rule\n"
    "options).\n"
    "\n"
    "Exit status: 0 no findings at or above --fail-on, 1 there are, 2 could not analyze.";

typedef struct {
    gboolean is_on;
    gint64   last_us;
    gint64   start_us;
    guint64  packets_at_last;
} AnalyzeProgress;

static void
analyze_progress_tick(AnalyzeProgress *p, const PtlCapture *cap, PtlAnalyzer *a)
{
    gint64 now = g_get_monotonic_time();
    if (now - p->last_us < ANALYZE_PROGRESS_US)
        return;
    guint64 packets = ptl_analyzer_stats(a)->packets;
    double rate = (packets - p->packets_at_last) * 1e6 / (double) MAX(now - p->last_us, 1);
    fprintf(stderr, "\r\033[K%5.1f%%  %" G_GUINT64_FORMAT " packets  %.0f k/s  %u flows",
            100.0 * ptl_capture_progress(cap), packets, rate / 1000.0, ptl_analyzer_flows_now(a));
    p->last_us = now;
    p->packets_at_last = packets;
}

static void
analyze_progress_end(AnalyzeProgress *p)
{
    if (p->is_on && p->last_us != p->start_us)
        fputs("\r\033[K", stderr);
}

static guint
analyze_open_files(PtlCliSession *session, PtlCapture *cap)
{
    guint opened = 0;
    ptl_capture_set_filter(cap, session->opts->filter);
    for (char **f = session->opts->files; f != NULL && *f != NULL; f++) {
        g_autoptr(GError) error = NULL;
        if (ptl_capture_add_file(cap, *f, &error))
            opened++;
        else
            ptl_cli_fail(session, "%s", error->message);
    }
    return opened;
}

static void
analyze_run(PtlCliSession *session, PtlCapture *cap, PtlAnalyzer *a)
{
    AnalyzeProgress progress = { 0 };
    progress.is_on = !session->opts->no_progress &&
                     (session->opts->progress || isatty(STDERR_FILENO));
    progress.start_us = progress.last_us = g_get_monotonic_time();
    guint64 n = 0;
    for (;;) {
        PtlPacket pkt;
        g_autoptr(GError) error = NULL;
        int got = ptl_capture_next(cap, &pkt, &error);
        if (got == 0)
            break;
        if (got < 0) {
            ptl_cli_warn(session, "%s", error->message);
            continue;
        }
        ptl_analyzer_packet(a, &pkt);
        if (progress.is_on && ++n % ANALYZE_PROGRESS_EVERY == 0)
            analyze_progress_tick(&progress, cap, a);
    }
    analyze_progress_end(&progress);
    ptl_analyzer_finish(a);
}

/* Records with no byte in them (caplen 0) are skipped by the capture module: say how
 * many, loudly when they are most of the file, so that an empty report is not taken
 * for a quiet network. */
static void
analyze_note_empty_records(PtlCliSession *session, const PtlCapture *cap)
{
    for (guint i = 0; i < ptl_capture_n_files(cap); i++) {
        const PtlCaptureFile *f = ptl_capture_file(cap, i);
        if (f->empty_records == 0)
            continue;
        gboolean is_most = f->empty_records * 2 > f->packets;
        ptl_cli_warn(session, "%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " records hold "
                     "no packet bytes (zero-length records), skipped%s", f->path,
                     f->empty_records, f->packets,
                     is_most ? ": the file is mostly empty records, so the report says little "
                               "about the network; was it written by a broken capture tool?"
                             : "");
    }
}

static void
analyze_note_linktypes(PtlCliSession *session, PtlAnalyzer *a)
{
    GArray *linktypes = ptl_analyzer_unsupported_linktypes(a);
    const guint64 *skips = ptl_analyzer_skip_counts(a);
    for (guint i = 0; linktypes != NULL && i < linktypes->len; i++)
        ptl_cli_warn(session, "link type %s is not supported: %" G_GUINT64_FORMAT
                     " packets of it skipped", ptl_capture_linktype_name(g_array_index(linktypes, int, i)),
                     skips[PTL_SKIP_LINKTYPE]);
    const PtlAnalyzerStats *st = ptl_analyzer_stats(a);
    if (st->packets > 0 && skips[PTL_SKIP_LINKTYPE] == st->packets)
        ptl_cli_fail(session, "no packet of a supported link type: nothing to analyze");
}

int
ptl_cli_analyze(int argc, char **argv)
{
    PtlCliOptions opts = { 0 };
    g_auto(GStrv) positional = NULL;
    const GOptionEntry rest[] = {
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &positional, NULL, "FILE..." },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("[OPTIONS] FILE...");
    g_option_context_set_summary(ctx, analyze_summary);
    g_option_context_set_main_group(ctx, ptl_cli_analysis_group(&opts));
    g_option_context_add_main_entries(ctx, rest, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
        !ptl_cli_parse_analysis_numbers(&opts, &error) || !ptl_cli_options_check(&opts, &error) ||
        !ptl_cli_check_output("--json", opts.json_path, &error) ||
        !ptl_cli_check_output("--flows", opts.flows_path, &error) ||
        !ptl_cli_check_output("--records", opts.records_path, &error)) {
        fprintf(stderr, "portolan analyze: %s (try --help)\n", error->message);
        ptl_cli_options_clear(&opts);
        return PTL_EXIT_FAILED;
    }
    g_autoptr(GStrvBuilder) files = g_strv_builder_new();
    if (opts.files != NULL)
        g_strv_builder_addv(files, (const char **) opts.files);
    if (positional != NULL)
        g_strv_builder_addv(files, (const char **) positional);
    g_strfreev(opts.files);
    opts.files = g_strv_builder_end(files);
    if (opts.files[0] == NULL) {
        fprintf(stderr, "portolan analyze: no capture file given (try --help)\n");
        ptl_cli_options_clear(&opts);
        return PTL_EXIT_FAILED;
    }
    PtlCliSession session = { 0 };
    int status = PTL_EXIT_FAILED;
    if (!ptl_cli_session_init(&session, &opts, &error)) {
        fprintf(stderr, "portolan: error: %s\n", error->message);
    } else {
        g_autoptr(PtlCapture) cap = ptl_capture_new();
        if (analyze_open_files(&session, cap) > 0) {
            PtlAnalyzerConfig cfg = ptl_cli_session_analyzer_config(&session);
            g_autoptr(PtlAnalyzer) analyzer = ptl_analyzer_new(&cfg);
            gint64 start = g_get_monotonic_time();
            analyze_run(&session, cap, analyzer);
            analyze_note_empty_records(&session, cap);
            analyze_note_linktypes(&session, analyzer);
            status = ptl_cli_session_report(&session, cap, analyzer,
                                            (g_get_monotonic_time() - start) / 1e6);
        }
    }
    ptl_cli_session_clear(&session);
    ptl_cli_options_clear(&opts);
    return status;
}
