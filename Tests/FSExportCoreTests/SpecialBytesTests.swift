import CJSONScan
import Testing

@testable import FSExportCore

@Suite("The scanner's mask of special bytes")
struct SpecialBytesTests {
    /// What the mask must say of one byte.
    static func isSpecial(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 }

    static func expected(_ block: [UInt8]) -> UInt64 {
        block.indices.reduce(0) { isSpecial(block[$1]) ? $0 | 1 << UInt64($1) : $0 }
    }

    /// What is wrong with both masks of a block, if anything.
    static func check(_ block: [UInt8]) -> String? {
        let want = expected(block)
        let (vector, words) = block.withUnsafeBufferPointer { (fsx_json_special_mask($0.baseAddress!), fsx_json_special_mask_words($0.baseAddress!)) }
        return vector == want && words == want ? nil : "vector \(vector), words \(words), want \(want)"
    }

    @Test("Every byte value at every one of the 64 places, among plain bytes and among special ones, both ways of making it")
    func everyByteEverywhere() {
        ByteBlocks.everyByteEverywhere(count: 64, among: [UInt8(ascii: "a"), 0xFF, 0x20, UInt8(ascii: "\"")], Self.check)
    }

    @Test("Random blocks, both ways of making the mask")
    func randomBlocks() {
        // Mostly bytes near the classes' edges, so that neighbouring lanes interact.
        ByteBlocks.random(count: 64, byte: { [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF].randomElement(using: &$0)! }, Self.check)
    }

    @Test("Strings end where the byte loop says, whatever their length and where the 64 bytes begin")
    func stringsOfEveryLength() throws {
        // Strings of 0 to 150 bytes, one with an escape, back to back in one event: the masks'
        // 64 bytes start at every place relative to the quotes.
        for length in 0...150 {
            let value = String(repeating: "x", count: length)
            let text = #"[{"a":"\#(value)","b":"\#(value)\"\#(value)","c":1}]"#
            var scanner = JSONArrayScanner()
            var found: [Range<Int>] = []
            let bytes = Array(text.utf8)
            try bytes.withUnsafeBytes { raw in try scanner.scan(raw, from: 0) { range, _ in found.append(range) } }
            try scanner.finish(at: bytes.count)
            #expect(found == [1..<bytes.count - 1], "length \(length)")
        }
    }
}
