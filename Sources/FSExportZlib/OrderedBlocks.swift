import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machinery of compressing on every core, shared by ``ParallelGzip`` and zstd's: the input is
/// cut into blocks, each block is compressed on a global queue into a piece that stands alone (a
/// gzip member, a zstd frame), and the pieces are handed over in input order. A file has as many
/// blocks in flight as there are threads, or one while as many files as threads are being
/// written (a split by type: the files keep the cores busy between them), so memory stays
/// bounded whatever the input; the output depends only on the input and the codec, never on the
/// threads. An empty input makes one piece (of an empty block), so that the file is valid for its
/// codec.
public final class OrderedBlocks {
    /// Compresses one block into a piece that stands alone.
    public typealias Compress = @Sendable (_ block: [UInt8]) throws -> [UInt8]

    private let blockSize: Int
    private let compress: Compress
    private let threads: Int
    private var finished = false
    private var block: [UInt8] = []
    private var submitted = false
    private var inFlight: [Job] = []
    /// The buffer of the block last handed over, ready to take the next block.
    private var spare: [UInt8]?

    public init(blockSize: Int, threads: Int = ProcessorCount.active, compress: @escaping Compress) {
        self.blockSize = blockSize
        self.compress = compress
        self.threads = max(1, threads)
        block.reserveCapacity(blockSize)
        Self.open.add(1, ordering: .relaxed)
    }

    /// Files being compressed, in the whole process.
    private static let open = Atomic<Int>(0)

    private var maximumInFlight: Int { Self.open.load(ordering: .relaxed) >= threads ? 1 : threads }

    private static let workers = DispatchSemaphore(value: ProcessorCount.active)

    deinit {
        for job in inFlight { job.done.wait() }
        leaveOpenFiles()
    }

    /// No longer one of the files being compressed (once, whether finished or dropped).
    private func leaveOpenFiles() {
        guard !finished else { return }
        finished = true
        Self.open.subtract(1, ordering: .relaxed)
    }

    /// Takes `input`; `ready` receives each compressed block in order.
    public func add(_ input: UnsafeRawBufferPointer, ready: (_ bytes: [UInt8]) throws -> Void) throws {
        var rest = input[...]
        while !rest.isEmpty {
            let taken = rest.prefix(blockSize - block.count)
            block.append(contentsOf: UnsafeRawBufferPointer(rebasing: taken))
            rest = rest.dropFirst(taken.count)
            if block.count == blockSize { try submit(ready: ready) }
        }
    }

    /// Compresses what is left as the last block (an empty one only when it would be the only one)
    /// and hands over every block; a second call adds nothing.
    public func finish(ready: (_ bytes: [UInt8]) throws -> Void) throws {
        if !block.isEmpty || !submitted { try submit(ready: ready) }
        while !inFlight.isEmpty { try drainOldest(ready) }
        leaveOpenFiles()
    }

    private func submit(ready: (_ bytes: [UInt8]) throws -> Void) throws {
        let job = Job(input: block, compress: compress)
        submitted = true
        block = []  // the job holds the bytes now
        inFlight.append(job)
        DispatchQueue.global(qos: .userInitiated).async {
            // As many blocks at once as there are cores, over every file being written: more threads
            // would only hold more buffers and compressor state.
            Self.workers.wait()
            defer { Self.workers.signal() }
            job.run()
        }
        while inFlight.count > maximumInFlight { try drainOldest(ready) }
        // The next block takes the buffer of the one just handed over, if any: a file holds its
        // block and those in flight, no more, and makes no fresh allocation for every block.
        block = spare.take() ?? []
        block.reserveCapacity(blockSize)
    }

    private func drainOldest(_ ready: (_ bytes: [UInt8]) throws -> Void) throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        switch job.result {
        case .success(let bytes)?: try ready(bytes)
        case .failure(let error)?: throw error
        case nil: fatalError("a block was handed over before it was compressed")
        }
        var buffer = job.input
        job.input = []
        buffer.removeAll(keepingCapacity: true)
        spare = buffer
    }

    /// One block's compression. `result` is written by the worker before `done` is signalled and
    /// read by the writer after it, which the semaphore orders.
    private final class Job: @unchecked Sendable {
        var input: [UInt8]
        let compress: Compress
        var result: Result<[UInt8], any Error>?
        let done = DispatchSemaphore(value: 0)

        init(input: [UInt8], compress: @escaping Compress) {
            self.input = input
            self.compress = compress
        }

        func run() {
            result = Result { try compress(input) }
            done.signal()
        }
    }
}

/// The number of cores this process may use.
public enum ProcessorCount {
    public static var active: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
