/* test-capture.c: the capture reader on small files written into a temp dir.
 *
 * Every capture is built here from byte arrays (classic pcap in both byte orders and
 * both precisions, pcapng, gzip'd copies), so nothing outside the test is read. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <zlib.h>

#include "ptl-capture.h"

#define TEST_NS_PER_SEC     G_GINT64_CONSTANT(1000000000)
#define TEST_SNAPLEN        262144u
#define TEST_DLT_EN10MB     1u
#define TEST_DLT_LINUX_SLL  113u
#define TEST_LINKTYPE_RAW   101u
#define TEST_CUT_TAIL       ": file cut here, analyzing what came before"

/* http/zeek-get.pcap frame 1: Ethernet, IPv4, TCP SYN 192.150.187.43:59856 -> :80 */
static const guint8 frame_tcp_syn[78] = {
    0x00, 0x10, 0xdb, 0x88, 0xd2, 0xef, 0xc8, 0xbc, 0xc8, 0x96, 0xd2, 0xa0, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x40, 0xdf, 0x8e, 0x40, 0x00, 0x40, 0x06, 0x6d, 0xd3, 0x8d, 0x8e, 0xe4, 0x05, 0xc0, 0x96,
    0xbb, 0x2b, 0xe9, 0xd0, 0x00, 0x50, 0xfe, 0x21, 0x32, 0x3a, 0x00, 0x00, 0x00, 0x00, 0xb0, 0x02,
    0xff, 0xff, 0x3b, 0xc0, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x04, 0x01, 0x01,
    0x08, 0x0a, 0x16, 0x4a, 0xdd, 0x20, 0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00,
};

/* malformed/zeek-pcapng-multi-interface.pcapng frame 3 (interface 1, 1767663437.111897000):
 * Ethernet, IPv4, UDP 10.0.0.4:56351 -> 1.1.1.1:53, DNS query google.com A */
static const guint8 frame_dns_query[70] = {
    0xa8, 0x9c, 0x6c, 0x86, 0xef, 0xb5, 0xa8, 0xa1, 0x59, 0xbf, 0xf2, 0x1e, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x38, 0x4b, 0x54, 0x00, 0x00, 0x80, 0x11, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x04, 0x01, 0x01,
    0x01, 0x01, 0xdc, 0x1f, 0x00, 0x35, 0x00, 0x24, 0x0c, 0x3b, 0x00, 0x04, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03, 0x63, 0x6f,
    0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* ---- temp dir fixture ---- */

typedef struct {
    char      *dir;
    GPtrArray *paths;   /* every file written, removed at teardown */
} TestDir;

static int
test_dir_setup(void **state)
{
    g_autoptr(GError) error = NULL;
    TestDir *dir = g_new0(TestDir, 1);
    dir->dir = g_dir_make_tmp("ptl-capture-XXXXXX", &error);
    if (dir->dir == NULL) {
        g_free(dir);
        return -1;
    }
    dir->paths = g_ptr_array_new_with_free_func(g_free);
    *state = dir;
    return 0;
}

static int
test_dir_teardown(void **state)
{
    TestDir *dir = *state;
    for (guint i = 0; i < dir->paths->len; i++)
        g_remove(g_ptr_array_index(dir->paths, i));
    g_rmdir(dir->dir);
    g_ptr_array_unref(dir->paths);
    g_free(dir->dir);
    g_free(dir);
    return 0;
}

/* transfer none: the path, owned by the fixture */
static const char *
test_dir_path(TestDir *dir, const char *name)
{
    char *path = g_build_filename(dir->dir, name, NULL);
    g_ptr_array_add(dir->paths, path);
    return path;
}

static const char *
test_dir_write(TestDir *dir, const char *name, const guint8 *bytes, gsize len)
{
    const char *path = test_dir_path(dir, name);
    g_autoptr(GError) error = NULL;
    assert_true(g_file_set_contents(path, (const char *) bytes, (gssize) len, &error));
    return path;
}

static const char *
test_dir_write_array(TestDir *dir, const char *name, const GByteArray *bytes)
{
    return test_dir_write(dir, name, bytes->data, bytes->len);
}

static const char *
test_dir_write_gzip(TestDir *dir, const char *name, const guint8 *bytes, gsize len)
{
    const char *path = test_dir_path(dir, name);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    if (len > 0)
        assert_int_equal(gzwrite(gz, bytes, (unsigned) len), (int) len);
    assert_int_equal(gzclose(gz), Z_OK);
    return path;
}

/* ---- capture builders ---- */

typedef struct {
    guint32       sec;
    guint32       frac;      /* microseconds or nanoseconds, as the file says */
    guint32       caplen;    /* bytes of data in the record */
    guint32       wirelen;
    const guint8 *data;
} TestRecord;

static void
build_put16(GByteArray *out, gboolean is_big_endian, guint16 value)
{
    guint16 wire = is_big_endian ? GUINT16_TO_BE(value) : GUINT16_TO_LE(value);
    g_byte_array_append(out, (const guint8 *) &wire, sizeof wire);
}

static void
build_put32(GByteArray *out, gboolean is_big_endian, guint32 value)
{
    guint32 wire = is_big_endian ? GUINT32_TO_BE(value) : GUINT32_TO_LE(value);
    g_byte_array_append(out, (const guint8 *) &wire, sizeof wire);
}

static GByteArray *
build_pcap_header(gboolean is_big_endian, gboolean is_nano, guint32 linktype)
{
    GByteArray *out = g_byte_array_new();
    build_put32(out, is_big_endian, is_nano ? 0xa1b23c4du : 0xa1b2c3d4u);
    build_put16(out, is_big_endian, 2);    /* version 2.4 */
    build_put16(out, is_big_endian, 4);
    build_put32(out, is_big_endian, 0);    /* thiszone */
    build_put32(out, is_big_endian, 0);    /* sigfigs */
    build_put32(out, is_big_endian, TEST_SNAPLEN);
    build_put32(out, is_big_endian, linktype);
    return out;
}

static void
build_pcap_record_header(GByteArray *out, gboolean is_big_endian, const TestRecord *rec)
{
    build_put32(out, is_big_endian, rec->sec);
    build_put32(out, is_big_endian, rec->frac);
    build_put32(out, is_big_endian, rec->caplen);
    build_put32(out, is_big_endian, rec->wirelen);
}

static GByteArray *
build_pcap(gboolean is_big_endian, gboolean is_nano, guint32 linktype, const TestRecord *recs,
           gsize n_recs)
{
    GByteArray *out = build_pcap_header(is_big_endian, is_nano, linktype);
    for (gsize i = 0; i < n_recs; i++) {
        build_pcap_record_header(out, is_big_endian, &recs[i]);
        g_byte_array_append(out, recs[i].data, recs[i].caplen);
    }
    return out;
}

/* One little-endian pcapng block: type, total length, body padded to 4, total length. */
static void
build_pcapng_block(GByteArray *out, guint32 type, const GByteArray *body)
{
    static const guint8 zeros[3] = { 0 };
    guint pad = (4 - body->len % 4) % 4;
    guint32 total = 12 + body->len + pad;
    build_put32(out, FALSE, type);
    build_put32(out, FALSE, total);
    g_byte_array_append(out, body->data, body->len);
    g_byte_array_append(out, zeros, pad);
    build_put32(out, FALSE, total);
}

static GByteArray *
build_pcapng_shb(void)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    build_put32(body, FALSE, 0x1a2b3c4du);  /* byte-order magic */
    build_put16(body, FALSE, 1);
    build_put16(body, FALSE, 0);
    build_put32(body, FALSE, 0xffffffffu);  /* section length unknown */
    build_put32(body, FALSE, 0xffffffffu);
    GByteArray *out = g_byte_array_new();
    build_pcapng_block(out, 0x0a0d0d0au, body);
    return out;
}

