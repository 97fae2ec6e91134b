import Dispatch
import Foundation
import Synchronization

/// A serial executor that runs its jobs on a thread of its own: for an actor whose work blocks (a
/// database call waiting on a disk or a server), so that it never holds a thread of the shared
/// pool that the rest of the run needs. The thread lives as long as the process.
package final class DedicatedThread: SerialExecutor {
    private let jobs = Mutex<[UnownedJob]>([])
    private let ready = DispatchSemaphore(value: 0)

    package init(name: String) {
        let thread = Thread { [unowned(unsafe) self] in self.run() }
        thread.name = name
        thread.start()
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        ready.signal()
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    private func run() {
        while true {
            ready.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
