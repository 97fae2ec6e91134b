import ArgumentParser
import Foundation
import FSExportClient
import FSExportCore
import SystemPackage

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print every event of every bundle as NDJSON on standard output, for jq and friends.",
        discussion: """
            Bundles are downloaded one at a time into a temporary folder and decoded while they \
            arrive (a broken transfer resumes where it stood, and decoding with it), then removed. \
            A bundle whose data turns out damaged ends the command with exit 6, saying that the \
            events already printed are incomplete. Nothing is recorded: use a pipeline for \
            incremental exports. Without --since, all bundles (with --from, from the pipeline's \
            start to its until).

            EXAMPLES
              fsexport events --since -2d | jq -c 'select(.EventType == "click")'
              fsexport events --simulate --until 2024-01-03 | wc -l
              fsexport events --from examples/replay-archive.fsexport.yml | wc -l
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Bundles whose Stop is after this time.", valueName: "time"))
    var since: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Only bundles whose Stop is not after this time.", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Folder for the temporary downloads.", valueName: "path"), completion: .directory)
    var spoolDir: String?

    @OptionGroup var source: SourceOptions

    @OptionGroup var global: GlobalOptions

    /// Not an option: `events` writes JSON already. Said plainly, where the parser would suggest --from.
    @Flag(help: .hidden) var json = false

    func validate() throws {
        if json { throw ValidationError("events writes JSON already, one event a line (NDJSON); for the bundle list as JSON, use fsexport list --json") }
        try validateWindow(since: since, until: until)
    }

    func run() async throws {
        let since = try parseTime(since, option: "--since")
        let until = try parseTime(until, option: "--until")
        let folder = spoolDir ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let (source, global) = (self.source, self.global)
        // Ctrl-C cancels the fetch, and StreamingFetch removes its files, as on every other path.
        try await cancellingOnSignal {
            try await reportingErrors(global.logger) {
                try await source.withSource(global) { source, pipeline in
                    let since = since ?? pipeline.start ?? 0, until = until ?? pipeline.until
                    let output = StandardOutputLines()
                    var found = 0
                    for try await bundle in source.bundles(after: since, until: until) {
                        found += 1
                        let path = "\(folder)/fsexport-events-\(getpid())-\(bundle.id)\(SpoolLayout.bundleSuffix)"  // removed by StreamingFetch
                        guard try await StreamingFetch(source: source, bundle: bundle, destination: path).print(to: output) else { return }
                    }
                    if found == 0 { global.logger.notice("\(RunSummary.nothingFinished(after: since, until: until))") }
                }
            }
        }
    }
}

/// NDJSON lines to standard output: each event and a newline, handed to the kernel straight from
/// the batch in vectored writes, with no copy here. Returns false once the reader has gone.
final class StandardOutputLines {
    /// The most vectors one `writev` takes (IOV_MAX on Linux): 512 events.
    private static let vectorLimit = 1024
    private let newline: UnsafeMutablePointer<UInt8>
    private var vectors: [iovec] = []

    init() {
        newline = .allocate(capacity: 1)
        newline.initialize(to: 0x0A)
        vectors.reserveCapacity(Self.vectorLimit)
    }

    deinit { newline.deallocate() }

    func write(_ batch: EventBatch) -> Bool {
        batch.bytes.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return true }
            for range in batch.ranges {
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base + range.lowerBound), iov_len: range.count))
                vectors.append(iovec(iov_base: newline, iov_len: 1))
                if vectors.count == Self.vectorLimit, !writeVectors() { return false }
            }
            return writeVectors()
        }
    }

    /// Writes every vector, however the kernel splits the writes; false on a failure (EPIPE:
    /// `head` or `jq` stopped reading).
    private func writeVectors() -> Bool {
        defer { vectors.removeAll(keepingCapacity: true) }
        var first = 0
        while first < vectors.count {
            let written = vectors[first...].withUnsafeBufferPointer { writev(STDOUT_FILENO, $0.baseAddress, Int32($0.count)) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            var rest = written
            while first < vectors.count, rest >= vectors[first].iov_len {
                rest -= vectors[first].iov_len
                first += 1
            }
            if rest > 0 {
                vectors[first].iov_base += rest
                vectors[first].iov_len -= rest
            }
        }
        return true
    }
}
