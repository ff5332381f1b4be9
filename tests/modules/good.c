/* a valid module named "good" */
#define FAKE_NAME "good"
#define FAKE_ABI PTL_DISSECTOR_ABI_VERSION
#define FAKE_FEED fake_feed
#include "fake-module.h"
PTL_DISSECTOR_DEFINE(fake_dissector)
