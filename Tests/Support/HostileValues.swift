/// Generated values for property tests: separators, control characters, unicode, the empty
/// string and long ones; the same values for the same seed.
public enum HostileValues {
    public static func strings(count: Int, seed: UInt64, maxLength: Int = 140) -> [String] {
        var generator = SeededGenerator(seed: seed)
        let alphabet: [Character] = ["a", "B", " ", "/", "\\", "\n", "\t", ".", "_", "~", "-", "é", "語", "🎉", "\u{0}", "\u{7F}", "%", ":", "*", "\u{00A0}"]
        return (0..<count).map { _ in
            let length = Int.random(in: 0...maxLength, using: &generator)
            return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
        }
    }
}

/// A repeatable random source (SplitMix64).
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
