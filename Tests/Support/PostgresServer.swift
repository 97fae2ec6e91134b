import Foundation
import Synchronization

/// A real PostgreSQL server for the tests, started once per test process by
/// `Tests/Support/postgres-server.sh` (a throwaway cluster on a Unix socket) and gone when the
/// process ends. Each test takes a database of its own, owned by a role with a password, and reads
/// back what was loaded with psql, a client independent of fsexport's.
public final class PostgresServer: Sendable {
    public let socketFolder: String
    public let port: Int
    /// The role that owns the test databases, and its password.
    public static let role = "loader", password = "loader-secret-4711"
    private let process: Process
    private let input: FileHandle

    private static let started = Mutex<Result<PostgresServer, PostgresServerError>?>(nil)

    /// The server of this test process, started at the first call.
    public static func shared() throws -> PostgresServer {
        try started.withLock { started in
            if started == nil { started = Result { try PostgresServer() }.mapError { $0 as? PostgresServerError ?? PostgresServerError("\($0)") } }
            return try started!.get()
        }
    }

    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("postgres-server.sh").path

    private init() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.script)
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        self.process = process
        self.input = input.fileHandleForWriting
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                let reason = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw PostgresServerError("postgres-server.sh ended before it was ready (install PostgreSQL with .ci/install-deps --tests): \(reason)")
            }
            line += chunk
        }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard words.count == 3, words[0] == "ready", let port = Int(words[2]) else { throw PostgresServerError("postgres-server.sh said: \(line)") }
        socketFolder = words[1]
        self.port = port
        _ = try psql("CREATE ROLE \(Self.role) LOGIN PASSWORD '\(Self.password)'", database: "postgres", as: "postgres")
    }

    deinit { try? input.close() }

    /// A new, empty database owned by ``role``; its name.
    public func makeDatabase() throws -> String {
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        _ = try psql("CREATE DATABASE \(name) OWNER \(Self.role)", database: "postgres", as: "postgres")
        return String(name)
    }

    /// libpq's connection string for `database`, as `user` (the password comes from PGPASSWORD).
    public func connection(_ database: String, user: String = PostgresServer.role) -> String {
        "host=\(socketFolder) port=\(port) dbname=\(database) user=\(user)"
    }

    /// The environment that gives fsexport the role's password, as a user would: PGPASSWORD.
    public static let environment = ["PGPASSWORD": password]

    /// Runs SQL with psql (unaligned, tuples only, fields split by `|`); its output.
    @discardableResult
    public func psql(_ sql: String, database: String, as user: String = PostgresServer.role) throws -> String {
        let result = try Programs.runBlocking(
            "/usr/bin/psql", ["-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "|", connection(database, user: user), "-c", sql], environment: Self.environment)
        guard result.status == 0 else { throw PostgresServerError("psql failed on \(sql.prefix(200)): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .newlines)
    }
}

public struct PostgresServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
