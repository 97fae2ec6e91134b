// Process tuning for the executables (fsexport, the benchmark): not for libraries, which must
// not change how their host process allocates.
#ifndef FSEXPORT_MALLOC_TUNING_H
#define FSEXPORT_MALLOC_TUNING_H

/// Limits glibc's malloc arenas (mallopt is declared in <malloc.h>, outside Swift's Glibc module).
/// Returns 1 on success, 0 elsewhere.
int fsx_limit_malloc_arenas(int count);

#endif
