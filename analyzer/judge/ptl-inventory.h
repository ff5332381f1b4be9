/* ptl-inventory.h: who is who in the capture.
 *
 * Roles (node, admin, client) from --nodes/--admins/--clients or an inventory
 * file, which may also name the product(s), parameters and named external hosts.
 * Inventory format (one per line, '#' comments):
 *     product  sisense
 *     nodes    10.20.0.11-10.20.0.13, 10.20.1.0/24
 *     admins   10.30.0.5
 *     clients  192.168.0.0/16
 *     set      wso2-das.offset=1
 *     host     listener.logz.io = 203.0.113.50
 * Errors say "file:line: what is wrong"; the format is described in docs/inventory.md. */
#pragma once

#include <glib.h>

#include "ptl-decode.h"
#include "ptl-rules.h"

#define PTL_INVENTORY_ERROR (ptl_inventory_error_quark())
GQuark ptl_inventory_error_quark(void);

typedef enum {
    PTL_INVENTORY_ERROR_IO,
    PTL_INVENTORY_ERROR_SYNTAX,
    PTL_INVENTORY_ERROR_ADDRESS,
} PtlInventoryError;

typedef struct _PtlInventory PtlInventory;

PtlInventory *ptl_inventory_new(void);
void          ptl_inventory_free(PtlInventory *inv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlInventory, ptl_inventory_free)

/* One file per inventory: a second one is refused. */
gboolean ptl_inventory_load_file(PtlInventory *inv, const char *path, GError **error);
/* Checks what only the rules can tell, each error with the file:line of its entry:
 * product names are resolved (a name differing in case becomes the rules' own, and a
 * line saying so goes to notes, may be NULL), parameters are set on rules, and every
 * named host must be one that some rule names.  notes also gets what the address lists
 * took other than written (a CIDR block with host bits set). */
gboolean ptl_inventory_apply(PtlInventory *inv, PtlRuleSet *rules, GPtrArray *notes,
                             GError **error);
/* "10.0.0.1, 10.0.0.0/24, 10.0.0.5-10.0.0.9, fe80::/64" */
gboolean ptl_inventory_add_hosts(PtlInventory *inv, PtlRole role, const char *list,
                                 GError **error);
void     ptl_inventory_add_product(PtlInventory *inv, const char *product);

/* The declared role of addr (0 when the inventory does not say). */
guint32  ptl_inventory_role(const PtlInventory *inv, const PtlAddr *addr);
/* TRUE when some address is declared with one of roles (a PtlRole mask) */
gboolean ptl_inventory_declares(const PtlInventory *inv, guint32 roles);
/* transfer none */
const GPtrArray *ptl_inventory_products(const PtlInventory *inv);  /* of char* */
const GPtrArray *ptl_inventory_params(const PtlInventory *inv);    /* "product.name=value" */
/* TRUE when addr is the network (first) or broadcast (last, *is_broadcast) address of
 * an IPv4 subnet the inventory declares as a prefix of at most 30 bits */
gboolean ptl_inventory_subnet_edge(const PtlInventory *inv, const PtlAddr *addr,
                                   gboolean *is_broadcast);
/* the address a named host stands for, or NULL; transfer none */
const PtlAddr   *ptl_inventory_named_host(const PtlInventory *inv, const char *name);
