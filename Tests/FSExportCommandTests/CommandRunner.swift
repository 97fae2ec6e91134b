import FSExportTestSupport
import Foundation

/// Runs the built `fsexport` binary as a user would, capturing what it prints and how it exits.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutData: Data
}

enum FSExportBinary {
    /// The executable sits beside the test bundle in the build folder.
    static var url: URL {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("fsexport")
    }

    static func run(_ arguments: [String], key: String? = nil, directory: String? = nil, environment extra: [String: String] = [:], executable: String? = nil) async throws -> CommandResult {
        let process = Process()
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? url
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FULLSTORY_API_KEY"] = key
        environment.merge(extra) { $1 }
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // Files rather than pipes: no deadlock however much the command prints.
        let out = folder.appendingPathComponent("stdout")
        let err = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try await process.runToExit()
        let stdoutData = try Data(contentsOf: out)
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: try String(contentsOf: err, encoding: .utf8), stdoutData: stdoutData)
    }
}
