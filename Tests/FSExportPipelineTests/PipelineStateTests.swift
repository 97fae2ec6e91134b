import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportTestSupport
import Testing

/// Each pipeline has a state of its own, and a state file another pipeline wrote is refused; the
/// state, its lock and the outputs are never reached through a symbolic link.
@Suite("Pipeline state", .serialized)
struct PipelineStateTests {
    static let day: Int64 = 1_704_067_200

    static func bundles(_ count: Int) -> [ScriptedBundle] {
        (1...count).map { ScriptedBundle(id: Int64($0) * 100, start: day + Int64($0 - 1) * 86_400, stop: day + Int64($0) * 86_400, events: [#"{"EventType":"click","n":\#($0)}"#]) }
    }

    static let rawStage = "stages:\n  raw: {type: files, inputs: [source], root: out, path: \"{id}.json.gz\"}\n"

    @Test("Two pipelines in one folder without a state key each deliver every bundle, each to its own state")
    func twoPipelinesOneFolder() async throws {
        let server = try ScriptedExportAPI.server(Self.bundles(3))
        let workspace = try TemporaryFolder("pipeline")
        let a = try workspace.write("a.fsexport.yml", "source: {start: 0, settle: 0s}\n" + Self.rawStage)
        let b = try workspace.write("b.fsexport.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], root: other, path: \"{id}.json.gz\"}\n")
        #expect(try await runPipeline(a, server: server).bundles == [100, 200, 300])
        #expect(try await runPipeline(b, server: server).bundles == [100, 200, 300])
        let state = try #require(try CheckpointStore(path: "\(workspace.path)/.fsexport/b/state.json").load())
        #expect(state.pipeline == "b.fsexport.yml")
        #expect(state.stages == ["raw"])
        #expect(FileManager.default.fileExists(atPath: "\(workspace.path)/.fsexport/a/state.json"))
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/.fsexport/state.json"))
    }

    @Test("A state file named by two pipelines is refused for the second, with a message naming both")
    func sharedStateRefused() async throws {
        let server = try ScriptedExportAPI.server(Self.bundles(2))
        let workspace = try TemporaryFolder("pipeline")
        let a = try workspace.write("a.yml", "source: {start: 0, settle: 0s, state: shared.json}\n" + Self.rawStage)
        let b = try workspace.write("b.yml", "source: {start: 0, settle: 0s, state: shared.json}\nstages:\n  copy: {type: files, inputs: [source], root: other, path: \"{id}.json.gz\"}\n")
        try await runPipeline(a, server: server)
        let before = try workspace.bytes("shared.json")
        let error = await #expect(throws: StateFileError.self) { try await runPipeline(b, server: server) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("a.yml (stages raw)") && message.contains("b.yml (stages copy)"), "\(message)")
        #expect(try workspace.bytes("shared.json") == before)
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/other"))
    }

    @Test("The single pipeline of a folder adopts the state file of earlier versions and resumes after it")
    func legacyStateAdopted() async throws {
        let server = try ScriptedExportAPI.server(Self.bundles(3))
        let workspace = try TemporaryFolder("pipeline")
        let legacy = #"{"bundle_id":100,"stop":\#(Self.day + 86_400),"committed_at":"2024-01-02T00:00:00Z","delivered_at_stop":[100]}"#
        _ = try workspace.write(".fsexport/state.json", legacy)
        let file = try workspace.write("nightly.fsexport.yml", "source: {start: 0, settle: 0s}\n" + Self.rawStage)
        #expect(try await runPipeline(file, server: server).bundles == [200, 300])
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/.fsexport/state.json"))
        let adopted = try #require(try CheckpointStore(path: "\(workspace.path)/.fsexport/nightly/state.json").load())
        #expect(adopted.bundleID == 300 && adopted.pipeline == "nightly.fsexport.yml")
    }

    @Test("An earlier versions' state file that several pipelines of the folder used is not guessed at")
    func legacyStateAmbiguous() async throws {
        let server = try ScriptedExportAPI.server(Self.bundles(2))
        let workspace = try TemporaryFolder("pipeline")
        _ = try workspace.write(".fsexport/state.json", #"{"bundle_id":100,"stop":\#(Self.day + 86_400),"delivered_at_stop":[100]}"#)
        let a = try workspace.write("a.fsexport.yml", "source: {start: 0, settle: 0s}\n" + Self.rawStage)
        _ = try workspace.write("b.fsexport.yml", "source: {start: 0, settle: 0s}\n" + Self.rawStage)
        _ = try workspace.write("c.fsexport.yml", "source: {start: 0, settle: 0s, state: c.json}\n" + Self.rawStage)  // its own state: not a sharer
        let error = await #expect(throws: StateFileError.self) { try await runPipeline(a, server: server) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("2 pipelines in this folder used it (a.fsexport.yml, b.fsexport.yml)"))
        #expect(FileManager.default.fileExists(atPath: "\(workspace.path)/.fsexport/state.json"))
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/out"))
    }

    @Test("A lock file planted as a link to another file fails the run, and that file keeps its bytes")
    func lockLink() async throws {
        let server = try ScriptedExportAPI.server(Self.bundles(1))
        let workspace = try TemporaryFolder("pipeline"), outside = try TemporaryFolder("outside")
        let precious = try outside.write("precious", "do not overwrite")
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/.fsexport/p", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(workspace.path)/.fsexport/p/state.json.lock", withDestinationPath: precious)
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\n" + Self.rawStage)
        await #expect(throws: FileSystemError.self) { try await runPipeline(file, server: server) }
        #expect(outside.read("precious") == "do not overwrite")
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/out"))
    }

    @Test("A date folder that is a link to the outside fails the bundle: nothing is made or removed through it")
    func dateFolderLink() async throws {
        let server = try ScriptedExportAPI.server(Self.bundles(1))
        let workspace = try TemporaryFolder("pipeline"), outside = try TemporaryFolder("outside")
        try outside.write("kept/file", "x")
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/out/raw", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(workspace.path)/out/raw/2024", withDestinationPath: outside.path)
        let file = try workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  raw: {type: files, inputs: [source], root: out, path: \"raw/{start:%Y/%m/%d}/{id}.json.gz\"}\n")
        await #expect(throws: StageFailure.self) { try await runPipeline(file, server: server) }
        #expect(outside.listing() == ["kept", "kept/file"])
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.path)/.fsexport/p/state.json"))
    }
}
