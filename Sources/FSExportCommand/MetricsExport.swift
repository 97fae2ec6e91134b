import ArgumentParser
import Foundation
import FSExportCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// `run --metrics-file` and `run --follow --metrics-address`: the run's swift-metrics, kept in a
/// Prometheus registry, written for node_exporter's textfile collector or served at `/metrics`.
struct MetricsOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "After each run, write the metrics in Prometheus text format here, atomically (for node_exporter's textfile collector).",
        valueName: "path"))
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

/// The registry the metrics go to, bootstrapped once for the process.
enum MetricsExport {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Writes the registry's text, atomically.
    static func write(to path: String) throws {
        let (folder, name) = ConfinedRoot.holding(path)
        try folder.writeAtomically(Data(registry.emitToBuffer()), to: name)
    }
}

/// A minimal HTTP server for `/metrics`, on SwiftNIO; its lifetime is the caller's scope.
enum MetricsServer {
    static func withServing<T>(host: String, port: Int, logger: Logger, _ body: () async throws -> T) async throws -> T {
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
        let serving = Task {
            try? await channel.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections { group.addTask { await serve(connection) } }
                    } catch {}
                }
            }
        }
        defer {
            serving.cancel()
            channel.channel.close(promise: nil)
        }
        return try await body()
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var path = ""
            for try await part in inbound {
                switch part {
                case .head(let head): path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
                case .body: continue
                case .end:
                    let found = path == "/metrics"
                    let body = found ? MetricsExport.registry.emitToBuffer() : Array("not found: try /metrics\n".utf8)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
                    headers.add(name: "Content-Length", value: "\(body.count)")
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }
}
