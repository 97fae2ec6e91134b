import Metrics
import FSExportCore
import Prometheus
import Synchronization

/// swift-metrics into a Prometheus registry, for one pipeline: every series carries the label
/// `pipeline` (so that several pipelines share one textfile collector folder), its `# HELP` from
/// ``ExportMetrics/help``, and each counter's running total is kept, so that it can be saved
/// beside the state file and the next run's counters go on from it (``MetricsTotals``).
final class PipelineMetricsFactory: MetricsFactory, Sendable {
    let registry: PrometheusCollectorRegistry
    let pipeline: String
    private let totals = Mutex<[MetricsTotals.Series: Int64]>([:])

    /// Stage durations from 10 ms to 30 min.
    private static let durationBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(300), .seconds(1800),
    ]

    init(registry: PrometheusCollectorRegistry, pipeline: String) {
        self.registry = registry
        self.pipeline = pipeline
    }

    /// Every counter's total so far, this process's and what it went on from.
    var counterTotals: [MetricsTotals.Series: Int64] { totals.withLock { $0 } }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: ExportMetrics.help[label] ?? "")
    }

    private func labels(_ dimensions: [(String, String)]) -> [(String, String)] {
        dimensions.filter { $0.0 != "pipeline" } + [("pipeline", pipeline)]
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CoreMetrics.CounterHandler {
        let series = MetricsTotals.Series(name: label, labels: Dictionary(dimensions, uniquingKeysWith: { first, _ in first }))
        totals.withLock { _ = $0[series, default: 0] }
        return TotalledCounter(counter: registry.makeCounter(descriptor: descriptor(label), labels: labels(dimensions)), series: series, factory: self)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: labels(dimensions))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: labels(dimensions))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: labels(dimensions))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: labels(dimensions), buckets: Self.durationBuckets)
    }

    // The series live as long as the process: a run's handles come and go, its totals stay.
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    fileprivate func add(_ amount: Int64, to series: MetricsTotals.Series) {
        totals.withLock { $0[series, default: 0] += amount }
    }
}

/// A Prometheus counter that also adds to the factory's running total of its series.
private final class TotalledCounter: CounterHandler, Sendable {
    let counter: Prometheus.Counter
    let series: MetricsTotals.Series
    let factory: PipelineMetricsFactory

    init(counter: Prometheus.Counter, series: MetricsTotals.Series, factory: PipelineMetricsFactory) {
        self.counter = counter
        self.series = series
        self.factory = factory
    }

    func increment(by amount: Int64) {
        counter.increment(by: amount)
        factory.add(amount, to: series)
    }

    func reset() {}  // counters only go up; Prometheus reads a drop as a restart
}
