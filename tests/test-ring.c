/* test-ring.c: the -w ring: tcpdump's file names, rotation before a file passes
 * the size, reuse of N files in turn, every packet read back, open errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-ring.h"

#include <glib/gstdio.h>
#include <string.h>

#define RING_CAPLEN 100u
#define RING_RECORD (PTL_RING_RECORD_BYTES + RING_CAPLEN)

typedef struct {
    char *dir;
    char *base;
} RingDir;

static int
ring_setup(void **state)
{
    RingDir *d = g_new0(RingDir, 1);
    d->dir = g_dir_make_tmp("ptl-ring-XXXXXX", NULL);
    assert_non_null(d->dir);
    d->base = g_build_filename(d->dir, "cap.pcap", NULL);
    *state = d;
    return 0;
}

static int
ring_teardown(void **state)
{
    RingDir *d = *state;
    GDir *dir = g_dir_open(d->dir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(d->dir, name, NULL);
        g_unlink(path);
    }
    if (dir != NULL)
        g_dir_close(dir);
    g_rmdir(d->dir);
    g_free(d->dir);
    g_free(d->base);
    g_free(d);
    return 0;
}

/* packet number n: its first byte and its timestamp say which it was */
static void
ring_write(PtlRing *ring, guint n, guint caplen)
{
    guint8 data[4 * RING_CAPLEN];
    memset(data, (int) (n & 0xff), sizeof data);
    struct pcap_pkthdr hdr = { .ts = { .tv_sec = 1000 + n, .tv_usec = 0 },
                               .caplen = caplen, .len = caplen };
    g_autoptr(GError) error = NULL;
    assert_true(ptl_ring_write(ring, &hdr, data, &error));
    assert_null(error);
}

/* packet numbers in a file, in order */
static GArray *
ring_read(const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    assert_non_null(p);
    assert_int_equal(pcap_datalink(p), DLT_EN10MB);
    GArray *numbers = g_array_new(FALSE, FALSE, sizeof(guint));
    struct pcap_pkthdr *hdr;
    const u_char *data;
    while (pcap_next_ex(p, &hdr, &data) == 1) {
        guint n = (guint) (hdr->ts.tv_sec - 1000);
        assert_int_equal(data[0], n & 0xff);
        g_array_append_val(numbers, n);
    }
    pcap_close(p);
    return numbers;
}

static guint64
ring_file_size(const char *path)
{
    GStatBuf st;
    assert_int_equal(g_stat(path, &st), 0);
    return (guint64) st.st_size;
}

