/* ptl-flow.c: the bidirectional flow table.
 *
 * One allocation per flow holds the PtlFlow and its canonical key, so a packet
 * of a known flow costs a key built on the stack, one hash lookup and an O(1)
 * move in an intrusive LRU list.  Flows sit in one of three LRU lists by
 * timeout class (UDP, TCP open, TCP finished): each list is then ordered by
 * last activity, and expiry only ever looks at list heads. */
#include "ptl-flow.h"

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

/* The canonical key, lower (address, port) side first, kept as whole words so
 * hashing reads back exactly what was stored (no store-forwarding stalls):
 * [0..1] lower address, [2..3] higher address, [4] both ports and both VLAN
 * ids, [5] family and protocol. */
#define FLOW_KEY_WORDS 6

typedef struct {
    guint64 w[FLOW_KEY_WORDS];
} FlowKey;

typedef struct {
    PtlFlow   flow;           /* first: a PtlFlow * is its FlowEntry * */
    FlowKey   key;
    FlowClass klass;
    gboolean  is_client_low;  /* the client is key side 0 */
} FlowEntry;

typedef struct {
    PtlFlow *head, *tail;     /* head: least recently active */
} FlowList;

struct _PtlFlowTable {
    PtlFlowConfig cfg;
    GHashTable   *flows;      /* FlowKey * -> FlowEntry *, both inside the entry */
    FlowEntry    *last;       /* the flow of the previous packet: segments come in bursts */
    FlowList      lru[FLOW_CLASS_COUNT];
    gint64        timeout_ns[FLOW_CLASS_COUNT];
    gboolean      has_expired;
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
};

static const char *const flow_initiator_names[] = {
    [PTL_INITIATOR_SYN] = "syn",
    [PTL_INITIATOR_SYNACK] = "syn-ack",
    [PTL_INITIATOR_FIRST_PACKET] = "first-packet",
    [PTL_INITIATOR_INFERRED] = "inferred",
};

