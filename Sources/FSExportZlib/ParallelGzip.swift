import CZlib
import CZlibShims

/// Gzip compression on every core, as pigz does it: the input is cut into 128 KiB blocks, each
/// deflated on its own thread with the previous block's last 32 KiB as its dictionary, and the
/// pieces are joined, in order, into one standard gzip stream that gzip, zcat, Python and
/// warehouse loaders read. The bytes depend only on the input and the level, never on the number
/// of threads or their timing. Memory is bounded: at most a few blocks are in flight.
public final class ParallelGzip {
    public static let blockSize = 128 << 10
    static let dictionarySize = 32 << 10

    private let blocks: OrderedBlocks
    private var crc = crc32(0, nil, 0)
    private var headerWritten = false
    private var finished = false
    /// Uncompressed bytes taken so far.
    public private(set) var inputCount: Int64 = 0
    /// Compressed bytes produced so far.
    public private(set) var outputCount: Int64 = 0

    /// - Parameters:
    ///   - level: 1 (fastest) to 9 (smallest); 6 is gzip's default.
    ///   - threads: blocks compressed at once; the output is the same for any number.
    public init(level: Int32 = 6, threads: Int = ProcessorCount.active) throws(ZlibError) {
        guard (1...9).contains(level) else { throw ZlibError(kind: .internalError, message: "gzip level \(level) is not 1 to 9", compressedOffset: 0) }
        blocks = OrderedBlocks(blockSize: Self.blockSize, keep: Self.dictionarySize, threads: threads) { block, dictionary, last in
            let check = block.withUnsafeBytes { UInt32(crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count))) }
            let bytes = try DeflateStreams.shared.with(level: level) { stream throws(ZlibError) in
                try Self.deflateBlock(block, dictionary: dictionary, last: last, stream: stream.pointer, into: stream.room)
            }
            return (bytes, check)
        }
    }

    /// Compresses `input`, calling `sink` with compressed bytes in order (valid only during the call).
    public func compress(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        inputCount += Int64(input.count)
        try blocks.add(input) { try emitBlock($0, $1, $2, into: sink) }
    }

    /// Compresses what is left and writes the gzip trailer. The compressor cannot be used afterwards.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { return }
        finished = true
        try blocks.finish { try emitBlock($0, $1, $2, into: sink) }
        var trailer = [UInt8]()
        for value in [UInt32(truncatingIfNeeded: crc), UInt32(truncatingIfNeeded: inputCount)] {
            trailer += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
        }
        try emit(trailer, into: sink)
    }

    private func emitBlock(_ bytes: [UInt8], _ check: UInt32, _ length: Int, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if !headerWritten {
            headerWritten = true
            // ID, deflate, no flags, no time (so a re-run gives the same bytes), no extra flags, Unix.
            try emit([0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03], into: sink)
        }
        crc = fsx_crc32_combine(crc, uLong(check), Int64(length))
        try emit(bytes, into: sink)
    }

    private func emit(_ bytes: [UInt8], into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        outputCount += Int64(bytes.count)
        try bytes.withUnsafeBytes { try sink($0) }
    }

    /// Raw deflate of one block: ended with a sync flush (byte-aligned, not final) so that the next
    /// block's data follows it, or with the final block for the last one.
    private static func deflateBlock(
        _ input: [UInt8], dictionary: [UInt8], last: Bool, stream: UnsafeMutablePointer<z_stream>, into room: OutputRoom
    ) throws(ZlibError) -> [UInt8] {
        if !dictionary.isEmpty {
            let code = dictionary.withUnsafeBytes { deflateSetDictionary(stream, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count)) }
            guard code == Z_OK else { throw ZlibError.from(code: code, stream: stream, offset: 0) }
        }
        room.reserve(Int(deflateBound(stream, uLong(input.count))) + 64)
        var produced = 0
        let code: Int32 = input.withUnsafeBytes { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(source.count)
            var code = Z_OK
            repeat {
                if produced == room.bytes.count { room.grow(keeping: produced) }
                stream.pointee.next_out = room.bytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                stream.pointee.avail_out = uInt(room.bytes.count - produced)
                code = deflate(stream, last ? Z_FINISH : Z_SYNC_FLUSH)
                produced = room.bytes.count - Int(stream.pointee.avail_out)
            } while (last ? code == Z_OK || code == Z_BUF_ERROR : stream.pointee.avail_out == 0) && (code == Z_OK || code == Z_BUF_ERROR)
            return code
        }
        guard code == (last ? Z_STREAM_END : Z_OK) || (!last && code == Z_BUF_ERROR) else {
            throw ZlibError.from(code: code, stream: stream, offset: 0)
        }
        return room.copy(produced)  // its own size: the room's worst-case size stays with the stream
    }
}

/// Raw deflate streams kept for reuse, one per block being compressed at a time: making one costs
/// more than compressing a small block.
private enum DeflateStreams {
    struct Stream {
        let pointer: UnsafeMutablePointer<z_stream>
        let room = OutputRoom()
    }

    static let shared = ContextPool<Stream, ZlibError>(
        make: { level throws(ZlibError) in
            let pointer = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            pointer.initialize(to: z_stream())
            let code = fsx_deflate_init_raw(pointer, level)
            guard code == Z_OK else {
                pointer.deallocate()
                throw ZlibError(kind: .internalError, message: "deflateInit2 failed (\(code))", compressedOffset: 0)
            }
            return Stream(pointer: pointer)
        },
        reuse: { deflateReset($0.pointer) })
}
