import Foundation
import FSExportTestSupport
import FSExportZlib
import Testing

/// Gzip on every core: a multi-member file that every gzip reader reads back as one stream, the
/// same bytes for any number of threads, at the edges of its blocks, no larger than gzip's.
@Suite("Parallel gzip")
struct ParallelGzipTests {
    static func compress(_ input: [UInt8], level: Int32 = 6, threads: Int, pieces: Int = 7) throws -> [UInt8] {
        let gzip = try ParallelGzip(level: level, threads: threads)
        var output: [UInt8] = []
        let size = max(1, input.count / pieces)
        var start = 0
        while start < input.count {
            let end = min(input.count, start + size)
            try input[start..<end].withUnsafeBytes { try gzip.compress($0) { output += $0 } }
            start = end
        }
        try gzip.finish { output += $0 }
        return output
    }

    /// What `gzip -dc` makes of `bytes`, once `gzip -t` passed them.
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let (status, output) = try read(bytes, with: "gzip -t 2>/dev/null < \"$0\" && gzip -dc")
        #expect(status == 0, "gzip -t refused the stream")
        return output
    }

    /// What the shell command `reader` writes when given `bytes` on its standard input (through
    /// a file, which it may also name as `$0`), and how it exits.
    static func read(_ bytes: [UInt8], with reader: String) throws -> (status: Int32, output: [UInt8]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-pgz-\(UUID().uuidString).gz").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Programs.runBlocking("/bin/sh", ["-c", "\(reader) < \"$0\"", path])
        return (result.status, [UInt8](result.stdoutData))
    }

    static func json(_ count: Int) -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        var text = ""
        for index in 0..<count {
            text += #"{"EventType":"click","EventStart":\#(1_700_000_000 + index),"UserId":"\#(UInt64.random(in: 0...UInt64.max, using: &random))"}"# + "\n"
        }
        return Array(text.utf8)
    }

    @Test("gzip reads back every size at the edges of a block, and the bytes do not depend on the threads", arguments: [
        0, 1, ParallelGzip.blockSize - 1, ParallelGzip.blockSize, ParallelGzip.blockSize + 1, 3 * ParallelGzip.blockSize, 1_000_003,
    ])
    func edges(_ size: Int) throws {
        let input = Array(Self.json(size / 80 + 2).prefix(size))
        let output = try Self.compress(input, threads: 1)
        #expect(try Self.gunzip(output) == input)
        #expect(try Self.compress(input, threads: 4, pieces: 3) == output)
        #expect(try Self.compress(input, threads: 2, pieces: 1) == output)
    }

    @Test("A compressor's output room grows keeping what it holds, and a smaller reserve keeps its size")
    func outputRoom() {
        let room = OutputRoom()
        room.reserve(10)
        let first = room.bytes.count
        #expect(first >= 10)
        for index in 0..<10 { room.bytes[index] = UInt8(index) }
        room.grow(keeping: 10)
        #expect(room.bytes.count > first && room.copy(10) == Array(0..<10))
        let grown = room.bytes.count
        room.reserve(5)
        #expect(room.bytes.count == grown)
    }

    @Test("Incompressible bytes and every level come back whole; higher levels are no larger on JSON")
    func levelsAndNoise() throws {
        var random = SystemRandomNumberGenerator()
        let noise = (0..<(600 << 10)).map { _ in UInt8.random(in: 0...255, using: &random) }
        #expect(try Self.gunzip(Self.compress(noise, level: 1, threads: 2)) == noise)
        let json = Self.json(20_000)
        var sizes: [Int] = []
        for level: Int32 in [1, 6, 9] {
            let output = try Self.compress(json, level: level, threads: 2)
            #expect(try Self.gunzip(output) == json)
            sizes.append(output.count)
        }
        #expect(sizes[0] >= sizes[1] && sizes[1] >= sizes[2], "\(sizes)")
        #expect(throws: ZlibError.self) { try ParallelGzip(level: 0) }
        #expect(throws: ZlibError.self) { try ParallelGzip(level: 10) }
    }

    @Test("Blocks as members cost nothing against one zlib stream at the same level: no larger than gzip -6")
    func membersKeepRatio() throws {
        let json = Self.json(30_000)
        let parallel = try Self.compress(json, threads: 2)
        let single = try Deflater(level: 6)
        var whole = 0
        try json.withUnsafeBytes { try single.deflate($0) { whole += $0.count } }
        try single.finish { whole += $0.count }
        #expect(json.count > 3 * ParallelGzip.blockSize)
        #expect(parallel.count <= whole, "parallel \(parallel.count), one zlib stream \(whole)")
    }

    @Test("Every gzip reader on the machine reads the members as one stream, and so does fsexport's own with either library")
    func readers() throws {
        let input = Array(Self.json(3 * ParallelGzip.blockSize / 80).prefix(2 * ParallelGzip.blockSize + 12_345))
        let output = try Self.compress(input, threads: 2)
        let readers = [
            "gzip -dc", "zcat", "pigz -dc", "igzip -dc", "libdeflate-gunzip -c",
            "python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))'",
        ]
        for reader in readers {
            let tool = String(reader.split(separator: " ")[0])
            let (status, read) = try Self.read(output, with: "command -v \(tool) > /dev/null || exit 99; \(reader)")
            // gzip, zcat and python3 come with Debian; the others with .ci/install-deps --tests.
            #expect(status == 0, "\(reader): exit \(status) (99: not installed; .ci/install-deps --tests installs it)")
            #expect(read == input, "\(reader) read \(read.count) of \(input.count) bytes")
        }
        for library in InflateLibrary.available {
            let inflater = try Inflater(library: library)
            var read: [UInt8] = []
            try output.withUnsafeBytes { try inflater.inflate($0) { read += $0 } }
            try inflater.finish()
            #expect(read == input, "\(library)")
        }
    }
}
