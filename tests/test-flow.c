/* test-flow.c: the flow table (analyzer/ptl-flow.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ptl-flow.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define SECOND_NS G_GINT64_CONSTANT(1000000000)
#define START_NS  (G_GINT64_CONSTANT(1700000000) * SECOND_NS)

/* One packet as the decoder would hand it over; zero fields are defaults. */
typedef struct {
    const char *src, *dst;
    guint16     sport, dport;
    guint8      proto;         /* 0: TCP */
    guint8      flags;
    guint32     seq, ack, len;
    guint16     vlan, inner_vlan;
} PktSpec;

static PtlDecoded
pkt_build(const PktSpec *spec)
{
    PtlDecoded pkt;
    memset(&pkt, 0, sizeof pkt);
    assert_true(ptl_addr_parse(spec->src, &pkt.tuple.src));
    assert_true(ptl_addr_parse(spec->dst, &pkt.tuple.dst));
    pkt.tuple.proto = spec->proto != 0 ? spec->proto : 6;
    pkt.ip_proto = pkt.tuple.proto;
    pkt.tuple.sport = spec->sport;
    pkt.tuple.dport = spec->dport;
    pkt.tcp_flags = spec->flags;
    pkt.seq = spec->seq;
    pkt.ack = spec->ack;
    pkt.payload_len = spec->len;
    pkt.payload_wire_len = spec->len;
    pkt.vlan = spec->vlan;
    pkt.inner_vlan = spec->inner_vlan;
    return pkt;
}

#define PKT(...) pkt_build(&(PktSpec) { __VA_ARGS__ })

/* An ICMP error from `from` quoting the packet q.src -> q.dst. */
static PtlDecoded
icmp_build(const char *from, guint8 ip_proto, guint8 type, guint8 code, const PtlDecoded *q)
{
    PtlDecoded pkt = PKT(.src = from, .dst = "0.0.0.0", .proto = 17);
    if (ip_proto == 58)
        assert_true(ptl_addr_parse("::", &pkt.tuple.dst));
    pkt.ip_proto = ip_proto;
    pkt.tuple.proto = 0;
    pkt.is_icmp_error = TRUE;
    pkt.icmp_type = type;
    pkt.icmp_code = code;
    pkt.quoted = q->tuple;
    pkt.vlan = q->vlan;
    return pkt;
}

typedef struct {
    guint64      id;
    PtlFlowEnd   why;
    PtlFlowState state;
    PtlFlow      flow;        /* a copy; its stream buffers are gone */
} Ended;

typedef struct {
    PtlFlowConfig cfg;
    PtlFlowTable *table;
    GArray       *ended;      /* of Ended */
    gint64        now;
    GHashTable   *services;   /* port -> port, when the port rule callback is on */
} Fixture;

static void
record_end(gpointer user_data, PtlFlow *flow, PtlFlowEnd why)
{
    Fixture *fx = user_data;
    Ended e = { flow->id, why, ptl_flow_state(flow, why), *flow };
    g_array_append_val(fx->ended, e);
}

static gboolean
is_service(gpointer user_data, guint8 proto, guint16 port)
{
    Fixture *fx = user_data;
    (void) proto;
    return g_hash_table_contains(fx->services, GUINT_TO_POINTER(port));
}

static int
fixture_setup(void **state)
{
    Fixture *fx = g_new0(Fixture, 1);
    fx->cfg.on_end = record_end;
    fx->cfg.end_user_data = fx;
    /* explicit, so the timing tests do not follow changes of the defaults */
    fx->cfg.tcp_idle_ns = 600 * SECOND_NS;
    fx->cfg.tcp_closed_ns = 10 * SECOND_NS;
    fx->cfg.udp_idle_ns = 120 * SECOND_NS;
    fx->ended = g_array_new(FALSE, TRUE, sizeof(Ended));
    fx->services = g_hash_table_new(NULL, NULL);
    fx->now = START_NS;
    *state = fx;
    return 0;
}

static int
fixture_teardown(void **state)
{
    Fixture *fx = *state;
    ptl_flow_table_free(fx->table);
    g_array_unref(fx->ended);
    g_hash_table_unref(fx->services);
    g_free(fx);
    return 0;
}

/* The table is made on first use, so a test can set cfg first. */
static PtlFlowTable *
table_of(Fixture *fx)
{
    if (fx->table == NULL)
        fx->table = ptl_flow_table_new(&fx->cfg);
    return fx->table;
}

static void
use_port_rule(Fixture *fx, guint16 port)
{
    fx->cfg.is_service_port = is_service;
    fx->cfg.port_user_data = fx;
    g_hash_table_add(fx->services, GUINT_TO_POINTER(port));
}

/* Sends one packet 1 ms after the last one and checks its direction. */
static PtlFlow *
send_pkt(Fixture *fx, PtlDecoded pkt, PtlDirection expect_dir)
{
    fx->now += SECOND_NS / 1000;
    PtlDirection dir = 99;
    PtlFlow *flow = ptl_flow_table_packet(table_of(fx), &pkt, fx->now, 60 + pkt.payload_len, &dir);
    assert_non_null(flow);
    assert_int_equal(dir, expect_dir);
    return flow;
}

static const Ended *
ended_at(const Fixture *fx, guint i)
{
    assert_true(i < fx->ended->len);
    return &g_array_index(fx->ended, Ended, i);
}

/* Ends every flow and returns the one ended i-th. */
static const Ended *
flush_and_get(Fixture *fx, guint i)
{
    ptl_flow_table_flush(table_of(fx));
    assert_int_equal(ptl_flow_table_size(fx->table), 0);
    return ended_at(fx, i);
}

static void
assert_addr(const PtlAddr *addr, const char *text)
{
    char buf[PTL_ADDR_STRLEN];
    assert_string_equal(ptl_addr_to_string(addr, buf), text);
}

/* http/zeek-get.pcap frames 1-5 and 12-14: handshake, request, FIN both ways. */
#define GET_C "141.142.228.5"
#define GET_S "192.150.187.43"
#define GET_TO_S(...) PKT(.src = GET_C, .sport = 59856, .dst = GET_S, .dport = 80, __VA_ARGS__)
#define GET_TO_C(...) PKT(.src = GET_S, .sport = 80, .dst = GET_C, .dport = 59856, __VA_ARGS__)

static void
get_handshake(Fixture *fx)
{
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 4263588410u), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_C(.flags = SYN | ACK, .seq = 2779762238u, .ack = 4263588411u),
             PTL_DIR_TO_CLIENT);
    send_pkt(fx, GET_TO_S(.flags = ACK, .seq = 4263588411u, .ack = 2779762239u),
             PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_S(.flags = ACK | PSH, .seq = 4263588411u, .ack = 2779762239u,
                          .len = 136), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_C(.flags = ACK, .seq = 2779762239u, .ack = 4263588547u),
             PTL_DIR_TO_CLIENT);
}

