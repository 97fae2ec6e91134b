import Testing

/// Blocks of bytes for checking the scanner's vector kernels against their plain definitions.
enum ByteBlocks {
    /// Every byte value at every one of `count` places among `background` bytes, for each
    /// background; `check` says what is wrong with a block, and the first wrong one is recorded.
    static func everyByteEverywhere(count: Int, among backgrounds: [UInt8], _ check: ([UInt8]) -> String?) {
        for background in backgrounds {
            for place in 0..<count {
                for value in 0...UInt8.max {
                    var block = [UInt8](repeating: background, count: count)
                    block[place] = value
                    if let wrong = check(block) {
                        Issue.record("byte 0x\(String(value, radix: 16)) at \(place) among 0x\(String(background, radix: 16)): \(wrong)")
                        return
                    }
                }
            }
        }
    }

    /// 20 000 random blocks of `count` bytes, each byte drawn by `byte`; the first wrong one is recorded.
    static func random(count: Int, byte: (inout SystemRandomNumberGenerator) -> UInt8, _ check: ([UInt8]) -> String?) {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let block = (0..<count).map { _ in byte(&generator) }
            if let wrong = check(block) {
                Issue.record("\(block): \(wrong)")
                return
            }
        }
    }
}
