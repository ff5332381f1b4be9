/* ptl-flow.c: the bidirectional flow table.
 *
 * One allocation per flow holds the PtlFlow and its index node, so a packet of
 * a known flow costs a keyed hash of its canonical key (built on the stack), a
 * chain walk comparing the tuple with the flow's own endpoints and an O(1) move
 * in an intrusive LRU list.  Flows sit in one of three LRU lists by timeout
 * class (UDP, TCP open, TCP finished): each list is then ordered by last
 * activity, and expiry only ever looks at list heads. */
#include "ptl-flow.h"

#include "ptl-time.h"

#include <string.h>

#define FLOW_SECOND_NS              G_GINT64_CONSTANT(1000000000)
#define FLOW_DEFAULT_TCP_IDLE_NS    (3600 * FLOW_SECOND_NS) /* keep-alive RPC idles for minutes */
#define FLOW_DEFAULT_TCP_CLOSED_NS  (30 * FLOW_SECOND_NS)  /* late ACKs and RSTs stay in the flow */
#define FLOW_DEFAULT_UDP_IDLE_NS    (120 * FLOW_SECOND_NS)
#define FLOW_DEFAULT_MAX_FLOWS      1000000u
/* expiry walks at most once per this much capture time */
#define FLOW_EXPIRE_INTERVAL_NS     FLOW_SECOND_NS

#define FLOW_TCP_FIN 0x01
#define FLOW_TCP_SYN 0x02
#define FLOW_TCP_RST 0x04
#define FLOW_TCP_ACK 0x10

#define FLOW_PROTO_TCP 6
#define FLOW_PROTO_UDP 17

#define FLOW_ICMP4_UNREACHABLE   3
#define FLOW_ICMP4_FRAG_NEEDED   4  /* a code of "unreachable" that only asks for a smaller MTU */
#define FLOW_ICMP6_UNREACHABLE   1

typedef enum {
    FLOW_CLASS_UDP,
    FLOW_CLASS_TCP_OPEN,
    FLOW_CLASS_TCP_FINISHED,
    FLOW_CLASS_COUNT
} FlowClass;

/* The canonical key, lower (address, port) side first, as whole words for the
 * hash: [0..1] lower address, [2..3] higher address, [4] both ports and both
 * VLAN ids, [5] family, protocol and the tunnel's id.  Only hashed, never stored: entries are
 * matched against the flow's own endpoints. */
#define FLOW_KEY_WORDS 6

typedef struct {
    guint64 w[FLOW_KEY_WORDS];
} FlowKey;

typedef struct {
    PtlFlow     flow;         /* first: a PtlFlow * is its FlowEntry * */
    PtlHashNode node;
    guint8      klass;        /* FlowClass */
} FlowEntry;

typedef struct {
    PtlFlow *head, *tail;     /* head: least recently active */
} FlowList;

struct _PtlFlowTable {
    PtlFlowConfig cfg;
    PtlHashIndex  index;      /* over FlowEntry.node */
    gsize         index_charged; /* bucket bytes charged to the budget */
    FlowEntry    *last;       /* the flow of the previous packet: segments come in bursts */
    FlowList      lru[FLOW_CLASS_COUNT];
    gint64        timeout_ns[FLOW_CLASS_COUNT];
    gboolean      has_expired;
    gboolean      is_flushing; /* flows are being ended from a list: none may end early */
    gint64        next_expire_ns;
    guint64       created;
    guint64       evicted;
    guint         peak;
};

static const char *const flow_state_names[PTL_FLOW_STATE_COUNT] = {
    [PTL_FLOW_ESTABLISHED] = "established",
    [PTL_FLOW_CLOSED] = "closed",
    [PTL_FLOW_RESET] = "reset",
    [PTL_FLOW_REFUSED] = "refused",
    [PTL_FLOW_UNANSWERED] = "unanswered",
    [PTL_FLOW_ACTIVE] = "active",
    [PTL_FLOW_REQUEST_ONLY] = "request-only",
    [PTL_FLOW_BIDIRECTIONAL] = "bidirectional",
    [PTL_FLOW_ONE_SIDED] = "one-sided",
};

static const char *const flow_handshake_names[PTL_HANDSHAKE_COUNT] = {
    [PTL_HANDSHAKE_NOT_TCP] = NULL,
    [PTL_HANDSHAKE_COMPLETE] = "complete",
    [PTL_HANDSHAKE_PARTIAL] = "partial",
    [PTL_HANDSHAKE_SYN_ONLY] = "syn-only",
    [PTL_HANDSHAKE_NONE] = "none",
};

static const char *const flow_directions_names[] = {
    [PTL_DIRECTIONS_BOTH] = "both",
    [PTL_DIRECTIONS_TO_SERVER] = "to-server",
    [PTL_DIRECTIONS_TO_CLIENT] = "to-client",
};