static void
test_flow_handshake(void **state)
{
    Fixture *fx = *state;
    get_handshake(fx);
    PtlFlow *flow = send_pkt(fx, GET_TO_S(.flags = FIN | ACK, .seq = 4263588547u),
                             PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_C(.flags = FIN | ACK, .seq = 2779767246u), PTL_DIR_TO_CLIENT);
    send_pkt(fx, GET_TO_S(.flags = ACK, .seq = 4263588548u), PTL_DIR_TO_SERVER);

    assert_int_equal(flow->id, 1);
    assert_addr(&flow->client_ip, GET_C);
    assert_addr(&flow->server_ip, GET_S);
    assert_int_equal(flow->client_port, 59856);
    assert_int_equal(flow->server_port, 80);
    assert_int_equal(flow->initiator, PTL_INITIATOR_SYN);
    assert_true(flow->has_syn && flow->has_synack && flow->has_handshake);
    assert_int_equal(flow->client_isn, 4263588410u);
    const PtlFlowDirStats *up = &flow->dir[PTL_DIR_TO_SERVER];
    const PtlFlowDirStats *down = &flow->dir[PTL_DIR_TO_CLIENT];
    assert_int_equal(up->packets, 5);
    assert_int_equal(down->packets, 3);
    assert_int_equal(up->bytes, 5 * 60 + 136);
    assert_int_equal(up->payload_bytes, 136);
    assert_int_equal(down->payload_bytes, 0);
    assert_int_equal(up->tcp_flags, SYN | ACK | PSH | FIN);
    assert_int_equal(up->syns, 1);
    assert_int_equal(down->syns, 1);
    assert_int_equal(up->first_ts_ns, START_NS + SECOND_NS / 1000);
    assert_int_equal(up->last_ts_ns, fx->now);
    assert_int_equal(ptl_flow_table_size(fx->table), 1);

    const Ended *e = flush_and_get(fx, 0);
    assert_int_equal(e->why, PTL_FLOW_END_CAPTURE);
    assert_int_equal(e->state, PTL_FLOW_CLOSED);
    assert_true(e->flow.has_fin[PTL_DIR_TO_SERVER] && e->flow.has_fin[PTL_DIR_TO_CLIENT]);
}

/* malformed/zeek-missing-syn.pcap frames 1-3: the SYN was not captured. */
static void
test_flow_synack_first(void **state)
{
    Fixture *fx = *state;
    PtlFlow *flow = send_pkt(fx, PKT(.src = "125.190.109.199", .sport = 80,
                                     .dst = "141.42.64.125", .dport = 56730,
                                     .flags = SYN | ACK, .seq = 2697137987u),
                             PTL_DIR_TO_CLIENT);
    send_pkt(fx, PKT(.src = "141.42.64.125", .sport = 56730, .dst = "125.190.109.199",
                     .dport = 80, .flags = ACK, .seq = 1512382794u), PTL_DIR_TO_SERVER);
    send_pkt(fx, PKT(.src = "141.42.64.125", .sport = 56730, .dst = "125.190.109.199",
                     .dport = 80, .flags = ACK | PSH, .seq = 1512382794u, .len = 98),
             PTL_DIR_TO_SERVER);
    assert_int_equal(flow->initiator, PTL_INITIATOR_SYNACK);
    assert_addr(&flow->client_ip, "141.42.64.125");
    assert_int_equal(flow->server_port, 80);
    assert_true(flow->has_handshake);
    assert_false(flow->has_syn);
    assert_int_equal(flush_and_get(fx, 0)->state, PTL_FLOW_ACTIVE);
}

/* http/packetbeat-http_over_vlan.pcap frame 1: mid-stream 10.0.0.9:60335 -> 10.0.0.6:8080. */
#define VLAN_C "10.0.0.9"
#define VLAN_S "10.0.0.6"

static void
test_flow_midstream_service_port(void **state)
{
    Fixture *fx = *state;
    use_port_rule(fx, 60335);                      /* the rule beats the lower port */
    PtlFlow *flow = send_pkt(fx, PKT(.src = VLAN_C, .sport = 60335, .dst = VLAN_S,
                                     .dport = 8080, .flags = ACK | PSH, .len = 483, .vlan = 1),
                             PTL_DIR_TO_CLIENT);
    assert_int_equal(flow->initiator, PTL_INITIATOR_INFERRED);
    assert_int_equal(flow->server_port, 60335);
    assert_addr(&flow->server_ip, VLAN_C);
    assert_int_equal(flow->vlan, 1);
}

static void
test_flow_midstream_lower_port(void **state)
{
    Fixture *fx = *state;
    /* the server speaks first; neither port is below 1024 */
    PtlFlow *flow = send_pkt(fx, PKT(.src = VLAN_S, .sport = 8080, .dst = VLAN_C,
                                     .dport = 60335, .flags = ACK | PSH, .len = 1291),
                             PTL_DIR_TO_CLIENT);
    assert_int_equal(flow->initiator, PTL_INITIATOR_INFERRED);
    assert_int_equal(flow->server_port, 8080);
    assert_addr(&flow->client_ip, VLAN_C);
    /* both below 1024: the lower port */
    flow = send_pkt(fx, PKT(.src = VLAN_C, .sport = 500, .dst = VLAN_S, .dport = 80,
                            .flags = ACK, .len = 10), PTL_DIR_TO_SERVER);
    assert_int_equal(flow->server_port, 80);
    /* one below 1024, the only rule without a callback */
    flow = send_pkt(fx, PKT(.src = VLAN_C, .sport = 5000, .dst = VLAN_S, .dport = 700,
                            .flags = ACK), PTL_DIR_TO_SERVER);
    assert_int_equal(flow->server_port, 700);
    assert_int_equal(flush_and_get(fx, 0)->state, PTL_FLOW_ONE_SIDED);  /* one way only */
}

static void
test_flow_syn_retries_one_flow(void **state)
{
    Fixture *fx = *state;
    for (guint i = 0; i < 3; i++)
        send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 4263588410u), PTL_DIR_TO_SERVER);
    assert_int_equal(ptl_flow_table_created(fx->table), 1);
    const Ended *e = flush_and_get(fx, 0);
    assert_int_equal(e->flow.dir[PTL_DIR_TO_SERVER].syns, 3);
    assert_int_equal(e->state, PTL_FLOW_UNANSWERED);
}

static void
test_flow_unanswered_idle(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 1), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_S(.flags = RST, .seq = 2), PTL_DIR_TO_SERVER);  /* client gives up */
    ptl_flow_table_expire(fx->table, fx->now + 11 * SECOND_NS);
    const Ended *e = ended_at(fx, 0);
    assert_int_equal(e->why, PTL_FLOW_END_IDLE);
    assert_int_equal(e->state, PTL_FLOW_UNANSWERED);
}

