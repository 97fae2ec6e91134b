/// Bytes fetched so far of a bundle, read by progress displays.
public struct TransferProgress: Sendable {
    public var bytes: Int64
    /// The expected total, when the server announced a length.
    public var total: Int64?

    public init(bytes: Int64, total: Int64?) {
        self.bytes = bytes
        self.total = total
    }
}
