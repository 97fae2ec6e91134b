import ArgumentParser
import FSExportClient
import FSExportCore

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the finished export bundles, oldest first.",
        discussion: """
            Pages through LIST until it is caught up. A bundle is listed when its Stop is after \
            --since (default: all) and, with --until, not after --until; with --from, the \
            pipeline's start and until are the defaults. Times are unix seconds, ISO 8601 (UTC \
            unless an offset is given) or relative (-24h, -7d).

            EXAMPLES
              fsexport list --since -7d
              fsexport list --since 2024-01-01 --until 2024-02-01 --json | jq .id
              fsexport list --simulate
              fsexport list --from examples/replay-archive.fsexport.yml
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("List bundles whose Stop is after this time.", valueName: "time"))
    var since: String?

    /// The name this option had before every command said --since.
    @Option(name: .customLong("start"), parsing: .unconditional, help: .hidden)
    var start: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("List only bundles whose Stop is not after this time.", valueName: "time"))
    var until: String?

    @Flag(help: "Print one JSON object a line: id, start and stop (RFC 3339 UTC, as status --json), start_unix and stop_unix.")
    var json = false

    @OptionGroup var source: SourceOptions

    @OptionGroup var global: GlobalOptions

    /// The option the window's start came from, for messages: --since, or its old name --start.
    private var startOption: String { start != nil ? "--start" : "--since" }

    func validate() throws {
        if since != nil, start != nil { throw ValidationError("--start is the old name of --since: give one of them") }
        try validateWindow(since: since ?? start, option: startOption, until: until)
    }

    func run() async throws {
        let start = try parseTime(since ?? start, option: startOption)
        let until = try parseTime(until, option: "--until")
        try await reportingErrors(global.logger) {
            try await source.withSource(global) { source, pipeline in
                let start = start ?? pipeline.start ?? 0, until = until ?? pipeline.until
                var found = 0
                for try await bundle in source.bundles(after: start, until: until) {
                    // The header with the first row: a refused key or a failed call prints no table.
                    if found == 0, !json { Terminal.standardOutput.writeLine("ID              START                 STOP") }
                    found += 1
                    Terminal.standardOutput.writeLine(json ? Self.jsonLine(bundle) : Self.tableLine(bundle))
                }
                if found == 0 { global.logger.notice("\(RunSummary.nothingFinished(after: start, until: until))") }
            }
        }
    }

    /// Times as `status --json` gives them (RFC 3339 UTC), with their unix seconds beside.
    static func jsonLine(_ bundle: ExportBundle) -> String {
        #"{"id":\#(bundle.id),"start":"\#(Timestamp.iso8601(bundle.start))","stop":"\#(Timestamp.iso8601(bundle.stop))","start_unix":\#(bundle.start),"stop_unix":\#(bundle.stop)}"#
    }

    static func tableLine(_ bundle: ExportBundle) -> String {
        let id = String(bundle.id)
        return id + String(repeating: " ", count: max(1, 16 - id.count))
            + "\(Timestamp.iso8601(bundle.start))  \(Timestamp.iso8601(bundle.stop))"
    }
}
