/// Times as the command line and pipeline files accept them, converted to the API's unix seconds.
///
/// Accepted forms:
/// - unix seconds: `1563148800`
/// - RFC 3339 / ISO 8601, UTC unless an offset is given: `2019-07-15`, `2019-07-15T00:00:00Z`,
///   `2019-07-15T02:00:00+02:00`, `2019-07-15 00:00`
/// - relative to now: `now`, `-24h`, `-7d`, `-90m`, `-30s`, `-2w`
public enum Timestamp {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var input: String
        public var description: String {
            "cannot read '\(input)' as a time between 1970 and 9999: use unix seconds (1563148800), an ISO 8601 date or time "
                + "(2019-07-15, 2019-07-15T06:30:00Z, 2019-07-15T08:30:00+02:00) or a relative time (-24h, -7d, now)"
        }
    }

    /// The times fsexport accepts anywhere (arguments, pipeline files, LIST answers, the state
    /// file): 1970-01-01 to 9999-12-31. Anything outside is refused before any arithmetic on it.
    public static let validRange: ClosedRange<Int64> = 0...253_402_300_799

    /// Parses `text`; relative times count back from `now` (unix seconds).
    public static func parse(_ text: String, now: Int64) throws(ParseError) -> Int64 {
        let trimmed = text.trimmingWhitespace()
        let result: Int64?
        if trimmed == "now" {
            result = now
        } else if let seconds = Int64(trimmed) {
            result = seconds
        } else if let relative = parseRelative(trimmed) {
            let (sum, overflow) = now.addingReportingOverflow(relative)
            result = overflow ? nil : sum
        } else {
            result = parseISO8601(trimmed)
        }
        guard let result, validRange.contains(result) else { throw ParseError(input: text) }
        return result
    }

    /// `2019-07-15T00:00:00Z`
    public static func iso8601(_ unixSeconds: Int64) -> String {
        let days = floorDiv(unixSeconds, 86_400)
        let secondsOfDay = unixSeconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):"
            + "\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))Z"
    }

    /// The UTC calendar fields of a unix time, for strftime-like formatting.
    public static func components(_ unixSeconds: Int64) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) {
        let days = floorDiv(unixSeconds, 86_400)
        let secondsOfDay = unixSeconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return (year, month, day, secondsOfDay / 3600, secondsOfDay / 60 % 60, secondsOfDay % 60)
    }

    /// Unix seconds at midnight UTC of a calendar day.
    public static func unixSeconds(year: Int64, month: Int64, day: Int64) -> Int64 {
        days(fromCivil: year, month, day) * 86_400
    }

    // MARK: - Parsing

    private static func parseRelative(_ text: String) -> Int64? {
        guard text.count >= 3, text.first == "-", let unit = text.last else { return nil }
        guard let amount = Int64(text.dropFirst().dropLast()), amount >= 0, amount < 1 << 40 else { return nil }
        let multiplier: Int64
        switch unit {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        case "w": multiplier = 604_800
        default: return nil
        }
        return -amount * multiplier
    }

    private static func parseISO8601(_ text: String) -> Int64? {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take("-"),
            let month = scanner.number(digits: 2), scanner.take("-"),
            let day = scanner.number(digits: 2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = days(fromCivil: year, month, day) * 86_400
        if scanner.atEnd { return seconds }
        guard scanner.take("T") || scanner.take("t") || scanner.take(" "),
            let hour = scanner.number(digits: 2), scanner.take(":"),
            let minute = scanner.number(digits: 2), hour < 24, minute < 60
        else { return nil }
        seconds += hour * 3600 + minute * 60
        if scanner.take(":") {
            guard let second = scanner.number(digits: 2), second <= 60 else { return nil }
            seconds += second
            if scanner.take(".") || scanner.take(",") {
                guard scanner.skipDigits() > 0 else { return nil }  // fractions are below the API's resolution
            }
        }
        if scanner.atEnd || scanner.take("Z") || scanner.take("z") {
            return scanner.atEnd ? seconds : nil
        }
        let sign: Int64
        if scanner.take("+") { sign = 1 } else if scanner.take("-") { sign = -1 } else { return nil }
        guard let offsetHours = scanner.number(digits: 2) else { return nil }
        _ = scanner.take(":")
        guard let offsetMinutes = scanner.number(digits: 2), scanner.atEnd else { return nil }
        return seconds - sign * (offsetHours * 3600 + offsetMinutes * 60)
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, Howard Hinnant's algorithms)

    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Rounds towards minus infinity; cannot overflow (b > 0).
    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a / b - (a % b < 0 ? 1 : 0)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

private struct DigitScanner {
    private let bytes: [UInt8]
    private var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func number(digits: Int) -> Int64? {
        guard index + digits <= bytes.count else { return nil }
        var value: Int64 = 0
        for byte in bytes[index..<index + digits] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        index += digits
        return value
    }

    mutating func skipDigits() -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }
}
