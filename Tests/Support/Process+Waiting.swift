import Foundation

extension Process {
    /// Starts the process and waits for it to end without holding a thread of the concurrency pool
    /// (other tests run meanwhile on a machine of two cores).
    public func runToExit() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            terminationHandler = { _ in continuation.resume() }
            do {
                try run()
            } catch {
                terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }

    /// Sends `signal` and returns how long the process took to end, or nil when it still runs after
    /// `limit`. Timed on a thread of its own: a concurrency pool kept busy by other tests (the whole
    /// suite starting on two cores) would stretch the figure by seconds.
    public func timeToEnd(after signal: Int32, limit: Duration = .seconds(20)) async -> Duration? {
        await withCheckedContinuation { continuation in
            Thread {
                let clock = ContinuousClock()
                let sent = clock.now
                kill(self.processIdentifier, signal)
                while self.isRunning, clock.now - sent < limit { usleep(2_000) }
                continuation.resume(returning: self.isRunning ? nil : clock.now - sent)
            }.start()
        }
    }

    /// Waits for a process started elsewhere.
    public func exited() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