static void
test_flow_refused_by_rst(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 100), PTL_DIR_TO_SERVER);
    PtlFlow *flow = send_pkt(fx, GET_TO_C(.flags = RST | ACK, .ack = 101), PTL_DIR_TO_CLIENT);
    assert_true(flow->is_refused);
    assert_int_equal(ptl_flow_state(flow, PTL_FLOW_END_IDLE), PTL_FLOW_REFUSED);
    assert_int_equal(flow->icmp_type, 0);
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 100), PTL_DIR_TO_SERVER);  /* retry: same */
    assert_int_equal(ptl_flow_table_created(fx->table), 1);
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 900), PTL_DIR_TO_SERVER);  /* new attempt */
    assert_int_equal(ptl_flow_table_created(fx->table), 2);
    const Ended *e = ended_at(fx, 0);
    assert_int_equal(e->why, PTL_FLOW_END_REUSED);
    assert_int_equal(e->state, PTL_FLOW_REFUSED);
    assert_int_equal(e->flow.dir[PTL_DIR_TO_SERVER].syns, 2);
}

static void
test_flow_reset(void **state)
{
    Fixture *fx = *state;
    get_handshake(fx);
    PtlFlow *flow = send_pkt(fx, GET_TO_C(.flags = RST, .seq = 2779762239u), PTL_DIR_TO_CLIENT);
    assert_false(flow->is_refused);
    assert_true(flow->has_rst[PTL_DIR_TO_CLIENT]);
    assert_int_equal(flush_and_get(fx, 0)->state, PTL_FLOW_RESET);
}

static void
test_flow_half_closed(void **state)
{
    Fixture *fx = *state;
    get_handshake(fx);
    send_pkt(fx, GET_TO_C(.flags = FIN | ACK, .seq = 2779762239u), PTL_DIR_TO_CLIENT);
    /* a half-close keeps the long timeout: the client may still send */
    ptl_flow_table_expire(fx->table, fx->now + 60 * SECOND_NS);
    assert_int_equal(fx->ended->len, 0);
    const Ended *e = flush_and_get(fx, 0);
    assert_int_equal(e->state, PTL_FLOW_CLOSED);
    assert_true(e->flow.has_fin[PTL_DIR_TO_CLIENT]);
    assert_false(e->flow.has_fin[PTL_DIR_TO_SERVER]);
}

static void
test_flow_active_or_established(void **state)
{
    Fixture *fx = *state;
    get_handshake(fx);
    PtlFlow *flow = send_pkt(fx, GET_TO_C(.flags = ACK, .len = 1448), PTL_DIR_TO_CLIENT);
    assert_int_equal(ptl_flow_state(flow, PTL_FLOW_END_CAPTURE), PTL_FLOW_ACTIVE);
    ptl_flow_table_expire(fx->table, fx->now + 599 * SECOND_NS);
    assert_int_equal(fx->ended->len, 0);
    ptl_flow_table_expire(fx->table, fx->now + 601 * SECOND_NS);
    const Ended *e = ended_at(fx, 0);
    assert_int_equal(e->why, PTL_FLOW_END_IDLE);
    assert_int_equal(e->state, PTL_FLOW_ESTABLISHED);
    assert_int_equal(ptl_flow_table_size(fx->table), 0);
}

static void
test_flow_udp_states(void **state)
{
    Fixture *fx = *state;
    /* a port below 1024 on one side: inferred, even when the server speaks first */
    PtlFlow *dns = send_pkt(fx, PKT(.src = "10.1.1.1", .sport = 53, .dst = "10.1.1.2",
                                    .dport = 40000, .proto = 17, .len = 80),
                            PTL_DIR_TO_CLIENT);
    assert_int_equal(dns->initiator, PTL_INITIATOR_PORT);
    assert_int_equal(dns->server_port, 53);
    send_pkt(fx, PKT(.src = "10.1.1.2", .sport = 40000, .dst = "10.1.1.1", .dport = 53,
                     .proto = 17, .len = 30), PTL_DIR_TO_SERVER);
    /* no port rule applies: the first datagram's sender is the client */
    PtlFlow *other = send_pkt(fx, PKT(.src = "10.1.1.9", .sport = 50000, .dst = "10.1.1.2",
                                      .dport = 40000, .proto = 17, .len = 10),
                              PTL_DIR_TO_SERVER);
    assert_int_equal(other->initiator, PTL_INITIATOR_FIRST_PACKET);
    assert_int_equal(other->client_port, 50000);
    assert_int_equal(ptl_flow_table_size(fx->table), 2);
    ptl_flow_table_flush(fx->table);
    assert_int_equal(ended_at(fx, 0)->state, PTL_FLOW_BIDIRECTIONAL);
    assert_int_equal(ended_at(fx, 1)->state, PTL_FLOW_REQUEST_ONLY);
}

static void
test_flow_icmp_unreachable(void **state)
{
    Fixture *fx = *state;
    PtlDecoded request = PKT(.src = "10.2.0.1", .sport = 41000, .dst = "10.2.0.2", .dport = 161,
                             .proto = 17, .len = 40);
    PtlFlow *flow = send_pkt(fx, request, PTL_DIR_TO_SERVER);
    PtlDecoded icmp = icmp_build("10.2.0.2", 1, 3, 3, &request);     /* port unreachable */
    assert_ptr_equal(ptl_flow_table_icmp_error(fx->table, &icmp, fx->now), flow);
    assert_true(flow->is_refused);
    assert_int_equal(flow->icmp_type, 3);
    assert_int_equal(flow->icmp_code, 3);
    assert_int_equal(ptl_flow_state(flow, PTL_FLOW_END_CAPTURE), PTL_FLOW_REFUSED);

    /* quoted the other way round: the server side sent the packet that failed */
    PtlDecoded from_server = PKT(.src = "10.2.0.3", .sport = 514, .dst = "10.2.0.4",
                                 .dport = 41001, .proto = 17, .len = 40);
    PtlFlow *back = send_pkt(fx, from_server, PTL_DIR_TO_CLIENT);
    PtlDecoded icmp_back = icmp_build("10.2.0.4", 1, 3, 3, &from_server);
    assert_ptr_equal(ptl_flow_table_icmp_error(fx->table, &icmp_back, fx->now), back);
    assert_true(back->is_refused);

    /* an answered flow is not refused; fragmentation needed never is */
    PtlDecoded syn = GET_TO_S(.flags = SYN, .seq = 7);
    PtlFlow *tcp = send_pkt(fx, syn, PTL_DIR_TO_SERVER);
    PtlDecoded frag = icmp_build("192.168.0.1", 1, 3, 4, &syn);
    assert_ptr_equal(ptl_flow_table_icmp_error(fx->table, &frag, fx->now), tcp);
    assert_false(tcp->is_refused);
    send_pkt(fx, GET_TO_C(.flags = SYN | ACK, .ack = 8), PTL_DIR_TO_CLIENT);
    PtlDecoded late = icmp_build("192.168.0.1", 1, 3, 1, &syn);
    assert_ptr_equal(ptl_flow_table_icmp_error(fx->table, &late, fx->now), tcp);
    assert_false(tcp->is_refused);

    /* unknown tuple: no flow, none created */
    PtlDecoded stray = PKT(.src = "10.9.9.9", .sport = 1, .dst = "10.9.9.8", .dport = 2);
    PtlDecoded icmp_stray = icmp_build("10.9.9.8", 1, 3, 3, &stray);
    assert_null(ptl_flow_table_icmp_error(fx->table, &icmp_stray, fx->now));
    assert_int_equal(ptl_flow_table_size(fx->table), 3);
}

