import Foundation
import Logging

/// fsexport's log lines, for people and for machines, on standard error: what the command line
/// uses, and what a program embedding the library can bootstrap swift-log with.
///
/// - `text` on a terminal: `fsexport: warning: message key=value`, where the keys are the logger's
///   own metadata (the context: `stage`, `bundle_id`); a line's own metadata repeats its message as
///   data, and shows in JSON only.
/// - `text` elsewhere (cron mail, systemd's journal, a file): the same, after an RFC 3339 UTC time.
/// - `json`: one object a line, `{"ts":…,"level":…,"message":…}` plus the metadata as fields
///   (`bundle_id`, `stage`, `attempt`, `wait_s`, `status`…); numbers stay numbers.
///
/// ```swift
/// LoggingSystem.bootstrap { _ in FSExportLogHandler(format: .json, logLevel: .info) }
/// ```
public struct FSExportLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public let format: Format
    /// Whether text lines start with their time (by default, when standard error is not a terminal).
    public let timestamps: Bool
    private let interactive: Bool
    /// Unix seconds, with their fraction, for each line's time.
    private let clock: @Sendable () -> Double

    /// `clock` is the machine's time unless a program (or a test) gives its own.
    public init(
        format: Format = .text, logLevel: Logger.Level = .info, timestamps: Bool? = nil,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.format = format
        self.logLevel = logLevel
        self.clock = clock
        interactive = isatty(STDERR_FILENO) == 1
        self.timestamps = timestamps ?? !interactive
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Every line, whatever its format and level, has every secret redacted: a message may carry
    /// what a server or a program sent back. Text lines also have control characters escaped, so
    /// that nothing a line carries can forge another line or drive the terminal.
    public func log(event: LogEvent) {
        let line =
            switch format {
            case .json: Self.json(event, metadata.merging(event.metadata ?? [:]) { $1 }, time: Self.timestamp(clock()))
            case .text: text(event, metadata)
            }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func text(_ event: LogEvent, _ fields: Logger.Metadata) -> String {
        // A text log is one pipeline's (its terminal, cron mail or unit's journal): it is not named
        // on every line. JSON lines, shipped to a store beside other pipelines', carry it.
        let fields = fields.filter { $0.key != "pipeline" }
        let suffix = fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.safe("\($0.value)"))" }.joined(separator: " ")
        // On a terminal, a log line first clears a progress line that may be showing.
        let start = interactive ? "\r\u{1B}[2K" : ""
        let time = timestamps ? "\(Self.timestamp(clock())) " : ""
        return "\(start)\(time)fsexport: \(event.level): \(Self.safe("\(event.message)"))\(suffix)"
    }

    private static func safe(_ text: String) -> String { OutsideText.escapingControls(Secrets.redacted(text)) }

    static func json(_ event: LogEvent, _ fields: Logger.Metadata, time: String) -> String {
        var object = [
            #""ts":\#(JSONText.quoted(time))"#, #""level":\#(JSONText.quoted(event.level.rawValue))"#,
            #""message":\#(JSONText.quoted(Secrets.redacted("\(event.message)")))"#,
        ]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) where !["ts", "level", "message"].contains(key) {
            object.append("\(JSONText.quoted(key)):\(jsonValue(value))")
        }
        return "{" + object.joined(separator: ",") + "}"
    }

    private static func jsonValue(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text):
            // Counts, ids and seconds stay numbers for whoever queries the logs.
            if let number = Double(text), number.isFinite, text.first.map({ $0 == "-" || $0.isNumber }) == true { return text }
            return JSONText.quoted(Secrets.redacted(text))
        case .stringConvertible(let value): return jsonValue(.string("\(value)"))
        case .array(let values): return "[" + values.map(jsonValue).joined(separator: ",") + "]"
        case .dictionary(let values):
            return "{" + values.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(jsonValue($0.value))" }.joined(separator: ",") + "}"
        }
    }

    /// `2026-11-29T16:40:00.123Z` for unix seconds `time` (milliseconds cut, never rounded up to
    /// the next second).
    package static func timestamp(_ time: Double) -> String {
        // In whole milliseconds first: the fraction of a large double (`.123` as `.12299…`) would cut one short.
        let total = Int64((time * 1000).rounded(.down))
        let seconds = total >= 0 ? total / 1000 : (total - 999) / 1000
        let milliseconds = Int(total - seconds * 1000)
        let whole = Timestamp.iso8601(seconds)
        return whole.dropLast() + "." + String(format: "%03d", milliseconds) + "Z"
    }
}
