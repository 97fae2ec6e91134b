/// The types a loaded table's columns have, in both databases.
public enum ColumnType: String, Sendable, CaseIterable {
    case text
    /// 64-bit integers: ids, and numbers a new field brings.
    case bigint
    /// 32-bit integers: the documented counts.
    case integer
    case double
    case boolean
    /// RFC 3339 times: `timestamptz` in PostgreSQL, ISO text in SQLite.
    case timestamp
    /// A JSON document: `jsonb` in PostgreSQL, text in SQLite.
    case json

    /// The type a new field's first value says: a string that reads as an RFC 3339 time is a
    /// timestamp, any other string text, a whole number bigint, any other number double, true
    /// and false boolean. nil for null, objects and arrays, which stay in `extra`.
    static func inferred(from value: UnsafeBufferPointer<UInt8>) -> ColumnType? {
        guard let first = value.first else { return nil }
        switch first {
        case UInt8(ascii: "\""):
            return RFC3339.looksLikeTime(UnsafeBufferPointer(rebasing: value.dropFirst().dropLast())) ? .timestamp : .text
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .boolean
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return value.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ? .double : .bigint
        default: return nil
        }
    }
}

/// The shape of an RFC 3339 time as the export writes them (`2020-08-27T06:20:26.900Z`), with or
/// without fractional seconds, in UTC or with an offset: enough to tell a time from other text.
enum RFC3339 {
    static func looksLikeTime(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { $0 < text.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[$0]) } }
        guard text.count >= 20, text.count <= 35, digits(0..<4), text[4] == UInt8(ascii: "-"), digits(5..<7), text[7] == UInt8(ascii: "-"),
            digits(8..<10), text[10] == UInt8(ascii: "T") || text[10] == UInt8(ascii: "t"), digits(11..<13), text[13] == UInt8(ascii: ":"),
            digits(14..<16), text[16] == UInt8(ascii: ":"), digits(17..<19)
        else { return false }
        var index = 19
        if text[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[index]) { index += 1 }
            guard index > start else { return false }
        }
        guard index < text.count else { return false }
        if text[index] == UInt8(ascii: "Z") || text[index] == UInt8(ascii: "z") { return index + 1 == text.count }
        guard text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-"), index + 6 == text.count,
            digits(index + 1..<index + 3), text[index + 3] == UInt8(ascii: ":"), digits(index + 4..<index + 6)
        else { return false }
        return true
    }
}
