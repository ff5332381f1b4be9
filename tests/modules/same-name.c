/* valid, but takes the name "good" a second time */
#define FAKE_NAME "good"
#define FAKE_ABI PTL_DISSECTOR_ABI_VERSION
#define FAKE_FEED fake_feed
#include "fake-module.h"
PTL_DISSECTOR_DEFINE(fake_dissector)
