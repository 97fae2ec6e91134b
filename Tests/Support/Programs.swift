import Foundation

/// What a program printed and how it ended.
public struct CommandResult: Sendable {
    public var status: Int32
    /// Standard output as it came: it may be binary (an object read back from S3).
    public var stdoutData: Data
    public var stderr: String

    /// Standard output as text. Decoded when asked for: decoding megabytes of binary is slow,
    /// and slower still under swift-testing, which records a backtrace for each error thrown.
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
}

/// The one way the tests start programs (fsexport, a shell, psql, moto's script): the environment
/// is the test's (but a FULLSTORY_API_KEY of the developer's) with `environment` on top, standard
/// input is empty, and output goes to files rather than pipes, so that no program blocks however
/// much it prints.
public enum Programs {
    /// A process for `executable arguments`, ready to start: its output into the files `stdout`
    /// and `stderr` (made empty first), or discarded when nil.
    public static func process(
        _ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:], stdout: String? = nil,
        stderr: String? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment
        inherited["FULLSTORY_API_KEY"] = nil
        process.environment = inherited.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try output(stdout)
        process.standardError = try output(stderr)
        return process
    }

    /// Starts `executable arguments` in the background (see ``process(_:_:directory:environment:stdout:stderr:)``).
    public static func start(
        _ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:], stdout: String? = nil,
        stderr: String? = nil
    ) throws -> Process {
        let process = try process(executable, arguments, directory: directory, environment: environment, stdout: stdout, stderr: stderr)
        try process.run()
        return process
    }

    /// Runs `executable arguments` to its end without holding a thread of the concurrency pool.
    public static func run(
        _ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:]
    ) async throws -> CommandResult {
        try await capturing { stdout, stderr in
            let process = try process(executable, arguments, directory: directory, environment: environment, stdout: stdout, stderr: stderr)
            try await process.runToExit()
            return process.terminationStatus
        }
    }

    /// Runs `executable arguments` to its end, blocking the calling thread: for set-up code that
    /// is not async (a server's start, a query helper).
    public static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try capturing { stdout, stderr in
            let process = try process(executable, arguments, environment: environment, stdout: stdout, stderr: stderr)
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Runs `command` with `bash -c`: the one way a test runs a shell line (bash, so that a line
    /// may use `PIPESTATUS` or `set -o pipefail`).
    public static func shell(_ command: String, directory: String? = nil, environment: [String: String] = [:]) async throws -> CommandResult {
        try await run("/bin/bash", ["-c", command], directory: directory, environment: environment)
    }

    private static func output(_ path: String?) throws -> FileHandle {
        guard let path else { return FileHandle.nullDevice }
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    private static func capturing(_ body: (String, String) async throws -> Int32) async throws -> CommandResult {
        let folder = try TemporaryFolder("program")
        let status = try await body(folder.file("stdout"), folder.file("stderr"))
        return try result(status, folder)
    }

    private static func capturing(_ body: (String, String) throws -> Int32) throws -> CommandResult {
        let folder = try TemporaryFolder("program")
        let status = try body(folder.file("stdout"), folder.file("stderr"))
        return try result(status, folder)
    }

    private static func result(_ status: Int32, _ folder: TemporaryFolder) throws -> CommandResult {
        CommandResult(status: status, stdoutData: try folder.bytes("stdout"), stderr: String(decoding: try folder.bytes("stderr"), as: UTF8.self))
    }
}

/// The built `fsexport` binary, run as a user would.
public enum FSExportBinary {
    /// The executable sits beside the test bundle in the build folder.
    public static var url: URL {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("fsexport")
    }

    /// Starts `fsexport arguments` in the background.
    public static func start(
        _ arguments: [String], directory: String? = nil, environment: [String: String] = [:], stdout: String? = nil, stderr: String? = nil
    ) throws -> Process {
        try Programs.start(url.path, arguments, directory: directory, environment: environment, stdout: stdout, stderr: stderr)
    }

    /// Runs `fsexport arguments` (or `executable arguments`) to its end, with `key` as FULLSTORY_API_KEY.
    public static func run(
        _ arguments: [String], key: String? = nil, directory: String? = nil, environment: [String: String] = [:], executable: String? = nil
    ) async throws -> CommandResult {
        var environment = environment
        if let key, environment["FULLSTORY_API_KEY"] == nil { environment["FULLSTORY_API_KEY"] = key }
        return try await Programs.run(executable ?? url.path, arguments, directory: directory, environment: environment)
    }
}
