import FSExportBasics
import Synchronization

/// When the server began to answer one attempt. The request reached the server no later, which
/// is what the token bucket needs: the server counts a call when it arrives, the client when it
/// sends it, and on a busy machine the two can be far apart.
///
/// It also keeps what `-v` logs of the attempt: the request line, the status, the body's bytes.
package final class ResponseTiming: Sendable {
    /// Time since the attempt was sent, on the retry layer's clock.
    package let sinceSent: Stopwatch

    package init(clocks: Clocks = .system) {
        sinceSent = clocks.stopwatch()
    }

    private let began = Mutex<Duration?>(nil)
    private let seen = Mutex<(request: String?, status: Int?, bytes: Int64)>((nil, nil, 0))

    package func sending(_ request: HTTPRequest) { seen.withLock { $0.request = "\(request.method) \(request.loggedTarget)" } }
    package func received(_ count: Int) { seen.withLock { $0.bytes += Int64(count) } }
    package func answered(_ status: Int?) { seen.withLock { $0.status = status } }

    /// What one attempt came to, for the log: `GET /api/v1/export/list?start=0`, its status and bytes.
    package var summary: (request: String, status: Int?, bytes: Int64)? {
        seen.withLock { seen in seen.request.map { ($0, seen.status, seen.bytes) } }
    }

    /// Called from curl's header callback when a status line arrives (the first one counts).
    package func responseBegan() {
        let now = sinceSent.elapsed()
        began.withLock { if $0 == nil { $0 = now } }
    }

    /// How long after sending the server may have counted the call: until its answer began, or
    /// until the attempt ended when no answer came.
    package func latency() -> Duration {
        began.withLock { $0 } ?? sinceSent.elapsed()
    }
}
