/* ptl-decode.c: link, IP and transport headers of one packet.
 *
 * Every read goes through a PtlCursor.  Each layer hands the next a cursor
 * limited to min(claimed length, bytes captured) plus the claimed length, so a
 * short header is told apart as cut by the capture (truncated) or claimed too
 * short by its sender (malformed). */
#include "ptl-decode.h"

#include <pcap/dlt.h>
#include <string.h>

#include "ptl-cursor.h"
#include "ptl-decap.h"
#include "ptl-frag.h"
#include "ptl-tunnel.h"

#define DECODE_DEFAULT_FRAG_BYTES     ((gsize) 16 * 1024 * 1024)
#define DECODE_DEFAULT_FRAG_DATAGRAMS 4096u
#define DECODE_DEFAULT_FRAG_TIMEOUT   (G_GINT64_CONSTANT(30) * G_GINT64_CONSTANT(1000000000))

#define DECODE_MAX_UNSUPPORTED 64u  /* distinct link types remembered for the message */
#define DECODE_MAX_ETHERNET    8u   /* Ethernet frames nested in pseudowires, PBB, tunnels */
#define DECODE_MAX_IP6_EXT     8u   /* IPv6 extension headers in one chain */

#define DECODE_LINKTYPE_RAW    101  /* LINKTYPE_RAW, when a reader hands it through */

#define DECODE_ETH_MIN_TYPE    0x0600  /* below: an 802.3 length, LLC/SNAP follows */
#define DECODE_ETH_IPV4        0x0800
#define DECODE_ETH_IPV6        0x86dd
#define DECODE_ETH_VLAN        0x8100
#define DECODE_ETH_QINQ        0x88a8
#define DECODE_ETH_QINQ_OLD    0x9100
#define DECODE_ETH_MPLS        0x8847
#define DECODE_ETH_MPLS_MC     0x8848
#define DECODE_ETH_PPPOE       0x8864
#define DECODE_ETH_PBB         0x88e7
#define DECODE_MPLS_BOTTOM     0x100u
#define DECODE_ARPHRD_NETLINK  824     /* SLL protocol field is a netlink family */

#define DECODE_PORT_VXLAN      4789
#define DECODE_PORT_VXLAN_LINUX 8472   /* the Linux kernel's default before IANA's */
#define DECODE_PORT_GENEVE     6081
#define DECODE_PORT_GTPU       2152
#define DECODE_PORT_TEREDO     3544
#define DECODE_PORT_AYIYA      5072
#define DECODE_PORT_MPLS_UDP   6635    /* RFC 7510 */

#define DECODE_NFLOG_PAYLOAD   9       /* NFULA_PAYLOAD */
#define DECODE_NFLOG_TYPE_MASK 0x3fffu /* drop the nested / byte-order flags */
#define DECODE_AF_INET         2
#define DECODE_AF_INET6_LINUX  10

#define DECODE_IP_ICMP         1
#define DECODE_IP_IPIP         4
#define DECODE_IP_IPV6_IN      41
#define DECODE_IP_GRE          47
#define DECODE_IP_TCP          6
#define DECODE_IP_UDP          17
#define DECODE_IP_ICMPV6       58
#define DECODE_IP6_HOPOPTS     0
#define DECODE_IP6_ROUTING     43
#define DECODE_IP6_FRAGMENT    44
#define DECODE_IP6_AH          51
#define DECODE_IP6_DSTOPTS     60
#define DECODE_IP6_MOBILITY    135

#define DECODE_IPV4_MORE       0x2000u
#define DECODE_IPV4_OFFSET     0x1fffu

struct _PtlDecoder {
    PtlFrag        *frag;
    PtlTunnelTable *tunnels;
    guint16         vxlan_ports[PTL_DECODER_MAX_VXLAN_PORTS]; /* configured, 0: unused */
    guint64         skips[PTL_SKIP_COUNT];
    GArray         *unsupported;  /* int DLT numbers, distinct, at most DECODE_MAX_UNSUPPORTED */
};

typedef struct {
    PtlDecoder      *dec;
    const PtlPacket *pkt;
    PtlDecoded      *out;
    guint            n_vlans;
    guint            n_ethernet;
    guint            n_tunnels;   /* nested so far; out->tunnel is the innermost */
} DecodeCtx;

typedef struct {
    guint8   next;      /* first header of the fragmentable part */
    guint32  offset;    /* bytes */
    gboolean has_more;
    guint32  id;
} DecodeIp6Frag;

static const char *const decode_skip_names[PTL_SKIP_COUNT] = {
    [PTL_SKIP_NONE] = "none",
    [PTL_SKIP_LINKTYPE] = "linktype",
    [PTL_SKIP_LINK_TRUNCATED] = "link_truncated",
    [PTL_SKIP_NOT_IP] = "not_ip",
    [PTL_SKIP_IP_TRUNCATED] = "ip_truncated",
    [PTL_SKIP_IP_MALFORMED] = "ip_malformed",
    [PTL_SKIP_L4_TRUNCATED] = "l4_truncated",
    [PTL_SKIP_L4_MALFORMED] = "l4_malformed",
    [PTL_SKIP_OTHER_L4] = "other_l4",
    [PTL_SKIP_FRAGMENT_DROPPED] = "fragment_dropped",
    [PTL_SKIP_ICMP_OTHER] = "icmp_other",
    [PTL_SKIP_TUNNEL_TRUNCATED] = "tunnel_truncated",
    [PTL_SKIP_TUNNEL_MALFORMED] = "tunnel_malformed",
    [PTL_SKIP_TUNNEL_TOO_DEEP] = "tunnel_too_deep",
    [PTL_SKIP_TUNNEL_LIMIT] = "tunnel_limit",
};

const char *
ptl_skip_reason_name(PtlSkipReason reason)
{
    g_return_val_if_fail(reason < PTL_SKIP_COUNT, "unknown");
    return decode_skip_names[reason];
}

