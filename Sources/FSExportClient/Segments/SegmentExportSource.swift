import Foundation
import FSExportCore
import FSExportHTTP
import Logging

/// The Segment Export API as a source: one export per window of time, created, polled until it
/// completes, and downloaded from its signed storage location.
///
/// ```swift
/// let source = try SegmentExportSource(
///     settings: SegmentExportSettings(segment: "everyone", format: .ndjson, window: 86_400),
///     configuration: ExportClientConfiguration(apiKey: try APIKey.load(keyFile: nil), baseURL: SegmentExportSettings.defaultBaseURL))
/// let engine = Engine(source: source, configuration: configuration, logger: logger)
/// ```
///
/// Each window `[t, t + window)` is a unit of delivery whose id is `t` (unix seconds); the state
/// file records the end of the last window delivered. A window is listed only once it has ended
/// (and, through the engine, once it is older than `settle`). An export that ends FAILED is
/// created again (up to ``SegmentExportSettings/maxExportAttempts``); a download location the
/// storage host refuses is asked for again. The API key goes to the API alone: the storage
/// download carries no `Authorization` header.
public final class SegmentExportSource: FetchPreview {
    public let settings: SegmentExportSettings
    /// The API key, base URL, rate limit, retries and timeouts, as for the legacy client.
    public let configuration: ExportClientConfiguration
    let bucket: TokenBucket
    let logger: Logger

    public init(
        settings: SegmentExportSettings, configuration: ExportClientConfiguration, logger: Logger = Logger(label: "fsexport.segments")
    ) throws {
        try settings.validate()
        self.settings = settings
        self.configuration = configuration
        self.bucket = TokenBucket(configuration.rateLimit, clocks: configuration.clocks)
        self.logger = logger
    }

    private func now() -> Int64 { configuration.clocks.wall() }

    public var checkpointScope: String { settings.checkpointScope }

    /// The file's name as the stages will see it: storage serves it gzip, in the chosen format.
    public func plannedFileName(for bundle: ExportBundle) -> String {
        DownloadedBundle(id: bundle.id, path: "", encoding: .gzip, byteCount: 0, content: settings.format.content(.gzip)).artifact.name
    }

    /// The download from storage writes `destination.part` as it arrives (a JSON or NDJSON
    /// export; a CSV one holds no events to read).
    public func arrivingFile(for destination: String) -> ArrivingFile? {
        switch settings.format.content(.gzip) {
        case .bundle: ArrivingFile(path: SpoolLayout.partPath(for: destination))
        case .ndjson: ArrivingFile(path: SpoolLayout.partPath(for: destination), ndjson: true)
        case .opaque: nil
        }
    }

    /// The windows that end after `start` and have ended by now (and by `until`).
    public func bundles(after start: Int64, until: Int64?) -> any AsyncSequence<ExportBundle, any Error> {
        ExportWindows(size: settings.window, after: start, last: min(until ?? .max, now()))
    }

