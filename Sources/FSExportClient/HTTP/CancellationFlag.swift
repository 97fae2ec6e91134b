import Synchronization

/// Set from a task's cancellation handler, read by the transfer thread's progress callback.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// Bytes received so far by a running transfer, read by progress displays.
public struct TransferProgress: Sendable {
    public var bytes: Int64
    /// The expected total, when the server announced a length.
    public var total: Int64?
}
