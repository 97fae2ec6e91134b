import FSExportArchive
import FSExportClient
import FSExportCore
import Yams

/// Checks the values of the `source` section that a run reads (times, durations, sizes), at
/// load time, so that `validate` refuses what every run would fail, at the value's line and column.
struct SourceCheck {
    let session: DecodingSession
    let node: Node
    /// Where relative paths are resolved: the pipeline file's folder.
    var baseDirectory = ""
    /// What the machine has (a directory source's folder): an error for `validate`, a warning at
    /// build time (not the machine that runs the pipeline), unchecked for a run, which fails on
    /// it itself (exit 1, naming the folder).
    var machine: Diagnostic.Severity? = .error

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
        let segmentKeys: [(String, Any?)] = [
            ("segment", source.segment), ("export_type", source.exportType), ("format", source.format), ("window", source.window),
            ("fields", source.fields), ("scope", source.scope), ("timezone", source.timezone), ("poll_interval", source.pollInterval),
            ("poll_timeout", source.pollTimeout),
        ]
        let directoryKeys: [(String, Any?)] = [("path", source.path), ("pattern", source.pattern)]
        switch source.type ?? "api" {
        case "api":
            misplaced(directoryKeys, belongTo: "directory")
            misplaced(segmentKeys, belongTo: "segments")
        case "directory":
            misplaced(segmentKeys, belongTo: "segments")
            if source.path == nil { session.error("a directory source needs 'path': the folder of its bundle files", at: mark(["type"])) }
            do { _ = try DirectorySource(root: "", pattern: source.pattern) } catch { session.error("\(error)", at: mark(["pattern"])) }
            if let path = source.path, machine != nil, isResolved(["path"]) {
                do {
                    try DirectorySource.checkFolder(SinkContext.resolve(path, against: baseDirectory))
                } catch {
                    if machine == .error { session.error("\(error)", at: mark(["path"])) }
                    if machine == .warning { session.warning("\(error)", at: mark(["path"])) }
                }
            }
        case "segments":
            misplaced(directoryKeys, belongTo: "directory")
            checkSegments(source)
        case let other:
            let types = ["api", "directory", "segments"]
            session.error("source type must be api, directory or segments, not '\(other)'\(Suggestion.didYouMean(other, in: types))", at: mark(["type"]))
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

    private func misplaced(_ keys: [(String, Any?)], belongTo type: String) {
        for (key, value) in keys where value != nil {
            session.error("\(key) belongs to a \(type) source; add 'type: \(type)', or remove it", at: mark([key]))
        }
    }

    private func checkSegments(_ source: SourceSettings) {
        if source.segment == nil { session.error("a segments source needs 'segment': a saved segment's id, or everyone", at: mark(["type"])) }
        if source.start == nil {
            session.error("a segments source needs 'start': where its first window begins (e.g. 2024-01-01 or -30d)", at: mark(["type"]))
        }
        if source.method != nil { session.error("method belongs to an api source: the Segment Export API takes JSON bodies", at: mark(["method"])) }
        choice(source.exportType, ["export_type"], SegmentExportSettings.Kind.allCases.map(\.rawValue))
        choice(source.format, ["format"], SegmentExportSettings.Format.allCases.map(\.rawValue))
        duration(source.pollInterval, ["poll_interval"])
        duration(source.pollTimeout, ["poll_timeout"])
        if let text = source.pollInterval, isResolved(["poll_interval"]), let interval = try? DurationText.parse(text),
            interval < SegmentExportSettings.minimumPollInterval
        {
            session.error("poll_interval must be at least 1s, not \(text): each look at a running export is a call to the API", at: mark(["poll_interval"]))
        }
        if let text = source.pollTimeout, isResolved(["poll_timeout"]), let timeout = try? DurationText.parse(text), timeout <= .zero {
            session.error("poll_timeout must be above 0", at: mark(["poll_timeout"]))
        }
        if let window = source.window, isResolved(["window"]) {
            do {
                _ = try SegmentSourceSettings.window(window)
            } catch {
                session.error("window: \(error)", at: mark(["window"]))
            }
        }
        if let segment = source.segment, isResolved(["segment"]) {
            do { try SegmentExportSettings(segment: segment).validate() } catch { session.error("\(error)", at: mark(["segment"])) }
        }
    }

    /// A CSV export has no events: a stage that reads the source's events cannot take it.
    func checkStages(_ source: SourceSettings, _ stages: [Stage]) {
        guard source.type == "segments", source.format == "csv" else { return }
        for stage in stages where stage.inputs.contains(.source) && stage.sink.reads == .events {
            session.error(
                "stage '\(stage.name)' reads events, but a csv export holds none: use format json or ndjson, or stages that read files",
                at: mark(["format"]))
        }
    }

    private func choice(_ value: String?, _ path: [String], _ allowed: [String]) {
        guard let value, isResolved(path), !allowed.contains(value) else { return }
        session.error(
            "\(path.last!) must be one of \(allowed.joined(separator: ", ")), not '\(value)'\(Suggestion.didYouMean(value, in: allowed))", at: mark(path))
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
