import CZstd
import FSExportZlib

/// zstd compression (libzstd) on every core: the input is cut into 128 KiB blocks, each
/// compressed on its own thread into a zstd frame of its own (with its checksum), and the frames
/// are written in order. Frames one after another are one zstd file, as zstd, zstdcat and
/// libraries read it; the bytes depend only on the input and the level. Independent frames cost a
/// little ratio against one long stream, and keep memory small when a stage has many files open.
public final class ZstdCompressor {
    public static let levels: ClosedRange<Int32> = 1...19
    /// Small enough that a frame's match tables (sized to its input) stay in cache while other
    /// cores inflate and split: faster than 256 KiB frames on two busy cores, 0.3% larger.
    static let blockSize = 128 << 10
    private let blocks: OrderedBlocks

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(level: Int32 = 3, threads: Int = ProcessorCount.active) throws(Failure) {
        guard Self.levels.contains(level) else { throw Failure(description: "zstd level \(level) is not \(Self.levels.lowerBound) to \(Self.levels.upperBound)") }
        blocks = OrderedBlocks(blockSize: Self.blockSize, threads: threads) { block in
            try ZstdContexts.shared.with(level: level) { context throws(Failure) in try Self.frame(block, context: context.pointer, into: context.room) }
        }
    }

    /// Compresses `input`, calling `sink` with compressed bytes in order (valid only during the call).
    public func compress(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try blocks.add(input) { bytes in try bytes.withUnsafeBytes { try sink($0) } }
    }

    /// Compresses what is left. The compressor cannot be used afterwards.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try blocks.finish { bytes in try bytes.withUnsafeBytes { try sink($0) } }
    }

    private static func frame(_ block: [UInt8], context: OpaquePointer, into room: OutputRoom) throws(Failure) -> [UInt8] {
        room.reserve(ZSTD_compressBound(block.count))
        let size = block.withUnsafeBytes { source in
            ZSTD_compress2(context, room.bytes.baseAddress, room.bytes.count, source.baseAddress, source.count)
        }
        try check(size)
        return room.copy(size)  // its own size: the room's worst-case size stays with the context
    }

    static func check(_ code: Int) throws(Failure) {
        if ZSTD_isError(code) != 0 { throw Failure(description: "zstd: \(String(cString: ZSTD_getErrorName(code)))") }
    }
}

/// zstd contexts kept for reuse, one per block being compressed at a time.
private enum ZstdContexts {
    struct Context {
        let pointer: OpaquePointer
        let room = OutputRoom()
    }

    static let shared = ContextPool<Context, ZstdCompressor.Failure>(make: { level throws(ZstdCompressor.Failure) in
        guard let pointer = ZSTD_createCCtx() else { throw ZstdCompressor.Failure(description: "libzstd could not make a context") }
        do throws(ZstdCompressor.Failure) {
            try ZstdCompressor.check(ZSTD_CCtx_setParameter(pointer, ZSTD_c_compressionLevel, level))
            try ZstdCompressor.check(ZSTD_CCtx_setParameter(pointer, ZSTD_c_checksumFlag, 1))  // zstd -t and readers verify the content
        } catch {
            ZSTD_freeCCtx(pointer)
            throw error
        }
        return Context(pointer: pointer)
    })
}

extension ZstdCompressor {
    /// The libzstd fsexport runs with: `libzstd/1.5.4`.
    package static var libraryVersion: String { "libzstd/" + String(cString: ZSTD_versionString()) }
}
