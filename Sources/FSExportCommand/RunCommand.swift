import ArgumentParser
import Foundation
import FSExportClient
import FSExportHTTP
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import Logging
import Synchronization

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: deliver every finished bundle after the last one delivered, then stop (or keep following).",
        discussion: """
            Each bundle is downloaded (the next one while the current is delivered), decoded once, \
            and handed to every stage; when all stages have committed, the state file records it. \
            A re-run resumes after the last committed bundle, so a run that is killed loses nothing \
            and delivers nothing twice.

            Ctrl-C (or SIGTERM) finishes the bundle in progress, then stops; a second one aborts \
            the bundle (nothing of it is committed). Either way the state file stays consistent.

            A run holds a lock beside the state file: a second run of the same pipeline (a cron \
            job that overlaps itself) does nothing and exits 75.

            EXAMPLES
              fsexport run examples/raw-archive.fsexport.yml --simulate
              fsexport run nightly.fsexport.yml --dry-run
              fsexport run nightly.fsexport.yml --follow --interval 1h
              fsexport run nightly.fsexport.yml --since 2024-03-01 --until 2024-04-01
            """)

    @OptionGroup var pipeline: PipelineOptions

    @Flag(help: "Deliver what is available, then exit (the default).")
    var once = false

    @Flag(help: "Keep running: deliver, wait --interval, repeat; a failing bundle is retried with backoff.")
    var follow = false

    @Option(help: ArgumentHelp("How long --follow waits between runs (default 1h).", valueName: "duration"))
    var interval: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Start here instead of after the state file's bundle (re-exports a period).", valueName: "time"))
    var since: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Deliver only bundles whose Stop is not after this time.", valueName: "time"))
    var until: String?

    @Flag(help: "List the bundles that would be downloaded and what each stage would write; change nothing.")
    var dryRun = false

    @OptionGroup var logging: LoggingOptions

    @OptionGroup var metrics: MetricsOptions

    /// The shortest --interval against Fullstory's own API: it allows two downloads a minute and
    /// a bundle covers 30 minutes at least, so checking more often only spends the key's calls.
    static let minimumInterval: Duration = .seconds(60)

    /// Refuses an --interval under ``minimumInterval`` when the source is Fullstory's API (a
    /// simulator, a proxy or a folder may be followed as often as one likes).
    static func checkInterval(_ interval: Duration, source: any BundleSource) throws {
        guard interval < minimumInterval, let client = source as? ExportClient,
            client.configuration.baseURL == ExportClientConfiguration.defaultBaseURL
        else { return }
        throw ValidationError(
            "--interval \(DurationText.format(interval)) is below \(DurationText.format(minimumInterval)): Fullstory's API allows two downloads a minute, and a bundle covers 30 minutes at least; use 1m or more")
    }

    func validate() throws {
        try validateWindow(since: since, until: until)
        if once && follow { throw ValidationError("--once and --follow cannot be used together") }
        if interval != nil, !follow { throw ValidationError("--interval is how long --follow waits between runs: add --follow, or leave --interval out") }
        do { _ = try DurationText.parse(interval ?? "1h") } catch { throw ValidationError("--interval: \(error)") }
        if try metrics.address() != nil, !follow { throw ValidationError("--metrics-address serves while --follow runs; for a single run, use --metrics-file") }
    }

    func run() async throws {
        let logger = {
            var logger = logging.logger
            logger[metadataKey: "pipeline"] = "\(Pipeline.name(ofFile: pipeline.file))"
            return logger
        }()
        let overrides = Pipeline.Overrides(since: try parseTime(since, option: "--since"), until: try parseTime(until, option: "--until"))
        try await reportingErrors(logger) {
            let display = ProgressDisplay()
            defer { display.finish() }
            try await pipeline.withEngine(overrides: overrides, logger: logger, progress: logging.quiet ? nil : display.runReporter) { engine in
                // Started before the engine records anything; after each run, its outcome and the
                // state file's lag are recorded and the totals saved, whether it succeeded or not.
                let pipelineMetrics = metrics.enabled && !dryRun
                    ? PipelineMetrics(pipeline: engine.configuration.pipelineName, statePath: engine.configuration.statePath, logger: logger) : nil
                let written = pipelineMetrics.map { pipelineMetrics in
                    { @Sendable (succeeded: Bool) in
                        pipelineMetrics.finishRun(
                            succeeded: succeeded, checkpointStop: (try? engine.checkpointStore.load())?.stop,
                            now: engine.configuration.clocks.wall(), metricsFile: metrics.metricsFile, logger: logger)
                    }
                }
                if dryRun {
                    try await Self.dryRun(engine, since: overrides.since)
                } else if follow {
                    let interval = try DurationText.parse(interval ?? "1h")
                    try Self.checkInterval(interval, source: engine.source)
                    if let address = try metrics.address(), let pipelineMetrics {
                        try await MetricsServer.withServing(host: address.host, port: address.port, metrics: pipelineMetrics, logger: logger) {
                            try await Self.follow(engine, interval: interval, since: overrides.since, logger: logger, afterRound: written)
                        }
                    } else {
                        try await Self.follow(engine, interval: interval, since: overrides.since, logger: logger, afterRound: written)
                    }
                } else {
                    do {
                        try await Self.runOnce(engine, since: overrides.since, logger: logger)
                        written?(true)
                    } catch {
                        written?(false)  // a failed run is a fact for the metrics too
                        throw error
                    }
                }
            }
        }
    }

    private static func runOnce(_ engine: Engine, since: Int64?, logger: Logger) async throws {
        let stopSignal = SignalBox()
        let (result, cancelledBy) = await withSignals {
            try await engine.runOnce(since: since)
        } onSignal: { signal, count in
            stopSignal.set(signal)
            return Self.stop(engine, count: count, logger: logger)
        }
        let summary: RunSummary
        do {
            summary = try result.get()
        } catch {
            // Whatever a cancelled run threw (a stage's program killed, an aborted transfer), it
            // ended because it was told to: say so with the signal's exit status.
            guard let signal = cancelledBy else { throw error }
            logger.warning("stopped; the state file names the last committed bundle")
            throw ExitCode(exitStatus(forSignal: signal))
        }
        logger.info("\(summary.description)")
        if summary.stoppedEarly, let signal = stopSignal.value {
            logger.warning("stopped early; run again to continue")
            throw ExitCode(exitStatus(forSignal: signal))
        }
    }

    /// The first signal lets a bundle being delivered finish; otherwise (listing, downloading,
    /// waiting out a retry, idle between --follow rounds) nothing is committed, and the run ends
    /// at once. The second signal always ends it at once, aborting the bundle.
    private static func stop(_ engine: Engine, count: Int, logger: Logger) -> SignalVerdict {
        if count == 1, engine.requestStop() {
            logger.warning("stopping after the bundle in progress; interrupt again to abort it")
            return .carryOn
        }
        logger.warning(count == 1 ? "stopping" : "aborting the bundle in progress")
        return .cancel
    }

    private static func follow(
        _ engine: Engine, interval: Duration, since: Int64?, logger: Logger, afterRound: (@Sendable (_ succeeded: Bool) -> Void)? = nil
    ) async throws {
        let stopSignal = SignalBox()
        // A failed round is retried as any failed call is: backoff from 30 s, never longer than
        // the interval, counted and logged by the shared retry layer.
        let retrying = Retrying(
            policy: RetryPolicy(initialDelay: .seconds(30), maxDelay: max(interval, .seconds(30))), clocks: engine.configuration.clocks, logger: logger) { _, attempts, reason in
            ExportError.gaveUp(attempts: attempts, lastError: reason)  // unreachable: the policy has no limit
        }
        _ = await withSignals {
            var since = since
            while !engine.isStopRequested {
                let summary = try await retrying.run("the round") { _, _ in
                    do {
                        defer { since = nil }  // after the first round, the state file leads
                        return try await engine.runOnce(since: since)
                    } catch where !Task.isCancelled {
                        afterRound?(false)
                        throw RetryableFailure("\(error)", category: "round")
                    }
                }
                afterRound?(true)
                // A stop asked during the round ends the run now, not after the interval.
                if engine.isStopRequested {
                    logger.info("\(summary.description); stopped")
                    break
                }
                let next = Timestamp.iso8601(engine.configuration.clocks.wall() + Int64((interval / .seconds(1)).rounded(.up)))
                let done = summary.description
                logger.info("\(done); next check at \(next) (every \(DurationText.format(interval)))", metadata: ["next_check": "\(next)"])
                try await engine.configuration.clocks.sleep(for: interval)
            }
        } onSignal: { signal, count in
            stopSignal.set(signal)
            return Self.stop(engine, count: count, logger: logger)
        }
        // Only a signal ends following: a failed round is retried, and cancellation is the signal's.
        throw ExitCode(exitStatus(forSignal: stopSignal.value ?? SIGINT))
    }

    private static func dryRun(_ engine: Engine, since: Int64?) async throws {
        let bundles = try await engine.plannedBundles(since: since)
        _ = try await engine.settling(after: bundles.last?.stop ?? since ?? 0)  // logs what settle holds back, as a run does
        let output = Terminal.standardOutput
        output.writeLine("would deliver \(bundles.count) bundle\(bundles.count == 1 ? "" : "s"):")
        for bundle in bundles {
            output.writeLine("  \(bundle)")
            for (stage, planned) in DryRunPlan.outputs(of: engine, for: bundle) {
                let inputs = stage.inputs.map(\.description).joined(separator: ", ")
                output.writeLine("    \(stage.name) (from \(inputs))" + (planned.isEmpty ? "" : ": " + planned.joined(separator: ", ")))
            }
        }
    }
}

