/// Reads a `Retry-After` header: delay seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`).
enum RetryAfter {
    static func parse(_ value: String?, now: Int64) -> Duration? {
        guard let value = value?.trimmingWhitespace(), !value.isEmpty else { return nil }
        if let seconds = Int64(value) { return .seconds(max(0, seconds)) }
        guard let date = parseHTTPDate(value) else { return nil }
        return .seconds(max(0, date - now))
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// IMF-fixdate, the form RFC 9110 requires senders to use.
    static func parseHTTPDate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
            let day = Int64(parts[1]),
            let month = months.firstIndex(of: parts[2].lowercased()),
            let year = Int64(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int64($0) }
        guard clock.count == 3 else { return nil }
        return Timestamp.unixSeconds(year: year, month: Int64(month + 1), day: day)
            + clock[0] * 3600 + clock[1] * 60 + clock[2]
    }
}
