import Foundation
import PackagePlugin

/// Validates a target's pipeline files at build time: `*.fsexport.yml`, `*.fsexport.yaml` and
/// `*.fsexport.json` anywhere in the target's folder. A broken pipeline fails `swift build` with
/// `file:line:column` errors. Exclude the files from the target (`exclude:`) to keep SwiftPM from
/// asking what they are.
@main
struct FSExportPipelineValidation: BuildToolPlugin {
    static let suffixes = [".fsexport.yml", ".fsexport.yaml", ".fsexport.json"]

    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let tool = try context.tool(named: "fsexport-validate")
        return pipelineFiles(in: target.directoryURL).map { file in
            // The check's output is an empty Swift file: SwiftPM runs a build command only when
            // the target consumes what it produces.
            let name = file.lastPathComponent.replacingOccurrences(of: ".", with: "_")
            let output = context.pluginWorkDirectoryURL.appendingPathComponent("Validated_\(name).swift")
            return .buildCommand(
                displayName: "Validating pipeline \(file.lastPathComponent)",
                executable: tool.url,
                arguments: [file.path, "--output", output.path],
                inputFiles: [file],
                outputFiles: [output])
        }
    }

    func pipelineFiles(in directory: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return enumerator.compactMap { $0 as? URL }
            .filter { url in Self.suffixes.contains { url.lastPathComponent.hasSuffix($0) } }
            .sorted { $0.path < $1.path }
    }
}
