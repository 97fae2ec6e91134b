import FSExportSimulatedData
import Foundation
import FSExportArchive
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import FSExportTestSupport
import Testing

/// `source: {type: directory}` replays an archive of bundle files through the same engine, state
/// file and sinks as the API.
@Suite("The directory source", .serialized)
struct DirectorySourceTests {
    /// Archives three simulated bundles the way a raw files stage does, and writes their NDJSON.
    static func archive(in workspace: TemporaryFolder) async throws {
        let file = try workspace.write("api.yml", """
            source: {start: 0, settle: 0s, state: api.state}
            stages:
              raw: {type: files, inputs: [source], path: "archive/{start:%Y/%m}/{id}.json.gz"}
              lines: {type: files, inputs: [source], format: ndjson, path: "api/{id}.ndjson"}
            """)
        try await withSimulator(.pipelineTests(bundles: 3)) { simulator in try await runPipeline(file, simulator: simulator) }
    }

    static func replay(in workspace: TemporaryFolder, until: Int64? = nil) async throws -> RunSummary {
        let file = try workspace.write("replay.yml", """
            source: {type: directory, path: archive, start: 0, settle: 0s, state: replay.state}
            stages:
              lines: {type: files, inputs: [source], format: ndjson, path: "replay/{id}.ndjson"}
            """)
        let pipeline = try Pipeline.load(path: file, environment: [:])
        return try await pipeline.makeEngine(overrides: .init(until: until), logger: quietLogger).runOnce()
    }

    @Test("An archive a files stage wrote replays to the same events, byte for byte, with no API")
    func replay() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await Self.archive(in: workspace)
        let summary = try await Self.replay(in: workspace)
        #expect(summary.bundles.count == 3)
        let tree = try workspace.tree()
        let api = tree.filter { $0.key.hasPrefix("api/") }, replayed = tree.filter { $0.key.hasPrefix("replay/") }
        #expect(api.count == 3)
        #expect(Dictionary(uniqueKeysWithValues: replayed.map { ($0.key.replacingOccurrences(of: "replay/", with: "api/"), $0.value) }) == api)
        #expect(try await Self.replay(in: workspace).bundles.isEmpty)  // the state file holds it
    }

    @Test("A replay resumes where its state file stands, delivering nothing twice")
    func resume() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await Self.archive(in: workspace)
        let dataset = SimulatedDataset(bundleCount: 3, eventsPerBundle: 300, emptyBundles: [2])
        let first = try await Self.replay(in: workspace, until: dataset.bundle(at: 0).stop)
        #expect(first.bundles == [dataset.bundle(at: 0).id])
        let rest = try await Self.replay(in: workspace)
        #expect(rest.bundles == [dataset.bundle(at: 1).id, dataset.bundle(at: 2).id])
    }

    @Test("A damaged file is a data error that names it; the bundles before it are delivered and recorded")
    func damaged() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try await Self.archive(in: workspace)
        let dataset = SimulatedDataset(bundleCount: 3)
        let victim = try #require(try workspace.tree().keys.first { $0.hasSuffix("\(dataset.bundle(at: 1).id).json.gz") })
        let bytes = try workspace.bytes(victim)
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: "\(workspace.path)/\(victim)"))
        do {
            _ = try await Self.replay(in: workspace)
            Issue.record("a damaged archive replayed")
        } catch let error as DamagedBundleFile {
            #expect("\(error)".contains(victim))
        }
        #expect(try workspace.tree().keys.filter { $0.hasPrefix("replay/") } == ["replay/\(dataset.bundle(at: 0).id).ndjson"])
    }

    /// What the source lists, from the beginning.
    static func listed(_ source: DirectorySource) async throws -> [ExportBundle] {
        var bundles: [ExportBundle] = []
        for try await bundle in source.bundles(after: -1, until: nil) { bundles.append(bundle) }
        return bundles
    }

    @Test("Files whose names are not bundle ids are left alone; two files of one bundle are an error", arguments: ["notes.txt", "x.json.gz", "170406720000.json.gz"])
    func names(_ stray: String) async throws {
        let workspace = try TemporaryFolder("pipeline")
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/a/b", withIntermediateDirectories: true)
        _ = try workspace.write("a/170406720048.json", "[]")
        _ = try workspace.write("a/b/\(stray)", "x")
        let source = try DirectorySource(root: "\(workspace.path)/a")
        if stray.hasPrefix("1704") {
            await #expect(throws: FileSystemError.self) { try await Self.listed(source) }  // 00 units: no span to tell Stop from
        } else {
            #expect(try await Self.listed(source) == [ExportBundle(id: 170_406_720_048, start: 1_704_067_200, stop: 1_704_153_600)])
        }
        _ = try workspace.write("a/b/170406720048.json", "[]")
        await #expect(throws: FileSystemError.self) { try await Self.listed(source) }
    }

    @Test("A pattern reads archives named otherwise: export-{id}.gz")
    func pattern() async throws {
        let workspace = try TemporaryFolder("pipeline")
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/a/2024", withIntermediateDirectories: true)
        _ = try workspace.write("a/2024/export-170406720048.gz", "not read here")
        _ = try workspace.write("a/170406720048.json.gz", "not this pattern")
        let source = try DirectorySource(root: "\(workspace.path)/a", pattern: "export-{id}.gz")
        #expect(try await Self.listed(source).map(\.id) == [170_406_720_048])
        #expect(throws: SinkError.self) { try DirectorySource(root: "/x", pattern: "export.gz") }
        #expect(throws: SinkError.self) { try DirectorySource(root: "/x", pattern: "{id}/{id}.gz") }
    }

    @Test("validate knows the source types and what each needs")
    func validation() {
        let stages = "stages:\n  raw: {type: files, inputs: [source], path: \"{id}\"}\n"
        #expect(ValidationTests.diagnostics("source: {type: directory}\n" + stages, mode: .validate).contains { $0.message.contains("needs 'path'") })
        #expect(ValidationTests.diagnostics("source: {type: dirctory, path: a}\n" + stages, mode: .validate).contains { $0.message.contains("did you mean 'directory'") })
        #expect(ValidationTests.diagnostics("source: {path: a}\n" + stages, mode: .validate).contains { $0.message.contains("type: directory") })
        #expect(ValidationTests.diagnostics("source: {type: directory, path: /tmp}\n" + stages, mode: .validate).isEmpty)
        // The folder must exist when validated on the machine that runs it; not at build time.
        #expect(ValidationTests.diagnostics("source: {type: directory, path: a}\n" + stages, mode: .validate).map(\.description) == [
            "p.yml:1:33: error: cannot read the folder /nonexistent/a: it does not exist; a directory source reads bundle files from an existing folder (an empty one is fine)"
        ])
        #expect(ValidationTests.diagnostics("source: {type: directory, path: a}\n" + stages, mode: .validateAllowingUnknownTypes).allSatisfy { $0.severity == .warning })
        #expect(ValidationTests.diagnostics("source: {type: directory, path: a, pattern: nope.gz}\n" + stages, mode: .validate).contains { $0.message.contains("{id}") })
    }
}