PtlDecoder *
ptl_decoder_new(const PtlDecoderConfig *cfg)
{
    PtlDecoderConfig use = { DECODE_DEFAULT_FRAG_BYTES, DECODE_DEFAULT_FRAG_DATAGRAMS,
                             DECODE_DEFAULT_FRAG_TIMEOUT, { 0 } };

    /* a zero field keeps its default */
    if (cfg != NULL && cfg->frag_max_bytes > 0)
        use.frag_max_bytes = cfg->frag_max_bytes;
    if (cfg != NULL && cfg->frag_max_datagrams > 0)
        use.frag_max_datagrams = cfg->frag_max_datagrams;
    if (cfg != NULL && cfg->frag_timeout_ns > 0)
        use.frag_timeout_ns = cfg->frag_timeout_ns;

    PtlDecoder *dec = g_new0(PtlDecoder, 1);
    dec->frag = ptl_frag_new(use.frag_max_bytes, use.frag_max_datagrams, use.frag_timeout_ns);
    dec->unsupported = g_array_new(FALSE, FALSE, sizeof(int));
    dec->tunnels = ptl_tunnel_table_new();
    if (cfg != NULL)
        memcpy(dec->vxlan_ports, cfg->vxlan_ports, sizeof dec->vxlan_ports);
    return dec;
}

void
ptl_decoder_free(PtlDecoder *dec)
{
    if (dec == NULL)
        return;
    g_clear_pointer(&dec->frag, ptl_frag_free);
    g_clear_pointer(&dec->unsupported, g_array_unref);
    g_clear_pointer(&dec->tunnels, ptl_tunnel_table_free);
    g_free(dec);
}

const guint64 *
ptl_decoder_skip_counts(const PtlDecoder *dec)
{
    g_return_val_if_fail(dec != NULL, NULL);
    return dec->skips;
}

void
ptl_decoder_finish(PtlDecoder *dec)
{
    g_return_if_fail(dec != NULL);
    ptl_frag_drop_all(dec->frag);
    dec->skips[PTL_SKIP_FRAGMENT_DROPPED] += ptl_frag_take_dropped(dec->frag);
}

const GPtrArray *
ptl_decoder_tunnels(const PtlDecoder *dec)
{
    g_return_val_if_fail(dec != NULL, NULL);
    return ptl_tunnel_table_list(dec->tunnels);
}

GArray *
ptl_decoder_unsupported_linktypes(const PtlDecoder *dec)
{
    g_return_val_if_fail(dec != NULL, NULL);
    return dec->unsupported;
}

static void
decode_note_linktype(PtlDecoder *dec, int linktype)
{
    for (guint i = 0; i < dec->unsupported->len; i++) {
        if (g_array_index(dec->unsupported, int, i) == linktype)
            return;
    }
    if (dec->unsupported->len < DECODE_MAX_UNSUPPORTED)
        g_array_append_val(dec->unsupported, linktype);
}

static PtlDecodeResult
decode_skip(DecodeCtx *ctx, PtlSkipReason reason)
{
    ctx->out->skip = reason;
    return PTL_DECODE_SKIPPED;
}

/* ---- transport ---------------------------------------------------------- */

/* What is present of a payload the headers claim wire_len bytes for. */
static void
decode_set_payload(PtlDecoded *out, PtlCursor *c, guint32 wire_len)
{
    gsize present = MIN(ptl_cursor_remaining(c), (gsize) wire_len);

    out->payload = ptl_cursor_take(c, present);
    out->payload_len = (guint32) present;
    out->payload_wire_len = wire_len;
}

/* A fixed header that did not fit: claimed too short, or cut by the capture. */
static PtlSkipReason
decode_l4_short(guint32 wire, gsize fixed)
{
    return wire < fixed ? PTL_SKIP_L4_MALFORMED : PTL_SKIP_L4_TRUNCATED;
}

static PtlSkipReason
decode_tcp(PtlDecoded *out, PtlCursor *c, guint32 wire)
{
    out->tuple.sport = ptl_cursor_be16(c);
    out->tuple.dport = ptl_cursor_be16(c);
    out->seq = ptl_cursor_be32(c);
    out->ack = ptl_cursor_be32(c);
    guint hlen = (ptl_cursor_u8(c) >> 4) * 4u;
    out->tcp_flags = ptl_cursor_u8(c);
    out->window = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 4);                     /* checksum, urgent pointer */
    if (!ptl_cursor_ok(c))
        return decode_l4_short(wire, 20);
    if (hlen < 20 || hlen > wire)
        return PTL_SKIP_L4_MALFORMED;
    if (!ptl_cursor_skip(c, hlen - 20))
        return PTL_SKIP_L4_TRUNCATED;
    decode_set_payload(out, c, wire - hlen);
    return PTL_SKIP_NONE;
}

static PtlSkipReason
decode_udp(PtlDecoded *out, PtlCursor *c, guint32 wire)
{
    out->tuple.sport = ptl_cursor_be16(c);
    out->tuple.dport = ptl_cursor_be16(c);
    guint16 udp_len = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 2);                     /* checksum */
    if (!ptl_cursor_ok(c))
        return decode_l4_short(wire, 8);
    /* 0 is a jumbogram or garbage; longer than the IP payload is a lie */
    if (udp_len < 8 || udp_len > wire)
        return PTL_SKIP_L4_MALFORMED;
    decode_set_payload(out, c, udp_len - 8u);
    return PTL_SKIP_NONE;
}

static PtlSkipReason
decode_quoted_ports(PtlCursor *c, guint8 proto, PtlTuple *quoted)
{
    if (proto != DECODE_IP_TCP && proto != DECODE_IP_UDP)
        return PTL_SKIP_ICMP_OTHER;
    quoted->proto = proto;
    quoted->sport = ptl_cursor_be16(c);
    quoted->dport = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 4);                     /* RFC 792 quotes 8 transport bytes */
    return ptl_cursor_ok(c) ? PTL_SKIP_NONE : PTL_SKIP_L4_TRUNCATED;
}