const char *
ptl_flow_state_name(PtlFlowState state)
{
    g_return_val_if_fail((guint) state < PTL_FLOW_STATE_COUNT, "unknown");
    return flow_state_names[state];
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

static inline guint64
flow_mix(guint64 h, guint64 word)
{
    return (h ^ word) * G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
}

/* Two independent multiply chains (the CPU runs them side by side), then a
 * final avalanche so the low bits GHashTable uses depend on every key byte. */
static guint
flow_key_hash(gconstpointer p)
{
    const FlowKey *key = p;
    guint64 even = G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    guint64 odd = G_GUINT64_CONSTANT(0xc2b2ae3d27d4eb4f);
    for (gsize i = 0; i < FLOW_KEY_WORDS; i += 2) {
        even = flow_mix(even, key->w[i]);
        odd = flow_mix(odd, key->w[i + 1]);
    }
    guint64 h = even ^ ((odd << 31) | (odd >> 33));
    h ^= h >> 33;
    h *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
    h ^= h >> 29;
    return (guint) h;
}

static gboolean
flow_key_equal(gconstpointer pa, gconstpointer pb)
{
    const FlowKey *a = pa, *b = pb;
    guint64 diff = 0;
    for (gsize i = 0; i < FLOW_KEY_WORDS; i++)
        diff |= a->w[i] ^ b->w[i];
    return diff == 0;
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

/* Fills the canonical key of a tuple; returns TRUE when src is side 0.  Any
 * consistent order will do, so addresses compare as native words. */
static gboolean
flow_key_build(FlowKey *key, const PtlTuple *tuple, guint16 vlan, guint16 inner_vlan)
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
    key->w[4] = low_port | high_port << 16 | (guint64) vlan << 32 | (guint64) inner_vlan << 48;
    key->w[5] = tuple->src.family | (guint64) tuple->proto << 8;
    return is_src_low;
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

static void
flow_end(PtlFlowTable *table, FlowEntry *entry, PtlFlowEnd why)
{
    g_hash_table_remove(table->flows, &entry->key);
    if (table->last == entry)
        table->last = NULL;
    flow_list_unlink(&table->lru[entry->klass], &entry->flow);
    if (table->cfg.on_end != NULL)
        table->cfg.on_end(table->cfg.end_user_data, &entry->flow, why);
    ptl_stream_clear(&entry->flow.stream[PTL_DIR_TO_SERVER]);
    ptl_stream_clear(&entry->flow.stream[PTL_DIR_TO_CLIENT]);
    g_free(entry);
}

static void
flow_evict_oldest(PtlFlowTable *table)
{
    PtlFlow *oldest = NULL;
    for (guint c = 0; c < FLOW_CLASS_COUNT; c++) {
        PtlFlow *head = table->lru[c].head;
        if (head != NULL && (oldest == NULL || head->last_ts_ns < oldest->last_ts_ns))
            oldest = head;
    }
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

/* TRUE when the first packet's sender is the client.  TCP: the SYN, else the
 * SYN/ACK decide.  Otherwise a service port on exactly one side marks the
 * server (inferred); failing that TCP takes the lower port as the server
 * (inferred) and UDP the first datagram's sender as the client (first-packet). */
static gboolean
flow_sender_is_client(const PtlFlowTable *table, const PtlDecoded *pkt, PtlInitiator *initiator)
{
    const PtlTuple *tuple = &pkt->tuple;
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
    }
    gboolean is_src_service = flow_is_service_port(table, tuple->proto, tuple->sport);
    gboolean is_dst_service = flow_is_service_port(table, tuple->proto, tuple->dport);
    if (is_src_service != is_dst_service) {
        *initiator = PTL_INITIATOR_INFERRED;
        return is_dst_service;
    }
    if (tuple->proto == FLOW_PROTO_UDP) {
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
flow_create(PtlFlowTable *table, const FlowKey *key, gboolean is_src_low,
            const PtlDecoded *pkt, gint64 ts_ns)
{
    if (g_hash_table_size(table->flows) >= table->cfg.max_flows)
        flow_evict_oldest(table);

    FlowEntry *entry = g_new0(FlowEntry, 1);
    PtlFlow *flow = &entry->flow;
    const PtlTuple *tuple = &pkt->tuple;
    gboolean is_sender_client = flow_sender_is_client(table, pkt, &flow->initiator);

    entry->key = *key;
    entry->is_client_low = is_sender_client == is_src_low;
    flow->id = ++table->created;
    flow_addr_copy(&flow->client_ip, is_sender_client ? &tuple->src : &tuple->dst);
    flow_addr_copy(&flow->server_ip, is_sender_client ? &tuple->dst : &tuple->src);
    flow->client_port = is_sender_client ? tuple->sport : tuple->dport;
    flow->server_port = is_sender_client ? tuple->dport : tuple->sport;
    flow->proto = tuple->proto;
    flow->vlan = pkt->vlan;
    flow->inner_vlan = pkt->inner_vlan;
    flow->last_ts_ns = ts_ns;
    ptl_stream_init(&flow->stream[PTL_DIR_TO_SERVER]);
    ptl_stream_init(&flow->stream[PTL_DIR_TO_CLIENT]);

    g_hash_table_insert(table->flows, &entry->key, entry);
    entry->klass = flow_class(flow);
    flow_list_append(&table->lru[entry->klass], flow);
    table->peak = MAX(table->peak, g_hash_table_size(table->flows));
    return entry;
}

/* ---- per packet ---- */

/* A new SYN (other ISN) on a finished connection starts a new one. */
static gboolean
flow_is_reused_by(const PtlFlow *flow, const PtlDecoded *pkt, PtlDirection dir)
{
    if (flow->proto != FLOW_PROTO_TCP || !flow_is_finished(flow))
        return FALSE;
    if ((pkt->tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) != FLOW_TCP_SYN)
        return FALSE;
    gboolean is_retry = flow->has_syn && dir == PTL_DIR_TO_SERVER && pkt->seq == flow->client_isn;
    return !is_retry;
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
    } else if (syn_ack == (FLOW_TCP_SYN | FLOW_TCP_ACK) && !is_to_server) {
        flow->has_synack = TRUE;
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
    FlowKey key;
    gboolean is_src_low = flow_key_build(&key, &pkt->tuple, pkt->vlan, pkt->inner_vlan);
    FlowEntry *entry = table->last;
    if (entry == NULL || !flow_key_equal(&key, &entry->key))
        entry = g_hash_table_lookup(table->flows, &key);
    if (entry != NULL) {
        PtlDirection d = is_src_low == entry->is_client_low ? PTL_DIR_TO_SERVER : PTL_DIR_TO_CLIENT;
        if (flow_is_reused_by(&entry->flow, pkt, d)) {
            flow_end(table, entry, PTL_FLOW_END_REUSED);
            entry = NULL;
        }
    }
    if (entry == NULL)
        entry = flow_create(table, &key, is_src_low, pkt, ts_ns);

    PtlFlow *flow = &entry->flow;
    PtlDirection d = is_src_low == entry->is_client_low ? PTL_DIR_TO_SERVER : PTL_DIR_TO_CLIENT;
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
    FlowKey key;
    gboolean is_src_low = flow_key_build(&key, quoted, pkt->vlan, pkt->inner_vlan);
    FlowEntry *entry = g_hash_table_lookup(table->flows, &key);
    if (entry == NULL)
        return NULL;

    PtlFlow *flow = &entry->flow;
    /* quoted.src sent the packet that failed; the reply would go the other way */
    PtlDirection reply = is_src_low == entry->is_client_low ? PTL_DIR_TO_CLIENT : PTL_DIR_TO_SERVER;
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
    table->flows = g_hash_table_new(flow_key_hash, flow_key_equal);
    return table;
}

void
ptl_flow_table_free(PtlFlowTable *table)
{
    if (table == NULL)
        return;
    ptl_flow_table_flush(table);
    g_hash_table_destroy(table->flows);
    g_free(table);
}

void
ptl_flow_table_expire(PtlFlowTable *table, gint64 now_ns)
{
    g_return_if_fail(table != NULL);
    if (table->has_expired && now_ns < table->next_expire_ns)
        return;
    table->has_expired = TRUE;
    /* saturating: a capture's clock may stand at the end of time (a clamped pcapng stamp) */
    table->next_expire_ns = now_ns > G_MAXINT64 - FLOW_EXPIRE_INTERVAL_NS
                                ? G_MAXINT64 : now_ns + FLOW_EXPIRE_INTERVAL_NS;
    for (guint c = 0; c < FLOW_CLASS_COUNT; c++) {
        FlowList *list = &table->lru[c];
        while (list->head != NULL && now_ns - list->head->last_ts_ns > table->timeout_ns[c])
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
    g_autoptr(GPtrArray) flows = g_ptr_array_sized_new(g_hash_table_size(table->flows));
    for (guint c = 0; c < FLOW_CLASS_COUNT; c++)
        for (PtlFlow *f = table->lru[c].head; f != NULL; f = f->lru_next)
            g_ptr_array_add(flows, f);
    g_ptr_array_sort(flows, flow_compare_id);
    for (guint i = 0; i < flows->len; i++)
        flow_end(table, flow_entry(g_ptr_array_index(flows, i)), PTL_FLOW_END_CAPTURE);
}

PtlFlowState
ptl_flow_state(const PtlFlow *flow, PtlFlowEnd why)
{
    g_return_val_if_fail(flow != NULL, PTL_FLOW_ACTIVE);
    if (flow->is_refused)
        return PTL_FLOW_REFUSED;
    if (flow->proto == FLOW_PROTO_UDP) {
        gboolean is_both = flow->dir[PTL_DIR_TO_SERVER].packets > 0
                           && flow->dir[PTL_DIR_TO_CLIENT].packets > 0;
        return is_both ? PTL_FLOW_BIDIRECTIONAL : PTL_FLOW_REQUEST_ONLY;
    }
    if (flow->has_syn && flow->dir[PTL_DIR_TO_CLIENT].packets == 0)
        return PTL_FLOW_UNANSWERED;
    if (flow->has_rst[PTL_DIR_TO_SERVER] || flow->has_rst[PTL_DIR_TO_CLIENT])
        return PTL_FLOW_RESET;
    if (flow->has_fin[PTL_DIR_TO_SERVER] || flow->has_fin[PTL_DIR_TO_CLIENT])
        return PTL_FLOW_CLOSED;
    /* Open: anything but a bare SYN moved data or a handshake, so a flow that
     * went quiet or was pushed out counts as established. */
    return why == PTL_FLOW_END_CAPTURE ? PTL_FLOW_ACTIVE : PTL_FLOW_ESTABLISHED;
}

guint
ptl_flow_table_size(const PtlFlowTable *table)
{
    g_return_val_if_fail(table != NULL, 0);
    return g_hash_table_size(table->flows);
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
