import Foundation
import FSExportZlib
import Testing

/// Gzip on every core: one standard stream that gzip reads back, the same bytes for any number of
/// threads, at the edges of its blocks.
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

    /// What `gzip -dc` makes of `bytes`, through a file.
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-pgz-\(UUID().uuidString).gz").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -tv \"$0\" 2>/dev/null && gzip -dc \"$0\"", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "gzip -t refused the stream")
        return [UInt8](data)
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

    @Test("Each block's dictionary keeps the output within 1% of one stream's size")
    func dictionaryKeepsRatio() throws {
        let json = Self.json(30_000)
        let parallel = try Self.compress(json, threads: 2)
        let single = try Deflater(level: 6)
        var whole = 0
        try json.withUnsafeBytes { try single.deflate($0) { whole += $0.count } }
        try single.finish { whole += $0.count }
        #expect(Double(parallel.count) <= Double(whole) * 1.01, "parallel \(parallel.count), single stream \(whole)")
    }
}
