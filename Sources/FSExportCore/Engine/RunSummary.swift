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
        let stages = stageTimes.sorted { $0.key < $1.key }.map { "\($0.key) \(DurationText.seconds($0.value))" }.joined(separator: ", ")
        return "\(bundles.count) bundle\(bundles.count == 1 ? "" : "s"), \(events) event\(events == 1 ? "" : "s"), \(ByteSizeText.format(downloadedBytes)) downloaded in \(DurationText.seconds(elapsed))"
            + (stages.isEmpty ? "" : " (stages: \(stages))")
    }
}
