import Foundation
import FSExportCore
import FSExportHTTP
/// How requests are sent: parameters in the URL query (GET) or as a JSON body (POST).
public enum RequestMethod: String, Sendable, CaseIterable, Codable {
    case get
    case post
}

/// The client-side limit that keeps calls under the API's rate limit (defined beside the retry
/// layer, which takes its tokens).
public typealias RateLimit = FSExportHTTP.RateLimit

/// The token bucket of a ``RateLimit``.
public typealias TokenBucket = FSExportHTTP.TokenBucket

/// Backoff for transient failures (defined beside the transfer, which the S3 sink shares).
public typealias RetryPolicy = FSExportHTTP.RetryPolicy

/// Connection and stall timeouts for every transfer (defined beside the transfer itself).
public typealias Timeouts = FSExportHTTP.Timeouts

/// An extra request header, for corporate proxies that require one.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) throws(ExportError) {
        let forbidden: Set<Character> = ["\r", "\n", ":"]
        guard !name.isEmpty, !name.contains(where: { forbidden.contains($0) || $0 == " " }) else {
            throw ExportError.configuration("invalid header name '\(name)'")
        }
        guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw ExportError.configuration("the value of header '\(name)' contains a line break")
        }
        guard name.lowercased() != "authorization" else {
            throw ExportError.configuration("the Authorization header is set from the API key; do not pass it as an extra header")
        }
        self.name = name
        self.value = value
    }

    /// Parses `Name: value`.
    public init(parsing line: String) throws(ExportError) {
        guard let colon = line.firstIndex(of: ":") else {
            throw ExportError.configuration("invalid header '\(line)': expected 'Name: value'")
        }
        try self.init(
            name: String(line[..<colon]).trimmingWhitespace(),
            value: String(line[line.index(after: colon)...]).trimmingWhitespace())
    }
}

/// Everything the client needs to talk to the export API.
public struct ExportClientConfiguration: Sendable {
    public static let defaultBaseURL = "https://export.fullstory.com"

    /// `FSEXPORT_BASE_URL`, which points every pipeline and command at a proxy or a simulator
    /// without editing them: nil when unset or empty; an error when it is not an http(s) URL.
    public static func baseURLFromEnvironment(_ environment: [String: String]) throws -> String? {
        guard let text = environment["FSEXPORT_BASE_URL"], !text.isEmpty else { return nil }
        guard isBaseURL(text) else { throw ExportError.configuration("FSEXPORT_BASE_URL must be an http(s) URL, not '\(text)'") }
        return text
    }

    /// Whether `text` can be a base URL: http(s), a host, no query or fragment.
    public static func isBaseURL(_ text: String) -> Bool {
        guard let url = URL(string: text) else { return false }
        return ["http", "https"].contains(url.scheme?.lowercased() ?? "") && url.host?.isEmpty == false && url.query == nil && url.fragment == nil
    }

    public var baseURL: String
    public var apiKey: APIKey
    public var method: RequestMethod
    public var extraHeaders: [HTTPHeader]
    public var rateLimit: RateLimit
    public var retry: RetryPolicy
    public var timeouts: Timeouts
    public var userAgent: String
    /// What rate limiting, retries and polls wait on, and Retry-After dates are read against.
    public var clocks: Clocks

    public init(
        apiKey: APIKey, baseURL: String = ExportClientConfiguration.defaultBaseURL, method: RequestMethod = .get,
        extraHeaders: [HTTPHeader] = [], rateLimit: RateLimit = .fullstory, retry: RetryPolicy = RetryPolicy(),
        timeouts: Timeouts = Timeouts(), userAgent: String = "fsexport/\(FSExportVersion.current)", clocks: Clocks = .system
    ) {
        self.clocks = clocks
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.method = method
        self.extraHeaders = extraHeaders
        self.rateLimit = rateLimit
        self.retry = retry
        self.timeouts = timeouts
        self.userAgent = userAgent
    }
}

extension ExportClientConfiguration {
    /// A call to the API at `path`: the key, the extra headers, and a JSON body when given. Both
    /// APIs' clients build their requests here; storage downloads, which must not carry the key,
    /// do not.
    func apiRequest(path: String, body: Data? = nil) -> HTTPRequest {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        var headers = ["Authorization: Basic \(apiKey.secret)"] + extraHeaders.map { "\($0.name): \($0.value)" }
        if body != nil { headers.append("Content-Type: application/json") }
        return HTTPRequest(url: base + path, body: body.map { .data($0) }, headers: headers, timeouts: timeouts, userAgent: userAgent)
    }
}
