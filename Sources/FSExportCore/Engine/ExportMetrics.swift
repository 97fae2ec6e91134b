import Metrics

/// What a run records through swift-metrics, for whatever backend the program bootstraps (the
/// command line's is Prometheus: `run --metrics-file`, `--metrics-address`). Names follow
/// Prometheus conventions: `_total` counters, `_seconds` durations.
enum ExportMetrics {
    static func delivered(events: Int, bytes: Int64) {
        Counter(label: "fsexport_bundles_delivered_total").increment()
        Counter(label: "fsexport_events_delivered_total").increment(by: events)
        Counter(label: "fsexport_bytes_downloaded_total").increment(by: bytes)
    }

    static func stage(_ stage: String, took duration: Duration) {
        Metrics.Timer(label: "fsexport_stage_duration_seconds", dimensions: [("stage", stage)]).recordNanoseconds(
            Int64(duration / .nanoseconds(1)))
    }

    /// Every stage's failure counter exists from the start, at 0, so that alerts on its rate work.
    static func prepare(stages: [Stage]) {
        for stage in stages { _ = Counter(label: "fsexport_stage_failures_total", dimensions: [("stage", stage.name)]) }
    }

    static func stageFailed(_ stage: String) {
        Counter(label: "fsexport_stage_failures_total", dimensions: [("stage", stage)]).increment()
    }

    /// How far behind the data is: now less the Stop of the last bundle delivered.
    static func checkpoint(stop: Int64, now: Int64) {
        Gauge(label: "fsexport_checkpoint_lag_seconds").record(Double(now - stop))
    }

    static func succeeded(at time: Int64) {
        Gauge(label: "fsexport_last_success_timestamp_seconds").record(Double(time))
    }
}
