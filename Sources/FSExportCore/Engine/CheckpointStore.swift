import Foundation

/// The state file: how far delivery has come. It records the high-water Stop and the ids of the
/// bundles delivered at that Stop, so that a run stopped between two bundles that share a Stop
/// resumes with the rest of them (LIST only returns bundles whose Stop is after its `start`).
/// It never moves backwards. Written atomically (temporary file, fsync, rename, fsync of the
/// folder), so that it always describes bundles that were fully delivered.
public struct CheckpointStore: Sendable {
    public struct Checkpoint: Codable, Sendable, Equatable, CustomStringConvertible {
        /// The last bundle recorded.
        public var bundleID: Int64
        /// The highest Stop delivered.
        public var stop: Int64
        public var committedAt: String
        /// Every bundle delivered whose Stop is ``stop``.
        public var deliveredAtStop: [Int64]
        /// The furthest Stop ever delivered: unlike ``stop``, `fsexport reset` leaves it, so that a
        /// bundle at or before it is known to be delivered again on purpose.
        public var highestStop: Int64
        /// Whose ids these are: the ``BundleSource/checkpointScope`` of the source that delivered them.
        public var scope: String
        /// The pipeline file that wrote it (its name), when one did: another pipeline's state is refused.
        public var pipeline: String?
        /// That pipeline's stages when it wrote it, for the message that refuses it.
        public var stages: [String]?

        public init(
            bundleID: Int64, stop: Int64, committedAt: String, deliveredAtStop: [Int64], scope: String = BundleSourceScope.exportBundles,
            highestStop: Int64? = nil
        ) {
            self.bundleID = bundleID
            self.stop = stop
            self.committedAt = committedAt
            self.deliveredAtStop = deliveredAtStop
            self.scope = scope
            self.highestStop = max(highestStop ?? stop, stop)
        }

        enum CodingKeys: String, CodingKey {
            case bundleID = "bundle_id"
            case stop
            case committedAt = "committed_at"
            case deliveredAtStop = "delivered_at_stop"
            case scope = "source"
            case pipeline, stages
            case highestStop = "highest_stop"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            bundleID = try container.decode(Int64.self, forKey: .bundleID)
            stop = try container.decode(Int64.self, forKey: .stop)
            committedAt = try container.decodeIfPresent(String.self, forKey: .committedAt) ?? ""
            // State files written before this field name only their last bundle.
            deliveredAtStop = try container.decodeIfPresent([Int64].self, forKey: .deliveredAtStop) ?? [bundleID]
            // …and were all written by export-bundle sources.
            scope = try container.decodeIfPresent(String.self, forKey: .scope) ?? BundleSourceScope.exportBundles
            // …and named no pipeline.
            pipeline = try container.decodeIfPresent(String.self, forKey: .pipeline)
            stages = try container.decodeIfPresent([String].self, forKey: .stages)
            // …and knew no Stop beyond their own.
            highestStop = max(try container.decodeIfPresent(Int64.self, forKey: .highestStop) ?? stop, stop)
        }

        /// Where LIST must start for the next bundle to come back, and which of those to skip. A
        /// checkpoint that `reset` moved names no bundle: the next run starts after its time.
        public var resumption: Resumption {
            isReset ? Resumption(listFrom: stop) : Resumption(listFrom: stop - 1, skipping: Set(deliveredAtStop), at: stop)
        }

        /// Whether `fsexport reset` wrote it (it names a time, not a bundle).
        public var isReset: Bool { deliveredAtStop.isEmpty }

        /// `bundle 170406720048 (Stop 2024-01-02T00:00:00Z)`, or the time a reset names.
        public var description: String {
            isReset ? Timestamp.iso8601(stop) : "bundle \(bundleID) (Stop \(Timestamp.iso8601(stop)))"
        }

        /// The checkpoint after `bundle` is delivered: forward only.
        func advanced(by bundle: ExportBundle, at time: String) -> Checkpoint {
            var next = self
            if bundle.stop > stop || isReset {
                next.stop = bundle.stop
                next.deliveredAtStop = [bundle.id]
            } else {
                guard bundle.stop == stop, !deliveredAtStop.contains(bundle.id) else { return self }
                next.deliveredAtStop.append(bundle.id)
            }
            next.bundleID = bundle.id
            next.committedAt = time
            next.highestStop = max(highestStop, bundle.stop)
            return next
        }
    }

    /// Where a run picks up: LIST from ``listFrom``, leaving out the bundles already delivered at
    /// ``stop``.
    public struct Resumption: Sendable, Equatable {
        public var listFrom: Int64
        public var skipping: Set<Int64>
        public var stop: Int64?

