import CZstd

/// Streaming zstd compression (libzstd), single-threaded so that its memory stays small when a
/// stage has many files open, and its bytes depend only on the input and the level.
public final class ZstdCompressor {
    public static let levels: ClosedRange<Int32> = 1...19
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(level: Int32 = 3) throws(Failure) {
        guard Self.levels.contains(level) else { throw Failure(description: "zstd level \(level) is not \(Self.levels.lowerBound) to \(Self.levels.upperBound)") }
        guard let context = ZSTD_createCCtx() else { throw Failure(description: "libzstd could not make a context") }
        self.context = context
        output = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))  // zstd -t and readers verify the content
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    /// Compresses `input`, calling `sink` with compressed chunks (valid only during the call).
    public func compress(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while buffer.pos < buffer.size { _ = try step(&buffer, ZSTD_e_continue, sink) }
    }

    /// Ends the frame. The compressor cannot be used afterwards.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&buffer, ZSTD_e_end, sink) != 0 {}
    }

    private func step(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = ZSTD_compressStream2(context, &out, &input, mode)
        try check(remaining)
        if out.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<out.pos])) }
        return remaining
    }

    private func check(_ code: Int) throws(Failure) {
        if ZSTD_isError(code) != 0 { throw Failure(description: "zstd: \(String(cString: ZSTD_getErrorName(code)))") }
    }
}
