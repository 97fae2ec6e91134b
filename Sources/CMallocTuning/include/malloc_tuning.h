// Process tuning for the executables (fsexport, the benchmark): not for libraries, which must
// not change how their host process allocates.
#ifndef FSEXPORT_MALLOC_TUNING_H
#define FSEXPORT_MALLOC_TUNING_H

/// Tunes glibc's malloc for a streaming workload, once at start-up, before threads exist (mallopt
/// is declared in <malloc.h>, outside Swift's Glibc module). Does nothing elsewhere.
///
/// - One arena: glibc gives each thread its own, and with 1 MiB buffers handed between threads
///   that fragments memory into tens of MiB; the engine allocates too rarely (once per batch) for
///   the shared lock to matter.
/// - Blocks of 1 MiB and more (a large event's buffer) are mapped on their own and returned when
///   freed. By default glibc raises that threshold to the largest block freed so far, and the next
///   large events then come from the heap, which keeps what they leave: a few 4 MiB events grew a
///   run by 30 MiB.
void fsx_tune_malloc_for_streaming(void);

#endif
