import ArgumentParser
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
            #if os(Linux)
            Self.waitForHandler(number)
            #endif
            return source
        }
    }

    #if os(Linux)
    /// libdispatch installs its handler from a thread of its own, shortly after `resume`: wait
    /// (at most a second) until it is in place, so that a signal sent once this relay exists is
    /// heard, never discarded (an inherited SIG_IGN) nor fatal (SIG_DFL).
    private static func waitForHandler(_ number: Int32) {
        var action = sigaction()
        for _ in 0..<1000 {
            sigaction(number, nil, &action)
            let handler = unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
            if handler != 0, handler != 1 { return }  // neither SIG_DFL nor SIG_IGN
            usleep(1000)
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

/// Runs `body` in a task of its own that SIGINT or SIGTERM cancels, so that whatever it cleans up
/// when cancelled (a temporary download) is cleaned up; then the command exits 130 or 143. For
/// the commands that commit nothing (`events`, `get`): `run`'s own stop lets a bundle finish.
func cancellingOnSignal(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let stopSignal = SignalBox()
    let task = Task { try await body() }
    let relay = SignalRelay { number, _ in
        stopSignal.set(number)
        task.cancel()
    }
    defer { relay.cancel() }
    let result = await task.result
    if let number = stopSignal.value { throw ExitCode(exitStatus(forSignal: number)) }
    try result.get()
}

/// The exit status for a run ended by a signal: 128 + its number.
func exitStatus(forSignal signal: Int32) -> Int32 { 128 + signal }
