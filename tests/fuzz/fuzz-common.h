/* fuzz-common.h: what the fuzz targets in tests/fuzz share (docs/fuzzing.md).
 *
 * Each target defines the two libFuzzer entry points.  The same code runs under
 * libFuzzer (-Dfuzz=enabled, clang) and, in every build, under fuzz-regress-main.c,
 * which replays the committed crash reproducers as a normal test. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract: says what and aborts, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (G_UNLIKELY(!(cond)))                                               \
            fuzz_violation(G_STRLOC, #cond, __VA_ARGS__);                      \
    } while (0)

G_NORETURN void fuzz_violation(const char *where, const char *cond, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* GLib and json-glib criticals and warnings abort: a g_return_if_fail() hit by
 * input is a bug the fuzzer must keep. */
void fuzz_init_glib(void);

/* The parsers read files: the input's bytes as a file, under a path that stays
 * the same for the whole run (an anonymous memfd, nothing left on disk).
 * transfer none. */
const char *fuzz_input_path(const uint8_t *data, size_t size);

/* Every string of the tree (member names too) is valid UTF-8 and at most
 * max_string bytes; aborts naming the first that is not. */
void fuzz_check_json_strings(JsonNode *node, gsize max_string);
