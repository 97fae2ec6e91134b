import AsyncAlgorithms
import FSExportZlib
import Synchronization
import SystemPackage

/// Turns a downloaded bundle into batches of events, streaming: inflate (if gzip), split the
/// top-level array, check its structure. Memory stays at a few batches whatever the bundle's size.
///
/// Inflating runs in a task of its own, a few chunks ahead of the splitting, so that the two use two
/// cores: inflate is the most expensive step, and it overlaps with the sinks' work too. That task
/// is the decoder's, not a child of its caller's: a decoder is pulled one `next()` at a time, as an
/// async iterator is (``SinkInput/events`` makes one per file it meets), and a child task cannot
/// outlive the call that starts it. So its lifetime is the decoder's: its errors reach the caller
/// through `next()`, and it is cancelled, and its file closed, when the decoder goes.
///
/// ```swift
/// let decoder = try BundleDecoder(path: bundle.path, encoding: bundle.encoding, bundleID: bundle.id)
/// while let batch = try await decoder.next() { … }
/// ```
public final class BundleDecoder {
    /// The size a batch grows to before it is handed out.
    public static let defaultBatchSize = 256 << 10
    /// The default size above which an event is refused. Real events are a few kilobytes; a run
    /// holds a few events at once (the one being written, the one being decoded, and its growth),
    /// beside the 45 to 50 MiB a run uses anyway (most of it the program's code), so this keeps a
    /// run under its 64 MiB ceiling whatever a document holds (measured in the debug build, split
    /// by type with gzip: 55 MiB with 4 KiB events or 1 MiB ones, 58 with 2 MiB, 63 with 4 MiB).
    /// A larger `max_event_size` raises the peak by two to three times the difference.
    public static let defaultMaximumEventSize = 1 << 20

    private let maximumEventSize: Int

    private let bundleID: Int64?
    private let batchSize: Int
    private var scanner: JSONArrayScanner
    private let chunks: AsyncThrowingChannel<[UInt8], any Error>
    private var incoming: AsyncBufferSequence<AsyncThrowingChannel<[UInt8], any Error>>.Iterator
    private let producer: Task<Void, Never>
    private var working: [UInt8] = []
    /// How far into `working` the scanner has looked.
    private var scanned = 0
    /// Where `working[0]` sits in the decoded document.
    private var documentOffset: Int64 = 0
    private var ranges: [Range<Int>] = []
    /// The top-level key whose value the scanner notes in each event, if any.
    private let field: String?
    private var fieldValues: [JSONArrayScanner.FieldValue] = []
    private var endOfInput = false
    /// The most document bytes held at once: stays near two batches, or one event when an event is larger.
    private(set) var peakBufferedBytes = 0
    /// The most inflated bytes the producer held waiting to be handed over: a few MiB at most.
    var peakProducedBytes: Int { producerPeak.value.load(ordering: .relaxed) }
    private let producerPeak = PeakCounter()
    private var finished = false

    /// Decodes an export bundle (a JSON array of events), gzip or plain.
    ///
    /// `indexing` names a top-level field whose value is located in each event while the events
    /// are checked, so that ``FieldTexts`` reads it without a second pass (see ``ReadsField``).
    public convenience init(
        path: String, encoding: BodyEncoding, bundleID: Int64? = nil, batchSize: Int = BundleDecoder.defaultBatchSize,
        maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize, indexing field: String? = nil
    ) throws {
        try self.init(
            path: path, gzip: encoding == .gzip, ndjson: false, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize,
            field: field)
    }

