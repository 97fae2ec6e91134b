/// Timeouts that suit multi-gigabyte downloads: a stalled transfer fails, a slow one does not.
///
/// A transfer averaging under ``stallBytesPerSecond`` over ``stallWindow`` counts as stalled and
/// is retried (resuming where it stood): a server that drips a few bytes a second never ends a
/// download otherwise. The default, 1 KiB/s over 2 minutes, is far below any working link.
public struct Timeouts: Sendable, Equatable {
    public var connect: Duration
    /// A transfer that moves fewer than ``stallBytesPerSecond`` for this long is abandoned (and retried).
    public var stallWindow: Duration
    public var stallBytesPerSecond: Int

    public init(connect: Duration = .seconds(30), stallWindow: Duration = .seconds(120), stallBytesPerSecond: Int = 1024) {
        self.connect = connect
        self.stallWindow = stallWindow
        self.stallBytesPerSecond = stallBytesPerSecond
    }
}
