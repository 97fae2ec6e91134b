import Foundation
import FSExportCore

/// One HTTP request as the transfer layer sends it. The API key travels only inside `headers`.
struct HTTPRequest: Sendable {
    var url: String
    var postBody: Data?
    var headers: [String]
    /// Ask for the body from this offset on (HTTP Range), to resume a broken-off download.
    var resumeFrom: Int64 = 0
    var timeouts: Timeouts
    var userAgent: String
    /// Whether the log may show the query: not for a signed storage location, whose query is its credential.
    var logsQuery = true

    var method: String { postBody == nil ? "GET" : "POST" }

    /// The same request for the body from `offset` on. A plain Range header rather than curl's
    /// resume option: the receiver handles a server that answers 200 with the whole body.
    func resuming(from offset: Int64) -> HTTPRequest {
        guard offset > 0 else { return self }
        var request = self
        request.resumeFrom = offset
        request.headers.append("Range: bytes=\(offset)-")
        return request
    }

    /// The path and (where it may be shown) the query, for `-v`: never the host's credentials.
    var loggedTarget: String {
        guard let components = URLComponents(string: url) else { return "?" }
        let query = logsQuery ? components.percentEncodedQuery.map { "?\($0)" } ?? "" : (components.query == nil ? "" : "?…")
        return (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + query
    }
}

/// Response header fields by lower-cased name (the last value wins).
struct HeaderFields: Sendable {
    private(set) var values: [String: String] = [:]

    subscript(name: String) -> String? { values[name.lowercased()] }

    mutating func add(line: String) {
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        values[name] = value
    }

    mutating func removeAll() { values.removeAll() }
}

/// What one transfer came to.
enum TransferOutcome: Sendable {
    /// The server answered. `errorBody` holds the start of a non-2xx body (2xx bodies go to the receiver).
    case response(status: Int, headers: HeaderFields, errorBody: String)
    /// The connection failed or broke off (reset, timeout, stall, short body…). `status` is set when
    /// headers had arrived before the failure.
    case transportFailure(TransportFailure)
}

struct TransportFailure: Error, Sendable, CustomStringConvertible {
    var curlCode: Int
    var message: String
    var status: Int?
    var headers: HeaderFields?

    var description: String {
        // The common network failures in words, with what to check; curl's own text otherwise.
        let words: String? =
            switch curlCode {
            case 6: "cannot resolve the host name (DNS): check the base URL, and the machine's network and resolver"
            case 7: "cannot connect to the host (refused or unreachable): check the base URL and any firewall or proxy"
            case 28: "the connection timed out"
            case 35, 60: "the TLS handshake failed (check the machine's clock, CA certificates, or a TLS-intercepting proxy)"
            default: nil
            }
        return words.map { "\($0) [\(message), curl error \(curlCode)]" } ?? "\(message) (curl error \(curlCode))"
    }
}

/// Receives the body of a 2xx response on the transfer thread.
protocol BodyReceiver: AnyObject, SendableMetatype {
    /// Called once before the first byte (or at the end, for an empty body).
    func begin(status: Int, headers: HeaderFields) throws
    func receive(_ bytes: UnsafeRawBufferPointer) throws
}

/// Keeps a small body (a LIST page) in memory, refusing anything larger than `limit`.
final class MemoryReceiver: BodyReceiver {
    private(set) var data = Data()
    private let limit: Int

    init(limit: Int = 16 << 20) { self.limit = limit }

    func begin(status: Int, headers: HeaderFields) throws {}

    func receive(_ bytes: UnsafeRawBufferPointer) throws {
        guard data.count + bytes.count <= limit else {
            throw ExportError.invalidResponse("response larger than \(limit) bytes")
        }
        data.append(contentsOf: bytes)
    }
}
