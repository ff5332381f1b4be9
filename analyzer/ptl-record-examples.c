/* ptl-record-examples.c: example records per flow (see the header). */
#include "ptl-record-examples.h"

struct _PtlRecordExamples {
    GHashTable *by_flow;   /* guint64 * -> GPtrArray of JsonNode * */
    guint       held;
    guint64     dropped;
};

PtlRecordExamples *
ptl_record_examples_new(void)
{
    PtlRecordExamples *store = g_new0(PtlRecordExamples, 1);
    store->by_flow = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                           (GDestroyNotify) g_ptr_array_unref);
    return store;
}

void
ptl_record_examples_free(PtlRecordExamples *store)
{
    if (store == NULL)
        return;
    g_hash_table_destroy(store->by_flow);
    g_free(store);
}

void
ptl_record_examples_offer(PtlRecordExamples *store, guint64 flow_id, JsonNode *record)
{
    GPtrArray *list = g_hash_table_lookup(store->by_flow, &flow_id);
    if (list != NULL && list->len >= PTL_RECORD_EXAMPLES_PER_FLOW)
        return;
    if (store->held >= PTL_RECORD_EXAMPLES_MAX) {
        store->dropped++;
        return;
    }
    if (list == NULL) {
        list = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
        g_hash_table_insert(store->by_flow, g_memdup2(&flow_id, sizeof flow_id), list);
    }
    g_ptr_array_add(list, json_node_ref(record));
    store->held++;
}

void
ptl_record_examples_forget(PtlRecordExamples *store, guint64 flow_id)
{
    GPtrArray *list = g_hash_table_lookup(store->by_flow, &flow_id);
    if (list == NULL)
        return;
    store->held -= list->len;
    g_hash_table_remove(store->by_flow, &flow_id);
}

const GPtrArray *
ptl_record_examples_get(const PtlRecordExamples *store, guint64 flow_id)
{
    return store != NULL ? g_hash_table_lookup(store->by_flow, &flow_id) : NULL;
}

guint64
ptl_record_examples_dropped(const PtlRecordExamples *store)
{
    return store->dropped;
}
