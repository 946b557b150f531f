#include "CBuildInfo.h"

#ifndef TALLY_REVISION
#define TALLY_REVISION "unknown"
#endif

const char *tally_build_revision(void) { return TALLY_REVISION; }
