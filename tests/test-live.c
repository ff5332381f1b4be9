/* test-live.c: live mode without an interface: option errors, the signal flags,
 * the read loop on a savefile (count, duration, signals, ticks), findings
 * reported once per key, and the permission and privilege-drop paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ptl-cli.h"
#include "ptl-live.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* samples/sisense.pcap: the file header and frames 1-4 (342 bytes) */
static const guint8 live_fixture_pcap[] = {
    0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xa0, 0x12, 0x32, 0x66, 0x00, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00, 0x00,
    0x42, 0x00, 0x00, 0x00, 0x52, 0x54, 0x00, 0xed, 0x6c, 0xc8, 0x52, 0x54,
    0x00, 0xb0, 0x1f, 0x16, 0x08, 0x00, 0x45, 0x00, 0x00, 0x34, 0x9c, 0xb6,
    0x40, 0x00, 0x40, 0x06, 0x89, 0xcf, 0x0a, 0x14, 0x00, 0x0c, 0x0a, 0x14,
    0x00, 0x0b, 0x8a, 0x38, 0x16, 0x28, 0xfd, 0xed, 0xce, 0x3b, 0x00, 0x00,
    0x00, 0x00, 0x80, 0x02, 0xfa, 0xf0, 0xf3, 0x57, 0x00, 0x00, 0x02, 0x04,
    0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, 0x01, 0x01, 0x04, 0x02, 0xa0, 0x12,
    0x32, 0x66, 0x96, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00, 0x00, 0x42, 0x00,
    0x00, 0x00, 0x52, 0x54, 0x00, 0xb0, 0x1f, 0x16, 0x52, 0x54, 0x00, 0xed,
    0x6c, 0xc8, 0x08, 0x00, 0x45, 0x00, 0x00, 0x34, 0xc8, 0x40, 0x40, 0x00,
    0x40, 0x06, 0x5e, 0x45, 0x0a, 0x14, 0x00, 0x0b, 0x0a, 0x14, 0x00, 0x0c,
    0x16, 0x28, 0x8a, 0x38, 0xf7, 0x8b, 0xb3, 0xb6, 0xfd, 0xed, 0xce, 0x3c,
    0x80, 0x12, 0xfa, 0xf0, 0x48, 0x04, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    0x01, 0x03, 0x03, 0x07, 0x01, 0x01, 0x04, 0x02, 0xa0, 0x12, 0x32, 0x66,
    0x2c, 0x01, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
    0x52, 0x54, 0x00, 0xed, 0x6c, 0xc8, 0x52, 0x54, 0x00, 0xb0, 0x1f, 0x16,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x9c, 0xb7, 0x40, 0x00, 0x40, 0x06,
    0x89, 0xda, 0x0a, 0x14, 0x00, 0x0c, 0x0a, 0x14, 0x00, 0x0b, 0x8a, 0x38,
    0x16, 0x28, 0xfd, 0xed, 0xce, 0x3c, 0xf7, 0x8b, 0xb3, 0xb7, 0x50, 0x10,
    0x01, 0xf6, 0x81, 0xd1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x12, 0x32, 0x66, 0xe0, 0x01, 0x00, 0x00, 0x3e, 0x00, 0x00, 0x00,
    0x3e, 0x00, 0x00, 0x00, 0x52, 0x54, 0x00, 0xed, 0x6c, 0xc8, 0x52, 0x54,
    0x00, 0xb0, 0x1f, 0x16, 0x08, 0x00, 0x45, 0x00, 0x00, 0x30, 0x9c, 0xb8,
    0x40, 0x00, 0x40, 0x06, 0x89, 0xd1, 0x0a, 0x14, 0x00, 0x0c, 0x0a, 0x14,
    0x00, 0x0b, 0x8a, 0x38, 0x16, 0x28, 0xfd, 0xed, 0xce, 0x3c, 0xf7, 0x8b,
    0xb3, 0xb7, 0x50, 0x18, 0x01, 0xf6, 0xe6, 0x22, 0x00, 0x00, 0x41, 0x4d,
    0x51, 0x50, 0x00, 0x00, 0x09, 0x01,
};

