import FSExportZlib
import Foundation
import SystemPackage

extension SimulatedDataset {
    /// Writes `bundle`'s body to `path` (gzip at `gzipLevel`, or plain JSON without one) through a
    /// temporary file renamed into place, in constant memory; returns its size. A file already at
    /// `path` is kept: the same seed and level always make the same bytes.
    package func writeBody(of bundle: Bundle, to path: String, gzipLevel: Int32?) throws -> Int64 {
        try Self.write(to: path, gzipLevel: gzipLevel) { [seed] emit in
            var generator = EventGenerator(seed: seed, bundle: bundle)
            try generator.generate(emit)
        }
    }

    /// Writes what `produce` emits to `path`, compressed when a level is given.
    package static func write(to path: String, gzipLevel: Int32?, produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws -> Int64 {
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64 { return size }
        let temporary = FilePath(path + ".tmp-\(UUID().uuidString)")
        let fd = try FileDescriptor.open(temporary, .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        var size: Int64 = 0
        try fd.closeAfter {
            let deflater = try gzipLevel.map { try Deflater(level: $0) }
            let write: (UnsafeRawBufferPointer) throws -> Void = { bytes in
                size += Int64(try fd.writeAll(bytes))
            }
            try produce { chunk in
                try chunk.withUnsafeBytes { bytes in
                    if let deflater { try deflater.deflate(bytes, into: write) } else { try write(bytes) }
                }
            }
            try deflater?.finish(into: write)
        }
        guard rename(temporary.string, path) == 0 else { throw Errno(rawValue: errno) }
        return size
    }
}
