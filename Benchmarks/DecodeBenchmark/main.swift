// Decoding speed, side by side on one bundle file of realistic events:
//   gzip -dc > /dev/null  |  gzip -dc | jq -c '.[]' > /dev/null  |  fsexport: gz → NDJSON parts on disk
// Run: swift run -c release fsexport-benchmark [EVENTS]   (default 500 000 events ≈ 430 MB of JSON)
import CMallocTuning
import Foundation
import FSExportClient
import FSExportCore
import FSExportPipeline
import FSExportSimulator
import Logging

let arguments = CommandLine.arguments
let logger = Logger(label: "benchmark") { _ in SwiftLogNoOpLogHandler() }

/// `split FILE OUT`: the fsexport side, in a process of its own so that its peak memory is its own.
if arguments.count == 4, arguments[1] == "split" {
    _ = fsx_limit_malloc_arenas(1)  // as the fsexport command does (ProcessTuning)
    let pipeline = try Pipeline.load(text: """
        source: {start: 0}
        stages:
          parts: {type: ndjson, inputs: [source], max_bytes: 67108864, name: "part-{part}.ndjson"}
          store: {type: files, inputs: [parts], root: "\(arguments[3])", path: "{name}"}
        """, file: "benchmark.yml", baseDirectory: arguments[3], environment: [:])
    let size = (try FileManager.default.attributesOfItem(atPath: arguments[2])[.size] as? Int64) ?? 0
    let bundle = BundleContext(id: 1, start: 0, stop: 86_400, file: Artifact(name: "bundle.json.gz", path: arguments[2], byteCount: size), encoding: .gzip)
    let outcome = try await BundleDelivery(stages: pipeline.stages, stagingRoot: "\(arguments[3])/.staging", logger: logger).deliver(bundle)
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print("\(outcome.events) \(usage.ru_maxrss)")
    exit(0)
}

let events = arguments.count > 1 ? Int(arguments[1]) ?? 500_000 : 500_000
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

/// Runs a shell command `runs` times; the fastest run (this machine's clock is noisy) and its peak memory.
func measure(_ command: String, runs: Int = 3) throws -> (seconds: Double, maxRSSKiB: Int) {
    var best = (seconds: Double.infinity, maxRSSKiB: 0)
    for _ in 0..<runs {
        let result = try measureOnce(command)
        if result.seconds < best.seconds { best = result }
    }
    return best
}

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
let gzip = try measure("gzip -dc '\(file)' > /dev/null")
let split = try measure("rm -rf '\(work)/out'; '\(me)' split '\(file)' '\(work)/out' > /dev/null")
let parts = try FileManager.default.contentsOfDirectory(atPath: "\(work)/out").filter { $0.hasSuffix(".ndjson") }
_ = try measureOnce("cat '\(work)'/out/part-*.ndjson | wc -l > '\(work)/lines'")
let written = Int((try String(contentsOfFile: "\(work)/lines", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
let jq = try measure("gzip -dc '\(file)' | jq -c '.[]' > /dev/null", runs: 1)

func padded(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }

func row(_ name: String, _ result: (seconds: Double, maxRSSKiB: Int), jsonSize: Int64) -> String {
    padded(name, 46) + String(format: "%7.2f s %9.1f MB/s %9.1f MiB", result.seconds, Double(jsonSize) / 1e6 / result.seconds, Double(result.maxRSSKiB) / 1024)
}
print(padded("command (best of 3; jq once)", 46) + "   time      JSON rate      peak RSS")
print(row("gzip -dc > /dev/null", gzip, jsonSize: jsonSize))
print(row("gzip -dc | jq -c '.[]' > /dev/null", jq, jsonSize: jsonSize))
print(row("fsexport: gz → NDJSON parts (64 MiB) on disk", split, jsonSize: jsonSize))
print(String(format: "\nfsexport vs gzip -dc: %.2fx the speed; vs jq: %.1fx; %d parts, %d lines (expected %d)",
             gzip.seconds / split.seconds, jq.seconds / split.seconds, parts.count, written, events))