#define LIVE_FIXTURE_PACKETS 4

/* ---- options ---------------------------------------------------------------- */

static int
live_cli(const char *first, ...)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_ptr_array_add(args, (gpointer) "portolan");
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
        g_ptr_array_add(args, (gpointer) a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    return ptl_cli_live((int) args->len - 1, (char **) args->pdata);
}

static void
test_live_options_refused(void **state)
{
    assert_int_equal(live_cli(NULL, NULL), PTL_EXIT_FAILED);                   /* no -i */
    assert_int_equal(live_cli("-i", "lo", "-W", "3", "-w", "x", NULL), PTL_EXIT_FAILED);
    assert_int_equal(live_cli("-i", "lo", "-C", "1", NULL), PTL_EXIT_FAILED);  /* no -w */
    assert_int_equal(live_cli("-i", "lo", "-w", "-", NULL), PTL_EXIT_FAILED);
    assert_int_equal(live_cli("-i", "lo", "-r", "x.pcap", NULL), PTL_EXIT_FAILED);
    assert_int_equal(live_cli("-i", "lo", "-c", "-1", NULL), PTL_EXIT_FAILED);
    assert_int_equal(live_cli("-i", "lo", "--duration", "-2", NULL), PTL_EXIT_FAILED);
    assert_int_equal(live_cli("-i", "lo", "-C", "-5", "-w", "x", NULL), PTL_EXIT_FAILED);
    assert_int_equal(live_cli("-i", "lo", "stray", NULL), PTL_EXIT_FAILED);
    assert_int_equal(live_cli("-i", "lo", "--no-such-option", NULL), PTL_EXIT_FAILED);
    assert_int_equal(live_cli("-i", "nosuch0", "--duration", "1", NULL), PTL_EXIT_FAILED);
}

/* ---- signals -------------------------------------------------------------- */

static void
test_live_signal_flags(void **state)
{
    ptl_live_signals_reset();
    ptl_live_signals_install();
    assert_false(ptl_live_take_interim_request());
    raise(SIGUSR1);
    raise(SIGHUP);
    assert_true(ptl_live_take_interim_request());
    assert_false(ptl_live_take_interim_request());
    assert_false(ptl_live_stop_requested());
    raise(SIGTERM);
    assert_true(ptl_live_stop_requested());
    ptl_live_signals_reset();
    assert_false(ptl_live_stop_requested());
    ptl_live_signals_restore();
}

static void
test_live_second_sigint_exits_at_once(void **state)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ptl_live_signals_reset();
        ptl_live_signals_install();
        raise(SIGINT);
        raise(SIGINT);
        _exit(0);    /* not reached: the second one exits */
    }
    int wstatus;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), PTL_LIVE_EXIT_INTERRUPTED);
}

/* ---- the loop on a savefile --------------------------------------------------- */

typedef struct {
    guint    packets, ticks, interims;
    gint64   last_ts_ns, tick_now_ns;
    int      raise_at;      /* raise this signal ... */
    int      signal;        /* ... after this many packets */
    gulong   sleep_us;      /* per packet, to let time pass */
} LiveCounter;

static void
live_count_packet(gpointer user_data, const PtlPacket *pkt, const struct pcap_pkthdr *hdr)
{
    LiveCounter *c = user_data;
    c->packets++;
    assert_int_equal(pkt->caplen, hdr->caplen);
    assert_int_equal(pkt->number, c->packets);
    assert_int_equal(pkt->linktype, DLT_EN10MB);
    c->last_ts_ns = pkt->ts_ns;
    if (c->signal != 0 && (int) c->packets == c->raise_at)
        raise(c->signal);
    if (c->sleep_us > 0)
        g_usleep(c->sleep_us);
}

static void
live_count_tick(gpointer user_data, gint64 now_ns)
{
    LiveCounter *c = user_data;
    c->ticks++;
    c->tick_now_ns = now_ns;
}

static void
live_count_interim(gpointer user_data)
{
    ((LiveCounter *) user_data)->interims++;
}

