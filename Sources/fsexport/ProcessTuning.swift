import CMallocTuning

/// Process-wide settings for a streaming workload, applied once at start-up, before threads exist.
/// The executable's business, not the libraries': a program that embeds them allocates as it likes.
enum ProcessTuning {
    /// One malloc arena, and large blocks returned when freed (`fsx_tune_malloc_for_streaming`).
    static func applyForStreaming() {
        fsx_tune_malloc_for_streaming()
    }
}
