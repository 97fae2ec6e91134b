import FSExportSimulatedData
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
        let workspace: TemporaryFolder
        let name: String

        init(_ backend: Backend, in workspace: TemporaryFolder) throws {
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

    @discardableResult
    static func run(_ file: String, _ server: ScriptedServer, since: Int64? = nil, clocks: Clocks = .system) async throws -> RunSummary {
        try await runPipeline(file, server: server, environment: PostgresServer.environment, since: since, clocks: clocks)
    }

    /// The engine's clocks with the wall clock stopped at `time`.
    static func clocks(at time: Int64) -> Clocks { Clocks(wall: { time }, waits: ContinuousClock()) }

    @Test("Rows equal the events: counts by type, ids, times and a custom variable read back from extra", arguments: Backend.allCases)
    func rowsEqualEvents(_ backend: Backend) async throws {
        let workspace = try TemporaryFolder("pipeline")
        let database = try Database(backend, in: workspace)
        let file = try Self.pipeline(database, more: "  lines: {type: files, inputs: [source], format: ndjson, path: \"lines/{id}.ndjson\"}\n")
        let summary = try await withSimulator(SimulatorConfiguration(dataset: SimulatedDataset(bundleCount: 3, eventsPerBundle: 500), rateLimit: nil)) { simulator in
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

    static let day: Int64 = 1_704_067_200

    static func bundle(_ number: Int64, _ events: [String]) -> ScriptedBundle {
        ScriptedBundle(id: number * 100, start: day + (number - 1) * 86_400, stop: day + number * 86_400, events: events)
    }

    /// A text column's value as hex of its UTF-8 bytes, read inside the database (exact, whatever it holds).
    /// The ledger's load times, in unix seconds, by bundle.
    static func loadTimes(_ database: Database, _ backend: Backend) throws -> [String] {
        let seconds = backend == .sqlite ? "strftime('%s', loaded_at)" : "extract(epoch FROM loaded_at)::bigint"
        return try database.query("SELECT \(seconds) FROM fsexport_loads ORDER BY bundle_id").map { $0[0] }
    }

    static func hex(_ column: String, _ backend: Backend) -> String {
        backend == .sqlite ? "lower(hex(CAST(\(column) AS BLOB)))" : "encode(convert_to(\(column), 'UTF8'), 'hex')"
    }

    @Test("A new field adds a column before the rows that need it; an existing table's own column stays NULL; a value that does not fit goes to extra", arguments: Backend.allCases)
    func evolution(_ backend: Backend) async throws {
        let workspace = try TemporaryFolder("pipeline")
        let database = try Database(backend, in: workspace)
        let first = Self.bundle(1, [#"{"EventType":"click","PageDuration":12,"IndvId":1}"#])
        let second = Self.bundle(2, [
            #"{"EventType":"click","PageDuration":"twelve","IndvId":2,"CartSize":3,"Plan":"pro","Ratio":0.5,"Vip":true,"Seen":"2024-01-02T03:04:05.678Z"}"#,
            #"{"EventType":"click","PageDuration":7,"IndvId":3,"CartSize":"many","Nothing":null,"Nested":{"a":[1,2]}}"#,
        ])
        let file = try Self.pipeline(database)
        try await Self.run(file, try ScriptedExportAPI.server([first]))
        // The table exists now; someone adds a column of their own.
        _ = try database.query("ALTER TABLE fullstory_events ADD COLUMN note TEXT")
        try await Self.run(file, try ScriptedExportAPI.server([first, second]))
        let columns = backend == .sqlite
            ? try database.query("SELECT name, type FROM pragma_table_info('fullstory_events')").map { "\($0[0]) \($0[1])" }
            : try database.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'fullstory_events' ORDER BY ordinal_position").map { "\($0[0]) \($0[1])" }
        let added = Array(columns.suffix(6))
        let expected = backend == .sqlite
            ? ["note TEXT", "cartsize BIGINT", "plan TEXT", "ratio DOUBLE", "vip BOOLEAN", "seen TIMESTAMP"]
            : ["note text", "cartsize bigint", "plan text", "ratio double precision", "vip boolean", "seen timestamp with time zone"]
        #expect(added == expected, "\(columns)")
        let rows = try database.query("SELECT indvid, pageduration, cartsize, plan, ratio, note FROM fullstory_events ORDER BY indvid")
        #expect(rows.map { $0[0] } == ["1", "2", "3"])
        #expect(rows.map { $0[1] } == ["12", "", "7"])  // "twelve" does not fit an integer column
        #expect(rows.map { $0[2] } == ["", "3", ""])  // "many" does not fit the bigint column CartSize made
        #expect(rows.count == 3 && rows[1][3] == "pro" && Double(rows[1][4]) == 0.5 && rows.allSatisfy { $0[5].isEmpty })
        let extra = backend == .sqlite
            ? "json_extract(extra, '$.PageDuration'), json_extract(extra, '$.CartSize'), json_extract(extra, '$.Nested.a[1]')"
            : "extra->>'PageDuration', extra->>'CartSize', extra#>>'{Nested,a,1}'"
        #expect(try database.query("SELECT \(extra) FROM fullstory_events ORDER BY indvid") == [["", "", ""], ["twelve", "", ""], ["", "many", "2"]])
    }

    @Test("Hostile values are stored as written: quotes, backslashes, line breaks, 1 MiB strings; NUL and bytes that are not UTF-8 where the database can hold them", arguments: Backend.allCases)
    func hostileValues(_ backend: Backend) async throws {
        let workspace = try TemporaryFolder("pipeline")
        let database = try Database(backend, in: workspace)
        let values = [
            #"O'Brien "quoted""#, #"back\slash \N \\ \."#, "tab\there\nnew line\r\n", String(repeating: "ü", count: 1 << 19),
            "semi;colon -- DROP TABLE x", "é\u{301} 😀", "",
        ]
        var events = try values.enumerated().map { index, value in
            #"{"EventType":"t","IndvId":\#(index),"EventTargetText":\#(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))}"#
        }
        events.append(#"{"EventType":"t","IndvId":90,"EventTargetText":"nul\u0000inside"}"#)
        let invalid = Array(#"{"EventType":"t","IndvId":91,"EventTargetText":"bad "#.utf8) + [0xFF, 0xFE] + Array(#" bytes"}"#.utf8)
        var bundle = Self.bundle(1, events)
        bundle.body = Array("[\(events.joined(separator: ",")),".utf8) + invalid + [UInt8(ascii: "]")]
        let file = try Self.pipeline(database)
        try await Self.run(file, try ScriptedExportAPI.server([bundle]))
        for (index, value) in values.enumerated() {
            let stored = try database.query("SELECT \(Self.hex("eventtargettext", backend)) FROM fullstory_events WHERE indvid = \(index)")
            #expect((stored.first?.first ?? "") == value.utf8.map { String(format: "%02x", $0) }.joined(), "value \(index)")
        }
        #expect(try database.count("SELECT count(*) FROM fullstory_events WHERE eventtargettext = ''") == 1, "an empty text is not NULL")
        // NUL: SQLite holds it in the column; PostgreSQL holds no NUL, and keeps the value in extra as written, \u0000 as text.
        let nul = backend == .sqlite ? Self.hex("eventtargettext", backend) : "extra->>'EventTargetText'"
        let stored = try database.query("SELECT \(nul) FROM fullstory_events WHERE indvid = 90").first?.first
        #expect(stored == (backend == .sqlite ? "6e756c00696e73696465" : #"nul\u0000inside"#), "\(String(describing: stored))")
        // Bytes that are not UTF-8: SQLite holds them as they are; PostgreSQL holds UTF-8 only, and gets U+FFFD in extra.
        let bad = backend == .sqlite ? Self.hex("eventtargettext", backend) : Self.hex("extra->>'EventTargetText'", backend)
        let badStored = try database.query("SELECT \(bad) FROM fullstory_events WHERE indvid = 91").first?.first
        #expect(badStored == (backend == .sqlite ? "62616420fffe206279746573" : "62616420efbfbdefbfbd206279746573"), "\(String(describing: badStored))")
        #expect(try database.count("SELECT count(*) FROM fullstory_events") == values.count + 2)
    }

    @Test("A bundle loaded before is skipped when a killed run left it unrecorded, and replaced when exported again on purpose (reset, --since)", arguments: Backend.allCases)
    func loadedBefore(_ backend: Backend) async throws {
        let workspace = try TemporaryFolder("pipeline")
        let database = try Database(backend, in: workspace)
        let bundles = (1...3).map { number in Self.bundle(Int64(number), (0..<5).map { #"{"EventType":"t","IndvId":\#(number * 10 + $0)}"# }) }
        let server = try ScriptedExportAPI.server(bundles)
        let file = try Self.pipeline(database)
        #expect(try await Self.run(file, server, clocks: Self.clocks(at: 1_800_000_000)).bundles.count == 3)
        let before = try database.query("SELECT bundle_id, loaded_at FROM fsexport_loads ORDER BY 1")
        // loaded_at is the engine's wall clock.
        #expect(try Self.loadTimes(database, backend) == ["1800000000", "1800000000", "1800000000"], "\(before)")
        // A run killed after the database committed and before the state file did: the state file is behind.
        let state = CheckpointStore(path: "\(workspace.path)/.fsexport/p/state.json", scope: BundleSourceScope.exportBundles)
        let full = try #require(try state.load())
        var behind = full
        behind.bundleID = 100
        behind.stop = Self.day + 86_400
        behind.deliveredAtStop = [100]
        behind.highestStop = Self.day + 86_400
        let encoder = JSONEncoder()
        try encoder.encode(behind).write(to: URL(fileURLWithPath: state.path))
        #expect(try await Self.run(file, server, clocks: Self.clocks(at: 1_800_003_600)).bundles == [200, 300])
        #expect(try database.count("SELECT count(*) FROM fullstory_events") == 15)
        #expect(try database.query("SELECT bundle_id, loaded_at FROM fsexport_loads ORDER BY 1") == before, "skipped, not loaded again")
        // Exported again on purpose: rows replaced, one each still, and loaded at the later time.
        try await state.reset(to: Self.day)
        #expect(try await Self.run(file, server, clocks: Self.clocks(at: 1_800_003_600)).bundles == [100, 200, 300])
        #expect(try database.count("SELECT count(*) FROM fullstory_events") == 15)
        #expect(try Self.loadTimes(database, backend) == ["1800003600", "1800003600", "1800003600"], "replaced")
        #expect(try await Self.run(file, server, since: Self.day + 86_400).bundles == [200, 300])
        #expect(try database.count("SELECT count(*) FROM fullstory_events") == 15)
        #expect(try database.count("SELECT count(DISTINCT indvid) FROM fullstory_events") == 15)
    }

    @Test("schema: json keeps each event whole; an ndjson stage's parts load as its events do", arguments: Backend.allCases)
    func jsonSchemaFromParts(_ backend: Backend) async throws {
        let workspace = try TemporaryFolder("pipeline")
        let database = try Database(backend, in: workspace)
        let events = (0..<50).map { #"{"EventType":"t\#($0 % 3)","IndvId":\#($0),"evt_x_str":"v\#($0)"}"# }
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              parts: {type: ndjson, inputs: [source], split_by: EventType, max_lines: 7, compression: gzip}
              warehouse: \(database.stage("schema: json, table: raw_events").replacingOccurrences(of: "inputs: [source]", with: "inputs: [parts]"))
            """)
        try await Self.run(file, try ScriptedExportAPI.server([Self.bundle(1, events)]))
        #expect(try database.count("SELECT count(*) FROM raw_events") == 50)
        let read = backend == .sqlite ? "json_extract(event, '$.evt_x_str')" : "event->>'evt_x_str'"
        #expect(Set(try database.query("SELECT \(read) FROM raw_events").map { $0[0] }) == Set((0..<50).map { "v\($0)" }))
        #expect(try database.count("SELECT count(*) FROM fsexport_loads WHERE target_table = 'raw_events'") == 1)
    }
}

/// Runs a program and returns its standard output; throws with its standard error when it fails.
func runProgram(_ path: String, _ arguments: [String]) throws -> String {
    let result = try Programs.runBlocking(path, arguments)
    guard result.status == 0 else { throw PostgresServerError("\(path) failed: \(result.stderr)") }
    return result.stdout.trimmingCharacters(in: .newlines)
}
