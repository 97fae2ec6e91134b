/// Exponential backoff with jitter for transient failures.
///
/// By default the client keeps trying, as the API documentation asks ("retry until the request
/// succeeds"), with each wait capped at ``maxDelay``.
public struct RetryPolicy: Sendable, Equatable {
    public var initialDelay: Duration
    public var maxDelay: Duration
    /// Total attempts before giving up; `nil` keeps trying.
    public var maxAttempts: Int?
    /// Time since the first attempt after which no new attempt starts; `nil` keeps trying.
    public var maxElapsed: Duration?
    /// Consecutive downloads whose gzip data fails its checksum before the bundle is declared damaged.
    public var maxCorruptDownloads: Int
    /// The longest a server's `Retry-After` is obeyed; a longer one waits this long (and says so).
    public var maxRetryAfter: Duration

    public init(
        initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60),
        maxAttempts: Int? = nil, maxElapsed: Duration? = nil, maxCorruptDownloads: Int = 5,
        maxRetryAfter: Duration = .seconds(3600)
    ) {
        self.maxRetryAfter = maxRetryAfter
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.maxElapsed = maxElapsed
        self.maxCorruptDownloads = maxCorruptDownloads
    }

    /// The wait before retry number `retry` (1-based): half fixed, half random, so that waits
    /// still grow while many clients spread out.
    package func backoff(retry: Int, random: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let base = min(initialDelay * (1 << exponent), maxDelay)
        let seconds = base / .seconds(1)
        return .seconds(seconds / 2 + Double.random(in: 0...(seconds / 2), using: &random))
    }
}
