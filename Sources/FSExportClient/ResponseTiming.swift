import FSExportCore
import Synchronization

/// When the server began to answer one attempt. The request reached the server no later, which
/// is what the token bucket needs: the server counts a call when it arrives, the client when it
/// sends it, and on a busy machine the two can be far apart.
final class ResponseTiming: Sendable {
    let sent = ContinuousClock.now
    private let began = Mutex<ContinuousClock.Instant?>(nil)

    /// Called from curl's header callback when a status line arrives (the first one counts).
    func responseBegan() {
        began.withLock { if $0 == nil { $0 = .now } }
    }

    /// How long after sending the server may have counted the call: until its answer began, or
    /// until the attempt ended when no answer came.
    func latency(endedAt end: ContinuousClock.Instant = .now) -> Duration {
        (began.withLock { $0 } ?? end) - sent
    }
}