static const char *const flow_initiator_names[] = {
    [PTL_INITIATOR_SYN] = "syn",
    [PTL_INITIATOR_SYNACK] = "syn-ack",
    [PTL_INITIATOR_FIRST_PACKET] = "first-packet",
    [PTL_INITIATOR_INFERRED] = "inferred",
    [PTL_INITIATOR_PORT] = "port",
};

gboolean
ptl_flow_state_is_answered(PtlFlowState state)
{
    return state == PTL_FLOW_ESTABLISHED || state == PTL_FLOW_CLOSED ||
           state == PTL_FLOW_RESET || state == PTL_FLOW_ACTIVE ||
           state == PTL_FLOW_BIDIRECTIONAL || state == PTL_FLOW_ONE_SIDED;
}

const char *
ptl_flow_state_name(PtlFlowState state)
{
    g_return_val_if_fail((guint) state < PTL_FLOW_STATE_COUNT, "unknown");
    return flow_state_names[state];
}

const char *
ptl_handshake_name(PtlHandshake handshake)
{
    g_return_val_if_fail((guint) handshake < PTL_HANDSHAKE_COUNT, NULL);
    return flow_handshake_names[handshake];
}

const char *
ptl_directions_name(PtlDirections directions)
{
    g_return_val_if_fail((guint) directions < G_N_ELEMENTS(flow_directions_names), "unknown");
    return flow_directions_names[directions];
}

const char *
ptl_initiator_name(PtlInitiator initiator)
{
    g_return_val_if_fail((guint) initiator < G_N_ELEMENTS(flow_initiator_names), "unknown");
    return flow_initiator_names[initiator];
}

static inline FlowEntry *
flow_entry(PtlFlow *flow)
{
    return (FlowEntry *) flow;
}

/* ---- key ---- */

static inline FlowEntry *
flow_entry_of_node(PtlHashNode *node)
{
    return (FlowEntry *) ((guint8 *) node - G_STRUCT_OFFSET(FlowEntry, node));
}

static inline gsize
flow_addr_len(const PtlAddr *addr)
{
    return addr->family == 6 ? 16 : 4;
}

/* The address as two words; an IPv4 address uses the first 4 bytes only. */
static inline void
flow_addr_words(const PtlAddr *addr, guint64 out[2])
{
    if (addr->family == 6) {
        memcpy(out, addr->bytes, 16);
        return;
    }
    guint32 v4;
    memcpy(&v4, addr->bytes, sizeof v4);
    out[0] = v4;
    out[1] = 0;
}

/* Fills the canonical key of a tuple.  Any consistent order will do, so
 * addresses compare as native words. */
static void
flow_key_build(FlowKey *key, const PtlTuple *tuple, const PtlDecoded *pkt)
{
    guint64 src[2], dst[2];
    flow_addr_words(&tuple->src, src);
    flow_addr_words(&tuple->dst, dst);
    gboolean is_src_low;
    if (src[0] != dst[0])
        is_src_low = src[0] < dst[0];
    else if (src[1] != dst[1])
        is_src_low = src[1] < dst[1];
    else
        is_src_low = tuple->sport <= tuple->dport;
    const guint64 *low = is_src_low ? src : dst;
    const guint64 *high = is_src_low ? dst : src;
    guint64 low_port = is_src_low ? tuple->sport : tuple->dport;
    guint64 high_port = is_src_low ? tuple->dport : tuple->sport;

    key->w[0] = low[0];
    key->w[1] = low[1];
    key->w[2] = high[0];
    key->w[3] = high[1];
    key->w[4] = low_port | high_port << 16 | (guint64) pkt->vlan << 32
                | (guint64) pkt->inner_vlan << 48;
    key->w[5] = tuple->src.family | (guint64) tuple->proto << 8
                | (guint64) (pkt->tunnel != NULL ? pkt->tunnel->id : 0) << 16;
}

static guint64
flow_tuple_hash(const PtlFlowTable *table, const PtlTuple *tuple, const PtlDecoded *pkt)
{
    FlowKey key;
    flow_key_build(&key, tuple, pkt);
    return ptl_siphash13_words(&table->index.seed, key.w, FLOW_KEY_WORDS);
}

static inline gboolean
flow_addr_is(const PtlAddr *flow_addr, const PtlAddr *addr)
{
    return flow_addr->family == addr->family
           && memcmp(flow_addr->bytes, addr->bytes, flow_addr_len(addr)) == 0;
}