static void
decode_set_addr(PtlAddr *addr, guint8 family, const guint8 *bytes)
{
    addr->family = family;
    memcpy(addr->bytes, bytes, family == 6 ? 16 : 4);
}

static PtlSkipReason
decode_quoted_ipv4(PtlCursor *c, PtlTuple *quoted)
{
    guint8 version_ihl = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 5);                     /* tos, total length, id */
    guint16 frag = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 1);                     /* ttl */
    guint8 proto = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 2);                     /* checksum */
    const guint8 *src = ptl_cursor_take(c, 4);
    const guint8 *dst = ptl_cursor_take(c, 4);
    if (!ptl_cursor_ok(c))
        return PTL_SKIP_L4_TRUNCATED;
    guint hlen = (version_ihl & 0x0f) * 4u;
    if (version_ihl >> 4 != 4 || hlen < 20)
        return PTL_SKIP_L4_MALFORMED;
    if (!ptl_cursor_skip(c, hlen - 20))
        return PTL_SKIP_L4_TRUNCATED;
    if ((frag & DECODE_IPV4_OFFSET) != 0)
        return PTL_SKIP_ICMP_OTHER;            /* a later fragment: no ports quoted */
    decode_set_addr(&quoted->src, 4, src);
    decode_set_addr(&quoted->dst, 4, dst);
    return decode_quoted_ports(c, proto, quoted);
}

static gboolean
decode_is_ipv6_ext(guint8 next)
{
    return next == DECODE_IP6_HOPOPTS || next == DECODE_IP6_ROUTING || next == DECODE_IP6_FRAGMENT
           || next == DECODE_IP6_AH || next == DECODE_IP6_DSTOPTS || next == DECODE_IP6_MOBILITY;
}

static gsize
decode_ipv6_ext_size(guint8 type, guint8 len_field)
{
    if (type == DECODE_IP6_FRAGMENT)
        return 8;
    if (type == DECODE_IP6_AH)
        return (len_field + 2u) * 4u;
    return (len_field + 1u) * 8u;
}

/* Walks extension headers from *next until an upper layer or a fragment header
 * (then *frag is filled and the cursor is past it).  c starts at the IPv6
 * payload, which claims wire bytes; *n_ext counts headers over calls. */
static PtlSkipReason
decode_ipv6_walk(PtlCursor *c, guint32 wire, guint8 *next, DecodeIp6Frag *frag, guint *n_ext)
{
    while (decode_is_ipv6_ext(*next)) {
        if (++*n_ext > DECODE_MAX_IP6_EXT)
            return PTL_SKIP_IP_MALFORMED;
        PtlCursor look = *c;
        guint8 hdr_next = ptl_cursor_u8(&look);
        guint8 hdr_len = ptl_cursor_u8(&look);
        gsize size = decode_ipv6_ext_size(*next, hdr_len);
        if (size > wire - c->pos)
            return PTL_SKIP_IP_MALFORMED;
        PtlCursor hdr = ptl_cursor_sub(c, size);
        if (!ptl_cursor_ok(&hdr))
            return PTL_SKIP_IP_TRUNCATED;
        if (*next == DECODE_IP6_FRAGMENT) {
            ptl_cursor_skip(&hdr, 2);          /* next header, reserved */
            guint16 offset_flags = ptl_cursor_be16(&hdr);
            frag->next = hdr_next;
            frag->offset = offset_flags & 0xfff8u;
            frag->has_more = (offset_flags & 1u) != 0;
            frag->id = ptl_cursor_be32(&hdr);
            *next = DECODE_IP6_FRAGMENT;
            return PTL_SKIP_NONE;
        }
        *next = hdr_next;
    }
    return PTL_SKIP_NONE;
}

static PtlSkipReason
decode_ip_to_l4_reason(PtlSkipReason reason)
{
    if (reason == PTL_SKIP_IP_TRUNCATED)
        return PTL_SKIP_L4_TRUNCATED;
    if (reason == PTL_SKIP_IP_MALFORMED)
        return PTL_SKIP_L4_MALFORMED;
    return reason;
}

static PtlSkipReason
decode_quoted_ipv6(PtlCursor *c, PtlTuple *quoted)
{
    guint8 version = ptl_cursor_u8(c) >> 4;
    ptl_cursor_skip(c, 3);                     /* class, flow label */
    guint16 payload_len = ptl_cursor_be16(c);
    guint8 next = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 1);                     /* hop limit */
    const guint8 *src = ptl_cursor_take(c, 16);
    const guint8 *dst = ptl_cursor_take(c, 16);
    if (!ptl_cursor_ok(c))
        return PTL_SKIP_L4_TRUNCATED;
    if (version != 6)
        return PTL_SKIP_L4_MALFORMED;
    decode_set_addr(&quoted->src, 6, src);
    decode_set_addr(&quoted->dst, 6, dst);

    PtlCursor body = ptl_cursor_sub(c, MIN((gsize) payload_len, ptl_cursor_remaining(c)));
    DecodeIp6Frag frag = { 0 };
    guint n_ext = 0;
    do {
        PtlSkipReason reason = decode_ipv6_walk(&body, payload_len, &next, &frag, &n_ext);
        if (reason != PTL_SKIP_NONE)
            return decode_ip_to_l4_reason(reason);
        if (next == DECODE_IP6_FRAGMENT) {
            if (frag.offset != 0)
                return PTL_SKIP_ICMP_OTHER;    /* a later fragment: no ports quoted */
            next = frag.next;
        }
    } while (decode_is_ipv6_ext(next));
    return decode_quoted_ports(&body, next, quoted);
}

static gboolean
decode_is_icmp_error(guint8 family, guint8 type)
{
    if (family == 4)
        return type == 3 || type == 11;       /* unreachable, time exceeded */
    return type == 1 || type == 3;            /* unreachable, time exceeded */
}

