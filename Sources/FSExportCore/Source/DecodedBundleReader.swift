import FSExportZlib
import SystemPackage

/// Reads a downloaded bundle's JSON document piece by piece, inflating it if it arrived as gzip,
/// with memory independent of its size. Pull-based, for writers that must wait between pieces.
public final class DecodedBundleReader {
    private let input: FileDescriptor
    private let path: String
    private let inflater: Inflater?
    private var buffer = [UInt8](repeating: 0, count: 256 << 10)
    private var done = false

    public init(_ bundle: DownloadedBundle) throws {
        path = bundle.path
        input = try FileSystemError.naming("open", bundle.path) { try FileDescriptor.open(FilePath(bundle.path), .readOnly) }
        inflater = bundle.encoding == .gzip ? try Inflater() : nil
    }

    deinit { try? input.close() }

    /// Compressed bytes read but not yet inflated.
    private var pending = 0..<0

    /// The next piece of the document, or nil at its end. Throws `ZlibError` for damaged gzip.
    /// A piece is at most about 4 MiB, however well the data compresses: gzip is inflated 4 KiB of
    /// input at a time, and deflate expands at most about 1,032 times.
    public func next() throws -> [UInt8]? {
        while !done {
            if pending.isEmpty {
                let count: Int
                count = try FileSystemError.naming("read", path) { try buffer.withUnsafeMutableBytes { try input.read(into: $0) } }
                if count == 0 {
                    try inflater?.finish()
                    done = true
                    return nil
                }
                guard inflater != nil else { return Array(buffer[0..<count]) }
                pending = 0..<count
            }
            guard let inflater else { return nil }
            let slice = pending.lowerBound..<min(pending.upperBound, pending.lowerBound + (4 << 10))
            pending = slice.upperBound..<pending.upperBound
            var piece: [UInt8] = []
            try buffer.withUnsafeBytes { try inflater.inflate(UnsafeRawBufferPointer(rebasing: $0[slice])) { piece.append(contentsOf: $0) } }
            if !piece.isEmpty { return piece }
        }
        return nil
    }
}

extension DownloadedBundle {
    /// Streams the bundle's JSON document (inflated if it arrived as gzip) to `write`, in pieces,
    /// with memory independent of its size.
    public func readDecoded(_ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        let reader = try DecodedBundleReader(self)
        while let piece = try reader.next() { try piece.withUnsafeBytes(write) }
    }
}
