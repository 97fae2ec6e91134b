import FSExportZlib
import Testing

/// The inflater behind every download and decoder: gzip members one after another, any chunking of
/// the input, any size of output, and a stream cut short.
@Suite("Inflating gzip")
struct InflaterTests {
    static func gzip(_ text: String) throws -> [UInt8] {
        var compressed: [UInt8] = []
        let deflater = try Deflater(level: 6)
        try Array(text.utf8).withUnsafeBytes { try deflater.deflate($0) { compressed.append(contentsOf: $0) } }
        try deflater.finish { compressed.append(contentsOf: $0) }
        return compressed
    }

    static let text = String(repeating: "hello, events ", count: 300)
    static func members() throws -> [UInt8] { try gzip(text) + gzip("") + gzip(text) }

    @Test("Concatenated members come out whole whatever the pieces of input", arguments: [1, 3, 100, 1 << 20])
    func pieces(size: Int) throws {
        let input = try Self.members()
        let inflater = try Inflater()
        var output: [UInt8] = []
        var start = 0
        while start < input.count {
            let end = min(input.count, start + size)
            try input[start..<end].withUnsafeBytes { try inflater.inflate($0) { output += $0 } }
            start = end
        }
        try inflater.finish()
        #expect(String(decoding: output, as: UTF8.self) == Self.text + Self.text)
        #expect(inflater.inflatedCount == Int64(output.count) && inflater.compressedCount == Int64(input.count))
    }

    @Test("Into an output of any size, what zlib still holds comes out with empty input", arguments: [1, 7, 4096])
    func rooms(size: Int) throws {
        let input = try Self.members()
        let inflater = try Inflater()
        let room = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
        defer { room.deallocate() }
        var output: [UInt8] = []
        var offset = 0
        while true {
            let (consumed, produced) = try input[offset...].withUnsafeBytes { try inflater.inflate($0, into: room) }
            output += room[..<produced]
            offset += consumed
            if consumed == 0 && produced == 0 { break }
        }
        try inflater.finish()
        #expect(String(decoding: output, as: UTF8.self) == Self.text + Self.text)
    }

    @Test("A stream cut short is incomplete, at finish")
    func truncated() throws {
        let input = try Self.gzip(Self.text).dropLast(3)
        let inflater = try Inflater()
        try input.withUnsafeBytes { try inflater.inflate($0) { _ in } }
        #expect(throws: ZlibError.self) { try inflater.finish() }
    }
}
