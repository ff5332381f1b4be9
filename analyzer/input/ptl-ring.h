/* ptl-ring.h: `-w FILE -C MB -W N`: the raw packets saved as classic pcap files,
 * tcpdump-style.  Without a size limit one file; with one, a new file is
 * started before a packet would take the current one past the limit: FILE,
 * FILE1, FILE2 ... without -W, or FILE0 .. FILE(N-1) reused in turn with it
 * (zero-padded to the width of N-1, as tcpdump names them). */
#pragma once

#include <glib.h>
#include <pcap/pcap.h>

#define PTL_RING_ERROR (ptl_ring_error_quark())
GQuark ptl_ring_error_quark(void);

typedef enum {
    PTL_RING_ERROR_OPEN,   /* a file could not be created */
    PTL_RING_ERROR_WRITE,  /* a write or flush failed (disk full ...) */
} PtlRingError;

#define PTL_RING_HEADER_BYTES 24u   /* pcap file header */
#define PTL_RING_RECORD_BYTES 16u   /* pcap record header */

typedef struct {
    const char *path;        /* -w FILE */
    guint64     file_bytes;  /* -C in bytes; 0: one file, never rotated */
    guint       n_files;     /* -W; 0: numbered on without end */
    int         linktype;    /* DLT of the source */
    int         snaplen;
} PtlRingConfig;

typedef struct _PtlRing PtlRing;

/* Creates the first file; transfer full. */
PtlRing *ptl_ring_new(const PtlRingConfig *cfg, GError **error);
/* Flushes and closes the current file. */
void     ptl_ring_free(PtlRing *ring);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlRing, ptl_ring_free)

/* Appends one packet (hdr->caplen bytes of data), rotating first when needed. */
gboolean ptl_ring_write(PtlRing *ring, const struct pcap_pkthdr *hdr, const guint8 *data,
                        GError **error);
/* Pushes buffered packets to the file, so it can be read while capturing. */
gboolean ptl_ring_flush(PtlRing *ring, GError **error);

/* The name of file number index; transfer full. */
char       *ptl_ring_file_name(const char *path, guint n_files, guint index);
/* transfer none */
const char *ptl_ring_current_path(const PtlRing *ring);
guint64     ptl_ring_files_started(const PtlRing *ring);