/* tsresol_exp 0: no if_tsresol option (microseconds) */
static void
build_pcapng_idb(GByteArray *out, guint16 linktype, guint8 tsresol_exp)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    build_put16(body, FALSE, linktype);
    build_put16(body, FALSE, 0);
    build_put32(body, FALSE, TEST_SNAPLEN);
    if (tsresol_exp != 0) {
        static const guint8 pad[3] = { 0 };
        build_put16(body, FALSE, 9);        /* if_tsresol */
        build_put16(body, FALSE, 1);
        g_byte_array_append(body, &tsresol_exp, 1);
        g_byte_array_append(body, pad, sizeof pad);
        build_put32(body, FALSE, 0);        /* opt_endofopt */
    }
    build_pcapng_block(out, 1, body);
}

static void
build_pcapng_epb(GByteArray *out, guint32 interface_id, guint64 ts_units, const guint8 *data,
                 guint32 caplen, guint32 wirelen)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    build_put32(body, FALSE, interface_id);
    build_put32(body, FALSE, (guint32) (ts_units >> 32));
    build_put32(body, FALSE, (guint32) ts_units);
    build_put32(body, FALSE, caplen);
    build_put32(body, FALSE, wirelen);
    g_byte_array_append(body, data, caplen);
    build_pcapng_block(out, 6, body);
}

/* ---- reading helpers ---- */

static PtlCapture *
open_one(const char *path)
{
    g_autoptr(GError) error = NULL;
    PtlCapture *cap = ptl_capture_new();
    gboolean is_added = ptl_capture_add_file(cap, path, &error);
    if (!is_added)
        fail_msg("%s", error->message);
    assert_int_equal(ptl_capture_n_files(cap), 1);
    return cap;
}

/* Reads one packet and checks it; returns it for more checks. */
static PtlPacket
expect_packet(PtlCapture *cap, gint64 ts_ns, guint file_index, guint64 number,
              const guint8 *data, guint32 caplen, guint32 wirelen)
{
    g_autoptr(GError) error = NULL;
    PtlPacket pkt;
    memset(&pkt, 0, sizeof pkt);
    int rc = ptl_capture_next(cap, &pkt, &error);
    if (rc != 1)
        fail_msg("expected a packet, got %d (%s)", rc, error ? error->message : "no error");
    assert_true(pkt.ts_ns == ts_ns);
    assert_int_equal(pkt.file_index, file_index);
    assert_true(pkt.number == number);
    assert_int_equal(pkt.caplen, caplen);
    assert_int_equal(pkt.wirelen, wirelen);
    assert_non_null(pkt.data);
    assert_memory_equal(pkt.data, data, caplen);
    return pkt;
}

static void
expect_end(PtlCapture *cap)
{
    PtlPacket pkt;
    for (int i = 0; i < 2; i++) {
        g_autoptr(GError) error = NULL;
        assert_int_equal(ptl_capture_next(cap, &pkt, &error), 0);
        assert_null(error);
    }
}

/* transfer full: the message of the cut that ptl_capture_next() reports */
static char *
expect_cut(PtlCapture *cap)
{
    g_autoptr(GError) error = NULL;
    PtlPacket pkt;
    assert_int_equal(ptl_capture_next(cap, &pkt, &error), -1);
    assert_non_null(error);
    assert_true(g_error_matches(error, PTL_CAPTURE_ERROR, PTL_CAPTURE_ERROR_TRUNCATED));
    return g_strdup(error->message);
}

