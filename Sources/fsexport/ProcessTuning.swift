import CMallocTuning

/// Process-wide settings for a streaming workload, applied once at start-up, before threads exist.
/// The executable's business, not the libraries': a program that embeds them allocates as it likes.
enum ProcessTuning {
    /// glibc gives each thread its own malloc arena; with 1 MiB buffers handed between threads
    /// that fragments memory into tens of MiB. One arena keeps peak memory flat, and the engine
    /// allocates too rarely (once per batch) for the shared lock to matter.
    static func applyForStreaming() {
        _ = fsx_limit_malloc_arenas(1)
    }
}
