import Foundation
import FSExportClient
import FSExportCore
import FuzzDriver

/// Segment Export API answers (create, operation, results): any bytes decode to something the
/// source can act on safely, or to an invalid-response error; only a documented state is acted on
/// (PENDING and RUNNING wait, nothing else does); an answer that repeats a key is refused; an id
/// from the server never becomes a path that leaves its endpoint; a percentage stays within 0–100;
/// nothing traps.
func fuzzSegmentResponses(_ input: UnsafeRawBufferPointer) {
    let data = Data(input)
    do {
        let operation = try SegmentResponse.decode(ExportOperation.self, from: data, call: "fuzz")
        FuzzDriver.require(RepeatedKeys.first(in: data) == nil, "an answer repeating a key was read")
        let phase = try operation.phase()
        FuzzDriver.require(["PENDING", "RUNNING", "COMPLETED", "FAILED"].contains(operation.state), "state '\(operation.state)' was acted on")
        switch phase {
        case .working(let percent):
            FuzzDriver.require(["PENDING", "RUNNING"].contains(operation.state), "state '\(operation.state)' waits")
            FuzzDriver.require(percent.map { (0...100).contains($0) } ?? true, "percent \(String(describing: percent))")
        case .completed(let id): FuzzDriver.require(!id.isEmpty, "empty export id")
        case .failed(let details): FuzzDriver.require(details.count <= 500, "details of \(details.count) characters")
        }
    } catch {  // every call above throws an ExportError, and no other
        guard case .invalidResponse = error else { fatalError("unexpected error: \(error)") }
    }
    for text in [String(decoding: input, as: UTF8.self)] + ((try? SegmentResponse.decode(CreatedExport.self, from: data, call: "fuzz")).map { [$0.operationId] } ?? []) {
        if let component = try? SegmentResponse.pathComponent(text, what: "id") {
            FuzzDriver.require(!component.contains("/") && !component.contains("?") && !component.contains("%") && component != ".." && component != ".", "unsafe id \(component)")
        }
    }
    _ = try? SegmentResponse.decode(ExportLocation.self, from: data, call: "fuzz")
}