/// What each stage would write for a bundle, in pipeline order: the source's file name flows to
/// the stages that read it, and each stage's planned names to the stages that read them, through
/// the sinks' own naming code.
enum DryRunPlan {
    static func outputs(of engine: Engine, for bundle: ExportBundle) -> [(Stage, [String])] {
        let stages = engine.configuration.stages  // in pipeline order
        var names: [String: [String]] = [:]
        var result: [(Stage, [String])] = []
        for stage in stages {
            let inputs = stage.sink.reads == .events ? [] : stage.inputs.flatMap { input -> [String] in
                switch input {
                case .source: [(engine.source as? any FetchPreview)?.plannedFileName(for: bundle) ?? bundle.deliveredFileName]
                case .stage(let name): names[name] ?? []
                }
            }
            let planned = (stage.sink as? any PlansOutput)?.plannedOutputs(for: bundle, inputs: inputs) ?? []
            names[stage.name] = planned
            result.append((stage, planned))
        }
        let order = Dictionary(uniqueKeysWithValues: engine.configuration.stages.enumerated().map { ($1.name, $0) })
        return result.sorted { order[$0.0.name]! < order[$1.0.name]! }
    }
}

/// The signal that ended a run, set from the signal handler.
final class SignalBox: Sendable {
    private let stored = Synchronization.Atomic<Int32>(0)
    func set(_ signal: Int32) { stored.store(signal, ordering: .relaxed) }
    var value: Int32? {
        let signal = stored.load(ordering: .relaxed)
        return signal == 0 ? nil : signal
    }
}
