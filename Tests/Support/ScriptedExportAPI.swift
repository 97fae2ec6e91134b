import Foundation
import FSExportZlib

/// A bundle a scripted export server serves: its LIST entry and its events.
public struct ScriptedBundle: Sendable {
    public var id: Int64
    public var start: Int64
    public var stop: Int64
    /// Each a JSON object.
    public var events: [String]
    /// The document's bytes, when they are not the events' text (bytes that are not UTF-8).
    public var body: [UInt8]?

    public init(id: Int64, start: Int64, stop: Int64, events: [String], body: [UInt8]? = nil) {
        self.id = id
        self.start = start
        self.stop = stop
        self.events = events
        self.body = body
    }

    public var json: String { "[" + events.joined(separator: ",") + "]" }
}

/// The export API played by a ``ScriptedServer``: LIST as the API answers it (the first 20
/// bundles whose Stop is after `start`, oldest first) unless `list` says otherwise, and GET with
/// each bundle's events gzipped.
public enum ScriptedExportAPI {
    public static func server(
        _ bundles: [ScriptedBundle],
        list: (@Sendable (_ start: Int64, _ bundles: [ScriptedBundle]) -> ScriptedServer.Response)? = nil
    ) throws -> ScriptedServer {
        try ScriptedServer { request in
            switch request.path {
            case "/api/v1/export/list":
                let start = Int64(request.query["start"] ?? "0") ?? 0
                if let list { return list(start, bundles) }
                let page = bundles.filter { $0.stop > start }.sorted { ($0.stop, $0.id) < ($1.stop, $1.id) }.prefix(20)
                return .json(listBody(Array(page)))
            case "/api/v1/export/get":
                guard let bundle = bundles.first(where: { String($0.id) == request.query["id"] }) else { return .json("{}", status: 404) }
                return ScriptedServer.Response(headers: [("Content-Type", "application/gzip")], body: gzip(bytes: bundle.body ?? Array(bundle.json.utf8)))
            default:
                return .json("{}", status: 404)
            }
        }
    }

    public static func listBody(_ bundles: [ScriptedBundle]) -> String {
        let entries = bundles.map { #"{"Id":\#($0.id),"Start":\#($0.start),"Stop":\#($0.stop)}"# }
        return #"{"exports":[\#(entries.joined(separator: ","))]}"#
    }

    public static func gzip(_ text: String) -> [UInt8] { gzip(bytes: Array(text.utf8)) }

    /// Any bytes, gzipped: a bundle need not be valid UTF-8, and a test may say so.
    public static func gzip(bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        let deflater = try! Deflater(level: 6)
        bytes.withUnsafeBytes { try! deflater.deflate($0) { output += $0 } }
        try! deflater.finish { output += $0 }
        return output
    }
}
