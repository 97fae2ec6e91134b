import Foundation

/// The folders fsexport makes, empties and removes for its own use (staging, spool, temporary
/// names), below a parent folder the user chose. Every step below that parent goes through an
/// open folder with `O_NOFOLLOW`, so a symbolic link planted where fsexport works is never
/// followed: fsexport cannot be led to write or delete outside its roots.
public enum PrivateFolder {
    /// Makes the folders of `relative` (`a/b/c`) below `parent`, as needed, and returns the full
    /// path. Throws if one of them is a symbolic link or not a folder.
    @discardableResult
    public static func make(_ relative: String, in parent: String) throws -> String {
        try FileSystemError.naming("create the folder", parent) {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        }
        let folder = try Descriptor(parent)
        var current = folder
        for name in components(relative) {
            if mkdirat(current.fd, name, FileModes.folderBits) != 0, errno != EEXIST {
                throw FileSystemError("create the folder", "\(parent)/\(relative)", errno: errno)
            }
            current = try current.child(name, fullPath: "\(parent)/\(relative)")
        }
        return relative.isEmpty ? parent : "\(parent)/\(relative)"
    }

    /// Removes `relative` below `parent` and everything in it, as `rm -r` would but entering no
    /// symbolic link: a link is removed itself. Missing is fine. Throws if a folder on the way
    /// down to it is a symbolic link.
    public static func remove(_ relative: String, in parent: String) throws {
        var names = components(relative)
        guard let last = names.popLast() else { return }
        guard let holder = try walk(names, in: parent, relative: relative) else { return }
        try removeEntry(last, in: holder, path: "\(parent)/\(relative)")
    }

    /// Removes the empty folders of `relative`, deepest first, stopping at the first that is not
    /// empty: leaves no scaffolding behind in the user's tree.
    public static func removeEmpty(_ relative: String, in parent: String) {
        var names = components(relative)
        while let last = names.popLast() {
            guard let holder = try? walk(names, in: parent, relative: relative),
                unlinkat(holder.fd, last, AT_REMOVEDIR) == 0 || errno == ENOENT
            else { return }
        }
    }

    // MARK: - Pieces

    /// An open folder, closed when the last reference goes.
    private final class Descriptor {
        let fd: Int32

        init(_ path: String) throws {
            fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw FileSystemError("open the folder", path, errno: errno) }
        }

        private init(fd: Int32) { self.fd = fd }

        /// A folder inside this one; never through a symbolic link.
        func child(_ name: String, fullPath: String) throws -> Descriptor {
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else {
                let code = errno
                if code == ELOOP || code == ENOTDIR {
                    throw FileSystemError("use", fullPath, reason: "'\(name)' is a symbolic link or not a folder, and fsexport never follows links in the folders it works in; remove it")
                }
                throw FileSystemError("open the folder", fullPath, errno: code)
            }
            return Descriptor(fd: child)
        }

        deinit { close(fd) }
    }

    private static func components(_ relative: String) -> [String] {
        relative.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    /// The folder `names` below `parent`, or nil if some part of it does not exist.
    private static func walk(_ names: [String], in parent: String, relative: String) throws -> Descriptor? {
        guard var current = try? Descriptor(parent) else { return nil }
        for name in names {
            do {
                current = try current.child(name, fullPath: "\(parent)/\(relative)")
            } catch let error as FileSystemError where error.operation == "open the folder" {
                return nil  // missing: nothing to remove
            }
        }
        return current
    }

    private static func removeEntry(_ name: String, in folder: Descriptor, path: String) throws {
        var info = stat()
        guard fstatat(folder.fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw FileSystemError("examine", path, errno: errno)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            let inner = try folder.child(name, fullPath: path)
            for entry in try entries(of: inner, path: path) { try removeEntry(entry, in: inner, path: "\(path)/\(entry)") }
            guard unlinkat(folder.fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT else { throw FileSystemError("remove the folder", path, errno: errno) }
        } else {
            guard unlinkat(folder.fd, name, 0) == 0 || errno == ENOENT else { throw FileSystemError("remove", path, errno: errno) }
        }
    }

    private static func entries(of folder: Descriptor, path: String) throws -> [String] {
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
}
