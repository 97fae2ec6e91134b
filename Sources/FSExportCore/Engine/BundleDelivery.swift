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
    /// Each stage's place in ``stages``: commits go in that order.
    private let position: [String: Int]
    /// The stages that read the source: those given the bundle file, and those given its events.
    private let sourceFileReaders: [Stage]
    private let sourceEventReaders: [Stage]

    /// `stages` are kept in pipeline order (``Swift/Array/inPipelineOrder``), the order they commit in.
    public init(stages: [Stage], stagingRoot: String, logger: Logger) {
        self.stages = stages.inPipelineOrder
        position = Dictionary(self.stages.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        let roots = self.stages.filter { $0.inputs.contains(.source) }
        sourceFileReaders = roots.filter { $0.sink.reads == .files }
        sourceEventReaders = roots.filter { $0.sink.reads == .events }
        self.stagingRoot = stagingRoot
        self.logger = logger
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
                    let clock = ContinuousClock()
                    let started = clock.now
                    let result = await Result { () async throws -> Commit in
                        let directory = try staging.folder("\(bundle.id)/\(stage.name)")
                        let output = ArtifactOutput(directory: directory) { artifact in
                            for name in downstream[stage.name, default: []] { await channels[name]!.send(.file(artifact)) }
                        }
                        let delivery = Delivery(
                            bundle: bundle, input: SinkInput(channel: channels[stage.name]!, indexing: stage.fieldRead), output: output,
                            stage: stage.name, logger: logger)
                        return try await stage.sink.deliver(delivery)
                    }
                    channels[stage.name]!.finish()  // the stage takes nothing more: release its producers
                    await producerFinished(stage.name)
                    return .stage(name: stage.name, result: result, time: clock.now - started)
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
        let decoder = try bundle.makeDecoder(indexing: readers.lazy.compactMap(\.fieldRead).first)
        var events = 0
        while let batch = try await decoder.next() {
            try Task.checkCancellation()
            events += batch.count
            for reader in readers { await channels[reader.name]!.send(.events(batch)) }
        }
        return events
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

extension Result where Failure == any Error {
    /// The outcome of an async throwing body, as a value (the client's retry loop uses it too).
    package init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
