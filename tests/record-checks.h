/* record-checks.h: checks of the records a dissector writes, shared by the dissector
 * tests (next to tests/dissector-harness.h, whose fake core collects the records). */
#pragma once

#include "dissector-harness.h"

/* The script fed whole with the core refusing every record (record_begin answers NULL,
 * as when the flow's cap is reached) leaves no record open or written, and emits the same
 * JSON and facts as with records taken: a capped flow loses records, nothing else. */
void record_assert_refused_same(const HarnessFlowConfig *config, const HarnessScript *script);

/* Lets the test move flow->ctx.ts_ns (to measure latencies) although the fake core checks
 * that records are begun at HARNESS_TS_NS: the record's own ts stays the harness's. */
void record_allow_clock(HarnessFlow *flow);

/* Fails the test when `secret` appears in any record of the flow. */
void record_assert_not_recorded(const HarnessFlow *flow, const char *secret);

/* transfer full: the members of every record of `kind`, one "key=value ..." line per
 * record without the core's kind/ts/flow_id, for comparing a run with what it should say */
char *record_summary(const HarnessFlow *flow, const char *kind);
