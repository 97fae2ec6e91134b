import FSExportCore
import FSExportHTTP
import FSExportTestSupport
import Logging
import Synchronization
import Testing

/// The one retry layer, driven directly on a virtual clock: what it waits, when it gives up, and
/// what it leaves to its caller.
@Suite("The retry layer")
struct RetryingTests {
    struct GaveUp: Error, Equatable {
        var operation: String
        var attempts: Int
        var reason: String
    }

    static func retrying(_ policy: RetryPolicy, clock: VirtualClock) -> Retrying {
        Retrying(policy: policy, clocks: .virtual(clock), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) {
            GaveUp(operation: $0, attempts: $1, reason: $2)
        }
    }

    @Test("Failures that pass are retried with growing, jittered waits until one succeeds")
    func retriesUntilSuccess() async throws {
        let clock = VirtualClock()
        let policy = RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(8))
        let answer = try await Self.retrying(policy, clock: clock).run("LIST") { number, _ in
            if number < 6 { throw RetryableFailure("HTTP 503", category: "http_503") }
            return number
        }
        #expect(answer == 6)
        let waits = clock.waits
        try #require(waits.count == 5)
        // Half fixed, half random: 1 s, 2 s, 4 s, then the 8 s ceiling.
        for (wait, base) in zip(waits, [1.0, 2, 4, 8, 8]) {
            #expect(wait >= .seconds(base / 2) && wait <= .seconds(base), "\(waits)")
        }
    }

    @Test("A server's Retry-After is waited instead of the backoff, and a huge one is cut to the ceiling")
    func retryAfter() async throws {
        let clock = VirtualClock()
        let policy = RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(8), maxRetryAfter: .seconds(60))
        _ = try await Self.retrying(policy, clock: clock).run("GET") { number, _ in
            switch number {
            case 1: throw RetryableFailure("HTTP 429", category: "http_429", retryAfter: .seconds(17))
            case 2: throw RetryableFailure("HTTP 503", category: "http_503", retryAfter: .seconds(86_400 * 365))
            default: return number
            }
        }
        #expect(clock.waits == [.seconds(17), .seconds(60)])
    }

    @Test("It gives up at the attempt limit, or when the next wait would pass the time limit, naming the last reason")
    func givesUp() async throws {
        let clock = VirtualClock()
        let attempts = Atomic(0)
        await #expect(throws: GaveUp(operation: "LIST", attempts: 3, reason: "reset")) {
            try await Self.retrying(RetryPolicy(initialDelay: .seconds(1), maxAttempts: 3), clock: clock).run("LIST") { _, _ -> Int in
                attempts.add(1, ordering: .relaxed)
                throw RetryableFailure("reset", category: "reset")
            }
        }
        #expect(attempts.load(ordering: .relaxed) == 3)

        let timed = VirtualClock()
        await #expect(throws: GaveUp.self) {
            try await Self.retrying(RetryPolicy(initialDelay: .seconds(10), maxDelay: .seconds(10), maxElapsed: .seconds(30)), clock: timed).run("GET") { _, _ -> Int in
                throw RetryableFailure("timeout", category: "timeout")
            }
        }
        #expect(timed.now.offset <= .seconds(30))
    }

    @Test("Anything but a RetryableFailure ends the call at once: the caller's classification decides")
    func permanentErrorsPassThrough() async throws {
        struct Forbidden: Error {}
        let clock = VirtualClock()
        let attempts = Atomic(0)
        await #expect(throws: Forbidden.self) {
            try await Self.retrying(RetryPolicy(), clock: clock).run("LIST") { _, _ -> Int in
                attempts.add(1, ordering: .relaxed)
                throw Forbidden()
            }
        }
        #expect(attempts.load(ordering: .relaxed) == 1)
        #expect(clock.waits.isEmpty)
    }

    @Test("Every attempt takes a token: calls never come faster than the limit, retries included")
    func retriesTakeTokens() async throws {
        let clock = VirtualClock()
        var retrying = Self.retrying(RetryPolicy(initialDelay: .milliseconds(1), maxDelay: .milliseconds(1)), clock: clock)
        retrying.limiter = TokenBucket(RateLimit(burst: 1, perMinute: 6), clocks: .virtual(clock))
        _ = try await retrying.run("LIST") { number, _ in
            if number < 3 { throw RetryableFailure("HTTP 503", category: "http_503") }
            return number
        }
        // Three attempts, one token each: two refills of 10 s (with the bucket's margin) past the burst.
        #expect(clock.now.offset >= .seconds(20) && clock.now.offset < .seconds(25), "\(clock.waits)")
    }

    @Test("Transport failures are typed: the kinds no retry can fix say so")
    func transportKinds() {
        let permanent = TransportFailure.Kind.allCases.filter(\.isPermanent)
        #expect(Set(permanent) == [.tlsVerification, .redirectRefused, .tooManyRedirects, .badURL, .outOfMemory])
        #expect(RetryableFailure(TransportFailure(.reset, detail: "Connection reset by peer (curl error 56)")).category == "reset")
    }
}