static void
expect_add_error(const char *path, const char *filter, PtlCaptureError code,
                 const char *message)
{
    g_autoptr(PtlCapture) cap = ptl_capture_new();
    g_autoptr(GError) error = NULL;
    ptl_capture_set_filter(cap, filter);
    assert_false(ptl_capture_add_file(cap, path, &error));
    assert_non_null(error);
    assert_true(g_error_matches(error, PTL_CAPTURE_ERROR, (gint) code));
    if (g_str_has_suffix(message, "*")) {
        g_autofree char *prefix = g_strndup(message, strlen(message) - 1);
        if (!g_str_has_prefix(error->message, prefix) || strchr(error->message, '\n') != NULL)
            fail_msg("'%s' does not start with '%s'", error->message, prefix);
    } else {
        assert_string_equal(error->message, message);
    }
    assert_int_equal(ptl_capture_n_files(cap), 0);
}

static gint64
test_ts(guint32 sec, guint32 frac, gboolean is_nano)
{
    return (gint64) sec * TEST_NS_PER_SEC + (gint64) frac * (is_nano ? 1 : 1000);
}

/* ---- classic pcap ---- */

static void
test_capture_pcap_orders_and_precisions(void **state)
{
    static const struct {
        gboolean    is_big_endian;
        gboolean    is_nano;
        guint32     linktype;
        const char *format;
        const char *linktype_name;
    } variants[] = {
        { FALSE, FALSE, TEST_DLT_EN10MB, "pcap", "EN10MB" },
        { TRUE, FALSE, TEST_DLT_EN10MB, "pcap", "EN10MB" },
        { FALSE, TRUE, TEST_DLT_LINUX_SLL, "pcap-ns", "LINUX_SLL" },
        { TRUE, TRUE, TEST_DLT_LINUX_SLL, "pcap-ns", "LINUX_SLL" },
    };
    for (gsize v = 0; v < G_N_ELEMENTS(variants); v++) {
        gboolean is_nano = variants[v].is_nano;
        guint32 frac0 = is_nano ? 869344123u : 869344u;
        guint32 frac1 = is_nano ? 999999999u : 999999u;
        /* the second record is snaplen-cut: 20 of 78 bytes kept */
        const TestRecord recs[] = {
            { 1362692526u, frac0, sizeof frame_tcp_syn, sizeof frame_tcp_syn, frame_tcp_syn },
            { 1362692527u, frac1, 20, sizeof frame_tcp_syn, frame_tcp_syn },
        };
        g_autoptr(GByteArray) bytes = build_pcap(variants[v].is_big_endian, is_nano,
                                                 variants[v].linktype, recs, G_N_ELEMENTS(recs));
        g_autofree char *name = g_strdup_printf("variant-%zu.pcap", v);
        g_autoptr(PtlCapture) cap = open_one(test_dir_write_array(*state, name, bytes));

        const PtlCaptureFile *file = ptl_capture_file(cap, 0);
        assert_string_equal(file->format, variants[v].format);
        assert_int_equal(file->linktype, variants[v].linktype);
        assert_string_equal(file->linktype_name, variants[v].linktype_name);
        assert_true(file->size == bytes->len);

        gint64 ts0 = test_ts(recs[0].sec, frac0, is_nano);
        gint64 ts1 = test_ts(recs[1].sec, frac1, is_nano);
        PtlPacket pkt = expect_packet(cap, ts0, 0, 1, frame_tcp_syn, 78, 78);
        assert_int_equal(pkt.linktype, variants[v].linktype);
        expect_packet(cap, ts1, 0, 2, frame_tcp_syn, 20, 78);
        expect_end(cap);

        assert_true(file->packets == 2);
        assert_true(file->bytes == 156);
        assert_true(file->first_ts_ns == ts0);
        assert_true(file->last_ts_ns == ts1);
        assert_false(file->truncated);
        assert_null(file->truncation);
        assert_true(ptl_capture_progress(cap) == 1.0);
    }
}

static void
test_capture_pcap_header_only(void **state)
{
    g_autoptr(GByteArray) bytes = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, NULL, 0);
    g_autoptr(PtlCapture) cap = open_one(test_dir_write_array(*state, "empty.pcap", bytes));
    expect_end(cap);
    const PtlCaptureFile *file = ptl_capture_file(cap, 0);
    assert_true(file->packets == 0);
    assert_true(file->first_ts_ns == 0 && file->last_ts_ns == 0);
    assert_false(file->truncated);
}

static void
test_capture_pcap_wirelen_below_caplen(void **state)
{
    /* garbage: 78 bytes captured of a 10-byte packet */
    const TestRecord rec = { 1, 0, sizeof frame_tcp_syn, 10, frame_tcp_syn };
    g_autoptr(GByteArray) bytes = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, &rec, 1);
    g_autoptr(PtlCapture) cap = open_one(test_dir_write_array(*state, "short.pcap", bytes));
    expect_packet(cap, TEST_NS_PER_SEC, 0, 1, frame_tcp_syn, 78, 78);
    expect_end(cap);
    assert_true(ptl_capture_file(cap, 0)->bytes == 78);
}

/* ---- pcapng ---- */

