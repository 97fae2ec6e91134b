import Foundation
import FSExportCore
import FSExportHTTP
import SystemPackage

/// Writes a GET body to the spool file (`….part`), appending when the server resumed at the
/// requested offset (206) and starting over when it sent the whole body (200). Every byte goes
/// through a ``BundleVerifier`` on the way, so no second pass is needed to know the data is whole.
final class SpoolReceiver: BodyReceiver {
    struct CorruptBody: Error { var detail: String }

    let part: SpoolFile
    let requestedOffset: Int64
    let verifier: BundleVerifier
    private var descriptor: FileDescriptor?
    private(set) var serverAcceptsRanges = false
    /// The part file as a reader following it (`fsexport events`) knows it.
    private let growth: FileGrowth.Key

    init(part: SpoolFile, requestedOffset: Int64, checking depth: BundleVerifier.Depth) {
        self.part = part
        self.requestedOffset = requestedOffset
        verifier = BundleVerifier(depth: depth)
        growth = FileGrowth.Key(part.path)
    }

    deinit { try? descriptor?.close() }

    func begin(status: Int, headers: HeaderFields) throws {
        serverAcceptsRanges = status == 206 || (headers["accept-ranges"]?.lowercased().contains("bytes") ?? false)
        if status == 206, requestedOffset > 0, Self.rangeStart(headers["content-range"]) == requestedOffset {
            let fd = try part.root.open(part.name, .readWrite)
            descriptor = fd
            try replayPrefix(fd)
            _ = try fd.seek(offset: requestedOffset, from: .start)
        } else {
            descriptor = try part.root.createFile(part.name)
        }
    }

    func receive(_ bytes: UnsafeRawBufferPointer) throws {
        if case .corrupt(let detail) = verifier.feed(bytes) { throw CorruptBody(detail: detail) }
        _ = try FileSystemError.naming("write", part.path) { try descriptor!.writeAll(bytes) }
        FileGrowth.shared.grew(growth)
    }

    /// Flushes to stable storage and closes; returns the verdict on the bytes received.
    func finish(sync: Bool) throws -> BundleVerifier.Verdict {
        if let descriptor {
            if sync, fsync(descriptor.rawValue) != 0 { throw FileSystemError("sync", part.path, errno: errno) }
            try descriptor.close()
            self.descriptor = nil
        }
        return verifier.finish()
    }

    /// The verifier must see the bytes from before the break too.
    private func replayPrefix(_ fd: FileDescriptor) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var remaining = requestedOffset
        var offset: Int64 = 0
        while remaining > 0 {
            let count = try fd.read(fromAbsoluteOffset: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), remaining))]))
            guard count > 0 else { throw CorruptBody(detail: "the partial download is shorter than expected") }
            if case .corrupt(let detail) = verifier.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                throw CorruptBody(detail: detail)
            }
            offset += Int64(count)
            remaining -= Int64(count)
        }
    }

    /// `bytes 100-199/200` → 100
    static func rangeStart(_ value: String?) -> Int64? {
        guard let value, let range = value.split(separator: " ").last,
            let dash = range.firstIndex(of: "-")
        else { return nil }
        return Int64(range[..<dash])
    }
}
