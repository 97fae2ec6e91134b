import Foundation
import FSExportClient
import FuzzDriver

/// Segment Export API answers (create, operation, results): any bytes decode to something the
/// source can act on safely, or to an invalid-response error; an id from the server never becomes
/// a path that leaves its endpoint; a percentage stays within 0–100; nothing traps.
FuzzDriver.main { input in
    let data = Data(input)
    do {
        let operation = try SegmentResponse.decode(ExportOperation.self, from: data, call: "fuzz")
        switch try operation.phase() {
        case .working(let percent): FuzzDriver.require(percent.map { (0...100).contains($0) } ?? true, "percent \(String(describing: percent))")
        case .completed(let id): FuzzDriver.require(!id.isEmpty, "empty export id")
        case .failed(let details): FuzzDriver.require(details.count <= 500, "details of \(details.count) characters")
        }
    } catch let error as ExportError {
        guard case .invalidResponse = error else { fatalError("unexpected error: \(error)") }
    } catch {
        fatalError("unexpected error: \(error)")
    }
    for text in [String(decoding: input, as: UTF8.self)] + ((try? SegmentResponse.decode(CreatedExport.self, from: data, call: "fuzz")).map { [$0.operationId] } ?? []) {
        if let component = try? SegmentResponse.pathComponent(text, what: "id") {
            FuzzDriver.require(!component.contains("/") && !component.contains("?") && !component.contains("%") && component != ".." && component != ".", "unsafe id \(component)")
        }
    }
    _ = try? SegmentResponse.decode(ExportLocation.self, from: data, call: "fuzz")
}
