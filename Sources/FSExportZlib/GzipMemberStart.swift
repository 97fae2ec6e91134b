/// The first four bytes of every gzip member (RFC 1952 §2.3), checked as they arrive, before any
/// library sees them: ISA-L waits for a whole header before it looks and takes reserved flags
/// silently, where zlib refuses at once. Checked here, both refuse the same bytes with the same
/// words, and garbage after a stream is corrupt, not a member cut short.
struct GzipMemberStart {
    private var seen = 0

    /// A new member begins.
    mutating func reset() { seen = 0 }

    /// Checks the start of `input` that falls in the first four bytes of the member; the reason
    /// and the offset in `input` when one is wrong.
    mutating func check(_ input: UnsafeRawBufferPointer) -> (offset: Int, reason: String)? {
        var offset = 0
        while seen < 4, offset < input.count {
            let byte = input[offset]
            switch seen {
            case 0 where byte != 0x1F, 1 where byte != 0x8B: return (offset, "incorrect header check")
            case 2 where byte != 8: return (offset, "unknown compression method")
            case 3 where byte & 0xE0 != 0: return (offset, "unknown header flags set")
            default: break
            }
            seen += 1
            offset += 1
        }
        return nil
    }
}
