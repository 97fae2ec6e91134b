import Foundation

/// The size of a file on disk, for the client's spool files and the sinks' outputs.
public enum FileSize {
    /// Its size in bytes; throws ``ExportError/localIO(_:)`` when the file cannot be examined.
    public static func of(_ path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ExportError.localIO("cannot read the size of \(path): \(String(cString: strerror(errno)))") }
        return Int64(info.st_size)
    }
}
