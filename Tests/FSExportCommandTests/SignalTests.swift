import Foundation
import FSExportTestSupport
import Testing

/// Ctrl-C and SIGTERM end a run within two seconds in every state: at once while nothing is being
/// delivered (listing, a retry's backoff, a Retry-After, the rate limit, a stalled transfer,
/// --follow's idle wait); after the bundle in progress on the first signal, at once on the second.
@Suite("Stopping a run")
struct SignalTests {
    static let bundle = ScriptedBundle(id: 170_406_720_048, start: 1_704_067_200, stop: 1_704_153_600, events: [#"{"EventType":"click"}"#])

    /// Starts `fsexport run` on a pipeline against `server`, with `stages` (files by default).
    static func start(_ server: ScriptedServer, in work: String, source extra: String = "", stages: String? = nil, arguments: [String] = []) throws -> Process {
        let file = "\(work)/p.yml"
        try """
            source:
              start: 0
              settle: 0s
              base_url: \(server.baseURL)
              api_key: scripted-server-key
              state: \(work)/state.json
              spool: \(work)/spool
              retry: {max_retry_after: 1h}
            \(extra)
            stages:
            \(stages ?? "  raw: {type: files, inputs: [source], root: \(work)/out, path: \"{id}.json.gz\"}")
            """.write(toFile: file, atomically: true, encoding: .utf8)
        return try FSExportBinary.start(["run", file, "-q"] + arguments)
    }

    /// Waits until `condition` holds (at most 30 s), then a little longer, so the run is inside its wait.
    static func wait(until condition: () -> Bool) async throws {
        #expect(try await waitUntil(condition))
        try await Task.sleep(for: .milliseconds(300))
    }

    /// Sends `signals` (the last when the run has not ended after the ones before) and returns the
    /// exit status and how long the last signal took to end the run.
    static func stop(_ process: Process, with signal: Int32) async -> (status: Int32, took: Duration) {
        // Bounded: a run that ignores the signal fails the test instead of hanging the suite.
        guard let took = await process.timeToEnd(after: signal) else {
            Issue.record("still running 20 s after signal \(signal)")
            kill(process.processIdentifier, SIGKILL)
            await process.exited()
            return (process.terminationStatus, .seconds(20))
        }
        await process.exited()
        return (process.terminationStatus, took)
    }

    /// "At once": a stop takes milliseconds, and anything it waits for takes far longer than this;
    /// the margin is for a loaded CI machine.
    static let promptly: Duration = .seconds(3)

    enum Wait: String, CaseIterable, Sendable {
        case backoff, retryAfter, rateLimit, stalledTransfer
    }

    static func server(for wait: Wait) throws -> ScriptedServer {
        switch wait {
        case .backoff:
            return try ScriptedServer { _ in .json("{}", status: 503) }
        case .retryAfter:
            return try ScriptedServer { _ in .json("{}", status: 503, headers: [("Retry-After", "600")]) }
        case .rateLimit:
            return try ScriptedExportAPI.server([bundle])
        case .stalledTransfer:
            return try ScriptedServer { request in
                request.path.hasSuffix("list")
                    ? .json(ScriptedExportAPI.listBody([bundle]))
                    : ScriptedServer.Response(headers: [("Content-Type", "application/gzip")], body: ScriptedExportAPI.gzip(bundle.json), dripBytesPerSecond: 1)
            }
        }
    }

    @Test("Nothing being delivered: SIGINT and SIGTERM end the run at once with 130 and 143", arguments: Wait.allCases, [SIGINT, SIGTERM])
    func stopWhileWaiting(_ wait: Wait, _ signal: Int32) async throws {
        let work = try TemporaryFolder("work")
        let server = try Self.server(for: wait)
        let limit = wait == .rateLimit ? "  rate_limit: {burst: 1, per_minute: 0.5}" : ""
        let process = try Self.start(server, in: work.path, source: limit)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // By the fourth call the pending backoff is 4 to 8 s: waiting it out could not pass for promptness.
        let calls = wait == .backoff ? 4 : 1
        try await Self.wait { server.requestCount >= calls }
        let (status, took) = await Self.stop(process, with: signal)
        #expect(status == 128 + signal)
        #expect(took < Self.promptly, "\(wait) took \(took) to stop")
        #expect(!FileManager.default.fileExists(atPath: "\(work)/state.json"))
    }

    @Test("--follow between rounds: the first signal ends it at once")
    func stopWhileIdle() async throws {
        let work = try TemporaryFolder("work")
        let server = try ScriptedExportAPI.server([Self.bundle])
        let process = try Self.start(server, in: work.path, arguments: ["--follow", "--interval", "1h"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await Self.wait { FileManager.default.fileExists(atPath: "\(work)/state.json") }
        let (status, took) = await Self.stop(process, with: SIGINT)
        #expect(status == 130)
        #expect(took < Self.promptly)
    }

    @Test("--follow, signalled during a delivery: the bundle finishes, then the run ends, without waiting out the interval")
    func followStopsAfterTheBundle() async throws {
        let work = try TemporaryFolder("work")
        let server = try ScriptedExportAPI.server([Self.bundle])
        let marker = "\(work)/started"
        let process = try Self.start(
            server, in: work.path, stages: "  slow: {type: command, inputs: [source], shell: 'cat > /dev/null; touch \(marker); sleep 1'}",
            arguments: ["--follow", "--interval", "1h"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await Self.wait { FileManager.default.fileExists(atPath: marker) }
        let (status, took) = await Self.stop(process, with: SIGINT)
        #expect(status == 130)
        #expect(took < .seconds(5), "it waited \(took)")
        #expect(FileManager.default.fileExists(atPath: "\(work)/state.json"))  // the bundle was finished and recorded
    }

    @Test("During delivery the first signal lets the bundle finish; the second aborts it at once, with the signal's status")
    func secondSignalAborts() async throws {
        let work = try TemporaryFolder("work")
        let server = try ScriptedExportAPI.server([Self.bundle])
        let marker = "\(work)/started"
        let process = try Self.start(server, in: work.path, stages: "  slow: {type: command, inputs: [source], shell: 'cat > /dev/null; touch \(marker); sleep 30'}")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await Self.wait { FileManager.default.fileExists(atPath: marker) }
        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .seconds(1))
        #expect(process.isRunning, "the first signal must let the bundle in progress finish")
        let (status, took) = await Self.stop(process, with: SIGTERM)
        #expect(status == 143)
        #expect(took < Self.promptly)
        #expect(!FileManager.default.fileExists(atPath: "\(work)/state.json"))
        #expect(processes(running: "sleep 30").isEmpty)
    }
}

@Suite("Hostile numbers at the command line")
struct HostileNumberCommandTests {
    @Test("A LIST with a Start near Int64's minimum is a data error (exit 6), not a crash, also with -v")
    func listEdge() async throws {
        let server = try ScriptedServer { _ in .json(#"{"exports":[{"Id":1,"Start":-9223372036854775808,"Stop":1}]}"#) }
        let result = try await FSExportBinary.run(["list", "--base-url", server.baseURL, "-v"], key: "scripted-server-key")
        #expect(result.status == 6, "\(result.stderr)")
        #expect(result.stderr.contains("outside 1970"))
    }

    @Test("A state file holding an absurd Stop is refused with its path (exit 1), not trapped on, also with -v")
    func stateEdge() async throws {
        let work = try TemporaryFolder("work")
        let server = try ScriptedExportAPI.server([SignalTests.bundle])
        try #"{"bundle_id": 1, "stop": 9223372036854775807, "committed_at": ""}"#.write(toFile: "\(work)/state.json", atomically: true, encoding: .utf8)
        try "source: {start: 0, settle: 0s, base_url: \(server.baseURL), api_key: scripted-server-key, state: \(work)/state.json}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n"
            .write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        let result = try await FSExportBinary.run(["run", "\(work)/p.yml", "-v"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(work)/state.json"))
    }
}

@Suite("Time options")
struct TimeOptionTests {
    @Test("A negative relative time is a value, also as a separate argument (--start -7d, --since -2d)", arguments: [
        ["list", "--simulate", "--start", "-7d"],
        ["events", "--simulate", "--since", "-9999d", "--until", "2024-01-03"],
        ["list", "--simulate", "--start", "-9999d", "--until", "-1000w"],
    ])
    func negativeRelativeTimes(_ arguments: [String]) async throws {
        let result = try await FSExportBinary.run(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("Missing value"))
        if arguments[0] == "events" { #expect(result.stdout.split(separator: "\n").count == 400) }
    }
}
