import AsyncAlgorithms
import FSExportZlib
import Synchronization
import SystemPackage

/// Turns a downloaded bundle into batches of events, streaming: inflate (if gzip), split the
/// top-level array (``EventSplitter``), check its structure. Memory stays at a few batches
/// whatever the bundle's size.
///
/// A decoder says what to decode; ``decode(_:)`` does it, handing each batch to its closure.
/// Inflating runs in a child task of that call, a few chunks ahead of the splitting, so that the
/// two use two cores: inflate is the most expensive step, and it overlaps with the caller's work
/// on each batch too. The call returns only when that task has ended: an error on either side,
/// or the caller's cancellation, ends both, and the file is closed.
///
/// ```swift
/// let decoder = BundleDecoder(path: bundle.path, encoding: bundle.encoding, bundleID: bundle.id)
/// try await decoder.decode { batch in … }
/// ```
public struct BundleDecoder: Sendable {
    /// The size a batch grows to before it is handed out.
    public static let defaultBatchSize = 256 << 10
    /// The default size above which an event is refused. Real events are a few kilobytes; a run
    /// holds a few events at once (the one being written, the one being decoded, and its growth),
    /// beside the 45 to 50 MiB a run uses anyway (most of it the program's code), so this keeps a
    /// run under its 64 MiB ceiling whatever a document holds (measured in the debug build, split
    /// by type with gzip: 55 MiB with 4 KiB events or 1 MiB ones, 58 with 2 MiB, 63 with 4 MiB).
    /// A larger `max_event_size` raises the peak by two to three times the difference.
    public static let defaultMaximumEventSize = 1 << 20

    private let path: String
    private let gzip: Bool
    private let ndjson: Bool
    private let bundleID: Int64?
    private let batchSize: Int
    private let maximumEventSize: Int
    /// The top-level key whose value the scanner notes in each event, if any.
    private let field: String?
    /// For a file still being written: whether more is coming.
    private let arriving: (@Sendable () -> Bool)?

    /// Decodes an export bundle (a JSON array of events), gzip or plain.
    ///
    /// `indexing` names a top-level field whose value is located in each event while the events
    /// are checked, so that ``FieldTexts`` reads it without a second pass (see ``ReadsField``).
    public init(
        path: String, encoding: BodyEncoding, bundleID: Int64? = nil, batchSize: Int = BundleDecoder.defaultBatchSize,
        maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize, indexing field: String? = nil
    ) {
        self.init(
            path: path, gzip: encoding == .gzip, ndjson: false, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize,
            field: field)
    }

    /// Decodes a file by what it holds: an export bundle or NDJSON, gzip or plain. A file of any
    /// other content (a CSV export) has no events to read: that is a ``SinkError``.
    public init(
        path: String, content: Artifact.Content, bundleID: Int64? = nil, batchSize: Int = BundleDecoder.defaultBatchSize,
        maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize, indexing field: String? = nil
    ) throws {
        switch content {
        case .bundle(let encoding):
            self.init(
                path: path, gzip: encoding == .gzip, ndjson: false, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize,
                field: field)
        case .ndjson(let gzip):
            self.init(
                path: path, gzip: gzip, ndjson: true, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize, field: field)
        case .opaque:
            throw SinkError(
                "\(bundleID.map { "\($0)" } ?? path) holds no events to read (a CSV export): only stages that read files "
                    + "(reads: source with format raw, tar, command with input: file) can take it; or export as json or ndjson")
        }
    }

