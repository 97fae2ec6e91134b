// fsexport's pipelines beside their Unix baselines, on one bundle file of realistic events, in one run:
//   decoding:     gzip -dc > /dev/null            | fsexport: gz → NDJSON parts on disk | gzip -dc | jq -c '.[]'
//                 igzip -dc > /dev/null (ISA-L, when installed: the fastest inflate on the machine)
//   compressing:  gzip -dc | pigz -6 -p 2         | fsexport: NDJSON split by type, gzip; a nightly tar.gz
//                 igzip -dc | libdeflate-gzip -6 (when installed: the fastest gzip on the machine)
//                 gzip -dc | zstd -3              | fsexport: NDJSON split by type, zstd
//   streaming:    gzip -dc FILE > /dev/null       | fsexport events from the simulator > /dev/null
//   loading:      sqlite3 .import --csv           | fsexport: sqlite stage
//                 psql \copy FROM CSV              | fsexport: postgres stage (when PostgreSQL's server is installed)
// Run: swift run -c release fsexport-benchmark [EVENTS]   (default 500 000 events ≈ 430 MB of JSON)
// pigz and zstd come from Debian (apt-get install pigz zstd; isal and libdeflate-tools for the fastest
// tools' rows); all of them, and PostgreSQL, from .ci/install-deps --tests.
import CMallocTuning
import FSExportSimulatedData
import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import Logging

var arguments = CommandLine.arguments
let logger = Logger(label: "benchmark") { _ in SwiftLogNoOpLogHandler() }

/// The pipelines measured, by name: each delivers the bundle and stores what it makes under OUT.
let pipelines: [String: String] = [
    "split": """
        parts: {type: ndjson, inputs: [source], max_bytes: 67108864, name: "part-{part}.ndjson"}
        store: {type: files, inputs: [parts], root: "OUT", path: "{name}"}
        """,
    "by-type-gzip": """
        parts: {type: ndjson, inputs: [source], split_by: EventType, max_bytes: 67108864, compression: gzip}
        store: {type: files, inputs: [parts], root: "OUT", path: "{name}"}
        """,
    "by-type-zstd": """
        parts: {type: ndjson, inputs: [source], split_by: EventType, max_bytes: 67108864, compression: zstd}
        store: {type: files, inputs: [parts], root: "OUT", path: "{name}"}
        """,
    "nightly-tar-gz": """
        parts: {type: ndjson, inputs: [source], max_bytes: 67108864, name: "events-{part}.ndjson"}
        archive: {type: tar, inputs: [parts], compression: gzip}
        store: {type: files, inputs: [archive], root: "OUT", path: "{name}"}
        """,
    "warehouse-sqlite": """
        warehouse: {type: sqlite, inputs: [source], root: "OUT", path: warehouse.db}
        """,
    "warehouse-postgres": """
        warehouse: {type: postgres, inputs: [source], connection: "PG"}
        """,
]

/// `run PIPELINE FILE OUT`: the fsexport side, in a process of its own so that its peak memory is its own.
if arguments.count == 5, arguments[1] == "run", let stages = pipelines[arguments[2]] {
    precondition(fsx_malloc_tuning() >= 0)  // tuned at load, as the fsexport command is (ProcessTuning)
    arguments.removeFirst()
    let pipeline = try Pipeline.load(text: """
        source: {start: 0}
        stages:
        \(stages.replacingOccurrences(of: "OUT", with: arguments[3]).replacingOccurrences(of: "\"PG\"", with: "\"\(ProcessInfo.processInfo.environment["FSEXPORT_BENCHMARK_PG"] ?? "")\"").split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
        """, file: "benchmark.yml", baseDirectory: arguments[3], environment: [:])
    let size = (try FileManager.default.attributesOfItem(atPath: arguments[2])[.size] as? Int64) ?? 0
    let bundle = BundleContext(id: 1, start: 0, stop: 86_400, file: Artifact(name: "bundle.json.gz", path: arguments[2], byteCount: size), encoding: .gzip)
    let outcome = try await BundleDelivery(stages: pipeline.stages, stagingRoot: "\(arguments[3])/.staging", logger: logger).deliver(bundle)
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print("\(outcome.events) \(usage.ru_maxrss)")
    exit(0)
}

/// `calls [N]`: N LIST calls, one after another, to a simulator in this process with no rate limit
/// on either side: what one call costs the client (a connection, a thread, a handle).
if arguments.count >= 2, arguments[1] == "calls" {
    let count = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
    let dataset = SimulatedDataset(bundleCount: 1, eventsPerBundle: 1)
    try await ExportSimulator.withRunning(SimulatorConfiguration(dataset: dataset, rateLimit: nil), logger: logger) { simulator in
        let client = ExportClient(
            configuration: .init(apiKey: try APIKey("simulator-key"), baseURL: simulator.baseURL, rateLimit: .unlimited), logger: logger)
        let clock = ContinuousClock()
        let started = clock.now
        for _ in 0..<count { _ = try await client.listPage(start: 0) }
        let seconds = (clock.now - started) / .seconds(1)
        print("\(count) LIST calls in \(String(format: "%.2f", seconds)) s: \(Int((Double(count) / seconds).rounded())) calls/s")
    }
    exit(0)
}

