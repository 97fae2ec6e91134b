import Foundation
import FSExportCore
import FSExportZlib
import Synchronization

/// Bundles already on disk as a source: what a `files` stage with `format: raw` wrote, or another
/// exporter's saved bundles. Files named `{id}.json.gz` or `{id}.json` anywhere below a folder,
/// Start and Stop derived from the id as the API forms it (`Start · 100 + N`, N the span in
/// 30-minute units). No calls, no rate limit: a year of history replays at the speed of the disk.
///
/// Each file is verified when fetched (gzip: its CRC-32 and length; JSON: the decoder checks it), and
/// a damaged one is an error that names it.
public struct DirectorySource: BundleSource {
    /// The files are on disk already: a summary says they were read.
    public var fetchVerb: String { "read" }

    /// The folder searched, recursively.
    public let root: String
    /// The file names that hold bundles: a name with `{id}` in it, such as `export-{id}.gz`; gzip
    /// when it ends in `.gz`, JSON otherwise. By default `{id}.json.gz` and `{id}.json`.
    public let patterns: [String]
    /// The files the last listing found, so that fetching a bundle does not walk the tree again.
    private let index = Index()

    /// - Parameter pattern: a file name with `{id}` in it, for archives named otherwise than
    ///   `{id}.json.gz` or `{id}.json`.
    public init(root: String, pattern: String? = nil) throws {
        if let pattern {
            let parts = pattern.components(separatedBy: "{id}")
            guard parts.count == 2, !pattern.contains("/") else {
                throw SinkError(option: "pattern", "must be a file name with {id} in it once, such as export-{id}.gz (folders below the path are searched anyway)")
            }
        }
        self.root = root
        patterns = pattern.map { [$0] } ?? ["{id}.json.gz", "{id}.json"]
    }

    /// A bundle file of the archive.
    struct Entry: Sendable {
        var bundle: ExportBundle
        var path: String
        var encoding: BodyEncoding
    }

    public func bundles(after start: Int64, until: Int64?) -> any AsyncSequence<ExportBundle, any Error> {
        AsyncThrowingStream { continuation in
            do {
                let entries = try entries()
                index.remember(entries)
                for entry in entries where entry.bundle.stop > start && entry.bundle.stop <= (until ?? .max) {
                    continuation.yield(entry.bundle)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    public func fetch(_ bundle: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle {
        guard let entry = try index.entry(bundle.id) ?? entries().first(where: { $0.bundle.id == bundle.id }) else {
            throw FileSystemError("find bundle \(bundle.id) in", root, reason: "its file is gone")
        }
        let (spool, name) = ConfinedRoot.holding(destination)
        try spool.linkOrCopy(from: entry.path, to: name)
        let size = try FileSize.of(destination)
        let fetched = DownloadedBundle(id: bundle.id, path: destination, encoding: entry.encoding, byteCount: size)
        if entry.encoding == .gzip { try Self.verify(fetched, original: entry.path) }
        progress?(TransferProgress(bytes: size, total: size))
        return fetched
    }

    /// Every bundle file below the root, in (Stop, id) order; two files of one bundle are an error.
    func entries() throws -> [Entry] {
        var byID: [Int64: Entry] = [:]
        try Self.checkFolder(root)
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw FileSystemError("read the folder", root, reason: "it cannot be read")
        }
        while let relative = walker.nextObject() as? String {
            let name = relative.split(separator: "/").last.map(String.init) ?? relative
            guard let (id, encoding) = parse(name) else { continue }
            let path = "\(root)/\(relative)"
            guard let bundle = Self.bundle(id: id) else {
                throw FileSystemError("use", path, reason: "its name is not a bundle id (Start·100 + span in 30-minute units) from which Start and Stop can be told")
            }
            if let other = byID[id] { throw FileSystemError("use", path, reason: "bundle \(id) is also in \(other.path); keep one") }
            byID[id] = Entry(bundle: bundle, path: path, encoding: encoding)
        }
        return byID.values.sorted { ($0.bundle.stop, $0.bundle.id) < ($1.bundle.stop, $1.bundle.id) }
    }

    /// A missing archive, or a file where the folder should be, is an error, not an archive with
    /// nothing in it: a typo in `path` must not pass for a night with nothing to deliver.
    public static func checkFolder(_ path: String) throws(FileSystemError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw FileSystemError("read the folder", path, reason: "it does not exist; a directory source reads bundle files from an existing folder (an empty one is fine)")
        }
        guard isFolder.boolValue else { throw FileSystemError("read the folder", path, reason: "it is a file, not a folder") }
    }

    /// `170406720048.json.gz` → (170406720048, gzip), as the patterns say.
    func parse(_ name: String) -> (Int64, BodyEncoding)? {
        for pattern in patterns {
            let parts = pattern.components(separatedBy: "{id}")
            guard name.count > parts[0].count + parts[1].count, name.hasPrefix(parts[0]), name.hasSuffix(parts[1]) else { continue }
            let digits = name.dropFirst(parts[0].count).dropLast(parts[1].count)
            guard digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int64(digits) else { continue }
            return (id, pattern.hasSuffix(".gz") ? .gzip : .json)
        }
        return nil
    }

    /// Start and Stop from an id of the form `Start · 100 + N`.
    static func bundle(id: Int64) -> ExportBundle? {
        let start = id / 100, units = id % 100
        guard units > 0, Timestamp.validRange.contains(start), Timestamp.validRange.contains(start + units * 1800) else { return nil }
        return ExportBundle(id: id, start: start, stop: start + units * 1800)
    }

    /// Reads the whole document, which checks the gzip CRC-32 and length.
    static func verify(_ bundle: DownloadedBundle, original: String) throws {
        do {
            let reader = try DecodedBundleReader(bundle)
            while try reader.next() != nil {}
        } catch let error as ZlibError {
            throw DamagedBundleFile(path: original, bundleID: bundle.id, detail: "\(error) at byte \(error.compressedOffset)")
        }
    }

    /// What the last listing found, by id.
    private final class Index: Sendable {
        private let entries = Mutex<[Int64: Entry]>([:])
        func remember(_ found: [Entry]) { entries.withLock { $0 = Dictionary(found.map { ($0.bundle.id, $0) }, uniquingKeysWith: { $1 }) } }
        func entry(_ id: Int64) -> Entry? { entries.withLock { $0[id] } }
    }
}

/// A bundle file of an archive that is not whole gzip: a data error (exit 6) naming the file.
public struct DamagedBundleFile: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var bundleID: Int64
    public var detail: String
    public var description: String { "bundle \(bundleID) in \(path) is damaged (\(detail)); restore the file or move it out of the archive" }
}
