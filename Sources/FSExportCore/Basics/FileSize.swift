import Foundation

/// The size of a file on disk, for spooled bundles and the sinks' outputs.
public enum FileSize {
    /// Its size in bytes; throws ``FileSystemError`` when the file cannot be examined.
    public static func of(_ path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileSystemError("read the size of", path, errno: errno) }
        return Int64(info.st_size)
    }
}