/// `scan FILE [ROUNDS]`: the decoder alone on a plain JSON bundle (no inflate, no sink), best of
/// ROUNDS (5): what the JSON scan and split cost, for work on the scanner.
if arguments.count >= 3, arguments[1] == "scan" {
    let rounds = arguments.count > 3 ? Int(arguments[3]) ?? 5 : 5
    var best = Duration.seconds(1_000)
    var events = 0
    for _ in 0..<rounds {
        let clock = ContinuousClock()
        let started = clock.now
        events = try await BundleDecoder(path: arguments[2], encoding: .json).decode { _ in }.events
        best = min(best, clock.now - started)
    }
    let seconds = best / .seconds(1)
    let size = (try FileManager.default.attributesOfItem(atPath: arguments[2])[.size] as? Int64) ?? 0
    print(String(format: "%d events in %.3f s: %.0f MB/s (best of %d)", events, seconds, Double(size) / 1e6 / seconds, rounds))
    exit(0)
}

guard arguments.count <= 2, arguments.count == 1 || Int(arguments[1]).map({ $0 > 0 }) == true else {
    print("usage: fsexport-benchmark [EVENTS]   (default 500000; the baselines' tools: .ci/install-deps --tests)")
    exit(arguments.count == 2 && ["-h", "--help"].contains(arguments[1]) ? 0 : 2)
}
let events = arguments.count > 1 ? Int(arguments[1])! : 500_000
let work = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-benchmark-\(getpid())").path
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }

print("generating a bundle of \(events) events with the simulator...")
let simulator = try await ExportSimulator.start(SimulatorConfiguration(
    dataset: SimulatedDataset(bundleCount: 1, eventsPerBundle: events), rateLimit: nil, cacheDirectory: "\(work)/cache"), logger: logger)
let client = ExportClient(configuration: ExportClientConfiguration(apiKey: try APIKey("simulator-key"), baseURL: simulator.baseURL, rateLimit: .unlimited), logger: logger)
let bundle = try await client.download(simulator.configuration.dataset.bundle(at: 0).id, to: "\(work)/bundle.json.gz")
await simulator.shutdown()
var decodedSize: Int64 = 0
try bundle.readDecoded { decodedSize += Int64($0.count) }
let jsonSize = decodedSize
print(String(format: "bundle: %.1f MB gzip, %.1f MB JSON, %d events\n", Double(bundle.byteCount) / 1e6, Double(jsonSize) / 1e6, events))

