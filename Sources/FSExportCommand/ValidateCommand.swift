import ArgumentParser
import Foundation
import FSExportPipeline

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file without running it: every problem at once, as file:line:column.",
        discussion: """
            Checks the YAML, unknown keys (with a did-you-mean), types, stage types, inputs, cycles, \
            stages whose files go nowhere, and path templates. Unset ${VARIABLES} are warnings here \
            and errors at run time. Nothing is written.

            EXAMPLES
              fsexport validate nightly.fsexport.yml
            """)

    @Argument(help: "The pipeline file (YAML or JSON); '-' reads standard input.")
    var file: String

    func run() async throws {
        do {
            let pipeline: Pipeline
            if file == "-" {
                let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                pipeline = try Pipeline.load(
                    text: text, file: "<stdin>", baseDirectory: FileManager.default.currentDirectoryPath,
                    registry: CommandEnvironment.sinks, mode: .validate)
            } else {
                pipeline = try Pipeline.load(path: file, registry: CommandEnvironment.sinks, mode: .validate)
            }
            for warning in pipeline.warnings { Terminal.standardError.writeLine(warning.description) }
            Terminal.standardOutput.writeLine("\(file): ok (\(pipeline.stages.count) stages: \(pipeline.stages.map(\.name).joined(separator: ", ")))")
        } catch let error as PipelineFileError {
            Terminal.standardError.writeLine(error.description)
            let count = error.diagnostics.filter { $0.severity == .error }.count
            Terminal.standardError.writeLine("\(file): \(count) error\(count == 1 ? "" : "s")")
            throw ExitCode(ExitStatus.invalidPipeline.rawValue)
        }
    }
}
