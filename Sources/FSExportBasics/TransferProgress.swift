/// How far the fetch of a bundle has come, read by progress displays.
public struct TransferProgress: Sendable {
    /// Bytes fetched so far.
    public var bytes: Int64
    /// The expected total, when the server announced a length.
    public var total: Int64?
    /// Before any byte: how far the source says it is with preparing the file (0–100), for sources
    /// that build it on request (a segment export).
    public var preparedPercent: Int?

    public init(bytes: Int64, total: Int64?, preparedPercent: Int? = nil) {
        self.bytes = bytes
        self.total = total
        self.preparedPercent = preparedPercent
    }
}
