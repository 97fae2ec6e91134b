/// The `source` section of a pipeline file: where bundles come from and how politely.
public struct SourceSettings: Decodable, Sendable {
    public struct Limits: Decodable, Sendable {
        public var burst: Int?
        public var perMinute: Double?
        enum CodingKeys: String, CodingKey {
            case burst
            case perMinute = "per_minute"
        }
    }

    public struct Retry: Decodable, Sendable {
        public var maxAttempts: Int?
        public var maxTime: String?
        /// The longest `Retry-After` obeyed (default 1h); a longer one waits this long, logged.
        public var maxRetryAfter: String?
        enum CodingKeys: String, CodingKey {
            case maxAttempts = "max_attempts"
            case maxTime = "max_time"
            case maxRetryAfter = "max_retry_after"
        }
    }

    /// Network timeouts: `connect` (default 30s); a transfer slower than `min_speed` (default
    /// 1KiB/s) for `stall` (default 2m) is abandoned and retried.
    public struct Timeouts: Decodable, Sendable {
        public var connect: String?
        public var stall: String?
        public var minSpeed: String?
        enum CodingKeys: String, CodingKey {
            case connect, stall
            case minSpeed = "min_speed"
        }
    }

    /// Where bundles come from: `api` (the legacy export API, the default), `directory` (bundle
    /// files below ``path``: an archive a files stage wrote) or `segments` (the Segment Export API,
    /// one export per ``window``).
    public var type: String?
    /// A `segments` source's segment: a saved segment's id, or `everyone`.
    public var segment: String?
    /// A `segments` source's export: `events` (the default) or `individuals`. (The API calls this
    /// `type`; here `type` names the kind of source.)
    public var exportType: String?
    /// A `segments` source's file format: `json` (default) or `ndjson`, both read as events; `csv`
    /// for stages that read files only.
    public var format: String?
    /// A `segments` source's window, 1h to 7d (default 1d): each export covers one, aligned to UTC.
    public var window: String?
    /// A `segments` source's fields (`fields`), `scope` and `timezone`, passed to the API as they are.
    public var fields: [String]?
    public var scope: String?
    public var timezone: String?
    /// How often a `segments` source looks at a running export (default 5s, at least 1s).
    public var pollInterval: String?
    /// How long a `segments` source waits for one export to finish before giving up (default 6h).
    public var pollTimeout: String?
    /// The folder of a `directory` source; relative to the pipeline file.
    public var path: String?
    /// A `directory` source's file names, with `{id}`: `export-{id}.gz`. Default `{id}.json.gz` and `{id}.json`.
    public var pattern: String?
    /// Default `https://export.fullstory.com` (`https://api.fullstory.com` for `segments`).
    public var baseURL: String?
    /// Usually `${FULLSTORY_API_KEY}`; or give `api_key_file`.
    public var apiKey: String?
    public var apiKeyFile: String?
    /// Where the first run begins (a time); later runs resume from the state file.
    public var start: String?
    public var until: String?
    /// Leave bundles whose Stop is more recent than this for a later run. Default 24h.
    public var settle: String?
    public var method: String?
    public var rateLimit: Limits?
    public var retry: Retry?
    public var headers: [String: String]?
    public var timeouts: Timeouts?
    /// Events larger than this are refused as a data error (default 1MiB; real events are a few KiB; a larger one raises memory by about three times the difference).
    public var maxEventSize: String?
    /// The state file. Default `.fsexport/NAME/state.json` beside the pipeline file, NAME being its
    /// file name without `.fsexport.yml` (one state per pipeline file).
    public var state: String?
    /// The spool folder for downloads. Default `.fsexport/NAME/spool` beside the pipeline file.
    public var spool: String?

    enum CodingKeys: String, CodingKey {
        case start, until, settle, method, retry, headers, state, spool, timeouts, type, path, pattern
        case segment, format, window, fields, scope, timezone
        case exportType = "export_type"
        case pollInterval = "poll_interval"
        case pollTimeout = "poll_timeout"
        case maxEventSize = "max_event_size"
        case baseURL = "base_url"
        case apiKey = "api_key"
        case apiKeyFile = "api_key_file"
        case rateLimit = "rate_limit"
    }
}

/// Printing or dumping the settings never shows the key.
extension SourceSettings: CustomReflectable {
    public var customMirror: Mirror {
        Mirror(self, children: [
            "baseURL": baseURL as Any, "apiKey": apiKey == nil ? "nil" : "<redacted>", "apiKeyFile": apiKeyFile as Any,
            "start": start as Any, "until": until as Any, "settle": settle as Any, "method": method as Any,
            "state": state as Any, "spool": spool as Any,
        ])
    }
}
