/// A bundle fetched to a local file and verified: its gzip stream ended with a matching CRC-32
/// and length (or, when a proxy already inflated it, its JSON document closed).
public struct DownloadedBundle: Sendable {
    public var id: Int64
    public var path: String
    public var encoding: BodyEncoding
    public var byteCount: Int64

    public init(id: Int64, path: String, encoding: BodyEncoding, byteCount: Int64) {
        self.id = id
        self.path = path
        self.encoding = encoding
        self.byteCount = byteCount
    }
}

extension DownloadedBundle {
    /// The bundle file as the stages see it: named `ID.json.gz` (or `ID.json`), holding a bundle.
    public var artifact: Artifact {
        Artifact(name: "\(id).\(encoding.fileExtension)", path: path, byteCount: byteCount, content: .bundle(encoding))
    }
}
