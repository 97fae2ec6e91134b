import FSExportCore
/// Everything that can end an export API call, each case with a message that says what to do.
public enum ExportError: Error, Sendable, CustomStringConvertible {
    /// Settings are wrong before any request is made.
    case configuration(String)
    /// No key was given at all (neither the environment nor a key file): what can be done without
    /// the API (`status --offline`) still can.
    case missingKey
    /// 401: the key is not valid.
    case unauthorized
    /// 403: the key lacks the Admin or Architect role.
    case forbidden
    /// 404 for a GET: no bundle with this id.
    case bundleNotFound(id: Int64)
    /// Another status that retrying cannot fix (400, 404 on LIST, …).
    case httpStatus(Int, url: String, body: String)
    /// The response could not be understood.
    case invalidResponse(String)
    /// The downloaded data is damaged (after retries ran out) or not a bundle at all.
    case corruptBundle(id: Int64, detail: String)
    /// Retrying stopped (attempt or time limit) while the error was still transient.
    case gaveUp(attempts: Int, lastError: String)
    /// A local file could not be written or read.
    case localIO(String)
    /// A segment export names a segment the account does not have.
    case segmentNotFound(String)
    /// A segment export's operation ended FAILED each time it was created.
    case exportFailed(window: String, attempts: Int, details: String)
    /// The storage host refused a signed download location (expired, or not valid), each time one was asked for.
    case locationRefused(status: Int, detail: String)
    /// The finished export is no longer available (its results expired): it must be created again.
    case exportExpired(String)
    /// A segment export stayed PENDING or RUNNING past the poll timeout.
    case exportTimedOut(window: String, operation: String, waited: String, percent: Int?)

    public var description: String {
        switch self {
        case .configuration(let message):
            return message
        case .missingKey:
            return "no API key: set FULLSTORY_API_KEY or pass --api-key-file PATH (a file holding only the key)"
        case .unauthorized:
            return "the API key was rejected (HTTP 401): check FULLSTORY_API_KEY or the key file; keys are created under Settings > Integrations > API Keys"
        case .forbidden:
            return "the API key is not allowed to export (HTTP 403 Forbidden): the key needs the Admin or Architect role; a Standard key cannot use the export API"
        case .bundleNotFound(let id):
            return "bundle \(id) does not exist (HTTP 404): list the available bundles with `fsexport list`"
        case .httpStatus(let status, let url, let body):
            let excerpt = body.isEmpty ? "" : ": \(OutsideText.shown(body))"
            return "HTTP \(status) from \(url)\(excerpt)"
        case .invalidResponse(let message):
            return "unexpected response from the export API: \(message)"
        case .corruptBundle(let id, let detail):
            return "bundle \(id) is damaged: \(detail)"
        case .gaveUp(let attempts, let lastError):
            return "gave up after \(attempts) attempt\(attempts == 1 ? "" : "s"); last error: \(lastError)"
        case .localIO(let message):
            return message
        case .segmentNotFound(let segment):
            return "segment '\(segment)' does not exist (HTTP 404): use a saved segment's id (from its URL in Fullstory) or 'everyone'"
        case .exportFailed(let window, let attempts, let details):
            return "the segment export of \(window) failed \(attempts) times; Fullstory said: \(details)"
        case .locationRefused(let status, let detail):
            return "the storage host refused the export's download location (HTTP \(status)\(detail.isEmpty ? "" : ": \(OutsideText.shown(detail, limit: 200))")); "
                + "it kept refusing fresh ones: check the machine's clock, and any proxy between it and the storage host"
        case .exportExpired(let id):
            return "the export \(id) is no longer available"
        case .exportTimedOut(let window, let operation, let waited, let percent):
            return "the segment export of \(window) (operation \(operation)) was still running after \(waited)"
                + (percent.map { " (\($0)% done)" } ?? "")
                + "; nothing of it was delivered: run again later, or allow longer with source.poll_timeout"
        }
    }
}
