import FSExportCore

/// What a ``SegmentExportSource`` exports, and how often it asks how the export is getting on.
public struct SegmentExportSettings: Sendable, Equatable {
    /// What the export holds: the segment's events, or its individuals.
    public enum Kind: String, Sendable, CaseIterable {
        case events
        case individuals

        var apiValue: String { self == .events ? "TYPE_EVENT" : "TYPE_INDIVIDUAL" }
    }

    /// The file format Fullstory writes: `json` (one array) and `ndjson` decode to events; `csv`
    /// only suits stages that read files.
    public enum Format: String, Sendable, CaseIterable {
        case json
        case ndjson
        case csv

        var apiValue: String { "FORMAT_\(rawValue.uppercased())" }

        /// What the downloaded file holds, as the stages see it.
        func content(_ encoding: BodyEncoding) -> Artifact.Content {
            switch self {
            case .json: .bundle(encoding)
            case .ndjson: .ndjson(gzip: encoding == .gzip)
            case .csv: .opaque
            }
        }
    }

    public static let defaultBaseURL = "https://api.fullstory.com"
    /// The shortest and longest windows: an hour keeps the number of exports sane, a week keeps
    /// each export's file a size that finishes.
    public static let windowRange: ClosedRange<Int64> = 3600...(7 * 86_400)

    /// A saved segment's id, or a built-in one such as `everyone`.
    public var segment: String
    public var kind: Kind
    public var format: Format
    /// Seconds each export covers; windows are aligned to multiples of it (from 1970-01-01 UTC).
    public var window: Int64
    /// Field names to include (required in practice for CSV, whose columns change otherwise).
    public var fields: [String]?
    /// `SCOPE_EVENT`, `SCOPE_PAGES`, `SCOPE_SESSIONS` or `SCOPE_INDIVIDUAL`, passed through.
    public var scope: String?
    /// An IANA zone for relative dates in the segment, passed through.
    public var timezone: String?
    /// How long to wait between two looks at a running export (a pipeline file's is at least ``minimumPollInterval``).
    public var pollInterval: Duration
    /// How long one export may stay PENDING or RUNNING before the run gives up on it.
    public var pollTimeout: Duration
    /// Exports of one window created before giving up, when each ends FAILED.
    public var maxExportAttempts: Int
    /// Download locations asked for before giving up, when the storage host refuses each.
    public var maxLocationAttempts: Int

    public init(
        segment: String, kind: Kind = .events, format: Format = .json, window: Int64 = 86_400, fields: [String]? = nil,
        scope: String? = nil, timezone: String? = nil, pollInterval: Duration = .seconds(5), pollTimeout: Duration = .seconds(6 * 3600),
        maxExportAttempts: Int = 3, maxLocationAttempts: Int = 3
    ) {
        self.segment = segment
        self.kind = kind
        self.format = format
        self.window = window
        self.fields = fields
        self.scope = scope
        self.timezone = timezone
        self.pollInterval = pollInterval
        self.pollTimeout = pollTimeout
        self.maxExportAttempts = maxExportAttempts
        self.maxLocationAttempts = maxLocationAttempts
    }

    /// Checks what the API would refuse, before any request.
    public func validate() throws(ExportError) {
        guard !segment.isEmpty, !segment.contains(where: { $0 == "/" || $0.isWhitespace }) else {
            throw ExportError.configuration("segment must be a segment id such as 'everyone', without '/' or spaces, not '\(segment)'")
        }
        guard Self.windowRange.contains(window) else {
            throw ExportError.configuration("window must be between 1h and 7d, not \(DurationText.format(.seconds(window)))")
        }
        // The pipeline file's floor is ``minimumPollInterval``; a program embedding the source (or a
        // test against a simulator) may look more often, but never in a loop without a pause.
        guard pollInterval > .zero else { throw ExportError.configuration("poll_interval must be above 0") }
        guard pollTimeout > .zero else { throw ExportError.configuration("poll_timeout must be above 0") }
        guard maxExportAttempts >= 1, maxLocationAttempts >= 1 else {
            throw ExportError.configuration("attempt limits must be at least 1")
        }
    }

    /// The shortest wait between two looks at a running export that a pipeline file may set: each
    /// look is a call to the API.
    public static let minimumPollInterval = Duration.seconds(1)

    /// The state file's scope: ids are window starts, meaningful only for this segment, kind and window.
    public var checkpointScope: String {
        "segment exports (segment \(segment), \(kind.rawValue), window \(window)s)"
    }
}