static void
test_capture_pcapng_two_interfaces(void **state)
{
    static const guint8 unknown_body[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    g_autoptr(GByteArray) bytes = build_pcapng_shb();
    build_pcapng_idb(bytes, TEST_DLT_EN10MB, 0);   /* microseconds */
    build_pcapng_idb(bytes, TEST_DLT_EN10MB, 9);   /* nanoseconds */
    guint64 ts_ns = G_GUINT64_CONSTANT(1767663437111897000);
    build_pcapng_epb(bytes, 1, ts_ns, frame_dns_query, 70, 70);
    /* a block type libpcap does not know is skipped */
    GByteArray unknown = { (guint8 *) unknown_body, sizeof unknown_body };
    build_pcapng_block(bytes, 0x00000badu, &unknown);
    guint64 ts_us = G_GUINT64_CONSTANT(1767663437140942);
    build_pcapng_epb(bytes, 0, ts_us, frame_tcp_syn, 60, 78);

    g_autoptr(PtlCapture) cap = open_one(test_dir_write_array(*state, "two.pcapng", bytes));
    const PtlCaptureFile *file = ptl_capture_file(cap, 0);
    assert_string_equal(file->format, "pcapng");
    assert_string_equal(file->linktype_name, "EN10MB");
    PtlPacket pkt = expect_packet(cap, (gint64) ts_ns, 0, 1, frame_dns_query, 70, 70);
    assert_int_equal(pkt.linktype, TEST_DLT_EN10MB);
    expect_packet(cap, (gint64) ts_us * 1000, 0, 2, frame_tcp_syn, 60, 78);
    expect_end(cap);
    assert_true(file->packets == 2);
    assert_true(file->bytes == 148);
}

static void
test_capture_pcapng_mixed_linktypes(void **state)
{
    /* libpcap 1.10 gives one link type per file and refuses an interface of another:
     * the file ends there, after what came before */
    g_autoptr(GByteArray) bytes = build_pcapng_shb();
    build_pcapng_idb(bytes, TEST_DLT_EN10MB, 0);
    build_pcapng_epb(bytes, 0, 1000000, frame_tcp_syn, 78, 78);
    build_pcapng_idb(bytes, TEST_LINKTYPE_RAW, 0);
    build_pcapng_epb(bytes, 1, 2000000, frame_dns_query + 14, 56, 56);
    const char *path = test_dir_write_array(*state, "mixed.pcapng", bytes);

    g_autoptr(PtlCapture) cap = open_one(path);
    expect_packet(cap, TEST_NS_PER_SEC, 0, 1, frame_tcp_syn, 78, 78);
    g_autofree char *message = expect_cut(cap);
    g_autofree char *prefix = g_strdup_printf("%s: packet 2: ", path);
    assert_true(g_str_has_prefix(message, prefix));
    assert_non_null(strstr(message, "different from the type of the first interface"));
    assert_true(g_str_has_suffix(message, TEST_CUT_TAIL));
    expect_end(cap);
    assert_true(ptl_capture_file(cap, 0)->truncated);
}

static void
test_capture_pcapng_huge_timestamp(void **state)
{
    /* 2^64-1 microseconds does not fit in int64 nanoseconds: clamped, not wrapped */
    g_autoptr(GByteArray) bytes = build_pcapng_shb();
    build_pcapng_idb(bytes, TEST_DLT_EN10MB, 0);
    build_pcapng_epb(bytes, 0, G_MAXUINT64, frame_tcp_syn, 78, 78);
    g_autoptr(PtlCapture) cap = open_one(test_dir_write_array(*state, "huge.pcapng", bytes));
    expect_packet(cap, G_MAXINT64, 0, 1, frame_tcp_syn, 78, 78);
    expect_end(cap);
}

/* ---- merging ---- */

/* 4 bytes that say which file and packet they came from */
static const guint8 merge_payloads[3][3][4] = {
    { { 0, 1, 0xaa, 0x55 }, { 0, 2, 0xaa, 0x55 }, { 0, 3, 0xaa, 0x55 } },
    { { 1, 1, 0xaa, 0x55 }, { 1, 2, 0xaa, 0x55 }, { 1, 3, 0xaa, 0x55 } },
    { { 2, 1, 0xaa, 0x55 }, { 2, 2, 0xaa, 0x55 }, { 2, 3, 0xaa, 0x55 } },
};

static void
test_capture_merge_three_files(void **state)
{
    /* file 0: pcap us LE at +1, +4, +7 us; file 1: pcap-ns BE at +2, +5, +8 us;
     * file 2: gzip'd pcapng at +3, +6, +8 us (the tie goes to file 1) */
    static const guint32 offsets_us[3][3] = { { 1, 4, 7 }, { 2, 5, 8 }, { 3, 6, 8 } };
    const guint32 base = 100;
    TestRecord recs[2][3];
    for (int f = 0; f < 2; f++) {
        for (int i = 0; i < 3; i++) {
            guint32 frac = f == 0 ? offsets_us[f][i] : offsets_us[f][i] * 1000;
            recs[f][i] = (TestRecord) { base, frac, 4, 4, merge_payloads[f][i] };
        }
    }
    g_autoptr(GByteArray) file0 = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, recs[0], 3);
    g_autoptr(GByteArray) file1 = build_pcap(TRUE, TRUE, TEST_DLT_EN10MB, recs[1], 3);
    g_autoptr(GByteArray) file2 = build_pcapng_shb();
    build_pcapng_idb(file2, TEST_DLT_EN10MB, 0);
    for (int i = 0; i < 3; i++)
        build_pcapng_epb(file2, 0, (guint64) base * 1000000 + offsets_us[2][i],
                         merge_payloads[2][i], 4, 4);

    g_autoptr(PtlCapture) cap = ptl_capture_new();
    const char *paths[3] = {
        test_dir_write_array(*state, "m0.pcap", file0),
        test_dir_write_array(*state, "m1.pcap", file1),
        test_dir_write_gzip(*state, "m2.pcapng.gz", file2->data, file2->len),
    };
    for (int f = 0; f < 3; f++)
        assert_true(ptl_capture_add_file(cap, paths[f], NULL));
    assert_int_equal(ptl_capture_n_files(cap), 3);
    assert_string_equal(ptl_capture_file(cap, 1)->format, "pcap-ns");
    assert_string_equal(ptl_capture_file(cap, 2)->format, "pcapng+gzip");

    static const guint order[9][2] = {
        { 0, 0 }, { 1, 0 }, { 2, 0 }, { 0, 1 }, { 1, 1 }, { 2, 1 }, { 0, 2 }, { 1, 2 }, { 2, 2 },
    };
    for (gsize k = 0; k < G_N_ELEMENTS(order); k++) {
        guint f = order[k][0];
        guint i = order[k][1];
        gint64 ts = (gint64) base * TEST_NS_PER_SEC + (gint64) offsets_us[f][i] * 1000;
        expect_packet(cap, ts, f, i + 1, merge_payloads[f][i], 4, 4);
    }
    expect_end(cap);
    for (guint f = 0; f < 3; f++)
        assert_true(ptl_capture_file(cap, f)->packets == 3);
}

