import Foundation
import FSExportCore
import FSExportHTTP
import FSExportTestSupport
import Testing

@testable import FSExportClient

/// Servers that answer what no real export API would: the client stays polite, bounded and
/// alive, and says what is wrong.
@Suite("Hostile servers")
struct HostileServerTests {
    static func client(
        _ server: ScriptedServer, rateLimit: RateLimit = .unlimited, retry: RetryPolicy = RetryPolicy(), timeouts: Timeouts = Timeouts(),
        clocks: Clocks = .system
    ) throws -> ExportClient {
        ExportClient(configuration: ExportClientConfiguration(
            apiKey: try APIKey("k"), baseURL: server.baseURL, rateLimit: rateLimit, retry: retry, timeouts: timeouts, clocks: clocks))
    }

    /// Runs `body` until `server` has seen `count` requests (30 s at most), then cancels it, and
    /// returns the shortest gap between two requests. Gaps only grow on a busy machine, so a lower
    /// bound on them is a test that load cannot break.
    static func shortestGap(_ server: ScriptedServer, requests count: Int, _ body: @escaping @Sendable () async throws -> Void) async throws -> Duration {
        let task = Task { try await body() }
        try await waitUntil { server.requestCount >= count }
        task.cancel()
        _ = await task.result
        let arrivals = server.arrivals
        #expect(arrivals.count >= count)
        return zip(arrivals, arrivals.dropFirst()).map { $1 - $0 }.min() ?? .zero
    }

    @Test("Retry-After: 0 or negative cannot make the client flood: waits have a floor of one second", arguments: ["0", "-5", "-9223372036854775808"])
    func retryAfterFloor(_ value: String) async throws {
        let server = try ScriptedServer { _ in .json("{}", status: 503, headers: [("Retry-After", value)]) }
        let client = try Self.client(server)
        let gap = try await Self.shortestGap(server, requests: 3) { _ = try await client.listPage(start: 0) }
        #expect(gap >= .milliseconds(950), "requests \(gap) apart")
    }

    @Test("Every retry takes a token from the bucket, even one a server asked for at once")
    func retriesTakeTokens() async throws {
        let server = try ScriptedServer { _ in .json("{}", status: 503, headers: [("Retry-After", "0")]) }
        let client = try Self.client(server, rateLimit: RateLimit(burst: 1, perMinute: 30))  // a token every 2 s
        let gap = try await Self.shortestGap(server, requests: 2) { _ = try await client.listPage(start: 0) }
        #expect(gap >= .milliseconds(1900), "requests \(gap) apart")
    }