static PtlSkipReason
decode_icmp(PtlDecoded *out, PtlCursor *c, guint32 wire)
{
    out->icmp_type = ptl_cursor_u8(c);
    out->icmp_code = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 6);                     /* checksum, unused / mtu */
    if (!ptl_cursor_ok(c))
        return decode_l4_short(wire, 8);
    guint8 family = out->tuple.src.family;
    if (!decode_is_icmp_error(family, out->icmp_type))
        return PTL_SKIP_ICMP_OTHER;

    PtlCursor quote = *c;
    decode_set_payload(out, c, wire - 8);
    PtlSkipReason reason = family == 4 ? decode_quoted_ipv4(&quote, &out->quoted)
                                       : decode_quoted_ipv6(&quote, &out->quoted);
    out->is_icmp_error = reason == PTL_SKIP_NONE;
    return reason;
}

static PtlDecodeResult decode_tunnel(DecodeCtx *ctx, PtlTunnelType type, PtlCursor *c);

/* The tunnel a UDP port pair says, or PTL_TUNNEL_NONE: one switch and, only
 * when --vxlan-port was given, a short loop. */
static PtlTunnelType
decode_udp_tunnel(const PtlDecoder *dec, guint16 sport, guint16 dport)
{
    switch (dport) {
    case DECODE_PORT_VXLAN:
    case DECODE_PORT_VXLAN_LINUX:
        return PTL_TUNNEL_VXLAN;
    case DECODE_PORT_GENEVE:
        return PTL_TUNNEL_GENEVE;
    case DECODE_PORT_MPLS_UDP:
        return PTL_TUNNEL_MPLS_UDP;
    default:
        break;
    }
    /* these answer from their well-known port too */
    if (dport == DECODE_PORT_GTPU || sport == DECODE_PORT_GTPU)
        return PTL_TUNNEL_GTPU;
    if (dport == DECODE_PORT_TEREDO || sport == DECODE_PORT_TEREDO)
        return PTL_TUNNEL_TEREDO;
    if (dport == DECODE_PORT_AYIYA || sport == DECODE_PORT_AYIYA)
        return PTL_TUNNEL_AYIYA;
    for (guint i = 0; i < PTL_DECODER_MAX_VXLAN_PORTS && dec->vxlan_ports[i] != 0; i++) {
        if (dec->vxlan_ports[i] == dport)
            return PTL_TUNNEL_VXLAN;
    }
    return PTL_TUNNEL_NONE;
}

/* c is at the transport header; wire bytes are claimed from there on. */
static PtlDecodeResult
decode_transport(DecodeCtx *ctx, guint8 proto, PtlCursor *c, guint32 wire)
{
    PtlDecoded *out = ctx->out;
    gboolean is_v4 = out->tuple.src.family == 4;
    PtlSkipReason reason;

    out->ip_proto = proto;
    out->tuple.proto = proto;
    if (proto == DECODE_IP_TCP) {
        reason = decode_tcp(out, c, wire);
    } else if (proto == DECODE_IP_UDP) {
        reason = decode_udp(out, c, wire);
        PtlTunnelType type = reason == PTL_SKIP_NONE
                                 ? decode_udp_tunnel(ctx->dec, out->tuple.sport, out->tuple.dport)
                                 : PTL_TUNNEL_NONE;
        if (type != PTL_TUNNEL_NONE) {
            PtlCursor inner = ptl_cursor_init(out->payload, out->payload_len);
            return decode_tunnel(ctx, type, &inner);
        }
    } else if (proto == DECODE_IP_GRE) {
        return decode_tunnel(ctx, PTL_TUNNEL_GRE, c);
    } else if (proto == DECODE_IP_IPIP || proto == DECODE_IP_IPV6_IN) {
        return decode_tunnel(ctx, PTL_TUNNEL_IPIP, c);
    } else if (proto == (is_v4 ? DECODE_IP_ICMP : DECODE_IP_ICMPV6))
        reason = decode_icmp(out, c, wire);
    else
        reason = PTL_SKIP_OTHER_L4;
    return reason == PTL_SKIP_NONE ? PTL_DECODE_OK : decode_skip(ctx, reason);
}

/* ---- IP ----------------------------------------------------------------- */

/* Only what can become a flow is worth holding fragments for. */
static gboolean
decode_is_followed(guint8 family, guint8 proto)
{
    if (proto == DECODE_IP_TCP || proto == DECODE_IP_UDP || proto == DECODE_IP_GRE
        || proto == DECODE_IP_IPIP || proto == DECODE_IP_IPV6_IN)
        return TRUE;
    if (family == 4)
        return proto == DECODE_IP_ICMP;
    return proto == DECODE_IP_ICMPV6 || decode_is_ipv6_ext(proto);
}

/* Hands a fragment over; OK means *data holds the whole fragmentable part. */
static PtlDecodeResult
decode_fragment(DecodeCtx *ctx, PtlFragment *fragment, const guint8 **data, guint32 *len)
{
    fragment->key.src = ctx->out->tuple.src;
    fragment->key.dst = ctx->out->tuple.dst;
    fragment->key.tunnel_id = ctx->out->tunnel != NULL ? ctx->out->tunnel->id : 0;
    fragment->ts_ns = ctx->pkt->ts_ns;
    switch (ptl_frag_add(ctx->dec->frag, fragment, data, len)) {
    case PTL_FRAG_COMPLETE:
        ctx->out->is_fragmented = TRUE;
        return PTL_DECODE_OK;
    case PTL_FRAG_HELD:
        return PTL_DECODE_HELD;
    case PTL_FRAG_DROPPED:
    default:
        return decode_skip(ctx, PTL_SKIP_FRAGMENT_DROPPED);
    }
}

