import Foundation

/// A folder of its own for one test, removed when the last reference goes: the one way tests
/// (fsexport's, and a sink author's) make scratch folders. It prints as its path, so that
/// `"\(folder)/out"` names a file in it.
public final class TemporaryFolder: Sendable, CustomStringConvertible {
    public let path: String

    public init(_ label: String = "test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public var description: String { path }

    /// Runs `body` with the folder's path; the folder lives at least until it returns.
    public func withPath<T>(_ body: (String) async throws -> T) async rethrows -> T {
        defer { withExtendedLifetime(self) {} }
        return try await body(path)
    }

    /// The full path of `relative`.
    public func file(_ relative: String) -> String { "\(path)/\(relative)" }

    /// Writes `text` to `relative` (its folders made) and returns the full path.
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        let file = "\(path)/\(relative)"
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        return file
    }

    /// The text of `relative`, or nil when it cannot be read.
    public func read(_ relative: String) -> String? { try? String(contentsOfFile: "\(path)/\(relative)", encoding: .utf8) }

    /// Every path below the folder (files, folders and links), relative and sorted; links are not entered.
    public func listing() -> [String] {
        (FileManager.default.subpaths(atPath: path) ?? []).sorted()
    }

    /// Every file below the folder, keyed by its relative path, with its bytes (see `files(below:skipping:)`).
    public func files(skipping skip: (String) -> Bool = { _ in false }) throws -> [String: Data] {
        try Self.files(below: path, skipping: skip)
    }

    /// Every regular file below `root`, keyed by its path relative to `root`, with its bytes, but the
    /// paths `skip` returns true for: what a test compares after a sink ran. Links are not entered.
    public static func files(below root: String, skipping skip: (String) -> Bool = { _ in false }) throws -> [String: Data] {
        var files: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return files }
        while let relative = walker.nextObject() as? String {
            guard !skip(relative) else { continue }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(relative)", isDirectory: &isFolder), !isFolder.boolValue {
                files[relative] = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(relative)"))
            }
        }
        return files
    }

    /// Makes `relative` a symbolic link to `destination`.
    public func link(_ relative: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: "\(path)/\(relative)", withDestinationPath: destination)
    }
}
