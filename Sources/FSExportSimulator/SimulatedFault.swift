import Foundation
/// A misbehaviour the simulator can inject, as real deployments and networks produce them.
public enum SimulatedFault: String, Sendable, CaseIterable, Codable {
    /// HTTP 503 Service Unavailable (with `Retry-After` when the rule sets one).
    case unavailable = "503"
    /// HTTP 429 Too Many Requests, with `Retry-After`.
    case tooManyRequests = "429"
    /// The connection is reset (TCP RST, the doc's "104") halfway through the body.
    case reset
    /// The body stops halfway and the connection closes, short of its Content-Length.
    case truncate
    /// A byte in the middle of the gzip data is flipped: the download's CRC cannot match.
    case corrupt
    /// The body trickles out in small pieces with pauses (slow, but never stalled).
    case slow
    /// A segment export's operation ends FAILED, with `errorDetails` (on `operation` polls).
    case failed
    /// The storage host answers that a download location has expired (on `storage` downloads).
    case expired

    /// Where a rule without `@ENDPOINT` applies.
    var defaultEndpoint: FaultRule.Endpoint {
        switch self {
        case .failed: .operation
        case .expired: .storage
        default: .get
        }
    }

    /// Whether the fault means anything on `endpoint`: `failed` only on operation polls,
    /// `expired` only on storage downloads, body faults only where there is a body to spoil.
    public func applies(to endpoint: FaultRule.Endpoint) -> Bool {
        switch self {
        case .unavailable, .tooManyRequests: true
        case .reset, .truncate: [.list, .get, .storage, .any].contains(endpoint)
        case .corrupt, .slow: [.get, .storage, .any].contains(endpoint)
        case .failed: [.operation, .any].contains(endpoint)
        case .expired: [.storage, .any].contains(endpoint)
        }
    }
}

/// When a fault fires: on particular requests, or at random at a rate (seeded, so repeatable).
public struct FaultRule: Sendable, Equatable {
    /// The legacy API's `list` and `get`; the Segment Export API's `create` (POST an export),
    /// `operation` (polls), `results` (the download location) and `storage` (the download).
    public enum Endpoint: String, Sendable, CaseIterable { case list, get, create, operation, results, storage, any }

    public enum Trigger: Sendable, Equatable {
        /// The n-th matching requests, counted from 1.
        case requests(Set<Int>)
        /// Each matching request with this probability.
        case rate(Double)
        /// Every matching request.
        case always
    }

    public var fault: SimulatedFault
    public var endpoint: Endpoint
    public var trigger: Trigger
    /// Seconds sent in `Retry-After` with 429 and 503.
    public var retryAfter: Int?

    public init(_ fault: SimulatedFault, on endpoint: Endpoint = .get, _ trigger: Trigger, retryAfter: Int? = nil) {
        self.fault = fault
        self.endpoint = endpoint
        self.trigger = trigger
        self.retryAfter = retryAfter ?? (fault == .tooManyRequests ? 1 : nil)
    }

    /// Parses the command line form `FAULT[@ENDPOINT]:TRIGGER[:RETRY_AFTER]`, e.g. `503:0.1`,
    /// `reset@get:2,5`, `429@list:always:3`. A trigger with a dot is a rate, otherwise request numbers.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3 else { throw SimulatorError.invalidFaultRule(text) }
        let head = parts[0].split(separator: "@").map(String.init)
        guard let fault = SimulatedFault(rawValue: head[0]) else { throw SimulatorError.invalidFaultRule(text) }
        let endpoint = head.count > 1 ? Endpoint(rawValue: head[1]) : fault.defaultEndpoint
        guard let endpoint, head.count <= 2, fault.applies(to: endpoint) else { throw SimulatorError.invalidFaultRule(text) }
        let trigger: Trigger
        if parts[1] == "always" {
            trigger = .always
        } else if parts[1].contains("."), let rate = Double(parts[1]), (0...1).contains(rate) {
            trigger = .rate(rate)
        } else {
            let numbers = parts[1].split(separator: ",").compactMap { Int($0) }
            guard !numbers.isEmpty, numbers.count == parts[1].split(separator: ",").count else {
                throw SimulatorError.invalidFaultRule(text)
            }
            trigger = .requests(Set(numbers))
        }
        var retryAfter: Int?
        if parts.count == 3 {
            guard let seconds = Int(parts[2]), seconds >= 0 else { throw SimulatorError.invalidFaultRule(text) }
            retryAfter = seconds
        }
        self.init(fault, on: endpoint, trigger, retryAfter: retryAfter)
    }
}

public enum SimulatorError: Error, CustomStringConvertible {
    case invalidFaultRule(String)
    /// The address could not be bound (in use, not this machine's, a privileged port).
    case cannotListen(host: String, port: Int, errno: Int32)

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let code) where code == EADDRINUSE:
            "cannot listen on \(host):\(port): the port is in use (another simulator?); choose another with --port, or --port 0 for a free one"
        case .cannotListen(let host, let port, let code):
            "cannot listen on \(host):\(port): \(String(cString: strerror(code)).lowercased()); check --host and --port"
        case .invalidFaultRule(let text):
            "invalid fault rule '\(text)': expected FAULT[@ENDPOINT]:TRIGGER[:RETRY_AFTER], where ENDPOINT is one of "
                + FaultRule.Endpoint.allCases.map(\.rawValue).joined(separator: ", ") + ", FAULT is one of "
                + SimulatedFault.allCases.map(\.rawValue).joined(separator: ", ")
                + " and TRIGGER is request numbers (2,5), a rate (0.1) or 'always'"
        }
    }
}