static void
test_ring_names_like_tcpdump(void **state)
{
    const struct { guint n_files, index; const char *name; } cases[] = {
        { 0, 0, "cap" }, { 0, 1, "cap1" }, { 0, 12, "cap12" },
        { 1, 0, "cap" }, { 10, 0, "cap0" }, { 10, 9, "cap9" },
        { 11, 0, "cap00" }, { 11, 10, "cap10" }, { 101, 7, "cap007" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *name = ptl_ring_file_name("cap", cases[i].n_files, cases[i].index);
        assert_string_equal(name, cases[i].name);
    }
}

static void
test_ring_one_file_without_limit(void **state)
{
    RingDir *d = *state;
    PtlRingConfig cfg = { .path = d->base, .linktype = DLT_EN10MB, .snaplen = 65535 };
    g_autoptr(PtlRing) ring = ptl_ring_new(&cfg, NULL);
    assert_non_null(ring);
    for (guint n = 0; n < 50; n++)
        ring_write(ring, n, RING_CAPLEN);
    assert_true(ptl_ring_flush(ring, NULL));
    assert_string_equal(ptl_ring_current_path(ring), d->base);
    assert_int_equal(ptl_ring_files_started(ring), 1);
    g_autoptr(GArray) numbers = ring_read(d->base);
    assert_int_equal(numbers->len, 50);
}

static void
test_ring_rotates_before_the_limit(void **state)
{
    RingDir *d = *state;
    /* room for exactly three records after the header */
    PtlRingConfig cfg = { .path = d->base, .file_bytes = PTL_RING_HEADER_BYTES + 3 * RING_RECORD,
                          .linktype = DLT_EN10MB, .snaplen = 65535 };
    PtlRing *ring = ptl_ring_new(&cfg, NULL);
    for (guint n = 0; n < 10; n++)
        ring_write(ring, n, RING_CAPLEN);
    assert_int_equal(ptl_ring_files_started(ring), 4);
    ptl_ring_free(ring);
    guint expected = 0;
    for (guint i = 0; i < 4; i++) {
        g_autofree char *path = ptl_ring_file_name(d->base, 0, i);
        assert_true(ring_file_size(path) <= cfg.file_bytes);
        g_autoptr(GArray) numbers = ring_read(path);
        assert_int_equal(numbers->len, i < 3 ? 3 : 1);
        for (guint k = 0; k < numbers->len; k++)
            assert_int_equal(g_array_index(numbers, guint, k), expected++);
    }
    assert_int_equal(expected, 10);
}

static void
test_ring_reuses_n_files(void **state)
{
    RingDir *d = *state;
    PtlRingConfig cfg = { .path = d->base, .file_bytes = PTL_RING_HEADER_BYTES + 2 * RING_RECORD,
                          .n_files = 3, .linktype = DLT_EN10MB, .snaplen = 65535 };
    PtlRing *ring = ptl_ring_new(&cfg, NULL);
    for (guint n = 0; n < 9; n++)     /* five files' worth: 0 1 2 0 1 */
        ring_write(ring, n, RING_CAPLEN);
    ptl_ring_free(ring);
    g_autofree char *fourth = g_strconcat(d->base, "3", NULL);
    assert_false(g_file_test(fourth, G_FILE_TEST_EXISTS));
    const guint first[] = { 6, 8, 4 };   /* cap0 and cap1 were overwritten */
    for (guint i = 0; i < 3; i++) {
        g_autofree char *path = ptl_ring_file_name(d->base, 3, i);
        g_autoptr(GArray) numbers = ring_read(path);
        assert_true(numbers->len >= 1);
        assert_int_equal(g_array_index(numbers, guint, 0), first[i]);
    }
}

static void
test_ring_big_packet_gets_its_own_file(void **state)
{
    RingDir *d = *state;
    PtlRingConfig cfg = { .path = d->base, .file_bytes = PTL_RING_HEADER_BYTES + RING_RECORD,
                          .linktype = DLT_EN10MB, .snaplen = 65535 };
    PtlRing *ring = ptl_ring_new(&cfg, NULL);
    ring_write(ring, 0, 4 * RING_CAPLEN);   /* over the limit alone: still written */
    ring_write(ring, 1, RING_CAPLEN);
    assert_int_equal(ptl_ring_files_started(ring), 2);
    ptl_ring_free(ring);
    g_autoptr(GArray) numbers = ring_read(d->base);
    assert_int_equal(numbers->len, 1);
}

static void
test_ring_open_error(void **state)
{
    RingDir *d = *state;
    g_autofree char *path = g_build_filename(d->dir, "no-such-dir", "cap.pcap", NULL);
    PtlRingConfig cfg = { .path = path, .linktype = DLT_EN10MB, .snaplen = 65535 };
    g_autoptr(GError) error = NULL;
    assert_null(ptl_ring_new(&cfg, &error));
    assert_true(g_error_matches(error, PTL_RING_ERROR, PTL_RING_ERROR_OPEN));
    assert_non_null(strstr(error->message, "cap.pcap"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_names_like_tcpdump),
        cmocka_unit_test_setup_teardown(test_ring_one_file_without_limit, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_rotates_before_the_limit, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_reuses_n_files, ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_big_packet_gets_its_own_file, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_open_error, ring_setup, ring_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