/* Is the tuple this flow's?  *dir: the way it goes. */
static gboolean
flow_matches(const PtlFlow *flow, const PtlTuple *t, const PtlDecoded *pkt, PtlDirection *dir)
{
    if (flow->proto != t->proto || flow->vlan != pkt->vlan || flow->inner_vlan != pkt->inner_vlan
        || flow->tunnel != pkt->tunnel)
        return FALSE;
    if (flow->client_port == t->sport && flow->server_port == t->dport
        && flow_addr_is(&flow->client_ip, &t->src) && flow_addr_is(&flow->server_ip, &t->dst)) {
        *dir = PTL_DIR_TO_SERVER;
        return TRUE;
    }
    if (flow->client_port == t->dport && flow->server_port == t->sport
        && flow_addr_is(&flow->client_ip, &t->dst) && flow_addr_is(&flow->server_ip, &t->src)) {
        *dir = PTL_DIR_TO_CLIENT;
        return TRUE;
    }
    return FALSE;
}

static FlowEntry *
flow_lookup(const PtlFlowTable *table, const PtlTuple *t, const PtlDecoded *pkt, guint64 hash,
            PtlDirection *dir)
{
    for (PtlHashNode *n = ptl_hash_index_chain(&table->index, hash); n != NULL; n = n->next) {
        FlowEntry *entry = flow_entry_of_node(n);
        if (n->hash == hash && flow_matches(&entry->flow, t, pkt, dir))
            return entry;
    }
    return NULL;
}

/* ---- LRU lists ---- */

static void
flow_list_append(FlowList *list, PtlFlow *flow)
{
    flow->lru_next = NULL;
    flow->lru_prev = list->tail;
    if (list->tail != NULL)
        list->tail->lru_next = flow;
    else
        list->head = flow;
    list->tail = flow;
}

static void
flow_list_unlink(FlowList *list, PtlFlow *flow)
{
    if (flow->lru_prev != NULL)
        flow->lru_prev->lru_next = flow->lru_next;
    else
        list->head = flow->lru_next;
    if (flow->lru_next != NULL)
        flow->lru_next->lru_prev = flow->lru_prev;
    else
        list->tail = flow->lru_prev;
    flow->lru_prev = flow->lru_next = NULL;
}

static gboolean
flow_is_finished(const PtlFlow *flow)
{
    return flow->is_refused || flow->has_rst[0] || flow->has_rst[1]
           || (flow->has_fin[0] && flow->has_fin[1]);
}

/* A half-close (one FIN) stays in the long class: the other side may go on. */
static FlowClass
flow_class(const PtlFlow *flow)
{
    if (flow->proto == FLOW_PROTO_UDP)
        return FLOW_CLASS_UDP;
    return flow_is_finished(flow) ? FLOW_CLASS_TCP_FINISHED : FLOW_CLASS_TCP_OPEN;
}

/* Moves the flow to the tail of the list its (maybe new) class belongs to. */
static void
flow_requeue(PtlFlowTable *table, FlowEntry *entry)
{
    FlowClass klass = flow_class(&entry->flow);
    if (klass == entry->klass && table->lru[klass].tail == &entry->flow)
        return;
    flow_list_unlink(&table->lru[entry->klass], &entry->flow);
    entry->klass = klass;
    flow_list_append(&table->lru[klass], &entry->flow);
}

/* ---- ending ---- */

/* What the flow's streams take: the pair and their buffered segments. */
static gsize
flow_streams_cost(const PtlFlow *flow)
{
    if (flow->stream == NULL)
        return 0;
    return ptl_memcap_block_size(flow->stream) + ptl_stream_held_bytes(&flow->stream[0])
           + ptl_stream_held_bytes(&flow->stream[1]);
}

static void
flow_end(PtlFlowTable *table, FlowEntry *entry, PtlFlowEnd why)
{
    ptl_hash_index_remove(&table->index, &entry->node);
    if (table->last == entry)
        table->last = NULL;
    flow_list_unlink(&table->lru[entry->klass], &entry->flow);
    /* on_end flushes the streams: their cost is what was charged before it */
    gsize cost = flow_streams_cost(&entry->flow) + ptl_memcap_block_size(entry);
    if (table->cfg.on_end != NULL)
        table->cfg.on_end(table->cfg.end_user_data, &entry->flow, why);
    if (entry->flow.stream != NULL) {
        ptl_stream_clear(&entry->flow.stream[PTL_DIR_TO_SERVER]);
        ptl_stream_clear(&entry->flow.stream[PTL_DIR_TO_CLIENT]);
        g_free(entry->flow.stream);
    }
    g_free(entry);
    ptl_memcap_adjust(table->cfg.memcap, cost, 0);
}