    /// Decodes a file by what it holds: an export bundle or NDJSON, gzip or plain. A file of any
    /// other content (a CSV export) has no events to read: that is a ``SinkError``.
    public convenience init(
        path: String, content: Artifact.Content, bundleID: Int64? = nil, batchSize: Int = BundleDecoder.defaultBatchSize,
        maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize, indexing field: String? = nil
    ) throws {
        switch content {
        case .bundle(let encoding):
            try self.init(
                path: path, gzip: encoding == .gzip, ndjson: false, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize,
                field: field)
        case .ndjson(let gzip):
            try self.init(
                path: path, gzip: gzip, ndjson: true, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize, field: field)
        case .opaque:
            throw SinkError(
                "\(bundleID.map { "\($0)" } ?? path) holds no events to read (a CSV export): only stages that read files "
                    + "(reads: source with format raw, tar, command with input: file) can take it; or export as json or ndjson")
        }
    }

    /// Decodes an NDJSON file (one event object a line), gzip or plain as its first bytes say.
    public static func ndjson(
        path: String, batchSize: Int = BundleDecoder.defaultBatchSize, maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize,
        indexing field: String? = nil
    ) throws -> BundleDecoder {
        try BundleDecoder(
            path: path, gzip: isGzip(path), ndjson: true, bundleID: nil, batchSize: batchSize, maximumEventSize: maximumEventSize, field: field)
    }

    private static func isGzip(_ path: String) throws -> Bool {
        let fd = try FileSystemError.naming("open", path) { try FileDescriptor.open(FilePath(path), .readOnly) }
        defer { try? fd.close() }
        var magic: [UInt8] = [0, 0]
        let count = try FileSystemError.naming("read", path) { try magic.withUnsafeMutableBytes { try fd.read(into: $0) } }
        return count == 2 && magic == [0x1f, 0x8b]
    }

    /// Decodes a gzip JSON bundle (or gzip NDJSON) while it is still being written at `path`
    /// (``FetchPreview/arrivingFile(for:)``): at the end of what has arrived it waits while
    /// `arriving` says more is coming, and reads to the end once it says no more. Damaged or
    /// missing data fails as for a whole file, at the end at the latest (the gzip check).
    public convenience init(
        following path: String, ndjson: Bool = false, arriving: @escaping @Sendable () -> Bool, bundleID: Int64? = nil,
        batchSize: Int = 256 << 10, maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize
    ) throws {
        try self.init(
            path: path, gzip: true, ndjson: ndjson, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize, arriving: arriving)
    }

    private init(
        path: String, gzip: Bool, ndjson: Bool, bundleID: Int64?, batchSize: Int, maximumEventSize: Int, field: String? = nil,
        arriving: (@Sendable () -> Bool)? = nil
    ) throws {
        scanner = JSONArrayScanner(ndjson: ndjson, field: field)
        self.field = field
        let input = try FileSystemError.naming("open", path) { try FileDescriptor.open(FilePath(path), .readOnly) }
        self.bundleID = bundleID
        self.batchSize = batchSize
        self.maximumEventSize = max(1, maximumEventSize)
        let channel = AsyncThrowingChannel<[UInt8], any Error>()
        chunks = channel
        // Inflating runs up to three chunks ahead, so that a pause in the splitting (a full compressor
        // queue) does not stop it.
        incoming = channel.buffer(policy: .bounded(3)).makeAsyncIterator()
        let producerPeak = self.producerPeak
        producer = Task {
            do {
                try await FileSystemError.naming("read", path) {
                    let following = arriving.map { arriving in (FileGrowth.Key(path), arriving) }
                    let produce = {
                        try await BundleDecoder.produce(peak: producerPeak, from: input, gzip: gzip, chunkSize: batchSize, following: following, into: channel)
                    }
                    if let (file, _) = following { try await FileGrowth.shared.watching(file, produce) } else { try await produce() }
                }
                channel.finish()
            } catch {
                channel.fail(error)
            }
            try? input.close()
        }
        working.reserveCapacity(2 * batchSize)
    }

    deinit {
        producer.cancel()
        chunks.finish()  // releases the producer if it waits to hand over a chunk
    }

