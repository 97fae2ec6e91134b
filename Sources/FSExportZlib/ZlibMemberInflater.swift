import CZlib
import CZlibShims

/// zlib's inflate of gzip members: the fallback where ISA-L is not built in.
final class ZlibMemberInflater: MemberInflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = fsx_inflate_init_gzip(stream)
        guard code == Z_OK else {
            stream.deallocate()
            throw ZlibError(kind: .internalError, message: "inflateInit2 failed (\(code))", compressedOffset: 0)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func reset() { inflateReset(stream) }

    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> InflateStep {
        stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let code = CZlib.inflate(stream, Z_NO_FLUSH)
        var step = InflateStep(
            consumed: input.count - Int(stream.pointee.avail_in), produced: output.count - Int(stream.pointee.avail_out), outcome: .going)
        switch code {
        case Z_STREAM_END: step.outcome = .ended
        case Z_OK: break
        case Z_BUF_ERROR where stream.pointee.avail_in == 0 || stream.pointee.avail_out == 0: break
        default:
            let error = ZlibError.from(code: code, stream: stream, offset: 0)
            step.outcome = .failed(error.kind, error.message)
        }
        return step
    }
}
