import FSExportSimulatedData
import Foundation

/// Writes the file of a segment export from the simulated dataset: the events whose EventStart
/// falls in the requested range (or the individuals behind them), in the requested format, in
/// pieces, so that any size is written with bounded memory. The events are exactly those the
/// legacy bundles hold for the same period, byte for byte when no `fields` are asked for.
enum SegmentExportWriter {
    static func write(
        _ request: SegmentExportRequest, dataset: SimulatedDataset, into emit: ([UInt8]) throws -> Void
    ) throws {
        var pending: [UInt8] = []
        var count = 0
        var seen = Set<Int64>()
        switch request.format {
        case .json: pending.append(contentsOf: "[".utf8)
        case .csv: pending.append(contentsOf: (columns(request).map(csvField).joined(separator: ",") + "\n").utf8)
        case .ndjson: break
        }
        for bundle in dataset.bundles where bundle.stop * 1000 > request.range.lowerBound && bundle.start * 1000 < request.range.upperBound {
            var generator = EventGenerator(seed: dataset.seed, bundle: bundle)
            try generator.forEachEvent { facts, event in
                guard request.range.contains(facts.milliseconds) else { return }
                var record = event
                if request.kind == .individuals {
                    guard seen.insert(facts.individualID).inserted else { return }
                    record = Array(facts.individualJSON.utf8)
                }
                if request.format == .json, count > 0 { pending.append(contentsOf: ",\n".utf8) }
                pending.append(contentsOf: try project(record, request))
                if request.format != .json { pending.append(0x0A) }
                count += 1
                if pending.count >= 1 << 20 {
                    try emit(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        if request.format == .json { pending.append(contentsOf: "]\n".utf8) }
        try emit(pending)
    }

    /// The record as the format and `fields` ask: unchanged JSON without fields; only the named
    /// fields otherwise; a CSV row.
    private static func project(_ record: [UInt8], _ request: SegmentExportRequest) throws -> [UInt8] {
        if request.format != .csv, request.fields == nil { return record }
        let object = try JSONSerialization.jsonObject(with: Data(record)) as? [String: Any] ?? [:]
        if request.format == .csv {
            let row = columns(request).map { object[$0].map { csvField("\($0)") } ?? "" }
            return Array(row.joined(separator: ",").utf8)
        }
        let kept = object.filter { request.fields!.contains($0.key) }
        return Array(try JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]))
    }

    private static func columns(_ request: SegmentExportRequest) -> [String] {
        request.fields ?? (request.kind == .events ? ["IndvId", "SessionId", "EventStart", "EventType"] : ["IndvId", "UserAppKey"])
    }

    private static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