/* The least recently active flow, passing over `skip` (may be NULL). */
static PtlFlow *
flow_oldest(const PtlFlowTable *table, const FlowEntry *skip)
{
    PtlFlow *oldest = NULL;
    for (guint c = 0; c < FLOW_CLASS_COUNT; c++) {
        PtlFlow *head = table->lru[c].head;
        if (skip != NULL && head == &skip->flow)
            head = head->lru_next;
        if (head != NULL && (oldest == NULL || head->last_ts_ns < oldest->last_ts_ns))
            oldest = head;
    }
    return oldest;
}

static void
flow_evict_oldest(PtlFlowTable *table)
{
    PtlFlow *oldest = flow_oldest(table, NULL);
    if (oldest == NULL)
        return;
    table->evicted++;
    flow_end(table, flow_entry(oldest), PTL_FLOW_END_EVICTED);
}

/* ---- creation ---- */

static gboolean
flow_is_service_port(const PtlFlowTable *table, guint8 proto, guint16 port)
{
    if (table->cfg.is_service_port != NULL)
        return table->cfg.is_service_port(table->cfg.port_user_data, proto, port);
    return port < 1024;
}

/* UDP services whose port says which side serves, even when both ports are
 * below 1024 or the server speaks first (a DHCP offer, an SNMP trap). */
static const guint16 flow_udp_server_ports[] = {
    53,          /* DNS */
    67,          /* DHCP server (its clients use 68) */
    123,         /* NTP */
    137, 138,    /* NetBIOS name and datagram service */
    161, 162,    /* SNMP agent, trap receiver */
    514,         /* syslog */
    547,         /* DHCPv6 server (its clients use 546) */
    2152,        /* GTP-U */
    3544,        /* Teredo */
    4789, 8472,  /* VXLAN (IANA, Linux default) */
    6081,        /* Geneve */
};

/* The client ports of the services above that have fixed ones. */
static const guint16 flow_udp_client_ports[] = { 68, 546 };

static gboolean
flow_port_in(const guint16 *ports, gsize n, guint16 port)
{
    for (gsize i = 0; i < n; i++)
        if (ports[i] == port)
            return TRUE;
    return FALSE;
}

/* How strongly a UDP port says "server": 2 a well-known service, 1 a fixed
 * client port of one, 0 neither. */
static int
flow_udp_port_rank(guint16 port)
{
    if (flow_port_in(flow_udp_server_ports, G_N_ELEMENTS(flow_udp_server_ports), port))
        return 2;
    if (flow_port_in(flow_udp_client_ports, G_N_ELEMENTS(flow_udp_client_ports), port))
        return 1;
    return 0;
}

/* TRUE when the first packet's sender is the client.  TCP: the SYN, else the
 * SYN/ACK decide.  UDP: a well-known service port on one side, then any service
 * port on exactly one side marks the server (port), else the first datagram's
 * sender is the client (first-packet).  TCP mid-stream: a service port on
 * exactly one side, else the lower port is the server (inferred). */
static gboolean
flow_sender_is_client(const PtlFlowTable *table, const PtlDecoded *pkt, PtlInitiator *initiator)
{
    const PtlTuple *tuple = &pkt->tuple;
    gboolean is_udp = tuple->proto == FLOW_PROTO_UDP;
    if (tuple->proto == FLOW_PROTO_TCP) {
        guint8 syn_ack = pkt->tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK);
        if (syn_ack == FLOW_TCP_SYN) {
            *initiator = PTL_INITIATOR_SYN;
            return TRUE;
        }
        if (syn_ack == (FLOW_TCP_SYN | FLOW_TCP_ACK)) {
            *initiator = PTL_INITIATOR_SYNACK;
            return FALSE;
        }
    } else if (is_udp) {
        int src_rank = flow_udp_port_rank(tuple->sport);
        int dst_rank = flow_udp_port_rank(tuple->dport);
        if (src_rank != dst_rank) {
            *initiator = PTL_INITIATOR_PORT;
            return dst_rank > src_rank;
        }
        if (src_rank == 2) {
            /* the same service both ends (NTP 123 to 123): the order decides */
            *initiator = PTL_INITIATOR_FIRST_PACKET;
            return TRUE;
        }
    }
    gboolean is_src_service = flow_is_service_port(table, tuple->proto, tuple->sport);
    gboolean is_dst_service = flow_is_service_port(table, tuple->proto, tuple->dport);
    if (is_src_service != is_dst_service) {
        *initiator = is_udp ? PTL_INITIATOR_PORT : PTL_INITIATOR_INFERRED;
        return is_dst_service;
    }
    if (is_udp) {
        *initiator = PTL_INITIATOR_FIRST_PACKET;
        return TRUE;
    }
    *initiator = PTL_INITIATOR_INFERRED;
    return tuple->sport >= tuple->dport;
}

