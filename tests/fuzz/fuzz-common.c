/* fuzz-common.c: helpers shared by the fuzz targets (see fuzz-common.h). */

#include "fuzz-common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void
fuzz_violation(const char *where, const char *cond, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "fuzz: contract broken at %s (%s): ", where, cond);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    abort();
}

void
fuzz_init_glib(void)
{
    g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

const char *
fuzz_input_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("ptl-fuzz-input", MFD_CLOEXEC);
        if (fd < 0) {
            perror("fuzz: memfd_create");
            abort();
        }
        g_snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t) size)) {
        perror("fuzz: writing the input file");
        abort();
    }
    return path;
}

static void
fuzz_check_string(const char *what, const char *s, gsize max_string)
{
    FUZZ_CHECK(s != NULL, "%s is NULL", what);
    gsize len = strlen(s);
    FUZZ_CHECK(g_utf8_validate(s, (gssize) len, NULL), "%s is not valid UTF-8", what);
    FUZZ_CHECK(len <= max_string, "%s is %" G_GSIZE_FORMAT " bytes (at most %" G_GSIZE_FORMAT ")",
               what, len, max_string);
}

void
fuzz_check_json_strings(JsonNode *node, gsize max_string)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        json_object_iter_init(&iter, json_node_get_object(node));
        while (json_object_iter_next(&iter, &name, &member)) {
            fuzz_check_string("a member name", name, max_string);
            fuzz_check_json_strings(member, max_string);
        }
        break;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *array = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(array); i++)
            fuzz_check_json_strings(json_array_get_element(array, i), max_string);
        break;
    }
    case JSON_NODE_VALUE:
        if (json_node_get_value_type(node) == G_TYPE_STRING)
            fuzz_check_string("a string value", json_node_get_string(node), max_string);
        break;
    case JSON_NODE_NULL:
        break;
    }
}
