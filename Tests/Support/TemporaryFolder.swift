import FSExportSinkTesting
import Foundation

/// The tests' scratch folders are the sink authors' (one helper for both).
public typealias TemporaryFolder = FSExportSinkTesting.TemporaryFolder

/// What fsexport keeps for itself in an output folder, which tests leave out when they compare
/// what was delivered: the pipelines' default state folder, and the state files and spools the
/// tests' pipeline files put at `state…` and `spool…`.
public let fsexportOwnPaths = [".fsexport", "state", "spool"]

/// Every file below `root` with its bytes, but those whose relative path starts with one of `prefixes`.
public func tree(_ root: String, excluding prefixes: [String] = fsexportOwnPaths) throws -> [String: Data] {
    try TemporaryFolder.files(below: root) { relative in prefixes.contains { relative.hasPrefix($0) } }
}

extension TemporaryFolder {
    /// The bytes of `relative`.
    public func bytes(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file(relative))) }

    /// Every file below the folder with its bytes, but those whose relative path starts with one of `prefixes`.
    public func tree(excluding prefixes: [String] = fsexportOwnPaths) throws -> [String: Data] {
        try files { relative in prefixes.contains { relative.hasPrefix($0) } }
    }
}
