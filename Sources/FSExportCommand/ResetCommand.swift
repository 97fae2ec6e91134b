import ArgumentParser
import Foundation
import FSExportCore


struct ResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Move a pipeline's checkpoint to a time: the next run delivers the bundles whose Stop is after it.",
        discussion: """
            To export a period again (after fixing a stage, say), or to skip ahead. The state file \
            is replaced atomically, under the pipeline's lock: while a run holds it, nothing \
            changes and the exit status is 75. It asks before changing anything unless --yes \
            (which it needs when standard input is not a terminal).

            EXAMPLES
              fsexport reset examples/nightly-tar.fsexport.yml --to 2024-01-10 --yes
              fsexport reset nightly.fsexport.yml --to -7d --yes
            """)

    @OptionGroup var pipeline: PipelineOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("The new checkpoint: unix seconds, ISO 8601 or relative (-7d).", valueName: "time"))
    var to: String

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        _ = try parseTime(to, option: "--to")
        if !yes, !Terminal.standardInput.isInteractive {
            throw ValidationError("reset changes the state file: confirm with --yes (standard input is not a terminal to ask on)")
        }
    }

    func run() async throws {
        let time = try parseTime(to, option: "--to")!
        let logger = logging.logger
        try await reportingErrors(logger) {
            do {
                let store = try pipeline.checkpointStore()
                let current = try store.load()
                let from = current.map(\.description) ?? "no checkpoint"
                if !yes {
                    Terminal.standardError.write("move \(store.path) from \(from) to \(Timestamp.iso8601(time))? [y/N] ")
                    guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                        logger.notice("nothing changed")
                        return
                    }
                }
                try await store.reset(to: time)
                logger.info("the checkpoint moved from \(from) to \(Timestamp.iso8601(time)); the next run delivers the bundles whose Stop is after it")
            }
        }
    }
}