static PtlDecodeResult
decode_ipv4_fragment(DecodeCtx *ctx, PtlCursor *body, guint32 wire, guint16 id, guint16 frag,
                     guint hlen)
{
    guint8 proto = ctx->out->ip_proto;

    if (!decode_is_followed(4, proto))
        return decode_skip(ctx, PTL_SKIP_OTHER_L4);
    if (ctx->out->is_fragmented)               /* inside a reassembled tunnel packet */
        return decode_skip(ctx, PTL_SKIP_FRAGMENT_DROPPED);
    if (ptl_cursor_remaining(body) < wire)
        return decode_skip(ctx, PTL_SKIP_FRAGMENT_DROPPED); /* cut by the capture */

    PtlFragment fragment = { 0 };
    fragment.key.id = id;
    fragment.key.proto = proto;
    fragment.offset = (frag & DECODE_IPV4_OFFSET) * 8u;
    fragment.has_more = (frag & DECODE_IPV4_MORE) != 0;
    fragment.data = ptl_cursor_take(body, wire);
    fragment.len = wire;
    fragment.max_end = PTL_FRAG_MAX_DATAGRAM - hlen;

    const guint8 *data = NULL;
    guint32 len = 0;
    PtlDecodeResult result = decode_fragment(ctx, &fragment, &data, &len);
    if (result != PTL_DECODE_OK)
        return result;
    ctx->out->ip_len = hlen + len;
    PtlCursor whole = ptl_cursor_init(data, len);
    return decode_transport(ctx, proto, &whole, len);
}

/* Total length 0 is what TSO/GRO frames carry (the NIC fills it in later):
 * the datagram is the rest of the frame, snaplen-cut bytes included. */
static guint32
decode_tso_length(const PtlPacket *pkt, gsize present)
{
    gsize cut = pkt->wirelen > pkt->caplen ? pkt->wirelen - pkt->caplen : 0;
    return (guint32) MIN(present + cut, (gsize) G_MAXUINT32);
}

static PtlDecodeResult
decode_ipv4(DecodeCtx *ctx, PtlCursor *c)
{
    PtlDecoded *out = ctx->out;
    gsize present = ptl_cursor_remaining(c);
    guint8 version_ihl = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 1);                     /* DSCP, ECN */
    guint16 total = ptl_cursor_be16(c);
    guint16 id = ptl_cursor_be16(c);
    guint16 frag = ptl_cursor_be16(c);
    out->ttl = ptl_cursor_u8(c);
    out->ip_proto = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 2);                     /* checksum: offloading makes it unreliable */
    const guint8 *src = ptl_cursor_take(c, 4);
    const guint8 *dst = ptl_cursor_take(c, 4);
    if (!ptl_cursor_ok(c))
        return decode_skip(ctx, PTL_SKIP_IP_TRUNCATED);
    guint hlen = (version_ihl & 0x0f) * 4u;
    gboolean is_fragment = (frag & (DECODE_IPV4_MORE | DECODE_IPV4_OFFSET)) != 0;
    guint32 ip_len = total == 0 && !is_fragment ? decode_tso_length(ctx->pkt, present) : total;
    if (hlen < 20 || ip_len < hlen)
        return decode_skip(ctx, PTL_SKIP_IP_MALFORMED);
    if (!ptl_cursor_skip(c, hlen - 20))
        return decode_skip(ctx, PTL_SKIP_IP_TRUNCATED);

    decode_set_addr(&out->tuple.src, 4, src);
    decode_set_addr(&out->tuple.dst, 4, dst);
    out->ip_len = ip_len;
    guint32 wire = ip_len - hlen;
    /* Ethernet padding past the total length is not payload */
    PtlCursor body = ptl_cursor_sub(c, MIN((gsize) wire, present - hlen));
    if (is_fragment)
        return decode_ipv4_fragment(ctx, &body, wire, id, frag, hlen);
    return decode_transport(ctx, out->ip_proto, &body, wire);
}

static PtlDecodeResult decode_ipv6_payload(DecodeCtx *ctx, PtlCursor *c, guint32 wire,
                                           guint8 next);

/* c is past the fragment header; unfrag_len extension bytes came before it. */
static PtlDecodeResult
decode_ipv6_fragment(DecodeCtx *ctx, PtlCursor *c, guint32 wire, const DecodeIp6Frag *frag)
{
    guint32 unfrag_len = (guint32) c->pos - 8;
    guint32 len = wire - (guint32) c->pos;

    if (ctx->out->is_fragmented)
        return decode_skip(ctx, PTL_SKIP_IP_MALFORMED);  /* a fragment inside a fragment */
    if (!decode_is_followed(6, frag->next))
        return decode_skip(ctx, PTL_SKIP_OTHER_L4);
    if (ptl_cursor_remaining(c) < len)
        return decode_skip(ctx, PTL_SKIP_FRAGMENT_DROPPED); /* cut by the capture */

    PtlFragment fragment = { 0 };
    fragment.key.id = frag->id;
    fragment.key.proto = frag->next;
    fragment.offset = frag->offset;
    fragment.has_more = frag->has_more;
    fragment.data = ptl_cursor_take(c, len);
    fragment.len = len;
    fragment.max_end = PTL_FRAG_MAX_DATAGRAM - unfrag_len;

    const guint8 *data = NULL;
    guint32 whole_len = 0;
    PtlDecodeResult result = decode_fragment(ctx, &fragment, &data, &whole_len);
    if (result != PTL_DECODE_OK)
        return result;
    ctx->out->ip_len = 40 + unfrag_len + whole_len;
    PtlCursor whole = ptl_cursor_init(data, whole_len);
    return decode_ipv6_payload(ctx, &whole, whole_len, frag->next);
}

/* c starts at the IPv6 payload (or a reassembled fragmentable part). */
static PtlDecodeResult
decode_ipv6_payload(DecodeCtx *ctx, PtlCursor *c, guint32 wire, guint8 next)
{
    DecodeIp6Frag frag = { 0 };
    guint n_ext = 0;

    for (;;) {
        PtlSkipReason reason = decode_ipv6_walk(c, wire, &next, &frag, &n_ext);
        if (reason != PTL_SKIP_NONE)
            return decode_skip(ctx, reason);
        if (next != DECODE_IP6_FRAGMENT)
            return decode_transport(ctx, next, c, wire - (guint32) c->pos);
        if (frag.offset != 0 || frag.has_more)
            return decode_ipv6_fragment(ctx, c, wire, &frag);
        next = frag.next;                      /* atomic fragment (RFC 6946): stands alone */
    }
}