static void
test_flow_icmp6_refuses_syn(void **state)
{
    Fixture *fx = *state;
    PtlDecoded syn = PKT(.src = "2001:db8::1", .sport = 50000, .dst = "2001:db8::2",
                         .dport = 2181, .flags = SYN, .seq = 5);
    PtlFlow *flow = send_pkt(fx, syn, PTL_DIR_TO_SERVER);
    PtlDecoded icmp = icmp_build("2001:db8::2", 58, 1, 4, &syn);
    assert_ptr_equal(ptl_flow_table_icmp_error(fx->table, &icmp, fx->now), flow);
    assert_true(flow->is_refused);
    assert_int_equal(flow->icmp_type, 1);
    assert_int_equal(flow->icmp_code, 4);
}

/* Each timeout class expires on its own clock; expiry runs once a second. */
static void
test_flow_idle_expiry(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, PKT(.src = "10.3.0.1", .sport = 1000, .dst = "10.3.0.2", .dport = 53,
                     .proto = 17), PTL_DIR_TO_SERVER);
    get_handshake(fx);                             /* open TCP, newer than the UDP flow */
    send_pkt(fx, PKT(.src = "10.3.0.1", .sport = 2000, .dst = "10.3.0.2", .dport = 22,
                     .flags = SYN, .seq = 1), PTL_DIR_TO_SERVER);
    send_pkt(fx, PKT(.src = "10.3.0.2", .sport = 22, .dst = "10.3.0.1", .dport = 2000,
                     .flags = RST | ACK, .ack = 2), PTL_DIR_TO_CLIENT);  /* refused: short */
    gint64 t0 = fx->now;
    ptl_flow_table_expire(fx->table, t0 + 9 * SECOND_NS + SECOND_NS / 2);
    assert_int_equal(fx->ended->len, 0);
    /* idle by now, but the last walk was less than a second ago */
    ptl_flow_table_expire(fx->table, t0 + 10 * SECOND_NS + SECOND_NS / 5);
    assert_int_equal(fx->ended->len, 0);
    ptl_flow_table_expire(fx->table, t0 + 11 * SECOND_NS);
    assert_int_equal(fx->ended->len, 1);
    assert_int_equal(ended_at(fx, 0)->state, PTL_FLOW_REFUSED);
    assert_int_equal(ended_at(fx, 0)->why, PTL_FLOW_END_IDLE);
    /* a packet 121 s later ends the UDP flow before it is counted */
    fx->now = t0 + 121 * SECOND_NS;
    send_pkt(fx, PKT(.src = "10.3.0.5", .sport = 1, .dst = "10.3.0.6", .dport = 2,
                     .proto = 17), PTL_DIR_TO_SERVER);
    assert_int_equal(fx->ended->len, 2);
    assert_int_equal(ended_at(fx, 1)->flow.proto, 17);
    assert_int_equal(ptl_flow_table_size(fx->table), 2);
    /* the same tuple after expiry is a new flow */
    send_pkt(fx, GET_TO_S(.flags = ACK, .len = 5), PTL_DIR_TO_SERVER);
    fx->now += 601 * SECOND_NS;
    PtlFlow *again = send_pkt(fx, GET_TO_S(.flags = ACK, .len = 5), PTL_DIR_TO_SERVER);
    assert_int_equal(again->id, 5);
    assert_int_equal(ended_at(fx, 2)->id, 4);      /* the second UDP flow */
    assert_int_equal(ended_at(fx, 3)->id, 2);      /* then the TCP one */
    assert_int_equal(ended_at(fx, 3)->why, PTL_FLOW_END_IDLE);
}

static void
test_flow_max_flows_evicts_lru(void **state)
{
    Fixture *fx = *state;
    fx->cfg.max_flows = 3;
    for (guint16 i = 0; i < 3; i++)
        send_pkt(fx, PKT(.src = "10.4.0.1", .sport = 1000 + i, .dst = "10.4.0.2", .dport = 80,
                         .flags = ACK), PTL_DIR_TO_SERVER);
    send_pkt(fx, PKT(.src = "10.4.0.2", .sport = 80, .dst = "10.4.0.1", .dport = 1000,
                     .flags = ACK), PTL_DIR_TO_CLIENT);  /* flow 1 is now the newest */
    send_pkt(fx, PKT(.src = "10.4.0.1", .sport = 2000, .dst = "10.4.0.2", .dport = 80,
                     .flags = ACK), PTL_DIR_TO_SERVER);
    assert_int_equal(ptl_flow_table_size(fx->table), 3);
    assert_int_equal(ptl_flow_table_evicted(fx->table), 1);
    assert_int_equal(ptl_flow_table_peak(fx->table), 3);
    const Ended *e = ended_at(fx, 0);
    assert_int_equal(e->id, 2);
    assert_int_equal(e->why, PTL_FLOW_END_EVICTED);
    assert_int_equal(e->state, PTL_FLOW_ONE_SIDED);    /* ACKs one way only */
    ptl_flow_table_flush(fx->table);
    assert_int_equal(ended_at(fx, 1)->id, 1);      /* flush goes in creation order */
    assert_int_equal(ended_at(fx, 2)->id, 3);
    assert_int_equal(ended_at(fx, 3)->id, 4);
}

static void
test_flow_reuse_after_close(void **state)
{
    Fixture *fx = *state;
    get_handshake(fx);
    send_pkt(fx, GET_TO_S(.flags = FIN | ACK, .seq = 4263588547u), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_C(.flags = SYN, .seq = 55), PTL_DIR_TO_CLIENT);  /* half-closed only */
    assert_int_equal(ptl_flow_table_created(fx->table), 1);
    send_pkt(fx, GET_TO_C(.flags = FIN | ACK, .seq = 2779767246u), PTL_DIR_TO_CLIENT);
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 4263588410u), PTL_DIR_TO_SERVER);  /* old ISN */
    assert_int_equal(ptl_flow_table_created(fx->table), 1);
    PtlFlow *flow = send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 1234), PTL_DIR_TO_SERVER);
    assert_int_equal(flow->id, 2);
    assert_int_equal(flow->client_isn, 1234);
    assert_int_equal(flow->dir[PTL_DIR_TO_SERVER].packets, 1);
    const Ended *e = ended_at(fx, 0);
    assert_int_equal(e->why, PTL_FLOW_END_REUSED);
    assert_int_equal(e->state, PTL_FLOW_CLOSED);
    assert_int_equal(ptl_flow_table_size(fx->table), 1);
}

