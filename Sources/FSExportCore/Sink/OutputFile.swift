import Foundation
import FSExportZlib
import FSExportZstd
import SystemPackage

/// A file being written, optionally compressed on the way (gzip on every core, a standard
/// multi-member gzip file: ``ParallelGzip``; or zstd), with its byte count. Plain bytes are
/// buffered (256 KiB, so few system calls); compressed ones go out a gzip member or zstd frame at
/// a time. Create one with ``ArtifactOutput/makeFile(named:compression:)`` or
/// ``OutputFile/init(path:name:compression:)``.
public final class OutputFile {
    /// How the bytes are stored.
    public enum Compression: String, Sendable, Codable, CaseIterable {
        case none
        /// Standard gzip, compressed on every core with libdeflate (``ParallelGzip``).
        case gzip
        /// zstd (libzstd), with a checksum: several times faster than gzip at a similar size.
        case zstd

        /// The levels `compression_level` may take; nil when there is nothing to set.
        public var levels: ClosedRange<Int>? {
            switch self {
            case .none: nil
            case .gzip: Int(ParallelGzip.levels.lowerBound)...Int(ParallelGzip.levels.upperBound)
            case .zstd: Int(ZstdCompressor.levels.lowerBound)...Int(ZstdCompressor.levels.upperBound)
            }
        }

        /// What a file name ends with: `.gz`, `.zst`, or nothing.
        public var fileExtension: String {
            switch self {
            case .none: ""
            case .gzip: ".gz"
            case .zstd: ".zst"
            }
        }

        /// Checks `level` for this compression, for a stage's options.
        public func check(level: Int?) throws(SinkError) {
            guard let level else { return }
            guard let levels else { throw SinkError(option: "compression_level", "applies to gzip or zstd compression") }
            guard levels.contains(level) else {
                throw SinkError(option: "compression_level", "must be \(levels.lowerBound) to \(levels.upperBound) for \(rawValue), not \(level)")
            }
        }
    }

    /// The compressor a file's bytes go through.
    private enum Compressor {
        case gzip(ParallelGzip)
        case zstd(ZstdCompressor)

        init?(_ compression: Compression, level: Int?) throws {
            switch compression {
            case .none: return nil
            case .gzip: self = .gzip(try ParallelGzip(level: Int32(level ?? 6)))
            case .zstd: self = .zstd(try ZstdCompressor(level: Int32(level ?? 3)))
            }
        }

        func compress(_ bytes: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
            switch self {
            case .gzip(let gzip): try gzip.compress(bytes, into: sink)
            case .zstd(let zstd): try zstd.compress(bytes, into: sink)
            }
        }

        func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
            switch self {
            case .gzip(let gzip): try gzip.finish(into: sink)
            case .zstd(let zstd): try zstd.finish(into: sink)
            }
        }
    }

    /// Where the file is being written.
    public let path: String
    /// The artifact name, for files made through ``ArtifactOutput``.
    public let name: String
    private let descriptor: FileDescriptor
    private let deflater: Compressor?
    private var buffer: [UInt8] = []
    private let bufferLimit = 256 << 10
    /// Bytes written to disk so far (compressed size for gzip).
    public private(set) var byteCount: Int64 = 0
    /// Bytes handed to ``write(_:)-(UnsafeRawBufferPointer)`` so far (before compression).
    public private(set) var inputCount: Int64 = 0
    private var closed = false

    /// Creates (or truncates) the file at `path`, never through a symbolic link. `level` is the
    /// compression level (gzip: 1 to 9, default 6; zstd: 1 to 19, default 3).
    public convenience init(path: String, name: String? = nil, compression: Compression = .none, level: Int? = nil) throws {
        let (folder, file) = ConfinedRoot.holding(path)
        try self.init(root: folder, relative: file, name: name, compression: compression, level: level)
    }

    /// Creates (or truncates) the file `relative` below `root`, its folders made as needed, no
    /// symbolic link followed on the way. With `appending`, an existing file is kept and written
    /// after its end: compressed, what follows is a gzip member or zstd frame of its own, which
    /// every reader of either format reads as the continuation of the file.
    public init(
        root: ConfinedRoot, relative: String, name: String? = nil, compression: Compression = .none, level: Int? = nil, appending: Bool = false
    ) throws {
        path = root.fullPath(relative)
        self.name = name ?? URL(fileURLWithPath: path).lastPathComponent
        if appending {
            descriptor = try root.open(relative, .writeOnly, options: [.create, .append], permissions: FileModes.file, makingFolders: true)
            byteCount = (try? root.size(of: relative)) ?? 0
        } else {
            descriptor = try root.createFile(relative)
        }
        do {
            deflater = try Compressor(compression, level: level)
        } catch {
            try? descriptor.close()
            throw error
        }
        if deflater == nil { buffer.reserveCapacity(bufferLimit) }
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
        try writeSelectedLines(batch, batch.ranges.indices)
    }

    /// Writes the chosen events of a batch as NDJSON lines.
    public func writeLines(_ batch: EventBatch, indices: [Int]) throws {
        try writeSelectedLines(batch, indices)
    }

    /// Concrete index types only (a range, an array): a generic one would be called unspecialized
    /// from other modules, through witness tables, once per event.
    private func writeSelectedLines<Indices: Sequence<Int>>(_ batch: EventBatch, _ indices: Indices) throws {
        // Lines are gathered so that the compressor or the disk sees one large write per batch; an
        // event as large as the buffer goes through from the batch as it is, never copied into
        // it, so that what a file holds in memory does not grow with the events it is given.
        try batch.bytes.withUnsafeBytes { bytes in
            var lines = takeGathering()
            for index in indices {
                let event = UnsafeRawBufferPointer(rebasing: bytes[batch.ranges[index]])
                if event.count >= bufferLimit {
                    try finishGathering(&lines)
                    try write(event)
                    lines = takeGathering()
                    lines.append(0x0A)
                } else {
                    lines.append(contentsOf: event)
                    lines.append(0x0A)
                }
            }
            try finishGathering(&lines)
        }
    }

    /// Where lines are gathered: the write buffer itself (moved out, so that its storage stays
    /// uniquely referenced while it grows) or, for a compressed file, the scratch buffer.
    private func takeGathering() -> [UInt8] {
        var lines: [UInt8] = []
        if deflater == nil {
            swap(&lines, &buffer)
            gatheredFrom = lines.count
        } else {
            swap(&lines, &scratch)
            lines.removeAll(keepingCapacity: true)
            gatheredFrom = 0
        }
        return lines
    }

    /// Hands gathered lines to the compressor or the disk, and puts the buffer back.
    private func finishGathering(_ lines: inout [UInt8]) throws {
        inputCount += Int64(lines.count - gatheredFrom)
        if let deflater {
            defer { swap(&lines, &scratch) }
            try lines.withUnsafeBytes { try deflater.compress($0) { try append($0) } }
        } else {
            swap(&lines, &buffer)
            if buffer.count >= bufferLimit { try flush() }
        }
    }

    private var scratch: [UInt8] = []
    private var gatheredFrom = 0

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
        // Compressed pieces (a gzip member, a zstd frame: tens of KiB) go to disk as they come, so
        // that a stage with many compressed files open holds no write buffer for each.
        guard deflater == nil else { return try writeThrough(bytes) }
        if buffer.count + bytes.count > bufferLimit {
            try flush()
            if bytes.count >= bufferLimit { return try writeThrough(bytes) }
        }
        buffer.append(contentsOf: bytes)
    }

    private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws {
        byteCount += Int64(try FileSystemError.naming("write", path) { try descriptor.writeAll(bytes) })
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeThrough($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}
