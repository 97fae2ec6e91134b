import Foundation
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import FSExportTestSupport
import Testing

/// The sqlite and postgres stages load events into a table exactly once, typed and evolving,
/// against a real SQLite file and a real PostgreSQL server; read back with sqlite3 and psql.
@Suite("Loading into databases", .serialized)
struct WarehouseTests {
    enum Backend: String, CaseIterable, CustomStringConvertible {
        case sqlite, postgres
        var description: String { rawValue }
    }

    /// A database of a backend, for one test: the stage's YAML and a way to query it.
    struct Database {
        let backend: Backend
        let workspace: Workspace
        let name: String

        init(_ backend: Backend, in workspace: Workspace) throws {
            self.backend = backend
            self.workspace = workspace
            name = backend == .postgres ? try PostgresServer.shared().makeDatabase() : "warehouse.db"
        }

        /// The stage's options, in flow style.
        func stage(_ extra: String = "") -> String {
            let more = extra.isEmpty ? "" : ", \(extra)"
            switch backend {
            case .sqlite: return "{type: sqlite, inputs: [source], path: \(name)\(more)}"
            case .postgres:
                let connection = ((try? PostgresServer.shared().connection(name)) ?? "") + " password=\(PostgresServer.password)"
                return "{type: postgres, inputs: [source], connection: \"\(connection)\"\(more)}"
            }
        }

        /// The rows of a query, each a list of fields (NULL as an empty field).
        func query(_ sql: String) throws -> [[String]] {
            let output: String
            switch backend {
            case .sqlite:
                output = try runProgram("/usr/bin/sqlite3", ["-batch", "-separator", "|", "\(workspace.path)/\(name)", sql])
            case .postgres:
                output = try PostgresServer.shared().psql(sql, database: name)
            }
            return output.isEmpty ? [] : output.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        }

        func count(_ sql: String) throws -> Int { Int(try query(sql).first?.first ?? "") ?? -1 }
    }

    static func pipeline(_ database: Database, stage extra: String = "", more: String = "") throws -> String {
        try database.workspace.write("p.yml", "source: {start: 0, settle: 0s}\nstages:\n  warehouse: \(database.stage(extra))\n\(more)")
    }

    static func run(_ file: String, _ server: ScriptedServer, since: Int64? = nil) async throws -> RunSummary {
        try await runPipeline(file, server: server, environment: PostgresServer.environment, since: since)
    }

    @Test("Rows equal the events: counts by type, ids, times and a custom variable read back from extra", arguments: Backend.allCases)
    func rowsEqualEvents(_ backend: Backend) async throws {
        let workspace = try Workspace()
        let database = try Database(backend, in: workspace)
        let file = try Self.pipeline(database, more: "  lines: {type: files, inputs: [source], format: ndjson, path: \"lines/{id}.ndjson\"}\n")
        let summary = try await ExportSimulator.withRunning(SimulatorConfiguration(dataset: SimulatedDataset(bundleCount: 3, eventsPerBundle: 500), rateLimit: nil)) { simulator in
            try await runPipeline(file, simulator: simulator)
        }
        let events = try workspace.tree().filter { $0.key.hasPrefix("lines/") }.sorted { $0.key < $1.key }.map(\.value)
            .flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n") }
            .map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(events.count == 1500 && summary.events == 1500)
        #expect(try database.count("SELECT count(*) FROM fullstory_events") == 1500)
        var byType: [String: Int] = [:]
        for event in events { byType[event["EventType"] as? String ?? "", default: 0] += 1 }
        let loaded = try database.query("SELECT eventtype, count(*) FROM fullstory_events GROUP BY 1 ORDER BY 1").map { ($0[0], Int($0[1]) ?? -1) }
        #expect(loaded.map(\.0) == byType.keys.sorted() && loaded.map(\.1) == byType.keys.sorted().map { byType[$0]! })
        let ids = Set(events.compactMap { ($0["IndvId"] as? NSNumber)?.int64Value })
        #expect(Set(try database.query("SELECT DISTINCT indvid FROM fullstory_events").compactMap { Int64($0[0]) }) == ids)
        // A custom variable, kept in extra, read back with the database's own JSON functions.
        let currencies = events.filter { $0["evt_currency_str"] != nil }.count
        let jsonRead = backend == .sqlite ? "json_extract(extra, '$.evt_currency_str')" : "extra->>'evt_currency_str'"
        let read = try database.count("SELECT count(\(jsonRead)) FROM fullstory_events")
        #expect(currencies > 0 && read == currencies)
        // Times as the database's own: a time type in PostgreSQL, ISO text in SQLite.
        let first = try #require(events.first?["EventStart"] as? String)
        let time = backend == .sqlite ? "eventstart" : "to_char(eventstart AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        #expect(try database.query("SELECT \(time) FROM fullstory_events WHERE event_index = 0 ORDER BY bundle_id LIMIT 1").first?.first == first)
        #expect(try database.count("SELECT count(*) FROM fsexport_loads WHERE target_table = 'fullstory_events' AND events = 500") == 3)
    }
}

/// Runs a program and returns its standard output; throws with its standard error when it fails.
func runProgram(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let problem = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw PostgresServerError("\(path) failed: \(String(decoding: problem, as: UTF8.self))") }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
}
