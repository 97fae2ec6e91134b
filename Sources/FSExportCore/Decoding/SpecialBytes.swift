import CJSONScan

/// Where the quotes, backslashes and control bytes are among 64 bytes of a buffer, as a mask: how
/// ``JSONArrayScanner`` finds the end of each string. One mask answers for every string in its 64
/// bytes (three or four in a bundle's events), without a loop that runs as long as a string,
/// whose exit the processor cannot predict.
struct SpecialBytes {
    /// Where the 64 bytes of `mask` start; none before the first ``next(_:from:end:)``.
    private var start = Int.min
    /// Bit k: the byte at `start + k` is a quote, a backslash or below 0x20.
    private var mask: UInt64 = 0

    /// The first special byte at or after `from`, or `end` when there is none before it.
    @inline(__always)
    mutating func next(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        while true {
            let offset = i &- start
            if offset >= 0, offset < 64 {
                let ahead = mask &>> UInt64(offset)
                if ahead != 0 { return i + ahead.trailingZeroBitCount }
                i = start + 64
            }
            guard i < end else { return end }
            start = i
            mask = i + 64 <= end ? fsx_json_special_mask(base + i) : Self.tailMask(base + i, count: end - i)
        }
    }

    /// The mask of the last bytes of a buffer, fewer than 64: they are copied among spaces, which
    /// are not special, so no bit is set past them.
    private static func tailMask(_ bytes: UnsafePointer<UInt8>, count: Int) -> UInt64 {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { block in
            block.initialize(repeating: UInt8(ascii: " "))
            block.baseAddress!.update(from: bytes, count: count)
            return fsx_json_special_mask(block.baseAddress!)
        }
    }
}