/* the fixture as a file source (transfer full) */
static PtlSource *
live_fixture_source(void)
{
    FILE *f = fmemopen((void *) live_fixture_pcap, sizeof live_fixture_pcap, "rb");
    assert_non_null(f);
    PtlSource *src = ptl_source_open_file(f, "fixture.pcap", NULL, NULL, NULL);
    assert_non_null(src);
    return src;
}

static PtlLiveEnd
live_run_fixture(LiveCounter *c, guint64 max_packets, gint64 duration_us, gint64 tick_us)
{
    g_autoptr(PtlSource) src = live_fixture_source();
    PtlLiveLoop loop = {
        .max_packets = max_packets, .duration_us = duration_us, .tick_us = tick_us,
        .on_packet = live_count_packet, .on_tick = live_count_tick,
        .on_interim = live_count_interim, .user_data = c,
    };
    g_autoptr(GError) error = NULL;
    ptl_live_signals_reset();
    ptl_live_signals_install();
    PtlLiveEnd end = ptl_live_run(src, &loop, &error);
    ptl_live_signals_restore();
    ptl_live_signals_reset();
    assert_null(error);
    return end;
}

static void
test_live_run_reads_to_the_end(void **state)
{
    LiveCounter c = { 0 };
    assert_int_equal(live_run_fixture(&c, 0, 0, 0), PTL_LIVE_END_INPUT);
    assert_int_equal(c.packets, LIVE_FIXTURE_PACKETS);
    /* frame 4 of the sample: 2024-05-01T10:00:00.000480Z */
    assert_int_equal(c.last_ts_ns, G_GINT64_CONSTANT(1714557600000480000));
}

static void
test_live_run_stops_at_count(void **state)
{
    LiveCounter c = { 0 };
    assert_int_equal(live_run_fixture(&c, 2, 0, 0), PTL_LIVE_END_COUNT);
    assert_int_equal(c.packets, 2);
}

static void
test_live_run_stops_at_duration(void **state)
{
    LiveCounter c = { .sleep_us = 40000 };
    assert_int_equal(live_run_fixture(&c, 0, 60000, 0), PTL_LIVE_END_DURATION);
    assert_in_range(c.packets, 1, LIVE_FIXTURE_PACKETS - 1);
}

static void
test_live_run_stops_on_signal(void **state)
{
    LiveCounter c = { .raise_at = 1, .signal = SIGINT };
    assert_int_equal(live_run_fixture(&c, 0, 0, 0), PTL_LIVE_END_SIGNAL);
    assert_true(c.packets < LIVE_FIXTURE_PACKETS);
}

static void
test_live_run_interim_and_ticks(void **state)
{
    LiveCounter c = { .raise_at = 1, .signal = SIGUSR1, .sleep_us = 3000 };
    assert_int_equal(live_run_fixture(&c, 0, 0, 1000), PTL_LIVE_END_INPUT);
    assert_int_equal(c.interims, 1);
    assert_true(c.ticks > 0);
    /* a savefile's clock is its packets' time, so idle flows end as analyze ends them */
    assert_true(c.tick_now_ns >= G_GINT64_CONSTANT(1714557600000000000));
    assert_true(c.tick_now_ns <= c.last_ts_ns);
}

static void
test_live_kernel_stats_not_for_savefiles(void **state)
{
    g_autoptr(PtlSource) src = live_fixture_source();
    PtlLiveKernelStats k;
    assert_false(ptl_source_kernel_stats(src, &k));
    assert_int_equal(k.dropped, 0);
}

/* ---- findings as they occur -------------------------------------------------- */

/* stands in for the engine: product and service by port, findings from a table */
static void
live_fake_judge(gpointer judge_data, const PtlFlowRecord *rec, JsonBuilder *b)
{
    json_builder_set_member_name(b, "product");
    json_builder_add_string_value(b, "sisense");
    json_builder_set_member_name(b, "service");
    if (rec->server_port == 5672)
        json_builder_add_string_value(b, "broker-amqp");
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "findings");
    json_builder_begin_array(b);
    if (rec->server_port == 5672)
        json_builder_add_string_value(b, "cleartext-credentials");
    json_builder_add_string_value(b, "source-not-allowed");
    json_builder_add_string_value(b, "not-a-kind");
    json_builder_end_array(b);
}