/* ---- cut and garbage records ---- */

static void
test_capture_cut_mid_record_then_others(void **state)
{
    /* file 0 holds 2 records and the first 30 of 78 bytes of a third */
    const TestRecord recs[] = {
        { 10, 0, 78, 78, frame_tcp_syn },
        { 12, 0, 78, 78, frame_tcp_syn },
        { 13, 0, 78, 78, frame_tcp_syn },
    };
    g_autoptr(GByteArray) cut = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, recs, 3);
    g_byte_array_set_size(cut, cut->len - 48);
    const TestRecord later[] = {
        { 11, 0, 70, 70, frame_dns_query },
        { 14, 0, 70, 70, frame_dns_query },
        { 15, 0, 70, 70, frame_dns_query },
    };
    g_autoptr(GByteArray) whole = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, later, 3);
    const char *cut_path = test_dir_write_array(*state, "cut.pcap", cut);

    g_autoptr(PtlCapture) cap = ptl_capture_new();
    assert_true(ptl_capture_add_file(cap, cut_path, NULL));
    assert_true(ptl_capture_add_file(cap, test_dir_write_array(*state, "whole.pcap", whole),
                                     NULL));
    expect_packet(cap, 10 * TEST_NS_PER_SEC, 0, 1, frame_tcp_syn, 78, 78);
    expect_packet(cap, 11 * TEST_NS_PER_SEC, 1, 1, frame_dns_query, 70, 70);
    expect_packet(cap, 12 * TEST_NS_PER_SEC, 0, 2, frame_tcp_syn, 78, 78);
    g_autofree char *message = expect_cut(cap);
    g_autofree char *expected = g_strdup_printf("%s: packet 3: truncated dump file; tried to read "
                                                "78 captured bytes, only got 30" TEST_CUT_TAIL,
                                                cut_path);
    assert_string_equal(message, expected);
    expect_packet(cap, 14 * TEST_NS_PER_SEC, 1, 2, frame_dns_query, 70, 70);
    expect_packet(cap, 15 * TEST_NS_PER_SEC, 1, 3, frame_dns_query, 70, 70);
    expect_end(cap);

    const PtlCaptureFile *file = ptl_capture_file(cap, 0);
    assert_true(file->truncated);
    assert_string_equal(file->truncation, expected);
    assert_true(file->packets == 2);
    assert_false(ptl_capture_file(cap, 1)->truncated);
    assert_true(ptl_capture_progress(cap) == 1.0);
}

static void
test_capture_cut_in_record_header(void **state)
{
    const TestRecord rec = { 10, 0, 78, 78, frame_tcp_syn };
    g_autoptr(GByteArray) bytes = build_pcap(TRUE, FALSE, TEST_DLT_EN10MB, &rec, 1);
    build_pcap_record_header(bytes, TRUE, &rec);
    g_byte_array_set_size(bytes, bytes->len - 11);   /* 5 of 16 header bytes left */
    const char *path = test_dir_write_array(*state, "hdr-cut.pcap", bytes);

    g_autoptr(PtlCapture) cap = open_one(path);
    expect_packet(cap, 10 * TEST_NS_PER_SEC, 0, 1, frame_tcp_syn, 78, 78);
    g_autofree char *message = expect_cut(cap);
    g_autofree char *expected = g_strdup_printf("%s: packet 2: truncated dump file; tried to read "
                                                "16 header bytes, only got 5" TEST_CUT_TAIL, path);
    assert_string_equal(message, expected);
    expect_end(cap);
}

static void
test_capture_garbage_caplen(void **state)
{
    const TestRecord good = { 10, 0, 78, 78, frame_tcp_syn };
    const TestRecord garbage = { 11, 0, 0xffffff00u, 0xffffff00u, NULL };
    g_autoptr(GByteArray) bytes = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, &good, 1);
    build_pcap_record_header(bytes, FALSE, &garbage);
    g_byte_array_append(bytes, frame_tcp_syn, sizeof frame_tcp_syn);
    g_byte_array_append(bytes, frame_tcp_syn, sizeof frame_tcp_syn);
    const char *path = test_dir_write_array(*state, "garbage.pcap", bytes);

    g_autoptr(PtlCapture) cap = open_one(path);
    expect_packet(cap, 10 * TEST_NS_PER_SEC, 0, 1, frame_tcp_syn, 78, 78);
    PtlPacket pkt;
    /* callers may pass no GError: the file is still marked */
    assert_int_equal(ptl_capture_next(cap, &pkt, NULL), -1);
    expect_end(cap);
    const PtlCaptureFile *file = ptl_capture_file(cap, 0);
    g_autofree char *prefix = g_strdup_printf("%s: packet 2: invalid packet capture length "
                                              "4294967040", path);
    assert_true(file->truncated);
    assert_true(g_str_has_prefix(file->truncation, prefix));
    assert_true(g_str_has_suffix(file->truncation, TEST_CUT_TAIL));
    assert_true(file->packets == 1);
}