        public init(listFrom: Int64, skipping: Set<Int64> = [], at stop: Int64? = nil) {
            self.listFrom = listFrom
            self.skipping = skipping
            self.stop = stop
        }

        /// Whether a listed bundle was delivered already.
        public func isDelivered(_ bundle: ExportBundle) -> Bool {
            guard let stop else { return false }
            return bundle.stop < stop || (bundle.stop == stop && skipping.contains(bundle.id))
        }
    }

    public let path: String
    /// The source's ``BundleSource/checkpointScope``: a state file written under another is refused.
    public let scope: String
    /// The pipeline whose state this is, recorded at every write: a state file another pipeline
    /// wrote is refused rather than resumed (which would deliver that pipeline's bundles nowhere).
    public let owner: StateOwner?
    /// A state file from before each pipeline had its own, read while ``path`` does not exist yet
    /// and removed once ``path`` is written: the pipeline adopts it.
    public let legacyPath: String?
    /// What `committed_at` is read from, and the run lock waits on.
    public let clocks: Clocks

    public init(
        path: String, scope: String = BundleSourceScope.exportBundles, owner: StateOwner? = nil, legacyPath: String? = nil, clocks: Clocks = .system
    ) {
        self.clocks = clocks
        self.path = path
        self.scope = scope
        self.owner = owner
        self.legacyPath = legacyPath
    }

    /// The file the checkpoint is read from: ``path``, or the legacy file it has not yet replaced.
    public var readPath: String {
        guard let legacyPath, !FileManager.default.fileExists(atPath: path), FileManager.default.fileExists(atPath: legacyPath) else { return path }
        return legacyPath
    }

