import FSExportCore
import Synchronization

/// A clock on which time passes only when someone waits: each sleep moves it to its deadline at
/// once. Logic that waits (backoff, a lock's patience, a poll's timeout) runs in no time, and
/// what it waited is read back exactly.
public final class VirtualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))
    private let sleeps = Mutex<[Duration]>([])

    public init() {}

    public var now: Instant { current.withLock { $0 } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Every wait asked of this clock, in order.
    public var waits: [Duration] { sleeps.withLock { $0 } }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        current.withLock { now in
            sleeps.withLock { $0.append(deadline.offset - now.offset) }
            now = max(now, deadline)
        }
        await Task.yield()  // what runs beside the sleeper gets its turn, as it would in real time
    }
}

extension Clocks {
    /// Waits on `clock`; the wall clock starts at `wall` and moves with it.
    public static func virtual(_ clock: VirtualClock, wall: Int64 = 1_700_000_000) -> Clocks {
        Clocks(wall: { wall + clock.now.offset.components.seconds }, waits: clock)
    }
}
