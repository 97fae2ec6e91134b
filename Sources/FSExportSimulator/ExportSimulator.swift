import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A stand-in for the Fullstory export API on loopback: LIST and GET with query or JSON-body
/// parameters, Basic auth, the rate limit, byte ranges, and injectable faults.
///
/// ```swift
/// let simulator = try await ExportSimulator.start(SimulatorConfiguration(port: 0))
/// defer { Task { await simulator.shutdown() } }
/// print(simulator.baseURL)   // http://127.0.0.1:54321
/// ```
public final class ExportSimulator: Sendable {
    public let configuration: SimulatorConfiguration
    /// The bound port (useful when the configuration asked for 0).
    public let port: Int
    private let serverChannel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let state: SimulatorState
    private let store: BundleStore
    private let serving: Task<Void, Never>

    /// The base URL clients should use, e.g. `http://127.0.0.1:54321`.
    public var baseURL: String { "http://\(configuration.host):\(port)" }

    /// Every request served so far, oldest first.
    public var requests: [SimulatorRequestRecord] {
        get async { await state.records }
    }

    public static func start(_ configuration: SimulatorConfiguration = SimulatorConfiguration(), logger: Logger = Logger(label: "fsexport.simulator")) async throws -> ExportSimulator {
        let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError {
            throw SimulatorError.cannotListen(host: configuration.host, port: configuration.port, errno: error.errnoCode)
        }
        return try ExportSimulator(configuration: configuration, channel: channel, logger: logger)
    }

    private init(
        configuration: SimulatorConfiguration,
        channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.serverChannel = channel
        self.port = channel.channel.localAddress?.port ?? configuration.port
        let state = SimulatorState(configuration: configuration)
        let store = try BundleStore(configuration: configuration)
        self.state = state
        self.store = store
        let handler = RequestHandler(configuration: configuration, state: state, store: store, logger: logger)
        serving = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await channel.executeThenClose { connections in
                        var accepted = 0
                        for try await connection in connections {
                            accepted += 1
                            group.addTask { [accepted] in await handler.serve(connection, number: accepted) }
                        }
                    }
                } catch {
                    logger.debug("simulator stopped accepting: \(error)")
                }
                group.cancelAll()
            }
        }
    }

    /// Replaces the fault rules (and restarts their request counts), for tests that change faults midway.
    public func setFaults(_ rules: [FaultRule]) async {
        await state.setFaults(rules)
    }

    /// Waits until the simulator stops (for `fsexport simulate`).
    public func wait() async {
        await serving.value
    }

    /// Stops accepting, ends open connections and removes generated bundles.
    public func shutdown() async {
        try? await serverChannel.channel.close()
        serving.cancel()
        await serving.value
        await store.removeAll()
    }
}

extension ExportSimulator {
    /// Starts a simulator, runs `body` with it, and shuts it down however `body` ends.
    ///
    /// ```swift
    /// let bundles = try await ExportSimulator.withRunning(SimulatorConfiguration(rateLimit: nil)) { simulator in
    ///     try await client(for: simulator).listPage(start: 0)
    /// }
    /// ```
    public static func withRunning<T>(
        _ configuration: SimulatorConfiguration = SimulatorConfiguration(), logger: Logger = Logger(label: "fsexport.simulator"),
        _ body: (ExportSimulator) async throws -> T
    ) async throws -> T {
        let simulator = try await start(configuration, logger: logger)
        do {
            let result = try await body(simulator)
            await simulator.shutdown()
            return result
        } catch {
            await simulator.shutdown()
            throw error
        }
    }
}
