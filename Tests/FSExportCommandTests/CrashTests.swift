import Foundation
import FSExportTestSupport
import Testing

@Suite("Interruptions lose nothing and deliver nothing twice", .serialized)
struct CrashTests {
    static let pipeline = """
        source:
          start: 2024-01-01
          settle: 0s
          state: ${FSEXPORT_OUT}/state/state.json
          spool: ${FSEXPORT_OUT}/spool
        stages:
          raw: {type: files, inputs: [source], root: "${FSEXPORT_OUT}", path: "raw/{start:%F}/{id}.json.gz"}
          lines: {type: files, inputs: [source], root: "${FSEXPORT_OUT}", format: ndjson, compression: gzip, path: "lines/{id}.ndjson.gz"}
          by_type: {type: ndjson, inputs: [source], split_by: EventType, max_lines: 30}
          parts: {type: files, inputs: [by_type], root: "${FSEXPORT_OUT}", path: "parts/{id}/{name}"}
          archive: {type: tar, inputs: [by_type], compression: gzip}
          archives: {type: files, inputs: [archive], root: "${FSEXPORT_OUT}", path: "tar/{name}"}
        """

    static func start(_ file: String, out: String, extra: [String] = [], environment: [String: String] = [:], log: String? = nil) throws -> Process {
        try FSExportBinary.start(
            ["run", file, "--simulate"] + (log == nil ? ["-q"] : ["-v"]) + extra, environment: ["FSEXPORT_OUT": out].merging(environment) { $1 }, stderr: log)
    }

    static func runToCompletion(_ file: String, out: String, extra: [String] = []) async throws {
        let process = try start(file, out: out, extra: extra)
        await process.exited()
        #expect(process.terminationStatus == 0)
    }

    @Test("kill -9 at random moments, then a re-run: exactly the output of an uninterrupted run")
    func killAndResume() async throws {
        let work = try TemporaryFolder("work")
        let (file, expected) = try await Self.reference(Self.pipeline, named: "p.yml", in: work.path)
        #expect(expected.count > 45 * 3)

        for attempt in 0..<4 {
            try await Self.expectKillsConverge(file, out: "\(work)/attempt-\(attempt)", kills: 3, expected: expected)
        }
    }

    /// Writes `pipeline` to `work/name` and runs it once, uninterrupted, into `work/reference`: the
    /// output every interrupted run must converge on.
    static func reference(_ pipeline: String, named name: String, in work: String) async throws -> (file: String, expected: [String: Data]) {
        let file = "\(work)/\(name)"
        try pipeline.write(toFile: file, atomically: true, encoding: .utf8)
        try await runToCompletion(file, out: "\(work)/reference")
        return (file, try tree("\(work)/reference"))
    }

    /// Runs `file` and kills it with -9 `kills` times, each after a random moment, then lets a run
    /// finish: the output must be exactly `expected`, the output of an uninterrupted run.
    static func expectKillsConverge(_ file: String, out: String, kills: Int, expected: [String: Data]) async throws {
        var random = SystemRandomNumberGenerator()
        var delays: [Int] = []
        for _ in 0..<kills {
            let delay = Int.random(in: 30...1500, using: &random)
            delays.append(delay)
            let process = try start(file, out: out)
            try await Task.sleep(for: .milliseconds(delay))
            kill(process.processIdentifier, SIGKILL)
            await process.exited()
        }
        try await runToCompletion(file, out: out)
        let actual = try tree(out)
        #expect(Set(actual.keys) == Set(expected.keys), "killed after \(delays) ms: \(Set(actual.keys).symmetricDifference(expected.keys).sorted().prefix(5))")
        #expect(actual == expected, "killed after \(delays) ms: contents differ")
    }

