import FSExportSimulatedData
import FSExportSimulator
import Foundation
import FSExportTestSupport
import Testing

@Suite("The fsexport command", .serialized)
struct CommandTests {
    static let key = "sim-KEY-7f3a9c-never-print-me"

    /// A simulator of 45 bundles of 500 events for `key`, without a rate limit.
    static func simulator(faults: [FaultRule] = []) -> SimulatorConfiguration { .unlimited(events: 500, apiKey: key, faults: faults) }

    @Test("list --json prints every bundle as one JSON object a line")
    func listJSON() async throws {
        try await withSimulator(Self.simulator(faults: [FaultRule(.unavailable, on: .list, .requests([2]))])) { simulator in
            let result = try await FSExportBinary.run(["list", "--json", "--base-url", simulator.baseURL], key: Self.key)
            #expect(result.status == 0)
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 45)
            let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            let bundle = simulator.configuration.dataset.bundle(at: 0)
            #expect(first["id"] as? Int64 == bundle.id && first["start_unix"] as? Int64 == bundle.start && first["stop_unix"] as? Int64 == bundle.stop)
            // Times as status --json writes them.
            #expect(first["start"] as? String == "2024-01-01T00:00:00Z" && first["stop"] as? String == "2024-01-02T00:00:00Z" && first.count == 5)
            #expect(result.stderr.contains("retry 1"))
        }
    }

    @Test("get survives faults and writes the same bytes as a clean download; --decode writes the JSON")
    func getWithFaults() async throws {
        let folder = try TemporaryFolder("cli")
        let id = String(SimulatedDataset().bundle(at: 5).id)
        try await withSimulator(Self.simulator()) { simulator in
            let clean = try await FSExportBinary.run(["get", id, "-o", "clean.json.gz", "--base-url", simulator.baseURL], key: Self.key, directory: folder.path)
            #expect(clean.status == 0)
            await simulator.setFaults([FaultRule(.reset, .requests([1])), FaultRule(.corrupt, .requests([2])), FaultRule(.truncate, .requests([3]))])
            let faulty = try await FSExportBinary.run(["get", id, "--base-url", simulator.baseURL], key: Self.key, directory: folder.path)
            #expect(faulty.status == 0)
            let expected = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/clean.json.gz"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(id).json.gz")) == expected)

            let decoded = try await FSExportBinary.run(["get", id, "--decode", "-o", "-", "--base-url", simulator.baseURL], key: Self.key, directory: folder.path)
            #expect(decoded.status == 0)
            let events = try #require(JSONSerialization.jsonObject(with: decoded.stdoutData) as? [[String: Any]])
            #expect(events.count == 500)
            #expect(events.first?["EventStart"] as? String == "2024-01-06T00:00:00.000Z")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".part") || $0.hasSuffix(".download") }
            #expect(leftovers.isEmpty)
        }
    }

    @Test("Exit codes and messages say what went wrong")
    func exitCodes() async throws {
        let folder = try TemporaryFolder("cli")
        try await withSimulator(Self.simulator()) { simulator in
            let url = simulator.baseURL
            let wrongKey = try await FSExportBinary.run(["list", "--base-url", url], key: "not-the-key")
            #expect(wrongKey.status == 3)
            #expect(wrongKey.stderr.contains("API key was rejected"))

            let standard = try await FSExportBinary.run(["list", "--base-url", url], key: "standard-key")
            #expect(standard.status == 3)
            #expect(standard.stderr.contains("Admin or Architect"))

            let missing = try await FSExportBinary.run(["get", "12345", "--base-url", url], key: Self.key, directory: folder.path)
            #expect(missing.status == 4)
            #expect(missing.stderr.contains("bundle 12345 does not exist"))

            let noKey = try await FSExportBinary.run(["list", "--base-url", url])
            #expect(noKey.status == 1)
            #expect(noKey.stderr.contains("FULLSTORY_API_KEY"))

            let badTime = try await FSExportBinary.run(["list", "--start", "last tuesday", "--base-url", url], key: Self.key)
            #expect(badTime.status == 64)
            #expect(badTime.stderr.contains("--start"))

            await simulator.setFaults([FaultRule(.unavailable, on: .any, .always)])
            let gaveUp = try await FSExportBinary.run(["list", "--max-attempts", "2", "--base-url", url], key: Self.key)
            #expect(gaveUp.status == 5)
            #expect(gaveUp.stderr.contains("gave up after 2 attempts"))

            await simulator.setFaults([FaultRule(.corrupt, .always)])
            let corrupt = try await FSExportBinary.run(["get", String(simulator.configuration.dataset.bundle(at: 0).id), "--base-url", url], key: Self.key, directory: folder.path)
            #expect(corrupt.status == 6)
            #expect(corrupt.stderr.contains("is damaged"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }
    }

    @Test("The API key appears in no output and no written file, even verbose and with faults")
    func keyNeverLeaks() async throws {
        let folder = try TemporaryFolder("cli")
        let faults = [FaultRule(.unavailable, on: .any, .requests([1])), FaultRule(.reset, .requests([2]))]
        try await withSimulator(Self.simulator(faults: faults)) { simulator in
            let id = String(simulator.configuration.dataset.bundle(at: 1).id)
            let runs = [
                try await FSExportBinary.run(["list", "-v", "--base-url", simulator.baseURL], key: Self.key),
                try await FSExportBinary.run(["get", id, "-v", "--base-url", simulator.baseURL], key: Self.key, directory: folder.path),
                try await FSExportBinary.run(["get", "1", "-v", "--base-url", simulator.baseURL], key: Self.key, directory: folder.path),
                try await FSExportBinary.run(["list", "-v", "--base-url", simulator.baseURL], key: Self.key + "x"),
            ]
            #expect(runs.map(\.status) == [0, 0, 4, 3])
            for run in runs {
                #expect(!run.stdout.contains(Self.key))
                #expect(!run.stderr.contains(Self.key))
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                let contents = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))
                #expect(contents.range(of: Data(Self.key.utf8)) == nil)
            }
        }
    }

    @Test("An interrupt sent the moment simulate prints its address is heard: it stops, exit 0, every time")
    func simulateInterruptedAtOnce() async throws {
        for attempt in 1...15 {
            let folder = try TemporaryFolder("cli")
            let output = "\(folder)/stdout"
            let process = try FSExportBinary.start(["simulate", "--port", "0"], stdout: output)
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            try await waitUntil(within: .seconds(20), every: .milliseconds(1)) {
                try !Data(contentsOf: URL(fileURLWithPath: output)).isEmpty || !process.isRunning
            }
            kill(process.processIdentifier, SIGINT)
            let sent = ContinuousClock.now
            while process.isRunning, ContinuousClock.now - sent < .seconds(5) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!process.isRunning, "attempt \(attempt): still running 5 s after the interrupt")
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            await process.exited()
            #expect(process.terminationReason == .exit && process.terminationStatus == 0, "attempt \(attempt)")
        }
    }

    @Test("fsexport simulate serves the API until interrupted")
    func simulateCommand() async throws {
        let process = Process()
        process.executableURL = FSExportBinary.url
        process.arguments = ["simulate", "--port", "0", "--bundles", "7", "--fault", "503@list:1"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { break }
            line.append(byte)
        }
        let url = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let listed = try await FSExportBinary.run(["list", "--json", "--base-url", url], key: "simulator-key")
        #expect(listed.status == 0)
        #expect(listed.stdout.split(separator: "\n").count == 7)

        process.interrupt()
        await process.exited()
        #expect(process.terminationStatus == 0)
    }

    @Test("--help teaches: examples, exit codes, where the key comes from")
    func help() async throws {
        let root = try await FSExportBinary.run(["--help"])
        #expect(root.stdout.contains("FULLSTORY_API_KEY"))
        #expect(root.stdout.contains("EXIT CODES"))
        let get = try await FSExportBinary.run(["get", "--help"])
        #expect(get.stdout.contains("EXAMPLES"))
        #expect(get.stdout.contains("--decode"))
    }
}
