import FSExportClient
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
        /// Where to begin when the state file is empty (unix seconds).
        public var start: Int64
        public var until: Int64?
        /// Bundles whose Stop is more recent than this are left for a later run (their data may still change).
        public var settle: Duration
        /// Called as each download moves along (for a progress display).
        public var downloadProgress: (@Sendable (ExportBundle, TransferProgress) -> Void)?

        public init(stages: [Stage], spoolDirectory: String, statePath: String, start: Int64, until: Int64? = nil, settle: Duration = .zero) {
            self.stages = stages
            self.spoolDirectory = spoolDirectory
            self.statePath = statePath
            self.start = start
            self.until = until
            self.settle = settle
        }
    }

    public let client: ExportClient
    public let configuration: Configuration
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)

    public init(client: ExportClient, configuration: Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// Asks the run to end after the bundle in progress (or at once between bundles).
    public func requestStop() { stopRequested.store(true, ordering: .relaxed) }
    public var isStopRequested: Bool { stopRequested.load(ordering: .relaxed) }

    /// The bundles a run would deliver, in order, and where it would start.
    public func plannedBundles(since: Int64? = nil, now: Int64 = Engine.now()) async throws -> [ExportBundle] {
        var bundles: [ExportBundle] = []
        for try await bundle in client.bundles(from: try startTime(since: since), until: untilTime(now: now)) {
            bundles.append(bundle)
        }
        return bundles
    }

    /// Delivers every finished bundle after the checkpoint (or `since`), then returns.
    public func runOnce(since: Int64? = nil, now: Int64 = Engine.now()) async throws -> RunSummary {
        let clock = ContinuousClock()
        let started = clock.now
        let lock = try RunLock(statePath: configuration.statePath)
        defer { withExtendedLifetime(lock) {} }
        let store = CheckpointStore(path: configuration.statePath)
        let delivery = BundleDelivery(stages: configuration.stages, stagingRoot: "\(configuration.spoolDirectory)/staging", logger: logger)
        try FileManager.default.createDirectory(atPath: configuration.spoolDirectory, withIntermediateDirectories: true)
        var summary = RunSummary()

        var listing = client.bundles(from: try startTime(since: since), until: untilTime(now: now)).makeAsyncIterator()
        var next = try await listing.next()
        var download = next.map(startDownload)
        defer { download?.cancel() }
        while let bundle = next, let pending = download {
            if isStopRequested {
                summary.stoppedEarly = true
                break
            }
            let file = try await pending.value
            next = try await listing.next()
            download = next.map(startDownload)  // overlaps with delivering this one

            logger.info("delivering \(bundle) (\(RunSummary.bytes(file.byteCount)))")
            let context = BundleContext(
                id: bundle.id, start: bundle.start, stop: bundle.stop,
                file: Artifact(name: "\(bundle.id).\(file.encoding.fileExtension)", path: file.path, byteCount: file.byteCount),
                encoding: file.encoding)
            let outcome = try await delivery.deliver(context)
            try store.save(bundle)
            try? FileManager.default.removeItem(atPath: file.path)

            summary.bundles.append(bundle.id)
            summary.events += outcome.events
            summary.downloadedBytes += file.byteCount
            for (stage, time) in outcome.stageTimes { summary.stageTimes[stage, default: .zero] += time }
            logger.info("committed bundle \(bundle.id): \(outcome.events) events")
        }
        if isStopRequested, next != nil { summary.stoppedEarly = true }
        summary.elapsed = clock.now - started
        return summary
    }

    private func startDownload(_ bundle: ExportBundle) -> Task<DownloadedBundle, any Error> {
        let path = "\(configuration.spoolDirectory)/\(bundle.id).bundle"
        let client = self.client
        let report = configuration.downloadProgress.map { report in { @Sendable (progress: TransferProgress) in report(bundle, progress) } }
        return Task { try await client.download(bundle.id, to: path, progress: report) }
    }

    func startTime(since: Int64?) throws -> Int64 {
        if let since { return since }
        if let checkpoint = try CheckpointStore(path: configuration.statePath).load() {
            logger.debug("resuming after bundle \(checkpoint.bundleID) (stop \(Timestamp.iso8601(checkpoint.stop)))")
            return checkpoint.stop
        }
        return configuration.start
    }

    func untilTime(now: Int64) -> Int64? {
        let settled = configuration.settle > .zero ? now - Int64(configuration.settle / .seconds(1)) : nil
        switch (configuration.until, settled) {
        case (let until?, let settled?): return min(until, settled)
        case (let until, nil): return until
        case (nil, let settled): return settled
        }
    }

    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
