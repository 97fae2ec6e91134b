import ArgumentParser
import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline

/// The `fsexport` command tree. A program of your own can run it as its `@main`.
public struct FSExportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fsexport",
        abstract: "Pull Fullstory Data Export bundles and deliver them to files, NDJSON, tar archives and Unix tools.",
        discussion: """
            The API key comes from the environment variable FULLSTORY_API_KEY or from a file given \
            with --api-key-file; it never appears in arguments, logs or files fsexport writes. Keys \
            need the Admin or Architect role.

            Try it without a key against the built-in simulator:
              fsexport run examples/raw-archive.fsexport.yml --simulate
              fsexport events --simulate --until 2024-01-03 | jq -c .EventType
              fsexport list --simulate

            \(ExitStatus.helpText)
            """,
        version: VersionText.full,
        subcommands: [
            RunCommand.self, ValidateCommand.self, StatusCommand.self, ResetCommand.self, EventsCommand.self, ListCommand.self,
            GetCommand.self, SimulateCommand.self,
        ])

    public init() {}

    /// Runs the command line; a mistyped command gets a suggestion (`fsexport lst`: did you mean
    /// 'list'?) and the usage exit status, instead of a bare "unexpected argument".
    public static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, let message = unknownCommand(first) {
            Terminal.standardError.writeLine("fsexport: error: \(message)")
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        await main(nil)
    }

    /// Why `word`, given where a command belongs, is not one; nil when it is one (or an option).
    static func unknownCommand(_ word: String) -> String? {
        let names = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
        guard !word.hasPrefix("-"), !names.contains(word) else { return nil }
        let hint = Suggestion.closest(to: word, in: names).map { "; did you mean '\($0)'?" } ?? ""
        return "unknown command '\(word)'\(hint) (commands: \(names.dropLast().joined(separator: ", ")); fsexport --help shows them)"
    }

    /// Runs the command line with your own sinks available to pipeline files, as built-in ones:
    ///
    /// ```swift
    /// @main
    /// enum MyExport {
    ///     static func main() async {
    ///         await FSExportCommand.main(sinks: [CSVSink.self])
    ///     }
    /// }
    /// ```
    public static func main(sinks: [any ConfigurableSink.Type]) async {
        CommandEnvironment.registry.withLock { registry in
            for sink in sinks { registry.register(any: sink) }
        }
        await Self.main()
    }
}
