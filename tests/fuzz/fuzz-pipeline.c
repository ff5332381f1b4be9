/* fuzz-pipeline.c: the whole pipeline on one capture file: the input's bytes are
 * the file (pcap, pcapng or gzip'd), every module of the build is loaded with the
 * rules of rules/, and every report is written as `portolan analyze --json FILE
 * --flows FILE` writes it: to files in a private directory per input (in /dev/shm
 * when there is one), the terminal report to stdout, which goes to /dev/null.  Not --json
 * /dev/null: that once replaced /dev/null with a regular file (tests/e2e_json_device.py).
 *
 * Plugins, rules and inventory are loaded once, by the CLI's own session code;
 * each input gets a fresh rule engine, capture, analyzer and flow files. */
#include "ptl-cli.h"

#include "fuzz-common.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static PtlCliOptions pipeline_opts;
static PtlCliSession pipeline_session;
static const char *pipeline_tmp;

/* A private directory for one input's report files, removed after it: libFuzzer
 * does not run atexit handlers when it stops. */
static char *
pipeline_dir_new(void)
{
    g_autofree char *template = g_build_filename(pipeline_tmp, "ptl-fuzz-pipeline-XXXXXX", NULL);
    char *dir = g_mkdtemp(g_steal_pointer(&template));
    FUZZ_CHECK(dir != NULL, "no private directory in %s", pipeline_tmp);
    g_free(pipeline_opts.json_path);
    g_free(pipeline_opts.flows_path);
    pipeline_opts.json_path = g_build_filename(dir, "report.json", NULL);
    pipeline_opts.flows_path = g_build_filename(dir, "flows.jsonl", NULL);
    return dir;
}

static void
pipeline_dir_remove(char *dir)
{
    g_remove(pipeline_opts.json_path);
    g_remove(pipeline_opts.flows_path);
    g_rmdir(dir);
    g_free(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    if (freopen("/dev/null", "w", stdout) == NULL)
        abort();
    pipeline_tmp = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir();
    char *dir = pipeline_dir_new();      /* --flows set: the session keeps flow files */
    pipeline_opts.no_progress = TRUE;
    pipeline_opts.no_color = TRUE;
    pipeline_opts.fail_on = g_strdup("never");
    pipeline_opts.rules_dir = g_strdup(FUZZ_RULES_DIR);
    pipeline_opts.plugin_dirs = g_strsplit(FUZZ_MODULE_DIRS, ":", -1);
    g_autoptr(GError) error = NULL;
    if (!ptl_cli_session_init(&pipeline_session, &pipeline_opts, &error)) {
        fprintf(stderr, "fuzz-pipeline: %s\n", error->message);
        abort();
    }
    /* every module of the build, from the build: not an installed copy */
    const PtlPluginSet *plugins = pipeline_session.plugins;
    FUZZ_CHECK(ptl_plugin_set_count(plugins) == FUZZ_MODULE_COUNT,
               "%u modules loaded from %s, the build has %d", ptl_plugin_set_count(plugins),
               FUZZ_MODULE_DIRS, FUZZ_MODULE_COUNT);
    for (guint i = 0; i < ptl_plugin_set_count(plugins); i++) {
        const char *path = ptl_plugin_set_get(plugins, i)->path;
        FUZZ_CHECK(g_str_has_prefix(path, FUZZ_BUILD_DIR), "%s is not from %s", path,
                   FUZZ_BUILD_DIR);
    }
    FUZZ_CHECK(pipeline_session.rules != NULL, "no rules in %s", FUZZ_RULES_DIR);
    pipeline_dir_remove(dir);
    return 0;
}

static void
pipeline_reset_file(FILE *f)
{
    fflush(f);
    rewind(f);
    clearerr(f);
    if (ftruncate(fileno(f), 0) != 0)
        abort();
}

/* What `portolan analyze` does with one file, reports included. */
static void
pipeline_run(PtlCliSession *s, const char *path)
{
    g_autoptr(PtlCapture) cap = ptl_capture_new();
    g_autoptr(GError) error = NULL;
    if (!ptl_capture_add_file(cap, path, &error))
        return;
    PtlAnalyzerConfig cfg = ptl_cli_session_analyzer_config(s);
    g_autoptr(PtlAnalyzer) analyzer = ptl_analyzer_new(&cfg);
    for (;;) {
        PtlPacket pkt;
        g_autoptr(GError) next_error = NULL;
        int got = ptl_capture_next(cap, &pkt, &next_error);
        if (got == 0)
            break;
        if (got < 0) {
            ptl_cli_warn(s, "%s", next_error->message);
            continue;
        }
        ptl_analyzer_packet(analyzer, &pkt);
    }
    ptl_analyzer_finish(analyzer);
    (void) ptl_cli_session_report(s, cap, analyzer, 0.0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    PtlCliSession *s = &pipeline_session;
    g_ptr_array_set_size(s->errors, 0);
    g_ptr_array_set_size(s->warnings, 0);
    pipeline_reset_file(s->flow_lines);
    pipeline_reset_file(s->flow_records);
    g_clear_pointer(&s->verdict, ptl_verdict_free);
    s->verdict = ptl_verdict_new(s->rules, s->inventory, s->opts->products);
    char *dir = pipeline_dir_new();
    pipeline_run(s, fuzz_input_path(data, size));
    pipeline_dir_remove(dir);
    return 0;
}
