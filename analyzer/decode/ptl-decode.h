/* ptl-decode.h: link, IP and transport headers of one packet.
 *
 * Link types: Ethernet (any depth of 802.1Q/802.1ad, MPLS), Linux SLL/SLL2,
 * raw IPv4/IPv6, BSD NULL/LOOP, NFLOG.  IPv4 and IPv6 (extension headers), with
 * fragment reassembly under memory and time caps; ICMP/ICMPv6 destination
 * unreachable messages yield the tuple they quote.  Tunnels (ptl-decap.h) are
 * opened up to PTL_TUNNEL_MAX_DEPTH deep: the packet is then the innermost one
 * and names the tunnel it came through.  Link types add Cisco HDLC, PPP,
 * PPPoE, 802.11 and radiotap (data frames).
 * No allocation per packet except while fragments are held and for a tunnel
 * seen for the first time. */
#pragma once

#include <glib.h>

#include "ptl-capture.h"

/* Why a packet gave no transport flow; every skip is counted under one. */
typedef enum {
    PTL_SKIP_NONE = 0,
    PTL_SKIP_LINKTYPE,        /* link type not supported */
    PTL_SKIP_LINK_TRUNCATED,  /* link header cut short */
    PTL_SKIP_NOT_IP,          /* ARP, LLDP, STP ...: no IP inside */
    PTL_SKIP_IP_TRUNCATED,    /* IP header cut short (caplen) */
    PTL_SKIP_IP_MALFORMED,    /* bad version, header length, total length */
    PTL_SKIP_L4_TRUNCATED,    /* TCP/UDP/ICMP header cut short */
    PTL_SKIP_L4_MALFORMED,    /* TCP data offset < 5 ... */
    PTL_SKIP_OTHER_L4,        /* IGMP, GRE, ESP, OSPF ...: not followed */
    PTL_SKIP_FRAGMENT_DROPPED,/* a fragment dropped: caps, overlap conflict, timeout */
    PTL_SKIP_ICMP_OTHER,      /* ICMP that is not about a flow (echo, router adv.) */
    PTL_SKIP_TUNNEL_TRUNCATED,/* tunnel header cut short */
    PTL_SKIP_TUNNEL_MALFORMED,/* tunnel header its own fields contradict */
    PTL_SKIP_TUNNEL_TOO_DEEP, /* more than PTL_TUNNEL_MAX_DEPTH tunnels nested */
    PTL_SKIP_TUNNEL_LIMIT,    /* PTL_TUNNEL_MAX distinct tunnels already seen */
    PTL_SKIP_COUNT
} PtlSkipReason;

/* JSON key for a reason: "link_truncated" */
const char *ptl_skip_reason_name(PtlSkipReason reason);

typedef enum {
    PTL_DECODE_OK,        /* *out describes a TCP, UDP or ICMP-error packet */
    PTL_DECODE_SKIPPED,   /* out->skip says why */
    PTL_DECODE_HELD,      /* a fragment kept for reassembly: not a skip, not yet a packet */
} PtlDecodeResult;

typedef struct {
    guint8 family;        /* 4 or 6 */
    guint8 bytes[16];     /* IPv4 in the first 4 */
} PtlAddr;

/* "10.0.0.1", "fe80::1"; buf at least PTL_ADDR_STRLEN */
#define PTL_ADDR_STRLEN 48
const char *ptl_addr_to_string(const PtlAddr *addr, char *buf);
gboolean    ptl_addr_equal(const PtlAddr *a, const PtlAddr *b);
/* parse "10.0.0.1" or "::1" */
gboolean    ptl_addr_parse(const char *text, PtlAddr *out);
/* for GHashTable keys of PtlAddr* */
guint       ptl_addr_hash(gconstpointer key);
gboolean    ptl_addr_key_equal(gconstpointer a, gconstpointer b);
/* a total order: IPv4 before IPv6, then bytes */
int         ptl_addr_compare(const PtlAddr *a, const PtlAddr *b);

