import FSExportSimulatedData
import FSExportSimulator
import Foundation
import FSExportTestSupport
import Testing

/// One name for one thing, errors in words, usage errors before any output (issue 8's bugs).
@Suite("One consistent command line", .serialized)
struct ConsistencyTests {
    @Test("A mistyped command is a usage error that suggests the command (lst: list), transpositions included")
    func commandSuggestion() async throws {
        for (typed, meant) in [("lst", "list"), ("rnu", "run"), ("valdiate", "validate")] {
            let result = try await FSExportBinary.run([typed])
            #expect(result.status == 64)
            #expect(result.stderr.contains("unknown command '\(typed)'; did you mean '\(meant)'?"), "\(result.stderr)")
        }
        #expect(try await FSExportBinary.run(["help"]).status == 0)
    }

    @Test("list takes --since like events and run; --start stays as a hidden alias; both at once is an error")
    func listSince() async throws {
        let since = try await FSExportBinary.run(["list", "--simulate", "--since", "2024-02-01"])
        let start = try await FSExportBinary.run(["list", "--simulate", "--start", "2024-02-01"])
        #expect(since.status == 0 && start.status == 0, "\(since.stderr)\(start.stderr)")
        #expect(since.stdout == start.stdout && since.stdout.split(separator: "\n").count == 1 + 14)  // a header and 14 February bundles
        let help = try await FSExportBinary.run(["list", "--help"])
        #expect(help.stdout.contains("--since") && !help.stdout.contains("--start"))
        #expect(try await FSExportBinary.run(["list", "--simulate", "--since", "0", "--start", "0"]).status == 64)
    }

    @Test("A bad --base-url is a usage error (64) before any output")
    func badBaseURL() async throws {
        for url in ["nope", "ftp://example.com", "http://", "https://x.example/?a=1"] {
            let result = try await FSExportBinary.run(["list", "--base-url", url], key: "k")
            #expect(result.status == 64, "\(url)")
            #expect(result.stdout.isEmpty, "\(url): \(result.stdout)")
            #expect(result.stderr.contains("--base-url must be an http(s) URL"))
        }
    }

