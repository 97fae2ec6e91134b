/// How a bundle's bytes arrived: gzip as documented, or plain JSON when a proxy already inflated it.
public enum BodyEncoding: String, Sendable, Codable {
    case gzip
    case json

    /// Decides from the first bytes: 0x1f 0x8b is gzip; `[`, `{` or white space is JSON.
    package static func sniff(_ first: UInt8) -> BodyEncoding? {
        switch first {
        case 0x1f: .gzip
        case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): .json
        default: nil
        }
    }

    /// The file name extension a spooled bundle gets.
    public var fileExtension: String {
        switch self {
        case .gzip: "json.gz"
        case .json: "json"
        }
    }
}
