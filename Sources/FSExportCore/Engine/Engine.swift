import Foundation
import Logging
import Synchronization

/// Lists, downloads (the next bundle while the current one is delivered), decodes once, delivers
/// through every stage, commits, and only then records the checkpoint. A re-run resumes after the
/// last bundle that every stage committed.
public final class Engine: Sendable {
    public struct Configuration: Sendable {
        public var stages: [Stage]
        /// Where bundles are downloaded and stages stage their files.
        public var spoolDirectory: String
        public var statePath: String
        /// The pipeline the state file belongs to: recorded in it, and checked at every run.
        public var stateOwner: StateOwner?
        /// A state file from before each pipeline had its own, adopted while `statePath` does not exist.
        public var legacyStatePath: String?
        /// Where to begin when the state file is empty (unix seconds).
        public var start: Int64
        public var until: Int64?
        /// Bundles whose Stop is more recent than this are left for a later run (their data may still change).
        public var settle: Duration
        /// Events larger than this are refused as a data error.
        public var maximumEventSize = BundleDecoder.defaultMaximumEventSize
        /// Called as the run lists and as each fetch moves along (for a progress display).
        public var progress: (@Sendable (RunProgress) -> Void)?
        /// "Now" for settle, the state file and the metrics; what the run lock waits on.
        public var clocks = Clocks.system
        /// What logs and metrics call the pipeline (its file's name, as its state folder is named).
        public var pipelineName = "pipeline"

        /// `stages` are kept in pipeline order (each after its inputs), ordered once here.
        public init(stages: [Stage], spoolDirectory: String, statePath: String, start: Int64, until: Int64? = nil, settle: Duration = .zero) {
            self.stages = stages.inPipelineOrder
            self.spoolDirectory = spoolDirectory
            self.statePath = statePath
            self.start = start
            self.until = until
            self.settle = settle
        }
    }

    /// Where the bundles come from.
    public let source: any BundleSource
    public let configuration: Configuration
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    private let delivering = Atomic<Bool>(false)

    public init(source: any BundleSource, configuration: Configuration, logger: Logger) {
        self.source = source
        self.configuration = configuration
        self.logger = logger
    }

    /// Asks the run to end. While a bundle is being delivered, it is finished first and this
    /// returns true. Otherwise (listing, downloading, waiting out a retry or the rate limit)
    /// nothing is committed, so the run need not wait: this returns false, and the caller
    /// cancels the run's task to end it at once.
    @discardableResult
    public func requestStop() -> Bool {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        return delivering.load(ordering: .sequentiallyConsistent)
    }

    public var isStopRequested: Bool { stopRequested.load(ordering: .sequentiallyConsistent) }

    /// The bundles a run would deliver, in order: the same listing, resumption and filtering as
    /// ``runOnce(since:)``.
    public func plannedBundles(since: Int64? = nil) async throws -> [ExportBundle] {
        var bundles: [ExportBundle] = []
        var listing = pendingBundles(since: since, checkpoint: try checkpointStore.load(), now: configuration.clocks.wall())
        while let bundle = try await listing.next() { bundles.append(bundle) }
        return bundles
    }

