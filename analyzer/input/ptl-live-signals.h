/* ptl-live-signals.h: the signal flags of a live run. */
#pragma once

#include <glib.h>

/* SIGINT/SIGTERM ask to stop; a second one exits at once with
 * PTL_LIVE_EXIT_INTERRUPTED and no report.  SIGHUP/SIGUSR1 ask for an interim
 * report.  Installed without SA_RESTART so a waiting poll() returns. */
#define PTL_LIVE_EXIT_INTERRUPTED 2
void     ptl_live_signals_install(void);
void     ptl_live_signals_restore(void);
gboolean ptl_live_stop_requested(void);
/* TRUE once per burst of SIGHUP/SIGUSR1 */
gboolean ptl_live_take_interim_request(void);
/* clears both flags (tests, and a child writing an interim report) */
void     ptl_live_signals_reset(void);