static PtlFlowRecord
live_record(const char *client, const char *server, guint16 port, gint64 ts_ns, guint64 id)
{
    PtlFlowRecord rec;
    memset(&rec, 0, sizeof rec);
    assert_true(ptl_addr_parse(client, &rec.client));
    assert_true(ptl_addr_parse(server, &rec.server));
    rec.transport = PTL_TRANSPORT_TCP;
    rec.client_port = 40000;
    rec.server_port = port;
    rec.first_ts_ns = rec.last_ts_ns = ts_ns;
    rec.id = id;
    rec.protocol = "amqp";
    g_strlcpy(rec.auth_detail, "AMQP PLAIN user sisense", sizeof rec.auth_detail);
    return rec;
}

static guint
live_count_lines(const char *text)
{
    guint n = 0;
    for (const char *p = text; p != NULL && *p != '\0'; p++)
        n += *p == '\n';
    return n;
}

static void
test_live_events_once_per_key(void **state)
{
    char *lines = NULL, *json = NULL;
    size_t lines_len = 0, json_len = 0;
    FILE *lines_out = open_memstream(&lines, &lines_len);
    FILE *json_out = open_memstream(&json, &json_len);
    PtlLiveEventsConfig cfg = { .lines = lines_out, .json = json_out, .judge = live_fake_judge };
    g_autoptr(PtlLiveEvents) ev = ptl_live_events_new(&cfg);
    PtlFlowRecord a1 = live_record("10.20.0.12", "10.20.0.11", 5672, 2000, 1);
    PtlFlowRecord a2 = live_record("10.20.0.12", "10.20.0.11", 5672, 1000, 2); /* other port */
    a2.client_port = 40001;
    PtlFlowRecord b = live_record("10.30.0.5", "10.20.0.11", 2181, 3000, 3);
    ptl_live_events_queue(ev, &a1);
    ptl_live_events_queue(ev, &a2);
    ptl_live_events_queue(ev, &b);
    assert_int_equal(ptl_live_events_pending(ev), 3);
    assert_int_equal(ptl_live_events_flush(ev), 3);
    assert_int_equal(ptl_live_events_pending(ev), 0);
    ptl_live_events_queue(ev, &a1);
    assert_int_equal(ptl_live_events_flush(ev), 0);   /* seen before: counted only */
    const PtlLiveEventCounts *n = ptl_live_events_counts(ev);
    assert_int_equal(n->distinct, 3);
    assert_int_equal(n->occurrences, 7);
    fclose(lines_out);
    fclose(json_out);
    assert_int_equal(live_count_lines(lines), 3);
    assert_non_null(strstr(lines, "cleartext-credentials  10.20.0.12 -> 10.20.0.11 tcp/5672"));
    assert_int_equal(live_count_lines(json), 3);
    g_auto(GStrv) objects = g_strsplit(json, "\n", -1);
    g_autoptr(JsonParser) parser = json_parser_new();
    assert_true(json_parser_load_from_data(parser, objects[0], -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    assert_string_equal(json_object_get_string_member(o, "kind"), "cleartext-credentials");
    assert_string_equal(json_object_get_string_member(o, "client"), "10.20.0.12");
    assert_int_equal(json_object_get_int_member(o, "port"), 5672);
    assert_string_equal(json_object_get_string_member(o, "service"), "broker-amqp");
    assert_string_equal(json_object_get_string_member(o, "auth"), "AMQP PLAIN user sisense");
    assert_true(json_parser_load_from_data(parser, objects[2], -1, NULL));
    o = json_node_get_object(json_parser_get_root(parser));
    assert_string_equal(json_object_get_string_member(o, "kind"), "source-not-allowed");
    assert_true(json_node_is_null(json_object_get_member(o, "service")));
    assert_false(json_object_has_member(o, "auth"));   /* only for the credentials finding */
    free(lines);
    free(json);
}

/* the real engine's shape: each finding an object with severity, state and message */
static void
live_object_judge(gpointer judge_data, const PtlFlowRecord *rec, JsonBuilder *b)
{
    (void) judge_data;
    (void) rec;
    json_builder_set_member_name(b, "product");
    json_builder_add_string_value(b, "alpha");
    json_builder_set_member_name(b, "service");
    json_builder_add_string_value(b, "zk-quorum");
    json_builder_set_member_name(b, "findings");
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, "connection-refused");
    json_builder_set_member_name(b, "severity");
    json_builder_add_string_value(b, "error");
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, "refused");
    json_builder_set_member_name(b, "connection");
    json_builder_add_string_value(b, "refused-by-rst");
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, "10.20.0.12 was refused by 10.20.0.13 on tcp/2888 "
                                  "(TCP reset)");
    json_builder_end_object(b);
    json_builder_end_array(b);
}

