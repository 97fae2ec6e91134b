/// The splitting half of ``BundleDecoder``: takes the inflated document in chunks and cuts it into
/// ``EventBatch``es, checking its structure as it goes. It holds the events not yet handed out
/// and the start of an unfinished one, nothing more: memory stays near two batches, or one event
/// when an event is larger. A state machine with no I/O of its own: the decoder feeds it.
struct EventSplitter {
    private let bundleID: Int64?
    private let batchSize: Int
    private let maximumEventSize: Int
    /// The top-level key whose value the scanner notes in each event, if any.
    private let field: String?
    private var scanner: JSONArrayScanner
    private var working: [UInt8] = []
    /// How far into `working` the scanner has looked.
    private var scanned = 0
    /// Where `working[0]` sits in the decoded document.
    private var documentOffset: Int64 = 0
    private var ranges: [Range<Int>] = []
    private var fieldValues: [JSONArrayScanner.FieldValue] = []
    private var endOfInput = false
    /// Whether the document has ended and every event was handed out.
    private(set) var isFinished = false
    /// The most document bytes held at once.
    private(set) var peakBufferedBytes = 0

    init(ndjson: Bool, field: String?, bundleID: Int64?, batchSize: Int, maximumEventSize: Int) {
        scanner = JSONArrayScanner(ndjson: ndjson, field: field)
        self.field = field
        self.bundleID = bundleID
        self.batchSize = batchSize
        self.maximumEventSize = max(1, maximumEventSize)
        working.reserveCapacity(2 * batchSize)
    }

    /// Whether the splitter wants another chunk before ``step()``: until it holds a batch's worth
    /// and something not yet scanned (an event longer than a batch needs more than a batch), or
    /// the input ended.
    var needsInput: Bool { (working.count < batchSize || working.count == scanned) && !endOfInput }

    /// The next inflated chunk, or nil at the end of the input.
    mutating func append(_ chunk: [UInt8]?) {
        guard let chunk else {
            endOfInput = true
            return
        }
        if working.isEmpty {
            working = chunk
        } else {
            // An event larger than a batch grows the buffer by a quarter at a time, not by
            // doubling: the buffer stays near the event's size (4 MiB events: 5 MiB, not 8).
            if working.count + chunk.count > working.capacity {
                working.reserveCapacity(working.count + chunk.count + max(batchSize, working.count / 4))
            }
            working.append(contentsOf: chunk)
        }
        peakBufferedBytes = max(peakBufferedBytes, working.count)
    }

    /// Scans what arrived: a batch when complete events are ready, nil when more input is needed
    /// (or, once ``isFinished``, none is left). Throws ``BundleFormatError`` for a malformed
    /// document or an event over the size limit.
    mutating func step() throws -> EventBatch? {
        try scanNewBytes()
        if endOfInput {
            do { try scanner.finish(at: working.count) } catch { throw formatError(error) }
            isFinished = true
            return ranges.isEmpty ? nil : cutBatch()
        }
        if !ranges.isEmpty { return cutBatch() }
        if let start = scanner.elementStart, working.count - start > maximumEventSize {
            throw BundleFormatError(
                bundleID: bundleID, offset: documentOffset + Int64(start),
                message: "an event is larger than \(ByteSizeText.limit(Int64(maximumEventSize))) (max_event_size); real events are a few KiB")
        }
        discardScanned()
        return nil
    }

    /// Drops what was scanned and belongs to no unfinished event (white space between events,
    /// however much of it), so that memory stays bounded by the size of one event.
    private mutating func discardScanned() {
        let keepFrom = scanner.elementStart ?? scanned
        guard keepFrom > 0 else { return }
        working.removeFirst(keepFrom)
        scanner.rebase(droppingFirst: keepFrom)
        scanned -= keepFrom
        documentOffset += Int64(keepFrom)
    }

    private mutating func scanNewBytes() throws {
        guard scanned < working.count else { return }
        // The scanner reports into locals: a closure that touched this value's own arrays while
        // its scanner runs would be an overlapping access.
        var found: [Range<Int>] = []
        var values: [JSONArrayScanner.FieldValue] = []
        swap(&found, &ranges)
        swap(&values, &fieldValues)
        defer {
            swap(&found, &ranges)
            swap(&values, &fieldValues)
        }
        let noting = field != nil
        let document = working
        let from = scanned
        let failure = document.withUnsafeBytes { bytes -> JSONArrayScanner.Failure? in
            do throws(JSONArrayScanner.Failure) {
                try scanner.scan(bytes, from: from) { range, value in
                    found.append(range)
                    if noting { values.append(value) }
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw formatError(failure) }
        scanned = working.count
    }

    /// Hands out the complete events and keeps the start of an unfinished one for the next batch.
    private mutating func cutBatch() -> EventBatch {
        let keepFrom = scanner.elementStart ?? working.count
        let storage = working
        working = Array(storage[keepFrom...])
        working.reserveCapacity(2 * batchSize)
        scanner.rebase(droppingFirst: keepFrom)
        scanned = working.count
        documentOffset += Int64(keepFrom)
        let batch = EventBatch(bytes: storage, ranges: ranges, fieldIndex: field.map { FieldIndex(field: $0, values: fieldValues) })
        ranges.removeAll(keepingCapacity: true)
        fieldValues.removeAll(keepingCapacity: true)
        return batch
    }

    private func formatError(_ failure: JSONArrayScanner.Failure) -> BundleFormatError {
        BundleFormatError(bundleID: bundleID, offset: documentOffset + Int64(failure.position), message: failure.message)
    }
}
