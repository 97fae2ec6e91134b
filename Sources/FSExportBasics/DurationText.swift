/// Durations as options and pipeline files write them: `90s`, `10m`, `24h`, `7d`, `1h30m`, `500ms`,
/// or plain seconds (`30`).
public enum DurationText {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var input: String
        public var description: String {
            "cannot read '\(input)' as a duration: use a number with a unit, such as 500ms, 30s, 10m, 24h, 7d or 1h30m (at most 10 years)"
        }
    }

    /// The longest duration accepted: ten years.
    static let maximumMilliseconds: Double = 10 * 365 * 86_400_000

    public static func parse(_ text: String) throws(ParseError) -> Duration {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter || $0 == ".") }) else { throw ParseError(input: text) }
        if let seconds = Double(trimmed), trimmed.first?.isNumber == true {
            guard seconds * 1000 <= maximumMilliseconds else { throw ParseError(input: text) }
            return .milliseconds(Int64(seconds * 1000))
        }
        var total: Duration = .zero
        var number = ""
        var unit = ""
        func flush() throws(ParseError) {
            guard let value = Double(number), value >= 0, value.isFinite else { throw ParseError(input: text) }
            let milliseconds: Double
            switch unit {
            case "ms": milliseconds = value
            case "s": milliseconds = value * 1000
            case "m": milliseconds = value * 60_000
            case "h": milliseconds = value * 3_600_000
            case "d": milliseconds = value * 86_400_000
            default: throw ParseError(input: text)
            }
            guard milliseconds <= maximumMilliseconds, total + .milliseconds(Int64(milliseconds)) <= .milliseconds(Int64(maximumMilliseconds)) else {
                throw ParseError(input: text)
            }
            total += .milliseconds(Int64(milliseconds))
            number = ""
            unit = ""
        }
        for character in trimmed {
            if character.isNumber || character == "." {
                if !unit.isEmpty { try flush() }
                number.append(character)
            } else {
                guard !number.isEmpty else { throw ParseError(input: text) }
                unit.append(character)
            }
        }
        guard !number.isEmpty else { throw ParseError(input: text) }
        try flush()
        return total
    }

    /// `1h30m`, `45s`, `250ms`
    /// A measured time as logs show it, to a tenth: `0.4s`, `12.0s`.
    public static func seconds(_ duration: Duration) -> String {
        "\(((duration / .seconds(1)) * 10).rounded() / 10)s"
    }

    public static func format(_ duration: Duration) -> String {
        var milliseconds = Int64(duration / .milliseconds(1))
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where milliseconds >= size {
            parts.append("\(milliseconds / size)\(unit)")
            milliseconds %= size
        }
        return parts.joined()
    }
}