    public func fetch(_ window: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle {
        let name = "the window \(Timestamp.iso8601(window.start)) – \(Timestamp.iso8601(window.stop))"
        var lastFailure = ""
        for attempt in 1...settings.maxExportAttempts {
            let operation = try await create(window)
            logger.info("\(name): export created (operation \(operation))")
            switch try await waitFor(operation, window: name, progress: progress) {
            case .failed(let details):
                lastFailure = details
                logger.warning("\(name): the export failed (attempt \(attempt) of \(settings.maxExportAttempts)): \(details)")
            case .completed(let exportID):
                do {
                    return try await download(exportID, window: window, to: destination, progress: progress)
                } catch ExportError.exportExpired(let id) {
                    lastFailure = "the export \(id) expired before it was downloaded"
                    logger.warning("\(name): \(lastFailure); creating it again")
                }
            case .working:
                preconditionFailure("waitFor returns a final phase")
            }
        }
        throw ExportError.exportFailed(window: name, attempts: settings.maxExportAttempts, details: lastFailure)
    }

    // MARK: - The calls

    /// `POST /segments/v1/exports` for one window.
    func create(_ window: ExportBundle) async throws -> String {
        var body: [String: Any] = [
            "segmentId": settings.segment,
            "type": settings.kind.apiValue,
            "format": settings.format.apiValue,
            "timeRange": ["start": Timestamp.iso8601(window.start), "end": Timestamp.iso8601(window.stop)],
            "segmentTimeRange": ["start": "", "end": ""],
        ]
        if let fields = settings.fields { body["fields"] = fields }
        if let scope = settings.scope { body["scope"] = scope }
        if let timezone = settings.timezone { body["timezone"] = timezone }
        let json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let data = try await call("POST /segments/v1/exports", path: "/segments/v1/exports", body: json, notFound: .segmentNotFound(settings.segment))
        let created = try SegmentResponse.decode(CreatedExport.self, from: data, call: "creating an export")
        return try SegmentResponse.pathComponent(created.operationId, what: "operation id")
    }

    /// Polls the operation until it completes or fails, reporting its percentage; gives up after
    /// ``SegmentExportSettings/pollTimeout``. Each look is an API call, under the rate limit.
    func waitFor(_ operation: String, window: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> ExportOperation.Phase {
        let waited = configuration.clocks.stopwatch()
        while true {
            let data = try await call("GET /operations/v1/\(operation)", path: "/operations/v1/\(operation)", body: nil, notFound: nil)
            let phase = try SegmentResponse.decode(ExportOperation.self, from: data, call: "operation \(operation)").phase()
            if case .working(let percent) = phase {
                guard waited.elapsed() + settings.pollInterval <= settings.pollTimeout else {
                    throw ExportError.exportTimedOut(window: window, operation: operation, waited: DurationText.format(settings.pollTimeout), percent: percent)
                }
                progress?(TransferProgress(bytes: 0, total: nil, preparedPercent: percent ?? 0))
                logger.debug("operation \(operation): running\(percent.map { ", \($0)%" } ?? ""); next look in \(DurationText.format(settings.pollInterval))")
                try await configuration.clocks.sleep(for: settings.pollInterval)
                continue
            }
            return phase
        }
    }

    /// Asks for the export's location and downloads it, asking again when the storage host refuses one.
    func download(_ exportID: String, window: ExportBundle, to destination: String, progress: (@Sendable (TransferProgress) -> Void)?) async throws -> DownloadedBundle {
        var refusal: (status: Int, detail: String) = (0, "")
        for attempt in 1...settings.maxLocationAttempts {
            let location = try await location(of: exportID)
            let download = SpoolDownload(
                // Storage downloads are not API calls: they take no token from the API's bucket.
                id: window.id, destination: destination, retrying: configuration.retrying(nil, logger: logger),
                operation: "download of export \(exportID)", progress: progress,
                request: { offset in self.storageRequest(location, resumeFrom: offset) },
                failure: { status, headers, body, url in
                    // The signed location expired or is not accepted: only a fresh one helps.
                    if [400, 401, 403, 404].contains(status) { return ExportError.locationRefused(status: status, detail: Self.storageError(body)) }
                    return ResponseClassification.failure(status: status, headers: headers, body: body, call: .other, url: "the storage host", now: self.now())
                })
            do {
                let (encoding, byteCount) = try await download.run()
                return DownloadedBundle(
                    id: window.id, path: destination, encoding: encoding, byteCount: byteCount, content: settings.format.content(encoding))
            } catch ExportError.locationRefused(let status, let detail) {
                refusal = (status, detail)
                logger.warning("the storage host refused the location of export \(exportID) (HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")); asking for a new one (\(attempt) of \(settings.maxLocationAttempts))")
            }
        }
        throw ExportError.locationRefused(status: refusal.status, detail: refusal.detail)
    }

    /// `GET /search/v1/exports/{id}/results`; an export that is gone must be created again.
    func location(of exportID: String) async throws -> String {
        let path = "/search/v1/exports/\(exportID)/results"
        let data = try await call("GET \(path)", path: path, body: nil, notFound: .exportExpired(exportID), goneToo: true)
        let location = try SegmentResponse.decode(ExportLocation.self, from: data, call: "the results of export \(exportID)").location
        guard location.hasPrefix("https://") || location.hasPrefix("http://") else {
            throw ExportError.invalidResponse("the results of export \(exportID) give a location that is not an http(s) URL")
        }
        return location
    }

    // MARK: - Plumbing

    /// One API call under the rate limit and retry policy; a small JSON answer.
    private func call(_ operation: String, path: String, body: Data?, notFound: ExportError?, goneToo: Bool = false) async throws -> Data {
        let request = configuration.apiRequest(path: path, body: body)
        return try await configuration.retrying(bucket, logger: logger).run(operation) { _, timing in
            let (outcome, data) = try await ExportClient.transfer(request, timing: timing) { MemoryReceiver(limit: 1 << 20) } extract: { $0.data }
            switch outcome {
            case .response(let status, _, _) where (200..<300).contains(status):
                return data
            case .response(let status, _, _) where status == 404 || (goneToo && status == 410):
                throw notFound ?? ExportError.httpStatus(status, url: request.url, body: "")
            case .response(let status, let headers, let errorBody):
                throw ResponseClassification.failure(status: status, headers: headers, body: errorBody, call: .other, url: request.url, now: now())
            case .transportFailure(let failure):
                throw ResponseClassification.failure(transport: failure)
            }
        }
    }

    /// The signed location carries its own authorization: no API key, no extra headers go there.
    private func storageRequest(_ location: String, resumeFrom offset: Int64) -> HTTPRequest {
        HTTPRequest(url: location, headers: [], timeouts: configuration.timeouts, userAgent: configuration.userAgent, logsQuery: false)
            .resuming(from: offset)
    }

    /// The `<Code>` of a cloud storage XML error, or the start of the body.
    static func storageError(_ body: String) -> String {
        if let start = body.range(of: "<Code>"), let end = body.range(of: "</Code>", range: start.upperBound..<body.endIndex) {
            return OutsideText.shown(body[start.upperBound..<end.lowerBound], limit: 100)
        }
        return OutsideText.shown(body, limit: 200)
    }
}
