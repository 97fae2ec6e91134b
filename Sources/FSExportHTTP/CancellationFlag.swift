import Synchronization

/// Set from a task's cancellation handler, read by the transfer thread's progress callback.
package final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    package var isSet: Bool { flag.load(ordering: .relaxed) }
    package func set() { flag.store(true, ordering: .relaxed) }
}
