/* ptl-cli-options.c: the command line checked before anything is loaded: numbers in
 * their ranges, options that contradict each other, output paths that cannot be
 * written.  A mistake here exits 2 with the option's name, never a silent default. */
#include "ptl-cli.h"
#include "ptl-memcap.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean
cli_bad(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
cli_bad(GError **error, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *message = g_strdup_vprintf(fmt, args);
    va_end(args);
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
    g_free(message);
    return FALSE;
}

gboolean
ptl_cli_parse_numbers(const PtlCliNumber *numbers, guint n, GError **error)
{
    for (guint i = 0; i < n; i++) {
        const PtlCliNumber *num = &numbers[i];
        if (num->text == NULL)
            continue;           /* not given: the default */
        gint64 value = 0;
        if (!g_ascii_string_to_signed(num->text, 10, num->min, num->max, &value, NULL))
            return cli_bad(error, "%s '%s': takes a whole number of %s, %" G_GINT64_FORMAT
                           "..%" G_GINT64_FORMAT, num->flag, num->text, num->unit, num->min,
                           num->max);
        *num->out = value;
    }
    return TRUE;
}

gboolean
ptl_cli_parse_seconds(const char *flag, const char *text, double min, double max, double *out,
                      GError **error)
{
    if (text == NULL)
        return TRUE;
    char *end = NULL;
    double value = g_ascii_strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(value) || value < min || value > max)
        return cli_bad(error, "%s '%s': takes a number of seconds, %g..%.0f", flag, text, min,
                       max);
    *out = value;
    return TRUE;
}

gboolean
ptl_cli_parse_analysis_numbers(PtlCliOptions *o, GError **error)
{
    const PtlCliNumber numbers[] = {
        { "--tcp-timeout", o->tcp_timeout_text, 1, PTL_CLI_MAX_TIMEOUT_S, "seconds",
          &o->tcp_timeout },
        { "--udp-timeout", o->udp_timeout_text, 1, PTL_CLI_MAX_TIMEOUT_S, "seconds",
          &o->udp_timeout },
        { "--max-flows", o->max_flows_text, 1, PTL_CLI_MAX_FLOWS, "flows", &o->max_flows },
    };
    if (!ptl_cli_parse_numbers(numbers, G_N_ELEMENTS(numbers), error))
        return FALSE;
    if (o->memcap != NULL && !ptl_memcap_parse_size(o->memcap, &o->memcap_bytes)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--memcap: '%s' is not a size (e.g. 512M, 2G)", o->memcap);
        return FALSE;
    }
    return TRUE;
}

typedef struct {
    const char *flag;
    gboolean    is_given;
} CliGiven;

/* The first option of a list that is given, or NULL. */
static const char *
cli_first_given(const CliGiven *list, guint n)
{
    for (guint i = 0; i < n; i++)
        if (list[i].is_given)
            return list[i].flag;
    return NULL;
}

const char *
ptl_cli_rule_option_given(const PtlCliOptions *o)
{
    const CliGiven needs_rules[] = {
        { "--product", o->products != NULL },  { "--inventory", o->inventory != NULL },
        { "--nodes", o->nodes != NULL },       { "--admins", o->admins != NULL },
        { "--clients", o->clients != NULL },   { "--set", o->sets != NULL },
        { "--site", o->sites != NULL },        { "--rules-dir", o->rules_dir != NULL },
    };
    return cli_first_given(needs_rules, G_N_ELEMENTS(needs_rules));
}

static gboolean
cli_is_same_file(const char *a, const char *b)
{
    if (a == NULL || b == NULL || g_strcmp0(a, "-") == 0 || g_strcmp0(b, "-") == 0)
        return FALSE;
    g_autofree char *ca = g_canonicalize_filename(a, NULL);
    g_autofree char *cb = g_canonicalize_filename(b, NULL);
    return g_strcmp0(ca, cb) == 0;
}

gboolean
ptl_cli_check_dirs(const char *flag, char **dirs, GError **error)
{
    for (char **dir = dirs; dir != NULL && *dir != NULL; dir++)
        if (!g_file_test(*dir, G_FILE_TEST_IS_DIR))
            return cli_bad(error, "%s %s: no such directory", flag, *dir);
    return TRUE;
}

gboolean
ptl_cli_options_check(const PtlCliOptions *o, GError **error)
{
    if (!ptl_cli_check_dirs("--plugin-dir", o->plugin_dirs, error))
        return FALSE;
    if (g_strcmp0(o->json_path, "-") == 0 && g_strcmp0(o->flows_path, "-") == 0)
        return cli_bad(error, "--json - and --flows - would both write to standard output, "
                       "and neither would parse: send one of them to a file");
    if (cli_is_same_file(o->json_path, o->flows_path))
        return cli_bad(error, "--json and --flows name the same file '%s'", o->json_path);
    if (g_strcmp0(o->records_path, "-") == 0 &&
        (g_strcmp0(o->json_path, "-") == 0 || g_strcmp0(o->flows_path, "-") == 0))
        return cli_bad(error, "--records - with %s -: both would write to standard output: "
                       "send one of them to a file",
                       g_strcmp0(o->json_path, "-") == 0 ? "--json" : "--flows");
    if (cli_is_same_file(o->records_path, o->json_path) ||
        cli_is_same_file(o->records_path, o->flows_path))
        return cli_bad(error, "--records names the same file '%s' as %s", o->records_path,
                       cli_is_same_file(o->records_path, o->json_path) ? "--json" : "--flows");
    if (o->progress && o->no_progress)
        return cli_bad(error, "--progress and --no-progress contradict each other");
    if (o->no_dissectors && o->plugin_dirs != NULL)
        return cli_bad(error, "--no-dissectors with --plugin-dir: no module would be loaded "
                       "from it");
    const char *flag = o->no_rules ? ptl_cli_rule_option_given(o) : NULL;
    if (flag != NULL)
        return cli_bad(error, "--no-rules with %s: %s only matters to the product rules, "
                       "which --no-rules turns off (drop one of them)", flag, flag);
    return TRUE;
}

/* Creates nothing that stays.  The JSON report is written to a temporary file next to
 * the path and renamed over it, so the directory must take a new file too. */
gboolean
ptl_cli_check_output(const char *flag, const char *path, GError **error)
{
    if (path == NULL || g_strcmp0(path, "-") == 0)
        return TRUE;
    if (*path == '\0')
        return cli_bad(error, "%s: empty file name", flag);
    struct stat st;
    gboolean is_found = stat(path, &st) == 0;
    if (is_found && S_ISDIR(st.st_mode))
        return cli_bad(error, "%s %s: cannot write: %s", flag, path, g_strerror(EISDIR));
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *probe = g_build_filename(dir, ".portolan-write-check-XXXXXX", NULL);
    int fd = g_mkstemp_full(probe, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return cli_bad(error, "%s %s: cannot write: no new file in %s: %s", flag, path, dir,
                       g_strerror(errno));
    close(fd);
    unlink(probe);
    if (!is_found)
        return TRUE;
    fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return cli_bad(error, "%s %s: cannot write: %s", flag, path, g_strerror(errno));
    close(fd);
    return TRUE;
}
