import CMallocTuning
import FSExportSimulatedData
import Foundation
import FSExportCore
import FSExportSimulator
import FSExportTestSupport
import Testing

/// What users trust the command line with, tried with hostile inputs: what it says, where, and the
/// exit code, with nothing lost and no secret shown.
@Suite("Trust at the command line", .serialized)
struct TrustTests {
    @Test("A directory source's missing folder, or a file in its place, is an error naming it, for run, events and validate; an empty folder is fine")
    func missingArchive() async throws {
        let work = try TemporaryFolder("archive")
        try work.write("not-a-folder", "x")
        try FileManager.default.createDirectory(atPath: "\(work.path)/empty", withIntermediateDirectories: true)
        for (path, problem) in [("missing", "does not exist"), ("not-a-folder", "is a file, not a folder")] {
            let file = try work.write("\(path).yml", "source: {type: directory, path: \(path), settle: 0s}\nstages:\n  out: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
            let run = try await FSExportBinary.run(["run", file])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains("\(work.path)/\(path)") && run.stderr.contains(problem), "\(run.stderr)")
            let events = try await FSExportBinary.run(["events", "--from", file])
            #expect(events.status == 1 && events.stderr.contains(problem), "\(events.stderr)")
            let validate = try await FSExportBinary.run(["validate", file])
            #expect(validate.status == 78 && validate.stderr.contains("\(path).yml:1:") && validate.stderr.contains(problem), "\(validate.stderr)")
        }
        let empty = try work.write("empty.yml", "source: {type: directory, path: empty, settle: 0s}\nstages:\n  out: {type: files, inputs: [source], path: \"{id}.json.gz\"}\n")
        let run = try await FSExportBinary.run(["run", empty])
        #expect(run.status == 0 && run.stderr.contains("nothing new: no finished bundle ends after 1970-01-01T00:00:00Z"), "\(run.stderr)")
    }

    static let key = "fs-key-0123456789/abcdef+XYZ="

    /// A server that answers every call `status` with a body that repeats the request's
    /// Authorization header, raw and as JSON escapes it, as some proxies and frameworks do.
    static func echoingServer(status: Int) throws -> ScriptedServer {
        try ScriptedServer { request in
            let header = request.headers["authorization"] ?? ""
            let escaped = header.replacingOccurrences(of: "/", with: "\\/")
            return .json(#"{"error":"bad request","echo":"Authorization: \#(escaped)","raw":"\#(header)"}"#, status: status)
        }
    }

    @Test("A server that echoes the request never gets the key printed: -v or not, text or JSON logs, LIST or a segments call", arguments: [400, 404])
    func echoedKey(_ status: Int) async throws {
        let server = try Self.echoingServer(status: status)
        let work = try TemporaryFolder("echo")
        let segments = try work.write("segments.yml", """
            source: {type: segments, segment: everyone, start: 2024-01-01, settle: 0s, base_url: \(server.baseURL)}
            stages:
              out: {type: files, inputs: [source], path: "{id}.json.gz"}
            """)
        let commands: [[String]] = [
            ["list", "--base-url", server.baseURL], ["list", "-v", "--base-url", server.baseURL],
            ["list", "-v", "--log-format", "json", "--base-url", server.baseURL], ["run", segments, "-v"],
        ]
        for command in commands {
            let result = try await FSExportBinary.run(command, key: Self.key)
            #expect(result.status != 0, "\(command)")
            #expect(!result.stderr.contains("0123456789"), "\(command) printed the key:\n\(result.stderr)")
            // A segments 404 says the segment does not exist, without the body.
            if command[0] == "list" || status != 404 {
                #expect(result.stderr.contains("<redacted>"), "\(command): the echo is not shown at all:\n\(result.stderr)")
            }
        }
    }

    @Test("An answer with terminal escapes and line breaks is shown escaped: no escape reaches the terminal, no log line is forged")
    func hostileText() async throws {
        let server = try ScriptedServer { _ in
            .json("\u{1B}]0;pwned\u{07} \u{1B}[2J\nFAKE: info: committed bundle 9999\r\n\u{202E}gnp.exe", status: 400)
        }
        for format in ["text", "json"] {
            let result = try await FSExportBinary.run(["list", "-v", "--log-format", format, "--base-url", server.baseURL], key: Self.key)
            #expect(result.status != 0)
            #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E }, "\(format): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("FAKE") }, "\(format): \(result.stderr)")
            #expect(result.stderr.contains("FAKE: info: committed bundle 9999"), "\(format): the text is not shown at all")
            if format == "json" {
                for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)") }
            }
        }
    }

