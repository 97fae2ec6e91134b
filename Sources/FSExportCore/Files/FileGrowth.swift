import Foundation
import Synchronization

/// Files being written, announced by their writer as they grow, so that a reader following one
/// (``BundleDecoder/init(following:ndjson:arriving:bundleID:batchSize:maximumEventSize:)``)
/// waits for the next write instead of polling. Only watched files are tracked: a write to a
/// file nobody follows costs one lock and one lookup.
package final class FileGrowth: Sendable {
    package static let shared = FileGrowth()

    /// A file's name as both sides spell it: absolute and standardized.
    package struct Key: Hashable, Sendable {
        let path: String
        package init(_ path: String) { self.path = URL(fileURLWithPath: path).standardizedFileURL.path }
    }

    private struct Watch {
        var watchers = 0
        /// Moves on at every announcement: a reader that saw version n waits for n + 1.
        var version = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private struct State {
        var watches: [Key: Watch] = [:]
        var nextWaiter = 0
        /// Waiters cancelled before they got to wait.
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())

    package init() {}

    /// The writer: bytes landed in `key`'s file, or its writing ended. Wakes whoever waits.
    package func grew(_ key: Key) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard var watch = state.watches[key] else { return [] }
            watch.version += 1
            let waiters = Array(watch.waiters.values)
            watch.waiters.removeAll()
            state.watches[key] = watch
            return waiters
        }
        for waiter in woken { waiter.resume() }
    }

    /// The reader: runs `body` with the file watched, so that ``version(of:)`` and
    /// ``wait(for:beyond:)`` see its writer's announcements.
    package func watching<T>(_ key: Key, _ body: () async throws -> T) async rethrows -> T {
        state.withLock { $0.watches[key, default: Watch()].watchers += 1 }
        defer {
            state.withLock { state in
                state.watches[key]?.watchers -= 1
                if state.watches[key]?.watchers == 0 { state.watches[key] = nil }
            }
        }
        return try await body()
    }

    /// How many announcements the file has had: read before reading the file, then passed to
    /// ``wait(for:beyond:)``, so that a write between the read and the wait is not missed.
    package func version(of key: Key) -> Int { state.withLock { $0.watches[key]?.version ?? 0 } }

    /// Returns once the file has had an announcement after `version` (at once if it has), or
    /// the task is cancelled.
    package func wait(for key: Key, beyond version: Int) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let waits = state.withLock { state -> Bool in
                    guard state.cancelled.remove(id) == nil, state.watches[key]?.version == version else { return false }
                    state.watches[key]?.waiters[id] = continuation
                    return true
                }
                if !waits { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.watches[key]?.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil as CheckedContinuation<Void, Never>?
                }
                return waiter
            }
            waiter?.resume()
        }
        _ = state.withLock { $0.cancelled.remove(id) }  // a cancellation that came after the wake-up
    }
}
