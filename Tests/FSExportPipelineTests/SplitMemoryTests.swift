import Foundation
import FSExportCore
import FSExportTestSupport
import Testing

/// What a split keeps does not grow with the order of the events: a value whose part was closed
/// to stay under max_open_files gets the same part back, appended to, not a new one.
@Suite("Splits in bounded memory", .serialized)
struct SplitMemoryTests {
    @Test("Many values over few open files: one part per value, appended to when it comes back, every line once", arguments: ["none", "gzip", "zstd"])
    func reopenedPartsAppend(_ compression: String) async throws {
        var random = SplitMix(seed: 7)
        let values = (0..<3000).map { _ in "v\(random.next() % 500)" }
        let events = values.enumerated().map { #"{"EventType":"click","EventTargetText":"\#($0.element)","n":\#($0.offset)}"# }
        let server = try ScriptedExportAPI.server([ScriptedBundle(id: 170_406_720_048, start: 1_704_067_200, stop: 1_704_153_600, events: events)])
        let workspace = try TemporaryFolder("pipeline")
        let file = try workspace.write("p.yml", """
            source: {start: 0, settle: 0s}
            stages:
              split: {type: ndjson, inputs: [source], split_by: EventTargetText, max_open_files: 8, compression: \(compression)}
              out: {type: files, inputs: [split], path: "parts/{name}"}
            """)
        try await runPipeline(file, server: server)
        let parts = try workspace.tree().keys.filter { $0.hasPrefix("parts/") }.sorted()
        #expect(parts.count == Set(values).count, "\(parts.count) parts for \(Set(values).count) values")
        #expect(parts.allSatisfy { $0.hasSuffix("-0001.ndjson" + (compression == "gzip" ? ".gz" : compression == "zstd" ? ".zst" : "")) })
        let reader = compression == "gzip" ? "zcat" : compression == "zstd" ? "zstdcat" : "cat"
        let lines = try await Programs.shell("find parts -type f -print0 | sort -z | xargs -0 \(reader) | sort", directory: workspace.path).stdout.split(separator: "\n").map(String.init)
        #expect(lines == events.sorted())
        // Each part holds its own value's events in order, members and frames joined as one stream.
        let sample = try #require(parts.first)
        let inPart = try await Programs.shell("\(reader) '\(sample)'", directory: workspace.path).stdout.split(separator: "\n").map(String.init)
        let value = sample.split(separator: "/")[1]
        #expect(inPart == events.filter { $0.contains(#""EventTargetText":"\#(value)""#) })
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
