/* ptl-tunnel.h: the tunnels a capture's packets came through, interned.
 *
 * A tunnel is named by what separates tenants: the one it runs in, its type,
 * its outer endpoints (either order) and its id (VNI, key, session, TEID).
 * Inner flows are keyed with it, so identical inner addresses in two tunnels
 * stay two flows.  Entries live as long as the table; the table is capped. */
#pragma once

#include <glib.h>

#include "ptl-decode.h"

#define PTL_TUNNEL_MAX 65536u

typedef struct _PtlTunnelTable PtlTunnelTable;

PtlTunnelTable  *ptl_tunnel_table_new(void);           /* transfer full */
void             ptl_tunnel_table_free(PtlTunnelTable *table);

/* The tunnel of these outer endpoints inside parent (NULL: outermost), made on
 * first sight (src, dst: as first seen); NULL when the table is full.
 * transfer none: valid until the table is freed. */
PtlTunnel       *ptl_tunnel_table_intern(PtlTunnelTable *table, const PtlTunnel *parent,
                                         guint8 type, gboolean has_key, guint32 key,
                                         const PtlAddr *src, const PtlAddr *dst);

/* PtlTunnel*, in order of first sight; transfer none */
const GPtrArray *ptl_tunnel_table_list(const PtlTunnelTable *table);
