import FSExportSimulatedData
import Foundation
import FSExportTestSupport
import FSExportCore
import FSExportHTTP
import FSExportSimulator
import Testing

@testable import FSExportClient

@Suite("Rate limits, retries and errors")
struct PolitenessTests {
    @Test("Retry-After is obeyed: the retry waits the given seconds, not the backoff")
    func retryAfterObeyed() async throws {
        let configuration = SimulatorConfiguration(
            dataset: SimulatedDataset(bundleCount: 1, eventsPerBundle: 5), rateLimit: nil,
            faults: [FaultRule(.tooManyRequests, on: .list, .requests([1]), retryAfter: 3)])
        try await withSimulator(configuration) { simulator in
            let clock = VirtualClock()
            let retry = RetryPolicy(initialDelay: .seconds(60), maxDelay: .seconds(60), maxAttempts: 3)
            _ = try await makeClient(simulator, retry: retry, clocks: .virtual(clock)).listPage(start: 0)
            #expect(await simulator.requests.map(\.status) == [429, 200])
            #expect(clock.waits == [.seconds(3)])
        }
    }

    @Test("The server's own limit answers 429 with Retry-After, which the client waits out")
    func serverRateLimit() async throws {
        // One call, then a token every 10 s. The second call meets the empty bucket only if it comes
        // within those 10 s, which a machine busy with the whole suite's start could still miss; such a
        // round shows nothing and is run again. A client that ignored Retry-After would retry on its
        // own fast backoff and meet more 429s.
        let configuration = SimulatorConfiguration(dataset: SimulatedDataset(bundleCount: 1, eventsPerBundle: 5), rateLimit: (1, 6))
        var refusedAndWaited = false
        for _ in 0..<4 where !refusedAndWaited {
            try await withSimulator(configuration) { simulator in
                let client = try makeClient(simulator)
                _ = try await client.listPage(start: 0)
                _ = try await client.listPage(start: 0)
                let requests = await simulator.requests
                try #require(requests.count >= 2)
                guard requests[1].receivedAt - requests[0].receivedAt < .milliseconds(9500) else { return }
                #expect(requests.map(\.status) == [200, 429, 200])
                try #require(requests.count == 3)
                let waited = requests[2].receivedAt - requests[1].receivedAt
                #expect(waited >= .seconds(1), "the retry came \(waited) after the 429")
                refusedAndWaited = requests[1].status == 429
            }
        }
        #expect(refusedAndWaited, "in four rounds the second call never came within the 10 s refill")
    }

    @Test("The client's token bucket spaces calls once the burst is spent")
    func clientTokenBucket() async throws {
        try await withSimulator { simulator in
            let clock = VirtualClock()
            let client = try makeClient(simulator, rateLimit: RateLimit(burst: 2, perMinute: 10), clocks: .virtual(clock))
            for _ in 0..<4 { _ = try await client.listPage(start: 0) }
            #expect(await simulator.requests.map(\.status) == [200, 200, 200, 200])
            // The burst of two goes at once; then a token every 6 s, each wait with its margin (5%
            // and 0.3 s) for a server that counts from when calls arrive: the fourth goes at 12-13 s.
            #expect(clock.waits.count == 2, "\(clock.waits)")
            #expect(clock.now.offset >= .seconds(12) && clock.now.offset <= .seconds(13), "\(clock.waits)")
        }
    }

    @Test("A call's token is charged from when its answer began: the refill credited while it travelled is taken back")
    func latencyCharged() async throws {
        let clock = VirtualClock()
        let bucket = TokenBucket(RateLimit(burst: 1, perMinute: 60), clocks: .virtual(clock))
        try await bucket.acquire()
        await bucket.charge(latency: .milliseconds(700))
        try await bucket.acquire()
        // A second's refill, plus the 0.7 s the first call may have taken to reach the server.
        #expect(clock.now.offset >= .milliseconds(1700) && clock.now.offset <= .milliseconds(2100))
    }

    @Test("A transient failure that never ends gives up at the attempt limit")
    func givesUp() async throws {
        let configuration = SimulatorConfiguration(rateLimit: nil, faults: [FaultRule(.unavailable, on: .any, .always)])
        try await withSimulator(configuration) { simulator in
            let retry = RetryPolicy(initialDelay: .milliseconds(10), maxDelay: .milliseconds(20), maxAttempts: 3)
            await #expect(throws: ExportError.self) { _ = try await makeClient(simulator, retry: retry).listPage(start: 0) }
            do {
                _ = try await makeClient(simulator, retry: retry).listPage(start: 0)
            } catch ExportError.gaveUp(let attempts, let last) {
                #expect(attempts == 3)
                #expect(last.contains("503"))
            }
        }
    }

    @Test("401, 403 and 404 are not retried and say what to do, without the key")
    func permanentErrors() async throws {
        try await withSimulator { simulator in
            let wrongKey = "wrong-key-SECRET-123"
            let unauthorized = try #require(await Self.error { try await makeClient(simulator, key: wrongKey).listPage(start: 0) })
            #expect({ if case .unauthorized = unauthorized { true } else { false } }())
            #expect("\(unauthorized)".contains("API key was rejected"))
            #expect(!"\(unauthorized)".contains(wrongKey))

            let forbidden = try #require(await Self.error { try await makeClient(simulator, key: "standard-key").listPage(start: 0) })
            #expect("\(forbidden)".contains("Admin or Architect"))

            let folder = try TemporaryFolder()
            let missing = try #require(await Self.error { try await makeClient(simulator).download(42, to: folder.file("x")) })
            #expect("\(missing)".contains("bundle 42 does not exist"))

            #expect(await simulator.requests.map(\.status) == [401, 403, 404])
        }
    }

    static func error(_ body: () async throws -> some Any) async -> ExportError? {
        do {
            _ = try await body()
            return nil
        } catch let error as ExportError {
            return error
        } catch {
            return nil
        }
    }

    @Test("Backoff grows, is capped and jitters")
    func backoff() {
        let policy = RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(60))
        var random = SystemRandomNumberGenerator()
        let first = policy.backoff(retry: 1, random: &random)
        let fourth = policy.backoff(retry: 4, random: &random)
        let late = policy.backoff(retry: 40, random: &random)
        #expect(first >= .milliseconds(500) && first <= .seconds(1))
        #expect(fourth >= .seconds(4) && fourth <= .seconds(8))
        #expect(late >= .seconds(30) && late <= .seconds(60))
    }

    @Test("Retry-After reads seconds and HTTP dates")
    func retryAfterParsing() {
        #expect(RetryAfter.parse("30", now: 0) == .seconds(30))
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:00 GMT", now: 1_445_412_470) == .seconds(10))
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:00 GMT", now: 1_445_412_490) == .seconds(-10))
        #expect(RetryAfter.parse("soon", now: 0) == nil)
        #expect(RetryAfter.parse("Wed, 21 Oct 99999 07:28:00 GMT", now: 0) == nil)
    }

    @Test("The API key never prints")
    func keyRedacted() throws {
        let key = try APIKey("very-secret")
        #expect("\(key)" == "<redacted>")
        #expect(String(reflecting: key) == "APIKey(<redacted>)")
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("very-secret"))
        #expect(throws: ExportError.self) { try APIKey("  \n") }
    }
}