/* Copies only the bytes the family uses, so the rest is zero. */
static void
flow_addr_copy(PtlAddr *to, const PtlAddr *from)
{
    memset(to, 0, sizeof *to);
    to->family = from->family;
    memcpy(to->bytes, from->bytes, flow_addr_len(from));
}

static FlowEntry *
flow_create(PtlFlowTable *table, guint64 hash, const PtlDecoded *pkt, gint64 ts_ns,
            PtlDirection *dir)
{
    if (table->index.count >= table->cfg.max_flows)
        flow_evict_oldest(table);
    /* over the budget the oldest flows make room; an entry itself is never refused */
    (void) ptl_memcap_allows(table->cfg.memcap, sizeof(FlowEntry));

    FlowEntry *entry = g_new0(FlowEntry, 1);
    PtlFlow *flow = &entry->flow;
    const PtlTuple *tuple = &pkt->tuple;
    gboolean is_sender_client = flow_sender_is_client(table, pkt, &flow->initiator);

    *dir = is_sender_client ? PTL_DIR_TO_SERVER : PTL_DIR_TO_CLIENT;
    flow->id = ++table->created;
    flow_addr_copy(&flow->client_ip, is_sender_client ? &tuple->src : &tuple->dst);
    flow_addr_copy(&flow->server_ip, is_sender_client ? &tuple->dst : &tuple->src);
    flow->client_port = is_sender_client ? tuple->sport : tuple->dport;
    flow->server_port = is_sender_client ? tuple->dport : tuple->sport;
    flow->proto = tuple->proto;
    flow->vlan = pkt->vlan;
    flow->inner_vlan = pkt->inner_vlan;
    flow->tunnel = pkt->tunnel;
    flow->last_ts_ns = ts_ns;

    ptl_hash_index_insert(&table->index, &entry->node, hash);
    ptl_memcap_adjust(table->cfg.memcap, 0, ptl_memcap_block_size(entry));
    ptl_memcap_account(table->cfg.memcap, &table->index_charged,
                       ptl_hash_index_bytes(&table->index));
    entry->klass = flow_class(flow);
    flow_list_append(&table->lru[entry->klass], flow);
    table->peak = MAX(table->peak, (guint) table->index.count);
    return entry;
}

/* ---- per packet ---- */

/* A new SYN, or a SYN/ACK whose SYN the capture missed, on a finished
 * connection starts a new one (as Zeek and tshark do); a retransmission (the
 * ISN already seen from that side) stays in the old one. */
static gboolean
flow_is_reused_by(const PtlFlow *flow, const PtlDecoded *pkt, PtlDirection dir)
{
    if (flow->proto != FLOW_PROTO_TCP || !flow_is_finished(flow))
        return FALSE;
    guint8 syn_ack = pkt->tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK);
    if (syn_ack == FLOW_TCP_SYN)
        return !(flow->has_syn && dir == PTL_DIR_TO_SERVER && pkt->seq == flow->client_isn);
    if (syn_ack == (FLOW_TCP_SYN | FLOW_TCP_ACK))
        return !(flow->has_synack && dir == PTL_DIR_TO_CLIENT && pkt->seq == flow->server_isn);
    return FALSE;
}

static void
flow_count(PtlFlowDirStats *stats, const PtlDecoded *pkt, gint64 ts_ns, guint32 wirelen)
{
    if (stats->packets == 0)
        stats->first_ts_ns = ts_ns;
    stats->packets++;
    stats->bytes += wirelen;
    stats->payload_bytes += pkt->payload_wire_len;
    stats->last_ts_ns = ts_ns;
    stats->tcp_flags |= pkt->tcp_flags;
    if (pkt->tcp_flags & FLOW_TCP_SYN)
        stats->syns++;
}

static void
flow_track_tcp(PtlFlow *flow, PtlDirection dir, const PtlDecoded *pkt)
{
    guint8 flags = pkt->tcp_flags;
    guint8 syn_ack = flags & (FLOW_TCP_SYN | FLOW_TCP_ACK);
    gboolean is_to_server = dir == PTL_DIR_TO_SERVER;

    if (syn_ack == FLOW_TCP_SYN && is_to_server && !flow->has_syn) {
        flow->has_syn = TRUE;
        flow->client_isn = pkt->seq;
    } else if (syn_ack == (FLOW_TCP_SYN | FLOW_TCP_ACK) && !is_to_server && !flow->has_synack) {
        flow->has_synack = TRUE;
        flow->server_isn = pkt->seq;
    } else if (syn_ack == FLOW_TCP_ACK && is_to_server && flow->has_synack) {
        flow->has_handshake = TRUE;
    }
    if (flags & FLOW_TCP_FIN)
        flow->has_fin[dir] = TRUE;
    if (flags & FLOW_TCP_RST) {
        flow->has_rst[dir] = TRUE;
        if (!is_to_server && flow->has_syn && !flow->has_synack)
            flow->is_refused = TRUE;
    }
}

