import Logging

/// Runs attempts under the shared token bucket until one succeeds, a fatal error ends it, or the
/// policy's limits are reached. Every retry is logged with its reason and wait.
struct RetryLoop {
    let policy: RetryPolicy
    let bucket: TokenBucket
    let logger: Logger
    let operation: String

    func run<T>(_ attempt: (_ number: Int) async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let started = clock.now
        var random = SystemRandomNumberGenerator()
        var number = 1
        var needsToken = true
        while true {
            // After an explicit Retry-After the server has told us when to call: that wait was our token.
            if needsToken { try await bucket.acquire() }
            do {
                return try await attempt(number)
            } catch AttemptFailure.fatal(let error) {
                throw error
            } catch AttemptFailure.transient(let reason, let retryAfter) {
                if let maxAttempts = policy.maxAttempts, number >= maxAttempts {
                    throw ExportError.gaveUp(attempts: number, lastError: "\(operation): \(reason)")
                }
                let wait = retryAfter ?? policy.backoff(retry: number, random: &random)
                if let maxElapsed = policy.maxElapsed, clock.now - started + wait > maxElapsed {
                    throw ExportError.gaveUp(attempts: number, lastError: "\(operation): \(reason)")
                }
                needsToken = retryAfter == nil
                let source = retryAfter == nil ? "backoff" : "Retry-After"
                logger.warning("\(operation) failed: \(reason); retry \(number) in \(Self.format(wait)) (\(source))")
                try await Task.sleep(for: wait)
                number += 1
            }
        }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = duration / .seconds(1)
        return seconds < 10 ? "\((seconds * 10).rounded() / 10)s" : "\(Int(seconds.rounded()))s"
    }
}
