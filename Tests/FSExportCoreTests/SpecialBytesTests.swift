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

    @Test("Every byte value at every one of the 64 places, among plain bytes and among special ones, both ways of making it")
    func everyByteEverywhere() {
        for background in [UInt8(ascii: "a"), 0xFF, 0x20, UInt8(ascii: "\"")] {
            for place in 0..<64 {
                for value in 0...UInt8.max {
                    var block = [UInt8](repeating: background, count: 64)
                    block[place] = value
                    let want = Self.expected(block)
                    let (vector, words) = block.withUnsafeBufferPointer { (fsx_json_special_mask($0.baseAddress!), fsx_json_special_mask_words($0.baseAddress!)) }
                    guard vector == want, words == want else {
                        Issue.record("byte 0x\(String(value, radix: 16)) at \(place) among 0x\(String(background, radix: 16)): vector \(vector), words \(words), want \(want)")
                        return
                    }
                }
            }
        }
    }

    @Test("Random blocks, both ways of making the mask")
    func randomBlocks() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Mostly bytes near the classes' edges, so that neighbouring lanes interact.
            let block = (0..<64).map { _ in [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF].randomElement(using: &generator)! as UInt8 }
            let want = Self.expected(block)
            let (vector, words) = block.withUnsafeBufferPointer { (fsx_json_special_mask($0.baseAddress!), fsx_json_special_mask_words($0.baseAddress!)) }
            #expect(vector == want && words == want, "\(block)")
            if vector != want || words != want { return }
        }
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
