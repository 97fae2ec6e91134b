import CZlib
import CZlibShims
import Dispatch
import Synchronization

/// Gzip compression on every core, as pigz does it: the input is cut into 128 KiB blocks, each
/// deflated on its own thread with the previous block's last 32 KiB as its dictionary, and the
/// pieces are joined, in order, into one standard gzip stream that gzip, zcat, Python and
/// warehouse loaders read. The bytes depend only on the input and the level, never on the number
/// of threads or their timing. Memory is bounded: at most a few blocks are in flight.
public final class ParallelGzip {
    public static let blockSize = 128 << 10
    static let dictionarySize = 32 << 10

    private let level: Int32
    private let maximumInFlight: Int
    private var block: [UInt8] = []
    private var dictionary: [UInt8] = []
    private var inFlight: [BlockJob] = []
    private var crc = crc32(0, nil, 0)
    private var headerWritten = false
    private var finished = false
    /// Uncompressed bytes taken so far.
    public private(set) var inputCount: Int64 = 0
    /// Compressed bytes produced so far.
    public private(set) var outputCount: Int64 = 0

    /// - Parameters:
    ///   - level: 1 (fastest) to 9 (smallest); 6 is gzip's default.
    ///   - threads: blocks compressed at once; the output is the same for any number.
    public init(level: Int32 = 6, threads: Int = ProcessorCount.active) throws(ZlibError) {
        guard (1...9).contains(level) else { throw ZlibError(kind: .internalError, message: "gzip level \(level) is not 1 to 9", compressedOffset: 0) }
        self.level = level
        maximumInFlight = max(1, threads) + 1
        block.reserveCapacity(Self.blockSize)
    }

    deinit { for job in inFlight { job.done.wait() } }

    /// Compresses `input`, calling `sink` with compressed bytes in order (valid only during the call).
    public func compress(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var rest = input[...]
        while !rest.isEmpty {
            let taken = rest.prefix(Self.blockSize - block.count)
            block.append(contentsOf: UnsafeRawBufferPointer(rebasing: taken))
            rest = rest.dropFirst(taken.count)
            inputCount += Int64(taken.count)
            if block.count == Self.blockSize { try submit(last: false, into: sink) }
        }
    }

    /// Compresses what is left and writes the gzip trailer. The compressor cannot be used afterwards.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { return }
        finished = true
        try submit(last: true, into: sink)
        while !inFlight.isEmpty { try drainOldest(into: sink) }
        var trailer = [UInt8]()
        for value in [UInt32(truncatingIfNeeded: crc), UInt32(truncatingIfNeeded: inputCount)] {
            trailer += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
        }
        try emit(trailer, into: sink)
    }

    private func submit(last: Bool, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let job = BlockJob(input: block, dictionary: dictionary, level: level, last: last)
        dictionary = Array(block.suffix(Self.dictionarySize))
        block = []
        block.reserveCapacity(Self.blockSize)
        inFlight.append(job)
        DispatchQueue.global(qos: .userInitiated).async { job.run() }
        while inFlight.count > maximumInFlight { try drainOldest(into: sink) }
    }

    private func drainOldest(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        if let error = job.error { throw error }
        if !headerWritten {
            headerWritten = true
            // ID, deflate, no flags, no time (so a re-run gives the same bytes), no extra flags, Unix.
            try emit([0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03], into: sink)
        }
        crc = fsx_crc32_combine(crc, job.crc, Int64(job.input.count))
        try emit(job.output, into: sink)
    }

    private func emit(_ bytes: [UInt8], into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        outputCount += Int64(bytes.count)
        try bytes.withUnsafeBytes { try sink($0) }
    }
}

/// The number of cores this process may use.
public enum ProcessorCount {
    public static var active: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

/// One block's compression, run on a global queue; the writer waits on `done` before reading it.
/// Its fields are written by the worker before `done` is signalled and read by the writer after,
/// which the semaphore orders.
private final class BlockJob: @unchecked Sendable {
    let input: [UInt8]
    let dictionary: [UInt8]
    let level: Int32
    let last: Bool
    var output: [UInt8] = []
    var crc: uLong = 0
    var error: ZlibError?
    let done = DispatchSemaphore(value: 0)

    init(input: [UInt8], dictionary: [UInt8], level: Int32, last: Bool) {
        self.input = input
        self.dictionary = dictionary
        self.level = level
        self.last = last
    }

    func run() {
        defer { done.signal() }
        crc = input.withUnsafeBytes { crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count)) }
        do throws(ZlibError) {
            output = try DeflateStreams.shared.with(level: level) { stream throws(ZlibError) in try compress(stream) }
        } catch {
            self.error = error
        }
    }

    /// Raw deflate of the block: ended with a sync flush (byte-aligned, not final) so that the next
    /// block's data follows it, or with the final block for the last one.
    private func compress(_ stream: UnsafeMutablePointer<z_stream>) throws(ZlibError) -> [UInt8] {
        if !dictionary.isEmpty {
            let code = dictionary.withUnsafeBytes { deflateSetDictionary(stream, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count)) }
            guard code == Z_OK else { throw ZlibError.from(code: code, stream: stream, offset: 0) }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))) + 64)
        var produced = 0
        let code: Int32 = input.withUnsafeBytes { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(source.count)
            var code = Z_OK
            repeat {
                if produced == output.count { output += [UInt8](repeating: 0, count: 64 << 10) }
                code = output.withUnsafeMutableBytes { target in
                    stream.pointee.next_out = target.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                    stream.pointee.avail_out = uInt(target.count - produced)
                    let result = deflate(stream, last ? Z_FINISH : Z_SYNC_FLUSH)
                    produced = target.count - Int(stream.pointee.avail_out)
                    return result
                }
            } while (last ? code == Z_OK || code == Z_BUF_ERROR : stream.pointee.avail_out == 0) && (code == Z_OK || code == Z_BUF_ERROR)
            return code
        }
        guard code == (last ? Z_STREAM_END : Z_OK) || (!last && code == Z_BUF_ERROR) else {
            throw ZlibError.from(code: code, stream: stream, offset: 0)
        }
        output.removeSubrange(produced...)
        return output
    }
}

/// Raw deflate streams kept for reuse, one per block being compressed at a time: making one costs
/// more than compressing a small block.
private final class DeflateStreams: Sendable {
    static let shared = DeflateStreams()

    private struct Stream: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<z_stream>
        let level: Int32
    }

    private let idle = Mutex<[Stream]>([])

    func with<T>(level: Int32, _ body: (UnsafeMutablePointer<z_stream>) throws(ZlibError) -> T) throws(ZlibError) -> T {
        let stream = try take(level: level)
        defer { idle.withLock { $0.append(stream) } }
        return try body(stream.pointer)
    }

    private func take(level: Int32) throws(ZlibError) -> Stream {
        if let found = idle.withLock({ idle in idle.firstIndex { $0.level == level }.map { idle.remove(at: $0) } }) {
            deflateReset(found.pointer)
            return found
        }
        let pointer = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        let code = fsx_deflate_init_raw(pointer, level)
        guard code == Z_OK else {
            pointer.deallocate()
            throw ZlibError(kind: .internalError, message: "deflateInit2 failed (\(code))", compressedOffset: 0)
        }
        return Stream(pointer: pointer, level: level)
    }
}
