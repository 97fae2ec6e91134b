import AsyncAlgorithms
import Foundation
import Logging

/// Delivers one bundle through every stage at once: the source decodes the bundle a single time
/// and feeds the stages that read it; each stage's published files feed the stages downstream.
/// When every stage has delivered, all commit; if any failed, all abort.
///
/// The engine uses it for each listed bundle; use it directly to push a bundle file you already
/// have through stages (in a benchmark, or a sink's tests).
public struct BundleDelivery: Sendable {
    public let stages: [Stage]
    public let stagingRoot: String
    public let logger: Logger
    /// What each stage's time is measured on (the engine's clocks).
    public let clocks: Clocks
    /// Each stage's place in ``stages``: commits go in that order.
    private let position: [String: Int]
    /// The stages that read each producer (`source`, or a stage's name), in pipeline order.
    private let readers: [String: [Stage]]

    /// `stages` are kept in pipeline order (``Swift/Array/inPipelineOrder``), the order they commit in.
    public init(stages: [Stage], stagingRoot: String, logger: Logger, clocks: Clocks = .system) {
        self.stages = stages.inPipelineOrder
        position = Dictionary(self.stages.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        var readers: [String: [Stage]] = [:]
        for stage in self.stages {
            for input in stage.inputs { readers[input.description, default: []].append(stage) }
        }
        self.readers = readers
        self.stagingRoot = stagingRoot
        self.logger = logger
        self.clocks = clocks
    }

    /// Whether the bundle is decoded into events (some stage reads them from the source); when
    /// not, a run's summary has no event count to give.
    public var decodesEvents: Bool { readers["source", default: []].contains { $0.sink.reads == .events } }

    public struct Outcome: Sendable {
        public var events: Int = 0
        public var stageTimes: [String: Duration] = [:]
    }

    private enum ChildResult: Sendable {
        case stage(name: String, result: Result<Commit, any Error>, time: Duration)
        case source(Result<Int, any Error>)
    }

    public func deliver(_ bundle: BundleContext) async throws -> Outcome {
        // The bundle's folder below the staging root is fsexport's own: made, emptied and removed
        // without following a symbolic link.
        let staging = ConfinedRoot(stagingRoot)
        try staging.remove("\(bundle.id)")
        defer { try? staging.remove("\(bundle.id)") }

        let channels = Dictionary(uniqueKeysWithValues: stages.map { ($0.name, AsyncThrowingChannel<SinkItem, any Error>()) })
        let producers = ProducerCount(stages.map { ($0.name, $0.inputs.count) })
        @Sendable func producerFinished(_ producer: String) async {
            for reader in readers[producer, default: []] where await producers.finishOne(reader.name) {
                channels[reader.name]!.finish()
            }
        }

        var outcome = Outcome()
        var commits: [(String, Commit)] = []
        var failure: (any Error)?
        await withTaskGroup(of: ChildResult.self) { group in
            for stage in stages {
                group.addTask {
                    let stopwatch = clocks.stopwatch()
                    let result = await Result { () async throws -> Commit in
                        let directory = try staging.folder("\(bundle.id)/\(stage.name)")
                        let output = ArtifactOutput(directory: directory) { artifact in
                            await publish(artifact, to: readers[stage.name, default: []], channels, bundle: bundle)
                        }
                        let delivery = Delivery(
                            bundle: bundle, input: SinkInput(channel: channels[stage.name]!), output: output,
                            stage: stage.name, logger: logger)
                        return try await stage.sink.deliver(delivery)
                    }
                    channels[stage.name]!.finish()  // the stage takes nothing more: release its producers
                    await producerFinished(stage.name)
                    return .stage(name: stage.name, result: result, time: stopwatch.elapsed())
                }
            }
            group.addTask {
                let result = await Result { try await feedSource(bundle, channels) }
                if case .failure(let error) = result {
                    for reader in readers["source", default: []] { channels[reader.name]!.fail(error) }
                }
                await producerFinished("source")
                return .source(result)
            }
            for await child in group {
                switch child {
                case .stage(let name, .success(let commit), let time):
                    commits.append((name, commit))
                    outcome.stageTimes[name] = time
                case .stage(let name, .failure(let error), _):
                    if failure == nil { failure = Self.describe(error, stage: name, bundle: bundle.id) }
                    group.cancelAll()
                case .source(.success(let events)):
                    outcome.events = events
                case .source(.failure(let error)):
                    if failure == nil || failure is CancellationError { failure = error }
                    group.cancelAll()
                }
            }
        }
        if let failure {
            for (_, commit) in commits { await commit.abort() }
            // Stages fail in their own ways when cancelled (a program killed); the cause is the cancellation.
            if Task.isCancelled { throw CancellationError() }
            throw failure
        }
        try await commitAll(commits, bundle: bundle.id)
        return outcome
    }

    /// Stage failures caused by the source (a damaged bundle) are reported as the source's.
    private static func describe(_ error: any Error, stage: String, bundle: Int64) -> any Error {
        if error is BundleFormatError || error is CancellationError { return error }
        ExportMetrics.stageFailed(stage)
        return StageFailure(stage: stage, bundleID: bundle, underlying: error)
    }

    private func commitAll(_ commits: [(String, Commit)], bundle: Int64) async throws {
        let sorted = commits.sorted { position[$0.0, default: .max] < position[$1.0, default: .max] }
        for (index, (name, commit)) in sorted.enumerated() {
            do {
                try await commit.commit()
            } catch {
                // The failed stage cleans up what its commit left; those after it never commit.
                for (_, rest) in sorted[index...] { await rest.abort() }
                ExportMetrics.stageFailed(name)
                throw StageFailure(stage: name, bundleID: bundle, underlying: error)
            }
        }
    }

    /// Sends the bundle file to the stages that read the source: the file, or its events.
    private func feedSource(_ bundle: BundleContext, _ channels: [String: AsyncThrowingChannel<SinkItem, any Error>]) async throws -> Int {
        try await feed(bundle.file, to: readers["source", default: []], channels) { field in try bundle.makeDecoder(indexing: field) }
    }

    /// Sends a file a stage published to the stages that read that stage, in the publishing
    /// stage's task. A file with no events, or a damaged one, fails the stages that read its
    /// events, with the reason, and not the stage that published it.
    private func publish(
        _ artifact: Artifact, to readers: [Stage], _ channels: [String: AsyncThrowingChannel<SinkItem, any Error>], bundle: BundleContext
    ) async {
        do {
            _ = try await feed(artifact, to: readers, channels) { field in
                try Self.decoder(for: artifact, maximumEventSize: bundle.maximumEventSize, indexing: field)
            }
        } catch {
            for stage in readers where stage.sink.reads == .events { channels[stage.name]!.fail(error) }
        }
    }

    /// Sends `file` to `readers`: the file itself to those that read files, and its events to
    /// those that read events, decoded once for all of them (noting the field the first of them
    /// reads, ``ReadsField``); returns the events.
    private func feed(
        _ file: Artifact, to readers: [Stage], _ channels: [String: AsyncThrowingChannel<SinkItem, any Error>],
        decoder: (_ indexing: String?) throws -> BundleDecoder
    ) async throws -> Int {
        for stage in readers where stage.sink.reads == .files {
            await channels[stage.name]!.send(.file(file))
        }
        let eventReaders = readers.filter { $0.sink.reads == .events }
        guard !eventReaders.isEmpty else { return 0 }
        return try await decoder(eventReaders.lazy.compactMap(\.fieldRead).first).decode { batch in
            try Task.checkCancellation()
            for reader in eventReaders { await channels[reader.name]!.send(.events(batch)) }
        }.events
    }

    /// How a published file's events are read: by what it holds, an NDJSON file's compression by
    /// its first bytes (a program's output may be gzip whatever its name says).
    private static func decoder(for artifact: Artifact, maximumEventSize: Int, indexing field: String?) throws -> BundleDecoder {
        switch artifact.content {
        case .bundle(let encoding):
            return BundleDecoder(path: artifact.path, encoding: encoding, maximumEventSize: maximumEventSize, indexing: field)
        case .ndjson:
            return try BundleDecoder.ndjson(path: artifact.path, maximumEventSize: maximumEventSize, indexing: field)
        case .opaque:
            throw SinkError(
                "this stage reads events, but '\(artifact.name)' from the stage before it holds no events (an archive, a program's output); "
                    + "read it as files (reads: .files), or give it a name ending in .ndjson if it is NDJSON")
        }
    }
}

/// How many producers each stage still waits for; its input ends when the count reaches zero.
private actor ProducerCount {
    private var remaining: [String: Int]

    init(_ counts: [(String, Int)]) { remaining = Dictionary(uniqueKeysWithValues: counts) }

    /// Returns true when `stage` has no producers left.
    func finishOne(_ stage: String) -> Bool {
        remaining[stage, default: 0] -= 1
        return remaining[stage] == 0
    }
}