func measureOnce(_ command: String) throws -> (seconds: Double, maxRSSKiB: Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["bash", "-c", "/usr/bin/time -f '%M' -o '\(work)/rss' bash -c \"$0\"", command]
    let clock = ContinuousClock()
    let start = clock.now
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw SinkError("failed: \(command)") }
    let seconds = (clock.now - start) / .seconds(1)
    let rss = Int((try? String(contentsOfFile: "\(work)/rss", encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? "") ?? 0
    return (seconds, rss)
}

let file = bundle.path
let me = URL(fileURLWithPath: CommandLine.arguments[0]).path
let fsexport = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("fsexport").path
func fsexportRun(_ pipeline: String) -> String { "rm -rf '\(work)/out'; '\(me)' run \(pipeline) '\(file)' '\(work)/out' > /dev/null" }

// events streams from a simulator serving this very bundle file (no rate limit, as fast as loopback goes).
let served = try await ExportSimulator.start(SimulatorConfiguration(
    dataset: SimulatedDataset(bundleCount: 1, eventsPerBundle: events), rateLimit: nil, cacheDirectory: "\(work)/cache"), logger: logger)
/// Whether `tool` is on the PATH: the fastest tools on the machine get rows of their own when installed.
func installed(_ tool: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
}
let fastest = (igzip: installed("igzip"), libdeflate: installed("igzip") && installed("libdeflate-gzip"))
let commands = [
    "gzip -dc '\(file)' > /dev/null",
    "gzip -dc '\(file)' | pigz -6 -p 2 > /dev/null",
    "gzip -dc '\(file)' | zstd -3 -q -c > /dev/null",
    fsexportRun("split"),
    fsexportRun("by-type-gzip"),
    fsexportRun("by-type-zstd"),
    fsexportRun("nightly-tar-gz"),
    "FULLSTORY_API_KEY=simulator-key '\(fsexport)' events --base-url '\(served.baseURL)' --since 0 -q > /dev/null",
] + (fastest.igzip ? ["igzip -dc '\(file)' > /dev/null"] : []) + (fastest.libdeflate ? ["igzip -dc '\(file)' | libdeflate-gzip -6 -c > /dev/null"] : [])
// Rounds that run every command once, best of five each: this VM's speed drifts over minutes, and
// a fsexport run and its baseline measured seconds apart see the same machine.
var best = Array(repeating: (seconds: Double.infinity, maxRSSKiB: 0), count: commands.count)
for _ in 0..<5 {
    for (index, command) in commands.enumerated() {
        let result = try measureOnce(command)
        if result.seconds < best[index].seconds { best[index] = result }
    }
}
await served.shutdown()
let (gzip, pigz, zstd, split, byTypeGzip, byTypeZstd, nightly, eventsCommand) = (best[0], best[1], best[2], best[3], best[4], best[5], best[6], best[7])
let igzip = fastest.igzip ? best[8] : nil
let libdeflate = fastest.libdeflate ? best[9] : nil

// Loading: the same rows, typed, into SQLite and PostgreSQL, beside each database's own CSV loader
// reading those rows prepared beforehand (exported as CSV from what fsexport loaded once).
_ = try measureOnce(fsexportRun("warehouse-sqlite"))
_ = try measureOnce("sqlite3 -csv -header '\(work)/out/warehouse.db' 'SELECT * FROM fullstory_events' > '\(work)/events.csv'")
let sqliteRows = [
    "rm -f '\(work)/import.db'; sqlite3 '\(work)/import.db' '.import --csv \(work)/events.csv t'",
    fsexportRun("warehouse-sqlite"),
]
var sqliteBest = Array(repeating: (seconds: Double.infinity, maxRSSKiB: 0), count: 2)
for _ in 0..<5 {
    for (index, command) in sqliteRows.enumerated() {
        let result = try measureOnce(command)
        if result.seconds < sqliteBest[index].seconds { sqliteBest[index] = result }
    }
}
let importedRows = try measureOnce("sqlite3 '\(work)/import.db' 'SELECT count(*) FROM t' > '\(work)/imported'")
_ = importedRows

/// A throwaway PostgreSQL cluster (the tests' own script), when the server is installed.
let postgresScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Tests/Support/postgres-server.sh").path
var postgresBest: [(seconds: Double, maxRSSKiB: Int)]?
if FileManager.default.fileExists(atPath: "/usr/bin/psql"), (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.isEmpty == false {
    let server = Process()
    server.executableURL = URL(fileURLWithPath: postgresScript)
    let input = Pipe(), output = Pipe()
    server.standardInput = input
    server.standardOutput = output
    try server.run()
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        line += chunk
    }
    let words = String(decoding: line, as: UTF8.self).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    if words.count == 3 {
        let connection = "host=\(words[1]) port=\(words[2]) user=postgres dbname=postgres"
        setenv("FSEXPORT_BENCHMARK_PG", connection, 1)
        let psql = "psql -X -q '\(connection)'"
        _ = try measureOnce("\(psql) -c 'DROP TABLE IF EXISTS fullstory_events, fsexport_loads'; \(fsexportRun("warehouse-postgres"))")
        _ = try measureOnce("\(psql) -c 'DROP TABLE IF EXISTS t; CREATE TABLE t (LIKE fullstory_events INCLUDING ALL)'")
        let rows = [
            "\(psql) -c 'TRUNCATE t' && \(psql) -c \"\\\\copy t FROM '\(work)/events.csv' CSV HEADER\"",
            "\(psql) -c 'DROP TABLE IF EXISTS fullstory_events, fsexport_loads' && \(fsexportRun("warehouse-postgres"))",
        ]
        var best = Array(repeating: (seconds: Double.infinity, maxRSSKiB: 0), count: 2)
        for _ in 0..<5 {
            for (index, command) in rows.enumerated() {
                let result = try measureOnce(command)
                if result.seconds < best[index].seconds { best[index] = result }
            }
        }
        postgresBest = best
    }
    try? input.fileHandleForWriting.close()
    server.waitUntilExit()
}
_ = try measureOnce(fsexportRun("split"))
let parts = try FileManager.default.contentsOfDirectory(atPath: "\(work)/out").filter { $0.hasSuffix(".ndjson") }
_ = try measureOnce("cat '\(work)'/out/part-*.ndjson | wc -l > '\(work)/lines'")
let written = Int((try String(contentsOfFile: "\(work)/lines", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
let jq = try measureOnce("gzip -dc '\(file)' | jq -c '.[]' > /dev/null")

/// The bytes a command writes to its standard output.
func outputSize(_ command: String) throws -> Int64 {
    _ = try measureOnce("\(command) | wc -c > '\(work)/size'")
    return Int64((try String(contentsOfFile: "\(work)/size", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
}
/// The bytes of the files under OUT whose names end with `suffix`.
func storedSize(_ suffix: String) throws -> Int64 {
    let names = try FileManager.default.subpathsOfDirectory(atPath: "\(work)/out").filter { $0.hasSuffix(suffix) }
    return try names.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: "\(work)/out/\($1)")[.size] as? Int64) ?? 0) }
}
let pigzBytes = try outputSize("gzip -dc '\(file)' | pigz -6 -p 2")
_ = try measureOnce(fsexportRun("by-type-gzip"))
let byTypeGzipBytes = try storedSize(".gz")
_ = try measureOnce(fsexportRun("nightly-tar-gz"))
let nightlyBytes = try storedSize(".tar.gz")

func padded(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }

func row(_ name: String, _ result: (seconds: Double, maxRSSKiB: Int), baseline: (seconds: Double, maxRSSKiB: Int)? = nil) -> String {
    padded(name, 50)
        + String(format: "%7.2f s %8.1f MB/s %8.1f MiB", result.seconds, Double(jsonSize) / 1e6 / result.seconds, Double(result.maxRSSKiB) / 1024)
        + (baseline.map { String(format: "   %.2fx", result.seconds / $0.seconds) } ?? "")
}
print(padded("command (best of 5 rounds; jq once)", 50) + "   time    JSON rate    peak RSS   time ratio")
print(row("gzip -dc > /dev/null", gzip))
print(row("fsexport: NDJSON parts (64 MiB) on disk", split, baseline: gzip))
print(row("fsexport events (from the simulator) > /dev/null", eventsCommand, baseline: gzip))
if let igzip {
    print(row("igzip -dc > /dev/null (ISA-L)", igzip, baseline: gzip))
    print(row("  fsexport events, to igzip -dc", eventsCommand, baseline: igzip))
}
print(row("gzip -dc | pigz -6 -p 2 > /dev/null", pigz))
print(row("fsexport: NDJSON by type, gzip", byTypeGzip, baseline: pigz))
print(row("fsexport: nightly tar.gz", nightly, baseline: pigz))
if let libdeflate {
    print(row("igzip -dc | libdeflate-gzip -6 > /dev/null", libdeflate, baseline: pigz))
    print(row("  fsexport: NDJSON by type, gzip, to it", byTypeGzip, baseline: libdeflate))
}
print(row("gzip -dc | zstd -3 > /dev/null", zstd))
print(row("fsexport: NDJSON by type, zstd", byTypeZstd, baseline: zstd))
print(row("gzip -dc | jq -c '.[]' > /dev/null", jq, baseline: gzip))
print(row("sqlite3 .import --csv (rows prepared)", sqliteBest[0]))
print(row("fsexport: sqlite stage (typed, ledger)", sqliteBest[1], baseline: sqliteBest[0]))
if let postgresBest {
    print(row("psql \\copy FROM CSV (rows prepared)", postgresBest[0]))
    print(row("fsexport: postgres stage (COPY, ledger)", postgresBest[1], baseline: postgresBest[0]))
} else {
    print("(no PostgreSQL server installed: the postgres rows are left out)")
}
print(String(format: """

    ratios are to the row above each group's first (gzip -dc, pigz, zstd), or to the row named.
    targets: NDJSON by type gzip %.2fx and nightly tar.gz %.2fx pigz's time (at most 0.6x);
             events %.2fx igzip -dc's (at most 1.6x); zstd parts %.2fx faster than gzip parts.
    gzip bytes: by type %.1f MB, nightly tar.gz %.1f MB, pigz -6 %.1f MB (%.3fx and %.3fx pigz's; at most 1x)
    fsexport vs jq: %.1fx faster; %d parts, %d lines (expected %d)
    loading: sqlite %.2fx and postgres %.2fx the rows a second of the database's own CSV loader (at least 0.8x)
    """, byTypeGzip.seconds / pigz.seconds, nightly.seconds / pigz.seconds, eventsCommand.seconds / (igzip ?? gzip).seconds,
    byTypeGzip.seconds / byTypeZstd.seconds, Double(byTypeGzipBytes) / 1e6, Double(nightlyBytes) / 1e6, Double(pigzBytes) / 1e6,
    Double(byTypeGzipBytes) / Double(pigzBytes), Double(nightlyBytes) / Double(pigzBytes), jq.seconds / split.seconds, parts.count, written, events,
    sqliteBest[0].seconds / sqliteBest[1].seconds, postgresBest.map { $0[0].seconds / $0[1].seconds } ?? .nan))
