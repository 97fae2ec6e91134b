import FSExportArchive
import FSExportClient
import FSExportCore
import Yams

/// Checks the values of the `source` section that a run reads (times, durations, sizes), at
/// load time, so that `validate` refuses what every run would fail, at the value's line and column.
struct SourceCheck {
    let session: DecodingSession
    let node: Node

    func check(_ source: SourceSettings) {
        time(source.start, ["start"])
        time(source.until, ["until"])
        duration(source.settle, ["settle"])
        duration(source.retry?.maxTime, ["retry", "max_time"])
        duration(source.retry?.maxRetryAfter, ["retry", "max_retry_after"])
        duration(source.timeouts?.connect, ["timeouts", "connect"])
        duration(source.timeouts?.stall, ["timeouts", "stall"])
        size(source.timeouts?.minSpeed, ["timeouts", "min_speed"], per: "/s")
        size(source.maxEventSize, ["max_event_size"], per: "")
        switch source.type ?? "api" {
        case "api":
            for (key, value) in [("path", source.path), ("pattern", source.pattern)] where value != nil {
                session.error("\(key) belongs to a directory source; add 'type: directory', or remove it", at: mark([key]))
            }
        case "directory":
            if source.path == nil { session.error("a directory source needs 'path': the folder of its bundle files", at: mark(["type"])) }
            do { _ = try DirectorySource(root: "", pattern: source.pattern) } catch { session.error("\(error)", at: mark(["pattern"])) }
        case let other: session.error("source type must be api or directory, not '\(other)'\(Suggestion.didYouMean(other, in: ["api", "directory"]))", at: mark(["type"]))
        }
        if let method = source.method, RequestMethod(rawValue: method.lowercased()) == nil {
            session.error("method must be get or post, not '\(method)'", at: mark(["method"]))
        }
        if let burst = source.rateLimit?.burst, burst < 1 { session.error("burst must be at least 1", at: mark(["rate_limit", "burst"])) }
        if let rate = source.rateLimit?.perMinute, !(rate > 0 && rate.isFinite) {
            session.error("per_minute must be above 0", at: mark(["rate_limit", "per_minute"]))
        }
        if let attempts = source.retry?.maxAttempts, attempts < 1 { session.error("max_attempts must be at least 1", at: mark(["retry", "max_attempts"])) }
    }

    /// A relative time is checked for its form; its value is the run's (from the middle of the
    /// valid range, so that no relative time a run could accept is refused here).
    private func time(_ text: String?, _ path: [String]) {
        guard let text, isResolved(path) else { return }
        do { _ = try Timestamp.parse(text, now: Timestamp.validRange.upperBound / 2) } catch { session.error("\(path.last!): \(error)", at: mark(path)) }
    }

    private func duration(_ text: String?, _ path: [String]) {
        guard let text, isResolved(path) else { return }
        do { _ = try DurationText.parse(text) } catch { session.error("\(path.joined(separator: ".")): \(error)", at: mark(path)) }
    }

    private func size(_ text: String?, _ path: [String], per suffix: String) {
        guard let text, isResolved(path) else { return }
        do { _ = try ByteSizeText.parse(text.hasSuffix(suffix) ? String(text.dropLast(suffix.count)) : text) } catch {
            session.error("\(path.joined(separator: ".")): \(error)", at: mark(path))
        }
    }

    /// Whether the value at `path` has all its variables (one that has not was reported already).
    private func isResolved(_ path: [String]) -> Bool {
        !session.unresolved.contains(DecodingSession.MarkKey(mark(path)))
    }

    /// Where the value at `path` is written.
    private func mark(_ path: [String]) -> Mark? {
        var current = node
        for key in path {
            guard case .mapping(let mapping) = current, let value = mapping.first(where: { $0.key.string == key })?.value else { return current.mark }
            current = value
        }
        return current.mark
    }
}
