/* ptl-summary.c: folding ended flows into the report's tables. */
#include "ptl-summary.h"

#include <string.h>

static void
summary_service_free(gpointer data)
{
    PtlServiceStats *service = data;
    g_hash_table_destroy(service->protocols);
    g_hash_table_destroy(service->clients);
    g_hash_table_destroy(service->servers);
    g_free(service);
}

PtlSummary *
ptl_summary_new(void)
{
    PtlSummary *s = g_new0(PtlSummary, 1);
    s->flows.protocols = g_hash_table_new(g_str_hash, g_str_equal);
    s->hosts = g_hash_table_new_full(ptl_addr_hash, ptl_addr_key_equal, NULL, g_free);
    s->services = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                        summary_service_free);
    s->failed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return s;
}

void
ptl_summary_free(PtlSummary *s)
{
    if (s == NULL)
        return;
    g_hash_table_destroy(s->flows.protocols);
    g_hash_table_destroy(s->hosts);
    g_hash_table_destroy(s->services);
    g_hash_table_destroy(s->failed);
    g_free(s);
}

static void
summary_count_name(GHashTable *table, const char *name)
{
    const char *key = g_intern_string(name);
    guint64 n = GPOINTER_TO_SIZE(g_hash_table_lookup(table, key));
    g_hash_table_insert(table, (gpointer) key, GSIZE_TO_POINTER(n + 1));
}

static PtlHostStats *
summary_host(PtlSummary *s, const PtlAddr *addr)
{
    PtlHostStats *host = g_hash_table_lookup(s->hosts, addr);
    if (host != NULL)
        return host;
    if (g_hash_table_size(s->hosts) >= PTL_SUMMARY_MAX_HOSTS) {
        s->hosts_dropped++;
        return NULL;
    }
    host = g_new0(PtlHostStats, 1);
    host->addr = *addr;
    g_hash_table_insert(s->hosts, &host->addr, host);
    return host;
}

static void
summary_add_hosts(PtlSummary *s, const PtlFlow *flow)
{
    const PtlFlowDirStats *up = &flow->dir[PTL_DIR_TO_SERVER];
    const PtlFlowDirStats *down = &flow->dir[PTL_DIR_TO_CLIENT];
    PtlHostStats *client = summary_host(s, &flow->client_ip);
    if (client != NULL) {
        client->flows_as_client++;
        client->packets_sent += up->packets;
        client->bytes_sent += up->bytes;
        client->packets_received += down->packets;
        client->bytes_received += down->bytes;
    }
    PtlHostStats *server = summary_host(s, &flow->server_ip);
    if (server != NULL) {
        server->flows_as_server++;
        server->packets_sent += down->packets;
        server->bytes_sent += down->bytes;
        server->packets_received += up->packets;
        server->bytes_received += up->bytes;
    }
}

/* A capped set of addresses; returns FALSE when full and addr is new. */
static gboolean
summary_peer_add(GHashTable *set, const PtlAddr *addr)
{
    if (g_hash_table_contains(set, addr))
        return TRUE;
    if (g_hash_table_size(set) >= PTL_SUMMARY_MAX_PEERS)
        return FALSE;
    PtlAddr *copy = g_new(PtlAddr, 1);
    *copy = *addr;
    g_hash_table_add(set, copy);
    return TRUE;
}

static PtlServiceStats *
summary_service(PtlSummary *s, const PtlFlow *flow)
{
    gpointer key = GUINT_TO_POINTER(((guint) flow->proto << 16) | flow->server_port);
    PtlServiceStats *service = g_hash_table_lookup(s->services, key);
    if (service != NULL)
        return service;
    if (g_hash_table_size(s->services) >= PTL_SUMMARY_MAX_SERVICES) {
        s->services_dropped++;
        return NULL;
    }
    service = g_new0(PtlServiceStats, 1);
    service->proto = flow->proto;
    service->port = flow->server_port;
    service->protocols = g_hash_table_new(g_str_hash, g_str_equal);
    service->clients = g_hash_table_new_full(ptl_addr_hash, ptl_addr_key_equal, g_free, NULL);
    service->servers = g_hash_table_new_full(ptl_addr_hash, ptl_addr_key_equal, g_free, NULL);
    g_hash_table_insert(s->services, key, service);
    return service;
}

static void
summary_add_service(PtlSummary *s, const PtlFlow *flow, PtlFlowState state, const char *protocol)
{
    PtlServiceStats *service = summary_service(s, flow);
    if (service == NULL)
        return;
    const PtlFlowDirStats *up = &flow->dir[PTL_DIR_TO_SERVER];
    const PtlFlowDirStats *down = &flow->dir[PTL_DIR_TO_CLIENT];
    service->flows++;
    service->packets += up->packets + down->packets;
    service->bytes += up->bytes + down->bytes;
    service->payload_bytes += up->payload_bytes + down->payload_bytes;
    service->states[state]++;
    if (protocol != NULL)
        summary_count_name(service->protocols, protocol);
    if (!summary_peer_add(service->clients, &flow->client_ip))
        service->clients_dropped++;
    if (!summary_peer_add(service->servers, &flow->server_ip))
        service->servers_dropped++;
}

