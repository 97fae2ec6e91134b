import AsyncAlgorithms
import FSExportCore
import Foundation
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

        enum CodingKeys: String, CodingKey {
            case command, environment
            case workingDirectory = "working_directory"
        }
    }

    let command: [String]
    let environment: [String: String]
    let workingDirectory: String
    let stage: String

    public init(options: Options, context: SinkContext) throws {
        guard let program = options.command.first, !program.isEmpty else { throw SinkError(option: "command", "give the program and its arguments") }
        command = options.command
        environment = options.environment ?? [:]
        workingDirectory = context.resolve(options.workingDirectory ?? ".")
        stage = context.stage
        if context.hasDownstream { throw SinkError("an external sink produces no files for other stages") }
    }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        let bundle = delivery.bundle
        let variables = ProgramLaunch.bundleVariables(bundle, stage: stage).merging(environment) { $1 }
        let session = try ExternalSession(command: command, environment: variables, workingDirectory: workingDirectory)
        do {
            let begin = #"{"fsexport":"begin","protocol":1,"stage":\#(Self.quoted(stage)),"bundle":{"id":\#(bundle.id),"start":\#(bundle.start),"stop":\#(bundle.stop)}}"#
            try await session.send(Array((begin + "\n").utf8))
            for try await batch in delivery.input.events {
                var message = Array(#"{"fsexport":"events","count":\#(batch.count)}"#.utf8) + [0x0A]
                message.reserveCapacity(message.count + batch.jsonByteCount + batch.count)
                batch.forEachEvent { message.append(contentsOf: $0); message.append(0x0A) }
                try await session.send(message)
            }
            try await session.request(#"{"fsexport":"end"}"#, step: "end")
        } catch {
            await session.abandon()
            throw error
        }
        return Commit(
            commit: {
                try await session.request(#"{"fsexport":"commit"}"#, step: "commit")
                try await session.finish()
            },
            abort: { await session.abandon() })
    }

    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// One run of an external sink's program: messages go to its standard input, replies come back
/// line by line from its standard output.
actor ExternalSession {
    private let requests = AsyncThrowingChannel<[UInt8], any Error>()
    private let replies: AsyncThrowingChannel<String, any Error>
    private let running: Task<TerminationStatus, any Error>
    private let program: String
    private var closed = false
    private let stoppedReading = OneWayFlag()

    init(command: [String], environment: [String: String], workingDirectory: String) throws {
        let program = command.joined(separator: " ")
        self.program = program
        let stoppedReading = self.stoppedReading
        let configuration = ProgramLaunch.configuration(command, environment: environment, workingDirectory: workingDirectory)
        let requests = self.requests
        let replyChannel = AsyncThrowingChannel<String, any Error>()
        replies = replyChannel
        running = Task {
            do {
                let result = try await Subprocess.run(
                    configuration, input: .inputWriter, output: .sequence, error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false)
                ) { execution in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            let writer = execution.standardInputWriter
                            for try await message in requests where !stoppedReading.isSet {
                                // Once the program has exited, Subprocess reports a short write, not an error.
                                let written = try? await writer.write(message)
                                if written != message.count {
                                    stoppedReading.set()
                                    replyChannel.fail(SinkError("\(program) stopped reading its input"))
                                }
                            }
                            // Messages after that are drained unwritten, so that no sender waits forever.
                            try? await writer.finish()
                        }
                        group.addTask {
                            for try await line in execution.standardOutput.strings() { await replyChannel.send(line) }
                            replyChannel.finish()
                        }
                        try await group.waitForAll()
                    }
                }
                replyChannel.finish()
                return result.terminationStatus
            } catch {
                replyChannel.fail(error)
                throw error
            }
        }
    }

    func send(_ message: [UInt8]) async throws {
        if stoppedReading.isSet { throw SinkError("\(program) stopped reading its input\(await exitDescription())") }
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
        guard let reply = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw SinkError("\(program) answered '\(step)' with something that is not a JSON object: \(line.prefix(200))")
        }
        guard reply["ok"] as? Bool == true else {
            throw SinkError("\(program) refused '\(step)': \(reply["error"] as? String ?? line)")
        }
    }

    /// Closes the program's input and requires a clean exit.
    func finish() async throws {
        closed = true
        requests.finish()
        let status = try await running.value
        guard status.isSuccess else { throw SinkError("\(program) \(Self.describe(status))") }
    }

    /// Tells the program to drop the bundle, and lets it go.
    func abandon() async {
        guard !closed else { return }
        closed = true
        await requests.send(Array(#"{"fsexport":"abort"}"#.utf8) + [0x0A])
        _ = try? await nextReply()
        requests.finish()
        _ = try? await running.value
    }

    /// The channel keeps the position, so a fresh iterator continues where the last one stopped.
    private func nextReply() async throws -> String? {
        var iterator = replies.makeAsyncIterator()
        return try await iterator.next()
    }

    private func exitDescription() async -> String {
        requests.finish()
        closed = true
        guard let status = try? await running.value else { return "" }
        return " (it \(Self.describe(status)))"
    }

    static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal)"
        }
    }
}

/// A flag that, once set, stays set.
final class OneWayFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