    public func load() throws -> Checkpoint? {
        let path = readPath
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Self.read(path)
        } catch {
            throw StateFileError(path: path, problem: "cannot be read (\(error))")
        }
        let checkpoint = try Self.checkpoint(from: data, path: path)
        guard checkpoint.scope == scope else {
            throw StateFileError(
                path: path, problem: "counts \(checkpoint.scope), but this pipeline's source delivers \(scope)",
                advice: "give this pipeline a state file of its own (source.state), or point it back at the source that wrote this one")
        }
        if let owner, let writer = checkpoint.pipeline, writer != owner.pipeline {
            let theirs = StateOwner(pipeline: writer, stages: checkpoint.stages ?? [])
            throw StateFileError(
                path: path, problem: "belongs to the pipeline \(theirs), not to \(owner); a pipeline that resumed from another's state would deliver nothing of what that one already delivered",
                advice: "give each pipeline a state file of its own (leave out source.state for the default, .fsexport/<file name>/state.json); "
                    + "if \(owner.pipeline) is \(writer) renamed, set \"pipeline\" in the state file to \"\(owner.pipeline)\"")
        }
        return checkpoint
    }

    /// A state file is small: more than this is not one, and is not read whole.
    static let maximumSize = 16 << 20

    private static func read(_ path: String) throws -> Data {
        try SmallFile.read(path, limit: maximumSize, what: "the state file", followingLinks: false)
    }

    /// Reads and checks a state file's contents: values no run could have written are refused.
    public static func checkpoint(from data: Data, path: String) throws(StateFileError) -> Checkpoint {
        if let key = RepeatedKeys.first(in: data) {
            throw StateFileError(path: path, problem: "has the key \"\(OutsideText.shown(key, limit: 80))\" twice, which no run writes")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try JSONDecoder().decode(Checkpoint.self, from: data)
        } catch {
            throw StateFileError(path: path, problem: "cannot be read (\(Self.describe(error)))")
        }
        // A reset checkpoint names a time and no bundle (id 0); any other names positive ids.
        let reset = checkpoint.bundleID == 0 && checkpoint.deliveredAtStop.isEmpty
        guard reset || (checkpoint.bundleID > 0 && !checkpoint.deliveredAtStop.isEmpty && checkpoint.deliveredAtStop.allSatisfy({ $0 > 0 })) else {
            throw StateFileError(path: path, problem: "names a bundle id that is not positive")
        }
        guard Timestamp.validRange.contains(checkpoint.stop) else {
            throw StateFileError(path: path, problem: "holds the Stop \(checkpoint.stop), outside 1970–9999")
        }
        guard !checkpoint.scope.isEmpty, checkpoint.scope.utf8.count <= 512 else {
            throw StateFileError(path: path, problem: "names a source no run writes (empty, or over 512 bytes)")
        }
        guard checkpoint.deliveredAtStop.count <= 100_000 else {
            throw StateFileError(path: path, problem: "lists more bundles at one Stop than any export has")
        }
        return checkpoint
    }

    /// Moves the checkpoint to `time`, backwards or forwards: the next run delivers the bundles
    /// whose Stop is after it. Under the run lock (``PipelineBusy`` while a run holds it), atomically.
    @discardableResult
    public func reset(to time: Int64) async throws -> Checkpoint {
        guard Timestamp.validRange.contains(time) else { throw StateFileError(path: path, problem: "cannot hold the time \(time)") }
        let lock = try await RunLock(statePath: path, for: .reset, clocks: clocks)
        defer { withExtendedLifetime(lock) {} }
        let current = try load()  // a damaged state file, or one of another source, is refused, not overwritten
        let checkpoint = Checkpoint(
            bundleID: 0, stop: time, committedAt: Timestamp.iso8601(clocks.wall()), deliveredAtStop: [], scope: scope,
            highestStop: current?.highestStop)
        try write(checkpoint)
        return checkpoint
    }

    /// Whether a run holds the pipeline's lock now, and its pid when it recorded one.
    public func runningProcess() async -> (running: Bool, processID: Int32?) {
        do {
            let lock = try await RunLock(statePath: path, creating: false, clocks: clocks)
            withExtendedLifetime(lock) {}
            return (false, nil)
        } catch let busy as PipelineBusy {
            return (true, busy.processID)
        } catch {
            return (false, nil)  // no lock file: no run has held it
        }
    }

    /// Records `bundle` as delivered, forward only, and returns the new checkpoint.
    @discardableResult
    public func record(_ bundle: ExportBundle, after current: Checkpoint?) throws -> Checkpoint {
        let now = Timestamp.iso8601(clocks.wall())
        let next = current?.advanced(by: bundle, at: now)
            ?? Checkpoint(bundleID: bundle.id, stop: bundle.stop, committedAt: now, deliveredAtStop: [bundle.id], scope: scope)
        guard next != current else { return next }
        try write(next)
        return next
    }

    /// Writes the checkpoint, stamped with its owner, then lets go of a legacy file it replaces.
    private func write(_ checkpoint: Checkpoint) throws {
        var checkpoint = checkpoint
        if let owner {
            checkpoint.pipeline = owner.pipeline
            checkpoint.stages = owner.stages
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(checkpoint)
        data.append(0x0A)
        let (folder, name) = ConfinedRoot.holding(path)
        try folder.writeAtomically(data, to: name)
        if let legacyPath, legacyPath != path { ConfinedRoot.removeIfPresent(legacyPath) }
    }

    /// A decoding error in words, naming the key: not Swift's `CodingKeys(stringValue: …)`.
    private static func describe(_ error: any Error) -> String {
        func field(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "the document" : "\"\(path)\""
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is Int64.Type, is Int.Type: "a whole number"
            case is String.Type: "a string"
            case is [Int64].Type: "a list of whole numbers"
            case is [String].Type: "a list of strings"
            default: "an object"
            }
        }
        switch error {
        case DecodingError.keyNotFound(let key, _): return "the key \"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(let type, let context): return "\(field(context)) is not \(kind(type))"
        case DecodingError.valueNotFound(let type, let context): return "\(field(context)) is null where \(kind(type)) belongs"
        case DecodingError.dataCorrupted(let context): return context.codingPath.isEmpty ? "it is not JSON" : "\(field(context)) is not valid"
        default: return "\(error)"
        }
    }
}

/// Which pipeline a state file belongs to: the pipeline file's name, and its stages.
public struct StateOwner: Sendable, Equatable, CustomStringConvertible {
    /// The pipeline file's name (`nightly.fsexport.yml`): the same wherever its folder is moved.
    public var pipeline: String
    public var stages: [String]

    public init(pipeline: String, stages: [String]) {
        self.pipeline = pipeline
        self.stages = stages
    }

    /// `nightly.fsexport.yml (stages raw, by_type)`
    public var description: String { stages.isEmpty ? pipeline : "\(pipeline) (stages \(stages.joined(separator: ", ")))" }
}

/// The state file is damaged or holds values no run could have written.
public struct StateFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String
    public var advice = "move it away to start over from the pipeline's start time, or restore it from a backup"

    public init(path: String, problem: String, advice: String? = nil) {
        self.path = path
        self.problem = problem
        if let advice { self.advice = advice }
    }

    public var description: String { "the state file \(path) \(problem); \(advice)" }
}
