import CJSONScan
import Testing

@Suite("The scanner's count of a run of digits")
struct DigitRunTests {
    static func expected(_ block: [UInt8]) -> Int {
        block.firstIndex { !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? block.count
    }

    @Test("Every byte value at every one of the 32 places, among digits and among other bytes, both ways of counting")
    func everyByteEverywhere() {
        for background in [UInt8(ascii: "5"), UInt8(ascii: "0"), UInt8(ascii: "9"), UInt8(ascii: ","), 0x2F, 0x3A, 0xB0] {
            for place in 0..<32 {
                for value in 0...UInt8.max {
                    var block = [UInt8](repeating: background, count: 32)
                    block[place] = value
                    let want = Self.expected(block)
                    let (vector, bytes) = block.withUnsafeBufferPointer { (fsx_json_digit_run($0.baseAddress!), fsx_json_digit_run_bytes($0.baseAddress!)) }
                    guard Int(vector) == want, Int(bytes) == want else {
                        Issue.record("byte 0x\(String(value, radix: 16)) at \(place) among 0x\(String(background, radix: 16)): vector \(vector), bytes \(bytes), want \(want)")
                        return
                    }
                }
            }
        }
    }

    @Test("Random blocks of digits and their neighbours, both ways of counting")
    func randomBlocks() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Mostly digits, so that runs reach far; the bytes just outside '0'...'9' and their
            // high-bit twins otherwise.
            let block = (0..<32).map { _ in
                Bool.random(using: &generator) && Int.random(in: 0..<8, using: &generator) != 0
                    ? UInt8.random(in: UInt8(ascii: "0")...UInt8(ascii: "9"), using: &generator)
                    : [0x00, 0x2F, 0x3A, 0x7F, 0x80, 0xB0, 0xB9, 0xFF].randomElement(using: &generator)! as UInt8
            }
            let want = Self.expected(block)
            let (vector, bytes) = block.withUnsafeBufferPointer { (fsx_json_digit_run($0.baseAddress!), fsx_json_digit_run_bytes($0.baseAddress!)) }
            #expect(Int(vector) == want && Int(bytes) == want, "\(block)")
            if Int(vector) != want || Int(bytes) != want { return }
        }
    }
}
