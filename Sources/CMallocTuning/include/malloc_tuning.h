// Process tuning for the executables (fsexport, the benchmark): not for libraries, which must
// not change how their host process allocates. Linking this target is what applies it.
#ifndef FSEXPORT_MALLOC_TUNING_H
#define FSEXPORT_MALLOC_TUNING_H

/// How glibc's malloc was tuned for a streaming workload when the program was loaded: 1 tuned,
/// 0 nothing to tune (another C library), -1 glibc refused. The tuning runs as a constructor,
/// before `main` and before any thread, whatever `main` does first: glibc fixes its arena limit
/// the first time a second thread allocates.
///
/// - One arena: glibc gives each thread its own, and with 1 MiB buffers handed between threads
///   that fragments memory (measured: 61 MiB against 55 for 1 MiB events split by type with
///   gzip); the engine allocates too rarely (once per batch) for the shared lock to matter.
/// - Blocks of 1 MiB and more (a large event's buffer) are mapped on their own and returned when
///   freed. By default glibc raises that threshold to the largest block freed so far, and the next
///   large events then come from the heap, which keeps what they leave: a few 4 MiB events grew a
///   run by 30 MiB.
/// - Free memory at the top of the heap is given back beyond 4 MiB. Fixing the threshold above also
///   fixes this one at glibc's 128 KiB, and then every batch's buffers went back to the kernel and
///   came again: system time of the nightly tar.gz went from 0.25 s to 0.45 s. 4 MiB costs about
///   1.5 MiB of peak and brings it back.
int fsx_malloc_tuning(void);

#endif
