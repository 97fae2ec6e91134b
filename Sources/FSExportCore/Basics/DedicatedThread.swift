import Dispatch
import Foundation
import Synchronization

/// A serial executor that runs its jobs on a thread of its own: for an actor whose work blocks (a
/// database call waiting on a disk or a server), so that it never holds a thread of the shared
/// pool that the rest of the run needs. The thread starts with the first job, and then lives as
/// long as the process (it holds the executor): an actor that is made but never used (a pipeline
/// that is only validated) costs no thread.
package final class DedicatedThread: SerialExecutor {
    private let name: String
    private let jobs = Mutex<(waiting: [UnownedJob], started: Bool)>(([], false))
    private let ready = DispatchSemaphore(value: 0)

    package init(name: String) { self.name = name }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let start = jobs.withLock { state in
            state.waiting.append(job)
            defer { state.started = true }
            return !state.started
        }
        if start {
            let thread = Thread { self.run() }
            thread.name = name
            thread.start()
        }
        ready.signal()
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    private func run() {
        while true {
            ready.wait()
            guard let job = jobs.withLock({ $0.waiting.isEmpty ? nil : $0.waiting.removeFirst() }) else { continue }
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
