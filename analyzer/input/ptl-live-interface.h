/* ptl-live-interface.h: dropping root (-Z) and watching the interface; the
 * interface itself is opened and read as a PtlSource (ptl-source.h). */
#pragma once

#include <glib.h>

#include "ptl-source.h"

/* `-Z USER`: supplementary groups, group, then user; fails if root could be regained. */
gboolean ptl_live_drop_privileges(const char *user, GError **error);
/* FALSE with error when the interface is down or gone ("any" always passes). */
gboolean ptl_live_check_interface(const char *device, GError **error);
