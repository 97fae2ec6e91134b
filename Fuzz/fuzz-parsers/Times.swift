import FSExportHTTP
import FSExportCore
import FuzzDriver

/// Times, durations, sizes and Retry-After headers: any text is read or refused; what is read is
/// in range and formats back; a server's wait is clamped; nothing traps, however large.
func fuzzTimes(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    if let time = try? Timestamp.parse(text, now: 1_700_000_000) {
        FuzzDriver.require(Timestamp.validRange.contains(time), "time \(time) from \(text)")
        FuzzDriver.require((try? Timestamp.parse(Timestamp.iso8601(time), now: 0)) == time, "\(time) does not format back")
    }
    if let duration = try? DurationText.parse(text) {
        FuzzDriver.require(duration >= .zero && duration <= .seconds(10 * 365 * 86_400), "duration \(duration) from \(text)")
        _ = DurationText.format(duration)
    }
    if let size = try? ByteSizeText.parse(text) { FuzzDriver.require(size > 0 && size <= 1 << 40, "size \(size) from \(text)") }
    if let wait = RetryAfter.parse(text, now: 1_700_000_000) {
        let clamped = RetryAfter.clamp(wait, ceiling: .seconds(3600)).wait
        FuzzDriver.require(clamped >= .seconds(1) && clamped <= .seconds(3600), "wait \(clamped) from \(text)")
    }
}
