import ArgumentParser
import FSExportSimulator
import Foundation

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a local stand-in for the export APIs, with generated bundles and optional faults.",
        discussion: """
            Serves LIST and GET like export.fullstory.com, with Basic auth, the rate limit (429 and \
            Retry-After), byte ranges and the faults you ask for. Point any command at it with \
            --base-url and the key it prints. Stop it with Ctrl-C.

            It serves the Segment Export API too, from the same events: POST /segments/v1/exports, \
            GET /operations/v1/ID (RUNNING, then COMPLETED), GET /search/v1/exports/ID/results, \
            and a storage host at /storage/ that, like cloud storage, refuses a download that \
            carries an Authorization header.

            EXAMPLES
              fsexport simulate --port 8080
              fsexport simulate --fault reset:0.2 --fault 503@list:1:2
              fsexport simulate --export-polls 30 --fault failed:1 --fault expired:1
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
        // Listening for Ctrl-C before the address is printed: a script that waits for the address
        // and then interrupts can count on the interrupt being heard.
        let (stopped, stop) = AsyncStream.makeStream(of: Int32.self)
        let relay = await SignalRelay.start { signal, _ in stop.yield(signal) }
        defer { relay.cancel() }
        var started: ExportSimulator?
        try await reportingErrors(try makeLogger(verbose: false, quiet: false)) { started = try await ExportSimulator.start(configuration) }
        guard let simulator = started else { return }
        Terminal.standardOutput.writeLine(simulator.baseURL)
        Terminal.standardError.writeLine(
            "fsexport: simulating the export API at \(simulator.baseURL) with \(configuration.dataset.bundleCount) bundles; "
                + "key '\(key)', standard (403) key 'standard-key'. Ctrl-C stops.")
        for await _ in stopped { break }
        await simulator.shutdown()
    }
}