    @Test("run takes --base-url and --api-key-file, as the other commands do")
    func runKeyFileAndBaseURL() async throws {
        let work = try TemporaryFolder("work")
        let key = "run-key-from-a-file"
        try "\(key)\n".write(toFile: "\(work)/key", atomically: true, encoding: .utf8)
        try "source: {start: 0, settle: 0s, state: \(work)/state.json, spool: \(work)/spool}\nstages:\n  raw: {type: files, inputs: [source], root: \(work), path: \"raw/{id}.json.gz\"}\n"
            .write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        try await withSimulator(SimulatorConfiguration(apiKey: key, dataset: SimulatedDataset(bundleCount: 2), rateLimit: nil)) { simulator in
            let result = try await FSExportBinary.run(
                ["run", "\(work)/p.yml", "--base-url", simulator.baseURL, "--api-key-file", "\(work)/key"], environment: [:])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try tree("\(work)/raw").count == 2)
            #expect(!result.stderr.contains(key))
        }
    }

    @Test("validate takes several files, reports each, and fails if any fails; a folder or a missing file is said in words")
    func validateSeveral() async throws {
        let work = try TemporaryFolder("work")
        try "source: {start: 0}\nstages:\n  raw: {type: files, inputs: [source], path: x}\n".write(toFile: "\(work)/good.yml", atomically: true, encoding: .utf8)
        try "source: {strat: 0}\nstages:\n  raw: {type: files, inputs: [source], path: x}\n".write(toFile: "\(work)/bad.yml", atomically: true, encoding: .utf8)
        let good = try await FSExportBinary.run(["validate", "\(work)/good.yml", "\(repositoryRoot)/examples/segments.fsexport.yml"])
        #expect(good.status == 0 && good.stdout.split(separator: "\n").count == 2, "\(good.stderr)")
        let mixed = try await FSExportBinary.run(["validate", "\(work)/good.yml", "\(work)/bad.yml", work.path, "\(work)/missing.yml"])
        #expect(mixed.status == 78)
        #expect(mixed.stdout.contains("good.yml: ok"))
        #expect(mixed.stderr.contains("bad.yml:1:10: error: unknown key 'strat'; did you mean 'start'?"), "\(mixed.stderr)")
        #expect(mixed.stderr.contains("\(work):1:1: error: this is a folder"))
        #expect(mixed.stderr.contains("missing.yml:1:1: error: no such file"))
        #expect(mixed.stderr.contains("3 of 4 files are invalid"))
        #expect(!mixed.stderr.contains("NSCocoaErrorDomain") && !mixed.stderr.contains("error 256"))
        let run = try await FSExportBinary.run(["run", work.path, "--simulate"])
        #expect(run.status == 78 && run.stderr.contains("this is a folder"))
    }

    @Test("Logs for machines: JSON lines with ts, level, message and fields; RFC 3339 times off a terminal; FSEXPORT_LOG_* variables")
    func machineLogs() async throws {
        let json = try await FSExportBinary.run(["list", "--simulate", "-v", "--until", "2024-01-03"], environment: ["FSEXPORT_LOG_FORMAT": "json"])
        #expect(json.status == 0)
        let objects = try json.stderr.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)") }
        #expect(objects.count >= 2)
        #expect(objects.allSatisfy { ($0["ts"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil && $0["level"] is String && $0["message"] is String })
        let call = try #require(objects.first { $0["method"] as? String == "GET" })
        #expect(call["path"] as? String == "/api/v1/export/list?start=0" && call["status"] as? Int == 200 && call["attempt"] as? Int == 1)

        let text = try await FSExportBinary.run(["list", "--simulate", "--until", "2024-01-03"], environment: ["FSEXPORT_LOG_LEVEL": "warning"])
        #expect(text.status == 0 && text.stderr.isEmpty, "\(text.stderr)")  // info is below warning
        let timed = try await FSExportBinary.run(["list", "--simulate", "--until", "2024-01-03", "--log-format", "text"])
        #expect(timed.stderr.split(separator: "\n").allSatisfy { $0.firstMatch(of: #/^\d{4}-\d\d-\d\dT[\d:.]+Z fsexport: /#) != nil }, "\(timed.stderr)")
        for (name, value) in [("FSEXPORT_LOG_FORMAT", "xml"), ("FSEXPORT_LOG_LEVEL", "loud")] {
            let bad = try await FSExportBinary.run(["list", "--simulate"], environment: [name: value])
            #expect(bad.status == 64 && bad.stderr.contains(name) && bad.stdout.isEmpty)
        }
    }

    @Test("No doubled prefixes: a pipeline error is file:line:column alone; -v lines are 'fsexport: debug: …'")
    func noDoubledPrefixes() async throws {
        let work = try TemporaryFolder("work")
        try "source: {start: '${NOPE}'}\nstages:\n  raw: {type: files, inputs: [source], path: x}\n".write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        let run = try await FSExportBinary.run(["run", "\(work)/p.yml", "--simulate"])
        #expect(run.status == 78)
        #expect(run.stderr.hasPrefix("\(work)/p.yml:1:"), "\(run.stderr)")
        #expect(!run.stderr.contains("fsexport: error: \(work)"))
        let verbose = try await FSExportBinary.run(["list", "--simulate", "-v", "--until", "2024-01-02"])
        #expect(!verbose.stderr.contains("fsexport: fsexport") && !verbose.stderr.contains("debug: fsexport:"), "\(verbose.stderr)")
        #expect(verbose.stderr.contains("fsexport: debug: GET /api/v1/export/list?start=0 → HTTP 200"))
    }

    @Test("--follow says when it looks next, each round; Ctrl-C while idle says 'stopping' and ends at once")
    func followSaysWhatItDoes() async throws {
        let work = try TemporaryFolder("work")
        try "source: {start: 0, settle: 0s, until: 2024-01-03, state: \(work)/state.json, spool: \(work)/spool}\nstages:\n  raw: {type: files, inputs: [source], root: \(work), path: \"raw/{id}.json.gz\"}\n"
            .write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        let (process, text) = try await LoggedRun.start(["run", "\(work)/p.yml", "--simulate", "--follow", "--interval", "1h"], in: work.path, until: "next check at")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(text().contains("2 bundles, 21.1 KiB downloaded") && text().contains("; next check at ") && text().contains("(every 1h)"), "\(text())")
        let took = await process.timeToEnd(after: SIGINT)
        await process.exited()
        #expect(took.map { $0 < SignalTests.promptly } == true, "\(String(describing: took))")
        #expect(process.terminationStatus == 130)
        #expect(text().contains("fsexport: warning: stopping\n") && !text().contains("after the bundle in progress"), "\(text())")
    }

    @Test("A DNS failure and a refused connection say so in words; timeouts are options of the API commands")
    func networkInWords() async throws {
        let dns = try await FSExportBinary.run(["list", "--base-url", "http://no-such-host.invalid", "--max-attempts", "1"], key: "k")
        #expect(dns.status == 5 && dns.stderr.contains("cannot resolve the host name (DNS)") && dns.stderr.contains("gave up after 1 attempt;"), "\(dns.stderr)")
        let refused = try await FSExportBinary.run(["list", "--base-url", "http://127.0.0.1:1", "--max-attempts", "1", "--connect-timeout", "2s", "--stall-timeout", "10s"], key: "k")
        #expect(refused.status == 5 && refused.stderr.contains("cannot connect to the host"), "\(refused.stderr)")
        for bad in [["--connect-timeout", "0s"], ["--stall-timeout", "soon"]] {
            #expect(try await FSExportBinary.run(["list", "--simulate"] + bad).status == 64)
        }
    }

    @Test("get -o FOLDER writes ID.json.gz inside it; a missing folder is refused before any download, with no .part left")
    func getIntoFolder() async throws {
        let work = try TemporaryFolder("work")
        let into = try await FSExportBinary.run(["get", "170406720048", "--simulate", "-o", work.path])
        #expect(into.status == 0, "\(into.stderr)")
        #expect(try work.tree().keys.sorted() == ["170406720048.json.gz"])
        let missing = try await FSExportBinary.run(["get", "170406720048", "--simulate", "-o", "\(work)/nope/b.json.gz", "-v"])
        #expect(missing.status == 64 && missing.stderr.contains("the folder \(work)/nope does not exist"))
        #expect(!missing.stderr.contains("GET /api/v1/export/get"))
        #expect(try work.tree().keys.sorted() == ["170406720048.json.gz"])
    }

    @Test("simulate on a busy port says so in words")
    func simulateBusyPort() async throws {
        try await withSimulator { simulator in
            let result = try await FSExportBinary.run(["simulate", "--port", "\(simulator.port)"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("cannot listen on 127.0.0.1:\(simulator.port): the port is in use"), "\(result.stderr)")
            #expect(!result.stderr.contains("errno") && !result.stderr.contains("bind(descriptor"))
        }
    }

    @Test("Every file a pipeline writes follows one rule: 0666 less the umask (0644 under 022, 0600 under 077)", arguments: ["022", "077"])
    func fileModes(_ umask: String) async throws {
        let work = try TemporaryFolder("work")
        try """
            source: {start: 0, settle: 0s, until: 2024-01-02, state: \(work)/state/state.json, spool: \(work)/spool}
            stages:
              raw: {type: files, inputs: [source], root: \(work)/out, path: "raw/{id}.json.gz"}
              lines: {type: files, inputs: [source], root: \(work)/out, format: ndjson, path: "lines/{id}.ndjson"}
              by_type: {type: ndjson, inputs: [source], split_by: EventType, compression: gzip}
              archive: {type: tar, inputs: [by_type], compression: gzip}
              count: {type: command, inputs: [source], shell: 'wc -l', output: '{id}.count'}
              kept: {type: files, inputs: [archive, count], root: \(work)/out, path: "kept/{name}"}
            """.write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        let result = try await Programs.shell("umask \(umask); exec '\(FSExportBinary.url.path)' run '\(work)/p.yml' --simulate")
        #expect(result.status == 0, "\(result.stderr)")
        let expected = umask == "022" ? 0o644 : 0o600
        var checked = 0
        let enumerator = FileManager.default.enumerator(atPath: work.path)!
        while let relative = enumerator.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(work)/\(relative)")
            guard attributes[.type] as? FileAttributeType == .typeRegular, relative != "p.yml" else { continue }
            #expect((attributes[.posixPermissions] as? Int) == expected, "\(relative)")
            checked += 1
        }
        #expect(checked >= 5)  // raw, lines, the archive, the count, the state file
    }
}

