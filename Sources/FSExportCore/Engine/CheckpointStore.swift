import FSExportClient
import Foundation

/// The state file: the last bundle every stage committed. Written atomically (temporary file,
/// fsync, rename, fsync of the folder), so that it always names a bundle that was fully delivered.
public struct CheckpointStore: Sendable {
    public struct Checkpoint: Codable, Sendable, Equatable {
        public var bundleID: Int64
        public var stop: Int64
        public var committedAt: String

        enum CodingKeys: String, CodingKey {
            case bundleID = "bundle_id"
            case stop
            case committedAt = "committed_at"
        }
    }

    public let path: String

    public init(path: String) { self.path = path }

    public func load() throws -> Checkpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(Checkpoint.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SinkError("the state file \(path) cannot be read (\(error)); move it away to start over from the pipeline's start time")
        }
    }

    public func save(_ bundle: ExportBundle) throws {
        let checkpoint = Checkpoint(bundleID: bundle.id, stop: bundle.stop, committedAt: Timestamp.iso8601(Int64(Date().timeIntervalSince1970)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(checkpoint)
        data.append(0x0A)
        try AtomicFile.write(data, to: path)
    }
}

/// Replaces a file in one step, durably.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = "\(folder)/.\(url.lastPathComponent).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SinkError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced else {
            unlink(temporary)
            throw SinkError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else { throw SinkError("cannot replace \(path): \(String(cString: strerror(errno)))") }
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
