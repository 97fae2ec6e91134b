import FSExportBasics
import Logging
import Metrics

/// fsexport's one retry loop, shared by the API client, the segments source, the S3 sink and
/// `run --follow`: attempts under an optional rate limiter until one succeeds, one throws
/// anything but a ``RetryableFailure``, or the policy's limits are reached. Each retry waits the
/// policy's backoff or the server's `Retry-After` (clamped), is logged with its reason and wait,
/// and is counted in `fsexport_retries_total`; with `-v`, every HTTP call is logged once.
package struct Retrying: Sendable {
    package var policy: RetryPolicy
    /// Every attempt, retries included, takes a token first: whatever a server answers, calls
    /// never come faster than the limit.
    package var limiter: TokenBucket?
    package var clocks: Clocks
    package var logger: Logger
    /// The error to end with when the policy's attempts or time run out: the operation, the
    /// number of attempts and the last failure's reason.
    package var giveUp: @Sendable (_ operation: String, _ attempts: Int, _ reason: String) -> any Error

    package init(
        policy: RetryPolicy, limiter: TokenBucket? = nil, clocks: Clocks = .system, logger: Logger,
        giveUp: @escaping @Sendable (_ operation: String, _ attempts: Int, _ reason: String) -> any Error
    ) {
        self.policy = policy
        self.limiter = limiter
        self.clocks = clocks
        self.logger = logger
        self.giveUp = giveUp
    }

    /// Runs `attempt` until it returns. `operation` names it in the log: `LIST start=0`.
    package func run<T>(_ operation: String, _ attempt: (_ number: Int, _ timing: ResponseTiming) async throws -> T) async throws -> T {
        let stopwatch = clocks.stopwatch()
        var random = SystemRandomNumberGenerator()
        var number = 1
        while true {
            try await limiter?.acquire()
            let timing = ResponseTiming(clocks: clocks)
            let outcome = await Result { try await attempt(number, timing) }
            await limiter?.charge(latency: timing.latency())
            logCall(timing, attempt: number, outcome: outcome)
            let failure: RetryableFailure
            do {
                return try outcome.get()
            } catch let retryable as RetryableFailure {
                failure = retryable
            }
            // Refused for its rate: this client's count was optimistic; start again from empty.
            if failure.category == "http_429" { await limiter?.drain() }
            if let maxAttempts = policy.maxAttempts, number >= maxAttempts {
                throw giveUp(operation, number, failure.reason)
            }
            let wait = self.wait(before: number, after: failure, operation: operation, random: &random)
            if let maxElapsed = policy.maxElapsed, stopwatch.elapsed() + wait > maxElapsed {
                throw giveUp(operation, number, failure.reason)
            }
            Counter(label: "fsexport_retries_total", dimensions: [("reason", failure.category)]).increment()
            logger.warning(
                "\(operation) failed: \(failure.reason); retry \(number) in \(DurationText.seconds(wait)) (\(failure.retryAfter == nil ? "backoff" : "Retry-After"))",
                metadata: ["attempt": "\(number)", "wait_s": "\(DurationText.seconds(wait).dropLast())", "reason": "\(failure.category)"])
            try await clocks.sleep(for: wait)
            number += 1
        }
    }

    /// The backoff, or the server's own wait kept within bounds (and a word when it was not).
    private func wait(before retry: Int, after failure: RetryableFailure, operation: String, random: inout some RandomNumberGenerator) -> Duration {
        guard let asked = failure.retryAfter else { return policy.backoff(retry: retry, random: &random) }
        let clamped = RetryAfter.clamp(asked, ceiling: policy.maxRetryAfter)
        if let note = clamped.note { logger.notice("\(operation): \(note)") }
        return clamped.wait
    }

    /// `-v`: every call once, with its outcome, as data too (for JSON logs).
    private func logCall<T>(_ timing: ResponseTiming, attempt: Int, outcome: Result<T, any Error>) {
        guard logger.logLevel <= .debug, let call = timing.summary else { return }
        let seconds = DurationText.seconds(timing.sinceSent.elapsed())
        let status = call.status.map { "HTTP \($0)" } ?? "no answer"
        let failure: String
        switch outcome {
        case .success: failure = ""
        case .failure(let error as RetryableFailure): failure = ": \(error.reason)"
        case .failure(let error): failure = ": \(error)"
        }
        logger.debug(
            "\(call.request) → \(status), \(call.bytes) bytes in \(seconds) (attempt \(attempt))\(failure)",
            metadata: [
                "method": "\(call.request.prefix { $0 != " " })", "path": "\(call.request.drop { $0 != " " }.dropFirst())",
                "status": "\(call.status ?? 0)", "bytes": "\(call.bytes)", "duration_s": "\(seconds.dropLast())", "attempt": "\(attempt)",
            ])
    }
}

/// A failed attempt that another may fix: why, in words and as a metric label with few values,
/// and the wait the server asked for.
package struct RetryableFailure: Error, Sendable, CustomStringConvertible {
    package var reason: String
    /// `http_503`, `timeout`, `reset`, `damaged`, …
    package var category: String
    package var retryAfter: Duration?

    package init(_ reason: String, category: String, retryAfter: Duration? = nil) {
        self.reason = reason
        self.category = category
        self.retryAfter = retryAfter
    }

    /// A connection-level failure; the caller has checked it is not ``TransportFailure/Kind/isPermanent``.
    package init(_ transport: TransportFailure) {
        self.init(transport.description, category: transport.kind.rawValue)
    }

    /// An answer that was not what the caller needs (a short or damaged body): worth another try.
    package static func damaged(_ reason: String, retryAfter: Duration? = nil) -> RetryableFailure {
        RetryableFailure(reason, category: "damaged", retryAfter: retryAfter)
    }

    /// A status that passes (see ``HTTPStatus/isTransient(_:)``), with the server's `Retry-After`,
    /// read as seconds or as an HTTP date against `now`.
    package static func status(_ status: Int, headers: HeaderFields, now: Int64, detail: String = "") -> RetryableFailure {
        RetryableFailure(
            "HTTP \(status)\(HTTPStatus.phrase(status).map { " \($0)" } ?? "")\(detail.isEmpty ? "" : " \(detail)")",
            category: "http_\(status)", retryAfter: RetryAfter.parse(headers["retry-after"], now: now))
    }

    package var description: String { reason }
}

/// What fsexport's HTTP clients agree a status means.
package enum HTTPStatus {
    /// The statuses a server may answer differently in a moment: a timeout, its rate limit, its
    /// own or a gateway's failure.
    package static func isTransient(_ status: Int) -> Bool {
        [408, 429, 500, 502, 503, 504].contains(status)
    }

    package static func phrase(_ status: Int) -> String? {
        switch status {
        case 408: "Request Timeout"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: nil
        }
    }
}