    @Test("An s3 stage killed with -9 at random moments: no partial object is ever visible, no upload is left after the next run, and the objects converge on an uninterrupted run's; the secret never reaches the log")
    func killUploads() async throws {
        let store = try S3Store()
        let work = try TemporaryFolder("work")
        let file = "\(work)/p.yml"
        try """
            source:
              start: 2024-01-01
              until: 2024-01-21
              settle: 0s
              state: ${FSEXPORT_OUT}/state.json
              spool: ${FSEXPORT_OUT}/spool
            stages:
              archive: {type: tar, inputs: [source], compression: gzip}
              bucket: {type: s3, inputs: [source, archive], bucket: "${S3_BUCKET}", endpoint: "${S3_ENDPOINT}", key: "${S3_PREFIX}/{name}"}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        func objects(under prefix: String) throws -> [String: Data] { try store.contents(under: prefix) }
        let log = "\(work)/reference.log"
        let reference = try Self.start(file, out: "\(work)/reference", environment: store.environment.merging(["S3_PREFIX": "reference"]) { $1 }, log: log)
        await reference.exited()
        #expect(reference.terminationStatus == 0)
        let expected = try objects(under: "reference")
        #expect(expected.count == 40)
        let logged = try String(contentsOfFile: log, encoding: .utf8)
        #expect(logged.contains("PUT /fsexport-test/reference/"), "the -v log shows each call")
        #expect(!logged.contains(store.secretAccessKey))

        var random = SystemRandomNumberGenerator()
        for round in 0..<2 {
            let prefix = "round-\(round)"
            let environment = store.environment.merging(["S3_PREFIX": prefix]) { $1 }
            var delays: [Int] = []
            for _ in 0..<3 {
                let delay = Int.random(in: 50...1500, using: &random)
                delays.append(delay)
                let process = try Self.start(file, out: "\(work)/\(prefix)", environment: environment)
                try await Task.sleep(for: .milliseconds(delay))
                kill(process.processIdentifier, SIGKILL)
                await process.exited()
                for (name, bytes) in try objects(under: prefix) {
                    #expect(bytes == expected[name], "killed after \(delays) ms: \(name) is visible but not whole")
                }
            }
            let last = try Self.start(file, out: "\(work)/\(prefix)", environment: environment)
            await last.exited()
            #expect(last.terminationStatus == 0)
            #expect(try objects(under: prefix) == expected, "killed after \(delays) ms: the objects differ from an uninterrupted run's")
            #expect(try store.uploads().filter { $0.key.hasPrefix(prefix + "/") }.isEmpty, "killed after \(delays) ms: an upload was left")
        }
    }

    @Test("A directory source killed with -9 at random moments, then run again: exactly the output of an uninterrupted replay")
    func killReplay() async throws {
        let work = try TemporaryFolder("work")
        let archiveFile = "\(work)/archive.yml"
        try "source: {start: 2024-01-01, settle: 0s, state: \"${FSEXPORT_OUT}/state/a.json\", spool: \"${FSEXPORT_OUT}/spool\"}\nstages:\n  raw: {type: files, inputs: [source], root: \"${FSEXPORT_OUT}\", path: \"archive/{start:%F}/{id}.json.gz\"}\n"
            .write(toFile: archiveFile, atomically: true, encoding: .utf8)
        let archive = "\(work)/archived"
        try await Self.runToCompletion(archiveFile, out: archive)
        // The crash pipeline's stages, on a directory source reading that archive.
        let replay = Self.pipeline.replacingOccurrences(of: "  start: 2024-01-01\n", with: "  type: directory\n  path: \(archive)/archive\n")
        let (file, expected) = try await Self.reference(replay, named: "replay.yml", in: work.path)
        #expect(expected.keys.filter { $0.hasPrefix("raw/") }.count == 45)

        try await Self.expectKillsConverge(file, out: "\(work)/killed", kills: 4, expected: expected)
    }

    @Test("A segments source killed with -9 at random moments (creating, polling, downloading, delivering), then run again: exactly the output of an uninterrupted run")
    func killSegments() async throws {
        let work = try TemporaryFolder("work")
        let segments = Self.pipeline.replacingOccurrences(
            of: "  start: 2024-01-01\n", with: "  type: segments\n  segment: everyone\n  poll_interval: 1s\n  start: 2024-01-01\n  until: 2024-01-21\n")
        let (file, expected) = try await Self.reference(segments, named: "segments.yml", in: work.path)
        #expect(expected.keys.filter { $0.hasPrefix("raw/") }.count == 20)

        for attempt in 0..<2 {
            try await Self.expectKillsConverge(file, out: "\(work)/killed-\(attempt)", kills: 3, expected: expected)
        }
    }

    @Test("SIGTERM finishes the bundle in progress, exits 143, and leaves a consistent state")
    func terminate() async throws {
        let work = try TemporaryFolder("work")
        let file = "\(work)/p.yml"
        try (Self.pipeline + "\n  slow: {type: command, inputs: [source], shell: 'cat > /dev/null; sleep 0.6'}\n").write(toFile: file, atomically: true, encoding: .utf8)
        let out = "\(work)/out"
        let process = try Self.start(file, out: out, extra: ["--until", "2024-01-15"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Signal once the first bundle is committed, however long a busy machine takes to get there.
        try await waitUntil { FileManager.default.fileExists(atPath: "\(out)/state/state.json") }
        let took = await process.timeToEnd(after: SIGTERM)
        await process.exited()
        #expect(process.terminationStatus == 143)
        // One bundle to finish (0.6 s in `slow`), not the 13 left (7.8 s and more).
        #expect(took.map { $0 < .seconds(4) } == true, "\(String(describing: took))")

        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/state/state.json"))) as? [String: Any]
        let last = try #require(state?["bundle_id"] as? NSNumber).int64Value
        let raw = try FileManager.default.subpathsOfDirectory(atPath: "\(out)/raw").filter { $0.hasSuffix(".gz") }
        let delivered = try raw.map { path in try #require(Int64(path.split(separator: "/").last?.prefix(12) ?? ""), "\(path)") }
        #expect(!delivered.isEmpty && delivered.count < 14)
        #expect(delivered.max() == last, "the state names the last bundle whose files exist")

        try await Self.runToCompletion(file, out: out, extra: ["--until", "2024-01-15"])
        let resumed = try FileManager.default.subpathsOfDirectory(atPath: "\(out)/raw").filter { $0.hasSuffix(".gz") }
        #expect(resumed.count == 14)
    }
}

@Suite("Following")
struct FollowTests {
    @Test("--follow delivers, keeps following, and stops on SIGINT with 130")
    func follow() async throws {
        let work = try TemporaryFolder("work")
        let file = "\(work)/p.yml"
        try CrashTests.pipeline.write(toFile: file, atomically: true, encoding: .utf8)
        let process = try CrashTests.start(file, out: "\(work)/out", extra: ["--follow", "--interval", "1s", "--until", "2024-01-10"])
        defer { if process.isRunning { process.terminate() } }
        let rawFiles = { ((try? FileManager.default.subpathsOfDirectory(atPath: "\(work)/out/raw")) ?? []).filter { $0.hasSuffix(".gz") } }
        try await waitUntil(every: .milliseconds(100)) { rawFiles().count >= 9 }
        try await Task.sleep(for: .seconds(2))  // a round or two with nothing new: it keeps following
        #expect(process.isRunning)
        process.interrupt()
        await process.exited()
        #expect(process.terminationStatus == 130)
        #expect(rawFiles().count == 9)
    }

    @Test("--follow keeps running through a failing stage, retries, and delivers once it recovers")
    func followRetriesFailures() async throws {
        let work = try TemporaryFolder("work")
        let file = "\(work)/p.yml"
        // The gate fails every bundle until the file `open` exists.
        try (CrashTests.pipeline + "\n  gate: {type: command, inputs: [source], shell: 'cat >/dev/null; test -e \"$FSEXPORT_OUT/open\"'}\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let out = "\(work)/out"
        let process = try CrashTests.start(file, out: out, extra: ["--follow", "--interval", "1s", "--until", "2024-01-10"])
        defer { if process.isRunning { process.terminate() } }
        let rawFiles = { ((try? FileManager.default.subpathsOfDirectory(atPath: "\(out)/raw")) ?? []).filter { $0.hasSuffix(".gz") } }

        try await Task.sleep(for: .seconds(3))  // two or three failed rounds
        #expect(process.isRunning)
        #expect(rawFiles().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(out)/state/state.json"))

        #expect(FileManager.default.createFile(atPath: "\(out)/open", contents: nil))
        try await waitUntil(every: .milliseconds(100)) { rawFiles().count >= 9 }
        #expect(rawFiles().count == 9)
        process.interrupt()
        await process.exited()
        #expect(process.terminationStatus == 130)
    }
}
