import FSExportCore
import FSExportHTTP
import Logging
import Metrics

/// Runs attempts under the shared token bucket until one succeeds, a fatal error ends it, or the
/// policy's limits are reached. Every retry is logged with its reason and wait.
struct RetryLoop {
    let policy: RetryPolicy
    let bucket: TokenBucket
    let logger: Logger
    let operation: String

    func run<T>(_ attempt: (_ number: Int, _ timing: ResponseTiming) async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let started = clock.now
        var random = SystemRandomNumberGenerator()
        var number = 1
        while true {
            // Every attempt takes a token, retries included: whatever a server answers, the client
            // never calls faster than the rate limit.
            try await bucket.acquire()
            let timing = ResponseTiming()
            let outcome = await Result { try await attempt(number, timing) }
            await bucket.charge(latency: timing.latency())
            logCall(timing, attempt: number, outcome: outcome)
            do {
                return try outcome.get()
            } catch AttemptFailure.fatal(let error) {
                throw error
            } catch AttemptFailure.transient(let reason, let retryAfter) {
                if let maxAttempts = policy.maxAttempts, number >= maxAttempts {
                    throw ExportError.gaveUp(attempts: number, lastError: "\(operation): \(reason)")
                }
                var wait = policy.backoff(retry: number, random: &random)
                if let retryAfter {
                    let clamped = RetryAfter.clamp(retryAfter, ceiling: policy.maxRetryAfter)
                    if let note = clamped.note { logger.notice("\(operation): \(note)") }
                    wait = clamped.wait
                }
                if let maxElapsed = policy.maxElapsed, clock.now - started + wait > maxElapsed {
                    throw ExportError.gaveUp(attempts: number, lastError: "\(operation): \(reason)")
                }
                let source = retryAfter == nil ? "backoff" : "Retry-After"
                Counter(label: "fsexport_retries_total", dimensions: [("reason", Self.category(reason))]).increment()
                logger.warning(
                    "\(operation) failed: \(reason); retry \(number) in \(Self.format(wait)) (\(source))",
                    metadata: ["attempt": "\(number)", "wait_s": "\(Self.format(wait).dropLast())", "reason": "\(reason)"])
                try await Task.sleep(for: wait)
                number += 1
            }
        }
    }

    /// `-v`: every call, with its outcome, as data too (for JSON logs).
    private func logCall<T>(_ timing: ResponseTiming, attempt: Int, outcome: Result<T, any Error>) {
        guard logger.logLevel <= .debug, let call = timing.summary else { return }
        let seconds = Self.format(ContinuousClock.now - timing.sent)
        let status = call.status.map { "HTTP \($0)" } ?? "no answer"
        let failure: String
        switch outcome {
        case .success: failure = ""
        case .failure(AttemptFailure.transient(let reason, _)): failure = ": \(reason)"
        case .failure(let error): failure = ": \(error)"
        }
        logger.debug(
            "\(call.request) → \(status), \(call.bytes) bytes in \(seconds) (attempt \(attempt))\(failure)",
            metadata: [
                "method": "\(call.request.prefix { $0 != " " })", "path": "\(call.request.drop { $0 != " " }.dropFirst())",
                "status": "\(call.status ?? 0)", "bytes": "\(call.bytes)", "duration_s": "\(seconds.dropLast())", "attempt": "\(attempt)",
            ])
    }

    /// A retry's reason as a metric label with few values: `http_503`, `network`, `damaged`.
    static func category(_ reason: String) -> String {
        if reason.hasPrefix("HTTP "), let status = reason.dropFirst(5).prefix(while: \.isNumber).nilIfEmpty { return "http_\(status)" }
        if reason.contains("curl error") { return "network" }
        return "damaged"
    }

    static func format(_ duration: Duration) -> String {
        let seconds = duration / .seconds(1)
        return seconds < 10 ? "\((seconds * 10).rounded() / 10)s" : "\(Int(seconds.rounded()))s"
    }
}

extension Substring {
    fileprivate var nilIfEmpty: Substring? { isEmpty ? nil : self }
}