static void
test_live_events_carry_severity_and_message(void **state)
{
    (void) state;
    char *lines = NULL, *json = NULL;
    size_t lines_len = 0, json_len = 0;
    FILE *lines_out = open_memstream(&lines, &lines_len);
    FILE *json_out = open_memstream(&json, &json_len);
    PtlLiveEventsConfig cfg = { .lines = lines_out, .json = json_out,
                                .judge = live_object_judge };
    g_autoptr(PtlLiveEvents) ev = ptl_live_events_new(&cfg);
    PtlFlowRecord rec = live_record("10.20.0.12", "10.20.0.13", 2888, 1000, 1);
    rec.protocol = NULL;
    rec.state = PTL_FLOW_REFUSED;
    ptl_live_events_queue(ev, &rec);
    assert_int_equal(ptl_live_events_flush(ev), 1);
    fclose(lines_out);
    fclose(json_out);
    assert_non_null(strstr(lines, "ERROR   connection-refused"));
    assert_non_null(strstr(lines, "\n           10.20.0.12 was refused by 10.20.0.13"));
    g_autoptr(JsonParser) parser = json_parser_new();
    assert_true(json_parser_load_from_data(parser, json, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    assert_string_equal(json_object_get_string_member(o, "severity"), "error");
    assert_string_equal(json_object_get_string_member(o, "state"), "refused");
    assert_string_equal(json_object_get_string_member(o, "connection"), "refused-by-rst");
    assert_true(g_str_has_prefix(json_object_get_string_member(o, "message"), "10.20.0.12 was"));
    assert_true(json_node_is_null(json_object_get_member(o, "protocol")));
    free(lines);
    free(json);
}

static void
test_live_events_caps_count_what_they_drop(void **state)
{
    PtlLiveEventsConfig cfg = { .judge = live_fake_judge, .max_events = 1, .max_pending = 2 };
    g_autoptr(PtlLiveEvents) ev = ptl_live_events_new(&cfg);
    PtlFlowRecord a = live_record("10.0.0.1", "10.0.0.2", 2181, 1, 1);
    PtlFlowRecord b = live_record("10.0.0.3", "10.0.0.2", 2181, 1, 2);
    ptl_live_events_queue(ev, &a);
    ptl_live_events_queue(ev, &b);
    ptl_live_events_queue(ev, &b);
    assert_int_equal(ptl_live_events_counts(ev)->not_judged, 1);
    assert_int_equal(ptl_live_events_flush(ev), 1);
    const PtlLiveEventCounts *n = ptl_live_events_counts(ev);
    assert_int_equal(n->distinct, 1);
    assert_int_equal(n->not_remembered, 1);
}

/* ---- a signal while the loop waits on an idle interface ----------------------- */

static gpointer
live_interrupt_later(gpointer data)
{
    g_usleep(200000);
    kill(getpid(), SIGINT);
    return NULL;
}

static void
live_no_packet(gpointer user_data, const PtlPacket *pkt, const struct pcap_pkthdr *hdr)
{
    (*(guint *) user_data)++;
}

/* The loop sleeps in poll() on lo with a filter nothing matches; a SIGINT sent
 * meanwhile ends it at once with END_SIGNAL and no error, well before its
 * one-second tick would have.  Skipped without the right to capture. */
static void
test_live_sigint_ends_idle_loop(void **state)
{
    PtlLiveConfig cfg = { .device = "lo", .filter = "udp port 9 and udp port 10" };
    g_autoptr(GError) error = NULL;
    g_autoptr(PtlSource) src = ptl_source_open_interface(&cfg, NULL, &error);
    if (src == NULL)
        skip();
    guint packets = 0;
    PtlLiveLoop loop = { .device = "lo", .tick_us = 10 * G_USEC_PER_SEC,
                         .on_packet = live_no_packet, .user_data = &packets };
    /* the signal must reach this thread, the one waiting in poll() */
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &saved);
    GThread *thread = g_thread_new("interrupt", live_interrupt_later, NULL);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    ptl_live_signals_reset();
    ptl_live_signals_install();
    gint64 start = g_get_monotonic_time();
    PtlLiveEnd end = ptl_live_run(src, &loop, &error);
    gint64 took_us = g_get_monotonic_time() - start;
    ptl_live_signals_restore();
    ptl_live_signals_reset();
    g_thread_join(thread);
    assert_int_equal(end, PTL_LIVE_END_SIGNAL);
    assert_null(error);
    assert_int_equal(packets, 0);
    assert_in_range(took_us, 150000, 900000);
}

/* ---- interfaces and privileges -------------------------------------------- */

static void
test_live_check_interface(void **state)
{
    g_autoptr(GError) error = NULL;
    assert_true(ptl_live_check_interface("any", NULL));
    assert_true(ptl_live_check_interface("lo", NULL));
    assert_false(ptl_live_check_interface("nosuch0", &error));
    assert_non_null(strstr(error->message, "gone"));
}

/* runs fn in a child as an unprivileged user; the child's exit status is fn's result */
static void
live_as_nobody(int (*fn)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (getuid() == 0 && !ptl_live_drop_privileges("nobody", NULL))
            _exit(99);
        _exit(fn());
    }
    int wstatus;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), 0);
}