/* RST then a new SYN (new ISN) from the old server: two connections, each
 * with its own counts, client and state. */
static void
test_flow_reuse_after_reset_reversed(void **state)
{
    Fixture *fx = *state;
    get_handshake(fx);
    send_pkt(fx, GET_TO_C(.flags = RST, .seq = 2779762239u), PTL_DIR_TO_CLIENT);
    PtlFlow *flow = send_pkt(fx, PKT(.src = GET_S, .sport = 80, .dst = GET_C, .dport = 59856,
                                     .flags = SYN, .seq = 777), PTL_DIR_TO_SERVER);
    assert_int_equal(flow->id, 2);
    assert_addr(&flow->client_ip, GET_S);
    assert_int_equal(flow->client_port, 80);
    assert_int_equal(flow->dir[PTL_DIR_TO_SERVER].packets, 1);
    assert_int_equal(flow->dir[PTL_DIR_TO_CLIENT].packets, 0);
    const Ended *e = ended_at(fx, 0);
    assert_int_equal(e->why, PTL_FLOW_END_REUSED);
    assert_int_equal(e->state, PTL_FLOW_RESET);
    assert_int_equal(e->flow.dir[PTL_DIR_TO_SERVER].packets, 3);
    assert_int_equal(e->flow.dir[PTL_DIR_TO_CLIENT].packets, 3);
    const Ended *second = flush_and_get(fx, 1);
    assert_int_equal(second->state, PTL_FLOW_UNANSWERED);
    assert_int_equal(ptl_flow_table_created(fx->table), 2);
}

/* After both FINs the new connection's SYN was not captured: its SYN/ACK (a
 * new server ISN) starts it; a retransmitted old SYN/ACK does not. */
static void
test_flow_reuse_by_synack(void **state)
{
    Fixture *fx = *state;
    get_handshake(fx);
    assert_int_equal(send_pkt(fx, GET_TO_C(.flags = ACK, .len = 1), PTL_DIR_TO_CLIENT)->server_isn,
                     2779762238u);
    send_pkt(fx, GET_TO_S(.flags = FIN | ACK, .seq = 4263588547u), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_C(.flags = FIN | ACK, .seq = 2779767246u), PTL_DIR_TO_CLIENT);
    send_pkt(fx, GET_TO_C(.flags = SYN | ACK, .seq = 2779762238u), PTL_DIR_TO_CLIENT);
    assert_int_equal(ptl_flow_table_created(fx->table), 1);
    PtlFlow *flow = send_pkt(fx, GET_TO_C(.flags = SYN | ACK, .seq = 5000, .ack = 91),
                             PTL_DIR_TO_CLIENT);
    assert_int_equal(flow->id, 2);
    assert_int_equal(flow->initiator, PTL_INITIATOR_SYNACK);
    assert_int_equal(flow->server_isn, 5000);
    assert_int_equal(ended_at(fx, 0)->why, PTL_FLOW_END_REUSED);
    assert_int_equal(ended_at(fx, 0)->flow.dir[PTL_DIR_TO_CLIENT].syns, 2);
    /* a SYN/ACK on an open connection is no reuse */
    send_pkt(fx, GET_TO_C(.flags = SYN | ACK, .seq = 6000), PTL_DIR_TO_CLIENT);
    assert_int_equal(ptl_flow_table_created(fx->table), 2);
}

typedef struct {
    guint16     sport, dport;
    guint16     client_port;
    PtlInitiator initiator;
} UdpCase;

/* The well-known service port decides, whichever side sends first; the same
 * service on both ends leaves it to the order. */
static void
test_flow_udp_initiator_by_port(void **state)
{
    Fixture *fx = *state;
    static const UdpCase cases[] = {
        { 67, 68, 68, PTL_INITIATOR_PORT },         /* DHCP offer first */
        { 68, 67, 68, PTL_INITIATOR_PORT },         /* DHCP discover */
        { 53, 5353, 5353, PTL_INITIATOR_PORT },     /* a DNS answer seen first */
        { 123, 123, 123, PTL_INITIATOR_FIRST_PACKET },
        { 161, 40000, 40000, PTL_INITIATOR_PORT },  /* SNMP response */
        { 40001, 162, 40001, PTL_INITIATOR_PORT },  /* SNMP trap */
        { 514, 600, 600, PTL_INITIATOR_PORT },      /* syslog, both below 1024 */
        { 137, 137, 137, PTL_INITIATOR_FIRST_PACKET },
        { 138, 50000, 50000, PTL_INITIATOR_PORT },
        { 4789, 51000, 51000, PTL_INITIATOR_PORT }, /* VXLAN */
        { 8472, 51001, 51001, PTL_INITIATOR_PORT },
        { 6081, 51002, 51002, PTL_INITIATOR_PORT }, /* Geneve */
        { 2152, 2153, 2153, PTL_INITIATOR_PORT },   /* GTP-U */
        { 3544, 51003, 51003, PTL_INITIATOR_PORT }, /* Teredo */
        { 45000, 46000, 45000, PTL_INITIATOR_FIRST_PACKET },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const UdpCase *c = &cases[i];
        PtlDirection dir = c->client_port == c->sport ? PTL_DIR_TO_SERVER : PTL_DIR_TO_CLIENT;
        PtlFlow *flow = send_pkt(fx, PKT(.src = "10.2.0.1", .sport = c->sport, .dst = "10.2.0.2",
                                         .dport = c->dport, .proto = 17, .len = 40), dir);
        assert_int_equal(flow->initiator, c->initiator);
        assert_int_equal(flow->client_port, c->client_port);
        assert_string_equal(ptl_initiator_name(flow->initiator),
                            c->initiator == PTL_INITIATOR_PORT ? "port" : "first-packet");
    }
}

static void
count_end(gpointer user_data, PtlFlow *flow, PtlFlowEnd why)
{
    guint8 *seen = user_data;
    (void) why;
    seen[flow->id - 1]++;
}

/* A 1,000,000-port SYN scan through a small table: memory stays bounded and
 * every flow is ended exactly once. */
static void
test_flow_syn_scan_bounded(void **state)
{
    (void) state;
    enum { SCAN = 1000000, MAX = 1000 };
    g_autofree guint8 *seen = g_new0(guint8, SCAN);
    PtlFlowConfig cfg = { .max_flows = MAX, .on_end = count_end, .end_user_data = seen };
    PtlFlowTable *table = ptl_flow_table_new(&cfg);
    PtlDecoded pkt = PKT(.src = "10.5.0.1", .sport = 40000, .dst = "10.6.0.0", .flags = SYN);
    for (guint32 i = 0; i < SCAN; i++) {
        pkt.tuple.dport = (guint16) (i % 65535 + 1);
        pkt.tuple.dst.bytes[2] = (guint8) (i / 65535);
        PtlDirection dir;
        ptl_flow_table_packet(table, &pkt, START_NS + i, 60, &dir);
        assert_true(ptl_flow_table_size(table) <= MAX);
    }
    assert_int_equal(ptl_flow_table_created(table), SCAN);
    assert_int_equal(ptl_flow_table_peak(table), MAX);
    assert_int_equal(ptl_flow_table_evicted(table), SCAN - MAX);
    ptl_flow_table_free(table);
    for (guint32 i = 0; i < SCAN; i++)
        assert_int_equal(seen[i], 1);
}

