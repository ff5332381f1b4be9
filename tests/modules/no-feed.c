/* forgets its feed callback */
#define FAKE_NAME "nofeed"
#define FAKE_ABI PTL_DISSECTOR_ABI_VERSION
#define FAKE_FEED NULL
#include "fake-module.h"
PTL_DISSECTOR_DEFINE(fake_dissector)