PtlFlow *
ptl_flow_table_packet(PtlFlowTable *table, const PtlDecoded *pkt, gint64 ts_ns, guint32 wirelen,
                      PtlDirection *dir)
{
    g_return_val_if_fail(table != NULL && pkt != NULL && dir != NULL, NULL);
    g_return_val_if_fail(!pkt->is_icmp_error, NULL);
    g_return_val_if_fail(pkt->tuple.proto == FLOW_PROTO_TCP || pkt->tuple.proto == FLOW_PROTO_UDP,
                         NULL);

    ptl_flow_table_expire(table, ts_ns);
    const PtlTuple *tuple = &pkt->tuple;
    PtlDirection d = PTL_DIR_TO_SERVER;
    FlowEntry *entry = table->last;  /* segments come in bursts: try the last flow first */
    if (entry == NULL || !flow_matches(&entry->flow, tuple, pkt, &d))
        entry = flow_lookup(table, tuple, pkt, flow_tuple_hash(table, tuple, pkt), &d);
    if (entry != NULL && flow_is_reused_by(&entry->flow, pkt, d)) {
        flow_end(table, entry, PTL_FLOW_END_REUSED);
        entry = NULL;
    }
    if (entry == NULL)
        entry = flow_create(table, flow_tuple_hash(table, tuple, pkt), pkt, ts_ns, &d);

    PtlFlow *flow = &entry->flow;
    flow_count(&flow->dir[d], pkt, ts_ns, wirelen);
    if (flow->proto == FLOW_PROTO_TCP)
        flow_track_tcp(flow, d, pkt);
    flow->last_ts_ns = MAX(flow->last_ts_ns, ts_ns);
    flow_requeue(table, entry);
    table->last = entry;
    *dir = d;
    return flow;
}

/* Destination unreachable, but not "fragmentation needed", which only asks
 * for a smaller MTU; time exceeded is no refusal either. */
static gboolean
flow_icmp_is_refusal(const PtlDecoded *pkt)
{
    if (pkt->ip_proto == 58)
        return pkt->icmp_type == FLOW_ICMP6_UNREACHABLE;
    return pkt->icmp_type == FLOW_ICMP4_UNREACHABLE && pkt->icmp_code != FLOW_ICMP4_FRAG_NEEDED;
}

PtlFlow *
ptl_flow_table_icmp_error(PtlFlowTable *table, const PtlDecoded *pkt, gint64 ts_ns)
{
    g_return_val_if_fail(table != NULL && pkt != NULL, NULL);
    g_return_val_if_fail(pkt->is_icmp_error, NULL);
    const PtlTuple *quoted = &pkt->quoted;
    if (quoted->proto != FLOW_PROTO_TCP && quoted->proto != FLOW_PROTO_UDP)
        return NULL;

    ptl_flow_table_expire(table, ts_ns);
    PtlDirection sent = PTL_DIR_TO_SERVER;
    FlowEntry *entry = flow_lookup(table, quoted, pkt, flow_tuple_hash(table, quoted, pkt),
                                   &sent);
    if (entry == NULL)
        return NULL;

    PtlFlow *flow = &entry->flow;
    /* quoted.src sent the packet that failed; the reply would go the other way */
    PtlDirection reply = sent == PTL_DIR_TO_SERVER ? PTL_DIR_TO_CLIENT : PTL_DIR_TO_SERVER;
    gboolean has_reply = flow->dir[reply].packets > 0 || flow->has_synack;
    if (flow_icmp_is_refusal(pkt) && !has_reply && !flow->is_refused) {
        flow->is_refused = TRUE;
        flow->icmp_type = pkt->icmp_type;
        flow->icmp_code = pkt->icmp_code;
        flow_requeue(table, entry);
    }
    return flow;
}

/* ---- table ---- */

static gint64
flow_default_ns(gint64 value, gint64 fallback)
{
    return value > 0 ? value : fallback;
}

PtlFlowTable *
ptl_flow_table_new(const PtlFlowConfig *cfg)
{
    PtlFlowTable *table = g_new0(PtlFlowTable, 1);
    if (cfg != NULL)
        table->cfg = *cfg;
    table->cfg.tcp_idle_ns = flow_default_ns(table->cfg.tcp_idle_ns, FLOW_DEFAULT_TCP_IDLE_NS);
    table->cfg.tcp_closed_ns = flow_default_ns(table->cfg.tcp_closed_ns,
                                               FLOW_DEFAULT_TCP_CLOSED_NS);
    table->cfg.udp_idle_ns = flow_default_ns(table->cfg.udp_idle_ns, FLOW_DEFAULT_UDP_IDLE_NS);
    if (table->cfg.max_flows == 0)
        table->cfg.max_flows = FLOW_DEFAULT_MAX_FLOWS;
    table->timeout_ns[FLOW_CLASS_UDP] = table->cfg.udp_idle_ns;
    table->timeout_ns[FLOW_CLASS_TCP_OPEN] = table->cfg.tcp_idle_ns;
    table->timeout_ns[FLOW_CLASS_TCP_FINISHED] = table->cfg.tcp_closed_ns;
    ptl_hash_index_init(&table->index);
    return table;
}

