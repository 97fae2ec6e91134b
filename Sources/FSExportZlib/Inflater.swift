import CZlib
import CZlibShims

/// Streaming gzip decompression with bounded memory: feed compressed bytes in any chunking and
/// receive the inflated bytes in chunks of at most ``outputChunkSize``.
///
/// Concatenated gzip members (allowed by RFC 1952) are inflated one after another. zlib checks
/// each member's CRC-32 and length, so a stream that reaches ``isAtEnd`` was delivered intact.
public final class Inflater {
    public enum Framing: Sendable {
        /// gzip only (RFC 1952).
        case gzip
        /// gzip or zlib, detected from the header.
        case automatic
    }

    public static let outputChunkSize = 256 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private let framing: Framing
    /// Compressed bytes consumed so far.
    public private(set) var compressedCount: Int64 = 0
    /// Inflated bytes produced so far.
    public private(set) var inflatedCount: Int64 = 0
    /// True when the input so far ends exactly at the end of a gzip member.
    public private(set) var isAtEnd = false

    public init(framing: Framing = .gzip) throws {
        self.framing = framing
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: Self.outputChunkSize, alignment: 16)
        let code = framing == .gzip ? fsx_inflate_init_gzip(stream) : fsx_inflate_init_auto(stream)
        guard code == Z_OK else {
            output.deallocate()
            stream.deallocate()
            throw ZlibError(kind: .internalError, message: "inflateInit2 failed (\(code))", compressedOffset: 0)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Inflates `input`, calling `sink` with each produced chunk (valid only during the call).
    public func inflate(
        _ input: UnsafeRawBufferPointer,
        into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard !input.isEmpty else { return }
        var rest = input
        while true {
            let (consumed, produced) = try inflate(rest, into: output)
            if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[..<produced])) }
            rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
            // On while input is left, or while zlib filled the output (it may hold more).
            guard !rest.isEmpty || produced == output.count else { return }
        }
    }

    /// Inflates from `input` into `output` until one of them is used up or a gzip member ends,
    /// and says how much of each it used: for a reader that hands each full output on before it
    /// goes on, so that what waits is one output's worth however well the data compresses (and
    /// zlib works on large outputs, which it inflates fastest). Empty input takes out what zlib
    /// still holds.
    public func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int) {
        guard let target = output.baseAddress, !output.isEmpty else { return (0, 0) }
        if isAtEnd {
            guard !input.isEmpty else { return (0, 0) }
            // Another gzip member follows the previous one.
            inflateReset(stream)
            isAtEnd = false
        }
        let offered = min(input.count, Int(UInt32.max)), room = min(output.count, Int(UInt32.max))
        stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.pointee.avail_in = uInt(offered)
        stream.pointee.next_out = target.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(room)
        let code = CZlib.inflate(stream, Z_NO_FLUSH)
        let consumed = offered - Int(stream.pointee.avail_in), produced = room - Int(stream.pointee.avail_out)
        switch code {
        case Z_STREAM_END: isAtEnd = true
        case Z_OK: break
        case Z_BUF_ERROR where stream.pointee.avail_in == 0 || stream.pointee.avail_out == 0: break
        default: throw ZlibError.from(code: code, stream: stream, offset: compressedCount + Int64(consumed))
        }
        // With input and room, zlib moves on or fails; a call that did neither would make its caller spin.
        guard consumed > 0 || produced > 0 || offered == 0 || code == Z_STREAM_END else {
            throw ZlibError(kind: .internalError, message: "inflate made no progress", compressedOffset: compressedCount)
        }
        compressedCount += Int64(consumed)
        inflatedCount += Int64(produced)
        return (consumed, produced)
    }

    /// Throws unless the input seen so far ended exactly at the end of a gzip member.
    public func finish() throws {
        guard isAtEnd else {
            throw ZlibError(kind: .truncated, message: "the gzip stream is incomplete", compressedOffset: compressedCount)
        }
    }
}
