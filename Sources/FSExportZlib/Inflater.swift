/// Streaming gzip decompression with bounded memory: feed compressed bytes in any chunking and
/// receive the inflated bytes in chunks of at most ``outputChunkSize``.
///
/// Concatenated gzip members (allowed by RFC 1952) are inflated one after another. Each member's
/// CRC-32 and length are checked, so a stream that reaches ``isAtEnd`` was delivered intact. The
/// work is done by ISA-L where fsexport was built with it (several times faster than zlib), else by
/// zlib: the same bytes out, the same refusals, from either (see ``InflateLibrary``).
public final class Inflater {
    public static let outputChunkSize = 256 * 1024

    private let member: any MemberInflater
    private let output: UnsafeMutableRawBufferPointer
    private var memberStart = GzipMemberStart()
    /// Which library inflates.
    public let library: InflateLibrary
    /// Compressed bytes consumed so far.
    public private(set) var compressedCount: Int64 = 0
    /// Inflated bytes produced so far.
    public private(set) var inflatedCount: Int64 = 0
    /// True when the input so far ends exactly at the end of a gzip member.
    public private(set) var isAtEnd = false

    public init(library: InflateLibrary = .preferred) throws {
        self.library = library
        member = try library.makeMemberInflater()
        output = .allocate(byteCount: Self.outputChunkSize, alignment: 16)
    }

    deinit { output.deallocate() }

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
            // On while input is left, or while the library filled the output (it may hold more).
            guard !rest.isEmpty || produced == output.count else { return }
        }
    }

    /// Inflates from `input` into `output` until one of them is used up or a gzip member ends,
    /// and says how much of each it used: for a reader that hands each full output on before it
    /// goes on, so that what waits is one output's worth however well the data compresses (and
    /// the libraries work fastest on large outputs). Empty input takes out what the library still
    /// holds.
    public func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int) {
        guard !output.isEmpty else { return (0, 0) }
        if isAtEnd {
            guard !input.isEmpty else { return (0, 0) }
            // Another gzip member follows the previous one (or bytes that must be one).
            member.reset()
            memberStart.reset()
            isAtEnd = false
        }
        if let (offset, reason) = memberStart.check(input) {
            throw ZlibError(kind: .corrupt, message: reason, compressedOffset: compressedCount + Int64(offset))
        }
        let offered = UnsafeRawBufferPointer(rebasing: input.prefix(Int(UInt32.max)))
        let room = UnsafeMutableRawBufferPointer(rebasing: output.prefix(Int(UInt32.max)))
        let step = member.inflate(offered, into: room)
        switch step.outcome {
        case .ended: isAtEnd = true
        case .going: break
        case .failed(let kind, let message):
            throw ZlibError(kind: kind, message: message, compressedOffset: compressedCount + Int64(step.consumed))
        }
        // With input and room, a library moves on or fails; a call that did neither would make its caller spin.
        guard step.consumed > 0 || step.produced > 0 || offered.isEmpty || isAtEnd else {
            throw ZlibError(kind: .internalError, message: "inflate made no progress", compressedOffset: compressedCount)
        }
        memberStart.advance(by: step.consumed)
        compressedCount += Int64(step.consumed)
        inflatedCount += Int64(step.produced)
        return (step.consumed, step.produced)
    }

    /// Throws unless the input seen so far ended exactly at the end of a gzip member.
    public func finish() throws {
        guard isAtEnd else {
            throw ZlibError(kind: .truncated, message: "the gzip stream is incomplete", compressedOffset: compressedCount)
        }
    }
}

/// One library's inflate of one gzip member at a time, driven by ``Inflater`` (which counts,
/// joins members and turns failures into errors with their offset).
protocol MemberInflater: AnyObject {
    /// Inflates until the input or the output is used up or the member ends (its CRC-32 and length checked).
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> InflateStep
    /// Readies for the next member.
    func reset()
}

struct InflateStep {
    enum Outcome {
        case going
        /// The member ended and its trailer matched.
        case ended
        case failed(ZlibError.Kind, String)
    }

    var consumed: Int
    var produced: Int
    var outcome: Outcome
}