/* ---- files that are not captures ---- */

static void
test_capture_empty_file(void **state)
{
    const char *path = test_dir_write(*state, "zero.pcap", NULL, 0);
    g_autofree char *expected = g_strdup_printf("%s: empty file (0 bytes)", path);
    expect_add_error(path, NULL, PTL_CAPTURE_ERROR_EMPTY, expected);
}

/* /proc files say 0 bytes and have content: read for what they hold, not called empty. */
static void
test_capture_zero_size_proc_file(void **state)
{
    (void) state;
    expect_add_error("/proc/self/status", NULL, PTL_CAPTURE_ERROR_FORMAT,
                     "/proc/self/status: not a pcap or pcapng capture (starts with 4e 61 6d 65)");
}

/* A pipe is named as one, with what to do instead. */
static void
test_capture_fifo(void **state)
{
    const char *path = test_dir_path(*state, "pipe.pcap");
    assert_int_equal(mkfifo(path, 0600), 0);
    g_autofree char *expected = g_strdup_printf("%s: cannot open: a pipe (FIFO): save the "
                                                "capture to a file first", path);
    expect_add_error(path, NULL, PTL_CAPTURE_ERROR_OPEN, expected);
    g_unlink(path);
}

/* Records with no byte are counted and skipped; the packets around them keep their numbers. */
static void
test_capture_zero_length_records(void **state)
{
    enum { N_EMPTY = 100000 };
    g_autoptr(GArray) recs = g_array_new(FALSE, TRUE, sizeof(TestRecord));
    const TestRecord syn = { 1, 0, sizeof frame_tcp_syn, sizeof frame_tcp_syn, frame_tcp_syn };
    const TestRecord empty = { 1, 0, 0, 0, NULL };
    const TestRecord header_only = { 1, 0, 0, 60, NULL };
    g_array_append_val(recs, syn);
    for (guint i = 0; i < N_EMPTY; i++)
        g_array_append_vals(recs, i % 2 ? &empty : &header_only, 1);
    g_array_append_val(recs, syn);
    g_autoptr(GByteArray) bytes = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB,
                                             (const TestRecord *) recs->data, recs->len);
    const char *path = test_dir_write_gzip(*state, "empty-records.pcap.gz", bytes->data,
                                           bytes->len);
    g_autoptr(PtlCapture) cap = open_one(path);
    expect_packet(cap, TEST_NS_PER_SEC, 0, 1, frame_tcp_syn, 78, 78);
    expect_packet(cap, TEST_NS_PER_SEC, 0, N_EMPTY + 2, frame_tcp_syn, 78, 78);
    expect_end(cap);
    const PtlCaptureFile *file = ptl_capture_file(cap, 0);
    assert_true(file->packets == N_EMPTY + 2);
    assert_true(file->empty_records == N_EMPTY);
}

static void
test_capture_not_a_capture(void **state)
{
    static const char html[] = "<html><body>not a capture</body></html>\n";
    const char *path = test_dir_write(*state, "page.pcap", (const guint8 *) html, strlen(html));
    g_autofree char *expected = g_strdup_printf("%s: not a pcap or pcapng capture "
                                                "(starts with 3c 68 74 6d)", path);
    expect_add_error(path, NULL, PTL_CAPTURE_ERROR_FORMAT, expected);

    const char *tiny = test_dir_write(*state, "tiny.pcap", (const guint8 *) "ab", 2);
    g_autofree char *expected_tiny = g_strdup_printf("%s: not a pcap or pcapng capture "
                                                     "(starts with 61 62)", tiny);
    expect_add_error(tiny, NULL, PTL_CAPTURE_ERROR_FORMAT, expected_tiny);
}

static void
test_capture_bad_pcap_header(void **state)
{
    /* right magic, version 1.0: libpcap's reason follows the path */
    g_autoptr(GByteArray) old = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, NULL, 0);
    old->data[4] = 1;
    const char *old_path = test_dir_write_array(*state, "v1.pcap", old);
    g_autofree char *old_prefix = g_strdup_printf("%s: *", old_path);
    expect_add_error(old_path, NULL, PTL_CAPTURE_ERROR_FORMAT, old_prefix);

    /* right magic, header cut at 10 bytes */
    g_autoptr(GByteArray) cut = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, NULL, 0);
    g_byte_array_set_size(cut, 10);
    const char *cut_path = test_dir_write_array(*state, "hdr.pcap", cut);
    g_autofree char *cut_prefix = g_strdup_printf("%s: truncated dump file*", cut_path);
    expect_add_error(cut_path, NULL, PTL_CAPTURE_ERROR_FORMAT, cut_prefix);
}

static void
test_capture_missing_file(void **state)
{
    const char *path = test_dir_path(*state, "absent.pcap");
    g_autofree char *expected = g_strdup_printf("%s: cannot open: %s", path, g_strerror(ENOENT));
    expect_add_error(path, NULL, PTL_CAPTURE_ERROR_OPEN, expected);
}