static int
live_open_names_capability(void)
{
    PtlLiveConfig cfg = { .device = "lo", .is_promisc = TRUE };
    GError *error = NULL;
    PtlSource *src = ptl_source_open_interface(&cfg, NULL, &error);
    int result = src == NULL && error != NULL && strstr(error->message, "CAP_NET_RAW") != NULL &&
                 strchr(error->message, '\n') == NULL ? 0 : 1;
    ptl_source_free(src);
    g_clear_error(&error);
    return result;
}

static void
test_live_open_without_capability(void **state)
{
    live_as_nobody(live_open_names_capability);
}

static int
live_drop_again_fails(void)
{
    GError *error = NULL;
    gboolean is_dropped = getuid() != 0 && geteuid() != 0 && setuid(0) != 0;
    /* unprivileged: changing user must fail with a clear message */
    gboolean is_refused = !ptl_live_drop_privileges("root", &error) &&
                          strstr(error->message, "must start as root") != NULL;
    g_clear_error(&error);
    return is_dropped && is_refused ? 0 : 1;
}

static void
test_live_drop_privileges(void **state)
{
    g_autoptr(GError) error = NULL;
    assert_false(ptl_live_drop_privileges("no-such-user-portolan", &error));
    assert_non_null(strstr(error->message, "no such user"));
    live_as_nobody(live_drop_again_fails);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_options_refused),
        cmocka_unit_test(test_live_signal_flags),
        cmocka_unit_test(test_live_second_sigint_exits_at_once),
        cmocka_unit_test(test_live_run_reads_to_the_end),
        cmocka_unit_test(test_live_run_stops_at_count),
        cmocka_unit_test(test_live_run_stops_at_duration),
        cmocka_unit_test(test_live_run_stops_on_signal),
        cmocka_unit_test(test_live_run_interim_and_ticks),
        cmocka_unit_test(test_live_kernel_stats_not_for_savefiles),
        cmocka_unit_test(test_live_sigint_ends_idle_loop),
        cmocka_unit_test(test_live_events_once_per_key),
        cmocka_unit_test(test_live_events_caps_count_what_they_drop),
        cmocka_unit_test(test_live_events_carry_severity_and_message),
        cmocka_unit_test(test_live_check_interface),
        cmocka_unit_test(test_live_open_without_capability),
        cmocka_unit_test(test_live_drop_privileges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
