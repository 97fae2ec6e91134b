import Foundation
import Synchronization

/// Where a stage puts the files it produces for downstream stages. Files are made in the stage's
/// staging folder and reach the next stages when published; the engine removes them once the
/// bundle is finished.
///
/// Each name can be made or published once per bundle: a second file under a name already used
/// fails the bundle, so that no output silently replaces another.
public struct ArtifactOutput: Sendable {
    /// The stage's staging folder for this bundle: create what you write there through it
    /// (``ConfinedRoot/createFile(_:exclusive:permissions:)``), never through a symbolic link.
    public let root: ConfinedRoot
    private let send: @Sendable (Artifact) async -> Void
    private let names = NameLedger()

    public init(directory: String, send: @escaping @Sendable (Artifact) async -> Void) {
        self.root = ConfinedRoot(directory)
        self.send = send
    }

    /// The stage's staging folder for this bundle.
    public var directory: String { root.path }

    /// A new file in the staging folder, to write and then publish.
    public func makeFile(named name: String, compression: OutputFile.Compression = .none, level: Int? = nil) throws -> OutputFile {
        try Artifact.validate(name: name)
        try names.claim(name)
        return try OutputFile(root: root, relative: name, name: name, compression: compression, level: level)
    }

    /// Claims `name` for this bundle and makes its folders (never through a symbolic link);
    /// returns the path it will have. For a file the stage writes by other means (a program's
    /// output, an archive), created through ``root``, then handed over with ``publish(_:)-(Artifact)``.
    public func reserve(_ name: String) throws -> String {
        try Artifact.validate(name: name)
        try names.claim(name)
        if let slash = name.lastIndex(of: "/") { try root.makeFolders(String(name[..<slash])) }
        return root.fullPath(name)
    }

    /// Closes the file and hands it to the downstream stages (waiting while they are busy).
    @discardableResult
    public func publish(_ file: OutputFile) async throws -> Artifact {
        try file.close()
        let artifact = Artifact(name: file.name, path: file.path, byteCount: file.byteCount)  // content: from its name
        await send(artifact)
        return artifact
    }

    /// Hands an existing file to the downstream stages as it is. Its name must not have been
    /// used for another file of this bundle (a name from ``reserve(_:)`` is this file's own).
    public func publish(_ artifact: Artifact) async throws {
        if artifact.path != "\(directory)/\(artifact.name)" || !names.contains(artifact.name) { try names.claim(artifact.name) }
        await send(artifact)
    }
}

/// The names a stage has used for one bundle.
private final class NameLedger: Sendable {
    private let used = Mutex<Set<String>>([])

    func claim(_ name: String) throws {
        let fresh = used.withLock { $0.insert(name).inserted }
        guard fresh else {
            throw SinkError("two files of this bundle are named '\(name)'; the second would replace the first, so the bundle fails instead (make the name template tell them apart)")
        }
    }

    func contains(_ name: String) -> Bool { used.withLock { $0.contains(name) } }
}