static void
test_flow_vlan_apart(void **state)
{
    Fixture *fx = *state;
    PtlFlow *a = send_pkt(fx, PKT(.src = VLAN_C, .sport = 60335, .dst = VLAN_S, .dport = 8080,
                                  .flags = ACK, .vlan = 1), PTL_DIR_TO_SERVER);
    PtlFlow *b = send_pkt(fx, PKT(.src = VLAN_C, .sport = 60335, .dst = VLAN_S, .dport = 8080,
                                  .flags = ACK, .vlan = 2), PTL_DIR_TO_SERVER);
    PtlFlow *c = send_pkt(fx, PKT(.src = VLAN_C, .sport = 60335, .dst = VLAN_S, .dport = 8080,
                                  .flags = ACK, .vlan = 1, .inner_vlan = 7), PTL_DIR_TO_SERVER);
    PtlFlow *a2 = send_pkt(fx, PKT(.src = VLAN_S, .sport = 8080, .dst = VLAN_C, .dport = 60335,
                                   .flags = ACK, .vlan = 1), PTL_DIR_TO_CLIENT);
    assert_int_equal(a->id, 1);
    assert_int_equal(b->id, 2);
    assert_int_equal(c->id, 3);
    assert_ptr_equal(a2, a);
    assert_int_equal(c->inner_vlan, 7);
    assert_int_equal(ptl_flow_table_size(fx->table), 3);
}

/* thrift/packetbeat-ipv6_thrift.pcap frames 1-4: ::1:51659 -> ::1:9090, same address both
 * ends, so only the ports tell the sides apart. */
static void
test_flow_ipv6(void **state)
{
    Fixture *fx = *state;
    PtlFlow *flow = send_pkt(fx, PKT(.src = "::1", .sport = 51659, .dst = "::1", .dport = 9090,
                                     .flags = SYN, .seq = 899677128u), PTL_DIR_TO_SERVER);
    send_pkt(fx, PKT(.src = "::1", .sport = 9090, .dst = "::1", .dport = 51659,
                     .flags = SYN | ACK, .seq = 3445687521u), PTL_DIR_TO_CLIENT);
    send_pkt(fx, PKT(.src = "::1", .sport = 51659, .dst = "::1", .dport = 9090, .flags = ACK),
             PTL_DIR_TO_SERVER);
    send_pkt(fx, PKT(.src = "::1", .sport = 51659, .dst = "::1", .dport = 9090,
                     .flags = ACK | PSH, .len = 21), PTL_DIR_TO_SERVER);
    assert_int_equal(ptl_flow_table_size(fx->table), 1);
    assert_int_equal(flow->client_port, 51659);
    assert_int_equal(flow->client_ip.family, 6);
    assert_addr(&flow->server_ip, "::1");
    assert_true(flow->has_handshake);
    /* "::" and "0.0.0.0" have the same bytes: only the family keeps them apart */
    send_pkt(fx, PKT(.src = "::", .sport = 51659, .dst = "::", .dport = 9090, .flags = ACK),
             PTL_DIR_TO_SERVER);
    send_pkt(fx, PKT(.src = "0.0.0.0", .sport = 51659, .dst = "0.0.0.0", .dport = 9090,
                     .flags = ACK), PTL_DIR_TO_SERVER);
    PtlFlow *other = send_pkt(fx, PKT(.src = "2001:db8::2", .sport = 2, .dst = "2001:db8::1",
                                      .dport = 1, .flags = ACK), PTL_DIR_TO_SERVER);
    assert_addr(&other->server_ip, "2001:db8::1");
    assert_int_equal(ptl_flow_table_size(fx->table), 4);
}

static void
test_flow_names(void **state)
{
    (void) state;
    assert_string_equal(ptl_flow_state_name(PTL_FLOW_REQUEST_ONLY), "request-only");
    assert_string_equal(ptl_flow_state_name(PTL_FLOW_UNANSWERED), "unanswered");
    for (guint s = 0; s < PTL_FLOW_STATE_COUNT; s++)
        assert_non_null(ptl_flow_state_name(s));
    assert_string_equal(ptl_initiator_name(PTL_INITIATOR_SYNACK), "syn-ack");
    assert_string_equal(ptl_initiator_name(PTL_INITIATOR_FIRST_PACKET), "first-packet");
}


/* ---- the keyed hash ---- */

#define HASH_FLOWS   1000
#define HASH_BUCKETS 1024   /* the index's size at HASH_FLOWS entries */

/* A SYN from a random IPv6 client to one server, drawn from rng. */
static PtlDecoded
hash_random_syn(GRand *rng)
{
    PtlDecoded pkt = PKT(.src = "2001:db8::1", .dst = "2001:db8:ffff::1", .sport = 40000,
                         .dport = 443, .flags = SYN);
    for (int i = 8; i < 16; i++)
        pkt.tuple.src.bytes[i] = (guint8) g_rand_int_range(rng, 0, 256);
    pkt.tuple.sport = (guint16) g_rand_int_range(rng, 1024, 65536);
    return pkt;
}

static void
hash_insert_all(PtlFlowTable *table, const GArray *pkts)
{
    for (guint i = 0; i < pkts->len; i++) {
        PtlDirection dir;
        assert_non_null(ptl_flow_table_packet(table, &g_array_index(pkts, PtlDecoded, i),
                                              START_NS, 74, &dir));
    }
    assert_int_equal(ptl_flow_table_size(table), pkts->len);
}

/* Keys crafted to share one bucket under a seed the attacker knows all pile up in
 * a table that uses that seed, and spread in any table with its own random one. */
