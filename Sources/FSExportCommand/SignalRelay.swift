import ArgumentParser
import Dispatch
import Foundation
import Synchronization

/// Calls `handler` with the signal and how many have arrived, for SIGINT and SIGTERM, through
/// dispatch sources rather than a C signal handler. `run` stops after the bundle in progress on
/// the first and aborts it on the second; `simulate` stops on the first.
final class SignalRelay {
    private let sources: [any DispatchSourceSignal]

    private init(_ sources: [any DispatchSourceSignal]) { self.sources = sources }

    /// Starts relaying; returns once every signal's handler is in place.
    static func start(_ signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (_ signal: Int32, _ count: Int) -> Void) async -> SignalRelay {
        let counter = SignalCounter()
        let relay = SignalRelay(
            signals.map { number in
                #if canImport(Darwin)
                // kqueue reports a signal even when it is ignored, and ignoring it stops the default
                // action (exit) from coming first.
                signal(number, SIG_IGN)
                #endif
                // On Linux, libdispatch installs its own handler shortly after the source is resumed
                // (waited for below). Ignoring the signal first would discard one arriving in between,
                // a Ctrl-C lost; without it, one that early takes the default action and ends the process.
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { handler(number, counter.increment()) }
                source.resume()
                return source
            })
        #if os(Linux)
        for number in signals { await waitForHandler(number) }
        #endif
        return relay
    }

    #if os(Linux)
    /// libdispatch installs its handler from a thread of its own, shortly after `resume`: wait
    /// (at most a second) until it is in place, so that a signal sent once this relay exists is
    /// heard, never discarded (an inherited SIG_IGN) nor fatal (SIG_DFL). It says nothing when it
    /// is done, so this looks every millisecond, sleeping in between (no thread of the pool blocks).
    private static func waitForHandler(_ number: Int32) async {
        var action = sigaction()
        for _ in 0..<1000 {
            sigaction(number, nil, &action)
            let handler = unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
            if handler != 0, handler != 1 { return }  // neither SIG_DFL nor SIG_IGN
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
    #endif

    func cancel() {
        for source in sources { source.cancel() }
    }
}

final class SignalCounter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
}

/// What a signal asked of the work it arrived during.
enum SignalVerdict {
    /// Let it go on (it will stop by itself, at a point of its choosing).
    case carryOn
    /// Cancel it now.
    case cancel
}

/// Runs `body` as a child task while SIGINT and SIGTERM are heard: `onSignal` decides for each
/// (with how many have come) whether the body is cancelled. Returns the body's result and the
/// signal that cancelled it, if one did; the body always ends before this returns.
func withSignals<T: Sendable>(
    _ body: @escaping @Sendable () async throws -> T, onSignal: @escaping @Sendable (_ signal: Int32, _ count: Int) -> SignalVerdict
) async -> (result: Result<T, any Error>, cancelledBy: Int32?) {
    let (signals, arrivals) = AsyncStream.makeStream(of: (signal: Int32, count: Int).self)
    let relay = await SignalRelay.start { signal, count in arrivals.yield((signal, count)) }
    defer {
        relay.cancel()
        arrivals.finish()
    }
    return await withTaskGroup(of: SignalledOutcome<T>.self) { group in
        group.addTask { .finished(await Result { try await body() }) }
        group.addTask {
            for await arrival in signals where onSignal(arrival.signal, arrival.count) == .cancel { return .cancel(by: arrival.signal) }
            return .quiet  // the body ended first
        }
        var cancelledBy: Int32?
        while let outcome = await group.next() {
            switch outcome {
            case .cancel(let signal):
                cancelledBy = signal
                group.cancelAll()  // the body's end comes next, however it takes it
            case .finished(let result):
                group.cancelAll()  // the listener
                return (result, cancelledBy)
            case .quiet:
                continue
            }
        }
        fatalError("the body's task always finishes")
    }
}

/// How each child of ``withSignals(_:onSignal:)`` ended.
private enum SignalledOutcome<T: Sendable>: Sendable {
    case finished(Result<T, any Error>)
    case cancel(by: Int32)
    case quiet
}

/// Runs `body` cancelled by SIGINT or SIGTERM, so that whatever it cleans up when cancelled (a
/// temporary download) is cleaned up; then the command exits 130 or 143. For the commands that
/// commit nothing (`events`, `get`): `run`'s own stop lets a bundle finish.
func cancellingOnSignal(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let (result, signal) = await withSignals(body) { _, _ in .cancel }
    if let signal { throw ExitCode(exitStatus(forSignal: signal)) }
    try result.get()
}

/// The exit status for a run ended by a signal: 128 + its number.
func exitStatus(forSignal signal: Int32) -> Int32 { 128 + signal }
