/* ptl-ring.c: the `-w` ring of pcap files.  Sizes are counted here rather than
 * asked of stdio, so rotation does not depend on when the buffer was flushed. */
#include "ptl-ring.h"

#include <errno.h>
#include <stdio.h>

G_DEFINE_QUARK(ptl-ring-error-quark, ptl_ring_error)

struct _PtlRing {
    char          *path;
    guint64        file_bytes;
    guint          n_files;
    pcap_t        *dead;          /* gives pcap_dump_open the link type and snaplen */
    pcap_dumper_t *dumper;
    char          *current;
    guint          index;         /* number of the current file */
    guint64        size;          /* bytes in the current file */
    guint64        packets;       /* packets in the current file */
    guint64        started;       /* files started, rotations + 1 */
};

/* digits of n - 1, as tcpdump pads: -W 10 gives FILE0..FILE9, -W 11 FILE00..FILE10 */
static int
ring_width(guint n_files)
{
    int width = 0;
    for (guint x = n_files > 0 ? n_files - 1 : 0; x > 0; x /= 10)
        width++;
    return width;
}

char *
ptl_ring_file_name(const char *path, guint n_files, guint index)
{
    int width = ring_width(n_files);
    if (width == 0 && index == 0)
        return g_strdup(path);
    return g_strdup_printf("%s%0*u", path, width, index);
}

static gboolean
ring_close(PtlRing *r, GError **error)
{
    if (r->dumper == NULL)
        return TRUE;
    FILE *f = pcap_dump_file(r->dumper);
    gboolean is_ok = fflush(f) == 0 && !ferror(f);
    int saved = errno;
    pcap_dump_close(r->dumper);
    r->dumper = NULL;
    if (!is_ok)
        g_set_error(error, PTL_RING_ERROR, PTL_RING_ERROR_WRITE, "%s: write failed: %s",
                    r->current, g_strerror(saved));
    return is_ok;
}

static gboolean
ring_open(PtlRing *r, guint index, GError **error)
{
    g_free(r->current);
    r->current = ptl_ring_file_name(r->path, r->n_files, index);
    r->dumper = pcap_dump_open(r->dead, r->current);
    if (r->dumper == NULL) {
        g_set_error(error, PTL_RING_ERROR, PTL_RING_ERROR_OPEN, "%s", pcap_geterr(r->dead));
        return FALSE;
    }
    r->index = index;
    r->size = PTL_RING_HEADER_BYTES;
    r->packets = 0;
    r->started++;
    return TRUE;
}

PtlRing *
ptl_ring_new(const PtlRingConfig *cfg, GError **error)
{
    g_return_val_if_fail(cfg != NULL && cfg->path != NULL, NULL);
    g_autoptr(PtlRing) r = g_new0(PtlRing, 1);
    r->path = g_strdup(cfg->path);
    r->file_bytes = cfg->file_bytes;
    r->n_files = cfg->n_files;
    r->dead = pcap_open_dead(cfg->linktype, cfg->snaplen);
    if (r->dead == NULL) {
        g_set_error(error, PTL_RING_ERROR, PTL_RING_ERROR_OPEN, "%s: out of memory", cfg->path);
        return NULL;
    }
    if (!ring_open(r, 0, error))
        return NULL;
    return g_steal_pointer(&r);
}

void
ptl_ring_free(PtlRing *r)
{
    if (r == NULL)
        return;
    ring_close(r, NULL);
    if (r->dead != NULL)
        pcap_close(r->dead);
    g_free(r->current);
    g_free(r->path);
    g_free(r);
}

static gboolean
ring_rotate(PtlRing *r, GError **error)
{
    if (!ring_close(r, error))
        return FALSE;
    guint next = r->index + 1;
    if (r->n_files > 0 && next >= r->n_files)
        next = 0;
    return ring_open(r, next, error);
}

gboolean
ptl_ring_write(PtlRing *r, const struct pcap_pkthdr *hdr, const guint8 *data, GError **error)
{
    g_return_val_if_fail(r != NULL && hdr != NULL, FALSE);
    if (r->dumper == NULL) {
        g_set_error(error, PTL_RING_ERROR, PTL_RING_ERROR_WRITE, "%s: not open", r->path);
        return FALSE;
    }
    guint64 record = PTL_RING_RECORD_BYTES + (guint64) hdr->caplen;
    /* one packet always goes in, even if it alone is over the limit */
    if (r->file_bytes > 0 && r->packets > 0 && record > r->file_bytes - MIN(r->size,
                                                                             r->file_bytes)) {
        if (!ring_rotate(r, error))
            return FALSE;
    }
    pcap_dump((u_char *) r->dumper, hdr, data);
    r->size += record;
    r->packets++;
    if (ferror(pcap_dump_file(r->dumper))) {
        g_set_error(error, PTL_RING_ERROR, PTL_RING_ERROR_WRITE, "%s: write failed: %s",
                    r->current, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

gboolean
ptl_ring_flush(PtlRing *r, GError **error)
{
    g_return_val_if_fail(r != NULL, FALSE);
    if (r->dumper != NULL && pcap_dump_flush(r->dumper) != 0) {
        g_set_error(error, PTL_RING_ERROR, PTL_RING_ERROR_WRITE, "%s: write failed: %s",
                    r->current, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

const char *
ptl_ring_current_path(const PtlRing *r)
{
    return r->current;
}

guint64
ptl_ring_files_started(const PtlRing *r)
{
    return r->started;
}