    /// Reads and inflates the file into chunks of about `chunkSize` bytes.
    private static func produce(
        peak: PeakCounter, from input: FileDescriptor, gzip: Bool, chunkSize: Int, following: (FileGrowth.Key, @Sendable () -> Bool)?,
        into chunks: AsyncThrowingChannel<[UInt8], any Error>
    ) async throws {
        let inflater = gzip ? try Inflater() : nil
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        defer { buffer.deallocate() }
        // The chunk being filled, handed over whenever it is full: what waits here is one chunk,
        // whatever the data (a gzip bomb of white space included). Chunks are all of one size, so
        // that they reuse each other's memory, where mixed sizes would fragment the heap.
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        var filled = 0
        func handOver() async {
            peak.value.max(filled, ordering: .relaxed)
            await chunks.send(Array(UnsafeRawBufferPointer(rebasing: chunk[..<filled])))
            filled = 0
        }
        var drained = following == nil
        while true {
            try Task.checkCancellation()
            let version = following.map { FileGrowth.shared.version(of: $0.0) } ?? 0
            let count = try input.read(into: buffer)
            if count == 0 {
                guard !drained, let (file, arriving) = following else { break }
                // Waits for the writer's next write (or its end); once it is done, one more pass
                // reads what landed after the last read.
                if arriving() { await FileGrowth.shared.wait(for: file, beyond: version) } else { drained = true }
                continue
            }
            var offset = 0
            while offset < count {
                let rest = UnsafeRawBufferPointer(rebasing: buffer[offset..<count])
                let room = UnsafeMutableRawBufferPointer(rebasing: chunk[filled...])
                if let inflater {
                    let (consumed, produced) = try inflater.inflate(rest, into: room)
                    offset += consumed
                    filled += produced
                } else {
                    let taken = min(rest.count, room.count)
                    room.copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<taken]))
                    offset += taken
                    filled += taken
                }
                if filled == chunkSize { await handOver() }
            }
        }
        try inflater?.finish()
        if filled > 0 { await handOver() }
    }

    /// The next batch of events, or nil after the last. Throws ``BundleFormatError`` for a
    /// malformed document and `ZlibError` for damaged gzip data.
    public func next() async throws -> EventBatch? {
        while !finished {
            try await fill()
            try scanNewBytes()
            if endOfInput {
                do { try scanner.finish(at: working.count) } catch { throw formatError(error) }
                finished = true
                return ranges.isEmpty ? nil : cutBatch()
            }
            if !ranges.isEmpty { return cutBatch() }
            if let start = scanner.elementStart, working.count - start > maximumEventSize {
                throw BundleFormatError(
                    bundleID: bundleID, offset: documentOffset + Int64(start),
                    message: "an event is larger than \(ByteSizeText.limit(Int64(maximumEventSize))) (max_event_size); real events are a few KiB")
            }
            discardScanned()
        }
        return nil
    }

    /// Drops what was scanned and belongs to no unfinished event (white space between events,
    /// however much of it), so that memory stays bounded by the size of one event.
    private func discardScanned() {
        let keepFrom = scanner.elementStart ?? scanned
        guard keepFrom > 0 else { return }
        working.removeFirst(keepFrom)
        scanner.rebase(droppingFirst: keepFrom)
        scanned -= keepFrom
        documentOffset += Int64(keepFrom)
    }

    /// Takes inflated chunks until the working buffer holds a batch's worth and something not yet
    /// scanned (an event longer than a batch needs more than a batch), or the input ends.
    private func fill() async throws {
        while (working.count < batchSize || working.count == scanned) && !endOfInput {
            guard let chunk = try await incoming.next() else {
                endOfInput = true
                break
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
    }

    private func scanNewBytes() throws {
        guard scanned < working.count else { return }
        let failure = working.withUnsafeBytes { bytes -> JSONArrayScanner.Failure? in
            do throws(JSONArrayScanner.Failure) {
                try scanner.scan(bytes, from: scanned) { range, value in
                    ranges.append(range)
                    if field != nil { fieldValues.append(value) }
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
    private func cutBatch() -> EventBatch {
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

/// The largest value seen, shared with the producer task.
final class PeakCounter: Sendable {
    let value = Atomic<Int>(0)
}
