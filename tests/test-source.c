/* test-source.c: the packet source gives every libpcap failure as one
 * PTL_CAPTURE_ERROR line that names the file or the interface, and reads a file
 * record by record. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-source.h"

/* A classic little-endian pcap header (Ethernet) and one 14-byte record
 * (Ethernet header, no payload), then 8 bytes of a second record header: the
 * file is cut inside record 2. */
static const guint8 source_cut_pcap[] = {
    0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    /* record 1: 2024-05-01T10:00:00.000001Z, 14 of 60 bytes */
    0xa0, 0x12, 0x32, 0x66, 0x01, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00,
    0x3c, 0x00, 0x00, 0x00,
    0x52, 0x54, 0x00, 0xed, 0x6c, 0xc8, 0x52, 0x54, 0x00, 0xb0, 0x1f, 0x16, 0x08, 0x00,
    /* record 2: half a header */
    0xa0, 0x12, 0x32, 0x66, 0x02, 0x00, 0x00, 0x00,
};

static void
assert_one_line_naming(const GError *error, gint code, const char *name)
{
    assert_non_null(error);
    assert_true(error->domain == PTL_CAPTURE_ERROR);
    assert_int_equal(error->code, code);
    g_autofree char *prefix = g_strconcat(name, ": ", NULL);
    assert_true(g_str_has_prefix(error->message, prefix));
    assert_null(strchr(error->message, '\n'));
    assert_true(strlen(error->message) > strlen(prefix));   /* says what is wrong */
}

static PtlSource *
source_from_bytes(const guint8 *bytes, gsize len, const char *name,
                  PtlSourceCauseFunc cause, GError **error)
{
    FILE *f = fmemopen((void *) bytes, len, "rb");
    assert_non_null(f);
    PtlSource *src = ptl_source_open_file(f, name, cause, NULL, error);
    if (src == NULL)
        fclose(f);    /* taken over on success only */
    return src;
}

static void
test_source_file_not_a_capture(void **state)
{
    static const guint8 text[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
    g_autoptr(GError) error = NULL;
    PtlSource *src = source_from_bytes(text, sizeof text - 1, "notes.txt", NULL, &error);
    assert_null(src);
    assert_one_line_naming(error, PTL_CAPTURE_ERROR_FORMAT, "notes.txt");
}

static const char *
source_fake_cause(gpointer data)
{
    return "gzip: unexpected end of file";
}

static void
test_source_file_open_error_carries_cause(void **state)
{
    static const guint8 half_header[] = { 0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00 };
    g_autoptr(GError) error = NULL;
    PtlSource *src = source_from_bytes(half_header, sizeof half_header, "cut.pcap.gz",
                                       source_fake_cause, &error);
    assert_null(src);
    assert_one_line_naming(error, PTL_CAPTURE_ERROR_FORMAT, "cut.pcap.gz");
    assert_non_null(strstr(error->message, "gzip: unexpected end of file"));
}

static void
test_source_file_reads_then_cut(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(PtlSource) src = source_from_bytes(source_cut_pcap, sizeof source_cut_pcap,
                                                 "cut.pcap", NULL, &error);
    assert_non_null(src);
    assert_true(ptl_source_is_file(src));
    assert_int_equal(ptl_source_linktype(src), DLT_EN10MB);
    PtlPacket pkt;
    assert_int_equal(ptl_source_next(src, &pkt, &error), PTL_SOURCE_PACKET);
    assert_int_equal(pkt.number, 1);
    assert_int_equal(pkt.caplen, 14);
    assert_int_equal(pkt.wirelen, 60);
    assert_int_equal(pkt.ts_ns, G_GINT64_CONSTANT(1714557600000001000));
    assert_int_equal(ptl_source_header(src)->caplen, 14);
    assert_int_equal(ptl_source_next(src, &pkt, &error), PTL_SOURCE_ERROR);
    assert_one_line_naming(error, PTL_CAPTURE_ERROR_TRUNCATED, "cut.pcap");
    assert_non_null(strstr(error->message, "packet 2: "));
}

static void
test_source_file_filter_error(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(PtlSource) src = source_from_bytes(source_cut_pcap, sizeof source_cut_pcap,
                                                 "cut.pcap", NULL, &error);
    assert_false(ptl_source_set_file_filter(src, "port nonsense", &error));
    assert_one_line_naming(error, PTL_CAPTURE_ERROR_FILTER, "cut.pcap");
}

static void
test_source_no_such_interface(void **state)
{
    PtlLiveConfig cfg = { .device = "nosuch0" };
    g_autoptr(GError) error = NULL;
    g_autoptr(PtlSource) src = ptl_source_open_interface(&cfg, NULL, &error);
    assert_null(src);
    /* root hears "no such interface", anyone else the missing capability */
    assert_one_line_naming(error, PTL_CAPTURE_ERROR_LIVE, "nosuch0");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_file_not_a_capture),
        cmocka_unit_test(test_source_file_open_error_carries_cause),
        cmocka_unit_test(test_source_file_reads_then_cut),
        cmocka_unit_test(test_source_file_filter_error),
        cmocka_unit_test(test_source_no_such_interface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
