import CJSONScan
import Testing

@Suite("The scanner's count of a run of digits")
struct DigitRunTests {
    static func expected(_ block: [UInt8]) -> Int {
        block.firstIndex { !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? block.count
    }

    /// What is wrong with both counts of a block, if anything.
    static func check(_ block: [UInt8]) -> String? {
        let want = expected(block)
        let (vector, bytes) = block.withUnsafeBufferPointer { (fsx_json_digit_run($0.baseAddress!), fsx_json_digit_run_bytes($0.baseAddress!)) }
        return Int(vector) == want && Int(bytes) == want ? nil : "vector \(vector), bytes \(bytes), want \(want)"
    }

    @Test("Every byte value at every one of the 32 places, among digits and among other bytes, both ways of counting")
    func everyByteEverywhere() {
        ByteBlocks.everyByteEverywhere(count: 32, among: [UInt8(ascii: "5"), UInt8(ascii: "0"), UInt8(ascii: "9"), UInt8(ascii: ","), 0x2F, 0x3A, 0xB0], Self.check)
    }

    @Test("Random blocks of digits and their neighbours, both ways of counting")
    func randomBlocks() {
        // Mostly digits, so that runs reach far; the bytes just outside '0'...'9' and their
        // high-bit twins otherwise.
        ByteBlocks.random(count: 32, byte: { generator in
            Int.random(in: 0..<8, using: &generator) != 0
                ? UInt8.random(in: UInt8(ascii: "0")...UInt8(ascii: "9"), using: &generator)
                : [0x00, 0x2F, 0x3A, 0x7F, 0x80, 0xB0, 0xB9, 0xFF].randomElement(using: &generator)!
        }, Self.check)
    }
}
