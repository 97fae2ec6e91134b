import Foundation
import FSExportTestSupport
import Testing

@testable import FSExportCore

@Suite("The run lock")
struct RunLockTests {
    @Test("A lock this process's last run left held a moment (by a child between fork and exec) is waited out; a live run's, or one held longer, is busy")
    func ownLeftover() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsexport-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = "\(folder)/state.json"
        do { _ = try await RunLock(statePath: state) }  // a run that ended: this process's pid is on record

        // A forked child's copy of the last run's descriptor, as another open description of the file.
        let child = open("\(state).lock", O_RDWR)
        #expect(Self.lockSoon(child))
        // Let go from a thread of its own, as a child's exec would.
        let released = Thread {
            usleep(300_000)
            close(child)
        }
        released.start()
        let run = try await RunLock(statePath: state)
        // While that run holds the lock, another in this process is busy.
        await #expect(throws: PipelineBusy.self) { try await RunLock(statePath: state) }
        _ = run

        // A copy that is not let go within the wait: busy, not a wait without end.
        let stuck = open("\(state).lock", O_RDWR)
        defer { close(stuck) }
        _ = consume run
        #expect(Self.lockSoon(stuck))
        let clock = VirtualClock()
        await #expect(throws: PipelineBusy.self) { try await RunLock(statePath: state, clocks: .virtual(clock)) }
        #expect(clock.now.offset >= .seconds(2) && clock.now.offset < .milliseconds(2100))  // two seconds' patience, in no time
    }

    /// Takes the lock on `descriptor` within two seconds: other tests start processes all along,
    /// and a child between its fork and its exec holds copies of this process's descriptors (the
    /// very case RunLock waits out) for a moment.
    static func lockSoon(_ descriptor: Int32) -> Bool {
        for _ in 0..<200 {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
            usleep(10_000)
        }
        return false
    }
}
