import FSExportSimulatedData
import Foundation
import FSExportSimulator
import FSExportTestSupport
import Testing

/// The database stages from the command line: kill -9 at any moment, a connection dropped in the
/// middle of a bundle, a wrong password, a table the role may not write.
@Suite("Database stages from the command line", .serialized)
struct WarehouseCommandTests {
    /// A pipeline loading every event into `stage`, and its folder.
    static func pipeline(_ stage: String, in folder: TemporaryFolder) throws -> String {
        try folder.write("p.yml", """
            source: {start: 2024-01-01, settle: 0s}
            stages:
              warehouse: \(stage)
            """)
    }

    static func sqliteCount(_ database: String, _ sql: String) throws -> Int {
        Int(try Programs.runBlocking("/usr/bin/sqlite3", [database, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test("kill -9 at random moments over several rounds, then a run to the end: one row per event, one ledger row per bundle", arguments: ["sqlite", "postgres"])
    func killed(_ backend: String) async throws {
        let folder = try TemporaryFolder("warehouse-kill")
        let server = try PostgresServer.shared()
        let database = backend == "postgres" ? try server.makeDatabase() : ""
        let stage = backend == "sqlite"
            ? "{type: sqlite, inputs: [source], path: events.db}"
            : "{type: postgres, inputs: [source], connection: \"\(server.connection(database))\"}"
        let file = try Self.pipeline(stage, in: folder)
        let arguments = ["run", file, "--simulate", "--until", "2024-01-21", "-q"]
        var random = SystemRandomNumberGenerator()
        var delays: [Int] = []
        for _ in 0..<6 {
            let delay = Int.random(in: 50...1200, using: &random)
            delays.append(delay)
            let process = try FSExportBinary.start(arguments, environment: PostgresServer.environment)
            try await Task.sleep(for: .milliseconds(delay))
            kill(process.processIdentifier, SIGKILL)
            await process.exited()
        }
        let last = try await FSExportBinary.run(arguments, environment: PostgresServer.environment)
        #expect(last.status == 0, "killed after \(delays) ms: \(last.stderr)")
        let (rows, loads, distinct): (Int, Int, Int)
        if backend == "sqlite" {
            rows = try Self.sqliteCount(folder.file("events.db"), "SELECT count(*) FROM fullstory_events")
            loads = try Self.sqliteCount(folder.file("events.db"), "SELECT count(*) FROM fsexport_loads")
            distinct = try Self.sqliteCount(folder.file("events.db"), "SELECT count(DISTINCT bundle_id) FROM fullstory_events")
        } else {
            rows = Int(try server.psql("SELECT count(*) FROM fullstory_events", database: database)) ?? -1
            loads = Int(try server.psql("SELECT count(*) FROM fsexport_loads", database: database)) ?? -1
            distinct = Int(try server.psql("SELECT count(DISTINCT bundle_id) FROM fullstory_events", database: database)) ?? -1
        }
        #expect(rows == 20 * 200 && loads == 20 && distinct == 20, "killed after \(delays) ms: \(rows) rows, \(loads) loads")
    }

    @Test("A wrong password is a clear error, exit 1, the password shown nowhere; a table the role may not write says so")
    func refusals() async throws {
        let server = try PostgresServer.shared()
        let database = try server.makeDatabase()
        let folder = try TemporaryFolder("warehouse-refusals")
        let wrong = "wrong-pass-0123456789"
        let url = "postgresql://\(PostgresServer.role):\(wrong)@/\(database)?host=\(server.socketFolder)&port=\(server.port)"
        let file = try Self.pipeline("{type: postgres, inputs: [source], connection: \"\(url)\"}", in: folder)
        let refused = try await FSExportBinary.run(["run", file, "--simulate", "--until", "2024-01-02", "-v"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("password authentication failed for user \"loader\""), "\(refused.stderr)")
        #expect(!refused.stderr.contains(wrong) && !refused.stdout.contains(wrong))
        let valid = try await FSExportBinary.run(["validate", file])
        #expect(valid.status == 0 && !valid.stderr.contains(wrong))

        // A table someone else owns, that the loading role may read but not write.
        try server.psql("CREATE TABLE fullstory_events (bundle_id bigint, event_index integer, extra jsonb); GRANT SELECT ON fullstory_events TO loader", database: database, as: "postgres")
        let owned = try Self.pipeline("{type: postgres, inputs: [source], connection: \"\(server.connection(database))\"}", in: folder)
        let denied = try await FSExportBinary.run(["run", owned, "--simulate", "--until", "2024-01-02"], environment: PostgresServer.environment)
        #expect(denied.status == 1, "\(denied.stderr)")
        #expect(denied.stderr.contains("permission denied") && denied.stderr.contains("lacks the privilege"), "\(denied.stderr)")
        #expect(try server.psql("SELECT count(*) FROM fullstory_events", database: database, as: "postgres") == "0")
    }

    @Test("A connection dropped in the middle of a bundle fails it, the server rolls it back, and the next run loads it once")
    func droppedConnection() async throws {
        let server = try PostgresServer.shared()
        let database = try server.makeDatabase()
        let folder = try TemporaryFolder("warehouse-dropped")
        let configuration = SimulatorConfiguration(dataset: SimulatedDataset(bundleCount: 2, eventsPerBundle: 15_000), rateLimit: nil)
        try await withSimulator(configuration) { simulator in
            let connection = server.connection(database)
            // A sibling stage that, while the bundle loads, ends every fsexport connection to the database.
            let cutter = "psql -X -q '\(server.connection(database, user: "postgres"))' -c \"SELECT pg_sleep(0.5); SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fsexport' AND datname = '\(database)'\" >/dev/null; cat >/dev/null"
            let cut = try folder.write("cut.yml", """
                source: {start: 0, settle: 0s, state: cut.json}
                stages:
                  warehouse: {type: postgres, inputs: [source], connection: "\(connection)"}
                  cutter: {type: command, inputs: [source], shell: "\(cutter.replacingOccurrences(of: "\"", with: "\\\""))"}
                """)
            let failed = try await FSExportBinary.run(["run", cut, "--base-url", simulator.baseURL], key: "simulator-key", environment: PostgresServer.environment)
            #expect(failed.status == 1, "\(failed.stderr)")
            #expect(failed.stderr.contains("warehouse") && failed.stderr.contains("terminat"), "\(failed.stderr)")
            // The transaction made the tables too: nothing of it is left.
            #expect(try server.psql("SELECT count(*) FROM pg_tables WHERE tablename IN ('fullstory_events', 'fsexport_loads')", database: database) == "0")

            let whole = try folder.write("whole.yml", """
                source: {start: 0, settle: 0s, state: cut.json}
                stages:
                  warehouse: {type: postgres, inputs: [source], connection: "\(connection)"}
                """)
            let rerun = try await FSExportBinary.run(["run", whole, "--base-url", simulator.baseURL], key: "simulator-key", environment: PostgresServer.environment)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(try server.psql("SELECT count(*), count(DISTINCT (bundle_id, event_index)) FROM fullstory_events", database: database) == "30000|30000")
        }
    }
}
