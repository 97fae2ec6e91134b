import Synchronization

/// Compressor states (a deflate stream, a zstd context) kept for reuse by level: making one costs
/// more than compressing a block, and a block is compressed on whichever thread is free. The pool
/// holds at most as many as were ever in use at once (one a core).
public final class ContextPool<Context, Failure: Error>: Sendable {
    private struct Idle: @unchecked Sendable {  // a context is used by one thread at a time, then handed back
        let context: Context
        let level: Int32
    }

    private let idle = Mutex<[Idle]>([])
    private let make: @Sendable (Int32) throws(Failure) -> Context
    private let reuse: @Sendable (Context) -> Void

    /// - Parameters:
    ///   - make: a new context for a level.
    ///   - reuse: readies a context that was used before (a reset).
    public init(make: @escaping @Sendable (Int32) throws(Failure) -> Context, reuse: @escaping @Sendable (Context) -> Void = { _ in }) {
        self.make = make
        self.reuse = reuse
    }

    /// Runs `body` with a context for `level`, taken from the pool or made, and puts it back after.
    public func with<T>(level: Int32, _ body: (Context) throws(Failure) -> T) throws(Failure) -> T {
        let context = try take(level: level)
        defer { idle.withLock { $0.append(Idle(context: context, level: level)) } }
        return try body(context)
    }

    private func take(level: Int32) throws(Failure) -> Context {
        if let found = idle.withLock({ idle in idle.firstIndex { $0.level == level }.map { idle.remove(at: $0) } }) {
            reuse(found.context)
            return found.context
        }
        return try make(level)
    }
}