static void
test_flow_hash_keyed_spreads(void **state)
{
    (void) state;
    const PtlHashSeed known = { G_GUINT64_CONSTANT(0x0706050403020100),
                                G_GUINT64_CONSTANT(0x0f0e0d0c0b0a0908) };
    PtlFlowTable *attacked = ptl_flow_table_new(NULL);
    ptl_flow_table_set_hash_seed(attacked, &known);
    g_autoptr(GRand) rng = g_rand_new_with_seed(12);
    g_autoptr(GArray) crafted = g_array_new(FALSE, FALSE, sizeof(PtlDecoded));
    while (crafted->len < HASH_FLOWS) {
        PtlDecoded pkt = hash_random_syn(rng);
        if ((ptl_flow_table_hash_of(attacked, &pkt) & (HASH_BUCKETS - 1)) == 0)
            g_array_append_val(crafted, pkt);
    }

    PtlHashStats stats;
    hash_insert_all(attacked, crafted);
    ptl_flow_table_hash_stats(attacked, &stats);
    assert_int_equal(stats.buckets, HASH_BUCKETS);
    assert_int_equal(stats.longest_chain, HASH_FLOWS);   /* the attack works on a known seed */
    assert_true(stats.mean_probe > HASH_FLOWS / 3);

    PtlFlowTable *own = ptl_flow_table_new(NULL);
    PtlFlowTable *other = ptl_flow_table_new(NULL);
    const PtlDecoded *first = &g_array_index(crafted, PtlDecoded, 0);
    assert_true(ptl_flow_table_hash_of(own, first) != ptl_flow_table_hash_of(attacked, first));
    assert_true(ptl_flow_table_hash_of(own, first) != ptl_flow_table_hash_of(other, first));
    hash_insert_all(own, crafted);
    ptl_flow_table_hash_stats(own, &stats);
    assert_int_equal(stats.buckets, HASH_BUCKETS);
    assert_true(stats.longest_chain <= 10);               /* ~ a random table's */
    assert_true(stats.mean_probe < 2.5);
    assert_true(stats.used_buckets > HASH_BUCKETS / 2);
    ptl_flow_table_free(attacked);
    ptl_flow_table_free(own);
    ptl_flow_table_free(other);
}

/* SipHash-1-3 as others compute it: CPython 3.11+ hashes bytes with it, and with
 * PYTHONHASHSEED=0 its key is zero: hash(bytes(range(48))) == -135349581900668033. */
static void
test_flow_hash_siphash_vector(void **state)
{
    (void) state;
    const PtlHashSeed zero = { 0, 0 };
    guint64 words[6];
    for (guint i = 0; i < G_N_ELEMENTS(words); i++)
        words[i] = G_GUINT64_CONSTANT(0x0706050403020100)
                   + i * G_GUINT64_CONSTANT(0x0808080808080808);
    gint64 hash = (gint64) ptl_siphash13_words(&zero, words, 6);
    assert_true(hash == G_GINT64_CONSTANT(-135349581900668033));
}

/* Both ends of a flow hash alike, so either direction finds it. */
static void
test_flow_hash_direction_free(void **state)
{
    (void) state;
    PtlFlowTable *table = ptl_flow_table_new(NULL);
    PtlDecoded up = PKT(.src = "2001:db8::7", .sport = 5000, .dst = "2001:db8::8", .dport = 80);
    PtlDecoded down = PKT(.src = "2001:db8::8", .sport = 80, .dst = "2001:db8::7", .dport = 5000);
    assert_true(ptl_flow_table_hash_of(table, &up) == ptl_flow_table_hash_of(table, &down));
    ptl_flow_table_free(table);
}

/* ---- time at the edges ---- */

/* Stamps at 0, 0xffffffff s and the pcapng maximum (clamped to G_MAXINT64 ns):
 * expiry arithmetic saturates (UBSan would flag an overflow) and ends what is idle. */
static void
test_flow_time_extremes(void **state)
{
    Fixture *fx = *state;
    const gint64 stamps[] = { 0, G_GINT64_CONSTANT(0xffffffff) * SECOND_NS, G_MAXINT64 };
    for (guint i = 0; i < G_N_ELEMENTS(stamps); i++) {
        PtlDecoded pkt = PKT(.src = "10.0.0.1", .sport = (guint16) (1000 + i), .dst = "10.0.0.2",
                             .dport = 80, .flags = SYN);
        PtlDirection dir;
        ptl_flow_table_packet(table_of(fx), &pkt, stamps[i], 60, &dir);
        ptl_flow_table_expire(fx->table, stamps[i]);
        ptl_flow_table_expire(fx->table, G_MAXINT64);
        ptl_flow_table_expire(fx->table, stamps[i]);
    }
    /* each flow went idle once a later stamp came (the maximum), the last one never */
    assert_int_equal(fx->ended->len, 2);
    assert_int_equal(ended_at(fx, 0)->why, PTL_FLOW_END_IDLE);
    assert_int_equal(ptl_flow_table_size(fx->table), 1);
    const Ended *last = flush_and_get(fx, 2);
    assert_true(last->flow.last_ts_ns == G_MAXINT64);
}

/* ---- the memory budget ---- */

/* Entries and streams are charged while they live and given back when they end. */
static void
test_flow_memcap_charges(void **state)
{
    Fixture *fx = *state;
    PtlMemcap memcap;
    ptl_memcap_init(&memcap, 0);
    fx->cfg.memcap = &memcap;
    get_handshake(fx);
    PtlFlow *flow = send_pkt(fx, GET_TO_S(.flags = ACK, .seq = 4263588547u), PTL_DIR_TO_SERVER);
    guint64 entry_only = memcap.used;
    assert_true(entry_only > 0 && entry_only < 1024);
    assert_null(flow->stream);
    assert_int_equal(ptl_flow_stream(flow, PTL_DIR_TO_SERVER)->delivered, 0);
    assert_non_null(ptl_flow_table_streams(fx->table, flow));
    assert_true(memcap.used > entry_only);
    ptl_flow_table_flush(fx->table);
    assert_true(memcap.used > 0);                   /* the index's buckets */
    g_clear_pointer(&fx->table, ptl_flow_table_free);
    assert_int_equal(memcap.used, 0);
    assert_true(memcap.peak > entry_only);
}

/* A flood of SYNs needs no stream state: a flow stays small. */
static void
test_flow_syn_is_small(void **state)
{
    (void) state;
    assert_true(sizeof(PtlFlow) <= 224);
}

#define FLOW_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

/* ---- connection evidence: directions, handshake, one-sided vs unanswered ---- */

static void
test_flow_evidence_complete(void **state)
{
    Fixture *fx = *state;
    get_handshake(fx);
    const Ended *e = flush_and_get(fx, 0);
    assert_int_equal(e->state, PTL_FLOW_ACTIVE);
    assert_int_equal(ptl_flow_handshake(&e->flow), PTL_HANDSHAKE_COMPLETE);
    assert_int_equal(ptl_flow_directions(&e->flow), PTL_DIRECTIONS_BOTH);
    assert_int_equal(ptl_flow_refusal(&e->flow), PTL_REFUSED_NOT);
}

/* ndpi-http_asymmetric shape: SYN, the client's ACK and requests, nothing back */
static void
test_flow_one_sided_after_syn(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 10), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_S(.flags = ACK, .seq = 11, .ack = 501), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_S(.flags = ACK | PSH, .seq = 11, .ack = 501, .len = 300),
             PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_S(.flags = FIN | ACK, .seq = 311, .ack = 501), PTL_DIR_TO_SERVER);
    const Ended *e = flush_and_get(fx, 0);
    assert_int_equal(e->state, PTL_FLOW_ONE_SIDED);
    assert_int_equal(ptl_flow_handshake(&e->flow), PTL_HANDSHAKE_PARTIAL);
    assert_int_equal(ptl_flow_directions(&e->flow), PTL_DIRECTIONS_TO_SERVER);
}

