import ArgumentParser
import FSExportClient
import FSExportCore

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
              fsexport events --simulate --until 2024-01-03 | jq -c 'select(.EventType == "click")'
              fsexport list --simulate

            \(ExitStatus.helpText)
            """,
        version: FSExportVersion.current,
        subcommands: [
            RunCommand.self, ValidateCommand.self, EventsCommand.self, ListCommand.self, GetCommand.self, SimulateCommand.self,
        ])

    public init() {}

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
        await main()
    }
}