void
ptl_flow_table_free(PtlFlowTable *table)
{
    if (table == NULL)
        return;
    ptl_flow_table_flush(table);
    ptl_memcap_account(table->cfg.memcap, &table->index_charged, 0);
    ptl_hash_index_clear(&table->index);
    g_free(table);
}

void
ptl_flow_table_expire(PtlFlowTable *table, gint64 now_ns)
{
    g_return_if_fail(table != NULL);
    if (table->has_expired && now_ns < table->next_expire_ns)
        return;
    table->has_expired = TRUE;
    table->next_expire_ns = ptl_time_add_sat(now_ns, FLOW_EXPIRE_INTERVAL_NS);
    for (guint c = 0; c < FLOW_CLASS_COUNT; c++) {
        FlowList *list = &table->lru[c];
        while (list->head != NULL
               && ptl_time_sub_sat(now_ns, list->head->last_ts_ns) > table->timeout_ns[c])
            flow_end(table, flow_entry(list->head), PTL_FLOW_END_IDLE);
    }
}

static gint
flow_compare_id(gconstpointer a, gconstpointer b)
{
    const PtlFlow *fa = *(PtlFlow *const *) a;
    const PtlFlow *fb = *(PtlFlow *const *) b;
    return fa->id < fb->id ? -1 : fa->id > fb->id;
}

void
ptl_flow_table_flush(PtlFlowTable *table)
{
    g_return_if_fail(table != NULL);
    /* in creation order, so reports do not depend on hash or LRU order */
    g_autoptr(GPtrArray) flows = g_ptr_array_sized_new((guint) table->index.count);
    for (guint c = 0; c < FLOW_CLASS_COUNT; c++)
        for (PtlFlow *f = table->lru[c].head; f != NULL; f = f->lru_next)
            g_ptr_array_add(flows, f);
    g_ptr_array_sort(flows, flow_compare_id);
    table->is_flushing = TRUE;
    for (guint i = 0; i < flows->len; i++)
        flow_end(table, flow_entry(g_ptr_array_index(flows, i)), PTL_FLOW_END_CAPTURE);
    table->is_flushing = FALSE;
}

/* The client went past its SYN: it acknowledged something (the SYN/ACK the
 * capture may have missed), sent data or closed.  A bare SYN, its retries and
 * a client RST giving up are not progress. */
static gboolean
flow_client_progressed(const PtlFlow *flow)
{
    const PtlFlowDirStats *up = &flow->dir[PTL_DIR_TO_SERVER];
    return (up->tcp_flags & (FLOW_TCP_ACK | FLOW_TCP_FIN)) != 0 || up->payload_bytes > 0;
}

PtlFlowState
ptl_flow_state(const PtlFlow *flow, PtlFlowEnd why)
{
    g_return_val_if_fail(flow != NULL, PTL_FLOW_ACTIVE);
    if (flow->is_refused)
        return PTL_FLOW_REFUSED;
    gboolean has_up = flow->dir[PTL_DIR_TO_SERVER].packets > 0;
    gboolean has_down = flow->dir[PTL_DIR_TO_CLIENT].packets > 0;
    if (flow->proto == FLOW_PROTO_UDP)
        return has_up && has_down ? PTL_FLOW_BIDIRECTIONAL : PTL_FLOW_REQUEST_ONLY;
    /* unanswered needs positive evidence: SYNs out, nothing back, nothing more */
    if (!has_down && flow->has_syn && !flow_client_progressed(flow))
        return PTL_FLOW_UNANSWERED;
    if (has_up != has_down)
        return PTL_FLOW_ONE_SIDED;
    if (flow->has_rst[PTL_DIR_TO_SERVER] || flow->has_rst[PTL_DIR_TO_CLIENT])
        return PTL_FLOW_RESET;
    if (flow->has_fin[PTL_DIR_TO_SERVER] || flow->has_fin[PTL_DIR_TO_CLIENT])
        return PTL_FLOW_CLOSED;
    /* Open: anything but a bare SYN moved data or a handshake, so a flow that
     * went quiet or was pushed out counts as established. */
    return why == PTL_FLOW_END_CAPTURE ? PTL_FLOW_ACTIVE : PTL_FLOW_ESTABLISHED;
}

