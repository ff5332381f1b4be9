/* ptl-record-examples.h: a few dissector records per flow, kept for the flows a
 * finding names as its examples, so the JSON report shows what the finding rests
 * on (the request, the login) next to example_flows.  Bounded twice: per flow and
 * in total; what does not fit is counted. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define PTL_RECORD_EXAMPLES_PER_FLOW 3
#define PTL_RECORD_EXAMPLES_MAX      30000   /* records held at once, all flows */

typedef struct _PtlRecordExamples PtlRecordExamples;

PtlRecordExamples *ptl_record_examples_new(void);
void               ptl_record_examples_free(PtlRecordExamples *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtlRecordExamples, ptl_record_examples_free)

/* Keeps a reference to record when flow_id has fewer than PER_FLOW and the store has room. */
void ptl_record_examples_offer(PtlRecordExamples *store, guint64 flow_id, JsonNode *record);
/* The flow is not an example of anything: its records go. */
void ptl_record_examples_forget(PtlRecordExamples *store, guint64 flow_id);
/* transfer none: the records kept for flow_id (JsonNode *), or NULL */
const GPtrArray *ptl_record_examples_get(const PtlRecordExamples *store, guint64 flow_id);
/* Records offered but not kept because the store was full. */
guint64 ptl_record_examples_dropped(const PtlRecordExamples *store);
