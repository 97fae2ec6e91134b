import FSExportBasics
/// Reads a `Retry-After` header: delay seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`).
package enum RetryAfter {
    /// The wait the header asks for (negative for a date in the past), or nil when it says nothing
    /// readable. Never traps, whatever the number: the caller clamps it.
    package static func parse(_ value: String?, now: Int64) -> Duration? {
        guard let value = value?.trimmingWhitespace(), !value.isEmpty else { return nil }
        if let seconds = Int64(value) { return .seconds(seconds) }
        if value.first == "-" || value.allSatisfy(\.isNumber) { return value.first == "-" ? .zero : .seconds(Int64.max) }
        guard let date = parseHTTPDate(value) else { return nil }
        return .seconds(date - now)
    }

    /// Keeps a server's wait between `floor` (a `Retry-After: 0` must not turn retries into a
    /// flood) and `ceiling` (an absurd wait must not sleep for days). Says when it changed it.
    package static func clamp(_ wait: Duration, floor: Duration = .seconds(1), ceiling: Duration) -> (wait: Duration, note: String?) {
        if wait < floor { return (floor, "Retry-After below \(DurationText.format(floor)), waiting \(DurationText.format(floor))") }
        if wait > ceiling {
            return (ceiling, "Retry-After above the limit of \(DurationText.format(ceiling)) (retry.max_retry_after), waiting \(DurationText.format(ceiling))")
        }
        return (wait, nil)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// IMF-fixdate, the form RFC 9110 requires senders to use.
    static func parseHTTPDate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", parts[1].count <= 2, parts[3].count == 4,
            let day = Int64(parts[1]), (1...31).contains(day),
            let month = months.firstIndex(of: parts[2].lowercased()),
            let year = Int64(parts[3]), year >= 0
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { $0.count == 2 ? Int64($0) : nil }
        guard clock.count == 3, clock[0] < 24, clock[1] < 60, clock[2] <= 60 else { return nil }
        return Timestamp.unixSeconds(year: year, month: Int64(month + 1), day: day)
            + clock[0] * 3600 + clock[1] * 60 + clock[2]
    }
}
