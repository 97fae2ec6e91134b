import Foundation
import SystemPackage

/// A small file read whole (a pipeline file, a key file, a credentials file, the state file),
/// refused in words rather than read without end: a folder, a FIFO or a device (`/dev/zero`,
/// which never ends; a FIFO, which blocks until someone writes to it) is not read at all, and a
/// file larger than its limit is not read past the limit.
package enum SmallFile {
    /// The contents of the regular file at `path`, at most `limit` bytes; `what` names it in errors
    /// (`the API key file`). Without `followingLinks`, a file that is a symbolic link is refused
    /// (fsexport's own files, which it never writes through a link either).
    package static func read(_ path: String, limit: Int, what: String, followingLinks: Bool = true) throws(FileSystemError) -> Data {
        let fd = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            if errno == ELOOP, !followingLinks { throw ConfinedRoot.linkRefused(path) }
            throw FileSystemError("read \(what)", path, errno: errno)
        }
        defer { Foundation.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError("read \(what)", path, errno: errno) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw FileSystemError("read \(what)", path, reason: "it is a folder, not a file")
        default: throw FileSystemError("read \(what)", path, reason: "it is not a regular file (a FIFO, a socket or a device)")
        }
        guard Int64(info.st_size) <= Int64(limit) else { throw tooLarge(path, limit: limit, what: what) }
        _ = fcntl(fd, F_SETFL, 0)  // a regular file: reads block as usual
        return try readToEnd(FileDescriptor(rawValue: fd), path: path, limit: limit, what: what)
    }

    /// All of standard input (a pipe, say), at most `limit` bytes.
    package static func readStandardInput(limit: Int, what: String) throws(FileSystemError) -> Data {
        try readToEnd(.standardInput, path: "<stdin>", limit: limit, what: what)
    }

    private static func readToEnd(_ file: FileDescriptor, path: String, limit: Int, what: String) throws(FileSystemError) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
            } catch let error as Errno {
                throw FileSystemError("read \(what)", path, errno: error.rawValue)
            } catch {
                throw FileSystemError("read \(what)", path, reason: "\(error)")
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[..<count])
            guard data.count <= limit else { throw tooLarge(path, limit: limit, what: what) }
        }
    }

    private static func tooLarge(_ path: String, limit: Int, what: String) -> FileSystemError {
        FileSystemError("read \(what)", path, reason: "it is larger than \(ByteSizeText.limit(Int64(limit))), which no such file is")
    }
}
