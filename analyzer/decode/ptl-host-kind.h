/* ptl-host-kind.h: which addresses in a capture are hosts.
 *
 * A broadcast, multicast, network or unspecified address receives (or, for
 * 0.0.0.0, sends) traffic but is no machine: it must not be listed as a client
 * or inferred to be a node.  The address alone says so for 255.255.255.255,
 * 224.0.0.0/4, ff00::/8, 0.0.0.0 and ::; a subnet's own broadcast and network
 * addresses are known from the inventory's subnets (10.20.1.0/24 declares
 * 10.20.1.255 and 10.20.1.0) or inferred: an address that never sent a packet
 * and is the all-ones (all-zeros) address of the /24, /16 or /8 of a host that
 * did (NetBIOS broadcasts to 10.77.255.255 from 10.77.1.5). */
#pragma once

#include <glib.h>

#include "ptl-decode.h"
#include "ptl-inventory.h"

typedef enum {
    PTL_HOST_KIND_HOST,
    PTL_HOST_KIND_BROADCAST,      /* limited or subnet-directed */
    PTL_HOST_KIND_MULTICAST,
    PTL_HOST_KIND_NETWORK,        /* a subnet's own address (host part zero) */
    PTL_HOST_KIND_UNSPECIFIED,    /* 0.0.0.0, :: */
    PTL_HOST_KIND_COUNT
} PtlHostKind;

/* "host", "broadcast", "multicast", "network", "unspecified" */
const char *ptl_host_kind_name(PtlHostKind kind);
/* what the address alone says: never NETWORK, subnet broadcasts are HOST */
PtlHostKind ptl_host_kind_of_addr(const PtlAddr *addr);

typedef struct _PtlHostKinds PtlHostKinds;

/* inv: transfer none, may be NULL, must outlive the result */
PtlHostKinds *ptl_host_kinds_new(const PtlInventory *inv);
void          ptl_host_kinds_free(PtlHostKinds *kinds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlHostKinds, ptl_host_kinds_free)

/* addr sent at least one packet in the capture */
void        ptl_host_kinds_add_sender(PtlHostKinds *kinds, const PtlAddr *addr);
/* after every sender was added */
PtlHostKind ptl_host_kinds_classify(const PtlHostKinds *kinds, const PtlAddr *addr);
