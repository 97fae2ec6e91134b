import Foundation
import FSExportCore
import Subprocess
import Synchronization
import SystemPackage

/// How the command and external sinks start a program: argv (a path, or a name looked up in PATH),
/// fsexport's environment plus the variables given, less every variable that holds the API key,
/// in a working folder.
enum ProgramLaunch {
    /// The bundle's facts, as the programs of both sinks receive them.
    static func bundleVariables(_ bundle: BundleContext, stage: String, fileName: String? = nil) -> [String: String] {
        var variables = [
            "FSEXPORT_BUNDLE_ID": String(bundle.id),
            "FSEXPORT_BUNDLE_START": String(bundle.start),
            "FSEXPORT_BUNDLE_STOP": String(bundle.stop),
            "FSEXPORT_STAGE": stage,
        ]
        variables["FSEXPORT_FILE_NAME"] = fileName
        return variables
    }

    static func configuration(_ command: [String], environment: [String: String], workingDirectory: String) -> Configuration {
        // No variable that holds the API key reaches the program, whatever its name.
        let variables = Secrets.scrubbed(ProcessInfo.processInfo.environment.merging(environment) { $1 })
        var configuration = Configuration(
            executable: command[0].contains("/") ? .path(FilePath(command[0])) : .name(command[0]),
            arguments: Arguments(Array(command.dropFirst())),
            environment: .custom(Dictionary(uniqueKeysWithValues: variables.compactMap { key, value in
                Environment.Key(rawValue: key).map { ($0, value) }
            })),
            workingDirectory: FilePath(workingDirectory))
        // A group of its own, so that ending the program also ends what it started (a shell's
        // pipeline, a `sleep`), and a Ctrl-C at the terminal reaches fsexport alone.
        configuration.platformOptions.processGroupID = 0
        configuration.platformOptions.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
        return configuration
    }
}

extension StandardInputWriter {
    /// Writes all of `bytes`, or returns false when the program took fewer: it exited or closed its
    /// input. (Subprocess reports a write to a child that has exited as a short write, not EPIPE.)
    func writeAll(_ bytes: [UInt8]) async -> Bool {
        (try? await write(bytes)) == bytes.count
    }
}

/// The process a run started, so that its timeout can end it.
final class RunningProcess: Sendable {
    private let pid = Atomic<Int32>(0)
    private let expired = Atomic<Bool>(false)

    func started(_ processID: pid_t) { pid.store(processID, ordering: .relaxed) }

    /// The program has been reaped: its id may soon name another process, which must not be signalled.
    func ended() { pid.store(0, ordering: .relaxed) }

    /// Kills the program's process group, noting that its time ran out.
    func expire() {
        expired.store(true, ordering: .relaxed)
        terminate()
    }

    /// Kills the program's process group.
    func terminate() {
        let processID = pid.load(ordering: .relaxed)
        if processID > 0 { kill(-processID, SIGKILL) }
    }

    var timedOut: Bool { expired.load(ordering: .relaxed) }
}
