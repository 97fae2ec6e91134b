/// What a run did, for the summary line and for tests.
public struct RunSummary: Sendable {
    public var bundles: [Int64] = []
    /// The Stop of the last bundle delivered.
    public var lastStop: Int64?
    public var events = 0
    public var downloadedBytes: Int64 = 0
    public var stageTimes: [String: Duration] = [:]
    public var elapsed: Duration = .zero
    /// True when a stop was requested and the run ended early, with the state consistent.
    public var stoppedEarly = false
    /// Bundles available but younger than `settle`, left for a later run, and when the first of
    /// them will be old enough (unix seconds).
    public var settling: (count: Int, readyAt: Int64?) = (0, nil)
    /// Where the listing started: what "nothing new" is after.
    public var listedAfter: Int64?
    /// The newest bundle delivered, when the listing started after it (from the state file).
    public var newestDelivered: Int64?
    /// How long a finished bundle waits before a run takes it.
    public var settle: Duration = .zero
    /// Whether the bundles were decoded into events (a pipeline of raw files counts none).
    public var countsEvents = true
    /// How the bytes came: `downloaded`, or `read` from a folder.
    public var fetchVerb = "downloaded"

    /// Counts a delivered bundle, and its stages' times in the metrics too.
    mutating func add(_ bundle: ExportBundle, file: DownloadedBundle, outcome: BundleDelivery.Outcome) {
        bundles.append(bundle.id)
        lastStop = bundle.stop
        events += outcome.events
        downloadedBytes += file.byteCount
        for (stage, time) in outcome.stageTimes {
            stageTimes[stage, default: .zero] += time
            ExportMetrics.stage(stage, took: time)
        }
        ExportMetrics.delivered(events: outcome.events, bytes: file.byteCount)
    }

    public var description: String {
        let took = " in \(DurationText.seconds(elapsed))"
        guard !bundles.isEmpty else { return nothingNew }
        let stages = stageTimes.sorted { $0.key < $1.key }.map { "\($0.key) \(DurationText.seconds($0.value))" }.joined(separator: ", ")
        let counted = countsEvents ? ", \(events) event\(events == 1 ? "" : "s")" : ""
        return "\(bundles.count) bundle\(bundles.count == 1 ? "" : "s")\(counted), \(ByteSizeText.format(downloadedBytes)) \(fetchVerb)\(took)"
            + (stages.isEmpty ? "" : " (stages: \(stages))")
    }

    /// A run with nothing to deliver: after what, and what settle holds back.
    private var nothingNew: String {
        var text = "nothing new" + (listedAfter.map { ": " + Self.nothingFinished(after: $0, until: nil) } ?? "")
        if let newestDelivered { text += " (the newest delivered is bundle \(newestDelivered))" }
        if settling.count > 0, let ready = settling.readyAt {
            text += "; \(settling.count) held back by settle, the first ready at \(Timestamp.iso8601(ready))"
        } else if settle > .zero {
            text += "; a bundle is taken once settle (\(DurationText.format(settle))) has passed after its end"
        }
        return text
    }

    /// An empty window in words, for a run's last line and for `events` and `list`.
    public static func nothingFinished(after start: Int64, until end: Int64?) -> String {
        "no finished bundle ends after \(Timestamp.iso8601(start))" + (end.map { " and by \(Timestamp.iso8601($0))" } ?? "")
    }
}
