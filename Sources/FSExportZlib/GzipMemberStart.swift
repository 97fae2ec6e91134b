/// The first four bytes of every gzip member (RFC 1952 §2.3), checked as they arrive, before any
/// library sees them: ISA-L waits for a whole header before it looks and takes reserved flags
/// silently, where zlib refuses at once. Checked here, both refuse the same bytes with the same
/// words, and garbage after a stream is corrupt, not a member cut short.
struct GzipMemberStart {
    /// How many of the member's first four bytes the library has taken.
    private var taken = 0

    /// A new member begins.
    mutating func reset() { taken = 0 }

    /// The library took `count` more bytes of the member.
    mutating func advance(by count: Int) { taken = min(4, taken + count) }

    /// Checks the start of `input` that falls in the member's first four bytes; the reason and
    /// the offset in `input` when one is wrong.
    func check(_ input: UnsafeRawBufferPointer) -> (offset: Int, reason: String)? {
        for offset in 0..<min(input.count, 4 - taken) {
            let byte = input[offset]
            switch taken + offset {
            case 0 where byte != 0x1F, 1 where byte != 0x8B: return (offset, "incorrect header check")
            case 2 where byte != 8: return (offset, "unknown compression method")
            case 3 where byte & 0xE0 != 0: return (offset, "unknown header flags set")
            default: continue
            }
        }
        return nil
    }
}