    /// Delivers every finished bundle after the checkpoint, then returns. With `since` it exports
    /// from that time instead; the state file, which only moves forward, records what such a window
    /// delivers past it only when the window starts where the state file stands or before, so
    /// that nothing between the two is skipped for good.
    public func runOnce(since: Int64? = nil) async throws -> RunSummary {
        let clocks = configuration.clocks
        let now = clocks.wall()
        let stopwatch = clocks.stopwatch()
        let lock = try await RunLock(statePath: configuration.statePath, clocks: clocks)
        defer { withExtendedLifetime(lock) {} }
        ExportMetrics.prepare(stages: configuration.stages)
        let store = checkpointStore
        var checkpoint = try store.load()
        let records = since.map { since in since <= (checkpoint?.stop ?? configuration.start) } ?? true
        if !records { logger.info("the window starts after where the state file stands; the state file is left as it was") }
        let delivery = BundleDelivery(
            stages: configuration.stages, stagingRoot: try ConfinedRoot(configuration.spoolDirectory).folder(SpoolLayout.staging), logger: logger,
            clocks: clocks)
        var summary = RunSummary()
        summary.countsEvents = delivery.decodesEvents
        summary.fetchVerb = source.fetchVerb

        var listing = pendingBundles(since: since, checkpoint: checkpoint, now: now)
        configuration.progress?(.listing)
        // The next bundle downloads (a child task, at most one) while this one is delivered; a
        // stop or a failure cancels it, and the run returns once it has cleaned up.
        let next = try await withThrowingTaskGroup(of: DownloadedBundle.self) { downloads in
            var next = try await listing.next()
            var number = 1
            if let first = next { downloads.addTask(operation: download(first, number: number, listing: listing)) }
            defer { downloads.cancelAll() }
            while let bundle = next {
                if isStopRequested {
                    summary.stoppedEarly = true
                    break
                }
                guard let file = try await downloads.next() else { break }
                next = try await listing.next()
                number += 1
                if let following = next { downloads.addTask(operation: download(following, number: number, listing: listing)) }

                // From here the bundle is finished even if a stop is asked for; checked after the
                // flag is set, so that a stop asked just before is never missed.
                delivering.store(true, ordering: .sequentiallyConsistent)
                defer { delivering.store(false, ordering: .sequentiallyConsistent) }
                if isStopRequested {
                    summary.stoppedEarly = true
                    break
                }
                if number == 2 { try await prepareStages(before: bundle.id) }  // the first bundle of this run
                logger.info(
                    "delivering \(bundle) (\(ByteSizeText.format(file.byteCount)))",
                    metadata: ["bundle_id": "\(bundle.id)", "bytes": "\(file.byteCount)"])
                let delivered = clocks.stopwatch()
                let position = RunProgress.Position(number: number - 1, listed: listing.listed, listingComplete: listing.isComplete)
                configuration.progress?(.delivering(bundle, position: position, bytes: file.byteCount))
                var context = BundleContext(bundle, file: file, maximumEventSize: configuration.maximumEventSize)
                context.isRedelivery = since != nil || bundle.stop <= (checkpoint?.highestStop ?? .min)
                context.deliveredAt = clocks.wall()
                let outcome = try await delivery.deliver(context)
                if records { checkpoint = try store.record(bundle, after: checkpoint) }
                ConfinedRoot.removeIfPresent(file.path)
                summary.add(bundle, file: file, outcome: outcome)
                configuration.progress?(.delivered(bundle, position: position, events: outcome.events, bytes: file.byteCount))
                logger.info(
                    "committed bundle \(bundle.id)\(summary.countsEvents ? ": \(outcome.events) events" : "")",
                    metadata: [
                        "bundle_id": "\(bundle.id)", "events": "\(outcome.events)", "bytes": "\(file.byteCount)",
                        "duration_s": "\(DurationText.seconds(delivered.elapsed()).dropLast())",
                    ])
            }
            return next
        }
        if isStopRequested, next != nil { summary.stoppedEarly = true }
        if !summary.stoppedEarly {
            summary.listedAfter = since ?? checkpoint?.stop ?? configuration.start
            summary.newestDelivered = since == nil ? checkpoint?.bundleID : nil
            summary.settle = configuration.settle
            summary.settling = try await settling(after: summary.lastStop ?? listing.resumption.listFrom)
            ExportMetrics.succeeded(at: clocks.wall())
        }
        if let checkpoint { ExportMetrics.checkpoint(stop: checkpoint.stop, now: clocks.wall()) }
        summary.elapsed = stopwatch.elapsed()
        return summary
    }

    /// Lets each stage that has something to put right (``PreparesRun``) do it, in pipeline order.
    private func prepareStages(before bundle: Int64) async throws {
        for stage in configuration.stages {
            guard let sink = stage.sink as? any PreparesRun else { continue }
            var stageLogger = logger
            stageLogger[metadataKey: "stage"] = "\(stage.name)"
            do { try await sink.prepareRun(logger: stageLogger) } catch { throw StageFailure(stage: stage.name, bundleID: bundle, underlying: error) }
        }
    }

