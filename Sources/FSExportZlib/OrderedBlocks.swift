import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machinery of compressing on every core, shared by ``ParallelGzip`` and zstd's: the input is
/// cut into blocks, each block is compressed on a global queue (with the tail of the block before
/// it, for codecs that use it as a dictionary), and the results are handed over in input order.
/// At most `threads + 1` blocks are in flight, so memory stays bounded whatever the input; the
/// output depends only on the input and the codec, never on the threads.
public final class OrderedBlocks {
    /// Compresses one block; `check` is a value the caller folds in order (gzip's CRC-32).
    public typealias Compress = @Sendable (_ block: [UInt8], _ previous: [UInt8], _ last: Bool) throws -> (bytes: [UInt8], check: UInt32)

    private let blockSize: Int
    private let keep: Int
    private let compress: Compress
    private let maximumInFlight: Int
    private var block: [UInt8] = []
    private var previous: [UInt8] = []
    private var inFlight: [Job] = []
    /// Block buffers whose compression was handed over, ready to take the next blocks.
    private var spare: [[UInt8]] = []

    /// - Parameters:
    ///   - keep: how many bytes of the previous block each block's compression sees.
    public init(blockSize: Int, keep: Int = 0, threads: Int = ProcessorCount.active, compress: @escaping Compress) {
        self.blockSize = blockSize
        self.keep = keep
        self.compress = compress
        maximumInFlight = max(1, threads) + 1
        block.reserveCapacity(blockSize)
    }

    private static let workers = DispatchSemaphore(value: ProcessorCount.active)

    deinit { for job in inFlight { job.done.wait() } }

    /// Takes `input`; `ready` receives each compressed block in order, with its check and input length.
    public func add(_ input: UnsafeRawBufferPointer, ready: (_ bytes: [UInt8], _ check: UInt32, _ length: Int) throws -> Void) throws {
        var rest = input[...]
        while !rest.isEmpty {
            let taken = rest.prefix(blockSize - block.count)
            block.append(contentsOf: UnsafeRawBufferPointer(rebasing: taken))
            rest = rest.dropFirst(taken.count)
            if block.count == blockSize { try submit(last: false, ready: ready) }
        }
    }

    /// Compresses what is left as the last block (even when empty) and hands over every block.
    public func finish(ready: (_ bytes: [UInt8], _ check: UInt32, _ length: Int) throws -> Void) throws {
        try submit(last: true, ready: ready)
        while !inFlight.isEmpty { try drainOldest(ready) }
    }

    private func submit(last: Bool, ready: (_ bytes: [UInt8], _ check: UInt32, _ length: Int) throws -> Void) throws {
        let job = Job(input: block, previous: previous, last: last, compress: compress)
        if keep > 0 { previous = Array(block.suffix(keep)) }
        block = spare.popLast() ?? []
        block.reserveCapacity(blockSize)
        inFlight.append(job)
        DispatchQueue.global(qos: .userInitiated).async {
            // As many blocks at once as there are cores, over every file being written: more threads
            // would only hold more buffers and compressor state.
            Self.workers.wait()
            defer { Self.workers.signal() }
            job.run()
        }
        while inFlight.count > maximumInFlight { try drainOldest(ready) }
    }

    private func drainOldest(_ ready: (_ bytes: [UInt8], _ check: UInt32, _ length: Int) throws -> Void) throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        switch job.result {
        case .success(let result)?: try ready(result.bytes, result.check, job.input.count)
        case .failure(let error)?: throw error
        case nil: fatalError("a block was handed over before it was compressed")
        }
        // Its buffer takes a later block: no fresh allocation (and page faults) for every block.
        var buffer = job.input
        job.input = []
        buffer.removeAll(keepingCapacity: true)
        if spare.count < 2 { spare.append(buffer) }
    }

    /// One block's compression. `result` is written by the worker before `done` is signalled and
    /// read by the writer after it, which the semaphore orders.
    private final class Job: @unchecked Sendable {
        var input: [UInt8]
        let previous: [UInt8]
        let last: Bool
        let compress: Compress
        var result: Result<(bytes: [UInt8], check: UInt32), any Error>?
        let done = DispatchSemaphore(value: 0)

        init(input: [UInt8], previous: [UInt8], last: Bool, compress: @escaping Compress) {
            self.input = input
            self.previous = previous
            self.last = last
            self.compress = compress
        }

        func run() {
            result = Result { try compress(input, previous, last) }
            done.signal()
        }
    }
}

/// The number of cores this process may use.
public enum ProcessorCount {
    public static var active: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