/* a bare ACK after the SYN is enough: the client saw a SYN/ACK */
static void
test_flow_one_sided_ack_only(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 10), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_S(.flags = ACK, .seq = 11, .ack = 501), PTL_DIR_TO_SERVER);
    assert_int_equal(flush_and_get(fx, 0)->state, PTL_FLOW_ONE_SIDED);
}

/* only the server's side: the SYN/ACK and data toward the client */
static void
test_flow_one_sided_server_side(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, GET_TO_C(.flags = SYN | ACK, .seq = 500, .ack = 11), PTL_DIR_TO_CLIENT);
    send_pkt(fx, GET_TO_C(.flags = ACK | PSH, .seq = 501, .ack = 311, .len = 1000),
             PTL_DIR_TO_CLIENT);
    const Ended *e = flush_and_get(fx, 0);
    assert_int_equal(e->state, PTL_FLOW_ONE_SIDED);
    assert_int_equal(ptl_flow_handshake(&e->flow), PTL_HANDSHAKE_PARTIAL);
    assert_int_equal(ptl_flow_directions(&e->flow), PTL_DIRECTIONS_TO_CLIENT);
}

/* mid-stream, one way: no handshake at all, still one-sided, never unanswered */
static void
test_flow_one_sided_midstream(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, GET_TO_S(.flags = ACK | PSH, .seq = 11, .ack = 501, .len = 200),
             PTL_DIR_TO_SERVER);
    const Ended *e = flush_and_get(fx, 0);
    assert_int_equal(e->state, PTL_FLOW_ONE_SIDED);
    assert_int_equal(ptl_flow_handshake(&e->flow), PTL_HANDSHAKE_NONE);
}

/* unanswered needs SYNs (retries), nothing back and nothing more from the client;
 * a client RST giving up does not count as going on */
static void
test_flow_unanswered_needs_evidence(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 10), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 10), PTL_DIR_TO_SERVER);
    send_pkt(fx, GET_TO_S(.flags = RST, .seq = 11), PTL_DIR_TO_SERVER);
    const Ended *e = flush_and_get(fx, 0);
    assert_int_equal(e->state, PTL_FLOW_UNANSWERED);
    assert_int_equal(ptl_flow_handshake(&e->flow), PTL_HANDSHAKE_SYN_ONLY);
    assert_int_equal(ptl_flow_directions(&e->flow), PTL_DIRECTIONS_TO_SERVER);
}

static void
test_flow_refusal_kinds(void **state)
{
    Fixture *fx = *state;
    send_pkt(fx, GET_TO_S(.flags = SYN, .seq = 100), PTL_DIR_TO_SERVER);
    PtlFlow *flow = send_pkt(fx, GET_TO_C(.flags = RST | ACK, .ack = 101), PTL_DIR_TO_CLIENT);
    assert_int_equal(ptl_flow_refusal(flow), PTL_REFUSED_BY_RST);
    assert_int_equal(ptl_flow_handshake(flow), PTL_HANDSHAKE_SYN_ONLY);
    PtlDecoded syn = PKT(.src = "10.9.0.1", .sport = 40000, .dst = "10.9.0.2", .dport = 2888,
                         .flags = SYN, .seq = 5);
    PtlFlow *filtered = send_pkt(fx, syn, PTL_DIR_TO_SERVER);
    PtlDecoded icmp = icmp_build("10.9.0.254", 1, 3, 13, &syn);   /* admin prohibited */
    ptl_flow_table_icmp_error(fx->table, &icmp, fx->now);
    assert_int_equal(ptl_flow_refusal(filtered), PTL_REFUSED_BY_ICMP);
    assert_int_equal(ptl_flow_state(filtered, PTL_FLOW_END_CAPTURE), PTL_FLOW_REFUSED);
}

static void
test_flow_evidence_names(void **state)
{
    (void) state;
    assert_string_equal(ptl_flow_state_name(PTL_FLOW_ONE_SIDED), "one-sided");
    assert_string_equal(ptl_handshake_name(PTL_HANDSHAKE_COMPLETE), "complete");
    assert_string_equal(ptl_handshake_name(PTL_HANDSHAKE_PARTIAL), "partial");
    assert_string_equal(ptl_handshake_name(PTL_HANDSHAKE_SYN_ONLY), "syn-only");
    assert_string_equal(ptl_handshake_name(PTL_HANDSHAKE_NONE), "none");
    assert_null(ptl_handshake_name(PTL_HANDSHAKE_NOT_TCP));
    assert_string_equal(ptl_directions_name(PTL_DIRECTIONS_TO_CLIENT), "to-client");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        FLOW_TEST(test_flow_handshake),
        FLOW_TEST(test_flow_synack_first),
        FLOW_TEST(test_flow_midstream_service_port),
        FLOW_TEST(test_flow_midstream_lower_port),
        FLOW_TEST(test_flow_syn_retries_one_flow),
        FLOW_TEST(test_flow_unanswered_idle),
        FLOW_TEST(test_flow_refused_by_rst),
        FLOW_TEST(test_flow_reset),
        FLOW_TEST(test_flow_half_closed),
        FLOW_TEST(test_flow_active_or_established),
        FLOW_TEST(test_flow_udp_states),
        FLOW_TEST(test_flow_icmp_unreachable),
        FLOW_TEST(test_flow_icmp6_refuses_syn),
        FLOW_TEST(test_flow_idle_expiry),
        FLOW_TEST(test_flow_max_flows_evicts_lru),
        FLOW_TEST(test_flow_reuse_after_close),
        FLOW_TEST(test_flow_reuse_after_reset_reversed),
        FLOW_TEST(test_flow_reuse_by_synack),
        FLOW_TEST(test_flow_udp_initiator_by_port),
        cmocka_unit_test(test_flow_syn_scan_bounded),
        FLOW_TEST(test_flow_vlan_apart),
        FLOW_TEST(test_flow_ipv6),
        cmocka_unit_test(test_flow_names),
        FLOW_TEST(test_flow_evidence_complete),
        FLOW_TEST(test_flow_one_sided_after_syn),
        FLOW_TEST(test_flow_one_sided_ack_only),
        FLOW_TEST(test_flow_one_sided_server_side),
        FLOW_TEST(test_flow_one_sided_midstream),
        FLOW_TEST(test_flow_unanswered_needs_evidence),
        FLOW_TEST(test_flow_refusal_kinds),
        cmocka_unit_test(test_flow_evidence_names),
        cmocka_unit_test(test_flow_hash_keyed_spreads),
        cmocka_unit_test(test_flow_hash_siphash_vector),
        cmocka_unit_test(test_flow_hash_direction_free),
        FLOW_TEST(test_flow_time_extremes),
        FLOW_TEST(test_flow_memcap_charges),
        cmocka_unit_test(test_flow_syn_is_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
