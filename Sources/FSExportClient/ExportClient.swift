import Foundation
import FSExportCore
import FSExportHTTP
import Logging

/// A client for the Fullstory legacy Data Export API: LIST and GET, polite under the rate limit,
/// patient with transient faults.
///
/// ```swift
/// let client = ExportClient(configuration: .init(apiKey: try APIKey.load(keyFile: nil)))
/// for try await bundle in client.bundles(from: 0) {
///     let file = try await client.download(bundle.id, to: "/data/\(bundle.id).json.gz")
///     print(file.path, file.byteCount)
/// }
/// ```
///
/// All calls of one client share one token bucket, so concurrent listing and downloading still
/// respect the limit together.
public final class ExportClient: Sendable {
    public let configuration: ExportClientConfiguration
    let bucket: TokenBucket
    let logger: Logger

    public init(configuration: ExportClientConfiguration, logger: Logger = Logger(label: "fsexport.client")) {
        self.configuration = configuration
        self.bucket = TokenBucket(configuration.rateLimit, clocks: configuration.clocks)
        self.logger = logger
    }

    /// The first page (at most 20) of finished bundles whose Stop is after `start`, oldest first.
    public func listPage(start: Int64) async throws -> [ExportBundle] {
        let request = makeRequest(path: "/api/v1/export/list", parameter: ("start", start))
        return try await configuration.retrying(bucket, logger: logger).run("LIST start=\(start)") { _, timing in
            let (outcome, body) = try await Self.transfer(request, timing: timing) { MemoryReceiver() } extract: { $0.data }
            switch outcome {
            case .response(let status, _, _) where (200..<300).contains(status):
                return try ListResponse.decode(body)
            case .response(let status, let headers, let errorBody):
                throw ResponseClassification.failure(
                    status: status, headers: headers, body: errorBody, call: .list, url: request.url, now: configuration.clocks.wall())
            case .transportFailure(let failure):
                throw ResponseClassification.failure(transport: failure)
            }
        }
    }

    /// Every finished bundle whose Stop is after `start` (and, if given, not after `until`), oldest
    /// first, across as many LIST pages as it takes. No bundle is yielded twice.
    public func bundles(from start: Int64, until: Int64? = nil) -> BundleListing {
        BundleListing(client: self, start: start, until: until)
    }

    // MARK: - Shared plumbing

    func makeRequest(path: String, parameter: (name: String, value: Int64), resumeFrom: Int64 = 0) -> HTTPRequest {
        let request =
            switch configuration.method {
            case .get: configuration.apiRequest(path: "\(path)?\(parameter.name)=\(parameter.value)")
            case .post: configuration.apiRequest(path: path, body: Data("{\"\(parameter.name)\":\(parameter.value)}".utf8))
            }
        return request.resuming(from: resumeFrom)
    }

    /// Runs one transfer on its own thread; cancelling the task aborts it.
    static func transfer<R: BodyReceiver, Extract: Sendable>(
        _ request: HTTPRequest, timing: ResponseTiming? = nil, progress: (@Sendable (TransferProgress) -> Void)? = nil,
        receiver makeReceiver: @escaping @Sendable () throws -> R,
        extract: @escaping @Sendable (R) throws -> Extract
    ) async throws -> (TransferOutcome, Extract) {
        timing?.sending(request)
        do {
            return try await CurlTransfer.transfer(request, timing: timing, progress: progress, receiver: makeReceiver, extract: extract)
        } catch let failure as TransferSetupFailure {
            throw ExportError.invalidResponse(failure.description)
        }
    }
}
