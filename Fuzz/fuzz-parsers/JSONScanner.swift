import FSExportCore
import FuzzDriver

/// The JSON scanner that splits every bundle: any bytes, in any chunking, give the same events
/// (or the same error at the same offset), each a complete object, in both the array and the
/// NDJSON form; reading a field of any event never traps; the value the scanner notes for a field
/// while it checks an event reads as the same text as a lookup in that event.
func fuzzJSONScanner(_ input: UnsafeRawBufferPointer) {
    guard !input.isEmpty else { return }
    let split = Int(input[0]) % input.count
    let document = UnsafeRawBufferPointer(rebasing: input[1...])
    for ndjson in [false, true] {
        let whole = scan(document, ndjson: ndjson, splitAt: nil)
        let chunked = scan(document, ndjson: ndjson, splitAt: min(split, document.count))
        FuzzDriver.require(whole == chunked, "chunking changed the result: \(whole) vs \(chunked)")
        guard case .success(let ranges, let values) = whole else { continue }
        let bytes = Array(document)
        for range in ranges {
            FuzzDriver.require(bytes[range.lowerBound] == UInt8(ascii: "{") && bytes[range.upperBound - 1] == UInt8(ascii: "}"), "an event that is not an object: \(range)")
        }
        let batch = EventBatch(bytes: bytes, ranges: ranges, fieldIndex: FieldIndex(field: Noted.field, values: values))
        var noted = FieldTexts(field: Noted.field)
        for event in batch.events {
            let looked = event.field(Noted.field)?.text
            FuzzDriver.require(noted.text(of: event) == looked, "the noted \(Noted.field) differs from a lookup in \(event.json)")
            _ = event.field("a\"b")?.text
        }
    }
}

/// The field whose value the scanner notes: short, so that random input spells it now and then.
/// (A static, set on first use: a global of main.swift would be set only when the top-level code
/// reaches it, after `FuzzDriver.main` has started.)
private enum Noted {
    static let field = "a"
}

private enum Outcome: Equatable {
    case success([Range<Int>], [JSONArrayScanner.FieldValue])
    case failure(position: Int)
}

/// Scans `document` in one call, or in two (the first seeing only the bytes before `splitAt`).
private func scan(_ document: UnsafeRawBufferPointer, ndjson: Bool, splitAt: Int?) -> Outcome {
    var scanner = JSONArrayScanner(ndjson: ndjson, field: Noted.field)
    var ranges: [Range<Int>] = []
    var values: [JSONArrayScanner.FieldValue] = []
    do throws(JSONArrayScanner.Failure) {
        var from = 0
        if let splitAt {
            try scanner.scan(UnsafeRawBufferPointer(rebasing: document[0..<splitAt]), from: 0) { ranges.append($0); values.append($1) }
            from = splitAt
        }
        if document.count > 0 { try scanner.scan(document, from: from) { ranges.append($0); values.append($1) } }
        try scanner.finish(at: document.count)
        return .success(ranges, values)
    } catch {
        return .failure(position: error.position)
    }
}
