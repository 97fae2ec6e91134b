/// A bundle fetched to a local file and verified: its gzip stream ended with a matching CRC-32
/// and length (or, when a proxy already inflated it, its JSON document closed).
public struct DownloadedBundle: Sendable {
    public var id: Int64
    public var path: String
    /// Whether the file is gzip or plain.
    public var encoding: BodyEncoding
    public var byteCount: Int64
    /// What the file holds once inflated: an export bundle (a JSON array of events), NDJSON events,
    /// or something no stage can read events from (a CSV export).
    public var content: Artifact.Content

    public init(id: Int64, path: String, encoding: BodyEncoding, byteCount: Int64, content: Artifact.Content? = nil) {
        self.id = id
        self.path = path
        self.encoding = encoding
        self.byteCount = byteCount
        self.content = content ?? .bundle(encoding)
    }
}

extension DownloadedBundle {
    /// The file as the stages see it: named `ID.json.gz` (or `ID.json`) when it holds a bundle,
    /// `ID.ndjson.gz` for NDJSON, `ID.csv.gz` for anything else.
    public var artifact: Artifact {
        let gzip = encoding == .gzip ? ".gz" : ""
        let name =
            switch content {
            case .bundle(let encoding): "\(id).\(encoding.fileExtension)"
            case .ndjson: "\(id).ndjson\(gzip)"
            case .opaque: "\(id).csv\(gzip)"
            }
        return Artifact(name: name, path: path, byteCount: byteCount, content: content)
    }
}
