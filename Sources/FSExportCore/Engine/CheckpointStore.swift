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
        /// Whose ids these are: the ``BundleSource/checkpointScope`` of the source that delivered them.
        public var scope: String

        public init(bundleID: Int64, stop: Int64, committedAt: String, deliveredAtStop: [Int64], scope: String = BundleSourceScope.exportBundles) {
            self.bundleID = bundleID
            self.stop = stop
            self.committedAt = committedAt
            self.deliveredAtStop = deliveredAtStop
            self.scope = scope
        }

        enum CodingKeys: String, CodingKey {
            case bundleID = "bundle_id"
            case stop
            case committedAt = "committed_at"
            case deliveredAtStop = "delivered_at_stop"
            case scope = "source"
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
            if bundle.stop > stop || isReset {
                return Checkpoint(bundleID: bundle.id, stop: bundle.stop, committedAt: time, deliveredAtStop: [bundle.id], scope: scope)
            }
            guard bundle.stop == stop, !deliveredAtStop.contains(bundle.id) else { return self }
            return Checkpoint(bundleID: bundle.id, stop: stop, committedAt: time, deliveredAtStop: deliveredAtStop + [bundle.id], scope: scope)
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

    public init(path: String, scope: String = BundleSourceScope.exportBundles) {
        self.path = path
        self.scope = scope
    }

    public func load() throws -> Checkpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try FileSystemError.naming("read", path) { try Data(contentsOf: URL(fileURLWithPath: path)) }
        } catch {
            throw StateFileError(path: path, problem: "cannot be read (\(error))")
        }
        let checkpoint = try Self.checkpoint(from: data, path: path)
        guard checkpoint.scope == scope else {
            throw StateFileError(
                path: path, problem: "counts \(checkpoint.scope), but this pipeline's source delivers \(scope)",
                advice: "give this pipeline a state file of its own (source.state), or point it back at the source that wrote this one")
        }
        return checkpoint
    }

    /// Reads and checks a state file's contents: values no run could have written are refused.
    public static func checkpoint(from data: Data, path: String) throws(StateFileError) -> Checkpoint {
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
    public func reset(to time: Int64) throws -> Checkpoint {
        guard Timestamp.validRange.contains(time) else { throw StateFileError(path: path, problem: "cannot hold the time \(time)") }
        let lock = try RunLock(statePath: path)
        defer { withExtendedLifetime(lock) {} }
        _ = try load()  // a damaged state file, or one of another source, is refused, not overwritten
        let checkpoint = Checkpoint(
            bundleID: 0, stop: time, committedAt: Timestamp.iso8601(Int64(Date().timeIntervalSince1970)), deliveredAtStop: [], scope: scope)
        try write(checkpoint)
        return checkpoint
    }

    /// Whether a run holds the pipeline's lock now, and its pid when it recorded one.
    public func runningProcess() -> (running: Bool, processID: Int32?) {
        do {
            let lock = try RunLock(statePath: path, creating: false)
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
        let now = Timestamp.iso8601(Int64(Date().timeIntervalSince1970))
        let next = current?.advanced(by: bundle, at: now)
            ?? Checkpoint(bundleID: bundle.id, stop: bundle.stop, committedAt: now, deliveredAtStop: [bundle.id], scope: scope)
        guard next != current else { return next }
        try write(next)
        return next
    }

    private func write(_ checkpoint: Checkpoint) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(checkpoint)
        data.append(0x0A)
        try AtomicFile.write(data, to: path)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context), DecodingError.keyNotFound(_, let context):
            context.debugDescription
        default: "\(error)"
        }
    }
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

/// Replaces a file in one step, durably.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        try FileSystemError.naming("create the folder", folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let temporary = "\(folder)/.\(url.lastPathComponent).tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FileModes.fileBits)
        guard fd >= 0 else { throw FileSystemError("create", temporary, errno: errno) }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        let code = errno
        close(fd)
        guard written == data.count, synced else {
            unlink(temporary)
            throw FileSystemError("write", temporary, errno: code)
        }
        guard rename(temporary, path) == 0 else { throw FileSystemError("replace", path, errno: errno) }
        syncDirectory(folder)
    }

    /// Makes a rename in `folder` durable.
    public static func syncDirectory(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
