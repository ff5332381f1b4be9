/* ptl-capture.h: packets from one or more capture files, merged in time order.
 *
 * Reads classic pcap (micro/nano, both byte orders) and pcapng through the packet
 * source (ptl-source.h, libpcap); gzip'd files are recognised by their magic bytes
 * and decompressed on the fly.  PTL_CAPTURE_ERROR is the input stage's error
 * domain; libpcap's own error text becomes one only in ptl-source.c. */
#pragma once

#include <glib.h>

#define PTL_CAPTURE_ERROR (ptl_capture_error_quark())
GQuark ptl_capture_error_quark(void);

typedef enum {
    PTL_CAPTURE_ERROR_OPEN,      /* missing, unreadable */
    PTL_CAPTURE_ERROR_EMPTY,     /* no byte to read (a 0-byte /proc file with content is read) */
    PTL_CAPTURE_ERROR_FORMAT,    /* not a capture file */
    PTL_CAPTURE_ERROR_FILTER,    /* BPF did not compile */
    PTL_CAPTURE_ERROR_TRUNCATED, /* cut mid-record or a garbage record: the file ends there */
    PTL_CAPTURE_ERROR_LIVE,      /* interface open or read failed */
} PtlCaptureError;

typedef struct {
    gint64        ts_ns;       /* nanoseconds since the epoch */
    guint32       caplen;      /* bytes present: trust only this */
    guint32       wirelen;     /* bytes on the wire; > caplen means snaplen-cut */
    const guint8 *data;        /* transfer none: valid until the next ptl_capture_next() */
    int           linktype;    /* DLT_* of the packet's interface */
    guint         file_index;  /* which input file */
    guint64       number;      /* 1-based packet number within its file */
} PtlPacket;

typedef struct {
    char    *path;
    char    *format;           /* "pcap", "pcap-ns", "pcapng"; with "+gzip" when compressed */
    int      linktype;         /* first interface's DLT */
    char    *linktype_name;    /* "EN10MB" */
    guint64  size;             /* bytes on disk */
    guint64  packets;          /* records read */
    guint64  bytes;            /* sum of wirelen */
    guint64  filtered_out;     /* records rejected by the BPF filter */
    guint64  empty_records;    /* records holding no byte (caplen 0): counted, skipped */
    gint64   first_ts_ns;      /* 0 when no packet */
    gint64   last_ts_ns;
    gboolean truncated;        /* ended in a cut or garbage record */
    char    *truncation;       /* transfer none: the warning text, or NULL */
} PtlCaptureFile;

typedef struct _PtlCapture PtlCapture;

/* transfer full */
PtlCapture *ptl_capture_new(void);
void        ptl_capture_free(PtlCapture *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlCapture, ptl_capture_free)

/* BPF expression applied to every file added after this call (compiled per
 * file for its link type).  NULL or "" clears it. */
void     ptl_capture_set_filter(PtlCapture *cap, const char *bpf);

/* Opens and checks one file.  On failure the file is not added and error says
 * "PATH: what is wrong". */
gboolean ptl_capture_add_file(PtlCapture *cap, const char *path, GError **error);

/* The next packet in timestamp order over all files (ties: lower file index).
 * Returns 1 with *out filled, 0 at the end of all files, -1 when a file ended
 * early (cut mid-record, garbage record): error names file and packet number,
 * that file is marked truncated and the next call goes on with the others. */
int      ptl_capture_next(PtlCapture *cap, PtlPacket *out, GError **error);

guint                 ptl_capture_n_files(const PtlCapture *cap);
/* transfer none */
const PtlCaptureFile *ptl_capture_file(const PtlCapture *cap, guint index);
/* fraction of input bytes consumed so far, 0..1, for the progress line */
double                ptl_capture_progress(const PtlCapture *cap);
/* "EN10MB" style name for a DLT, or "DLT_<n>" */
const char           *ptl_capture_linktype_name(int linktype);
