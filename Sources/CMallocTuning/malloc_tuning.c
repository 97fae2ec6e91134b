#include "malloc_tuning.h"
#include <stdlib.h>  // defines __GLIBC__ where glibc is the C library; without a libc header it never is
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static int tuning = 0;

__attribute__((constructor)) static void fsx_tune_malloc_at_load(void) {
#if defined(__GLIBC__)
    tuning = mallopt(M_ARENA_MAX, 1) == 1 && mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 4 << 20) == 1
        ? 1 : -1;
#endif
}

int fsx_malloc_tuning(void) { return tuning; }
