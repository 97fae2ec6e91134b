import Foundation
import SystemPackage

/// A folder that fsexport writes below, and the one way it creates, opens for writing, renames
/// and removes anything there: a files stage's root, the spool, the state file's folder, the
/// folder of a metrics file or of `get -o`.
///
/// The root is opened as named, links and all: whoever wrote the path chose it. Below it, every
/// step goes through an open folder (`openat`, `mkdirat`, `renameat`, `linkat`, `unlinkat`), one
/// component at a time and each with `O_NOFOLLOW`. So a symbolic link below a root is never
/// followed, whether it was planted before the run or swapped in while fsexport works: there is
/// no check on a path that a later use of the same path could outrun.
///
/// Paths given to it are relative to the root, `/`-separated, with no empty, `.` or `..` parts.
public struct ConfinedRoot: Sendable, Hashable, CustomStringConvertible {
    /// The root, as named.
    public let path: String

    /// Touches nothing: the root is opened (and, where an operation makes things, created) when used.
    public init(_ path: String) { self.path = path }

    public var description: String { path }

    /// The root that holds the file at `path` (its folder) and the file's name in it.
    public static func holding(_ path: String) -> (root: ConfinedRoot, name: String) {
        let url = URL(fileURLWithPath: path)
        return (ConfinedRoot(url.deletingLastPathComponent().path), url.lastPathComponent)
    }

    /// The full path of `relative`, for messages and for readers.
    public func fullPath(_ relative: String) -> String { relative.isEmpty ? path : "\(path)/\(relative)" }

    // MARK: - Folders

    /// Makes the folders of `relative` as needed (and the root, if missing). Returns those it
    /// made, outermost first, as paths relative to the root, so that they can be removed again.
    @discardableResult
    public func makeFolders(_ relative: String) throws -> [String] {
        var made: [String] = []
        _ = try walk(try components(relative), creating: true, made: &made)
        return made
    }

    /// Makes the folder `relative` (and those on the way) as needed, and returns its full path.
    public func folder(_ relative: String) throws -> String {
        try makeFolders(relative)
        return fullPath(relative)
    }

