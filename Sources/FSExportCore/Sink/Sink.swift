import Logging

/// A destination for bundles. Implement one method; the engine does the rest.
///
/// For each bundle, ``deliver(_:)`` consumes the bundle's input (its events, or the files an
/// upstream stage produced), writes what it writes *out of sight* (temporary names, a staging
/// folder), and returns a ``Commit`` that makes the result visible or takes it back. Throwing fails
/// the bundle for the whole pipeline: no stage's commit runs, every stage's abort does.
///
/// ```swift
/// struct LineCount: Sink {
///     func deliver(_ delivery: Delivery) async throws -> Commit {
///         var lines = 0
///         for try await batch in delivery.input.events { lines += batch.count }
///         var file = try delivery.output.makeFile(named: "\(delivery.bundle.id).count")
///         try file.write("\(lines)\n")
///         try await delivery.output.publish(file)
///         return .nothing
///     }
/// }
/// ```
///
/// Back-pressure is built in: the engine hands over the next batch only when the sink asks for it.
public protocol Sink: Sendable {
    /// What the sink reads from the source: the bundle's events (the default) or the bundle file.
    /// Upstream stages always arrive as files.
    var reads: SinkReads { get }

    /// Delivers one bundle. Called once per bundle, never concurrently for the same sink.
    func deliver(_ delivery: Delivery) async throws -> Commit
}

extension Sink {
    public var reads: SinkReads { .events }
}

/// What a sink takes from the source.
public enum SinkReads: Sendable {
    /// Decoded events, in batches.
    case events
    /// The bundle file as downloaded, as one ``Artifact`` (gzip, or JSON if a proxy inflated it).
    case files
}

/// Everything a sink gets for one bundle.
public struct Delivery: Sendable {
    /// The bundle: its id, start and stop, and its downloaded file.
    public let bundle: BundleContext
    /// What the sink reads: `input.events` (decoded, in batches) or `input.files` (the bundle file,
    /// or what upstream stages produced), as ``Sink/reads`` and the pipeline say.
    public let input: SinkInput
    /// Where the sink makes files for downstream stages, and publishes them.
    public let output: ArtifactOutput
    /// The stage's name in the pipeline file, for messages.
    public let stage: String
    /// The run's logger, with the stage's name in its metadata (`stage`) and the bundle's (`bundle_id`).
    public let logger: Logger

    public init(bundle: BundleContext, input: SinkInput, output: ArtifactOutput, stage: String, logger: Logger) {
        self.bundle = bundle
        self.input = input
        self.output = output
        self.stage = stage
        var logger = logger
        logger[metadataKey: "stage"] = "\(stage)"
        logger[metadataKey: "bundle_id"] = "\(bundle.id)"
        self.logger = logger
    }
}

/// How to finish a delivery: ``commit`` makes it visible (renames into place), ``abort`` removes
/// what was written out of sight.
///
/// The contract, once every stage has delivered:
/// - If any stage failed to deliver, every stage that delivered is aborted; none commits.
/// - Otherwise the stages commit one at a time, in pipeline order (a stage after those it reads).
///   If a commit throws, that stage is aborted too (to clean up what its commit left half done),
///   and so is every stage not yet committed. Stages already committed stay committed.
/// - The bundle is recorded in the state file only when every stage has committed; otherwise the
///   next run delivers it again. So `commit` must be idempotent: a bundle may be committed again
///   after a crash or a failed sibling.
/// - `abort` runs at most once, and never after a successful `commit`.
public struct Commit: Sendable {
    /// Makes the bundle's output visible. Throwing fails the bundle; it is not recorded.
    public var commit: @Sendable () async throws -> Void
    /// Takes back what was written out of sight. Must not fail; it runs after a failed `commit` too.
    public var abort: @Sendable () async -> Void

    public init(commit: @escaping @Sendable () async throws -> Void, abort: @escaping @Sendable () async -> Void) {
        self.commit = commit
        self.abort = abort
    }

    /// For sinks whose only output is what they published (the engine cleans staged files).
    public static let nothing = Commit(commit: {}, abort: {})
}