    /// The bundles after `start` that `settle` holds back, logged so that a run that delivers
    /// fewer bundles than `list` shows says why. One more listing, and only when settle is set.
    public func settling(after start: Int64) async throws -> (count: Int, readyAt: Int64?) {
        guard configuration.settle > .zero, let cutoff = untilTime(now: configuration.clocks.wall()), cutoff < (configuration.until ?? .max) else { return (0, nil) }
        var count = 0
        var first: Int64?
        for try await bundle in source.bundles(after: max(start, cutoff), until: configuration.until) where bundle.stop > cutoff {
            count += 1
            first = min(first ?? bundle.stop, bundle.stop)
        }
        let settle = Int64(configuration.settle / .seconds(1))
        let readyAt = first.map { $0 + settle }
        if count > 0, let readyAt {
            logger.info(
                "\(count) bundle\(count == 1 ? "" : "s") newer than settle (\(DurationText.format(configuration.settle))) wait\(count == 1 ? "s" : ""); the first is ready at \(Timestamp.iso8601(readyAt))",
                metadata: ["settling": "\(count)", "ready_at": "\(Timestamp.iso8601(readyAt))"])
        }
        return (count, readyAt)
    }

    /// The state file, for this source's ids.
    public var checkpointStore: CheckpointStore {
        CheckpointStore(
            path: configuration.statePath, scope: source.checkpointScope, owner: configuration.stateOwner, legacyPath: configuration.legacyStatePath,
            clocks: configuration.clocks)
    }

    /// The bundles still to deliver, from `since` or from where the state file says delivery stands.
    func pendingBundles(since: Int64?, checkpoint: CheckpointStore.Checkpoint?, now: Int64) -> PendingBundles {
        let resumption = resumption(since: since, checkpoint: checkpoint)
        return PendingBundles(
            listing: source.bundles(after: resumption.listFrom, until: untilTime(now: now)).makeAsyncIterator(), resumption: resumption)
    }

    func resumption(since: Int64?, checkpoint: CheckpointStore.Checkpoint?) -> CheckpointStore.Resumption {
        if let since {
            logger.info("exporting from \(Timestamp.iso8601(since)) (--since)")
            return .init(listFrom: since)
        }
        if let checkpoint {
            logger.info("resuming after \(checkpoint)\(checkpoint.isReset ? ", where fsexport reset put the state file" : "")")
            return checkpoint.resumption
        }
        logger.info("first run: starting at \(Timestamp.iso8601(configuration.start))")
        return .init(listFrom: configuration.start)
    }

    /// The download of `bundle` into the spool, reporting its progress as the `number`th of the listing.
    private func download(_ bundle: ExportBundle, number: Int, listing: PendingBundles) -> @Sendable () async throws -> DownloadedBundle {
        let path = SpoolLayout.bundlePath(bundle.id, in: configuration.spoolDirectory)
        let source = self.source
        let position = RunProgress.Position(number: number, listed: listing.listed, listingComplete: listing.isComplete)
        let report = configuration.progress.map { report in
            { @Sendable (progress: TransferProgress) in report(.fetching(bundle, position: position, progress)) }
        }
        return { try await source.fetch(bundle, to: path, progress: report) }
    }

    func untilTime(now: Int64) -> Int64? {
        let settled = configuration.settle > .zero ? now - Int64(configuration.settle / .seconds(1)) : nil
        switch (configuration.until, settled) {
        case (let until?, let settled?): return min(until, settled)
        case (let until, nil): return until
        case (nil, let settled): return settled
        }
    }
}

/// The listing of a run, less the bundles the state file says were delivered.
struct PendingBundles {
    var listing: any AsyncIteratorProtocol<ExportBundle, any Error>
    let resumption: CheckpointStore.Resumption
    /// Bundles handed out so far.
    private(set) var listed = 0
    /// Whether the listing has ended.
    private(set) var isComplete = false

    init(listing: any AsyncIteratorProtocol<ExportBundle, any Error>, resumption: CheckpointStore.Resumption) {
        self.listing = listing
        self.resumption = resumption
    }

    mutating func next() async throws -> ExportBundle? {
        while let bundle = try await listing.next() {
            if !resumption.isDelivered(bundle) {
                listed += 1
                return bundle
            }
        }
        isComplete = true
        return nil
    }
}
