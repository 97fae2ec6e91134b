/// Sizes as pipeline files write them: `512`, `64KiB`, `8MiB`, `1GiB` (also `KB`, `MB`, `GB`,
/// read as powers of 1024, and `k`, `m`, `g`).
public enum ByteSizeText {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var input: String
        public var description: String { "cannot read '\(input)' as a size: use bytes (65536) or a unit, such as 64KiB, 8MiB or 1GiB (at most 1TiB)" }
    }

    /// A size as people read it, in the largest binary unit it fills, with one decimal so that a
    /// changing figure keeps its width: `512 B`, `1.0 MiB`, `477.3 KiB`.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var unit = 0
        while unit < units.count - 1, bytes >= Int64(1) << (10 * (unit + 1)) { unit += 1 }
        if unit == 0 { return "\(bytes) B" }
        return "\((Double(bytes) / Double(Int64(1) << (10 * unit)) * 10).rounded() / 10) \(units[unit])"
    }

    /// A limit as a pipeline file would write it, whole units when it is one (`4 KiB`, `1 MiB`),
    /// so that an error names the figure the user set.
    public static func limit(_ bytes: Int64) -> String {
        var unit = 0
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        while unit < units.count - 1, bytes >= Int64(1) << (10 * (unit + 1)), bytes % (Int64(1) << (10 * (unit + 1))) == 0 { unit += 1 }
        return unit == 0 && bytes >= 1024 ? format(bytes) : "\(bytes >> (10 * unit)) \(units[unit])"
    }

    public static func parse(_ text: String) throws(ParseError) -> Int {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = String(trimmed.dropFirst(digits.count)).trimmingWhitespace().lowercased()
        let shift: Int
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        default: throw ParseError(input: text)
        }
        guard digits.count <= 13, let value = Int(digits), value > 0, value <= (1 << 40) >> shift else { throw ParseError(input: text) }
        return value << shift
    }
}
