import ArgumentParser
import FSExportSimulator
import Foundation

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a local stand-in for the export API, with generated bundles and optional faults.",
        discussion: """
            Serves LIST and GET like export.fullstory.com, with Basic auth, the rate limit (429 and \
            Retry-After), byte ranges and the faults you ask for. Point any command at it with \
            --base-url and the key it prints. Stop it with Ctrl-C.

            EXAMPLES
              fsexport simulate --port 8080
              fsexport simulate --fault reset:0.2 --fault 503@list:1:2
              FULLSTORY_API_KEY=simulator-key fsexport list --base-url http://127.0.0.1:8080
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "The API key the simulator accepts.")
    var key = "simulator-key"

    @OptionGroup var shape: SimulatorOptions

    @Flag(name: .shortAndLong, help: "Log every request.")
    var verbose = false

    func run() async throws {
        var configuration = try shape.configuration(host: host, port: port)
        configuration.apiKey = key
        let simulator = try await ExportSimulator.start(configuration)
        Terminal.standardOutput.writeLine(simulator.baseURL)
        Terminal.standardError.writeLine(
            "fsexport: simulating the export API at \(simulator.baseURL) with \(configuration.dataset.bundleCount) bundles; "
                + "key '\(key)', standard (403) key 'standard-key'. Ctrl-C stops.")
        let (stopped, stop) = AsyncStream.makeStream(of: Int32.self)
        let relay = SignalRelay { signal, _ in stop.yield(signal) }
        defer { relay.cancel() }
        for await _ in stopped { break }
        await simulator.shutdown()
    }
}