typedef struct {
    PtlAddr  src, dst;
    guint8   proto;       /* 6 or 17 */
    guint16  sport, dport;
} PtlTuple;

#define PTL_TUNNEL_MAX_DEPTH 4u

/* A tunnel context (ptl-tunnel.h): plain data, copied into flow records. */
typedef struct {
    guint32  id;              /* 1, 2 ... in order of first sight */
    guint32  parent_id;       /* the tunnel this one runs in; 0: outermost */
    guint8   type;            /* PtlTunnelType (ptl-decap.h) */
    guint8   depth;           /* 1: outermost */
    gboolean has_key;
    guint32  key;             /* VNI, GRE key, ERSPAN session, GTP TEID */
    PtlAddr  outer_src, outer_dst; /* as first seen */
    guint64  packets, bytes;  /* packets through it (wire bytes of the outer frame) */
    gint64   first_ts_ns, last_ts_ns;
} PtlTunnel;

typedef struct {
    PtlSkipReason skip;
    const PtlTunnel *tunnel;      /* innermost tunnel the packet came through, NULL none;
                                     transfer none: lives as long as the decoder */
    guint32       inner_wirelen;  /* tunnelled: the innermost frame's wire length (what a
                                     capture inside the tunnel would count) */
    PtlTuple      tuple;          /* for ICMP errors: the tuple of the ICMP packet itself */
    guint16       vlan;           /* outermost 802.1Q/ad id, 0 if none */
    guint16       inner_vlan;     /* innermost when more than one tag, else 0 */
    guint8        ip_proto;       /* 6, 17, 1, 58 */
    guint8        ttl;
    /* TCP */
    guint8        tcp_flags;      /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE CWR */
    guint32       seq, ack;
    guint32       window;         /* raw, unscaled */
    /* payload: bytes present after the transport header */
    const guint8 *payload;        /* transfer none: valid until the next decode */
    guint32       payload_len;    /* present (caplen-limited) */
    guint32       payload_wire_len; /* claimed by the IP/UDP length: > payload_len when cut */
    guint32       ip_len;         /* IP datagram length on the wire (reassembled when fragmented) */
    gboolean      is_fragmented;  /* came out of fragment reassembly */
    /* ICMP / ICMPv6 destination unreachable (and time exceeded): the quoted flow */
    gboolean      is_icmp_error;
    guint8        icmp_type, icmp_code;
    PtlTuple      quoted;         /* src = original sender */
} PtlDecoded;

#define PTL_DECODER_MAX_VXLAN_PORTS 8u

typedef struct {
    gsize  frag_max_bytes;        /* all held fragments together; default 16 MiB */
    guint  frag_max_datagrams;    /* datagrams under reassembly; default 4096 */
    gint64 frag_timeout_ns;       /* default 30 s of capture time */
    guint16 vxlan_ports[PTL_DECODER_MAX_VXLAN_PORTS]; /* besides 4789 and 8472; 0: unused */
} PtlDecoderConfig;

typedef struct _PtlDecoder PtlDecoder;

/* cfg NULL: defaults.  transfer full */
PtlDecoder     *ptl_decoder_new(const PtlDecoderConfig *cfg);
void            ptl_decoder_free(PtlDecoder *dec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlDecoder, ptl_decoder_free)

PtlDecodeResult ptl_decode_packet(PtlDecoder *dec, const PtlPacket *pkt, PtlDecoded *out);

/* skipped-packet counters by reason, including fragments dropped by timeout */
const guint64  *ptl_decoder_skip_counts(const PtlDecoder *dec);
/* fragments still held at end of input count as dropped */
void            ptl_decoder_finish(PtlDecoder *dec);
/* PtlTunnel*, in order of first sight; transfer none */
const GPtrArray *ptl_decoder_tunnels(const PtlDecoder *dec);
/* linktypes seen that are not supported (DLT numbers), for the one-line error */
GArray         *ptl_decoder_unsupported_linktypes(const PtlDecoder *dec); /* transfer none, of int */
