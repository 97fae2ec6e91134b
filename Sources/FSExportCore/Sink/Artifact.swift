/// A file a stage produced for the stages downstream of it: NDJSON parts, an archive, a
/// program's output. Its bytes live at ``path`` until the bundle is finished.
public struct Artifact: Sendable, Hashable {
    /// What a file holds, so that a stage reading events knows how to read it, or that it cannot.
    public enum Content: Sendable, Hashable {
        /// An export bundle: the JSON array of events, gzip or plain.
        case bundle(BodyEncoding)
        /// One event object a line, gzip or plain.
        case ndjson(gzip: Bool)
        /// Anything else: an archive, a program's output, a CSV.
        case opaque

        /// What a name says: `.ndjson` and `.ndjson.gz` are NDJSON; anything else (`.ndjson.zst`
        /// included, which stages read as files) is opaque.
        public static func inferred(fromName name: String) -> Content {
            if name.hasSuffix(".ndjson") { return .ndjson(gzip: false) }
            if name.hasSuffix(".ndjson.gz") { return .ndjson(gzip: true) }
            return .opaque
        }
    }

    /// A relative name such as `click/part-0001.ndjson.gz`; `/` makes folders.
    public let name: String
    /// Where its bytes are, in the staging folder: read it, do not move it.
    public let path: String
    public let byteCount: Int64
    /// What it holds; by default, what its name says.
    public let content: Content

    public init(name: String, path: String, byteCount: Int64, content: Content? = nil) {
        self.name = name
        self.path = path
        self.byteCount = byteCount
        self.content = content ?? .inferred(fromName: name)
    }

    /// Checks that a name stays below its folder: relative, no `..`, no empty parts.
    public static func validate(name: String) throws(SinkError) {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
            !name.contains("\0")
        else {
            throw SinkError("'\(name)' is not a safe relative file name (no leading '/', no '..' or empty parts)")
        }
    }
}

/// A sink's own failure, with a message for the person running the pipeline.
public struct SinkError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and, where it helps, what to do about it.
    public var message: String
    /// The option the problem is about, so that a pipeline file error can point at it.
    public var option: String?
    /// Where in the option's text the problem is (characters from its start), when known.
    public var offset: Int?

    public init(_ message: String) { self.message = message }

    public init(option: String, offset: Int? = nil, _ message: String) {
        self.option = option
        self.offset = offset
        self.message = message
    }

    /// A template that failed to parse, reported at the offending placeholder.
    public init(option: String, _ error: any Error) {
        self.init(option: option, offset: (error as? PathTemplate.ParseError)?.offset, "\(error)")
    }

    public var description: String { option.map { "\($0): \(message)" } ?? message }
}