static PtlDecodeResult
decode_ipv6(DecodeCtx *ctx, PtlCursor *c)
{
    PtlDecoded *out = ctx->out;
    ptl_cursor_skip(c, 4);                     /* version, class, flow label */
    guint16 payload_len = ptl_cursor_be16(c);
    guint8 next = ptl_cursor_u8(c);
    out->ttl = ptl_cursor_u8(c);
    const guint8 *src = ptl_cursor_take(c, 16);
    const guint8 *dst = ptl_cursor_take(c, 16);
    if (!ptl_cursor_ok(c))
        return decode_skip(ctx, PTL_SKIP_IP_TRUNCATED);
    if (payload_len == 0)
        return decode_skip(ctx, PTL_SKIP_IP_MALFORMED);  /* jumbogram: not followed */

    decode_set_addr(&out->tuple.src, 6, src);
    decode_set_addr(&out->tuple.dst, 6, dst);
    out->ip_proto = next;
    out->ip_len = 40u + payload_len;
    PtlCursor body = ptl_cursor_sub(c, MIN((gsize) payload_len, ptl_cursor_remaining(c)));
    return decode_ipv6_payload(ctx, &body, payload_len, next);
}

/* family 0: whatever the version nibble says */
static PtlDecodeResult
decode_ip(DecodeCtx *ctx, PtlCursor *c, guint family)
{
    const guint8 *first = ptl_cursor_peek(c, 1);
    if (first == NULL)
        return decode_skip(ctx, PTL_SKIP_IP_TRUNCATED);
    guint version = first[0] >> 4;
    if (family != 0 && version != family)
        return decode_skip(ctx, PTL_SKIP_IP_MALFORMED);
    if (version == 4)
        return decode_ipv4(ctx, c);
    if (version == 6)
        return decode_ipv6(ctx, c);
    return decode_skip(ctx, PTL_SKIP_IP_MALFORMED);
}

/* ---- link --------------------------------------------------------------- */

static PtlDecodeResult decode_ethernet(DecodeCtx *ctx, PtlCursor *c);
static PtlDecodeResult decode_framing(DecodeCtx *ctx, PtlCursor *c,
                                      PtlDecapResult (*decap)(PtlCursor *, PtlDecap *));

static void
decode_add_vlan(DecodeCtx *ctx, guint16 tci)
{
    guint16 id = tci & 0x0fff;

    if (ctx->n_vlans++ == 0)
        ctx->out->vlan = id;
    else
        ctx->out->inner_vlan = id;
}

static PtlDecodeResult
decode_mpls(DecodeCtx *ctx, PtlCursor *c)
{
    gboolean is_bottom = FALSE;

    while (!is_bottom) {
        guint32 entry = ptl_cursor_be32(c);
        if (!ptl_cursor_ok(c))
            return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
        is_bottom = (entry & DECODE_MPLS_BOTTOM) != 0;
    }
    const guint8 *first = ptl_cursor_peek(c, 1);
    if (first == NULL)
        return decode_skip(ctx, PTL_SKIP_IP_TRUNCATED);  /* the label stack was whole */
    switch (first[0] >> 4) {
    case 4:
        return decode_ip(ctx, c, 4);
    case 6:
        return decode_ip(ctx, c, 6);
    case 0:
        ptl_cursor_skip(c, 4);                 /* pseudowire control word, Ethernet follows */
        return decode_ethernet(ctx, c);
    default:
        return decode_skip(ctx, PTL_SKIP_NOT_IP);
    }
}

/* What a tunnel or framing header said follows. */
static PtlDecodeResult
decode_inner(DecodeCtx *ctx, PtlCursor *c, PtlDecapInner inner)
{
    switch (inner) {
    case PTL_DECAP_ETHERNET:
        return decode_ethernet(ctx, c);
    case PTL_DECAP_IP:
        return decode_ip(ctx, c, 0);
    case PTL_DECAP_IPV4:
        return decode_ip(ctx, c, 4);
    case PTL_DECAP_IPV6:
        return decode_ip(ctx, c, 6);
    case PTL_DECAP_MPLS:
        return decode_mpls(ctx, c);
    case PTL_DECAP_PPP: {
        PtlDecap ppp = { 0 };
        if (ptl_decap_ppp(c, &ppp) != PTL_DECAP_OK)
            return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
        return ppp.inner == PTL_DECAP_PPP ? decode_skip(ctx, PTL_SKIP_NOT_IP)
                                          : decode_inner(ctx, c, ppp.inner);
    }
    case PTL_DECAP_NOT_DATA:
    default:
        return decode_skip(ctx, PTL_SKIP_NOT_IP);
    }
}

/* A framing header that did not decode: cut short, or not one we can read. */
static PtlDecodeResult
decode_framing_skip(DecodeCtx *ctx, PtlDecapResult result)
{
    return decode_skip(ctx, result == PTL_DECAP_TRUNCATED ? PTL_SKIP_LINK_TRUNCATED
                                                          : PTL_SKIP_NOT_IP);
}

/* A link framing (PPPoE, PBB, Cisco HDLC, PPP, 802.11): no tunnel context of its own. */
static PtlDecodeResult
decode_framing(DecodeCtx *ctx, PtlCursor *c, PtlDecapResult (*decap)(PtlCursor *, PtlDecap *))
{
    PtlDecap framing = { 0 };
    PtlDecapResult result = decap(c, &framing);
    return result == PTL_DECAP_OK ? decode_inner(ctx, c, framing.inner)
                                  : decode_framing_skip(ctx, result);
}

