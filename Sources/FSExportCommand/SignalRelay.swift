import Dispatch
import Foundation
import Synchronization

/// Calls `handler` with the signal and how many have arrived, for SIGINT and SIGTERM, through
/// dispatch sources rather than a C signal handler. `run` stops after the bundle in progress on
/// the first and aborts it on the second; `simulate` stops on the first.
final class SignalRelay {
    private var sources: [any DispatchSourceSignal] = []

    init(_ signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (_ signal: Int32, _ count: Int) -> Void) {
        let counter = SignalCounter()
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number, counter.increment()) }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}

final class SignalCounter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
}

/// The exit status for a run ended by a signal: 128 + its number.
func exitStatus(forSignal signal: Int32) -> Int32 { 128 + signal }
