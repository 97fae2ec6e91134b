import AsyncAlgorithms
import Foundation
import FSExportCore
import Subprocess
import Synchronization
import SystemPackage

/// `type: external`: a sink that lives outside fsexport, in any language, speaking a small line
/// protocol on its standard input and output (docs/external-sinks.md). One process per bundle:
///
///     → {"fsexport":"begin","protocol":1,"stage":"…","bundle":{"id":…,"start":…,"stop":…}}
///     → {"fsexport":"events","count":N}   followed by N lines, one event each
///     → {"fsexport":"end"}                ← {"ok":true}   (prepared, out of sight)
///     → {"fsexport":"commit"} or {"fsexport":"abort"}     ← {"ok":true}, then the program exits
///
/// A program that answers `{"ok":false,"error":"…"}`, exits early, or exits non-zero fails the
/// bundle; its standard error goes to fsexport's.
public struct ExternalSink: ConfigurableSink {
    public static let type = "external"

    public struct Options: Decodable, Sendable {
        /// The program and its arguments.
        public var command: [String]
        public var environment: [String: String]?
        public var workingDirectory: String?
        /// How long the program may take to exit once its input is closed, before it is killed.
        public var gracePeriod: String?
        /// Longest the program may take to take a bundle and answer `end`, and again to answer
        /// `commit` or `abort` and exit; then it is killed. None by default.
        public var timeout: String?

        enum CodingKeys: String, CodingKey {
            case command, environment
            case workingDirectory = "working_directory"
            case gracePeriod = "grace_period"
            case timeout
        }
    }

    let command: [String]
    let environment: [String: String]
    let workingDirectory: String
    let gracePeriod: Duration
    let timeout: Duration?
    let stage: String

    public init(options: Options, context: SinkContext) throws {
        guard let program = options.command.first, !program.isEmpty else { throw SinkError(option: "command", "give the program and its arguments") }
        command = options.command
        environment = options.environment ?? [:]
        workingDirectory = context.resolve(options.workingDirectory ?? ".")
        stage = context.stage
        do { gracePeriod = try options.gracePeriod.map { try DurationText.parse($0) } ?? .seconds(10) } catch {
            throw SinkError(option: "grace_period", "\(error)")
        }
        do { timeout = try options.timeout.map { try DurationText.parse($0) } } catch { throw SinkError(option: "timeout", "\(error)") }
        if context.hasDownstream { throw SinkError("an external sink produces no files for other stages") }
    }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        let bundle = delivery.bundle
        let variables = ProgramLaunch.bundleVariables(bundle, stage: stage).merging(environment) { $1 }
        let session = try ExternalSession(
            command: command, environment: variables, workingDirectory: workingDirectory, gracePeriod: gracePeriod, timeout: timeout)
        await session.startClock()
        do {
            let begin = #"{"fsexport":"begin","protocol":1,"stage":\#(JSONText.quoted(stage)),"bundle":{"id":\#(bundle.id),"start":\#(bundle.start),"stop":\#(bundle.stop)}}"#
            try await session.send(Array((begin + "\n").utf8))
            for try await batch in delivery.input.events {
                var message = Array(#"{"fsexport":"events","count":\#(batch.count)}"#.utf8) + [0x0A]
                message.reserveCapacity(message.count + batch.jsonByteCount + batch.count)
                batch.forEachEvent { message.append(contentsOf: $0); message.append(0x0A) }
                try await session.send(message)
            }
            try await session.request(#"{"fsexport":"end"}"#, step: "end")
            await session.stopClock()  // other stages may take their time; this one is done
        } catch {
            await session.abandon()
            throw error
        }
        return Commit(
            commit: {
                do {
                    await session.startClock()
                    try await session.request(#"{"fsexport":"commit"}"#, step: "commit")
                    try await session.finish()
                } catch {
                    await session.abandon()
                    throw error
                }
            },
            abort: { await session.abandon() })
    }
}

/// One run of an external sink's program: messages go to its standard input, replies come back
/// line by line from its standard output. Whatever the program does (fails to start, stops
/// reading, hangs, exits early), no call here waits on it for longer than its grace period once
/// its input is closed, and a sender never waits for a reader that is gone.
actor ExternalSession {
    private let requests = AsyncThrowingChannel<[UInt8], any Error>()
    private let replies: AsyncThrowingStream<String, any Error>
    private let running: Task<TerminationStatus, any Error>
    private let program: String
    private let gracePeriod: Duration
    private let trouble = Trouble()
    private let replyLines: AsyncThrowingStream<String, any Error>.Continuation
    private let process = RunningProcess()
    private let timeout: Duration?
    private var watchdog: Task<Void, Never>?
    private var closed = false

    init(command: [String], environment: [String: String], workingDirectory: String, gracePeriod: Duration, timeout: Duration?) throws {
        let program = command.joined(separator: " ")
        self.program = program
        self.gracePeriod = gracePeriod
        self.timeout = timeout
        let runner = ProgramRunner(command: command, environment: environment, workingDirectory: workingDirectory)
        // Replies are a line per control message; a program that floods its output loses the excess
        // rather than growing memory or blocking on a full pipe.
        let (replyStream, replyLines) = AsyncThrowingStream<String, any Error>.makeStream(bufferingPolicy: .bufferingOldest(16))
        replies = replyStream
        self.replyLines = replyLines
        let requests = self.requests
        let trouble = self.trouble
        let process = self.process
        running = Task {
            do {
                // Its standard error goes to fsexport's, as the protocol documents.
                let ending = try await runner.run(output: .lines, errors: .inherit, process: process) { io in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await message in requests where trouble.reason == nil {
                                if await !io.write(message) {
                                    let reason = SinkError("\(program) stopped reading its input")
                                    trouble.note(reason)
                                    replyLines.finish(throwing: reason)
                                }
                            }
                            await io.finishInput()
                        }
                        group.addTask {
                            for try await line in io.lines! { replyLines.yield(line) }
                            replyLines.finish()
                        }
                        try await group.waitForAll()
                    }
                }
                replyLines.finish()
                return ending.status
            } catch {
                let reason = error as? SinkError ?? SinkError("cannot run \(program): \(error)")
                trouble.note(reason)
                replyLines.finish(throwing: reason)
                // Take what is still sent, unwritten, so that no sender waits forever.
                for try await _ in requests {}
                throw reason
            }
        }
    }