    /// Whether `relative` is a file, a folder, a symbolic link or something else; nil when missing
    /// (or when a folder on the way is missing or a link).
    public func kind(of relative: String) -> FileKind? {
        guard let (folder, name) = try? parent(of: relative, creating: false) else { return nil }
        var info = stat()
        guard fstatat(folder.fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileKind(mode: info.st_mode)
    }

    /// The size of the file `relative`, never through a link.
    public func size(of relative: String) throws -> Int64 {
        let (folder, name) = try parent(of: relative, creating: false)
        var info = stat()
        guard fstatat(folder.fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw FileSystemError("examine", fullPath(relative), errno: errno) }
        return Int64(info.st_size)
    }

    // MARK: - Files

    /// Opens `relative` (never through a link, at any component), making its folders first when
    /// `makingFolders`. `O_NOFOLLOW` and `O_CLOEXEC` are always added.
    public func open(
        _ relative: String, _ mode: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions? = nil, makingFolders: Bool = false
    ) throws -> FileDescriptor {
        let (folder, name) = try parent(of: relative, creating: makingFolders)
        let flags = mode.rawValue | options.rawValue | O_NOFOLLOW | O_CLOEXEC
        let fd = openat(folder.fd, name, flags, permissions?.rawValue ?? 0)
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP { throw Self.linkRefused(fullPath(relative)) }
            throw FileSystemError(options.contains(.create) ? "create" : "open", fullPath(relative), errno: code)
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Creates (or truncates) the file `relative` for writing, its folders made as needed, with
    /// fsexport's file mode (``FileModes``).
    public func createFile(_ relative: String, exclusive: Bool = false, permissions: FilePermissions = FileModes.file) throws -> FileDescriptor {
        try open(relative, .writeOnly, options: exclusive ? [.create, .exclusiveCreate] : [.create, .truncate], permissions: permissions, makingFolders: true)
    }

    /// Replaces the file `relative` with `data` in one step, durably: a temporary file beside it,
    /// written and synced, renamed over it, and the folder synced.
    public func writeAtomically(_ data: Data, to relative: String) throws {
        let (folder, name) = try parent(of: relative, creating: true)
        let temporary = ".\(name).tmp"
        unlinkat(folder.fd, temporary, 0)
        let fd = openat(folder.fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FileModes.fileBits)
        guard fd >= 0 else { throw FileSystemError("create", fullPath(Self.sibling(relative, temporary)), errno: errno) }
        let written = data.withUnsafeBytes { Self.writeAll(fd, $0) }
        let synced = fsync(fd) == 0
        let code = errno
        close(fd)
        guard written, synced else {
            unlinkat(folder.fd, temporary, 0)
            throw FileSystemError("write", fullPath(Self.sibling(relative, temporary)), errno: code)
        }
        guard renameat(folder.fd, temporary, folder.fd, name) == 0 else {
            let code = errno
            unlinkat(folder.fd, temporary, 0)
            throw FileSystemError("replace", fullPath(relative), errno: code)
        }
        fsync(folder.fd)
    }

    /// Moves `from` to `to` (replacing a file there), both below the root; `to`'s folders are made as needed.
    public func rename(_ from: String, to: String) throws {
        let (source, sourceName) = try parent(of: from, creating: false)
        let (target, targetName) = try parent(of: to, creating: true)
        guard renameat(source.fd, sourceName, target.fd, targetName) == 0 else { throw FileSystemError("move a file into", fullPath(to), errno: errno) }
    }

    /// Gives the file `from` a second name `to`, which must not exist yet (`EEXIST` otherwise).
    public func link(_ from: String, to: String) throws {
        let (source, sourceName) = try parent(of: from, creating: false)
        let (target, targetName) = try parent(of: to, creating: true)
        guard linkat(source.fd, sourceName, target.fd, targetName, 0) == 0 else { throw FileSystemError("create", fullPath(to), errno: errno) }
    }

    /// Links the file at `source` (any path, read only) to `relative`, or copies it when the two
    /// are on different file systems: no bytes move when they need not.
    public func linkOrCopy(from source: String, to relative: String) throws {
        let (folder, name) = try parent(of: relative, creating: true)
        unlinkat(folder.fd, name, 0)
        if linkat(AT_FDCWD, source, folder.fd, name, 0) == 0 { return }
        let input = try FileSystemError.naming("open", source) { try FileDescriptor.open(FilePath(source), .readOnly) }
        defer { try? input.close() }
        let output = try createFile(relative)
        defer { try? output.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try FileSystemError.naming("read", source) { try input.read(into: buffer) }
            if count == 0 { return }
            _ = try FileSystemError.naming("write", fullPath(relative)) { try output.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<count])) }
        }
    }

    /// Makes what was renamed or linked into the folder of `relative` durable.
    public func syncFolder(of relative: String) {
        guard let (folder, _) = try? parent(of: relative, creating: false) else { return }
        fsync(folder.fd)
    }

    // MARK: - Removing

    /// Removes the file (or tree) at `path`, through the root that holds it; missing is fine.
    public static func removeIfPresent(_ path: String) {
        let (root, name) = holding(path)
        try? root.remove(name)
    }

    /// Removes `relative` and everything in it, as `rm -r` would but entering no symbolic link (a
    /// link is removed itself). Missing is fine; a link on the way down to it is an error.
    public func remove(_ relative: String) throws {
        let names = try components(relative)
        guard let last = names.last else { throw Self.notBelow(relative, root: path) }
        var none: [String] = []
        let folder: OpenFolder
        do {
            folder = try walk(Array(names.dropLast()), creating: false, made: &none)
        } catch is Missing {
            return
        }
        try Self.removeEntry(last, in: folder, path: fullPath(relative))
    }

    /// Removes those of `folders` that are empty, the last first (list them outermost first, as
    /// ``makeFolders(_:)`` returns them), never through a link. Never fails: a folder that is not
    /// empty, or not there, stays as it is.
    public func removeEmptyFolders(_ folders: [String]) {
        for relative in folders.reversed() {
            guard var names = try? components(relative), let last = names.popLast() else { continue }
            var none: [String] = []
            guard let folder = try? walk(names, creating: false, made: &none) else { continue }
            unlinkat(folder.fd, last, AT_REMOVEDIR)
        }
    }

    /// `a`, `a/b` and `a/b/c` for `a/b/c`: the folders on the way to `relative`, outermost first.
    public static func folders(of relative: String) -> [String] {
        var prefix = ""
        return relative.split(separator: "/").map { name in
            prefix = prefix.isEmpty ? String(name) : "\(prefix)/\(name)"
            return prefix
        }
    }

    // MARK: - Pieces

    /// What an entry below a root is.
    public enum FileKind: Sendable, Equatable {
        case file, folder, symbolicLink, other

        init(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: self = .file
            case S_IFDIR: self = .folder
            case S_IFLNK: self = .symbolicLink
            default: self = .other
            }
        }
    }

    /// A folder on the way is missing (when nothing is to be made).
    private struct Missing: Error {}

    /// An open folder, closed when the last reference goes.
    final class OpenFolder {
        let fd: Int32
        init(fd: Int32) { self.fd = fd }
        deinit { close(fd) }
    }

    private func components(_ relative: String) throws -> [String] {
        if relative.isEmpty { return [] }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !relative.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }), !relative.contains("\0") else {
            throw Self.notBelow(relative, root: path)
        }
        return parts
    }

    private func openRoot(creating: Bool) throws -> OpenFolder {
        if creating {
            try FileSystemError.naming("create the folder", path) { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        }
        let fd = Foundation.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT, !creating { throw Missing() }
            throw FileSystemError("open the folder", path, errno: errno)
        }
        return OpenFolder(fd: fd)
    }

    /// The folder `names` below the root, made where missing when `creating` (each made one is
    /// added to `made`); throws ``Missing`` when a part is missing and not to be made.
    private func walk(_ names: [String], creating: Bool, made: inout [String]) throws -> OpenFolder {
        var current = try openRoot(creating: creating)
        var walked = ""
        for name in names {
            walked = walked.isEmpty ? name : "\(walked)/\(name)"
            if creating {
                if mkdirat(current.fd, name, FileModes.folderBits) == 0 {
                    made.append(walked)
                } else if errno != EEXIST {
                    throw FileSystemError("create the folder", fullPath(walked), errno: errno)
                }
            }
            let child = openat(current.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else {
                let code = errno
                if code == ENOENT, !creating { throw Missing() }
                if code == ELOOP || code == ENOTDIR { throw Self.linkRefused(fullPath(walked)) }
                throw FileSystemError("open the folder", fullPath(walked), errno: code)
            }
            current = OpenFolder(fd: child)
        }
        return current
    }

    /// The open folder that holds `relative`, and its last name.
    private func parent(of relative: String, creating: Bool) throws -> (OpenFolder, String) {
        var names = try components(relative)
        guard let name = names.popLast() else { throw Self.notBelow(relative, root: path) }
        var made: [String] = []
        do {
            return (try walk(names, creating: creating, made: &made), name)
        } catch is Missing {
            throw FileSystemError("open", fullPath(relative), errno: ENOENT)
        }
    }

    private static func removeEntry(_ name: String, in folder: OpenFolder, path: String) throws {
        var info = stat()
        guard fstatat(folder.fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw FileSystemError("examine", path, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            guard unlinkat(folder.fd, name, 0) == 0 || errno == ENOENT else { throw FileSystemError("remove", path, errno: errno) }
            return
        }
        let fd = openat(folder.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return }
            throw FileSystemError("open the folder", path, errno: errno)
        }
        let inner = OpenFolder(fd: fd)
        for entry in try entries(of: inner, path: path) { try removeEntry(entry, in: inner, path: "\(path)/\(entry)") }
        guard unlinkat(folder.fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT else { throw FileSystemError("remove the folder", path, errno: errno) }
    }

    private static func entries(of folder: OpenFolder, path: String) throws -> [String] {
        let copy = dup(folder.fd)  // closedir closes the descriptor it was given
        guard copy >= 0, let stream = fdopendir(copy) else { throw FileSystemError("read the folder", path, errno: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    private static func sibling(_ relative: String, _ name: String) -> String {
        guard let slash = relative.lastIndex(of: "/") else { return name }
        return "\(relative[..<slash])/\(name)"
    }

    static func linkRefused(_ path: String) -> FileSystemError {
        FileSystemError("use", path, reason: "it is a symbolic link (or not a folder), and fsexport never follows links below the folders it writes in; remove it")
    }

    private static func notBelow(_ relative: String, root: String) -> FileSystemError {
        FileSystemError("use", "'\(relative)'", reason: "not a relative path below \(root) (no leading '/', no empty, '.' or '..' parts)")
    }
}