PtlHandshake
ptl_flow_handshake(const PtlFlow *flow)
{
    g_return_val_if_fail(flow != NULL, PTL_HANDSHAKE_NOT_TCP);
    if (flow->proto != FLOW_PROTO_TCP)
        return PTL_HANDSHAKE_NOT_TCP;
    if (!flow->has_syn && !flow->has_synack)
        return PTL_HANDSHAKE_NONE;
    if (flow->has_syn && flow->has_synack && flow->has_handshake)
        return PTL_HANDSHAKE_COMPLETE;
    if (flow->has_syn && !flow->has_synack && !flow_client_progressed(flow))
        return PTL_HANDSHAKE_SYN_ONLY;
    return PTL_HANDSHAKE_PARTIAL;
}

PtlDirections
ptl_flow_directions(const PtlFlow *flow)
{
    g_return_val_if_fail(flow != NULL, PTL_DIRECTIONS_BOTH);
    if (flow->dir[PTL_DIR_TO_CLIENT].packets == 0)
        return PTL_DIRECTIONS_TO_SERVER;
    if (flow->dir[PTL_DIR_TO_SERVER].packets == 0)
        return PTL_DIRECTIONS_TO_CLIENT;
    return PTL_DIRECTIONS_BOTH;
}

PtlRefusal
ptl_flow_refusal(const PtlFlow *flow)
{
    g_return_val_if_fail(flow != NULL, PTL_REFUSED_NOT);
    if (!flow->is_refused)
        return PTL_REFUSED_NOT;
    /* ICMP unreachable types are never 0 (v4: 3, v6: 1) */
    return flow->icmp_type != 0 ? PTL_REFUSED_BY_ICMP : PTL_REFUSED_BY_RST;
}

guint
ptl_flow_table_size(const PtlFlowTable *table)
{
    g_return_val_if_fail(table != NULL, 0);
    return (guint) table->index.count;
}

guint64
ptl_flow_table_created(const PtlFlowTable *table)
{
    g_return_val_if_fail(table != NULL, 0);
    return table->created;
}

guint64
ptl_flow_table_evicted(const PtlFlowTable *table)
{
    g_return_val_if_fail(table != NULL, 0);
    return table->evicted;
}

guint
ptl_flow_table_peak(const PtlFlowTable *table)
{
    g_return_val_if_fail(table != NULL, 0);
    return table->peak;
}

const PtlStream *
ptl_flow_stream(const PtlFlow *flow, PtlDirection dir)
{
    static const PtlStream none;
    g_return_val_if_fail(flow != NULL, &none);
    return flow->stream != NULL ? &flow->stream[dir] : &none;
}

PtlStream *
ptl_flow_table_streams(PtlFlowTable *table, PtlFlow *flow)
{
    g_return_val_if_fail(table != NULL && flow != NULL, NULL);
    if (flow->stream != NULL)
        return flow->stream;
    (void) ptl_memcap_allows(table->cfg.memcap, 2 * sizeof(PtlStream));
    flow->stream = g_new(PtlStream, 2);
    ptl_stream_init(&flow->stream[PTL_DIR_TO_SERVER]);
    ptl_stream_init(&flow->stream[PTL_DIR_TO_CLIENT]);
    ptl_memcap_adjust(table->cfg.memcap, 0, ptl_memcap_block_size(flow->stream));
    return flow->stream;
}

PtlFlow *
ptl_flow_table_oldest(const PtlFlowTable *table)
{
    g_return_val_if_fail(table != NULL, NULL);
    return table->is_flushing ? NULL : flow_oldest(table, table->last);
}

void
ptl_flow_table_end_early(PtlFlowTable *table, PtlFlow *flow)
{
    g_return_if_fail(table != NULL && flow != NULL);
    table->evicted++;
    flow_end(table, flow_entry(flow), PTL_FLOW_END_EVICTED);
}

guint64
ptl_flow_table_hash_of(const PtlFlowTable *table, const PtlDecoded *pkt)
{
    g_return_val_if_fail(table != NULL && pkt != NULL, 0);
    return flow_tuple_hash(table, &pkt->tuple, pkt);
}

void
ptl_flow_table_hash_stats(const PtlFlowTable *table, PtlHashStats *stats)
{
    g_return_if_fail(table != NULL && stats != NULL);
    ptl_hash_index_stats(&table->index, stats);
}

void
ptl_flow_table_set_hash_seed(PtlFlowTable *table, const PtlHashSeed *seed)
{
    g_return_if_fail(table != NULL && seed != NULL);
    g_return_if_fail(table->index.count == 0);
    table->index.seed = *seed;
}