static PtlDecapResult
decode_tunnel_header(PtlTunnelType *type, PtlCursor *c, PtlDecap *decap)
{
    switch (*type) {
    case PTL_TUNNEL_VXLAN:
        return ptl_decap_vxlan(c, decap);
    case PTL_TUNNEL_GENEVE:
        return ptl_decap_geneve(c, decap);
    case PTL_TUNNEL_GRE:
        return ptl_decap_gre(c, decap, type);
    case PTL_TUNNEL_GTPU:
        return ptl_decap_gtpu(c, decap);
    case PTL_TUNNEL_TEREDO:
        return ptl_decap_teredo(c, decap);
    case PTL_TUNNEL_AYIYA:
        return ptl_decap_ayiya(c, decap);
    case PTL_TUNNEL_MPLS_UDP:
        decap->inner = PTL_DECAP_MPLS;
        return PTL_DECAP_OK;
    case PTL_TUNNEL_IPIP:
    default:
        decap->inner = PTL_DECAP_IP;           /* protocol 4 or 41: the IP header follows */
        return PTL_DECAP_OK;
    }
}

/* c is at the tunnel header; out->tuple still holds the outer endpoints.  The
 * depth is checked before anything is read, so a nested bomb stops here. */
static PtlDecodeResult
decode_tunnel(DecodeCtx *ctx, PtlTunnelType type, PtlCursor *c)
{
    PtlDecoded *out = ctx->out;
    if (ctx->n_tunnels >= PTL_TUNNEL_MAX_DEPTH)
        return decode_skip(ctx, PTL_SKIP_TUNNEL_TOO_DEEP);
    PtlDecap decap = { 0 };
    PtlDecapResult header = decode_tunnel_header(&type, c, &decap);
    if (header != PTL_DECAP_OK)
        return decode_skip(ctx, header == PTL_DECAP_TRUNCATED ? PTL_SKIP_TUNNEL_TRUNCATED
                                                              : PTL_SKIP_TUNNEL_MALFORMED);
    PtlTunnel *tunnel = ptl_tunnel_table_intern(ctx->dec->tunnels, out->tunnel, (guint8) type,
                                                decap.has_id, decap.id, &out->tuple.src,
                                                &out->tuple.dst);
    if (tunnel == NULL)
        return decode_skip(ctx, PTL_SKIP_TUNNEL_LIMIT);
    if (tunnel->packets++ == 0)
        tunnel->first_ts_ns = ctx->pkt->ts_ns;
    tunnel->bytes += ctx->pkt->wirelen;
    tunnel->first_ts_ns = MIN(tunnel->first_ts_ns, ctx->pkt->ts_ns);
    tunnel->last_ts_ns = MAX(tunnel->last_ts_ns, ctx->pkt->ts_ns);
    ctx->n_tunnels++;
    out->tunnel = tunnel;
    /* what the inner packet says from here on is its own */
    out->payload = NULL;
    out->payload_len = out->payload_wire_len = 0;
    out->tuple.sport = out->tuple.dport = 0;
    gsize cut = ctx->pkt->wirelen > ctx->pkt->caplen ? ctx->pkt->wirelen - ctx->pkt->caplen : 0;
    out->inner_wirelen = (guint32) MIN(ptl_cursor_remaining(c) + cut, (gsize) G_MAXUINT32);
    return decode_inner(ctx, c, decap.inner);
}

static gboolean
decode_is_vlan_type(guint16 type)
{
    return type == DECODE_ETH_VLAN || type == DECODE_ETH_QINQ || type == DECODE_ETH_QINQ_OLD;
}

static PtlDecodeResult
decode_ethertype(DecodeCtx *ctx, PtlCursor *c, guint16 type)
{
    while (decode_is_vlan_type(type)) {
        guint16 tci = ptl_cursor_be16(c);
        type = ptl_cursor_be16(c);
        if (!ptl_cursor_ok(c))
            return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
        decode_add_vlan(ctx, tci);
    }
    switch (type) {
    case DECODE_ETH_IPV4:
        return decode_ip(ctx, c, 4);
    case DECODE_ETH_IPV6:
        return decode_ip(ctx, c, 6);
    case DECODE_ETH_MPLS:
    case DECODE_ETH_MPLS_MC:
        return decode_mpls(ctx, c);
    case DECODE_ETH_PPPOE:
        return decode_framing(ctx, c, ptl_decap_pppoe);
    case DECODE_ETH_PBB:
        return decode_framing(ctx, c, ptl_decap_pbb);
    default:
        return decode_skip(ctx, PTL_SKIP_NOT_IP);  /* ARP, LLDP, 802.3 length + LLC ... */
    }
}

static PtlDecodeResult
decode_ethernet(DecodeCtx *ctx, PtlCursor *c)
{
    if (++ctx->n_ethernet > DECODE_MAX_ETHERNET)
        return decode_skip(ctx, PTL_SKIP_NOT_IP);
    ptl_cursor_skip(c, 12);                    /* destination, source */
    guint16 type = ptl_cursor_be16(c);
    if (!ptl_cursor_ok(c))
        return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
    return decode_ethertype(ctx, c, type);
}

static PtlDecodeResult
decode_sll_protocol(DecodeCtx *ctx, PtlCursor *c, guint16 hatype, guint16 protocol)
{
    if (!ptl_cursor_ok(c))
        return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
    /* netlink carries families, small values are 802.3 / 802.2 frames */
    if (hatype == DECODE_ARPHRD_NETLINK || protocol < DECODE_ETH_MIN_TYPE)
        return decode_skip(ctx, PTL_SKIP_NOT_IP);
    return decode_ethertype(ctx, c, protocol);
}

static PtlDecodeResult
decode_sll(DecodeCtx *ctx, PtlCursor *c)
{
    ptl_cursor_skip(c, 2);                     /* packet type */
    guint16 hatype = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 10);                    /* address length, address */
    guint16 protocol = ptl_cursor_be16(c);
    return decode_sll_protocol(ctx, c, hatype, protocol);
}