static void
test_capture_directory(void **state)
{
    TestDir *dir = *state;
    g_autofree char *expected = g_strdup_printf("%s: cannot open: %s", dir->dir,
                                                g_strerror(EISDIR));
    expect_add_error(dir->dir, NULL, PTL_CAPTURE_ERROR_OPEN, expected);
}

/* ---- BPF ---- */

static void
test_capture_bad_filter(void **state)
{
    const TestRecord rec = { 10, 0, 78, 78, frame_tcp_syn };
    g_autoptr(GByteArray) bytes = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, &rec, 1);
    const char *path = test_dir_write_array(*state, "f.pcap", bytes);
    g_autofree char *expected = g_strdup_printf("%s: filter 'tcp port': *", path);
    expect_add_error(path, "tcp port", PTL_CAPTURE_ERROR_FILTER, expected);
}

static void
test_capture_filter_keeps_some(void **state)
{
    const TestRecord recs[] = {
        { 10, 0, 78, 78, frame_tcp_syn },
        { 11, 0, 70, 70, frame_dns_query },
        { 12, 0, 78, 78, frame_tcp_syn },
        { 13, 0, 70, 70, frame_dns_query },
    };
    g_autoptr(GByteArray) bytes = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, recs, 4);
    const char *unfiltered = test_dir_write_array(*state, "all.pcap", bytes);
    const char *filtered = test_dir_write_gzip(*state, "dns.pcap.gz", bytes->data, bytes->len);
    const char *cleared = test_dir_write_array(*state, "cleared.pcap", bytes);

    /* the filter applies to files added after it is set, until cleared */
    g_autoptr(PtlCapture) cap = ptl_capture_new();
    assert_true(ptl_capture_add_file(cap, unfiltered, NULL));
    ptl_capture_set_filter(cap, "udp port 53");
    assert_true(ptl_capture_add_file(cap, filtered, NULL));
    ptl_capture_set_filter(cap, "");
    assert_true(ptl_capture_add_file(cap, cleared, NULL));

    guint delivered[3] = { 0 };
    PtlPacket pkt;
    int rc;
    while ((rc = ptl_capture_next(cap, &pkt, NULL)) == 1) {
        delivered[pkt.file_index]++;
        if (pkt.file_index == 1) {
            assert_true(pkt.number == 2 || pkt.number == 4);
            assert_memory_equal(pkt.data, frame_dns_query, sizeof frame_dns_query);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(delivered[0], 4);
    assert_int_equal(delivered[1], 2);
    assert_int_equal(delivered[2], 4);
    const PtlCaptureFile *file = ptl_capture_file(cap, 1);
    assert_true(file->packets == 4);
    assert_true(file->filtered_out == 2);
    assert_true(ptl_capture_file(cap, 0)->filtered_out == 0);
}

/* ---- gzip ---- */

static void
test_capture_gzip_pcap_and_pcapng(void **state)
{
    const TestRecord rec = { 10, 250000, 78, 78, frame_tcp_syn };
    g_autoptr(GByteArray) pcap = build_pcap(TRUE, FALSE, TEST_DLT_EN10MB, &rec, 1);
    g_autoptr(GByteArray) pcapng = build_pcapng_shb();
    build_pcapng_idb(pcapng, TEST_DLT_EN10MB, 9);
    build_pcapng_epb(pcapng, 0, 10250000000u, frame_tcp_syn, 78, 78);
    const GByteArray *inputs[] = { pcap, pcapng };
    static const char *const formats[] = { "pcap+gzip", "pcapng+gzip" };

    for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
        g_autofree char *name = g_strdup_printf("gz-%zu", i);
        const char *path = test_dir_write_gzip(*state, name, inputs[i]->data, inputs[i]->len);
        g_autoptr(PtlCapture) cap = open_one(path);
        const PtlCaptureFile *file = ptl_capture_file(cap, 0);
        assert_string_equal(file->format, formats[i]);
        assert_string_equal(file->linktype_name, "EN10MB");
        expect_packet(cap, 10250000000, 0, 1, frame_tcp_syn, 78, 78);
        expect_end(cap);
        assert_true(ptl_capture_progress(cap) == 1.0);
        assert_false(file->truncated);
    }
}

static void
test_capture_gzip_cut(void **state)
{
    /* 200 distinct records, gzip'd, then the compressed file cut in half */
    TestRecord recs[200];
    guint8 payloads[200][78];
    for (guint i = 0; i < G_N_ELEMENTS(recs); i++) {
        memcpy(payloads[i], frame_tcp_syn, sizeof frame_tcp_syn);
        payloads[i][38] = (guint8) i;    /* TCP sequence number byte */
        recs[i] = (TestRecord) { 10 + i, 0, 78, 78, payloads[i] };
    }
    g_autoptr(GByteArray) bytes = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, recs, 200);
    const char *whole = test_dir_write_gzip(*state, "whole.pcap.gz", bytes->data, bytes->len);
    g_autofree char *compressed = NULL;
    gsize compressed_len = 0;
    assert_true(g_file_get_contents(whole, &compressed, &compressed_len, NULL));
    const char *path = test_dir_write(*state, "half.pcap.gz", (const guint8 *) compressed,
                                      compressed_len / 2);

    g_autoptr(PtlCapture) cap = open_one(path);
    PtlPacket pkt;
    guint64 n = 0;
    int rc;
    while ((rc = ptl_capture_next(cap, &pkt, NULL)) == 1) {
        assert_true(pkt.number == n + 1);
        assert_memory_equal(pkt.data, payloads[n], 78);
        n++;
    }
    assert_int_equal(rc, -1);
    assert_true(n > 0 && n < 200);
    expect_end(cap);
    const PtlCaptureFile *file = ptl_capture_file(cap, 0);
    g_autofree char *prefix = g_strdup_printf("%s: packet %" G_GUINT64_FORMAT ": ", path, n + 1);
    assert_true(file->truncated);
    assert_true(g_str_has_prefix(file->truncation, prefix));
    assert_non_null(strstr(file->truncation, "gzip: unexpected end of file"));
}

