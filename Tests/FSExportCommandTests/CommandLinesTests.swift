import FSExportSimulator
import Foundation
import FSExportTestSupport
import Testing

/// Every command line that README.md, docs/ and `--help` show is run here exactly as typed, in a
/// folder that holds what they name (`nightly.fsexport.yml`, an `archive/` folder), against a
/// simulator that FSEXPORT_BASE_URL and FULLSTORY_API_KEY point at, as a user's shell would.
@Suite("Command lines as shown", .serialized)
struct CommandLinesTests {
    /// `fsexport COMMAND …` or `VAR=value fsexport COMMAND …`, without a trailing `  # comment`;
    /// and the `sqlite3` queries that read what a line before loaded.
    static func commandLine(_ text: Substring) -> String? {
        let line = text.trimmingCharacters(in: .whitespaces)
        guard line.firstMatch(of: #/^([A-Z_]+=\S+\s+)*fsexport (run|validate|status|reset|events|list|get|simulate|--generate-completion-script)\b/#) != nil
            || line.hasPrefix("sqlite3 ")
        else { return nil }
        return line.replacing(#/\s{2,}#.*$/#, with: "")
    }

    /// The command lines of the examples in every command's --help.
    static func helpLines() async throws -> [String] {
        var lines: [String] = []
        for command in [[], ["run"], ["validate"], ["status"], ["reset"], ["events"], ["list"], ["get"], ["simulate"]] {
            let help = try await FSExportBinary.run(command + ["--help"])
            lines += help.stdout.split(separator: "\n").compactMap(commandLine)
        }
        return lines
    }

    /// The command lines of the ```sh blocks of README.md, docs/ and the DocC articles.
    static func documentLines() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/docs").filter { $0.hasSuffix(".md") }.map { "docs/\($0)" }
        let articles = try FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/Sources/FSExportCore/FSExportCore.docc")
            .filter { $0.hasSuffix(".md") }.map { "Sources/FSExportCore/FSExportCore.docc/\($0)" }
        var lines: [String] = []
        for file in ["README.md"] + docs.sorted() + articles.sorted() {
            let text = try String(contentsOfFile: "\(repositoryRoot)/\(file)", encoding: .utf8)
            for block in text.components(separatedBy: "```sh\n").dropFirst() {
                lines += block.components(separatedBy: "```")[0].split(separator: "\n").compactMap(commandLine)
            }
        }
        return lines
    }

    @Test("Every command line in README.md, docs/ and --help runs as typed and succeeds")
    func asTyped() async throws {
        var seen = Set<String>()
        let lines = (try await Self.helpLines() + (try Self.documentLines())).filter { seen.insert($0).inserted }
        #expect(lines.count >= 30, "\(lines)")
        let sandbox = try TemporaryFolder("sandbox")
        try FileManager.default.createSymbolicLink(atPath: "\(sandbox)/examples", withDestinationPath: "\(repositoryRoot)/examples")
        // The user's own nightly pipeline: the example, keeping its state in the default place
        // (`.fsexport/nightly/`), not in the example's, which the example's own lines use.
        let example = try String(contentsOfFile: "\(repositoryRoot)/examples/nightly-tar.fsexport.yml", encoding: .utf8)
        let own = example.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("  state:") && !$0.hasPrefix("  spool:") }
        try own.joined(separator: "\n").write(toFile: "\(sandbox)/nightly.fsexport.yml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(sandbox)/archive", withIntermediateDirectories: true)
        try await withSimulator(SimulatorConfiguration(apiKey: "simulator-key", rateLimit: nil)) { simulator in
            let environment = [
                "FULLSTORY_API_KEY": "simulator-key", "FSEXPORT_BASE_URL": simulator.baseURL, "FSEXPORT_OUT": "\(sandbox)/out",
                "PATH": "\(FSExportBinary.url.deletingLastPathComponent().path):/usr/local/bin:/usr/bin:/bin",
            ]
            var server: Process?
            defer { if let server, server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            for line in lines {
                if line.contains("fsexport simulate") {
                    // A server: it replaces the one before (same port), and serves the lines after it.
                    if let previous = server { await Self.interrupt(previous, expecting: 0, line) }
                    server = try await Self.startServer(line, in: sandbox.path, environment: environment)
                } else if line.contains("--follow") {
                    let follow = try Self.start(line, in: sandbox.path, environment: environment)
                    try await Task.sleep(for: .seconds(2))
                    #expect(follow.isRunning, "\(line) ended by itself")
                    await Self.interrupt(follow, expecting: 130, line)
                } else {
                    // The status of fsexport itself, the first command of a pipeline (`| head` may cut jq short).
                    let result = try await Programs.shell("\(line)\nexit ${PIPESTATUS[0]}", directory: sandbox.path, environment: environment)
                    #expect(result.status == 0, "\(line)\n\(result.stderr)")
                }
            }
            if let server { await Self.interrupt(server, expecting: 0, "the last simulator") }
        }
    }

    static func start(_ line: String, in directory: String, environment: [String: String], output: String? = nil) throws -> Process {
        try Programs.start("/bin/bash", ["-c", "exec \(line)"], directory: directory, environment: environment, stdout: output)
    }

    /// Starts `fsexport simulate …` and waits until it listens (it prints its URL then).
    static func startServer(_ line: String, in directory: String, environment: [String: String]) async throws -> Process {
        let output = "\(directory)/simulate-\(UUID().uuidString)"
        let process = try start(line, in: directory, environment: environment, output: output)
        try await waitUntil(within: .seconds(20)) { !((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").isEmpty || !process.isRunning }
        #expect(process.isRunning, "\(line) did not start")
        return process
    }

    static func interrupt(_ process: Process, expecting status: Int32, _ line: String) async {
        kill(process.processIdentifier, SIGINT)
        await process.exited()
        #expect(process.terminationStatus == status, "\(line)")
    }
}
