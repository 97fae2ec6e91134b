
/// The bundle being delivered: what LIST said of it, and the verified file it was downloaded to.
public struct BundleContext: Sendable {
    /// The bundle's id, as LIST and GET know it.
    public let id: Int64
    /// Unix seconds.
    public let start: Int64
    /// Unix seconds.
    public let stop: Int64
    /// The downloaded bundle, as an artifact named `ID.json.gz` (or `ID.json` if it came inflated).
    public let file: Artifact
    /// Whether ``file`` holds gzip bytes or, when a proxy inflated the body, plain JSON.
    public let encoding: BodyEncoding

    /// What ``file`` holds once inflated: an export bundle, unless the source delivers NDJSON or
    /// a file with no events (a CSV segment export).
    public let content: Artifact.Content

    /// Events larger than this are refused as a data error.
    public let maximumEventSize: Int

    /// Whether the bundle is delivered again on purpose: in a re-export window (`--since`), or at
    /// or before the furthest Stop the state file ever reached (after `fsexport reset`). A sink
    /// that remembers what it loaded (a database's ledger) replaces such a bundle rather than
    /// skip it; a bundle it remembers that is not delivered again on purpose is one a killed run
    /// loaded before the state file recorded it.
    public var isRedelivery = false

    /// When the delivery began, in unix seconds on the engine's wall clock (``Clocks``): the time a
    /// sink records as "loaded at", so that a test that sets the clock can check it.
    public var deliveredAt: Int64

    /// `content` defaults to an export bundle in `encoding`.
    public init(
        id: Int64, start: Int64, stop: Int64, file: Artifact, encoding: BodyEncoding, content: Artifact.Content? = nil,
        maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize
    ) {
        self.id = id
        self.start = start
        self.stop = stop
        self.file = file
        self.encoding = encoding
        self.content = content ?? .bundle(encoding)
        self.maximumEventSize = maximumEventSize
        deliveredAt = Clocks.system.wall()
    }

    /// The bundle as listed, and the file it was fetched to.
    public init(_ bundle: ExportBundle, file: DownloadedBundle, maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize) {
        self.init(
            id: bundle.id, start: bundle.start, stop: bundle.stop, file: file.artifact, encoding: file.encoding, content: file.content,
            maximumEventSize: maximumEventSize)
    }

    /// A decoder for the events of the bundle file, for sinks that read the file and want its
    /// events too: `try await bundle.makeDecoder().decode { batch in … }`. Throws a ``SinkError`` when the source delivers files that hold no events (a CSV export).
    /// `indexing` names a field whose value is located in each event on the way (``ReadsField``).
    public func makeDecoder(indexing field: String? = nil) throws -> BundleDecoder {
        try BundleDecoder(path: file.path, content: content, bundleID: id, maximumEventSize: maximumEventSize, indexing: field)
    }
}
