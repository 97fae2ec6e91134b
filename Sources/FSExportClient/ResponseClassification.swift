import CCurl
import FSExportCore
import FSExportHTTP

/// What the retry loop should do with a failed attempt.
enum AttemptFailure: Error {
    /// Worth another attempt; `retryAfter` is the server's explicit wait.
    case transient(reason: String, retryAfter: Duration?)
    /// No retry can fix this.
    case fatal(ExportError)
}

enum ResponseClassification {
    enum Call {
        case list
        case get(id: Int64)
        /// Any other call (the Segment Export API's, a storage download): no status means more than its code.
        case other
    }

    /// Maps a non-2xx status to a retry decision or a final error with a helpful message.
    static func failure(status: Int, headers: HeaderFields, body: String, call: Call, url: String, now: Int64) -> AttemptFailure {
        // A server's words, shown as outside text: one may echo the request, key and all.
        let body = OutsideText.shown(body)
        let retryAfter = RetryAfter.parse(headers["retry-after"], now: now)
        switch status {
        case 401:
            return .fatal(.unauthorized)
        case 403:
            return .fatal(.forbidden)
        case 404:
            if case .get(let id) = call { return .fatal(.bundleNotFound(id: id)) }
            return .fatal(.httpStatus(404, url: url, body: body))
        case 408, 429, 500, 502, 503, 504:
            return .transient(reason: "HTTP \(status)\(reasonSuffix(status))", retryAfter: retryAfter)
        default:
            return .fatal(.httpStatus(status, url: url, body: body))
        }
    }

    private static func reasonSuffix(_ status: Int) -> String {
        switch status {
        case 429: " Too Many Requests"
        case 503: " Service Unavailable"
        case 502: " Bad Gateway"
        case 504: " Gateway Timeout"
        case 500: " Internal Server Error"
        default: ""
        }
    }

    /// Connection-level failures: most are worth retrying (resets, timeouts, short bodies); a bad
    /// URL or a certificate that does not verify is not.
    static func failure(transport: TransportFailure) -> AttemptFailure {
        let fatalCodes: Set<UInt32> = [
            CURLE_UNSUPPORTED_PROTOCOL.rawValue, CURLE_URL_MALFORMAT.rawValue,
            CURLE_PEER_FAILED_VERIFICATION.rawValue, CURLE_SSL_CERTPROBLEM.rawValue,
            CURLE_SSL_CACERT_BADFILE.rawValue, CURLE_SSL_PINNEDPUBKEYNOTMATCH.rawValue,
            CURLE_TOO_MANY_REDIRECTS.rawValue, CURLE_OUT_OF_MEMORY.rawValue,
        ]
        if fatalCodes.contains(UInt32(transport.curlCode)) {
            let redirect = [CURLE_UNSUPPORTED_PROTOCOL.rawValue, CURLE_TOO_MANY_REDIRECTS.rawValue].contains(UInt32(transport.curlCode))
            return .fatal(.configuration(redirect ? "\(transport)" : "cannot reach the export API: \(transport)"))
        }
        return .transient(reason: transport.description, retryAfter: nil)
    }
}