    @Test("A huge Retry-After waits the ceiling (retry.max_retry_after), without trapping", arguments: ["9223372036854775807", "99999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
    func retryAfterCeiling(_ value: String) async throws {
        let server = try ScriptedServer { _ in .json("{}", status: 503, headers: [("Retry-After", value)]) }
        let clock = VirtualClock()
        let client = try Self.client(server, retry: RetryPolicy(maxAttempts: 2, maxRetryAfter: .seconds(1)), clocks: .virtual(clock, wall: 1_700_000_000))
        await #expect(throws: ExportError.self) { _ = try await client.listPage(start: 0) }
        #expect(server.requestCount == 2)
        #expect(clock.waits == [.seconds(1)], "the ceiling, not the hours (or years) the header asks for")
    }

    @Test(
        "LIST numbers at the edge are a data error, not a crash",
        arguments: [
            #"{"Id":1,"Start":-9223372036854775808,"Stop":1}"#,
            #"{"Id":1,"Start":0,"Stop":9223372036854775807}"#,
            #"{"Id":0,"Start":0,"Stop":1}"#,
            #"{"Id":-1,"Start":0,"Stop":1}"#,
            #"{"Id":1,"Start":5,"Stop":4}"#,
            #"{"Id":1,"Start":0,"Stop":99999999999999999999}"#,
            #"{"Id":1,"Start":0.5,"Stop":1}"#,
        ])
    func listNumbers(_ entry: String) async throws {
        let server = try ScriptedServer { _ in .json(#"{"exports":[\#(entry)]}"#) }
        await #expect(throws: ExportError.self) { _ = try await Self.client(server).listPage(start: 0) }
        do {
            _ = try await Self.client(server).listPage(start: 0)
        } catch let error as ExportError {
            guard case .invalidResponse = error else { Issue.record("\(error)"); return }
        }
    }

    @Test("Trailing commas are removed outside strings only; bytes that are not UTF-8 are refused, not trapped on")
    func trailingCommas() throws {
        let cleaned = ListResponse.removingTrailingCommas(Data(#"{"a":"x,]","b":[1,2,],}"#.utf8))
        #expect(String(decoding: cleaned, as: UTF8.self) == #"{"a":"x,]","b":[1,2 ] }"#)
        let invalid = Data(#"{"exports": [{"ID": 1, "Stop": 2,  "#.utf8) + Data([0xFF, 0xFF, 0xFF]) + Data(#"  },]}"#.utf8)
        #expect(throws: ExportError.self) { try ListResponse.decode(invalid) }
    }

    @Test("A LIST that ignores start ends the listing as a data error instead of paging forever")
    func listIgnoringStart() async throws {
        let server = try ScriptedServer { _ in
            .json(#"{"exports":[{"Id":100,"Start":0,"Stop":100},{"Id":200,"Start":100,"Stop":200}]}"#)
        }
        var yielded: [Int64] = []
        do {
            for try await bundle in try Self.client(server).bundles(from: 0) { yielded.append(bundle.id) }
            Issue.record("the listing ended without an error")
        } catch let error as ExportError {
            #expect("\(error)".contains("not after start"))
        }
        #expect(yielded == [100, 200])
        #expect(server.requestCount == 2)
    }

    @Test("A page out of Stop order is delivered in Stop order, each bundle once")
    func outOfOrderPage() async throws {
        let server = try ScriptedServer { request in
            guard request.query["start"] == "0" else { return .json(#"{"exports":[]}"#) }
            return .json(#"{"exports":[{"Id":300,"Start":200,"Stop":300},{"Id":100,"Start":0,"Stop":100},{"Id":300,"Start":200,"Stop":300},{"Id":200,"Start":100,"Stop":200}]}"#)
        }
        var yielded: [Int64] = []
        for try await bundle in try Self.client(server).bundles(from: 0) { yielded.append(bundle.id) }
        #expect(yielded == [100, 200, 300])
    }

    @Test("A body that drips a few bytes a second is a stall: retried, then given up, not waited on for ever")
    func drippingBody() async throws {
        let server = try ScriptedServer { _ in
            ScriptedServer.Response(
                headers: [("Content-Type", "application/gzip")], body: ScriptedExportAPI.gzip("[" + (0..<500).map { #"{"EventType":"click","n":\#($0)},"# }.joined() + "{}]"),
                dripBytesPerSecond: 2)
        }
        let client = try Self.client(
            server, retry: RetryPolicy(initialDelay: .milliseconds(10), maxAttempts: 2),
            timeouts: Timeouts(stallWindow: .seconds(1), stallBytesPerSecond: 100))
        let folder = try TemporaryFolder()
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await client.download(1, to: folder.file("b"))
            Issue.record("a dripping download finished")
        } catch let error as ExportError {
            guard case .gaveUp = error else { Issue.record("\(error)"); return }
            #expect("\(error)".contains("too slow"), "\(error)")
        }
        #expect(server.requestCount == 2)
        #expect(clock.now - started >= .seconds(2))  // each attempt ran its stall window: the speed, not the data, ended it
        // The body (about 1.2 kB at 2 B/s) would take ten minutes an attempt; the bound leaves room for a loaded machine.
        #expect(clock.now - started < .seconds(30))
        // Without settings, a few bytes a second still count as stalled (1 B/s used to pass).
        #expect(Timeouts().stallBytesPerSecond >= 512)
    }

    @Test(
        "Times and durations at the edge are refused, never trap",
        arguments: ["9223372036854775807", "-9223372036854775808", "-9999999999999999w", "-999999999999d", "99999-01-01", "1969-12-31", "0x10"])
    func timeEdges(_ text: String) {
        #expect(throws: Timestamp.ParseError.self) { try Timestamp.parse(text, now: 1_700_000_000) }
    }

    @Test("Durations at the edge are refused, never trap", arguments: ["1e300", "inf", "nan", "-1s", "9999999999999d", "99999999999999999999", "1e20ms", "١s"])
    func durationEdges(_ text: String) {
        #expect(throws: DurationText.ParseError.self) { try DurationText.parse(text) }
    }

    @Test("A key with a control character (a binary file read as a key) is refused in words, never sent", arguments: ["}" + String(repeating: "\0", count: 57), "key\u{1B}[2J", "ab\u{7F}cd"])
    func keyWithControls(_ text: String) {
        #expect {
            _ = try APIKey(text)
        } throws: { error in
            "\(error)".contains("the API key contains the control character U+") && !"\(error)".contains(text)
        }
    }

    @Test("A connection that failed for want of file descriptors says so, with the limit, not 'check the firewall'")
    func outOfDescriptors() {
        let refused = TransportFailure(.connectionRefused, detail: "Couldn't connect to server (curl error 7)")
        #expect(refused.description.contains("firewall"))
        let exhausted = TransportFailure(.outOfFileDescriptors, detail: "Couldn't connect to server (curl error 7)")
        #expect(exhausted.description.contains("ran out of file descriptors (ulimit -n \(TransportFailure.descriptorLimit.map(String.init) ?? "?"))"))
        #expect(!exhausted.description.contains("firewall"))
        #expect(!TransportFailure.descriptorsExhausted())  // this test process has descriptors to spare
    }
}
