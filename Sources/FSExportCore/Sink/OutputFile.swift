import Foundation
import FSExportZlib
import SystemPackage

/// A file being written: buffered (256 KiB, so few system calls), optionally gzip-compressed on
/// the way (on every core, as one standard gzip stream: ``ParallelGzip``), with its byte count. Create one with ``ArtifactOutput/makeFile(named:compression:)`` or
/// ``OutputFile/init(path:name:compression:)``.
public final class OutputFile {
    /// How the bytes are stored.
    public enum Compression: String, Sendable, Codable, CaseIterable {
        case none
        case gzip
    }

    /// Where the file is being written.
    public let path: String
    /// The artifact name, for files made through ``ArtifactOutput``.
    public let name: String
    private let descriptor: FileDescriptor
    private let deflater: ParallelGzip?
    private var buffer: [UInt8] = []
    private let bufferLimit = 256 << 10
    /// Bytes written to disk so far (compressed size for gzip).
    public private(set) var byteCount: Int64 = 0
    /// Bytes handed to ``write(_:)-(UnsafeRawBufferPointer)`` so far (before compression).
    public private(set) var inputCount: Int64 = 0
    private var closed = false

    /// Creates (or truncates) the file at `path`. `level` is the compression level (gzip: 1 to 9,
    /// default 6).
    public init(path: String, name: String? = nil, compression: Compression = .none, level: Int? = nil) throws {
        self.path = path
        self.name = name ?? URL(fileURLWithPath: path).lastPathComponent
        // Never through a symbolic link: a link planted where a file is written must not redirect it.
        descriptor = try FileSystemError.naming("create", path) {
            try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate, .noFollow],
                permissions: FileModes.file)
        }
        deflater = compression == .gzip ? try ParallelGzip(level: Int32(level ?? 6)) : nil
        buffer.reserveCapacity(bufferLimit)
    }

    deinit { if !closed { try? descriptor.close() } }

    /// Appends bytes (compressing them first for gzip).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        inputCount += Int64(bytes.count)
        if let deflater {
            try deflater.compress(bytes) { try append($0) }
        } else {
            try append(bytes)
        }
    }

    /// Appends text as UTF-8.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes each event of the batch followed by a newline: NDJSON.
    public func writeLines(_ batch: EventBatch) throws {
        try writeLines(batch, indices: batch.ranges.indices)
    }

    /// Writes the chosen events of a batch as NDJSON lines.
    public func writeLines(_ batch: EventBatch, indices: some Sequence<Int>) throws {
        // Lines are gathered so that the compressor or the disk sees one large write per batch.
        var lines: [UInt8] = []
        // Moved, not copied: the array's storage stays uniquely referenced while it grows.
        if deflater == nil {
            swap(&lines, &buffer)
        } else {
            swap(&lines, &scratch)
            lines.removeAll(keepingCapacity: true)
        }
        let target = lines.count
        batch.bytes.withUnsafeBytes { bytes in
            for index in indices {
                lines.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[batch.ranges[index]]))
                lines.append(0x0A)
            }
        }
        inputCount += Int64(lines.count - target)
        if let deflater {
            defer { swap(&lines, &scratch) }
            try lines.withUnsafeBytes { try deflater.compress($0) { try append($0) } }
        } else {
            swap(&lines, &buffer)
            if buffer.count >= bufferLimit { try flush() }
        }
    }

    private var scratch: [UInt8] = []

    /// Flushes, finishes compression, optionally fsyncs, and closes.
    public func close(sync: Bool = false) throws {
        guard !closed else { return }
        closed = true
        defer { try? descriptor.close() }
        if let deflater { try deflater.finish { try append($0) } }
        try flush()
        if sync, fsync(descriptor.rawValue) != 0 { throw FileSystemError("sync", path, errno: errno) }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > bufferLimit {
            try flush()
            if bytes.count >= bufferLimit {
                byteCount += Int64(try FileSystemError.naming("write", path) { try descriptor.writeAll(bytes) })
                return
            }
        }
        buffer.append(contentsOf: bytes)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        byteCount += Int64(try FileSystemError.naming("write", path) { try buffer.withUnsafeBytes { try descriptor.writeAll($0) } })
        buffer.removeAll(keepingCapacity: true)
    }
}
