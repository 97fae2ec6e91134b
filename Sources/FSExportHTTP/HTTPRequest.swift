import Foundation
import FSExportBasics

/// One HTTP request as the transfer layer sends it. Credentials travel only inside `headers` or
/// `signing`, neither of which is ever logged.
package struct HTTPRequest: Sendable {
    /// What a request sends: bytes in memory, or a range of a file read as curl sends it.
    package enum Body: Sendable {
        case data(Data)
        case file(path: String, offset: Int64, length: Int64)

        var count: Int64 {
            switch self {
            case .data(let data): Int64(data.count)
            case .file(_, _, let length): length
            }
        }
    }

    /// AWS Signature Version 4, computed by libcurl for each attempt (`CURLOPT_AWS_SIGV4`).
    package struct AWSSigning: Sendable {
        /// `aws:amz:REGION:SERVICE`.
        package var scope: String
        package var accessKeyID: String
        package var secretAccessKey: String

        package init(region: String, service: String, accessKeyID: String, secretAccessKey: String) {
            scope = "aws:amz:\(region):\(service)"
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
        }
    }

    package var url: String
    /// `GET` without a body, `POST` with one, unless set.
    package var method: String
    package var body: Body?
    package var headers: [String]
    /// Ask for the body from this offset on (HTTP Range), to resume a broken-off download.
    package var resumeFrom: Int64 = 0
    package var timeouts: Timeouts
    package var userAgent: String
    /// Whether the log may show the query: not for a signed storage location, whose query is its credential.
    package var logsQuery = true
    package var signing: AWSSigning?

    package init(
        url: String, method: String? = nil, body: Body? = nil, headers: [String], timeouts: Timeouts, userAgent: String,
        logsQuery: Bool = true, signing: AWSSigning? = nil
    ) {
        self.url = url
        self.method = method ?? (body == nil ? "GET" : "POST")
        self.body = body
        self.headers = headers
        self.timeouts = timeouts
        self.userAgent = userAgent
        self.logsQuery = logsQuery
        self.signing = signing
    }

    /// The same request for the body from `offset` on. A plain Range header rather than curl's
    /// resume option: the receiver handles a server that answers 200 with the whole body.
    package func resuming(from offset: Int64) -> HTTPRequest {
        guard offset > 0 else { return self }
        var request = self
        request.resumeFrom = offset
        request.headers.append("Range: bytes=\(offset)-")
        return request
    }

    /// The path and (where it may be shown) the query, for `-v`: never the host's credentials.
    package var loggedTarget: String {
        guard let components = URLComponents(string: url) else { return "?" }
        let query = logsQuery ? components.percentEncodedQuery.map { "?\($0)" } ?? "" : (components.query == nil ? "" : "?…")
        return (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + query
    }
}

/// Response header fields by lower-cased name (the last value wins).
package struct HeaderFields: Sendable {
    package private(set) var values: [String: String] = [:]

    package init() {}

    package subscript(name: String) -> String? { values[name.lowercased()] }

    package mutating func add(line: String) {
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        values[name] = value
    }

    package mutating func removeAll() { values.removeAll() }
}

/// What one transfer came to.
package enum TransferOutcome: Sendable {
    /// The server answered. `errorBody` holds the start of a non-2xx body (2xx bodies go to the receiver).
    case response(status: Int, headers: HeaderFields, errorBody: String)
    /// The connection failed or broke off (reset, timeout, stall, short body…). `status` is set when
    /// headers had arrived before the failure.
    case transportFailure(TransportFailure)
}

/// Receives the body of a 2xx response on the transfer thread.
package protocol BodyReceiver: AnyObject, SendableMetatype {
    /// Called once before the first byte (or at the end, for an empty body).
    func begin(status: Int, headers: HeaderFields) throws
    func receive(_ bytes: UnsafeRawBufferPointer) throws
}

/// Keeps a small body (a LIST page) in memory, refusing anything larger than `limit`.
package final class MemoryReceiver: BodyReceiver {
    package private(set) var data = Data()
    private let limit: Int

    package init(limit: Int = 16 << 20) { self.limit = limit }

    package func begin(status: Int, headers: HeaderFields) throws {}

    package func receive(_ bytes: UnsafeRawBufferPointer) throws {
        guard data.count + bytes.count <= limit else {
            throw TransferSetupFailure("response larger than \(limit) bytes")
        }
        data.append(contentsOf: bytes)
    }
}

/// A transfer that could not be made or whose answer could not be kept: no curl handle, or a
/// body larger than its receiver's limit. Each caller says it in its own terms.
package struct TransferSetupFailure: Error, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