    /// Peak resident memory of `fsexport run FILE`, in MiB, as /usr/bin/time measures it.
    static func peakMemory(_ file: String) async throws -> Double {
        let result = try await FSExportBinary.run(
            ["-f", "%M", FSExportBinary.url.path, "run", file, "-q"], executable: "/usr/bin/time")
        #expect(result.status == 0, "\(result.stderr)")
        let kib = try #require(Double(result.stderr.split(separator: "\n").last.map(String.init) ?? ""), "\(result.stderr)")
        return kib / 1024
    }

    /// A bundle of `count` events of about `size` bytes each, in a folder a directory source reads.
    static func archive(count: Int, size: Int, in folder: TemporaryFolder) throws -> String {
        let events = (0..<count).map { #"{"EventType":"t\#($0 % 6)","EventTargetText":"\#(String(repeating: "y", count: size - 60))"}"# }
        try FileManager.default.createDirectory(atPath: folder.file("archive-\(size)"), withIntermediateDirectories: true)
        let bytes = ScriptedExportAPI.gzip("[" + events.joined(separator: ",") + "]")
        try Data(bytes).write(to: URL(fileURLWithPath: folder.file("archive-\(size)/170406720048.json.gz")))
        return folder.file("archive-\(size)")
    }

    @Test("Events just under max_event_size cost a few events' worth of memory, not a multiple of the bundle", arguments: ["none", "gzip"])
    func largeEvents(_ compression: String) async throws {
        let work = try TemporaryFolder("large-events")
        var peaks: [Double] = []
        for size in [4 << 10, BundleDecoder.defaultMaximumEventSize - 16] {
            let archive = try Self.archive(count: (48 << 20) / size, size: size, in: work)
            let file = try work.write("p-\(size).yml", """
                source: {type: directory, path: \(archive), settle: 0s, state: state-\(size).json, spool: spool-\(size)}
                stages:
                  split: {type: ndjson, inputs: [source], split_by: EventType, compression: \(compression)}
                  out: {type: files, inputs: [split], root: out-\(size), path: "{name}"}
                """)
            peaks.append(try await Self.peakMemory(file))
        }
        // 48 MiB of events either way; the large ones may hold about three events more (1 MiB each).
        #expect(peaks[1] - peaks[0] < 8, "4 KiB events: \(peaks[0]) MiB, 1 MiB events: \(peaks[1]) MiB")
        #expect(peaks[1] < 64, "\(peaks[1]) MiB")
    }

    @Test("glibc's malloc is tuned when the program is loaded (one arena, large blocks mapped and returned), before any thread")
    func mallocTuning() {
        // The test process links the same C target as fsexport, so its constructor ran here too.
        #if canImport(Glibc)
        #expect(fsx_malloc_tuning() == 1, "mallopt was not called, or glibc refused it")
        #else
        #expect(fsx_malloc_tuning() == 0)
        #endif
    }

    @Test("Ctrl-C while events or get downloads ends at once with 130 and leaves no file behind", arguments: [
        ["events"], ["get", "170406720048", "--decode", "-o", "-"], ["get", "170406720048", "-o", "OUT/bundle.json.gz"],
    ])
    func interruptedDownloads(_ command: [String]) async throws {
        // Bundles of about 400 KB, sent 16 KiB every 200 ms: downloads that take seconds.
        var configuration = SimulatorConfiguration(
            dataset: SimulatedDataset(bundleCount: 3, eventsPerBundle: 5000), rateLimit: nil, faults: [FaultRule(.slow, on: .get, .always)])
        configuration.slowChunkDelay = .milliseconds(200)
        try await withSimulator(configuration) { simulator in
            let spool = try TemporaryFolder("interrupted-spool"), out = try TemporaryFolder("interrupted-out")
            let errors = try TemporaryFolder("interrupted-stderr")
            let process = try FSExportBinary.start(
                command.map { $0.replacingOccurrences(of: "OUT", with: out.path) } + ["--base-url", simulator.baseURL, "--spool-dir", spool.path, "-q"],
                environment: ["FULLSTORY_API_KEY": "simulator-key"], stderr: errors.file("stderr"))
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            // Interrupt once the download has written something.
            try await waitUntil { !(spool.listing().isEmpty && out.listing().isEmpty) }
            #expect(!(spool.listing().isEmpty && out.listing().isEmpty), "nothing was downloaded to interrupt: \(errors.read("stderr") ?? "")")
            let took = await process.timeToEnd(after: SIGINT)
            await process.exited()
            #expect(process.terminationStatus == 130)
            #expect(took.map { $0 < .seconds(3) } == true, "\(String(describing: took))")
            #expect(spool.listing().isEmpty, "left: \(spool.listing())")
            #expect(out.listing().isEmpty, "left: \(out.listing())")
        }
    }

    @Test("--api-key-file refuses a folder, a FIFO, a device and a large file in words, at once; warns when others can read it")
    func keyFiles() async throws {
        let work = try TemporaryFolder("key-files")
        try FileManager.default.createDirectory(atPath: work.file("folder"), withIntermediateDirectories: true)
        #expect(mkfifo(work.file("fifo"), 0o600) == 0)
        let large = work.file("large")
        #expect(FileManager.default.createFile(atPath: large, contents: nil))
        #expect(truncate(large, 100 << 20) == 0)
        for (file, words) in [
            (work.file("folder"), "it is a folder, not a file"), (work.file("fifo"), "not a regular file"), ("/dev/zero", "not a regular file"),
            (large, "larger than 4 KiB"), (work.file("missing"), "No such file or directory"),
        ] {
            let started = ContinuousClock.now
            let result = try await FSExportBinary.run(["list", "--api-key-file", file, "--base-url", "http://127.0.0.1:9"])
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(result.status == 1, "\(file): \(result.stderr)")
            #expect(result.stderr.contains("the API key file \(file)") && result.stderr.contains(words), "\(file): \(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("permission"), "\(result.stderr)")
        }
        try await withSimulator { simulator in
            let key = try work.write("key", "simulator-key\n")
            for (mode, warned) in [(0o644, true), (0o640, true), (0o600, false)] {
                #expect(chmod(key, mode_t(mode)) == 0)
                let result = try await FSExportBinary.run(["list", "--api-key-file", key, "--base-url", simulator.baseURL])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("can be read by other users (mode \(String(mode, radix: 8))): chmod 600 it") == warned, "\(result.stderr)")
            }
        }
    }

    @Test("A redirect to file:// and a redirect loop are said as such, not as an unreachable API")
    func redirects() async throws {
        let server = try ScriptedServer { request in
            request.path.hasPrefix("/loop")
                ? ScriptedServer.Response(status: 302, headers: [("Location", "/loop" + request.path)])
                : ScriptedServer.Response(status: 302, headers: [("Location", "file:///etc/passwd")])
        }
        let file = try await FSExportBinary.run(["list", "--base-url", server.baseURL], key: Self.key)
        #expect(file.status == 1 && file.stderr.contains("redirected to a URL that is not http or https"), "\(file.stderr)")
        let loop = try await FSExportBinary.run(["list", "--base-url", server.baseURL + "/loop"], key: Self.key)
        #expect(loop.status == 1 && loop.stderr.contains("redirected more than 5 times (a redirect loop?)"), "\(loop.stderr)")
        #expect(!(file.stderr + loop.stderr).contains("cannot reach the export API"))
    }
}
