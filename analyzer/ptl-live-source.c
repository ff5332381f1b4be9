/* ptl-live-source.c: the packet source on an interface: opening it (libpcap's
 * errors become PTL_CAPTURE_ERROR_LIVE here), listing interfaces, dropping root,
 * watching the interface and the kernel's counters. */
#include "ptl-live-source.h"

#include <errno.h>
#include <gio/gio.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

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
