import FSExportSimulatedData
import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import FSExportTestSupport
import Logging
import Testing

@Suite("Delivering bundles through pipelines", .serialized)
struct DeliveryTests {
    static let fullPipeline = """
        source:
          start: 2024-01-01
          settle: 0s
        stages:
          raw:
            type: files
            inputs: [source]
            path: raw/{start:%Y/%m/%d}/{id}.json.gz
          by_type:
            type: ndjson
            inputs: [source]
            split_by: EventType
            max_lines: 40
            compression: gzip
          archive:
            type: tar
            inputs: [by_type]
            compression: gzip
          archives:
            type: files
            inputs: [archive]
            path: tar/{name}
          lines:
            type: files
            inputs: [source]
            format: ndjson
            path: ndjson/{id}.ndjson
        """

    @Test("Every stage gets every bundle: raw files as downloaded, split parts in a tar, NDJSON lines")
    func fullPipeline() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", Self.fullPipeline)
        try await withSimulator(.pipelineTests()) { simulator in
            let summary = try await runPipeline(file, simulator: simulator)
            let dataset = simulator.configuration.dataset
            #expect(summary.bundles == dataset.bundles.map(\.id))
            #expect(summary.events == 900)

            let client = ExportClient(configuration: ExportClientConfiguration(apiKey: try APIKey("simulator-key"), baseURL: simulator.baseURL, rateLimit: .unlimited))
            for bundle in dataset.bundles {
                let reference = try await client.download(bundle.id, to: "\(workspace.path)/reference")
                let day = Timestamp.iso8601(bundle.start).prefix(10).replacingOccurrences(of: "-", with: "/")
                #expect(try workspace.bytes("raw/\(day)/\(bundle.id).json.gz") == Data(contentsOf: URL(fileURLWithPath: reference.path)))
                unlink(reference.path)

                let lines = String(decoding: try workspace.bytes("ndjson/\(bundle.id).ndjson"), as: UTF8.self).split(separator: "\n")
                #expect(lines.count == bundle.eventCount)

                // Read the archive back with tar: parts per event type, none over 40 lines, all events there.
                let listing = try await Programs.shell("tar -tzf tar/\(bundle.id).tar.gz", directory: workspace.path).stdout.split(separator: "\n")
                #expect(listing == listing.sorted())
                let all = try await Programs.shell("tar -xzOf tar/\(bundle.id).tar.gz | gzip -dc", directory: workspace.path).stdout.split(separator: "\n")
                #expect(all.count == bundle.eventCount)
                if bundle.eventCount > 0 {
                    #expect(listing.contains { $0.hasPrefix("click/\(bundle.id)-0002.ndjson.gz") })
                    let clicks = try await Programs.shell("tar -xzOf tar/\(bundle.id).tar.gz --wildcards 'click/*' | gzip -dc", directory: workspace.path).stdout
                    #expect(clicks.split(separator: "\n").allSatisfy { $0.contains(#""EventType":"click""#) })
                    let perPart = try await Programs.shell("for f in $(tar -tzf tar/\(bundle.id).tar.gz); do tar -xzOf tar/\(bundle.id).tar.gz $f | gzip -dc | wc -l; done", directory: workspace.path).stdout
                    #expect(perPart.split(separator: "\n").allSatisfy { Int($0.trimmingCharacters(in: .whitespaces)).map { $0 <= 40 } == true })
                }
            }
            #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/.fsexport-tmp"))
            let state = try CheckpointStore(path: "\(workspace.path)/.fsexport/p/state.json").load()
            #expect(state?.bundleID == dataset.bundles.last?.id)
        }
    }

    @Test("A re-run is byte-identical, and resumes where the last one stopped")
    func deterministicAndResumable() async throws {
        let first = try TemporaryFolder("pipeline")
        let second = try TemporaryFolder("pipeline")
        try await withSimulator(.pipelineTests()) { simulator in
            let bundles = simulator.configuration.dataset.bundles
            try await runPipeline(try first.write("p.yml", Self.fullPipeline), simulator: simulator)
            let file = try second.write("p.yml", Self.fullPipeline)
            let part = try await runPipeline(file, simulator: simulator, until: bundles[1].stop)
            #expect(part.bundles == [bundles[0].id, bundles[1].id])
            let rest = try await runPipeline(file, simulator: simulator)
            #expect(rest.bundles == bundles[2...].map(\.id))
            let nothing = try await runPipeline(file, simulator: simulator)
            #expect(nothing.bundles.isEmpty)
        }
        let a = try first.tree()
        let b = try second.tree()
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a == b)
    }

    @Test("A failing stage fails the bundle everywhere: nothing of it is committed, nor checkpointed")
    func failingStage() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              raw: {type: files, inputs: [source], path: "raw/{id}.json.gz"}
              check:
                type: command
                inputs: [source]
                shell: 'cat > /dev/null; if [ "$FSEXPORT_BUNDLE_ID" = "$FAIL_ID" ]; then echo "bad bundle $FSEXPORT_BUNDLE_ID" >&2; exit 3; fi'
                environment: {FAIL_ID: "${FAIL_ID}"}
            """)
        try await withSimulator(.pipelineTests()) { simulator in
            let bundles = simulator.configuration.dataset.bundles
            setenv("FAIL_ID", String(bundles[1].id), 1)
            defer { unsetenv("FAIL_ID") }
            let pipeline = try Pipeline.load(path: file)
            let engine = try pipeline.makeEngine(overrides: .init(baseURL: simulator.baseURL, apiKey: try APIKey("simulator-key")), logger: quietLogger)
            do {
                _ = try await engine.runOnce()
                Issue.record("the failing stage went unnoticed")
            } catch let failure as StageFailure {
                #expect(failure.stage == "check")
                #expect(failure.bundleID == bundles[1].id)
                #expect("\(failure)".contains("exited with status 3"))
                #expect("\(failure)".contains("bad bundle \(bundles[1].id)"))
            }
            #expect(FileManager.default.fileExists(atPath: "\(workspace.path)/raw/\(bundles[0].id).json.gz"))
            #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/raw/\(bundles[1].id).json.gz"))
            #expect(try CheckpointStore(path: "\(workspace.path)/.fsexport/p/state.json").load()?.bundleID == bundles[0].id)
        }
    }

    @Test("Commands get the bundle in their environment, never the API key; stdout can feed a files stage")
    func commandEnvironmentAndOutput() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              filter:
                type: command
                inputs: [source]
                command: [jq, -c, 'select(.EventType == "navigate")']
                output: "{id}-navigate.ndjson"
              seen:
                type: files
                inputs: [filter]
                path: "navigate/{name}"
              count:
                type: command
                inputs: [source]
                input: json
                command: [jq, length]
                output: "{id}.count"
              counts:
                type: files
                inputs: [count]
                path: "counts/{name}"
              env:
                type: command
                inputs: [source]
                input: gzip
                shell: 'gzip -dc | head -c 0; env | grep -E "^(FSEXPORT|FULLSTORY)" | sort > env-$FSEXPORT_BUNDLE_ID.txt'
            """)
        setenv("FULLSTORY_API_KEY", "secret-in-parent", 1)
        defer { unsetenv("FULLSTORY_API_KEY") }
        try await withSimulator(.pipelineTests(bundles: 2)) { simulator in
            try await runPipeline(file, simulator: simulator)
            let bundle = simulator.configuration.dataset.bundle(at: 0)
            let environment = String(decoding: try workspace.bytes("env-\(bundle.id).txt"), as: UTF8.self)
            #expect(environment.contains("FSEXPORT_BUNDLE_ID=\(bundle.id)"))
            #expect(environment.contains("FSEXPORT_BUNDLE_START=\(bundle.start)"))
            #expect(environment.contains("FSEXPORT_FILE_NAME=\(bundle.id).json.gz"))
            #expect(!environment.contains("FULLSTORY_API_KEY"))
            #expect(String(decoding: try workspace.bytes("counts/\(bundle.id).count"), as: UTF8.self) == "\(bundle.eventCount)\n")
            let navigate = String(decoding: try workspace.bytes("navigate/\(bundle.id)-navigate.ndjson"), as: UTF8.self)
            #expect(!navigate.isEmpty)
            #expect(navigate.split(separator: "\n").allSatisfy { $0.contains(#""EventType":"navigate""#) })
        }
    }

    @Test(
        "A command that fails, stops reading, or overruns its timeout fails the bundle with a reason",
        arguments: [
            ("command: [sh, -c, 'exit 7']", "exited with status 7"),
            ("command: [head, -c, '10']", "stopped reading"),
            ("{shell: 'sleep 5', timeout: 300ms}", "timeout of 300ms"),
            ("command: [sh, -c, 'kill -9 $$$$']", "killed by signal 9"),
            ("command: [no-such-program-fsexport]", "cannot run"),
        ])
    func commandFailures(_ options: String, _ reason: String) async throws {
        let workspace = try TemporaryFolder("pipeline")
        let body = options.hasPrefix("{") ? "    bad: \(options.dropLast()), type: command, inputs: [source]}" : "    bad: {type: command, inputs: [source], \(options)}"
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n\(body)\n")
        try await expectFailure(of: file, in: workspace, stage: "bad", because: reason, events: 20_000)
    }

    @Test("Files stay under their root: '..' is refused when the file is loaded, symbolic links that lead out when writing")
    func pathsStayUnderRoot() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let outside = try TemporaryFolder("pipeline")
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/out", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(workspace.path)/out/link", withDestinationPath: outside.path)
        let escaping = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], root: out, path: \"../escape/{id}.gz\"}\n")
        #expect(throws: PipelineFileError.self) { try Pipeline.load(path: escaping, environment: [:]) }
        let linked = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], root: out, path: \"link/{id}.gz\"}\n")
        try await withSimulator(.pipelineTests(bundles: 1)) { simulator in
            await #expect(throws: StageFailure.self) { try await runPipeline(linked, simulator: simulator) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/escape"))
    }

    @Test("if_exists: skip keeps what is there; error refuses to replace other contents, and accepts the same bytes again")
    func existingFiles() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await withSimulator(.pipelineTests(bundles: 1)) { simulator in
            let id = simulator.configuration.dataset.bundle(at: 0).id
            try "keep me".write(toFile: "\(workspace.path)/\(id).json.gz", atomically: true, encoding: .utf8)
            let skip = try workspace.write("skip.yml", "source: {start: 0, settle: 0s, state: skip.state}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\", if_exists: skip}\n")
            try await runPipeline(skip, simulator: simulator)
            #expect(String(decoding: try workspace.bytes("\(id).json.gz"), as: UTF8.self) == "keep me")
            let error = try workspace.write("error.yml", "source: {start: 0, settle: 0s, state: error.state}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\", if_exists: error}\n")
            do {
                try await runPipeline(error, simulator: simulator)
                Issue.record("an existing file was replaced")
            } catch {
                #expect("\(error)".contains("already exists with other contents"))
            }
            #expect(String(decoding: try workspace.bytes("\(id).json.gz"), as: UTF8.self) == "keep me")

            // The same bytes are the bundle delivered before (a crash before the checkpoint): no conflict.
            try FileManager.default.removeItem(atPath: "\(workspace.path)/\(id).json.gz")
            try await runPipeline(error, simulator: simulator)
            let delivered = try workspace.bytes("\(id).json.gz")
            try FileManager.default.removeItem(atPath: "\(workspace.path)/error.state")
            #expect(try await runPipeline(error, simulator: simulator).bundles == [id])
            #expect(try workspace.bytes("\(id).json.gz") == delivered)
        }
    }

    @Test("An external sink that refuses a bundle fails it, and is told to abort")
    func externalRefusal() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let program = try workspace.write("refuse.sh", """
            while read -r line; do
              case "$line" in
                *'"end"'*) echo '{"ok":false,"error":"disk full"}' ;;
                *'"abort"'*) echo aborted > aborted.txt; echo '{"ok":true}'; exit 0 ;;
              esac
            done
            """)
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  ext: {type: external, inputs: [source], command: [sh, \(program)]}\n")
        try await withSimulator(.pipelineTests(bundles: 1)) { simulator async throws in
            do {
                try await runPipeline(file, simulator: simulator)
                Issue.record("the refusal went unnoticed")
            } catch {
                #expect("\(error)".contains("refused 'end': disk full"), "\(error)")
            }
            #expect(FileManager.default.fileExists(atPath: "\(workspace.path)/aborted.txt"))
        }
    }

    @Test("An external program that cannot start, stops reading, lingers, or overruns its timeout fails the bundle instead of hanging", .timeLimit(.minutes(1)), arguments: [
        ("command: [no-such-program-fsexport]", "cannot run no-such-program-fsexport"),
        ("command: [sh, -c, 'head -n 1 >/dev/null; exit 3']", "exited with status 3"),
        // Closes its input and lives on: killed, with the child it started, after the grace period.
        ("command: [sh, -c, 'exec 0<&-; sleep 31.7'], grace_period: 500ms", "did not exit within 500ms and was killed"),
        // Takes everything, answers, but never exits.
        ("command: [sh, -c, 'while read -r l; do case $l in *end*|*commit*) echo {\\\"ok\\\":true};; esac; done; sleep 31.8'], grace_period: 500ms",
         "did not exit within 500ms"),
        // Neither reads nor exits: its input fills up.
        ("command: [sh, -c, 'sleep 31.9'], timeout: 500ms", "took longer than its timeout of 500ms (it was killed by signal 9)"),
        // Reads everything but never answers.
        ("command: [sh, -c, 'cat >/dev/null; sleep 31.6'], timeout: 500ms", "took longer than its timeout of 500ms"),
    ])
    func externalMisbehaves(_ options: String, _ reason: String) async throws {
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  ext: {type: external, inputs: [source], \(options)}\n")
        try await expectFailure(of: file, in: workspace, stage: "ext", because: reason, events: 5_000)
        if let sleeper = options.firstMatch(of: /sleep [0-9.]+/) {
            // Nothing it started outlives it (the process group is ended with it): gone within seconds.
            #expect(try await waitUntil(within: .seconds(5)) { processes(running: String(sleeper.output)).isEmpty })
        }
    }

    @Test("A second run of a pipeline that is running does nothing and names the process that holds it", .timeLimit(.minutes(1)))
    func overlappingRuns() async throws {
        let workspace = try TemporaryFolder("pipeline")
        // The first run's command waits for a go-ahead, so that the two runs surely overlap.
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              slow: {type: command, inputs: [source], shell: 'cat >/dev/null; touch started; while [ ! -e go ]; do sleep 0.05; done'}
              raw: {type: files, inputs: [source], path: "{id}.json.gz"}
            """)
        try await withSimulator(.pipelineTests(bundles: 2)) { simulator async throws in
            async let first = runPipeline(file, simulator: simulator)
            while !FileManager.default.fileExists(atPath: "\(workspace.path)/started") { try await Task.sleep(for: .milliseconds(20)) }
            do {
                try await runPipeline(file, simulator: simulator)
                Issue.record("two runs of one pipeline overlapped")
            } catch let busy as PipelineBusy {
                #expect(busy.processID == getpid())
                #expect(busy.description.contains("is already running this pipeline"))
            }
            _ = try workspace.write("go", "")
            let summary = try await first
            #expect(summary.bundles == simulator.configuration.dataset.bundles.map(\.id))
            #expect(try workspace.tree().keys.filter { $0.hasSuffix(".json.gz") }.count == 2)
            // The lock went with the first run.
            #expect(try await runPipeline(file, simulator: simulator).bundles.isEmpty)
        }
    }

    @Test("The settle delay leaves recent bundles for a later run")
    func settle() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 24h}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
        try await withSimulator(.pipelineTests(bundles: 3)) { simulator in
            let bundles = simulator.configuration.dataset.bundles
            let pipeline = try Pipeline.load(path: file)
            // "Now" is 30 hours after the second bundle ends: only the first two have settled.
            let now = bundles[1].stop + 30 * 3600
            let engine = try pipeline.makeEngine(
                overrides: .init(baseURL: simulator.baseURL, apiKey: try APIKey("simulator-key"), clocks: Clocks(wall: { now }, waits: ContinuousClock())),
                logger: quietLogger)
            let summary = try await engine.runOnce()
            #expect(summary.bundles == [bundles[0].id, bundles[1].id])
        }
    }

    /// Runs the pipeline on one bundle and expects `stage` to fail it for `reason`, with nothing checkpointed.
    private func expectFailure(of file: String, in workspace: TemporaryFolder, stage: String, because reason: String, events: Int) async throws {
        try await withSimulator(.pipelineTests(bundles: 1, events: events)) { simulator async throws in
            do {
                try await runPipeline(file, simulator: simulator)
                Issue.record("stage '\(stage)' did not fail")
            } catch {
                #expect("\(error)".contains(reason), "\(error)")
                #expect("\(error)".contains("stage '\(stage)'"), "\(error)")
            }
            #expect(try CheckpointStore(path: "\(workspace.path)/.fsexport/p/state.json").load() == nil)
        }
    }
}

/// Log lines, kept for a test to read.
final class LogCapture: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { lock.withLock { lines.append("\(event.level): \(event.message)") } }
    var messages: [String] { lock.withLock { lines } }
    var logger: Logger { Logger(label: "test") { _ in self } }
}

@Suite("What a run says")
struct RunLogTests {
    @Test("Bundles held back by settle are counted and said, with when the first is ready; where the run resumes is said")
    func settleIsSaid() async throws {
        let workspace = try TemporaryFolder("pipeline")
        let now = Clocks.system.wall()
        let firstStart = (now / 3600) * 3600 - 3 * 86_400  // three daily bundles, the last ending within the hour
        let dataset = SimulatedDataset(bundleCount: 3, firstStart: firstStart, eventsPerBundle: 10)
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 24h}\nstages:\n  raw: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
        try await withSimulator(SimulatorConfiguration(dataset: dataset, rateLimit: nil)) { simulator in
            let log = LogCapture()
            let pipeline = try Pipeline.load(path: file, environment: [:])
            let engine = try pipeline.makeEngine(
                overrides: .init(baseURL: simulator.baseURL, apiKey: try APIKey(simulator.configuration.apiKey)), logger: log.logger)
            let summary = try await engine.runOnce()
            #expect(summary.bundles.count == 2)
            #expect(summary.settling.count == 1 && summary.settling.readyAt == dataset.bundle(at: 2).stop + 86_400)
            let ready = Timestamp.iso8601(dataset.bundle(at: 2).stop + 86_400)
            #expect(log.messages.contains("info: 1 bundle newer than settle (1d) waits; the first is ready at \(ready)"), "\(log.messages)")
            _ = try await engine.runOnce()
            #expect(log.messages.contains { $0.hasPrefix("info: resuming after bundle \(dataset.bundle(at: 1).id)") })
        }
    }
}
