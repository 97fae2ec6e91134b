import CDeflate

/// Gzip compression on every core, with libdeflate (faster than zlib at every level, and smaller):
/// the input is cut into 384 KiB blocks, each compressed on its own thread into a complete gzip
/// member, and the members are written in order. A file of several members is one gzip stream
/// (RFC 1952 §2.2) to gzip, zcat, pigz, igzip, libdeflate, zlib and Python (each checked in a test).
/// Blocks this size cost about 4% against one member (20.2 MB against 19.4 MB for the benchmark's
/// 262 MB of JSON) and still beat `pigz -6` (20.5 MB) at level 6; smaller ones lost to it (256 KiB:
/// 20.6 MB), larger ones held more memory with a file open for each event type. The bytes depend
/// only on the input and the level, never on the number of threads or their timing. Memory is
/// bounded: at most a few blocks are in flight.
public final class ParallelGzip {
    public static let blockSize = 384 << 10
    /// 1 (fastest) to 9 (smallest), as gzip's; 6 is the default. libdeflate also has 10 to 12,
    /// left out: each needs 8.8 MiB of state a core (levels 2 to 9: 656 KiB), which the 64 MiB
    /// ceiling has no room for beside a split's open files, for a few percent smaller output at
    /// many times the time.
    public static let levels: ClosedRange<Int32> = 1...9
    /// `libdeflate/1.14`, as `--version` shows it.
    public static var libraryVersion: String { "libdeflate/\(LIBDEFLATE_VERSION_STRING)" }

    private let blocks: OrderedBlocks

    /// - Parameters:
    ///   - level: one of ``levels``.
    ///   - threads: blocks compressed at once; the output is the same for any number.
    public init(level: Int32 = 6, threads: Int = ProcessorCount.active) throws(ZlibError) {
        guard Self.levels.contains(level) else {
            throw ZlibError(kind: .internalError, message: "gzip level \(level) is not \(Self.levels.lowerBound) to \(Self.levels.upperBound)", compressedOffset: 0)
        }
        blocks = OrderedBlocks(blockSize: Self.blockSize, threads: threads) { block in
            try GzipCompressors.shared.with(level: level) { compressor throws(ZlibError) in try compressor.member(of: block) }
        }
    }

    /// Compresses `input`, calling `sink` with compressed bytes in order (valid only during the call).
    public func compress(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try blocks.add(input) { member in try member.withUnsafeBytes { try sink($0) } }
    }

    /// Compresses what is left (a second call adds nothing). The compressor cannot be used afterwards.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try blocks.finish { member in try member.withUnsafeBytes { try sink($0) } }
    }
}

/// A libdeflate compressor for one level, with room for its output, kept for reuse: making one
/// costs more than compressing a small block.
private final class GzipCompressor: @unchecked Sendable {  // used by one thread at a time (ContextPool)
    let pointer: OpaquePointer
    let room = OutputRoom()

    init(level: Int32) throws(ZlibError) {
        guard let pointer = libdeflate_alloc_compressor(level) else {
            throw ZlibError(kind: .internalError, message: "libdeflate could not make a compressor for level \(level)", compressedOffset: 0)
        }
        self.pointer = pointer
    }

    deinit { libdeflate_free_compressor(pointer) }

    /// `block` as one complete gzip member.
    func member(of block: [UInt8]) throws(ZlibError) -> [UInt8] {
        room.reserve(libdeflate_gzip_compress_bound(pointer, block.count))
        let size = block.withUnsafeBytes { libdeflate_gzip_compress(pointer, $0.baseAddress, $0.count, room.bytes.baseAddress, room.bytes.count) }
        // libdeflate returns 0 only when the output does not fit, which its bound rules out.
        guard size > 0 else { throw ZlibError(kind: .internalError, message: "libdeflate could not compress a block", compressedOffset: 0) }
        return room.copy(size)  // its own size: the room's worst-case size stays with the compressor
    }
}

private enum GzipCompressors {
    static let shared = ContextPool<GzipCompressor, ZlibError>(make: { level throws(ZlibError) in try GzipCompressor(level: level) })
}
