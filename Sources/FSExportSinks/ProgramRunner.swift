import Foundation
import FSExportCore
import Subprocess
import SystemPackage

/// One run of a sink's program, as a scope: started with fsexport's launch rules (``ProgramLaunch``:
/// argv without a shell, the environment less the API key, a process group of its own), fed by
/// `body`, and ended however `body` ends. The runner owns what both program sinks need: the
/// timeout, killing the whole group when the task is cancelled, the tail of standard error for
/// messages, and what the exit status means.
///
/// ```swift
/// let ending = try await ProgramRunner(command: ["gzip"], environment: [:], workingDirectory: dir)
///     .run(output: .file(fd), errors: .captured(in: dir), timeout: .seconds(60)) { io in
///         _ = await io.write(bytes)
///         await io.finishInput()
///     }
/// try ending.check()   // a non-zero exit or a signal, with the end of standard error
/// ```
struct ProgramRunner: Sendable {
    enum Output {
        /// fsexport's own standard output.
        case inherit
        /// A file (closed once the program has it).
        case file(FileDescriptor)
        /// Lines for `body` to read (``IO/lines``).
        case lines
    }

    enum Errors {
        /// fsexport's own standard error.
        case inherit
        /// A file in `folder`, whose end goes into failure messages.
        case captured(in: String)
    }

    /// What `body` talks to the program through.
    struct IO: Sendable {
        let writer: StandardInputWriter
        /// The program's standard output, a line at a time, when ``Output/lines`` was asked for.
        /// A program that floods it loses the excess rather than growing memory.
        let lines: AsyncThrowingStream<String, any Error>?

        /// Writes all of `bytes`; false when the program exited or closed its input.
        func write(_ bytes: [UInt8]) async -> Bool { await writer.writeAll(bytes) }

        func finishInput() async { try? await writer.finish() }
    }

    /// How the program ended, and what `body` returned.
    struct Ending<Value: Sendable>: Sendable {
        let program: String
        let status: TerminationStatus
        let value: Value
        let errorTail: String

        /// A non-zero exit or a signal as a failure, with the end of standard error.
        func check() throws(SinkError) {
            guard status.isSuccess else { throw SinkError("\(program) \(ProgramRunner.describe(status))\(errorTail)") }
        }
    }

    let command: [String]
    private let configuration: Configuration
    /// The program as messages name it.
    var program: String { command.joined(separator: " ") }

    init(command: [String], environment: [String: String], workingDirectory: String) {
        self.command = command
        configuration = ProgramLaunch.configuration(command, environment: environment, workingDirectory: workingDirectory)
    }

    /// Runs the program around `body`. The program is killed (its whole group) when `timeout`
    /// runs out (a timeout error, then), when the task is cancelled, and through `process`, which a
    /// caller may hold to enforce deadlines of its own (the run then ends with the signal's status).
    func run<Value: Sendable>(
        output: Output, errors: Errors, timeout: Duration? = nil, process: RunningProcess = RunningProcess(),
        _ body: @escaping @Sendable (IO) async throws -> Value
    ) async throws -> Ending<Value> {
        let capture = try errors.open()
        defer { capture.remove() }
        do {
            let (status, value) = try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: (TerminationStatus, Value)?.self) { group in
                    group.addTask {
                        defer { process.ended() }
                        return try await launch(output: output, errors: capture.output, process: process, body)
                    }
                    if let timeout {
                        group.addTask {
                            // Killing the program also unblocks a write it will never read.
                            try? await Task.sleep(for: timeout)
                            if !Task.isCancelled { process.expire() }
                            return nil
                        }
                    }
                    var ended: (TerminationStatus, Value)?
                    for try await result in group where result != nil {
                        ended = result
                        group.cancelAll()
                    }
                    return ended!
                }
            } onCancel: {
                process.terminate()  // an aborted bundle must not wait for a program that does not read
            }
            if timeout != nil, process.timedOut { throw timeoutError(timeout, capture.tail()) }
            return Ending(program: program, status: status, value: value, errorTail: capture.tail())
        } catch {
            if timeout != nil, process.timedOut { throw timeoutError(timeout, capture.tail()) }
            if let failure = error as? SinkError { throw SinkError("\(failure.message)\(capture.tail())") }
            if error is SubprocessError { throw SinkError("cannot run \(program): \(error)") }
            throw error
        }
    }

    private func launch<Value: Sendable>(
        output: Output, errors: FileDescriptorOutput, process: RunningProcess, _ body: @escaping @Sendable (IO) async throws -> Value
    ) async throws -> (TerminationStatus, Value) {
        switch output {
        case .lines:
            let result = try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: errors) { execution in
                process.started(execution.processIdentifier.value)
                let (lines, continuation) = AsyncThrowingStream<String, any Error>.makeStream(bufferingPolicy: .bufferingOldest(16))
                return try await withThrowingTaskGroup(of: Value?.self) { group in
                    group.addTask {
                        do {
                            for try await line in execution.standardOutput.strings() { continuation.yield(line) }
                            continuation.finish()
                        } catch {
                            continuation.finish(throwing: error)
                        }
                        return nil
                    }
                    group.addTask { try await body(IO(writer: execution.standardInputWriter, lines: lines)) }
                    var value: Value?
                    for try await result in group where result != nil { value = result }
                    return value!
                }
            }
            return (result.terminationStatus, result.closureResult)
        case .inherit, .file:
            let target: FileDescriptorOutput =
                if case .file(let descriptor) = output { .fileDescriptor(descriptor, closeAfterSpawningProcess: true) } else {
                    .fileDescriptor(.standardOutput, closeAfterSpawningProcess: false)
                }
            let result = try await Subprocess.run(configuration, input: .inputWriter, output: target, error: errors) { execution in
                process.started(execution.processIdentifier.value)
                return try await body(IO(writer: execution.standardInputWriter, lines: nil))
            }
            return (result.terminationStatus, result.closureResult)
        }
    }

    static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal)"
        }
    }

    private func timeoutError(_ timeout: Duration?, _ tail: String) -> SinkError {
        SinkError("\(program) took longer than its timeout of \(DurationText.format(timeout ?? .zero)) and was killed\(tail)")
    }
}

/// Standard error as a run captures it.
private struct ErrorCapture {
    let output: FileDescriptorOutput
    let path: String?

    /// The end of what the program wrote there, for a failure message.
    func tail() -> String {
        guard let path, let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return "" }
        let text = String(decoding: data.suffix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : "; its standard error ends with: \(OutsideText.shown(text, limit: 2000))"
    }

    func remove() { if let path { ConfinedRoot.removeIfPresent(path) } }
}

extension ProgramRunner.Errors {
    fileprivate func open() throws -> ErrorCapture {
        switch self {
        case .inherit:
            return ErrorCapture(output: .fileDescriptor(.standardError, closeAfterSpawningProcess: false), path: nil)
        case .captured(let folder):
            let root = ConfinedRoot(folder), name = ".stderr-\(UUID().uuidString)"
            let file = try root.createFile(name, exclusive: true, permissions: [.ownerReadWrite])
            return ErrorCapture(output: .fileDescriptor(file, closeAfterSpawningProcess: true), path: root.fullPath(name))
        }
    }
}