static void
test_capture_gzip_bad_content(void **state)
{
    static const char html[] = "<html></html>";
    const char *page = test_dir_write_gzip(*state, "page.gz", (const guint8 *) html,
                                           strlen(html));
    g_autofree char *expected = g_strdup_printf("%s: not a pcap or pcapng capture inside gzip "
                                                "(starts with 3c 68 74 6d)", page);
    expect_add_error(page, NULL, PTL_CAPTURE_ERROR_FORMAT, expected);

    const char *empty = test_dir_write_gzip(*state, "empty.gz", NULL, 0);
    g_autofree char *expected_empty = g_strdup_printf("%s: empty file (0 bytes after gzip "
                                                      "decompression)", empty);
    expect_add_error(empty, NULL, PTL_CAPTURE_ERROR_EMPTY, expected_empty);

    /* gzip magic, unknown compression method */
    static const guint8 corrupt[] = { 0x1f, 0x8b, 0x63, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
                                      0x01, 0x02, 0x03, 0x04 };
    const char *bad = test_dir_write(*state, "bad.gz", corrupt, sizeof corrupt);
    g_autofree char *expected_bad = g_strdup_printf("%s: gzip: *", bad);
    expect_add_error(bad, NULL, PTL_CAPTURE_ERROR_FORMAT, expected_bad);
}

/* ---- progress, names ---- */

static void
test_capture_progress_midway(void **state)
{
    /* large enough (about 190 kB) that stdio reads it in many pieces */
    TestRecord recs[2000];
    for (guint i = 0; i < G_N_ELEMENTS(recs); i++)
        recs[i] = (TestRecord) { 10 + i, 0, 78, 78, frame_tcp_syn };
    g_autoptr(GByteArray) bytes = build_pcap(FALSE, FALSE, TEST_DLT_EN10MB, recs, 2000);
    g_autoptr(PtlCapture) cap = open_one(test_dir_write_array(*state, "big.pcap", bytes));
    assert_true(ptl_capture_progress(cap) < 0.1);
    PtlPacket pkt;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(ptl_capture_next(cap, &pkt, NULL), 1);
    double half = ptl_capture_progress(cap);
    assert_true(half > 0.4 && half < 0.6);
    while (ptl_capture_next(cap, &pkt, NULL) == 1)
        ;
    assert_true(ptl_capture_progress(cap) == 1.0);
    assert_true(ptl_capture_file(cap, 0)->packets == 2000);
}

static void
test_capture_linktype_names(void **state)
{
    (void) state;
    assert_string_equal(ptl_capture_linktype_name(1), "EN10MB");
    assert_string_equal(ptl_capture_linktype_name(113), "LINUX_SLL");
    const char *unknown = ptl_capture_linktype_name(65000);
    assert_string_equal(unknown, "DLT_65000");
    assert_ptr_equal(ptl_capture_linktype_name(65000), unknown);
    /* more names than the cache holds: evicted ones come back equal */
    for (int lt = 64000; lt < 64020; lt++) {
        g_autofree char *expected = g_strdup_printf("DLT_%d", lt);
        assert_string_equal(ptl_capture_linktype_name(lt), expected);
    }
    assert_string_equal(ptl_capture_linktype_name(65000), "DLT_65000");
    assert_string_equal(ptl_capture_linktype_name(1), "EN10MB");
}

#define CAPTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, test_dir_setup, test_dir_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        CAPTURE_TEST(test_capture_pcap_orders_and_precisions),
        CAPTURE_TEST(test_capture_pcap_header_only),
        CAPTURE_TEST(test_capture_pcap_wirelen_below_caplen),
        CAPTURE_TEST(test_capture_pcapng_two_interfaces),
        CAPTURE_TEST(test_capture_pcapng_mixed_linktypes),
        CAPTURE_TEST(test_capture_pcapng_huge_timestamp),
        CAPTURE_TEST(test_capture_merge_three_files),
        CAPTURE_TEST(test_capture_cut_mid_record_then_others),
        CAPTURE_TEST(test_capture_cut_in_record_header),
        CAPTURE_TEST(test_capture_garbage_caplen),
        CAPTURE_TEST(test_capture_empty_file),
        CAPTURE_TEST(test_capture_zero_size_proc_file),
        CAPTURE_TEST(test_capture_fifo),
        CAPTURE_TEST(test_capture_zero_length_records),
        CAPTURE_TEST(test_capture_not_a_capture),
        CAPTURE_TEST(test_capture_bad_pcap_header),
        CAPTURE_TEST(test_capture_missing_file),
        CAPTURE_TEST(test_capture_directory),
        CAPTURE_TEST(test_capture_bad_filter),
        CAPTURE_TEST(test_capture_filter_keeps_some),
        CAPTURE_TEST(test_capture_gzip_pcap_and_pcapng),
        CAPTURE_TEST(test_capture_gzip_cut),
        CAPTURE_TEST(test_capture_gzip_bad_content),
        CAPTURE_TEST(test_capture_progress_midway),
        cmocka_unit_test(test_capture_linktype_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
