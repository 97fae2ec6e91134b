import FSExportClient
import FSExportZlib
import SystemPackage

/// Turns a downloaded bundle into batches of events, streaming: inflate (if gzip), split the
/// top-level array, check its structure. Memory stays at a few batches whatever the bundle's size.
///
/// ```swift
/// let decoder = try BundleDecoder(path: bundle.path, encoding: bundle.encoding, bundleID: bundle.id)
/// while let batch = try decoder.next() { … }
/// ```
public final class BundleDecoder {
    /// The size a batch grows to before it is handed out.
    public static let defaultBatchSize = 1 << 20
    /// An event larger than this is refused (real events are a few kilobytes).
    public static let maximumEventSize = 256 << 20

    private let input: FileDescriptor
    private let inflater: Inflater?
    private let bundleID: Int64?
    private let batchSize: Int
    private var scanner: JSONArrayScanner
    private var readBuffer: UnsafeMutableRawBufferPointer
    private var working: [UInt8] = []
    /// How far into `working` the scanner has looked.
    private var scanned = 0
    /// Where `working[0]` sits in the decoded document.
    private var documentOffset: Int64 = 0
    private var ranges: [Range<Int>] = []
    private var endOfInput = false
    private var finished = false

    /// Decodes an export bundle (a JSON array of events), gzip or plain.
    public convenience init(path: String, encoding: BodyEncoding, bundleID: Int64? = nil, batchSize: Int = BundleDecoder.defaultBatchSize) throws {
        try self.init(path: path, gzip: encoding == .gzip, ndjson: false, bundleID: bundleID, batchSize: batchSize)
    }

    /// Decodes an NDJSON file (one event object a line), gzip or plain as its first bytes say.
    public static func ndjson(path: String, batchSize: Int = BundleDecoder.defaultBatchSize) throws -> BundleDecoder {
        try BundleDecoder(path: path, gzip: isGzip(path), ndjson: true, bundleID: nil, batchSize: batchSize)
    }

    private static func isGzip(_ path: String) throws -> Bool {
        let fd = try FileDescriptor.open(FilePath(path), .readOnly)
        defer { try? fd.close() }
        var magic: [UInt8] = [0, 0]
        let count = try magic.withUnsafeMutableBytes { try fd.read(into: $0) }
        return count == 2 && magic == [0x1f, 0x8b]
    }

    private init(path: String, gzip: Bool, ndjson: Bool, bundleID: Int64?, batchSize: Int) throws {
        scanner = JSONArrayScanner(ndjson: ndjson)
        input = try FileDescriptor.open(FilePath(path), .readOnly)
        inflater = gzip ? try Inflater(framing: .gzip) : nil
        self.bundleID = bundleID
        self.batchSize = batchSize
        readBuffer = .allocate(byteCount: 256 << 10, alignment: 16)
        working.reserveCapacity(batchSize + Inflater.outputChunkSize)
    }

    deinit {
        try? input.close()
        readBuffer.deallocate()
    }

    /// The next batch of events, or nil after the last. Throws ``BundleFormatError`` for a
    /// malformed document and ``ZlibError`` for damaged gzip data.
    public func next() throws -> EventBatch? {
        while !finished {
            try fill()
            try scanNewBytes()
            if endOfInput {
                do { try scanner.finish(at: working.count) } catch { throw formatError(error) }
                finished = true
                return ranges.isEmpty ? nil : cutBatch()
            }
            if !ranges.isEmpty { return cutBatch() }
            if working.count - (scanner.elementStart ?? working.count) > Self.maximumEventSize {
                throw BundleFormatError(bundleID: bundleID, offset: documentOffset + Int64(scanner.elementStart ?? 0),
                                        message: "an event is larger than \(Self.maximumEventSize >> 20) MiB")
            }
        }
        return nil
    }

    /// Reads and inflates until the working buffer holds a batch's worth and something not yet
    /// scanned (an event longer than a batch needs more than a batch), or the input ends.
    private func fill() throws {
        while (working.count < batchSize || working.count == scanned) && !endOfInput {
            let count = try input.read(into: readBuffer)
            if count == 0 {
                try inflater?.finish()
                endOfInput = true
                break
            }
            let chunk = UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])
            if let inflater {
                try inflater.inflate(chunk) { working.append(contentsOf: $0) }
            } else {
                working.append(contentsOf: chunk)
            }
        }
    }

    private func scanNewBytes() throws {
        guard scanned < working.count else { return }
        let failure = working.withUnsafeBytes { bytes -> JSONArrayScanner.Failure? in
            do throws(JSONArrayScanner.Failure) {
                try scanner.scan(bytes, from: scanned) { ranges.append($0) }
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
        working.reserveCapacity(batchSize + Inflater.outputChunkSize)
        scanner.rebase(droppingFirst: keepFrom)
        scanned = working.count
        documentOffset += Int64(keepFrom)
        let batch = EventBatch(bytes: storage, ranges: ranges)
        ranges.removeAll(keepingCapacity: true)
        return batch
    }

    private func formatError(_ failure: JSONArrayScanner.Failure) -> BundleFormatError {
        BundleFormatError(bundleID: bundleID, offset: documentOffset + Int64(failure.position), message: failure.message)
    }
}
