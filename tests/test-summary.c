/* test-summary.c: ended flows folded into hosts, ports and failed connections. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-summary.h"

static PtlFlow
make_flow(const char *client, const char *server, guint16 port, guint64 id)
{
    PtlFlow flow;
    memset(&flow, 0, sizeof flow);
    flow.id = id;
    assert_true(ptl_addr_parse(client, &flow.client_ip));
    assert_true(ptl_addr_parse(server, &flow.server_ip));
    flow.client_port = (guint16) (40000 + id);
    flow.server_port = port;
    flow.proto = PTL_TRANSPORT_TCP;
    flow.has_syn = TRUE;
    flow.dir[PTL_DIR_TO_SERVER] = (PtlFlowDirStats) { 3, 300, 0, 1000000000 * (gint64) id,
                                                      1000000000 * (gint64) id + 5, 0x02, 1 };
    flow.last_ts_ns = 1000000000 * (gint64) id + 9;
    return flow;
}

static void
make_established(PtlFlow *flow)
{
    flow->has_synack = flow->has_handshake = TRUE;
    flow->has_fin[PTL_DIR_TO_SERVER] = TRUE;
    flow->dir[PTL_DIR_TO_CLIENT] = (PtlFlowDirStats) { 2, 200, 50, 2, 8, 0x13, 1 };
}

static void
test_summary_hosts_and_ports(void **state)
{
    g_autoptr(PtlSummary) s = ptl_summary_new();
    PtlFlow a = make_flow("10.0.0.1", "10.0.0.2", 5672, 1);
    make_established(&a);
    PtlFlow b = make_flow("10.0.0.3", "10.0.0.2", 5672, 2);
    make_established(&b);
    ptl_summary_add_flow(s, &a, PTL_FLOW_END_CAPTURE, NULL);
    ptl_summary_add_flow(s, &b, PTL_FLOW_END_CAPTURE, NULL);
    assert_int_equal(s->flows.total, 2);
    assert_int_equal(s->flows.states[PTL_FLOW_CLOSED], 2);
    g_autoptr(GPtrArray) hosts = ptl_summary_hosts_by_bytes(s);
    assert_int_equal(hosts->len, 3);
    const PtlHostStats *server = g_ptr_array_index(hosts, 0);
    char ip[PTL_ADDR_STRLEN];
    assert_string_equal(ptl_addr_to_string(&server->addr, ip), "10.0.0.2");
    assert_int_equal(server->flows_as_server, 2);
    assert_int_equal(server->bytes_received, 600);
    assert_int_equal(server->bytes_sent, 400);
    g_autoptr(GPtrArray) ports = ptl_summary_services_by_flows(s);
    assert_int_equal(ports->len, 1);
    const PtlServiceStats *svc = g_ptr_array_index(ports, 0);
    assert_int_equal(svc->port, 5672);
    assert_int_equal(svc->flows, 2);
    assert_int_equal(g_hash_table_size(svc->clients), 2);
    assert_int_equal(g_hash_table_size(svc->servers), 1);
    assert_int_equal(svc->bytes, 1000);
}

static void
test_summary_failed_are_aggregated(void **state)
{
    g_autoptr(PtlSummary) s = ptl_summary_new();
    for (guint64 id = 1; id <= 5; id++) {
        PtlFlow f = make_flow("10.0.0.1", "10.0.0.9", 2888, id); /* SYN only: unanswered */
        ptl_summary_add_flow(s, &f, PTL_FLOW_END_CAPTURE, NULL);
    }
    PtlFlow refused = make_flow("10.0.0.1", "10.0.0.9", 3888, 6);
    refused.is_refused = TRUE;
    refused.has_rst[PTL_DIR_TO_CLIENT] = TRUE;
    refused.dir[PTL_DIR_TO_CLIENT].packets = 1;
    ptl_summary_add_flow(s, &refused, PTL_FLOW_END_CAPTURE, NULL);
    g_autoptr(GPtrArray) failed = ptl_summary_failed_sorted(s);
    assert_int_equal(failed->len, 2);
    const PtlFailedConn *first = g_ptr_array_index(failed, 0);
    assert_int_equal(first->port, 2888);
    assert_int_equal(first->state, PTL_FLOW_UNANSWERED);
    assert_int_equal(first->count, 5);
    assert_int_equal(first->examples[0], 1);
    assert_int_equal(first->examples[2], 3);
    assert_int_equal(first->first_ts_ns, 1000000000);
    const PtlFailedConn *second = g_ptr_array_index(failed, 1);
    assert_int_equal(second->state, PTL_FLOW_REFUSED);
}

static void
test_summary_peer_sets_are_capped(void **state)
{
    g_autoptr(PtlSummary) s = ptl_summary_new();
    for (guint i = 0; i < PTL_SUMMARY_MAX_PEERS + 10; i++) {
        g_autofree char *client = g_strdup_printf("10.1.%u.%u", i / 250, i % 250 + 1);
        PtlFlow f = make_flow(client, "10.0.0.2", 80, i + 1);
        make_established(&f);
        ptl_summary_add_flow(s, &f, PTL_FLOW_END_CAPTURE, NULL);
    }
    g_autoptr(GPtrArray) ports = ptl_summary_services_by_flows(s);
    const PtlServiceStats *svc = g_ptr_array_index(ports, 0);
    assert_int_equal(g_hash_table_size(svc->clients), PTL_SUMMARY_MAX_PEERS);
    assert_int_equal(svc->clients_dropped, 10);
    assert_int_equal(svc->flows, PTL_SUMMARY_MAX_PEERS + 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_hosts_and_ports),
        cmocka_unit_test(test_summary_failed_are_aggregated),
        cmocka_unit_test(test_summary_peer_sets_are_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
