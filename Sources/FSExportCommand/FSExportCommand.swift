import ArgumentParser
import FSExportClient

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
              fsexport list --simulate
              fsexport get 170406720048 --simulate --decode -o - | jq length

            \(ExitStatus.helpText)
            """,
        version: FSExportVersion.current,
        subcommands: [ListCommand.self, GetCommand.self, SimulateCommand.self])

    public init() {}
}
