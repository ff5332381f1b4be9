/* ptl-cli.h: the command line.  Options shared by `analyze` and `live`, and the
 * session they set up: plugins, rules, inventory, rule engine, reports. */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "ptl-analyzer.h"
#include "ptl-capture.h"
#include "ptl-inventory.h"
#include "ptl-plugins.h"
#include "ptl-rules.h"
#include "ptl-verdict.h"

enum { PTL_EXIT_OK = 0, PTL_EXIT_FINDINGS = 1, PTL_EXIT_FAILED = 2 };

typedef struct {
    char   **files;        /* -r, repeatable, and positional */
    char    *filter;       /* -f BPF */
    char    *json_path;    /* --json FILE|- */
    char    *flows_path;   /* --flows FILE|- */
    char    *records_path; /* --records FILE|- */
    gboolean no_color;
    gboolean progress, no_progress;
    gboolean quiet;        /* no terminal report */
    char    *fail_on;      /* error|warning|info|never */
    char   **plugin_dirs;
    char    *rules_dir;
    gboolean no_rules;
    gboolean no_dissectors;
    char   **sites;
    char    *inventory;
    char    *nodes, *admins, *clients;
    char   **products;
    char   **sets;
    char    *tcp_timeout_text, *udp_timeout_text, *max_flows_text;  /* as typed, or NULL */
    gint64   tcp_timeout, udp_timeout, max_flows;   /* checked; 0: the default */
    char    *memcap;       /* --memcap SIZE */
    guint64  memcap_bytes; /* parsed; 0: the default */
} PtlCliOptions;

#define PTL_CLI_MAX_TIMEOUT_S (7 * 86400)     /* a week: longer is not "idle" */
#define PTL_CLI_MAX_FLOWS     100000000       /* 10^8 flows: tens of GB of state */

/* A numeric option taken as text, so that "-5", "0" or "12x" can be refused with its
 * range instead of becoming a default. */
typedef struct {
    const char *flag;       /* "--tcp-timeout" */
    const char *text;       /* as typed; NULL: not given, *out is left alone */
    gint64      min, max;
    const char *unit;       /* "seconds" */
    gint64     *out;
} PtlCliNumber;

typedef struct {
    PtlCliOptions *opts;
    PtlPluginSet  *plugins;
    PtlRuleSet    *rules;        /* NULL with --no-rules or no rule files */
    PtlInventory  *inventory;
    PtlVerdict    *verdict;      /* NULL without rules */
    PtlSeverity    fail_on;
    gboolean       is_fail_never;
    GPtrArray     *errors;       /* one line each, shown and put in the report */
    GPtrArray     *warnings;
    FILE          *flow_lines, *flow_records; /* temp files while running, with --flows */
    FILE          *records;      /* --records, written as records complete; NULL without */
    PtlRecordExamples *record_examples; /* for the findings of the JSON report, or NULL */
    gboolean       has_records_error;  /* a write failed: reported once */
    const char    *interface;    /* live: the interface captured on; NULL for files */
} PtlCliSession;

/* The options both analyze and live take; transfer container. */
GOptionGroup *ptl_cli_analysis_group(PtlCliOptions *opts);
void          ptl_cli_options_clear(PtlCliOptions *opts);

/* ptl-cli-options.c: FALSE with "--flag 'text': what is allowed" (G_OPTION_ERROR). */
gboolean ptl_cli_parse_numbers(const PtlCliNumber *numbers, guint n, GError **error);
gboolean ptl_cli_parse_seconds(const char *flag, const char *text, double min, double max,
                               double *out, GError **error);
gboolean ptl_cli_parse_analysis_numbers(PtlCliOptions *opts, GError **error);
/* the first option given that only the product rules use ("--product"), or NULL */
const char *ptl_cli_rule_option_given(const PtlCliOptions *opts);
/* options that contradict each other (--json - with --flows -, --no-rules with --product) */
gboolean ptl_cli_options_check(const PtlCliOptions *opts, GError **error);
/* FALSE when one of dirs (NULL-terminated, may be NULL) is not a directory */
gboolean ptl_cli_check_dirs(const char *flag, char **dirs, GError **error);
/* FALSE when path (not "-") cannot be written: "--json PATH: cannot write: why" */
gboolean ptl_cli_check_output(const char *flag, const char *path, GError **error);

/* Plugins, rules, inventory and engine from the options; FALSE with a one-line
 * error when a rule or inventory file is wrong. */
gboolean ptl_cli_session_init(PtlCliSession *session, PtlCliOptions *opts, GError **error);
/* One dissector record to --records (when given); a failed write is reported once. */
void     ptl_cli_session_record(PtlCliSession *session, JsonNode *record);
void     ptl_cli_session_clear(PtlCliSession *session);
PtlAnalyzerConfig ptl_cli_session_analyzer_config(PtlCliSession *session);
/* Finishes the engine, writes every report asked for, returns the exit status. */
int      ptl_cli_session_report(PtlCliSession *session, const PtlCapture *capture,
                                PtlAnalyzer *analyzer, double elapsed_s);

void ptl_cli_warn(PtlCliSession *session, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void ptl_cli_fail(PtlCliSession *session, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

int ptl_cli_analyze(int argc, char **argv);
int ptl_cli_plugins(int argc, char **argv);
int ptl_cli_rules(int argc, char **argv);
int ptl_cli_live(int argc, char **argv);
