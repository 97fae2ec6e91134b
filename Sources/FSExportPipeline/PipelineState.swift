import Foundation
import FSExportCore
import Yams

/// Where a pipeline keeps its state file and spool. By default both live in `.fsexport/NAME/`
/// beside the pipeline file, NAME being the file's name without `.yml`, `.yaml` or `.json` and
/// without `.fsexport` (`nightly` for `nightly.fsexport.yml`): two pipelines in one folder never
/// share a state file, which would let the second resume where the first stands and deliver
/// nothing. The state file records its pipeline, so a state shared by a `state:` key is refused.
extension Pipeline {
    /// What the default state and spool folder are named after.
    var stateName: String { Self.name(ofFile: file) }

    /// A pipeline's name, from its file's: `nightly` for `nightly.fsexport.yml`. Its state folder,
    /// its log lines and its metrics are named after it.
    public static func name(ofFile file: String) -> String {
        var name = URL(fileURLWithPath: file).lastPathComponent
        for suffix in [".yml", ".yaml", ".json"] where name.hasSuffix(suffix) {
            name.removeLast(suffix.count)
            break
        }
        if name.hasSuffix(".fsexport") { name.removeLast(".fsexport".count) }
        return ["", ".", ".."].contains(name) ? "pipeline" : name
    }

    /// `source.state`, by default `.fsexport/NAME/state.json` beside the pipeline file.
    var statePath: String { resolve(source.state ?? ".fsexport/\(stateName)/state.json") }

    /// `source.spool`, by default `.fsexport/NAME/spool` beside the pipeline file.
    var spoolPath: String { resolve(source.spool ?? ".fsexport/\(stateName)/spool") }

    /// This pipeline, as its state file records it.
    var stateOwner: StateOwner { StateOwner(pipeline: URL(fileURLWithPath: file).lastPathComponent, stages: stages.map(\.name)) }

    /// Where every pipeline of a folder kept its state before each had its own.
    var legacyStatePath: String { resolve(".fsexport/state.json") }

    /// The state file of earlier versions that this pipeline adopts: when it uses the default
    /// state, has none of its own yet, and is the only pipeline in its folder that used that one.
    /// When several did, whose it is cannot be told, and guessing could deliver a pipeline's
    /// bundles nowhere or twice: that is an error that says how to settle it.
    func adoptedLegacyState() throws -> String? {
        guard source.state == nil, !FileManager.default.fileExists(atPath: statePath), FileManager.default.fileExists(atPath: legacyStatePath) else { return nil }
        let sharers = Self.pipelinesUsingDefaultState(in: baseDirectory)
        guard sharers.count > 1 else { return legacyStatePath }
        throw StateFileError(
            path: legacyStatePath,
            problem: "was written before each pipeline had a state file of its own, and \(sharers.count) pipelines in this folder used it (\(sharers.joined(separator: ", ")))",
            advice: "move it to .fsexport/NAME/state.json of the pipeline that delivered with it (NAME: its file name without .fsexport.yml); the others start afresh")
    }

    /// The pipeline files in `folder` that keep their state in the default place (no `state:`).
    static func pipelinesUsingDefaultState(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().filter { name in
            guard !name.hasPrefix("."), [".yml", ".yaml", ".json"].contains(where: name.hasSuffix),
                let size = try? FileSize.of("\(folder)/\(name)"), size < 1 << 20,
                let text = try? String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8),
                let document = try? Yams.compose(yaml: text), document["stages"] != nil, let source = document["source"], source.mapping != nil
            else { return false }
            return source["state"] == nil
        }
    }
}
