import CZlib

/// A zlib failure, with the position in the compressed input where it happened.
public struct ZlibError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The compressed bytes are not valid gzip/deflate data, or a checksum (CRC-32, length) failed.
        case corrupt
        /// The input ended before the end of the compressed stream.
        case truncated
        /// zlib ran out of memory or reported an internal error.
        case internalError
    }

    public var kind: Kind
    public var message: String
    /// Offset in the compressed input at which the problem was detected.
    public var compressedOffset: Int64

    public init(kind: Kind, message: String, compressedOffset: Int64) {
        self.kind = kind
        self.message = message
        self.compressedOffset = compressedOffset
    }

    public var description: String {
        switch kind {
        case .corrupt: "corrupt gzip data at byte \(compressedOffset): \(message)"
        case .truncated: "gzip data ends early at byte \(compressedOffset): \(message)"
        case .internalError: "zlib error at byte \(compressedOffset): \(message)"
        }
    }

    static func from(code: Int32, stream: UnsafePointer<z_stream>, offset: Int64) -> ZlibError {
        let text = stream.pointee.msg.map { String(cString: $0) } ?? "zlib code \(code)"
        switch code {
        case Z_DATA_ERROR, Z_NEED_DICT: return ZlibError(kind: .corrupt, message: text, compressedOffset: offset)
        default: return ZlibError(kind: .internalError, message: text, compressedOffset: offset)
        }
    }
}
