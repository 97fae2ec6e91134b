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
    /// The stages that read the source: those given the bundle file, and those given its events.
    private let sourceFileReaders: [Stage]
    private let sourceEventReaders: [Stage]

    /// `stages` are kept in pipeline order (``Swift/Array/inPipelineOrder``), the order they commit in.
    public init(stages: [Stage], stagingRoot: String, logger: Logger, clocks: Clocks = .system) {
        self.stages = stages.inPipelineOrder
        position = Dictionary(self.stages.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        let roots = self.stages.filter { $0.inputs.contains(.source) }
        sourceFileReaders = roots.filter { $0.sink.reads == .files }
        sourceEventReaders = roots.filter { $0.sink.reads == .events }
        self.stagingRoot = stagingRoot
        self.logger = logger
        self.clocks = clocks
    }

    /// Whether the bundle is decoded into events (some stage reads them from the source); when
    /// not, a run's summary has no event count to give.
    public var decodesEvents: Bool { !sourceEventReaders.isEmpty }

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
        let downstream = downstreamMap()
        let readers = downstream.mapValues { names in names.compactMap { name in stages.first { $0.name == name } } }
        let producers = ProducerCount(stages.map { ($0.name, $0.inputs.count) })
        @Sendable func producerFinished(_ producer: String) async {
            for name in downstream[producer, default: []] where await producers.finishOne(name) {
                channels[name]!.finish()
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
                    for name in downstream["source", default: []] { channels[name]!.fail(error) }
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

    /// Sends the bundle file to stages that read files, and the decoded events to those that read events.
    private func feedSource(_ bundle: BundleContext, _ channels: [String: AsyncThrowingChannel<SinkItem, any Error>]) async throws -> Int {
        for stage in sourceFileReaders {
            await channels[stage.name]!.send(.file(bundle.file))
        }
        let readers = sourceEventReaders
        guard !readers.isEmpty else { return 0 }
        return try await send(bundle.makeDecoder(indexing: readers.lazy.compactMap(\.fieldRead).first), to: readers, channels)
    }

    /// Sends a file a stage published to the stages that read that stage: the file itself to
    /// those that read files, its events to those that read events, decoded here once for all of
    /// them, in the publishing stage's task. A file with no events, or a damaged one, fails the
    /// stages that read its events, with the reason, and not the stage that published it.
    private func publish(
        _ artifact: Artifact, to readers: [Stage], _ channels: [String: AsyncThrowingChannel<SinkItem, any Error>], bundle: BundleContext
    ) async {
        for stage in readers where stage.sink.reads == .files {
            await channels[stage.name]!.send(.file(artifact))
        }
        let eventReaders = readers.filter { $0.sink.reads == .events }
        guard !eventReaders.isEmpty else { return }
        do {
            let decoder = try Self.decoder(for: artifact, maximumEventSize: bundle.maximumEventSize, indexing: eventReaders.lazy.compactMap(\.fieldRead).first)
            _ = try await send(decoder, to: eventReaders, channels)
        } catch {
            for stage in eventReaders { channels[stage.name]!.fail(error) }
        }
    }

    /// Decodes once and hands every batch to each of `readers`, in turn; returns the events.
    private func send(_ decoder: BundleDecoder, to readers: [Stage], _ channels: [String: AsyncThrowingChannel<SinkItem, any Error>]) async throws -> Int {
        try await decoder.decode { batch in
            try Task.checkCancellation()
            for reader in readers { await channels[reader.name]!.send(.events(batch)) }
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

    private func downstreamMap() -> [String: [String]] {
        var map: [String: [String]] = [:]
        for stage in stages {
            for input in stage.inputs { map[input.description, default: []].append(stage.name) }
        }
        return map
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
