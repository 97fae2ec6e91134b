import CArchive
import FSExportCore
import SystemPackage

/// Writes a tar archive with libarchive, deterministically: entries as given, every mtime the same,
/// owner 0/0 with no names, mode 0644, and no timestamp in a gzip header. Gzip is fsexport's own
/// (``ParallelGzip``, on every core): libarchive writes the tar to it through a callback. The
/// other compressions are libarchive's filters.
final class TarWriter {
    enum Format: String, Decodable, Sendable, CaseIterable { case pax, ustar }
    enum Compression: String, Decodable, Sendable, CaseIterable {
        case none, gzip, bzip2, xz, zstd

        /// The levels libarchive's filter (or fsexport's gzip) takes.
        var levels: ClosedRange<Int>? {
            switch self {
            case .none: nil
            case .gzip, .bzip2: 1...9
            case .xz: 0...9
            case .zstd: 1...19
            }
        }

        var fileExtension: String {
            switch self {
            case .none: ""
            case .gzip: ".gz"
            case .bzip2: ".bz2"
            case .xz: ".xz"
            case .zstd: ".zst"
            }
        }
    }

    private let archive: OpaquePointer
    private let mtime: Int64
    private var closed = false
    /// Where libarchive's output goes when fsexport compresses it (gzip).
    private let output: ArchiveOutput?
    /// The archive's file, when libarchive writes it itself (it does not close it).
    private var file: FileDescriptor?

    /// Writes the archive to `relative` below `root`, created there without following a link.
    init(root: ConfinedRoot, relative: String, format: Format, compression: Compression, level: Int? = nil, mtime: Int64) throws {
        guard let archive = archive_write_new() else { throw SinkError("libarchive could not start an archive") }
        self.archive = archive
        self.mtime = mtime
        if compression == .gzip {
            output = ArchiveOutput(try OutputFile(root: root, relative: relative, compression: .gzip, level: level))
            file = nil
        } else {
            output = nil
            file = try root.createFile(relative)
        }
        try UTF8Locale.run { try configure(format: format, compression: compression, level: level) }
    }

    private func configure(format: Format, compression: Compression, level: Int?) throws {
        try check(format == .pax ? archive_write_set_format_pax_restricted(archive) : archive_write_set_format_ustar(archive))
        switch compression {
        case .none, .gzip: break
        case .bzip2: try check(archive_write_add_filter_bzip2(archive))
        case .xz: try check(archive_write_add_filter_xz(archive))
        case .zstd: try check(archive_write_add_filter_zstd(archive))
        }
        if let level, compression != .gzip, compression != .none {
            try check(archive_write_set_filter_option(archive, nil, "compression-level", "\(level)"))
        }
        if let output {
            try check(archive_write_open(archive, Unmanaged.passUnretained(output).toOpaque(), nil, { _, context, bytes, count in
                Unmanaged<ArchiveOutput>.fromOpaque(context!).takeUnretainedValue().write(bytes, count)
            }, nil))
        } else {
            try check(archive_write_open_fd(archive, file!.rawValue))
        }
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
        try? file?.close()
    }

    /// Adds a file's contents under `name`, streaming it in 1 MiB pieces.
    func add(name: String, contentsOf path: String, size: Int64) throws {
        try UTF8Locale.run { try addEntry(name: name, contentsOf: path, size: size) }
    }

    private func addEntry(name: String, contentsOf path: String, size: Int64) throws {
        guard let entry = archive_entry_new() else { throw SinkError("libarchive could not make an entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_size(entry, size)
        archive_entry_set_filetype(entry, 0o100000)  // AE_IFREG: a cast macro Swift cannot import
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, time_t(mtime), 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        try check(archive_write_header(archive, entry))

        let input = try FileSystemError.naming("open", path) { try FileDescriptor.open(FilePath(path), .readOnly) }
        defer { try? input.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var written: Int64 = 0
        while true {
            let count = try FileSystemError.naming("read", path) { try input.read(into: buffer) }
            if count == 0 { break }
            // libarchive takes no more than the entry's size (and says so by a shorter count): a
            // file that grew is caught below, by its size, rather than as a short write.
            let accepted = archive_write_data(archive, buffer.baseAddress, count)
            if accepted < 0 { try check(ARCHIVE_FATAL) }
            written += Int64(count)
            guard written <= size else { break }
        }
        guard written == size else { throw SinkError("\(name) changed size while it was archived (\(size) bytes expected, \(written) read)") }
    }

    func close() throws {
        closed = true
        try UTF8Locale.run { try check(archive_write_close(archive)) }
        try output?.close()
        let written = file
        file = nil
        if let written { try FileSystemError.naming("close", "the archive") { try written.close() } }
    }

    private func check(_ status: Int32) throws {
        if let error = output?.error { throw error }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            let message = archive_error_string(archive).map { String(cString: $0) } ?? "status \(status)"
            throw SinkError("libarchive: \(message)")
        }
    }
}

/// libarchive's output, compressed by fsexport: the C write callback's side.
private final class ArchiveOutput {
    let file: OutputFile
    /// The first failure to write, reported by ``TarWriter`` rather than as libarchive's "write error".
    var error: (any Error)?

    init(_ file: OutputFile) { self.file = file }

    func write(_ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
        guard let bytes, error == nil else { return -1 }
        do {
            try file.write(UnsafeRawBufferPointer(start: bytes, count: count))
            return count
        } catch {
            self.error = error
            return -1
        }
    }

    func close() throws {
        if let error { throw error }
        try file.close()
    }
}

/// The libarchive the tar stage writes with.
package enum LibArchive {
    /// `libarchive/3.6.2`.
    package static var version: String {
        String(cString: archive_version_string()).replacingOccurrences(of: "libarchive ", with: "libarchive/")
    }
}
