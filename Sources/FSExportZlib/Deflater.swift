import CZlib
import CZlibShims

/// Streaming gzip compression with bounded memory.
public final class Deflater {
    public static let outputChunkSize = 256 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    /// Uncompressed bytes consumed so far.
    public private(set) var inputCount: Int64 = 0
    /// Compressed bytes produced so far.
    public private(set) var outputCount: Int64 = 0

    /// - Parameter level: 0 (store) to 9 (smallest); 1 is fast and usually good enough for JSON.
    public init(level: Int32 = 6) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: Self.outputChunkSize, alignment: 16)
        let code = fsx_deflate_init_gzip(stream, level)
        guard code == Z_OK else {
            output.deallocate()
            stream.deallocate()
            throw ZlibError(kind: .internalError, message: "deflateInit2 failed (\(code))", compressedOffset: 0)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Compresses `input`, calling `sink` with compressed chunks (valid only during the call).
    public func deflate(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var cursor = base
        var remaining = input.count
        while remaining > 0 {
            let chunk = min(remaining, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: cursor.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(chunk)
            try run(flush: Z_NO_FLUSH, sink: sink)
            inputCount += Int64(chunk)
            cursor += chunk
            remaining -= chunk
        }
    }

    /// Writes the gzip trailer. The deflater cannot be used afterwards.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(flush: Z_FINISH, sink: sink)
    }

    private func run(flush: Int32, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        while true {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let code = CZlib.deflate(stream, flush)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 {
                outputCount += Int64(produced)
                try sink(UnsafeRawBufferPointer(rebasing: output[0..<produced]))
            }
            if code == Z_STREAM_END { return }
            guard code == Z_OK || code == Z_BUF_ERROR else {
                throw ZlibError.from(code: code, stream: stream, offset: inputCount)
            }
            if flush == Z_NO_FLUSH, stream.pointee.avail_in == 0, stream.pointee.avail_out != 0 { return }
        }
    }
}