static PtlDecodeResult
decode_sll2(DecodeCtx *ctx, PtlCursor *c)
{
    guint16 protocol = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 6);                     /* reserved, interface index */
    guint16 hatype = ptl_cursor_be16(c);
    ptl_cursor_skip(c, 10);                    /* packet type, address length, address */
    return decode_sll_protocol(ctx, c, hatype, protocol);
}

static guint
decode_null_family(guint32 af)
{
    if (af == DECODE_AF_INET)
        return 4;
    /* AF_INET6 differs by OS: NetBSD/OpenBSD 24, FreeBSD 28, macOS 30 */
    if (af == 24 || af == 28 || af == 30)
        return 6;
    return 0;
}

/* DLT_NULL is in the capturing host's order, DLT_LOOP in network order. */
static PtlDecodeResult
decode_null(DecodeCtx *ctx, PtlCursor *c, gboolean is_network_order)
{
    PtlCursor be_view = *c;
    guint32 af_be = ptl_cursor_be32(&be_view);
    guint32 af_le = ptl_cursor_le32(c);
    if (!ptl_cursor_ok(c))
        return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
    guint family = decode_null_family(af_be);
    if (family == 0 && !is_network_order)
        family = decode_null_family(af_le);
    if (family == 0)
        return decode_skip(ctx, PTL_SKIP_NOT_IP);
    return decode_ip(ctx, c, family);
}

/* NFLOG: a family byte, then TLVs (host order lengths, padded to 4); the
 * payload attribute holds the IP packet. */
static PtlDecodeResult
decode_nflog(DecodeCtx *ctx, PtlCursor *c)
{
    guint8 af = ptl_cursor_u8(c);
    ptl_cursor_skip(c, 3);                     /* version, resource id */
    if (!ptl_cursor_ok(c))
        return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
    guint family = af == DECODE_AF_INET ? 4 : af == DECODE_AF_INET6_LINUX ? 6 : 0;
    if (family == 0)
        return decode_skip(ctx, PTL_SKIP_NOT_IP);

    while (ptl_cursor_remaining(c) > 0) {
        guint16 tlv_len = ptl_cursor_le16(c);
        guint16 type = ptl_cursor_le16(c) & DECODE_NFLOG_TYPE_MASK;
        if (!ptl_cursor_ok(c) || tlv_len < 4)
            return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
        if (type == DECODE_NFLOG_PAYLOAD) {
            PtlCursor ip = ptl_cursor_sub(c, MIN((gsize) tlv_len - 4, ptl_cursor_remaining(c)));
            return decode_ip(ctx, &ip, family);
        }
        gsize padded = ((gsize) tlv_len + 3) & ~(gsize) 3;
        if (!ptl_cursor_skip(c, padded - 4))
            return decode_skip(ctx, PTL_SKIP_LINK_TRUNCATED);
    }
    /* no payload attribute: cut before it, or a message without one */
    gboolean is_cut = ctx->pkt->caplen < ctx->pkt->wirelen;
    return decode_skip(ctx, is_cut ? PTL_SKIP_LINK_TRUNCATED : PTL_SKIP_NOT_IP);
}

static PtlDecodeResult
decode_radiotap(DecodeCtx *ctx, PtlCursor *c)
{
    PtlDecapResult result = ptl_decap_radiotap(c);
    return result == PTL_DECAP_OK ? decode_framing(ctx, c, ptl_decap_wifi)
                                  : decode_framing_skip(ctx, result);
}

static PtlDecodeResult
decode_link(DecodeCtx *ctx, PtlCursor *c)
{
    switch (ctx->pkt->linktype) {
    case DLT_EN10MB:
        return decode_ethernet(ctx, c);
    case DLT_LINUX_SLL:
        return decode_sll(ctx, c);
    case DLT_LINUX_SLL2:
        return decode_sll2(ctx, c);
    case DLT_RAW:
    case DECODE_LINKTYPE_RAW:
        return decode_ip(ctx, c, 0);
    case DLT_IPV4:
        return decode_ip(ctx, c, 4);
    case DLT_IPV6:
        return decode_ip(ctx, c, 6);
    case DLT_NULL:
        return decode_null(ctx, c, FALSE);
    case DLT_LOOP:
        return decode_null(ctx, c, TRUE);
    case DLT_NFLOG:
        return decode_nflog(ctx, c);
    case DLT_C_HDLC:
        return decode_framing(ctx, c, ptl_decap_chdlc);
    case DLT_PPP:
        return decode_framing(ctx, c, ptl_decap_ppp);
    case DLT_PPP_ETHER:
        return decode_framing(ctx, c, ptl_decap_pppoe);
    case DLT_IEEE802_11:
        return decode_framing(ctx, c, ptl_decap_wifi);
    case DLT_IEEE802_11_RADIO:
        return decode_radiotap(ctx, c);
    default:
        decode_note_linktype(ctx->dec, ctx->pkt->linktype);
        return decode_skip(ctx, PTL_SKIP_LINKTYPE);
    }
}

PtlDecodeResult
ptl_decode_packet(PtlDecoder *dec, const PtlPacket *pkt, PtlDecoded *out)
{
    g_return_val_if_fail(dec != NULL && pkt != NULL && out != NULL, PTL_DECODE_SKIPPED);

    memset(out, 0, sizeof *out);
    ptl_frag_expire(dec->frag, pkt->ts_ns);
    DecodeCtx ctx = { dec, pkt, out, 0, 0, 0 };
    PtlCursor c = ptl_cursor_init(pkt->data, pkt->caplen);
    PtlDecodeResult result = decode_link(&ctx, &c);

    dec->skips[PTL_SKIP_FRAGMENT_DROPPED] += ptl_frag_take_dropped(dec->frag);
    if (result == PTL_DECODE_SKIPPED)
        dec->skips[out->skip]++;
    return result;
}
