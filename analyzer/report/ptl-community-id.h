/* ptl-community-id.h: the Community ID v1 flow hash (corelight/community-id-spec), the
 * key that Zeek, Suricata, Arkime, Wireshark and Elastic share to pivot between tools. */
#pragma once

#include <glib.h>

#include "ptl-decode.h"

/* "1:" + base64 of 20 bytes + NUL */
#define PTL_COMMUNITY_ID_STRLEN 32

/* The v1 hash with seed 0 of one flow, in either direction (the endpoints are ordered
 * as the spec says).  has_ports FALSE: a protocol without ports, only addresses and
 * proto are hashed.  is_one_way (ICMP types without a counterpart): no reordering.
 * The two addresses must be of one family.  Returns out. */
const char *ptl_community_id(const PtlAddr *src, const PtlAddr *dst, guint8 proto,
                             gboolean has_ports, guint16 src_port, guint16 dst_port,
                             gboolean is_one_way, char out[PTL_COMMUNITY_ID_STRLEN]);

/* ICMP (proto 1) or ICMPv6 (58) type and code as the spec's port pair: the type and
 * its counterpart type (echo request and reply ...), or the code and one-way. */
void ptl_community_id_icmp_ports(guint8 proto, guint8 type, guint8 code, guint16 *src_port,
                                 guint16 *dst_port, gboolean *is_one_way);

/* TCP or UDP flow from client to server. */
const char *ptl_community_id_flow(const PtlAddr *client, guint16 client_port,
                                  const PtlAddr *server, guint16 server_port, guint8 proto,
                                  char out[PTL_COMMUNITY_ID_STRLEN]);
