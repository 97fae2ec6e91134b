#include "malloc_tuning.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void fsx_tune_malloc_for_streaming(void) {
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}