    deinit {
        requests.finish()
        watchdog?.cancel()
    }

    /// Starts the clock of the timeout, if there is one: when it runs out, the program is killed
    /// (which ends its writes and its output, so nothing waits on it any longer).
    func startClock() {
        watchdog?.cancel()
        guard let timeout else { return }
        let reason = SinkError("\(program) took longer than its timeout of \(DurationText.format(timeout))")
        watchdog = Task { [trouble, replyLines, process] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            trouble.note(reason)
            replyLines.finish(throwing: reason)
            process.expire()
        }
    }

    func stopClock() { watchdog?.cancel() }

    func send(_ message: [UInt8]) async throws {
        if let reason = trouble.reason { throw SinkError("\(reason.message)\(await exitDescription())") }
        await requests.send(message)
    }

    /// Sends a control message and requires `{"ok":true}` in reply.
    func request(_ message: String, step: String) async throws {
        await requests.send(Array((message + "\n").utf8))
        let answer: String?
        do { answer = try await nextReply() } catch let error as SinkError { throw SinkError("\(error.message)\(await exitDescription())") }
        guard let line = answer else {
            throw SinkError("\(program) ended without answering '\(step)'\(await exitDescription())")
        }
        if let key = RepeatedKeys.first(in: Data(line.utf8)) {
            throw SinkError("\(program) answered '\(step)' with the key \"\(OutsideText.shown(key, limit: 80))\" twice: \(OutsideText.shown(line, limit: 200))")
        }
        guard let reply = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw SinkError("\(program) answered '\(step)' with something that is not a JSON object: \(OutsideText.shown(line, limit: 200))")
        }
        guard reply["ok"] as? Bool == true else {
            throw SinkError("\(program) refused '\(step)': \(OutsideText.shown(reply["error"] as? String ?? line))")
        }
    }

    /// Closes the program's input and requires a clean exit within the grace period.
    func finish() async throws {
        closed = true
        switch await exit() {
        case .exited(let status) where status.isSuccess: return
        case .exited(let status): throw SinkError("\(program) \(ProgramRunner.describe(status))")
        case .killed: throw SinkError("\(program) answered 'commit' but did not exit within \(DurationText.format(gracePeriod)) of its input closing")
        case .failed(let reason): throw reason
        }
    }

    /// Tells the program to drop the bundle, and lets it go; it is killed if it lingers.
    func abandon() async {
        guard !closed else { return }
        closed = true
        await requests.send(Array(#"{"fsexport":"abort"}"#.utf8) + [0x0A])
        _ = await exit()  // its answer, if any, is not needed: the bundle fails either way
    }

    /// The stream keeps the position, so a fresh iterator continues where the last one stopped.
    private func nextReply() async throws -> String? {
        var iterator = replies.makeAsyncIterator()
        return try await iterator.next()
    }

    private enum Ending {
        case exited(TerminationStatus)
        case killed
        case failed(SinkError)
    }

    /// Closes the program's input and waits for it to end: for the grace period, or until this task
    /// is cancelled. Then it is killed (Subprocess's teardown runs when its task is cancelled).
    private func exit() async -> Ending {
        requests.finish()
        let running = self.running
        let deadline = Task { [gracePeriod] in
            try await Task.sleep(for: gracePeriod)
            running.cancel()
        }
        let result = await withTaskCancellationHandler { await running.result } onCancel: { running.cancel() }
        deadline.cancel()
        stopClock()  // the process is gone: its id may soon name another
        // Cancelled sleeps throw, so the deadline's value says whether it was the one that struck.
        if (try? await deadline.value) != nil || Task.isCancelled { return .killed }
        switch result {
        case .success(let status): return .exited(status)
        case .failure(let error): return .failed(error as? SinkError ?? SinkError("\(program): \(error)"))
        }
    }

    private func exitDescription() async -> String {
        closed = true
        switch await exit() {
        case .exited(let status): return " (it \(ProgramRunner.describe(status)))"
        case .killed: return " (it did not exit within \(DurationText.format(gracePeriod)) and was killed)"
        case .failed: return ""
        }
    }
}

/// Why the program can take no more input; the first reason noted stands.
final class Trouble: Sendable {
    private let first = Mutex<SinkError?>(nil)

    func note(_ reason: SinkError) { first.withLock { if $0 == nil { $0 = reason } } }
    var reason: SinkError? { first.withLock { $0 } }
}
