/// One finished Data Export bundle as LIST describes it: an id and the period its data covers.
///
/// Times are unix seconds (GMT), exactly as the API reports them.
public struct ExportBundle: Sendable, Hashable, Codable, CustomStringConvertible {
    public var id: Int64
    public var start: Int64
    public var stop: Int64

    public init(id: Int64, start: Int64, stop: Int64) {
        self.id = id
        self.start = start
        self.stop = stop
    }

    public var description: String {
        "bundle \(id) [\(Timestamp.iso8601(start)) – \(Timestamp.iso8601(stop))]"
    }
}
