import FSExportCore
import FSExportHTTP
import Logging

/// What an answer of Fullstory's APIs that is not a success means: a ``RetryableFailure`` for the
/// retry layer, or the ``ExportError`` that ends the call, with a helpful message.
enum ResponseClassification {
    enum Call {
        case list
        case get(id: Int64)
        /// Any other call (the Segment Export API's, a storage download).
        case other
    }

    static func failure(status: Int, headers: HeaderFields, body: String, call: Call, url: String, now: Int64) -> any Error {
        if HTTPStatus.isTransient(status) { return RetryableFailure.status(status, headers: headers, now: now) }
        // A server's words, shown as outside text: one may echo the request, key and all.
        let body = OutsideText.shown(body)
        switch status {
        case 401: return ExportError.unauthorized
        case 403: return ExportError.forbidden
        case 404:
            if case .get(let id) = call { return ExportError.bundleNotFound(id: id) }
            return ExportError.httpStatus(404, url: url, body: body)
        default: return ExportError.httpStatus(status, url: url, body: body)
        }
    }

    /// Connection-level failures: most pass (resets, timeouts, short bodies); a bad URL, a
    /// redirect fsexport does not follow, or a certificate that does not verify does not.
    static func failure(transport: TransportFailure) -> any Error {
        guard transport.kind.isPermanent else { return RetryableFailure(transport) }
        let redirect = transport.kind == .redirectRefused || transport.kind == .tooManyRedirects
        return ExportError.configuration(redirect ? "\(transport)" : "cannot reach the export API: \(transport)")
    }
}

extension ExportClientConfiguration {
    /// The retry layer for calls that share `bucket`, giving up as the API client does.
    func retrying(_ bucket: TokenBucket?, logger: Logger) -> Retrying {
        Retrying(policy: retry, limiter: bucket, clocks: clocks, logger: logger) { operation, attempts, reason in
            ExportError.gaveUp(attempts: attempts, lastError: "\(operation): \(reason)")
        }
    }
}
