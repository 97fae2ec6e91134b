import ArgumentParser
import Foundation
import FSExportCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import Synchronization

/// `run --metrics-file` and `run --follow --metrics-address`: the run's swift-metrics, kept in a
/// Prometheus registry, written for node_exporter's textfile collector or served at `/metrics`.
struct MetricsOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "After each run, write the metrics in Prometheus text format here, atomically (for node_exporter's textfile collector).",
        valueName: "path"), completion: .file(extensions: ["prom"]))
    var metricsFile: String?

    @Option(help: ArgumentHelp("With --follow, serve the metrics at http://HOST:PORT/metrics (port 0 picks a free one).", valueName: "host:port"))
    var metricsAddress: String?

    var enabled: Bool { metricsFile != nil || metricsAddress != nil }

    func address() throws -> (host: String, port: Int)? {
        guard let metricsAddress else { return nil }
        guard let colon = metricsAddress.lastIndex(of: ":"), let port = Int(metricsAddress[metricsAddress.index(after: colon)...]),
            (0...65_535).contains(port), colon > metricsAddress.startIndex
        else { throw ValidationError("--metrics-address must be HOST:PORT, such as 127.0.0.1:9464, not '\(metricsAddress)'") }
        return (String(metricsAddress[..<colon]), port)
    }
}

/// The metrics of one pipeline's runs in this process: swift-metrics bootstrapped into a
/// Prometheus registry (``PipelineMetricsFactory``), counters that go on from the totals saved
/// beside the state file, and after each run the series a staleness alert needs, whether the run
/// succeeded or not: when the pipeline last succeeded, the lag of the state file, the last run's
/// outcome. Written for node_exporter's textfile collector, or served at `/metrics`.
final class PipelineMetrics: Sendable {
    let factory: PipelineMetricsFactory
    let totalsPath: String
    private let totals: Mutex<MetricsTotals>

    /// swift-metrics takes one factory a process: the first pipeline's.
    private static let bootstrapped = Mutex<PipelineMetricsFactory?>(nil)

    /// Starts the metrics of the pipeline whose state file is at `statePath`, its counters going on
    /// from their saved totals.
    init(pipeline: String, statePath: String, logger: Logger) {
        factory = Self.bootstrapped.withLock { factory in
            if let factory { return factory }
            let made = PipelineMetricsFactory(registry: PrometheusCollectorRegistry(), pipeline: pipeline)
            MetricsSystem.bootstrap(made)
            factory = made
            return made
        }
        totalsPath = MetricsTotals.path(beside: statePath)
        let saved = MetricsTotals.load(from: totalsPath) { logger.warning("\($0)") }
        totals = Mutex(saved)
        for count in saved.counters where count.value > 0 {
            Counter(label: count.series.name, dimensions: count.series.labels.sorted { $0.key < $1.key }).increment(by: count.value)
        }
        recordLastRun(saved)
    }

    /// After a run, successful or not: the gauges it may not have reached, saved totals, and the
    /// textfile when one is asked for. `checkpointStop` is the state file's, read after the run.
    func finishRun(succeeded: Bool, checkpointStop: Int64?, now: Int64, metricsFile: String?, logger: Logger) {
        let current = totals.withLock { totals in
            totals.counters = factory.counterTotals.sorted { ($0.key.name, $0.key.labels.description) < ($1.key.name, $1.key.labels.description) }
                .map { MetricsTotals.Count(series: $0.key, value: $0.value) }
            totals.lastRun = now
            totals.lastRunSucceeded = succeeded
            if succeeded { totals.lastSuccess = now }
            return totals
        }
        recordLastRun(current)
        if let checkpointStop { Gauge(label: "fsexport_checkpoint_lag_seconds").record(Double(now - checkpointStop)) }
        do { try current.save(to: totalsPath) } catch { logger.warning("cannot save the metrics totals: \(error)") }
        if let metricsFile {
            do {
                let (folder, name) = ConfinedRoot.holding(metricsFile)
                try folder.writeAtomically(Data(exposition()), to: name)
            } catch {
                logger.warning("cannot write the metrics file: \(error)")  // said; it does not fail the delivery
            }
        }
    }

    private func recordLastRun(_ totals: MetricsTotals) {
        if let lastSuccess = totals.lastSuccess { Gauge(label: "fsexport_last_success_timestamp_seconds").record(Double(lastSuccess)) }
        if let lastRun = totals.lastRun { Gauge(label: "fsexport_last_run_timestamp_seconds").record(Double(lastRun)) }
        if let succeeded = totals.lastRunSucceeded { Gauge(label: "fsexport_last_run_success").record(succeeded ? 1 : 0) }
    }

    /// The Prometheus text of every series.
    func exposition() -> [UInt8] { factory.registry.emitToBuffer() }

    /// For `/healthz`: whether the last run succeeded, in words.
    var health: (healthy: Bool, text: String) {
        let totals = totals.withLock { $0 }
        switch totals.lastRunSucceeded {
        case nil: return (true, "no run has ended yet\n")
        case true?: return (true, "ok: the last run succeeded at \(Timestamp.iso8601(totals.lastRun ?? 0))\n")
        case false?:
            let since = totals.lastSuccess.map { "; the last success was at \(Timestamp.iso8601($0))" } ?? "; no run has succeeded yet"
            return (false, "failing: the last run, at \(Timestamp.iso8601(totals.lastRun ?? 0)), failed\(since)\n")
        }
    }
}

/// A minimal HTTP server for `/metrics`, on SwiftNIO; its lifetime is the caller's scope.
enum MetricsServer {
    static func withServing<T>(host: String, port: Int, metrics: PipelineMetrics, logger: Logger, _ body: () async throws -> T) async throws -> T {
        let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError {
            throw ValidationError("--metrics-address \(host):\(port): cannot listen (\(String(cString: strerror(error.errnoCode)).lowercased()))")
        }
        logger.info("serving metrics at http://\(host):\(channel.channel.localAddress?.port ?? port)/metrics")
        // The server is a child of this scope: leaving it closes the listening socket and cancels
        // the connections being answered (an idle client's included), and waits for them to end.
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask {
                try? await channel.executeThenClose { connections in
                    await withDiscardingTaskGroup { connectionGroup in
                        do {
                            for try await connection in connections { connectionGroup.addTask { await serve(connection, metrics: metrics) } }
                        } catch {}
                    }
                }
            }
            defer {
                group.cancelAll()
                channel.channel.close(promise: nil)
            }
            return try await body()
        }
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, metrics: PipelineMetrics) async {
        try? await connection.executeThenClose { inbound, outbound in
            var path = ""
            for try await part in inbound {
                switch part {
                case .head(let head): path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
                case .body: continue
                case .end:
                    let (status, type, body) = answer(path, metrics: metrics)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: type)
                    headers.add(name: "Content-Length", value: "\(body.count)")
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }

    /// `/metrics`: the exposition; `/healthz`: 200 while the last run succeeded, 503 once one failed.
    private static func answer(_ path: String, metrics: PipelineMetrics) -> (HTTPResponseStatus, String, [UInt8]) {
        switch path {
        case "/metrics": return (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.exposition())
        case "/healthz":
            let health = metrics.health
            return (health.healthy ? .ok : .serviceUnavailable, "text/plain; charset=utf-8", Array(health.text.utf8))
        default: return (.notFound, "text/plain", Array("not found: try /metrics or /healthz\n".utf8))
        }
    }
}
