import Foundation
import FSExportCore
import SystemPackage

/// A folder that a sink's paths must stay inside: relative paths only, no `..`, and no symbolic
/// link on the way that leads out.
struct SafeRoot: Sendable {
    let path: String

    /// Nothing is created until the first file is prepared (so that validating a pipeline writes nothing).
    init(_ path: String) { self.path = path }

    /// Folders `prepare` made: `made` (a relative path) inside `parent`, which was there.
    struct MadeFolders {
        let parent: String
        let made: String

        /// Removes them again where still empty, deepest first, never through a symbolic link.
        func removeEmpty() { PrivateFolder.removeEmpty(made, in: parent) }
    }

    /// The absolute path of `relative` below the root, its folders created and checked; `made`
    /// receives the folders that did not exist, when there were any.
    func prepare(_ relative: String, made: inout [MadeFolders]) throws -> String {
        guard !relative.hasPrefix("/") else { throw SinkError("'\(relative)' is an absolute path; paths are relative to the root \(path)") }
        do { try Artifact.validate(name: relative) } catch { throw SinkError("'\(relative)' would leave the root \(path): \(error)") }
        try FileSystemError.naming("create the folder", path) { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let full = "\(path)/\(relative)"
        let folder = URL(fileURLWithPath: full).deletingLastPathComponent()
        var existing = folder.path
        while existing.count > path.count, !FileManager.default.fileExists(atPath: existing) {
            existing = URL(fileURLWithPath: existing).deletingLastPathComponent().path
        }
        try FileSystemError.naming("create the folder", folder.path) { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        if existing != folder.path { made.append(MadeFolders(parent: existing, made: String(folder.path.dropFirst(existing.count + 1)))) }
        let real = folder.resolvingSymlinksInPath().path
        guard real == resolved || real.hasPrefix(resolved + "/") else {
            throw SinkError("'\(relative)' leads out of the root \(path) through a symbolic link (to \(real))")
        }
        if let type = try? FileManager.default.attributesOfItem(atPath: full)[.type] as? FileAttributeType, type == .typeSymbolicLink {
            throw SinkError("'\(relative)' is a symbolic link; fsexport does not write through links")
        }
        return full
    }
}

/// Copies a file, or hard-links it when both sit on one file system (no bytes move).
enum FileCopy {
    static func linkOrCopy(_ source: String, to destination: String) throws {
        unlink(destination)
        if link(source, destination) == 0 { return }
        try FileSystemError.naming("copy \(source) to", destination) { try FileManager.default.copyItem(atPath: source, toPath: destination) }
    }

    /// Whether two files hold the same bytes, read a piece at a time (they may be gigabytes).
    static func sameContents(_ first: String, _ second: String) throws -> Bool {
        let a = try FileSystemError.naming("open", first) { try FileDescriptor.open(FilePath(first), .readOnly) }
        defer { try? a.close() }
        let b = try FileSystemError.naming("open", second) { try FileDescriptor.open(FilePath(second), .readOnly) }
        defer { try? b.close() }
        var left = [UInt8](repeating: 0, count: 256 << 10)
        var right = left
        while true {
            let count = try FileSystemError.naming("read", first) { try left.withUnsafeMutableBytes { try a.read(into: $0) } }
            var filled = 0
            while filled < count {
                let more = try FileSystemError.naming("read", second) {
                    try right.withUnsafeMutableBytes { try b.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled..<count])) }
                }
                if more == 0 { return false }
                filled += more
            }
            if count == 0 { return try FileSystemError.naming("read", second) { try right.withUnsafeMutableBytes { try b.read(into: $0) } } == 0 }
            if left[..<count] != right[..<count] { return false }
        }
    }
}
