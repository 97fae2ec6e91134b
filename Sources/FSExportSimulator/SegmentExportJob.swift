import Foundation

/// What a client asked `POST /segments/v1/exports` for, checked as the API checks it.
struct SegmentExportRequest: Sendable, Equatable {
    enum Kind: String, Sendable { case events = "TYPE_EVENT", individuals = "TYPE_INDIVIDUAL" }
    enum Format: String, Sendable {
        case json = "FORMAT_JSON", ndjson = "FORMAT_NDJSON", csv = "FORMAT_CSV"

        var fileExtension: String {
            switch self {
            case .json: "json.gz"
            case .ndjson: "ndjson.gz"
            case .csv: "csv.gz"
            }
        }
    }

    var segment: String
    var kind: Kind
    var format: Format
    /// Milliseconds since 1970; the events whose EventStart is in it (all of them when unbounded).
    var range: Range<Int64>
    var fields: [String]?
    var scope: String?
    var timezone: String?

    struct Invalid: Error { var message: String }

    /// Parses the JSON body, or says what the API would refuse.
    init(json data: Data) throws(Invalid) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Invalid(message: "the body must be a JSON object")
        }
        guard let segment = object["segmentId"] as? String, !segment.isEmpty else { throw Invalid(message: "segmentId is required") }
        guard let kind = (object["type"] as? String).flatMap(Kind.init(rawValue:)) else {
            throw Invalid(message: "type must be TYPE_EVENT or TYPE_INDIVIDUAL")
        }
        guard let format = (object["format"] as? String).flatMap(Format.init(rawValue:)) else {
            throw Invalid(message: "format must be FORMAT_JSON, FORMAT_NDJSON or FORMAT_CSV")
        }
        let timeRange = object["timeRange"] as? [String: Any] ?? [:]
        let start = try Self.milliseconds(timeRange["start"], field: "timeRange.start") ?? Int64.min
        let end = try Self.milliseconds(timeRange["end"], field: "timeRange.end") ?? Int64.max
        guard start <= end else { throw Invalid(message: "timeRange.start is after timeRange.end") }
        if let fields = object["fields"], !(fields is [String]) { throw Invalid(message: "fields must be a list of names") }
        if let scope = object["scope"] as? String, !["SCOPE_EVENT", "SCOPE_PAGES", "SCOPE_SESSIONS", "SCOPE_INDIVIDUAL"].contains(scope) {
            throw Invalid(message: "scope must be SCOPE_EVENT, SCOPE_PAGES, SCOPE_SESSIONS or SCOPE_INDIVIDUAL")
        }
        self.segment = segment
        self.kind = kind
        self.format = format
        self.range = start..<end
        self.fields = object["fields"] as? [String]
        self.scope = object["scope"] as? String
        self.timezone = object["timezone"] as? String
    }

    /// An RFC 3339 time; an empty string (or none) is unbounded.
    private static func milliseconds(_ value: Any?, field: String) throws(Invalid) -> Int64? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let precise = ISO8601DateFormatter()
        precise.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? precise.date(from: text) else {
            throw Invalid(message: "\(field) must be an RFC 3339 time, not '\(text)'")
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}

/// An export job: created, polled towards COMPLETED (or FAILED), then downloadable.
struct SegmentExportJob: Sendable {
    enum Outcome: Sendable { case failed }

    let request: SegmentExportRequest
    let operationID: String
    let exportID: String
    var polls = 0
    var outcome: Outcome?

    /// Where the job stands after its polls, given how many polls a job stays RUNNING.
    func state(runningPolls: Int) -> (state: String, percent: Int) {
        if outcome == .failed { return ("FAILED", 0) }
        if polls > runningPolls { return ("COMPLETED", 100) }
        return (polls <= 1 && runningPolls > 1 ? "PENDING" : "RUNNING", polls * 100 / (runningPolls + 1))
    }
}
