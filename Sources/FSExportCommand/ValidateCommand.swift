import ArgumentParser
import Foundation
import FSExportCore
import FSExportPipeline

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file without running it: every problem at once, as file:line:column.",
        discussion: """
            Checks the YAML, unknown keys (with a did-you-mean), types, stage types, inputs, cycles, \
            stages whose files go nowhere, and path templates. Unset ${VARIABLES} are warnings here \
            and errors at run time. Nothing is written.

            Several files are checked one after the other; the exit status is 78 if any is invalid.

            EXAMPLES
              fsexport validate nightly.fsexport.yml
              fsexport validate examples/*.fsexport.yml
            """)

    @Argument(help: "The pipeline files (YAML or JSON); '-' reads standard input.", completion: .file(extensions: ["yml", "yaml", "json"]))
    var files: [String]

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one pipeline file") }
    }

    func run() async throws {
        var invalid = 0
        for file in files where !check(file) { invalid += 1 }
        if invalid > 0 {
            if files.count > 1 { Terminal.standardError.writeLine("\(invalid) of \(files.count) files are invalid") }
            throw ExitCode(ExitStatus.invalidPipeline.rawValue)
        }
    }

    /// Checks one file and reports on it; false when it is invalid.
    private func check(_ file: String) -> Bool {
        do {
            let pipeline: Pipeline
            if file == "-" {
                let text = String(decoding: try SmallFile.readStandardInput(limit: Pipeline.maximumFileSize, what: "the pipeline file"), as: UTF8.self)
                pipeline = try Pipeline.load(
                    text: text, file: "<stdin>", baseDirectory: FileManager.default.currentDirectoryPath,
                    registry: CommandEnvironment.sinks, mode: .validate)
            } else {
                pipeline = try Pipeline.load(path: file, registry: CommandEnvironment.sinks, mode: .validate)
            }
            // -q: errors only (the exit status says the rest).
            guard !logging.quiet else { return true }
            for warning in pipeline.warnings { Terminal.standardError.writeLine(warning.description) }
            Terminal.standardOutput.writeLine("\(file): ok (\(pipeline.stages.count) stage\(pipeline.stages.count == 1 ? "" : "s"): \(pipeline.stages.map(\.name).joined(separator: ", ")))")
            return true
        } catch let error as PipelineFileError {
            Terminal.standardError.writeLine(error.description)
            let count = error.diagnostics.filter { $0.severity == .error }.count
            Terminal.standardError.writeLine("\(file == "-" ? "<stdin>" : file): \(count) error\(count == 1 ? "" : "s")")
            return false
        } catch {
            Terminal.standardError.writeLine("\(file): \(error)")
            return false
        }
    }
}
