import Foundation

/// The two clocks fsexport reads, passed down from the engine's configuration so that a test can
/// run time forward instead of waiting for it:
/// - `wall`: unix seconds, what bundles, the state file, logs and HTTP dates speak;
/// - `waits`: what retries, rate limits, polls and timeouts wait on and measure with.
public struct Clocks: Sendable {
    public var wall: @Sendable () -> Int64
    public var waits: any Clock<Duration>

    public init(wall: @escaping @Sendable () -> Int64, waits: any Clock<Duration>) {
        self.wall = wall
        self.waits = waits
    }

    /// The machine's: the system time, and a monotonic clock for waits.
    public static let system = Clocks(wall: { Int64(Date().timeIntervalSince1970) }, waits: ContinuousClock())

    public func sleep(for duration: Duration) async throws {
        try await waits.sleep(for: duration)
    }

    /// Starts measuring on the waits clock.
    public func stopwatch() -> Stopwatch { Stopwatch(waits) }
}

/// Time elapsed since it was made, on one clock.
public struct Stopwatch: Sendable {
    public let elapsed: @Sendable () -> Duration

    init<C: Clock<Duration>>(_ clock: C) {
        let start = clock.now
        elapsed = { start.duration(to: clock.now) }
    }
}
