/// A bundle whose JSON is not a well-formed array of objects, with where it went wrong.
public struct BundleFormatError: Error, Sendable, CustomStringConvertible {
    public var bundleID: Int64?
    /// Offset in the decoded JSON document.
    public var offset: Int64
    public var message: String

    public init(bundleID: Int64? = nil, offset: Int64, message: String) {
        self.bundleID = bundleID
        self.offset = offset
        self.message = message
    }

    public var description: String {
        let subject = bundleID.map { "bundle \($0)" } ?? "bundle"
        return "\(subject) is not a valid export document at byte \(offset) of its JSON: \(message)"
    }
}
