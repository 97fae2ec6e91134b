import Foundation
import FSExportCore
import FSExportZlib
import SystemPackage

/// Bundles already on disk as a source: what a `files` stage with `format: raw` wrote, or another
/// exporter's saved bundles. Files named `{id}.json.gz` or `{id}.json` anywhere below a folder,
/// Start and Stop derived from the id as the API forms it (`Start · 100 + N`, N the span in
/// 30-minute units). No calls, no rate limit: a year of history replays at the speed of the disk.
///
/// Each file is verified when fetched (gzip: its CRC-32 and length; JSON: the decoder checks it), and
/// a damaged one is an error that names it.
public struct DirectorySource: BundleSource {
    /// The folder searched, recursively.
    public let root: String
    /// The file names that hold bundles: a name with `{id}` in it, such as `export-{id}.gz`; gzip
    /// when it ends in `.gz`, JSON otherwise. By default `{id}.json.gz` and `{id}.json`.
    public let patterns: [String]

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
                for entry in try entries() where entry.bundle.stop > start && entry.bundle.stop <= (until ?? .max) {
                    continuation.yield(entry.bundle)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    public func fetch(_ bundle: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle {
        guard let entry = try entries().first(where: { $0.bundle.id == bundle.id }) else {
            throw FileSystemError("find bundle \(bundle.id) in", root, reason: "its file is gone")
        }
        unlink(destination)
        if link(entry.path, destination) != 0 {
            try FileSystemError.naming("copy \(entry.path) to", destination) { try FileManager.default.copyItem(atPath: entry.path, toPath: destination) }
        }
        let size = try FileSize.of(destination)
        if entry.encoding == .gzip { try Self.verify(destination, bundleID: bundle.id, original: entry.path) }
        progress?(TransferProgress(bytes: size, total: size))
        return DownloadedBundle(id: bundle.id, path: destination, encoding: entry.encoding, byteCount: size)
    }

    /// Every bundle file below the root, in (Stop, id) order; two files of one bundle are an error.
    func entries() throws -> [Entry] {
        var byID: [Int64: Entry] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw FileSystemError("read the folder", root, reason: "it does not exist or cannot be read")
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

    /// Inflates the whole file, which checks its CRC-32 and length.
    static func verify(_ path: String, bundleID: Int64, original: String) throws {
        let input = try FileSystemError.naming("open", path) { try FileDescriptor.open(FilePath(path), .readOnly) }
        defer { try? input.close() }
        let inflater = try Inflater(framing: .gzip)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try FileSystemError.naming("read", original) { try input.read(into: buffer) }
                if count == 0 { break }
                var offset = 0
                while offset < count {  // 4 KiB at a time: what one slice inflates to stays small
                    let end = min(count, offset + (4 << 10))
                    try inflater.inflate(UnsafeRawBufferPointer(rebasing: buffer[offset..<end])) { _ in }
                    offset = end
                }
            }
            try inflater.finish()
        } catch let error as ZlibError {
            throw DamagedBundleFile(path: original, bundleID: bundleID, detail: "\(error) at byte \(error.compressedOffset)")
        }
    }
}

/// A bundle file of an archive that is not whole gzip: a data error (exit 6) naming the file.
public struct DamagedBundleFile: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var bundleID: Int64
    public var detail: String
    public var description: String { "bundle \(bundleID) in \(path) is damaged (\(detail)); restore the file or move it out of the archive" }
}
