import FSExportSimulatedData

/// One request as the simulator saw it, for tests and for `fsexport simulate -v`.
public struct SimulatorRequestRecord: Sendable {
    public enum Endpoint: String, Sendable { case list, get, create, operation, results, storage, other }
    public var endpoint: Endpoint
    public var method: String
    /// `start` for LIST, `id` for GET, the operation or export id of segment calls, as sent.
    public var parameter: String?
    public var status: Int
    public var fault: SimulatedFault?
    /// The first byte asked for with `Range`, if any.
    public var rangeStart: Int64?
    /// Extra request headers the client sent (names lower-cased; `authorization` left out).
    public var headers: [String: String]
    /// Whether the request carried an `Authorization` header at all.
    public var authorized = false
    /// The JSON body of a POST, as sent (small: requests are capped at 64 KiB).
    public var body: String?
    /// When the request arrived.
    public var receivedAt: ContinuousClock.Instant
    /// The connection it came on, numbered from 1 in the order they were accepted: requests that
    /// share a number shared a connection.
    public var connection = 0
}

/// Counts requests, decides faults and keeps the rate limit: everything that changes per request.
actor SimulatorState {
    private var faults: [FaultRule]
    private var counts: [FaultRule.Endpoint: Int] = [:]
    private var random: SplitMix64
    private var limiter: ServerRateLimiter?
    private(set) var records: [SimulatorRequestRecord] = []
    private var exports: [String: SegmentExportJob] = [:]
    private var exportCount = 0

    init(configuration: SimulatorConfiguration) {
        faults = configuration.faults
        random = SplitMix64(seed: configuration.dataset.seed &+ 0xFA17)
        limiter = configuration.rateLimit.map { ServerRateLimiter(burst: $0.burst, perMinute: $0.perMinute) }
    }

    /// Takes a rate-limit token; returns the seconds to wait when there is none.
    func takeToken() -> Int? { limiter?.take() }

    /// Counts the request and returns the fault to inject into it, if any.
    func fault(for endpoint: FaultRule.Endpoint) -> FaultRule? {
        counts[endpoint, default: 0] += 1
        let number = counts[endpoint]!
        for rule in faults where rule.endpoint == endpoint || rule.endpoint == .any {
            switch rule.trigger {
            case .always: return rule
            case .requests(let numbers) where numbers.contains(number): return rule
            case .rate(let rate) where random.chance(rate): return rule
            default: continue
            }
        }
        return nil
    }

    func setFaults(_ rules: [FaultRule]) {
        faults = rules
        counts = [:]
    }

    func record(_ record: SimulatorRequestRecord) { records.append(record) }

    /// Registers a new export job; returns its operation id.
    func createExport(_ request: SegmentExportRequest) -> String {
        exportCount += 1
        let id = "op-\(exportCount)"
        exports[id] = SegmentExportJob(request: request, operationID: id, exportID: "se-\(exportCount)")
        return id
    }

    /// One look at an operation: it moves one step towards COMPLETED (or FAILED when told to).
    func poll(_ operationID: String, fail: Bool) -> SegmentExportJob? {
        guard var job = exports[operationID] else { return nil }
        if fail, job.outcome == nil { job.outcome = .failed }
        job.polls += 1
        exports[operationID] = job
        return job
    }

    func export(id exportID: String) -> SegmentExportJob? {
        exports.values.first { $0.exportID == exportID }
    }
}
