import Logging

/// Log lines for people at a terminal or in a cron mail: `fsexport: warning: message`, to stderr.
struct CLILogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let interactive = Terminal.standardError.isInteractive

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let suffix = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let prefix = logLevel <= .debug ? "\(label): " : ""
        // On a terminal, a log line first clears a progress line that may be showing.
        let clear = Self.interactive ? "\r\u{1B}[2K" : ""
        Terminal.standardError.writeLine("\(clear)fsexport: \(event.level): \(prefix)\(event.message)\(suffix)")
    }
}
