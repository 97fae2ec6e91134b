import Foundation
import FSExportCore
import Subprocess
import Synchronization
import SystemPackage

/// `type: command`: pipes each bundle into a program's standard input: its events as NDJSON (the
/// default), its JSON document, its gzip bytes, or each upstream file in a run of its own. The
/// program gets the bundle's facts in its environment (`FSEXPORT_BUNDLE_ID`, `_START`, `_STOP`,
/// `FSEXPORT_FILE_NAME`), never in its command line. Its standard output can become a file for
/// downstream stages. A non-zero exit, a signal, a timeout, or a program that stops reading fails
/// the bundle, with the end of the program's standard error in the message.
public struct CommandSink: ConfigurableSink {
    public static let type = "command"

    public enum Input: String, Decodable, Sendable, CaseIterable {
        case ndjson, json, gzip, files
    }

    public struct Options: Decodable, Sendable {
        /// The program and its arguments, run without a shell.
        public var command: [String]?
        /// A command line for `/bin/sh -c`, when shell features are wanted.
        public var shell: String?
        public var input: Input?
        /// Make the program's standard output a file of this name (template: {id} {start} {stop} {name})
        /// for downstream stages. Without it, the output goes to fsexport's own standard output.
        public var output: String?
        /// Longest a run may take, e.g. `10m`.
        public var timeout: String?
        /// Extra environment variables for the program.
        public var environment: [String: String]?
        /// Folder to run in; relative to the pipeline file.
        public var workingDirectory: String?

        enum CodingKeys: String, CodingKey {
            case command, shell, input, output, timeout, environment
            case workingDirectory = "working_directory"
        }
    }

    let arguments: [String]
    let input: Input
    let outputName: PathTemplate?
    let timeout: Duration?
    let environment: [String: String]
    let workingDirectory: String

    public init(options: Options, context: SinkContext) throws {
        switch (options.command, options.shell) {
        case (let command?, nil):
            guard !command.isEmpty else { throw SinkError("command is empty") }
            arguments = command
        case (nil, let shell?):
            arguments = ["/bin/sh", "-c", shell]
        case (nil, nil):
            throw SinkError("give either command (a list: program and arguments) or shell (a command line)")
        case (_?, _?):
            throw SinkError("give command or shell, not both")
        }
        input = options.input ?? (context.readsSource ? .ndjson : .files)
        if !context.readsSource, input != .files {
            throw SinkError("input \(input.rawValue) needs 'inputs: [source]'; from other stages the input is their files")
        }
        // Events on standard input come from no file, so there is no {name} to give.
        let placeholders: Set<PathTemplate.Placeholder> = input == .ndjson ? [.id, .start, .stop] : [.id, .start, .stop, .name]
        do {
            outputName = try options.output.map { try PathTemplate($0, allowed: placeholders) }
        } catch { throw SinkError(option: "output", error) }
        try outputName?.checkRelative(option: "output")
        if context.hasDownstream, outputName == nil {
            throw SinkError("stages read this command's files: set output to the name its standard output should have")
        }
        do { timeout = try options.timeout.map { try DurationText.parse($0) } } catch { throw SinkError(option: "timeout", "\(error)") }
        environment = options.environment ?? [:]
        workingDirectory = context.resolve(options.workingDirectory ?? ".")
    }

    public var reads: SinkReads { input == .ndjson ? .events : .files }

    public func deliver(_ delivery: Delivery) async throws -> Commit {
        let bundle = delivery.bundle
        try ConfinedRoot(workingDirectory).makeFolders("")
        switch input {
        case .ndjson:
            try await runOnce(delivery, fileName: nil) { writer in
                for try await batch in delivery.input.events {
                    var lines: [UInt8] = []
                    lines.reserveCapacity(batch.jsonByteCount + batch.count)
                    batch.forEachEvent { lines.append(contentsOf: $0); lines.append(0x0A) }
                    try await writer(lines)
                }
            }
        case .json, .gzip:
            for try await file in delivery.input.files {
                try await runOnce(delivery, fileName: file.name) { writer in
                    if input == .json {
                        let decoded = DownloadedBundle(id: bundle.id, path: file.path, encoding: bundle.encoding, byteCount: file.byteCount)
                        try await Self.stream(decoded, to: writer)
                    } else {
                        try await Self.stream(file.path, to: writer)
                    }
                }
            }
        case .files:
            for try await file in delivery.input.files {
                try await runOnce(delivery, fileName: file.name) { writer in try await Self.stream(file.path, to: writer) }
            }
        }
        return .nothing
    }

    /// One run of the program: feeds it through `feed`, then checks how it ended.
    private func runOnce(
        _ delivery: Delivery, fileName: String?,
        feed: @escaping @Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void
    ) async throws {
        let bundle = delivery.bundle
        var outputFile: (descriptor: FileDescriptor, name: String, path: String)?
        if let outputName {
            let name = outputFileName(outputName, PathTemplate.Values(bundle, name: fileName))
            let path = try delivery.output.reserve(name)
            let descriptor = try delivery.output.root.createFile(name)
            outputFile = (descriptor, name, path)
        }
        let variables = ProgramLaunch.bundleVariables(bundle, stage: delivery.stage, fileName: fileName).merging(environment) { $1 }
        let runner = ProgramRunner(command: arguments, environment: variables, workingDirectory: workingDirectory)
        let ending = try await runner.run(
            output: outputFile.map { .file($0.descriptor) } ?? .inherit, errors: .captured(in: delivery.output.directory), timeout: timeout
        ) { io in
            do {
                try await feed { bytes in
                    guard await io.write(bytes) else { throw StoppedReading() }
                }
                await io.finishInput()
                return false
            } catch is SubprocessError, is StoppedReading {
                // Its exit status, checked next, usually says more than the broken pipe.
                await io.finishInput()
                return true
            }
        }
        try ending.check()
        if ending.value { throw SinkError("\(runner.program) stopped reading its input before the end\(ending.errorTail)") }
        if let outputFile {
            try await delivery.output.publish(Artifact(name: outputFile.name, path: outputFile.path, byteCount: (try? FileSize.of(outputFile.path)) ?? 0))
        }
    }

    private static func stream(_ path: String, to write: @Sendable ([UInt8]) async throws -> Void) async throws {
        let input = try FileSystemError.naming("open", path) { try FileDescriptor.open(FilePath(path), .readOnly) }
        defer { try? input.close() }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try FileSystemError.naming("read", path) { try buffer.withUnsafeMutableBytes { try input.read(into: $0) } }
            if count == 0 { return }
            try await write(Array(buffer[0..<count]))
        }
    }

    private static func stream(_ bundle: DownloadedBundle, to write: @Sendable ([UInt8]) async throws -> Void) async throws {
        // Inflate a piece at a time; each piece is written before the next is made.
        let reader = try DecodedBundleReader(bundle)
        while let piece = try reader.next() { try await write(piece) }
    }
}

/// The program took fewer bytes than it was given: it exited or closed its standard input.
private struct StoppedReading: Error {}

extension CommandSink: PlansOutput {
    /// Its standard output as a file, once per input file (or once for events); nothing without `output`.
    public func plannedOutputs(for bundle: ExportBundle, inputs: [String]) -> [String] {
        guard let outputName else { return [] }
        let names: [String?] = input == .ndjson ? [nil] : inputs.map { $0 }
        return names.map { outputFileName(outputName, PathTemplate.Values(bundle, name: $0)) }
    }

    /// The output file's name: the run and the dry run both name it here.
    func outputFileName(_ template: PathTemplate, _ values: PathTemplate.Values) -> String { template.render(values) }
}
