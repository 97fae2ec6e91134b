import CMallocTuning

/// Process-wide settings for a streaming workload, applied when the program is loaded, before
/// threads exist (`fsx_malloc_tuning`). The executable's business, not the libraries':
/// a program that embeds them allocates as it likes.
enum ProcessTuning {
    /// One malloc arena, and large blocks returned when freed; false only if glibc refused them.
    static var isApplied: Bool { fsx_malloc_tuning() >= 0 }
}
