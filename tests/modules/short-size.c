/* ABI 2, but its struct_size is too small to hold even the first ABI 2 layout */
#define FAKE_NAME "short"
#define FAKE_ABI PTL_DISSECTOR_ABI_VERSION
#define FAKE_FEED fake_feed
#define FAKE_SIZE 16
#include "fake-module.h"
PTL_DISSECTOR_DEFINE(fake_dissector)
