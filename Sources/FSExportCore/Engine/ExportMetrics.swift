import Metrics

/// What a run records through swift-metrics, for whatever backend the program bootstraps (the
/// command line's is Prometheus: `run --metrics-file`, `--metrics-address`). Names follow
/// Prometheus conventions: `_total` counters, `_seconds` durations.
package enum ExportMetrics {
    /// Every series fsexport records, with what it means: the `# HELP` of the exposition, and
    /// docs/operations.md's table.
    package static let help: [String: String] = [
        "fsexport_bundles_delivered_total": "Bundles delivered and committed by every stage.",
        "fsexport_events_delivered_total": "Events in the bundles delivered.",
        "fsexport_bytes_downloaded_total": "Bytes of the bundles delivered, as downloaded (compressed).",
        "fsexport_retries_total": "Calls retried, by reason (http_503, http_429, timeout, reset, stalled, damaged, round, ...).",
        "fsexport_stage_failures_total": "Bundles a stage failed to deliver or commit (none of them was recorded as delivered).",
        "fsexport_stage_duration_seconds": "Time a stage took to deliver and commit one bundle.",
        "fsexport_checkpoint_lag_seconds": "Now less the Stop of the last bundle the state file records as delivered.",
        "fsexport_last_success_timestamp_seconds": "When a run last ended with everything available delivered (unix seconds).",
        "fsexport_last_run_timestamp_seconds": "When the last run ended, successful or not (unix seconds).",
        "fsexport_last_run_success": "1 when the last run succeeded, 0 when it failed.",
    ]

    package static func delivered(events: Int, bytes: Int64) {
        Counter(label: "fsexport_bundles_delivered_total").increment()
        Counter(label: "fsexport_events_delivered_total").increment(by: events)
        Counter(label: "fsexport_bytes_downloaded_total").increment(by: bytes)
    }

    package static func stage(_ stage: String, took duration: Duration) {
        Metrics.Timer(label: "fsexport_stage_duration_seconds", dimensions: [("stage", stage)]).recordNanoseconds(
            Int64(duration / .nanoseconds(1)))
    }

    /// Every series a run may record exists from the start, at 0, so that an idle night writes
    /// them too and alerts on their rate work.
    package static func prepare(stages: [Stage]) {
        for name in ["fsexport_bundles_delivered_total", "fsexport_events_delivered_total", "fsexport_bytes_downloaded_total"] {
            _ = Counter(label: name)
        }
        for stage in stages {
            _ = Counter(label: "fsexport_stage_failures_total", dimensions: [("stage", stage.name)])
            _ = Metrics.Timer(label: "fsexport_stage_duration_seconds", dimensions: [("stage", stage.name)])
        }
    }

    package static func stageFailed(_ stage: String) {
        Counter(label: "fsexport_stage_failures_total", dimensions: [("stage", stage)]).increment()
    }

    /// How far behind the data is: now less the Stop of the last bundle delivered.
    package static func checkpoint(stop: Int64, now: Int64) {
        Gauge(label: "fsexport_checkpoint_lag_seconds").record(Double(now - stop))
    }

    package static func succeeded(at time: Int64) {
        Gauge(label: "fsexport_last_success_timestamp_seconds").record(Double(time))
    }
}
