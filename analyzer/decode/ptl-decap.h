/* ptl-decap.h: tunnel and framing headers, one family per file.
 *
 * Each decoder reads one encapsulation header through the cursor, leaves the
 * cursor at what it carries and says what that is; ptl-decode.c chains them.
 * They keep no state and allocate nothing. */
#pragma once

#include <glib.h>

#include "ptl-cursor.h"

typedef enum {
    PTL_TUNNEL_NONE = 0,
    PTL_TUNNEL_VXLAN,
    PTL_TUNNEL_GENEVE,
    PTL_TUNNEL_GRE,
    PTL_TUNNEL_ERSPAN,
    PTL_TUNNEL_IPIP,        /* IPv4 or IPv6 in IPv4 or IPv6 (protocols 4 and 41) */
    PTL_TUNNEL_GTPU,
    PTL_TUNNEL_TEREDO,
    PTL_TUNNEL_AYIYA,
    PTL_TUNNEL_MPLS_UDP,
    PTL_TUNNEL_TYPE_COUNT
} PtlTunnelType;

/* "vxlan", "geneve", "gre", "erspan", "ip-in-ip", "gtp-u", "teredo", "ayiya", "mpls-udp" */
const char *ptl_tunnel_type_name(PtlTunnelType type);

/* What follows the header just read. */
typedef enum {
    PTL_DECAP_ETHERNET,
    PTL_DECAP_IP,           /* IPv4 or IPv6 by the version nibble */
    PTL_DECAP_IPV4,
    PTL_DECAP_IPV6,
    PTL_DECAP_MPLS,
    PTL_DECAP_PPP,          /* a PPP protocol field */
    PTL_DECAP_NOT_DATA,     /* keep-alive, echo, bubble, control: no inner packet */
} PtlDecapInner;

typedef enum {
    PTL_DECAP_OK,
    PTL_DECAP_TRUNCATED,    /* header cut by the capture */
    PTL_DECAP_MALFORMED,    /* header that its own fields contradict */
} PtlDecapResult;

typedef struct {
    PtlDecapInner inner;
    gboolean      has_id;
    guint32       id;       /* VNI, GRE key, ERSPAN session, TEID */
} PtlDecap;

/* UDP payloads */
PtlDecapResult ptl_decap_vxlan(PtlCursor *c, PtlDecap *out);   /* RFC 7348 */
PtlDecapResult ptl_decap_geneve(PtlCursor *c, PtlDecap *out);  /* RFC 8926 */
PtlDecapResult ptl_decap_gtpu(PtlCursor *c, PtlDecap *out);    /* 3GPP TS 29.281 */
PtlDecapResult ptl_decap_teredo(PtlCursor *c, PtlDecap *out);  /* RFC 4380 */
PtlDecapResult ptl_decap_ayiya(PtlCursor *c, PtlDecap *out);   /* draft-massar-v6ops-ayiya */
/* IP protocol 47: GRE (RFC 2784/2890) and ERSPAN I, II, III; *type says which */
PtlDecapResult ptl_decap_gre(PtlCursor *c, PtlDecap *out, PtlTunnelType *type);
/* PPP framing: the protocol field (optionally after FF 03), then the payload */
PtlDecapResult ptl_decap_ppp(PtlCursor *c, PtlDecap *out);
/* PPPoE session stage (RFC 2516), after ethertype 0x8864 */
PtlDecapResult ptl_decap_pppoe(PtlCursor *c, PtlDecap *out);
/* Cisco HDLC (DLT 104): address, control, ethertype */
PtlDecapResult ptl_decap_chdlc(PtlCursor *c, PtlDecap *out);
/* 802.1ah I-TAG after ethertype 0x88e7: the customer frame follows */
PtlDecapResult ptl_decap_pbb(PtlCursor *c, PtlDecap *out);

/* 802.11 data frame with LLC/SNAP (DLT 105); management, control, protected: NOT_DATA */
PtlDecapResult ptl_decap_wifi(PtlCursor *c, PtlDecap *out);
/* radiotap (DLT 127): skips the header; the 802.11 frame follows */
PtlDecapResult ptl_decap_radiotap(PtlCursor *c);

/* An ethertype as an inner kind; FALSE: not one we follow */
gboolean ptl_decap_from_ethertype(guint16 type, PtlDecapInner *inner);
