/* fuzz-inventory.c: the inventory parser (`--inventory FILE`).  After a file is
 * accepted, its products, parameters and named hosts are read back and the role of
 * a named host and of a few fixed addresses is looked up. */
#include "ptl-inventory.h"

#include "fuzz-common.h"

#include <string.h>

static const char *const inventory_probe_addrs[] = {
    "10.20.0.11", "192.168.10.7", "0.0.0.0", "255.255.255.255", "fd00:20::1", "::", "::ffff:10.0.0.1",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init_glib();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(PtlInventory) inv = ptl_inventory_new();
    g_autoptr(GError) error = NULL;
    gboolean is_loaded = ptl_inventory_load_file(inv, fuzz_input_path(data, size), &error);
    FUZZ_CHECK(is_loaded == (error == NULL), "loaded %d with error %s", is_loaded,
               error != NULL ? error->message : "(none)");
    if (!is_loaded) {
        FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL), "error message not UTF-8");
        return 0;
    }
    for (guint i = 0; i < G_N_ELEMENTS(inventory_probe_addrs); i++) {
        PtlAddr addr;
        if (ptl_addr_parse(inventory_probe_addrs[i], &addr))
            (void) ptl_inventory_role(inv, &addr);
    }
    const GPtrArray *products = ptl_inventory_products(inv);
    for (guint i = 0; i < products->len; i++)
        FUZZ_CHECK(g_ptr_array_index(products, i) != NULL, "NULL product");
    const GPtrArray *params = ptl_inventory_params(inv);
    for (guint i = 0; i < params->len; i++) {
        const char *param = g_ptr_array_index(params, i);
        FUZZ_CHECK(strchr(param, '=') != NULL, "parameter '%s' has no '='", param);
    }
    const PtlAddr *host = ptl_inventory_named_host(inv, "listener.logz.io");
    if (host != NULL)
        (void) ptl_inventory_role(inv, host);
    (void) ptl_inventory_declares(inv, PTL_ROLE_ANY);
    return 0;
}
