import FSExportBasics

/// A limit on calls: a burst, refilled at a rate.
///
/// The export API allows a burst of 50 calls, refilled at 2 a minute. Waiting here costs nothing;
/// being refused costs a `Retry-After`.
public struct RateLimit: Sendable, Equatable {
    public var burst: Int
    public var perMinute: Double

    public init(burst: Int = 50, perMinute: Double = 2) {
        self.burst = burst
        self.perMinute = perMinute
    }

    /// The documented limits of the export API.
    public static let fullstory = RateLimit()
    /// No client-side limit (the server's 429 still applies).
    public static let unlimited = RateLimit(burst: .max, perMinute: .infinity)
}

/// A token bucket shared by every call of one client, so that in steady state the client waits
/// for its turn instead of being refused by the server.
public actor TokenBucket {
    private let capacity: Double
    private let refillPerSecond: Double
    private var tokens: Double
    private let clocks: Clocks
    private let stopwatch: Stopwatch
    private var lastRefill: Duration = .zero

    public init(_ limit: RateLimit, clocks: Clocks = .system) {
        capacity = Double(limit.burst)
        refillPerSecond = limit.perMinute / 60
        tokens = capacity
        self.clocks = clocks
        stopwatch = clocks.stopwatch()
    }

    /// Takes one token, waiting until one is available.
    public func acquire() async throws {
        while true {
            refill()
            if tokens >= 1 {
                tokens -= 1
                return
            }
            // A little past the refill: the server counts from when requests arrive, and one
            // request's trip can be slower than the next's (a new connection, a busy machine) by a
            // few hundred milliseconds. Against the API's 30 s refill, the margin costs under 1%.
            let wait = (1 - tokens) / refillPerSecond * 1.05 + 0.3
            try await clocks.sleep(for: .seconds(wait))
        }
    }

    /// A call took its token when it was sent, but the server counted it when it arrived, up to
    /// `latency` later: the refill credited in between may not exist on the server's side, so it
    /// is taken back. (A download's latency is the time to its first byte, not to its end.)
    public func charge(latency: Duration) {
        guard refillPerSecond.isFinite, latency > .zero else { return }
        refill()
        tokens -= min(latency / .seconds(1), 60) * refillPerSecond
    }

    /// The server said we are over its limit: our count was optimistic, so start again from empty.
    public func drain() {
        refill()
        tokens = min(tokens, 0)
    }

    private func refill() {
        let now = stopwatch.elapsed()
        let elapsed = (now - lastRefill) / .seconds(1)
        lastRefill = now
        guard refillPerSecond.isFinite else {
            tokens = capacity
            return
        }
        tokens = min(capacity, tokens + elapsed * refillPerSecond)
    }
}
