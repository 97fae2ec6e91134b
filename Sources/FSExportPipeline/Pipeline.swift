import Foundation
import FSExportCore
import Yams

/// A pipeline file, loaded and checked: the source settings and the stages, their sinks built.
///
/// ```yaml
/// source:
///   api_key: ${FULLSTORY_API_KEY}
///   start: 2024-01-01
/// stages:
///   by_type:
///     type: ndjson
///     inputs: [source]
///     split_by: EventType
///     compression: gzip
///   parts:
///     type: files
///     inputs: [by_type]
///     path: events/{start:%Y-%m-%d}/{name}
/// ```
public struct Pipeline: Sendable {
    public let file: String
    public let source: SourceSettings
    public let stages: [Stage]
    /// Warnings found while loading (an unset variable during `validate`, …).
    public let warnings: [Diagnostic]
    /// The folder relative paths are resolved against.
    public let baseDirectory: String

    public enum Mode: Sendable {
        /// Everything must be runnable: an unset variable is an error.
        case run
        /// Checking only: as `run`, but nothing is created on disk.
        case validate
        /// Checking where custom sinks are not registered (at build time): as `validate`, but a
        /// stage type that is not known is a warning (its options are checked when it runs), and
        /// so is an unset variable (the build does not have the runs' environment).
        case validateAllowingUnknownTypes
    }

    /// Loads and checks a pipeline file, reporting every problem at once as `file:line:column`.
    public static func load(
        path: String, registry: SinkRegistry = .builtIn, environment: [String: String] = ProcessInfo.processInfo.environment,
        mode: Mode = .run
    ) throws -> Pipeline {
        let text: String
        do {
            text = try readText(path)
        } catch {
            throw PipelineFileError(diagnostics: [Diagnostic(file: path, line: 1, column: 1, severity: .error, message: error.message)])
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
        return try load(text: text, file: path, baseDirectory: base, registry: registry, environment: environment, mode: mode)
    }

    /// A pipeline file is at most this large: real ones are a few KiB.
    public static let maximumFileSize = 4 << 20

    /// A pipeline file's text, or why it cannot be had, in words (not Foundation's error codes).
    private static func readText(_ path: String) throws(LocatedError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LocatedError(message: "no such file", mark: nil)
        }
        if isDirectory.boolValue { throw LocatedError(message: "this is a folder; give the pipeline file inside it", mark: nil) }
        let data: Data
        do {
            data = try SmallFile.read(path, limit: maximumFileSize, what: "the pipeline file")
        } catch {
            throw LocatedError(message: "cannot read the file: \(error.reason)", mark: nil)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw LocatedError(message: "the file is not UTF-8 text", mark: nil) }
        return text
    }

    public static func load(
        text: String, file: String, baseDirectory: String, registry: SinkRegistry = .builtIn,
        environment: [String: String] = ProcessInfo.processInfo.environment, mode: Mode = .run
    ) throws -> Pipeline {
        let session = DecodingSession(file: file)
        let parsed: Node?
        do {
            parsed = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PipelineFileError(diagnostics: [Self.diagnostic(for: error, file: file)])
        }
        if let parsed, !AliasBudget.check(parsed, text: text, session: session) {
            throw PipelineFileError(diagnostics: session.diagnostics)
        }
        guard let document = parsed, case .mapping(let top) = document else {
            throw PipelineFileError(diagnostics: [Diagnostic(file: file, line: 1, column: 1, severity: .error, message: "a pipeline file is a mapping with 'source' and 'stages'")])
        }
        // An unset variable fails every run, so validating says so too; only the build-time check,
        // which runs without the environment of the runs, lets it pass with a warning.
        let undefined: Interpolation.Undefined = mode == .validateAllowingUnknownTypes ? .warning : .error
        let interpolated = Interpolation.apply(.mapping(top), environment: environment, undefined: undefined, session: session)
        guard case .mapping(let root) = interpolated else { fatalError("interpolation keeps the node's kind") }
        for (key, _) in root where !["source", "stages"].contains(key.string ?? "") {
            session.error("unknown top-level key '\(key.string ?? "?")'\(Suggestion.didYouMean(key.string ?? "", in: ["source", "stages"]))", at: key.mark)
        }
        let sourceNode = root.first { $0.key.string == "source" }?.value
        let source = sourceNode.flatMap { session.decode(SourceSettings.self, from: $0, path: ["source"]) }
        if let source, let sourceNode {
            let machine: Diagnostic.Severity? = switch mode {
                case .run: nil
                case .validate: .error
                case .validateAllowingUnknownTypes: .warning
                }
            SourceCheck(session: session, node: sourceNode, baseDirectory: baseDirectory, machine: machine).check(source)
        }
        if sourceNode == nil { session.error("missing 'source' section", at: root.mark) }
        let builder = StageBuilder(session: session, registry: registry, baseDirectory: baseDirectory, mode: mode)
        let stages = builder.build(root.first { $0.key.string == "stages" }?.value, in: root)
        if let source, let sourceNode, let stages { SourceCheck(session: session, node: sourceNode).checkStages(source, stages) }
        session.reportUnknownKeys()

        let errors = session.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, let source, let stages else {
            throw PipelineFileError(diagnostics: session.diagnostics.sorted())
        }
        return Pipeline(file: file, source: source, stages: stages, warnings: session.diagnostics.filter { $0.severity == .warning }, baseDirectory: baseDirectory)
    }

    /// What libyaml's commonest complaints mean in a pipeline file, said first; its own words follow.
    static func plainWords(forYAMLProblem problem: String) -> String? {
        switch problem {
        case "mapping values are not allowed in this context":
            "this line is indented more than the key before it, or a value holds ': ' (put such a value in quotes)"
        case "did not find expected key":
            "this line is indented less than the keys before it, or a list item ('- ') sits among keys"
        case "found character that cannot start any token":
            "a tab, '@' or '`' where a value starts: indent with spaces, and quote such a value"
        case "did not find expected ',' or '}'", "did not find expected ',' or ']'":
            "a '{…}' or '[…]' on one line is not closed, or a value in it holds ',' or ':' (put it in quotes)"
        default: nil
        }
    }

    private static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) " } ?? ""
            let words = plainWords(forYAMLProblem: problem).map { "\($0) (libyaml: \(detail)\(problem))" } ?? "\(detail)\(problem)"
            return Diagnostic(file: file, line: mark.line, column: mark.column, severity: .error, message: "invalid YAML: \(words)")
        default:
            return Diagnostic(file: file, line: 1, column: 1, severity: .error, message: "invalid YAML: \(error)")
        }
    }
}
