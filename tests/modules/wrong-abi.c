/* built for a future ABI */
#define FAKE_NAME "future"
#define FAKE_ABI (PTL_DISSECTOR_ABI_VERSION + 1)
#define FAKE_FEED fake_feed
#include "fake-module.h"
PTL_DISSECTOR_DEFINE(fake_dissector)