    /// Decodes an NDJSON file (one event object a line), gzip or plain as its first bytes say.
    public static func ndjson(
        path: String, bundleID: Int64? = nil, batchSize: Int = BundleDecoder.defaultBatchSize,
        maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize, indexing field: String? = nil
    ) throws -> BundleDecoder {
        BundleDecoder(
            path: path, gzip: try isGzip(path), ndjson: true, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize,
            field: field)
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
    public init(
        following path: String, ndjson: Bool = false, arriving: @escaping @Sendable () -> Bool, bundleID: Int64? = nil,
        batchSize: Int = BundleDecoder.defaultBatchSize, maximumEventSize: Int = BundleDecoder.defaultMaximumEventSize
    ) {
        self.init(
            path: path, gzip: true, ndjson: ndjson, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize, arriving: arriving)
    }

    private init(
        path: String, gzip: Bool, ndjson: Bool, bundleID: Int64?, batchSize: Int, maximumEventSize: Int, field: String? = nil,
        arriving: (@Sendable () -> Bool)? = nil
    ) {
        self.path = path
        self.gzip = gzip
        self.ndjson = ndjson
        self.bundleID = bundleID
        self.batchSize = batchSize
        self.maximumEventSize = maximumEventSize
        self.field = field
        self.arriving = arriving
    }

    /// What a decoding went through.
    public struct Decoded: Sendable {
        /// The events handed out.
        public var events = 0
        /// The most document bytes the splitting held at once: near two batches, or one event when
        /// an event is larger.
        var peakBufferedBytes = 0
        /// The most inflated bytes the inflating task held waiting to be handed over: a chunk.
        var peakProducedBytes = 0
    }

    /// Reads the file and calls `body` with each batch of events, in order, until the last.
    /// Throws ``BundleFormatError`` for a malformed document, `ZlibError` for damaged gzip data,
    /// ``FileSystemError`` when the file cannot be read, and whatever `body` throws; in every case
    /// the inflating task has ended when this returns.
    @discardableResult
    public func decode(_ body: (EventBatch) async throws -> Void) async throws -> Decoded {
        let input = try FileSystemError.naming("open", path) { try FileDescriptor.open(FilePath(path), .readOnly) }
        let chunks = AsyncThrowingChannel<[UInt8], any Error>()
        let producedPeak = PeakCounter()
        var splitter = EventSplitter(ndjson: ndjson, field: field, bundleID: bundleID, batchSize: batchSize, maximumEventSize: maximumEventSize)
        var decoded = Decoded()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await inflate(input, into: chunks, peak: producedPeak) }
            // Whatever ends the splitting (the end, an error, the caller's), the inflating ends
            // too: a chunk it waits to hand over is let go.
            defer { chunks.finish() }
            // Inflating runs up to three chunks ahead, so that a pause in the splitting (a full
            // compressor queue) does not stop it.
            var incoming = chunks.buffer(policy: .bounded(3)).makeAsyncIterator()
            while !splitter.isFinished {
                while splitter.needsInput { splitter.append(try await incoming.next()) }
                if let batch = try splitter.step() {
                    decoded.events += batch.count
                    try await body(batch)
                }
            }
        }
        decoded.peakBufferedBytes = splitter.peakBufferedBytes
        decoded.peakProducedBytes = producedPeak.value.load(ordering: .relaxed)
        return decoded
    }

    /// The inflating task: reads the file into `chunks` until its end, then closes it. Its
    /// failure reaches the splitting through the channel, after the chunks before it.
    private func inflate(_ input: FileDescriptor, into chunks: AsyncThrowingChannel<[UInt8], any Error>, peak: PeakCounter) async {
        defer { try? input.close() }
        do {
            try await FileSystemError.naming("read", path) {
                let following = arriving.map { arriving in (FileGrowth.Key(path), arriving) }
                let produce = {
                    try await BundleDecoder.produce(peak: peak, from: input, gzip: gzip, chunkSize: batchSize, following: following, into: chunks)
                }
                if let (file, _) = following { try await FileGrowth.shared.watching(file, produce) } else { try await produce() }
            }
            chunks.finish()
        } catch {
            chunks.fail(error)
        }
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
            // ISA-L may take in all the input while it fills a small room, and hold the rest of its
            // output: while it fills the room, it is asked again (with no input if none is left)
            // before more is read, or waited for.
            var roomFilled = false
            while offset < count || roomFilled {
                let rest = UnsafeRawBufferPointer(rebasing: buffer[offset..<count])
                let room = UnsafeMutableRawBufferPointer(rebasing: chunk[filled...])
                if let inflater {
                    let (consumed, produced) = try inflater.inflate(rest, into: room)
                    offset += consumed
                    filled += produced
                    roomFilled = produced == room.count
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
}

/// The largest value seen, shared with the inflating task.
final class PeakCounter: Sendable {
    let value = Atomic<Int>(0)
}
