/* ptl-live-interface.c: what live mode asks of the host besides libpcap
 * (ptl-source.c opens and reads the interface): dropping root and watching
 * that the interface is still up. */
#include "ptl-live-interface.h"

#include <errno.h>
#include <gio/gio.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

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
