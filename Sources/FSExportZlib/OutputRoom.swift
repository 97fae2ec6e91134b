/// Room for one block's compressed bytes, kept with a compressor context between blocks: a block
/// then costs no fresh allocation and no zero-filling of its worst-case size. Used by one thread at
/// a time (the context's), and copied out at the block's own size.
public final class OutputRoom: @unchecked Sendable {
    public private(set) var bytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    public init() {}

    deinit { bytes.deallocate() }

    /// Makes the room at least `count` bytes (its contents are not kept).
    public func reserve(_ count: Int) {
        guard bytes.count < count else { return }
        bytes.deallocate()
        bytes = .allocate(byteCount: count, alignment: 16)
    }

    /// Grows the room, keeping its first `used` bytes.
    public func grow(keeping used: Int) {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(2 * bytes.count, 64 << 10), alignment: 16)
        if used > 0 { larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<used])) }
        bytes.deallocate()
        bytes = larger
    }

    /// The first `count` bytes, as an array of their own size.
    public func copy(_ count: Int) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: bytes[..<count])) }
}
