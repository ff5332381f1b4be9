/* ptl-live-signals.c: the stop and interim-report flags set by signals. */
#include "ptl-live-signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

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