static void
summary_add_failed(PtlSummary *s, const PtlFlow *flow, PtlFlowState state)
{
    char client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
    g_autofree char *key = g_strdup_printf("%s|%s|%u|%u|%d",
                                           ptl_addr_to_string(&flow->client_ip, client),
                                           ptl_addr_to_string(&flow->server_ip, server),
                                           flow->proto, flow->server_port, state);
    PtlFailedConn *failed = g_hash_table_lookup(s->failed, key);
    gint64 first = flow->dir[PTL_DIR_TO_SERVER].first_ts_ns;
    gint64 last = flow->last_ts_ns;
    if (failed == NULL) {
        if (g_hash_table_size(s->failed) >= PTL_SUMMARY_MAX_FAILED) {
            s->failed_dropped++;
            return;
        }
        failed = g_new0(PtlFailedConn, 1);
        failed->client = flow->client_ip;
        failed->server = flow->server_ip;
        failed->proto = flow->proto;
        failed->port = flow->server_port;
        failed->state = state;
        failed->icmp_type = flow->icmp_type;
        failed->icmp_code = flow->icmp_code;
        failed->first_ts_ns = first;
        g_hash_table_insert(s->failed, g_steal_pointer(&key), failed);
    }
    if (failed->count < PTL_SUMMARY_EXAMPLES)
        failed->examples[failed->count] = flow->id;
    failed->count++;
    if (first != 0 && (failed->first_ts_ns == 0 || first < failed->first_ts_ns))
        failed->first_ts_ns = first;
    failed->last_ts_ns = MAX(failed->last_ts_ns, last);
}

void
ptl_summary_add_flow(PtlSummary *s, const PtlFlow *flow, PtlFlowEnd why, const PtlApp *app)
{
    PtlFlowsSummary *f = &s->flows;
    PtlFlowState state = ptl_flow_state(flow, why);
    f->total++;
    if (flow->proto == PTL_TRANSPORT_TCP)
        f->tcp++;
    else
        f->udp++;
    f->states[state]++;
    if (flow->initiator == PTL_INITIATOR_INFERRED)
        f->inferred_initiator++;
    f->ended_idle += why == PTL_FLOW_END_IDLE;
    f->ended_evicted += why == PTL_FLOW_END_EVICTED;
    f->ended_reused += why == PTL_FLOW_END_REUSED;
    guint64 gaps = 0;
    for (int d = 0; d < 2; d++) {
        gaps += ptl_flow_stream(flow, (PtlDirection) d)->gaps;
        f->gap_bytes += ptl_flow_stream(flow, (PtlDirection) d)->gap_bytes;
        f->retransmissions += ptl_flow_stream(flow, (PtlDirection) d)->retransmitted;
        f->out_of_order += ptl_flow_stream(flow, (PtlDirection) d)->out_of_order;
    }
    f->with_gaps += gaps > 0;
    const char *protocol = app != NULL ? ptl_app_protocol(app) : NULL;
    if (app != NULL) {
        f->truncated += ptl_app_is_truncated(app);
        f->dissector_errors += ptl_app_error(app) != NULL;
        f->records += ptl_app_records(app);
        f->records_dropped += ptl_app_records_dropped(app);
    }
    summary_count_name(f->protocols, protocol != NULL ? protocol : "none");
    summary_add_hosts(s, flow);
    summary_add_service(s, flow, state, protocol);
    if (state == PTL_FLOW_REFUSED || state == PTL_FLOW_UNANSWERED)
        summary_add_failed(s, flow, state);
}

static int
summary_compare_services(gconstpointer a, gconstpointer b)
{
    const PtlServiceStats *x = *(PtlServiceStats *const *) a;
    const PtlServiceStats *y = *(PtlServiceStats *const *) b;
    if (x->flows != y->flows)
        return x->flows > y->flows ? -1 : 1;
    if (x->proto != y->proto)
        return x->proto - y->proto;
    return (int) x->port - (int) y->port;
}

static int
summary_compare_hosts(gconstpointer a, gconstpointer b)
{
    const PtlHostStats *x = *(PtlHostStats *const *) a;
    const PtlHostStats *y = *(PtlHostStats *const *) b;
    guint64 bx = x->bytes_sent + x->bytes_received, by = y->bytes_sent + y->bytes_received;
    if (bx != by)
        return bx > by ? -1 : 1;
    return ptl_addr_compare(&x->addr, &y->addr);
}

static int
summary_compare_failed(gconstpointer a, gconstpointer b)
{
    const PtlFailedConn *x = *(PtlFailedConn *const *) a;
    const PtlFailedConn *y = *(PtlFailedConn *const *) b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->port != y->port)
        return (int) x->port - (int) y->port;
    int c = ptl_addr_compare(&x->client, &y->client);
    return c != 0 ? c : ptl_addr_compare(&x->server, &y->server);
}

static GPtrArray *
summary_sorted_values(GHashTable *table, GCompareFunc compare)
{
    GPtrArray *items = g_ptr_array_sized_new(g_hash_table_size(table));
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, table);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        g_ptr_array_add(items, value);
    g_ptr_array_sort(items, compare);
    return items;
}

GPtrArray *
ptl_summary_services_by_flows(const PtlSummary *s)
{
    return summary_sorted_values(s->services, summary_compare_services);
}

GPtrArray *
ptl_summary_hosts_by_bytes(const PtlSummary *s)
{
    return summary_sorted_values(s->hosts, summary_compare_hosts);
}

GPtrArray *
ptl_summary_failed_sorted(const PtlSummary *s)
{
    return summary_sorted_values(s->failed, summary_compare_failed);
}
