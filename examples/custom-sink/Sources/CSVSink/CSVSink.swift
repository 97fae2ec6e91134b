import FSExportCore

/// `type: csv`: each bundle's events as a CSV file with a header, one column per chosen field,
/// quoted as RFC 4180 asks. The files go to the next stage (a `files` stage places them).
///
/// ```yaml
/// clicks:
///   type: csv
///   inputs: [source]
///   columns: [EventStart, EventType, UserId, PageUrl]
/// ```
public struct CSVSink: ConfigurableSink {
    public static let type = "csv"

    public struct Options: Decodable, Sendable {
        /// The event fields, in column order.
        public var columns: [String]
        /// File name template; default `{id}.csv`.
        public var name: String?
        /// Only events whose `EventType` is one of these (all when absent).
        public var eventTypes: [String]?

        enum CodingKeys: String, CodingKey {
            case columns, name
            case eventTypes = "event_types"
        }

        public init(columns: [String], name: String? = nil, eventTypes: [String]? = nil) {
            self.columns = columns
            self.name = name
            self.eventTypes = eventTypes
        }
    }

    let columns: [String]
    let name: PathTemplate
    let eventTypes: Set<String>?

    public init(options: Options, context: SinkContext) throws {
        guard !options.columns.isEmpty else { throw SinkError(option: "columns", "list at least one field") }
        columns = options.columns
        eventTypes = options.eventTypes.map(Set.init)
        do { name = try PathTemplate(options.name ?? "{id}.csv", allowed: [.id, .start, .stop]) } catch { throw SinkError(option: "name", error) }
        if !context.hasDownstream { throw SinkError("the csv stage's files go nowhere: add a files stage that reads it") }
    }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        let file = try delivery.output.makeFile(named: name.render(PathTemplate.Values(delivery.bundle)))
        try file.write(columns.map(Self.quoted).joined(separator: ",") + "\r\n")
        for try await batch in delivery.input.events {
            var rows = ""
            for event in batch.events where eventTypes.map({ $0.contains(event.field("EventType")?.text ?? "") }) ?? true {
                rows += columns.map { Self.quoted(event.field($0)?.text ?? "") }.joined(separator: ",") + "\r\n"
            }
            try file.write(rows)
        }
        try await delivery.output.publish(file)
        return .nothing
    }

    /// RFC 4180: quote a field holding a comma, a quote or a line break; double inner quotes.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
