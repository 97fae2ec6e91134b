/// A hash that never changes between runs, machines or versions (Swift's `Hasher` is seeded per
/// process): 64-bit FNV-1a over the UTF-8 bytes.
enum StableHash {
    static func value(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// Twelve hex digits (48 bits): short in a file name, and a chance collision within one bundle's
    /// values is negligible; a crafted one is caught when the same name is made twice.
    static func hex(_ text: String) -> String {
        let digits = String(value(text) >> 16, radix: 16)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }
}
