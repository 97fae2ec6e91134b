import ArgumentParser
import Foundation
import FSExportClient
import FSExportCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where a pipeline stands: its checkpoint, lag, whether a run holds it, and what waits.",
        discussion: """
            Reads the state file (the last bundle committed, its Stop, when), the lag (now less \
            that Stop), and whether a run holds the pipeline's lock (and its pid). Unless --offline, \
            it asks the source, as a run would, what is available after the checkpoint and what \
            settle still holds back. Nothing is written.

            EXAMPLES
              fsexport status examples/nightly-tar.fsexport.yml --simulate
              fsexport status nightly.fsexport.yml --offline --json | jq .lag_seconds
            """)

    @OptionGroup var pipeline: PipelineOptions

    @Flag(help: "Print one JSON object: bundle_id, stop (RFC 3339 UTC, as every time here), stop_unix, committed_at, lag_seconds, running, pid, available, settling, ready_at.")
    var json = false

    @Flag(help: "Do not ask the source: the state file and the lock only.")
    var offline = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        // The report is the output: the run's own lines only with -v, errors always.
        let logger = try makeLogger(verbose: logging.verbose, quiet: !logging.verbose, format: logging.logFormat)
        try await reportingErrors(logger) {
            let report: StatusReport
            if offline {
                report = try await StatusReport.make(pipeline.checkpointStore())
            } else {
                do {
                    report = try await pipeline.withEngine(logger: logger) { engine in try await StatusReport.make(engine) }
                } catch ExportError.missingKey {
                    // What the state folder says needs no key: shown, with what would show the rest.
                    Terminal.standardError.writeLine(
                        "fsexport: notice: \(ExportError.missingKey); showing the state file and the lock only (--offline does that without this notice)")
                    report = try await StatusReport.make(pipeline.checkpointStore())
                }
            }
            Terminal.standardOutput.writeLine(json ? report.json : report.text(pipeline: pipeline.file))
        }
    }
}

/// What `status` shows, from the same state file, lock and listing a run uses.
struct StatusReport {
    var statePath: String
    var checkpoint: CheckpointStore.Checkpoint?
    var now: Int64
    var running: (running: Bool, processID: Int32?)
    /// nil offline.
    var available: Int?
    var settling: (count: Int, readyAt: Int64?)?

    /// The state file and the lock alone.
    static func make(_ store: CheckpointStore) async throws -> StatusReport {
        StatusReport(statePath: store.readPath, checkpoint: try store.load(), now: store.clocks.wall(), running: await store.runningProcess())
    }

    /// With what the source has: the listing and the settle count a run would make.
    static func make(_ engine: Engine) async throws -> StatusReport {
        var report = try await make(engine.checkpointStore)
        let planned = try await engine.plannedBundles()
        report.available = planned.count
        report.settling = try await engine.settling(after: planned.last?.stop ?? report.checkpoint?.stop ?? engine.configuration.start)
        return report
    }

    var lag: Int64? { checkpoint.map { now - $0.stop } }

    func text(pipeline: String) -> String {
        var lines = ["pipeline    \(pipeline)", "state file  \(statePath)"]
        if let checkpoint {
            let what = checkpoint.isReset ? "reset to \(Timestamp.iso8601(checkpoint.stop))" : "bundle \(checkpoint.bundleID), Stop \(Timestamp.iso8601(checkpoint.stop))"
            lines.append("checkpoint  \(what), committed \(checkpoint.committedAt)")
            lines.append("lag         \(DurationText.format(.seconds(max(lag ?? 0, 0))))")
        } else {
            lines.append("checkpoint  none yet: the first run starts at the pipeline's start")
        }
        lines.append("running     " + (running.running ? "yes" + (running.processID.map { " (pid \($0))" } ?? "") : "no"))
        if let available {
            var line = "available   \(available) bundle\(available == 1 ? "" : "s") to deliver"
            if let settling, settling.count > 0, let ready = settling.readyAt {
                line += "; \(settling.count) waiting for settle, the first ready at \(Timestamp.iso8601(ready))"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
        var fields: [(String, String)] = [
            ("bundle_id", checkpoint.map { "\($0.bundleID)" } ?? "null"),
            ("stop", checkpoint.map { JSONText.quoted(Timestamp.iso8601($0.stop)) } ?? "null"),
            ("stop_unix", checkpoint.map { "\($0.stop)" } ?? "null"),
            ("committed_at", checkpoint.map { JSONText.quoted($0.committedAt) } ?? "null"),
            ("lag_seconds", lag.map { "\($0)" } ?? "null"),
            ("running", "\(running.running)"),
            ("pid", running.processID.map { "\($0)" } ?? "null"),
            ("available", available.map { "\($0)" } ?? "null"),
            ("settling", settling.map { "\($0.count)" } ?? "null"),
            ("ready_at", settling?.readyAt.map { JSONText.quoted(Timestamp.iso8601($0)) } ?? "null"),
        ]
        if checkpoint?.isReset == true { fields[0].1 = "null" }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
