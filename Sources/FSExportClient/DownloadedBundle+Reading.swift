import FSExportZlib
import SystemPackage

extension DownloadedBundle {
    /// Streams the bundle's JSON document (inflated if it arrived as gzip) to `write`, in chunks,
    /// with memory independent of its size.
    public func readDecoded(_ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        let input = try FileDescriptor.open(FilePath(path), .readOnly)
        defer { try? input.close() }
        let inflater = encoding == .gzip ? try Inflater(framing: .gzip) : nil
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try input.read(into: buffer)
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if let inflater { try inflater.inflate(chunk, into: write) } else { try write(chunk) }
        }
        try inflater?.finish()
    }
}
