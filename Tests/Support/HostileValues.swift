import FSExportSimulatedData

/// Generated values for property tests: separators, control characters, unicode, the empty
/// string and long ones; the same values for the same seed.
public enum HostileValues {
    public static func strings(count: Int, seed: UInt64, maxLength: Int = 140) -> [String] {
        var generator = SplitMix64(seed: seed)  // the simulator's generator: the same values for the same seed
        let alphabet: [Character] = ["a", "B", " ", "/", "\\", "\n", "\t", ".", "_", "~", "-", "é", "語", "🎉", "\u{0}", "\u{7F}", "%", ":", "*", "\u{00A0}"]
        return (0..<count).map { _ in
            let length = Int.random(in: 0...maxLength, using: &generator)
            return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
        }
    }

    /// `count` copies of `bytes`, each with one byte changed (its offset given), for checking that
    /// a reader refuses or survives damage anywhere.
    public static func singleByteChanges(of bytes: [UInt8], count: Int, seed: UInt64) -> [(offset: Int, bytes: [UInt8])] {
        guard !bytes.isEmpty else { return [] }
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            var changed = bytes
            let offset = Int.random(in: 0..<bytes.count, using: &generator)
            changed[offset] ^= UInt8.random(in: 1...255, using: &generator)
            return (offset, changed)
        }
    }
}
