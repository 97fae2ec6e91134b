import FSExportSimulatedData

/// Everything about how a simulator behaves. The defaults are the real API's.
public struct SimulatorConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    /// The key that is accepted (`Authorization: Basic <key>`).
    public var apiKey: String
    /// Keys that exist but lack the Admin or Architect role: answered with 403.
    public var standardKeys: Set<String>
    public var dataset: SimulatedDataset
    /// Bundles per LIST page.
    public var pageSize: Int
    /// The legacy API's limit: a burst of 50 calls refilled at 2 a minute. `nil` turns it off.
    /// (The Segment Export API publishes none: its endpoints answer 429 only through faults.)
    public var rateLimit: (burst: Int, perMinute: Double)?
    public var faults: [FaultRule]
    /// How the ID key of LIST entries is spelled: `Id`, as real responses do (clients written
    /// against the live API expect it), or `ID`, as the documentation's example prints it.
    public var idKey: String
    /// Print the LIST response exactly as the doc's example does, trailing comma included.
    public var documentationStyleJSON: Bool
    /// Mark GET bodies `Content-Encoding: gzip` (as some deployments do) instead of `application/gzip`.
    public var contentEncodingGzip: Bool
    /// Serve the inflated JSON, as a proxy that already gunzipped it would.
    public var servePlainJSON: Bool
    /// Honour `Range` requests on GET.
    public var supportsRanges: Bool
    /// Deflate level of served bundles: 0 stores (a multi-GB download without the CPU cost), 6 is realistic.
    public var gzipLevel: Int32
    /// Pause between pieces of a `slow` body.
    public var slowChunkDelay: Duration
    /// Where generated bundles are kept while the simulator runs; a temporary folder when nil.
    public var cacheDirectory: String?
    /// The segments a segment export may name (others are answered 404).
    public var segments: Set<String> = ["everyone"]
    /// Polls a segment export answers PENDING or RUNNING before it is COMPLETED: a large number
    /// makes a long-running export.
    public var exportRunningPolls = 2
    /// Seconds a download location stays valid.
    public var locationLifetime = 600

    public init(
        host: String = "127.0.0.1", port: Int = 0, apiKey: String = "simulator-key",
        standardKeys: Set<String> = ["standard-key"], dataset: SimulatedDataset = SimulatedDataset(),
        pageSize: Int = 20, rateLimit: (burst: Int, perMinute: Double)? = (50, 2), faults: [FaultRule] = [],
        idKey: String = "Id", documentationStyleJSON: Bool = false, contentEncodingGzip: Bool = false,
        servePlainJSON: Bool = false, supportsRanges: Bool = true, gzipLevel: Int32 = 6,
        slowChunkDelay: Duration = .milliseconds(20), cacheDirectory: String? = nil
    ) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.standardKeys = standardKeys
        self.dataset = dataset
        self.pageSize = pageSize
        self.rateLimit = rateLimit
        self.faults = faults
        self.idKey = idKey
        self.documentationStyleJSON = documentationStyleJSON
        self.contentEncodingGzip = contentEncodingGzip
        self.servePlainJSON = servePlainJSON
        self.supportsRanges = supportsRanges
        self.gzipLevel = gzipLevel
        self.slowChunkDelay = slowChunkDelay
        self.cacheDirectory = cacheDirectory
    }
}
