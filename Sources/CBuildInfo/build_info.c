#include "build_info.h"

#ifndef FSEXPORT_COMMIT
#define FSEXPORT_COMMIT "unknown"
#endif

const char *fsx_build_commit(void) { return FSEXPORT_COMMIT; }
