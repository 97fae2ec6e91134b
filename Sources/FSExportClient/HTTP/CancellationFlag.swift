import FSExportCore
import Synchronization

/// Set from a task's cancellation handler, read by the transfer thread's progress callback.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
