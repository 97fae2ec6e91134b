import Foundation
import Synchronization
import SystemPackage

/// Keeps two runs of one pipeline apart: both would start after the same checkpoint and deliver
/// the same bundles twice. An advisory `flock` on `<state file>.lock`, which the kernel drops when
/// the process ends however it ends, so a crashed run leaves no stale lock behind.
final class RunLock {
    private let descriptor: Int32
    private let path: String

    /// Takes the lock, or throws ``PipelineBusy`` at once if another process holds it. Without
    /// `creating`, a missing lock file is an error (nothing has ever run).
    init(statePath: String, creating: Bool = true, for attempt: PipelineBusy.Attempt = .run, clocks: Clocks = .system) async throws {
        path = "\(statePath).lock"
        // Taken before the instance is whole: an init that throws after that runs deinit, which
        // would close the descriptor a second time.
        descriptor = try await Self.acquire(path, creating: creating, attempt: attempt, clocks: clocks)
        // The holder's pid, for the message the next run prints; the file is never removed, since
        // unlinking a lock file lets a third run lock a new file while the second still holds the old.
        guard creating else { return }  // a probe (`status`) leaves the last run's pid in place
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    private static func acquire(_ path: String, creating: Bool, attempt: PipelineBusy.Attempt, clocks: Clocks) async throws -> Int32 {
        // Through the state file's folder, never through a link: a lock file planted as a link
        // to another file must not get that file truncated and written with a pid.
        let (folder, name) = ConfinedRoot.holding(path)
        let descriptor = try folder.open(name, .readWrite, options: creating ? [.create] : [], permissions: FileModes.file, makingFolders: creating).rawValue
        guard await lock(descriptor, path: path, clocks: clocks) else {
            let holder = recordedProcess(descriptor)
            close(descriptor)
            throw PipelineBusy(lockPath: path, processID: holder, attempt: attempt)
        }
        return descriptor
    }

    deinit {
        // Forgotten before it is let go: a run taking the lock in between waits it out, where the
        // other order could forget the lock that run had just taken.
        _ = Self.heldHere.withLock { $0.remove(path) }
        close(descriptor)
    }

    /// The lock files this process's live runs hold.
    private static let heldHere = Mutex<Set<String>>([])

    /// Takes the lock without waiting for another run. When the holder on record is this process
    /// but none of its runs holds the lock, the lock is its last run's, kept a moment longer by a
    /// child it was starting (a forked child holds the descriptor until it execs, which closes
    /// it): that is waited out, for two seconds at most, without holding a thread.
    private static func lock(_ descriptor: Int32, path: String, clocks: Clocks) async -> Bool {
        let waited = clocks.stopwatch()
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK, recordedProcess(descriptor) == getpid(), !heldHere.withLock({ $0.contains(path) }),
                waited.elapsed() < .seconds(2), (try? await clocks.sleep(for: .milliseconds(10))) != nil
            else { return false }
        }
        heldHere.withLock { _ = $0.insert(path) }
        return true
    }

    private static func recordedProcess(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Another process is running the same pipeline (it holds the lock beside the state file).
public struct PipelineBusy: Error, CustomStringConvertible, Sendable {
    /// What was refused: a run, or a reset of the state file.
    public enum Attempt: Sendable {
        case run
        case reset
    }

    public let lockPath: String
    public let processID: Int32?
    public let attempt: Attempt

    public init(lockPath: String, processID: Int32?, attempt: Attempt = .run) {
        self.lockPath = lockPath
        self.processID = processID
        self.attempt = attempt
    }

    public var description: String {
        let holder = processID.map { "process \($0)" } ?? "another process"
        switch attempt {
        case .run:
            return "\(holder) is already running this pipeline (it holds \(lockPath)); this run delivered nothing. "
                + "Let it finish, or schedule runs further apart (a cron job that overlaps itself), or use --follow."
        case .reset:
            return "\(holder) is running this pipeline (it holds \(lockPath)); the state file was not changed. Reset once it has ended."
        }
    }
}
