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

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let suffix = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let prefix = logLevel <= .debug ? "\(label): " : ""
        Terminal.standardError.writeLine("fsexport: \(event.level): \(prefix)\(event.message)\(suffix)")
    }
}
