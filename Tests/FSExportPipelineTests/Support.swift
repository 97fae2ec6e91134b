import FSExportSimulatedData
import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import FSExportTestSupport
import Logging

/// What pipeline tests read back from their folder: bytes, and every file below it.
extension TemporaryFolder {
    /// The bytes of `relative`.
    func bytes(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file(relative))) }

    /// Every file below the folder (but the state and spool), with its contents.
    func tree(excluding prefixes: [String] = [".fsexport"]) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)!
        while let relative = enumerator.nextObject() as? String {
            guard !prefixes.contains(where: { relative.hasPrefix($0) }) else { continue }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: file(relative), isDirectory: &isDirectory)
            if !isDirectory.boolValue { result[relative] = try bytes(relative) }
        }
        return result
    }
}

let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Runs a pipeline file once against `simulator`.
@discardableResult
func runPipeline(_ file: String, simulator: ExportSimulator, since: Int64? = nil, until: Int64? = nil) async throws -> RunSummary {
    let pipeline = try Pipeline.load(path: file, environment: [:])
    let engine = try pipeline.makeEngine(
        overrides: .init(baseURL: simulator.baseURL, apiKey: try APIKey(simulator.configuration.apiKey), until: until), logger: quietLogger)
    return try await engine.runOnce(since: since)
}

/// Runs a pipeline file once against a scripted server, with the pipeline's own key unless given one.
@discardableResult
func runPipeline(
    _ file: String, server: ScriptedServer, key: String? = "scripted-server-key", environment: [String: String] = [:], since: Int64? = nil, until: Int64? = nil,
    clocks: Clocks = .system
) async throws -> RunSummary {
    let pipeline = try Pipeline.load(path: file, environment: environment)
    let engine = try pipeline.makeEngine(
        overrides: .init(baseURL: server.baseURL, apiKey: try key.map { try APIKey($0) }, until: until, clocks: clocks), logger: quietLogger)
    return try await engine.runOnce(since: since)
}

@discardableResult
func withSimulator<T>(bundles: Int = 4, events: Int = 300, _ body: (ExportSimulator) async throws -> T) async throws -> T {
    try await ExportSimulator.withRunning(SimulatorConfiguration(
        dataset: SimulatedDataset(bundleCount: bundles, eventsPerBundle: events, emptyBundles: [2]), rateLimit: nil), body)
}

/// Runs a program and returns its standard output.
func shell(_ command: String, in directory: String) async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-shell-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    process.standardOutput = try FileHandle(forWritingTo: output)
    try await process.runToExit()
    return String(decoding: try Data(contentsOf: output), as: UTF8.self)
}

