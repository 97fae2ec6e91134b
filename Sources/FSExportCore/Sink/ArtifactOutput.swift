import Foundation

/// Where a stage puts the files it produces for downstream stages. Files are made in the stage's
/// staging folder and reach the next stages when published; the engine removes them once the
/// bundle is finished.
public struct ArtifactOutput: Sendable {
    /// The stage's staging folder for this bundle.
    public let directory: String
    private let send: @Sendable (Artifact) async -> Void

    public init(directory: String, send: @escaping @Sendable (Artifact) async -> Void) {
        self.directory = directory
        self.send = send
    }

    /// A new file in the staging folder, to write and then publish.
    public func makeFile(named name: String, compression: OutputFile.Compression = .none) throws -> OutputFile {
        try Artifact.validate(name: name)
        let path = "\(directory)/\(name)"
        if name.contains("/") {
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        }
        return try OutputFile(path: path, name: name, compression: compression)
    }

    /// Closes the file and hands it to the downstream stages (waiting while they are busy).
    @discardableResult
    public func publish(_ file: OutputFile) async throws -> Artifact {
        try file.close()
        let artifact = Artifact(name: file.name, path: file.path, byteCount: file.byteCount)
        await send(artifact)
        return artifact
    }

    /// Hands an existing file to the downstream stages as it is.
    public func publish(_ artifact: Artifact) async {
        await send(artifact)
    }
}