@testable import FSExportCommand
import FSExportCore

@Suite("status and reset", .serialized)
struct StatusResetTests {
    static func pipeline(_ work: String, extra: String = "") throws -> String {
        let file = "\(work)/p.yml"
        try """
            source: {start: 0, settle: 0s, state: \(work)/state.json, spool: \(work)/spool}
            stages:
              raw: {type: files, inputs: [source], root: \(work)/out, path: "{id}.json.gz"}
            \(extra)
            """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    static func status(_ file: String, _ extra: [String] = []) async throws -> [String: Any] {
        let result = try await FSExportBinary.run(["status", file, "--json"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test("status shows the checkpoint, the lag, the lock and what is available, from the same state file and listing as a run")
    func status() async throws {
        let work = try TemporaryFolder("work")
        let file = try Self.pipeline(work.path)
        let fresh = try await Self.status(file, ["--simulate"])
        #expect(fresh["bundle_id"] is NSNull && fresh["available"] as? Int == 45 && fresh["running"] as? Bool == false)
        #expect(try await FSExportBinary.run(["run", file, "--simulate", "--until", "2024-01-11", "-q"]).status == 0)
        let after = try await Self.status(file, ["--simulate"])
        let tenth = SimulatedDataset().bundle(at: 9)
        #expect(after["bundle_id"] as? Int64 == tenth.id && after["stop"] as? String == "2024-01-11T00:00:00Z")
        #expect(after["available"] as? Int == 35 && after["settling"] as? Int == 0)
        let lag = try #require(after["lag_seconds"] as? Int64)
        #expect(abs(lag - (Int64(Date().timeIntervalSince1970) - tenth.stop)) < 30)
        #expect(Set(after.keys) == ["bundle_id", "stop", "stop_unix", "committed_at", "lag_seconds", "running", "pid", "available", "settling", "ready_at"])
        #expect(after["stop_unix"] as? Int64 == tenth.stop)
        let offline = try await Self.status(file, ["--offline"])  // no key, no simulator: the state file alone
        #expect(offline["bundle_id"] as? Int64 == tenth.id && offline["available"] is NSNull)
        let text = try await FSExportBinary.run(["status", file, "--offline"])
        #expect(text.stdout.contains("checkpoint  bundle \(tenth.id), Stop 2024-01-11T00:00:00Z") && text.stdout.contains("running     no"))
    }

    @Test("status --json stays valid JSON whatever text a state file holds (quotes, backslashes, control characters)")
    func hostileStateText() async throws {
        let work = try TemporaryFolder("work")
        let file = try Self.pipeline(work.path)
        let text = "2024\"}, \"running\": true, \"x\\ \n\u{1}"
        let state = ["bundle_id": 170_406_720_048, "stop": 1_704_153_600, "delivered_at_stop": [170_406_720_048], "committed_at": text] as [String: Any]
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: "\(work)/state.json"))
        let status = try await Self.status(file, ["--offline"])
        #expect(status["committed_at"] as? String == text && status["running"] as? Bool == false)
    }

    @Test("status sees a run that holds the lock, with its pid; reset refuses to move the checkpoint under it (75)")
    func whileRunning() async throws {
        let work = try TemporaryFolder("work")
        let file = try Self.pipeline(work.path, extra: "  slow: {type: command, inputs: [source], shell: 'cat > /dev/null; touch \(work)/started; sleep 30'}")
        let process = try FSExportBinary.start(["run", file, "--simulate", "-q"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await waitUntil { FileManager.default.fileExists(atPath: "\(work)/started") }
        let status = try await Self.status(file, ["--offline"])
        #expect(status["running"] as? Bool == true && status["pid"] as? Int32 == process.processIdentifier)
        let reset = try await FSExportBinary.run(["reset", file, "--to", "0", "--yes"])
        #expect(reset.status == 75, "\(reset.stderr)")
        #expect(reset.stderr.contains("process \(process.processIdentifier) is running this pipeline") && reset.stderr.contains("Reset once it has ended"), "\(reset.stderr)")
        #expect(!reset.stderr.contains("this run delivered nothing"), "a run's words, not a reset's")
        #expect(!FileManager.default.fileExists(atPath: "\(work)/state.json"))
    }

    @Test("reset moves the checkpoint back (the next run delivers what follows it) and needs --yes without a terminal")
    func reset() async throws {
        let work = try TemporaryFolder("work")
        let file = try Self.pipeline(work.path)
        #expect(try await FSExportBinary.run(["run", file, "--simulate", "--until", "2024-01-06", "-q"]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(work)/state.json"))
        let unconfirmed = try await FSExportBinary.run(["reset", file, "--to", "2024-01-03"])
        #expect(unconfirmed.status == 64 && unconfirmed.stderr.contains("--yes"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(work)/state.json")) == before)
        let reset = try await FSExportBinary.run(["reset", file, "--to", "2024-01-03", "--yes"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stderr.contains("to 2024-01-03T00:00:00Z"))
        let status = try await Self.status(file, ["--offline"])
        #expect(status["bundle_id"] is NSNull && status["stop"] as? String == "2024-01-03T00:00:00Z")
        try FileManager.default.removeItem(atPath: "\(work)/out")
        let again = try await FSExportBinary.run(["run", file, "--simulate", "--until", "2024-01-06"])
        #expect(again.status == 0 && again.stderr.contains("3 bundles"), "\(again.stderr)")
        let dataset = SimulatedDataset()
        #expect(try tree("\(work)/out").keys.sorted() == (2...4).map { "\(dataset.bundle(at: $0).id).json.gz" })
    }
}

@Suite("Metrics", .serialized)
struct MetricsTests {
    /// The sample lines of a Prometheus text exposition, by name and labels, the `pipeline`
    /// label (on every series) left out: `name{reason="http_503"}`.
    static func samples(_ text: String, pipeline: String = "p") -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let key = line[..<space].replacingOccurrences(of: ",pipeline=\"\(pipeline)\"", with: "")
                .replacingOccurrences(of: "pipeline=\"\(pipeline)\"", with: "").replacingOccurrences(of: "{}", with: "")
            result[key] = value
        }
        return result
    }

    /// The exposition as Prometheus's own Python parser reads it: each family's name, type, help
    /// and samples (installed by `.ci/install-deps --tests` into .build-moto).
    static func parsed(_ path: String) async throws -> [[String: Any]] {
        let python = "\(LayeringTests.repository)/.build-moto/bin/python3"
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            print(json.dumps([{"name": f.name, "type": f.type, "help": f.documentation,
                               "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
                              for f in text_string_to_metric_families(open(sys.argv[1]).read())]))
            """
        let run = try await FSExportBinary.run(["-c", script, path], executable: python)
        try #require(run.status == 0, "prometheus_client could not read it (is it installed? .ci/install-deps --tests): \(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
    }

    @Test("run --metrics-file writes Prometheus text after the run, atomically: deliveries, events, bytes, retries by reason, stage failures and durations, success time, lag")
    func file() async throws {
        let work = try TemporaryFolder("work")
        try """
            source: {start: 0, settle: 0s, until: 2024-01-04, state: \(work)/state.json, spool: \(work)/spool, retry: {max_attempts: 5}}
            stages:
              raw: {type: files, inputs: [source], root: \(work)/out, path: "{id}.json.gz"}
              lines: {type: files, inputs: [source], root: \(work)/out, format: ndjson, path: "{id}.ndjson"}
            """.write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        try await withSimulator(SimulatorConfiguration(rateLimit: nil, faults: [FaultRule(.unavailable, on: .get, .requests([2]), retryAfter: 0)])) { simulator in
            let started = Int64(Date().timeIntervalSince1970)
            let run = try await FSExportBinary.run(
                ["run", "\(work)/p.yml", "--metrics-file", "\(work)/metrics/fsexport.prom"], key: simulator.configuration.apiKey,
                environment: ["FSEXPORT_BASE_URL": simulator.baseURL])
            #expect(run.status == 0, "\(run.stderr)")
            let samples = Self.samples(try String(contentsOfFile: "\(work)/metrics/fsexport.prom", encoding: .utf8))
            #expect(samples["fsexport_bundles_delivered_total"] == 3)
            #expect(samples["fsexport_events_delivered_total"] == 600)
            #expect((samples["fsexport_bytes_downloaded_total"] ?? 0) > 20_000)
            #expect(samples[#"fsexport_retries_total{reason="http_503"}"#] == 1)
            #expect(samples[#"fsexport_stage_failures_total{stage="raw"}"#] == 0)
            #expect(samples[#"fsexport_stage_duration_seconds_count{stage="lines"}"#] == 3)
            #expect((samples["fsexport_last_success_timestamp_seconds"] ?? 0) >= Double(started))
            let lag = Double(Int64(Date().timeIntervalSince1970) - SimulatedDataset().bundle(at: 2).stop)
            #expect(abs((samples["fsexport_checkpoint_lag_seconds"] ?? 0) - lag) < 60)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(work)/metrics") == ["fsexport.prom"])
        }
    }

    @Test("A failing stage is counted, and the metrics file is written for the failed run too")
    func failure() async throws {
        let work = try TemporaryFolder("work")
        try "source: {start: 0, settle: 0s, until: 2024-01-02, state: \(work)/state.json, spool: \(work)/spool}\nstages:\n  broken: {type: command, inputs: [source], shell: 'exit 3'}\n"
            .write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        let run = try await FSExportBinary.run(["run", "\(work)/p.yml", "--simulate", "--metrics-file", "\(work)/fsexport.prom"])
        #expect(run.status == 1)
        let samples = Self.samples(try String(contentsOfFile: "\(work)/fsexport.prom", encoding: .utf8))
        #expect(samples[#"fsexport_stage_failures_total{stage="broken"}"#] == 1)
        #expect(samples["fsexport_last_success_timestamp_seconds"] == nil)
        #expect(samples["fsexport_last_run_success"] == 0)
    }

    @Test("Metrics an alert can rely on: every series on every run, zero when idle, counters cumulative across runs, last success and lag kept through a failure, HELP and TYPE, a pipeline label; read by Prometheus's own parser")
    func acrossRuns() async throws {
        let work = try TemporaryFolder("work")
        try """
            source: {start: 0, settle: 0s, state: \(work)/state.json, spool: \(work)/spool}
            stages:
              raw: {type: files, inputs: [source], root: \(work)/out, path: "{id}.json.gz"}
              lines: {type: files, inputs: [source], root: \(work)/out, format: ndjson, path: "{id}.ndjson"}
            """.write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        let file = "\(work)/p.prom"
        try await withSimulator { simulator in
            func run(until: String, key: String = simulator.configuration.apiKey) async throws -> (status: Int32, samples: [String: Double]) {
                let run = try await FSExportBinary.run(
                    ["run", "\(work)/p.yml", "--until", until, "--metrics-file", file], key: key, environment: ["FSEXPORT_BASE_URL": simulator.baseURL])
                return (run.status, Self.samples(try String(contentsOfFile: file, encoding: .utf8)))
            }
            let first = try await run(until: "2024-01-03")
            #expect(first.status == 0)
            #expect(first.samples["fsexport_bundles_delivered_total"] == 2)
            #expect(first.samples["fsexport_last_run_success"] == 1)
            let succeeded = try #require(first.samples["fsexport_last_success_timestamp_seconds"])

            // Nothing new: every series is still there, the counters where they were.
            let idle = try await run(until: "2024-01-03")
            #expect(idle.status == 0)
            #expect(idle.samples["fsexport_bundles_delivered_total"] == 2, "cumulative, not this run's 0")
            #expect(idle.samples["fsexport_events_delivered_total"] == 400)
            #expect(idle.samples[#"fsexport_stage_failures_total{stage="raw"}"#] == 0)
            #expect(idle.samples[#"fsexport_stage_duration_seconds_count{stage="raw"}"#] != nil)
            let lastSuccess = try #require(idle.samples["fsexport_last_success_timestamp_seconds"])
            #expect(lastSuccess >= succeeded)

            // A failed run (the key refused) keeps last success and lag, and says it failed.
            let failed = try await run(until: "2024-01-04", key: "wrong-key")
            #expect(failed.status != 0)
            #expect(failed.samples["fsexport_last_run_success"] == 0)
            #expect(failed.samples["fsexport_last_success_timestamp_seconds"] == lastSuccess)
            let lag = Double(Int64(Date().timeIntervalSince1970) - SimulatedDataset().bundle(at: 1).stop)
            #expect(abs((failed.samples["fsexport_checkpoint_lag_seconds"] ?? 0) - lag) < 60)
            #expect(failed.samples["fsexport_bundles_delivered_total"] == 2)

            let again = try await run(until: "2024-01-04")
            #expect(again.samples["fsexport_bundles_delivered_total"] == 3)
            #expect(again.samples["fsexport_last_run_success"] == 1)

            // As Prometheus reads it: each family has its help and type, each sample the pipeline's label.
            let families = try await Self.parsed(file)
            let names = Set(families.compactMap { $0["name"] as? String })
            #expect(names.isSuperset(of: ["fsexport_bundles_delivered", "fsexport_events_delivered", "fsexport_bytes_downloaded", "fsexport_stage_failures",
                                          "fsexport_stage_duration_seconds", "fsexport_checkpoint_lag_seconds", "fsexport_last_success_timestamp_seconds",
                                          "fsexport_last_run_success"]), "\(names.sorted())")
            for family in families {
                #expect(!((family["help"] as? String) ?? "").isEmpty, "\(family["name"] ?? "?") has no HELP")
                #expect(["counter", "gauge", "histogram"].contains(family["type"] as? String ?? ""), "\(family["name"] ?? "?")")
                for sample in family["samples"] as? [[String: Any]] ?? [] {
                    #expect((sample["labels"] as? [String: String])?["pipeline"] == "p", "\(sample)")
                }
            }
        }
    }

    @Test("run --follow --metrics-address serves /metrics while it runs")
    func served() async throws {
        let work = try TemporaryFolder("work")
        try "source: {start: 0, settle: 0s, until: 2024-01-03, state: \(work)/state.json, spool: \(work)/spool}\nstages:\n  raw: {type: files, inputs: [source], root: \(work)/out, path: \"{id}.json.gz\"}\n"
            .write(toFile: "\(work)/p.yml", atomically: true, encoding: .utf8)
        let (process, text) = try await LoggedRun.start(
            ["run", "\(work)/p.yml", "--simulate", "--follow", "--metrics-address", "127.0.0.1:0"], in: work.path, until: "next check at")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let url = try #require(text().firstMatch(of: #/serving metrics at (http://127\.0\.0\.1:\d+/metrics)/#)?.1, "\(text())")
        let scrape = try await Programs.shell("curl -sf '\(url)'").stdout
        #expect(Self.samples(scrape)["fsexport_bundles_delivered_total"] == 2, "\(scrape)")
        let missing = try await Programs.shell("curl -s -o /dev/null -w '%{http_code}' '\(url.replacingOccurrences(of: "/metrics", with: "/other"))'")
        #expect(missing.stdout == "404")
        let health = try await Programs.shell("curl -s -w ' %{http_code}' '\(url.replacingOccurrences(of: "/metrics", with: "/healthz"))'").stdout
        #expect(health.hasPrefix("ok: the last run succeeded at ") && health.hasSuffix(" 200"), "\(health)")
        // Clients that never finish their request, or never send one, do not hold the run open:
        // Ctrl-C ends it, and its server with them, at once.
        let port = try #require(url.firstMatch(of: #/:(\d+)\//#).flatMap { UInt16($0.1) })
        let idle = try IdleClient(port: port, sending: "")
        defer { idle.close() }
        let halfway = try IdleClient(port: port, sending: "GET /metrics HTTP/1.1\r\nHost: x\r\n")
        defer { halfway.close() }
        try await Task.sleep(for: .milliseconds(200))
        kill(process.processIdentifier, SIGINT)
        #expect(try await waitUntil(within: .seconds(5)) { !process.isRunning }, "the run went on after Ctrl-C, with two clients connected")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        await process.exited()
        #expect(process.terminationStatus == 130)
        #expect(try await FSExportBinary.run(["run", "\(work)/p.yml", "--simulate", "--metrics-address", "127.0.0.1:0"]).status == 64)
    }
}

/// `fsexport` started in the background with its standard error in a file, for tests that read
/// what a long-running command says while it runs.
enum LoggedRun {
    /// Starts the command and waits (at most 30 s) until its log contains `text`.
    static func start(_ arguments: [String], in folder: String, until text: String) async throws -> (Process, @Sendable () -> String) {
        let log = "\(folder)/stderr-\(UUID().uuidString)"
        let process = try FSExportBinary.start(arguments, stderr: log)
        let read: @Sendable () -> String = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        try await waitUntil { read().contains(text) || !process.isRunning }
        return (process, read)
    }
}

/// A TCP connection to a local port that sends `text` and then nothing, until closed.
struct IdleClient {
    let descriptor: Int32

    init(port: UInt16, sending text: String) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let bytes = Array(text.utf8)
        guard connected == 0, bytes.isEmpty || write(descriptor, bytes, bytes.count) == bytes.count else {
            let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            Glibc.close(descriptor)
            throw error
        }
    }

    func close() { Glibc.close(descriptor) }
}
