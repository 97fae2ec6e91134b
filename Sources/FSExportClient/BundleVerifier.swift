import FSExportCore
import FSExportZlib

/// Checks a bundle's bytes as they arrive, so that a download is only called done once its gzip
/// stream ended with a matching CRC-32 and length. Plain JSON (a proxy inflated it) cannot carry a
/// checksum; it must at least end with the closing `]` of the document.
final class BundleVerifier {
    /// How far the bytes are checked.
    enum Depth: Sendable {
        /// The gzip stream inflated to its end: CRC-32, length, nothing after it.
        case gzipStream
        /// Only what the transfer's framing (Content-Length, chunks) already proved whole, for a
        /// reader that inflates the file as it arrives and checks the gzip stream itself
        /// (``FSExportCore/FetchPreview/fetchForCheckingReader(_:to:)``): inflating here too
        /// would do that work twice.
        case transfer
    }

    private let depth: Depth
    private(set) var encoding: BodyEncoding?
    private var inflater: Inflater?
    private var lastSignificantByte: UInt8 = 0
    private(set) var byteCount: Int64 = 0

    enum Verdict: Equatable {
        case complete
        case truncated(String)
        case corrupt(String)
    }

    init(depth: Depth = .gzipStream) { self.depth = depth }

    /// Feeds the next bytes; returns a corrupt verdict as soon as the data cannot be a bundle.
    func feed(_ bytes: UnsafeRawBufferPointer) -> Verdict? {
        guard !bytes.isEmpty else { return nil }
        if encoding == nil {
            guard let sniffed = BodyEncoding.sniff(bytes[0]) else {
                return .corrupt("the body is neither gzip nor JSON (first byte 0x\(String(bytes[0], radix: 16)))")
            }
            encoding = sniffed
            if sniffed == .gzip, depth == .gzipStream {
                do { inflater = try Inflater() } catch { return .corrupt("\(error)") }
            }
        }
        byteCount += Int64(bytes.count)
        if let inflater {
            do {
                try inflater.inflate(bytes) { _ in }
            } catch {
                return .corrupt("\(error)")
            }
        } else if let last = bytes.last(where: { !Self.isWhitespace($0) }) {
            lastSignificantByte = last
        }
        return nil
    }

    /// The verdict once the transfer ended.
    func finish() -> Verdict {
        switch encoding {
        case nil:
            return .truncated("the body is empty")
        case .gzip:
            guard depth == .gzipStream else { return .complete }
            guard let inflater, inflater.isAtEnd else {
                return .truncated("the gzip stream ends early after \(byteCount) bytes")
            }
            return .complete
        case .json:
            return lastSignificantByte == UInt8(ascii: "]") || lastSignificantByte == UInt8(ascii: "}")
                ? .complete : .truncated("the JSON document ends early after \(byteCount) bytes")
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09
    }
}
