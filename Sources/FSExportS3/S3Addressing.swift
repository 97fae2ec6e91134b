/// Where a bucket's objects live, and how their URLs are spelled so that libcurl's SigV4 signs
/// them as S3 checks them: libcurl signs the path and query as given, so both are written here in
/// their canonical form (each byte outside the unreserved set percent-encoded, the query sorted).
package struct S3Addressing: Sendable, Equatable {
    /// `https://s3.us-east-1.amazonaws.com`, or a compatible store's endpoint, without a trailing `/`.
    var endpoint: String
    var region: String
    var bucket: String
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`: what most compatible stores want.
    var pathStyle: Bool

    /// AWS's endpoint for a region.
    static func awsEndpoint(region: String) -> String { "https://s3.\(region).amazonaws.com" }

    /// The object's URL with `query` (names and values unencoded; sorted and encoded here).
    func url(key: String, query: [(String, String)] = []) -> String {
        "\(base)/\(Self.encode(key, keepingSlash: true))\(Self.canonicalQuery(query))"
    }

    /// The bucket's URL with `query`, for bucket-level calls (listing uploads).
    func bucketURL(query: [(String, String)]) -> String { "\(base)/\(Self.canonicalQuery(query))" }

    /// `s3://bucket/key`, for messages and plans.
    func display(key: String) -> String { "s3://\(bucket)/\(key)" }

    private var base: String {
        guard !pathStyle, let schemeEnd = endpoint.range(of: "://") else { return "\(endpoint)/\(Self.encode(bucket, keepingSlash: false))" }
        return "\(endpoint[..<schemeEnd.upperBound])\(bucket).\(endpoint[schemeEnd.upperBound...])"
    }

    /// `?a=1&b=` sorted by name, both sides encoded; empty for no parameters.
    package static func canonicalQuery(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.map { (encode($0.0, keepingSlash: false), encode($0.1, keepingSlash: false)) }.sorted { $0 < $1 }
        return "?" + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// SigV4's URI encoding: every byte but `A-Z a-z 0-9 - _ . ~` (and `/` in paths) as `%XX`.
    package static func encode(_ text: String, keepingSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlash:
                out.append("/")
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
            }
        }
        return out
    }

    /// Bucket names S3 accepts (3–63 of `a-z 0-9 . -`, starting and ending with a letter or digit),
    /// so that a typo is a pipeline-file error rather than a confusing answer from the store.
    static func isValidBucket(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        return alphanumeric(first) && alphanumeric(last) && bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }
}
