import Dispatch
import Foundation
import Synchronization

/// Waits for one of the given signals, delivered through dispatch sources rather than a C handler.
final class SignalWaiter {
    private let signals: [Int32]
    // The sources must outlive the wait: a signal arriving later lands on a source, not the default action.
    private var sources: [any DispatchSourceSignal] = []

    init(_ signals: [Int32]) { self.signals = signals }

    func wait() async {
        let once = Once()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            sources = signals.map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { if once.claim() { continuation.resume() } }
                source.resume()
                return source
            }
        }
    }
}

/// True for the first caller only.
final class Once: Sendable {
    private let done = Atomic<Bool>(false)
    func claim() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }
}
